"""Expected values as field templates over typed frames/replies, and the failure a case raises.

``Expect(SocketCreateResponse, frame_id=1, status=SUCCESS)`` matches any 0xC0 with those fields
(fields not named are ANY). A case may accept several alternatives. On a mismatch the case raises
``ConformanceFailure`` carrying the requirement, every acceptable alternative, what arrived, and a
field-level diff in the vendor's terms (``status: expected 00 SUCCESS, got 20 INVALID_SOCKET_ID``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from sockconf.core.record import Inconclusive


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()


@dataclass(frozen=True)
class Check:
    """A field condition other than equality, with the words the report shows."""

    text: str
    test: Callable[[Any], bool]

    def __repr__(self) -> str:
        return self.text


def not_equal(value: Any) -> Check:
    return Check(f"not {show(value)}", lambda v: v != value)


def one_of(*values: Any) -> Check:
    return Check("one of " + ", ".join(show(v) for v in values), lambda v: v in values)


def show(value: Any) -> str:
    """A field value in the vendor's terms: hex for codes and IDs, text for payloads."""
    if value is ANY or isinstance(value, Check):
        return repr(value)
    if isinstance(value, IntEnum):
        return f"{int(value):02X} {value.name}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:02X}" if value < 0x100 else f"{value} (0x{value:04X})"
    if isinstance(value, bytes | bytearray):
        return show_bytes(bytes(value))
    return repr(value)


def show_bytes(data: bytes, limit: int = 48) -> str:
    shown = data[:limit].hex(" ").upper()
    more = f" … ({len(data)} bytes)" if len(data) > limit else ""
    return f"[{shown}]{more}" if data else "[] (0 bytes)"


def fields_of(obj: Any) -> list[tuple[str, Any]]:
    if hasattr(obj, "field_items"):
        return list(obj.field_items())
    if dataclasses.is_dataclass(obj):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    return []


def type_name(cls: type) -> str:
    code = getattr(cls, "FRAME_TYPE", None)
    prefix = f"0x{code:02X} " if isinstance(code, int) and code >= 0 else ""
    return prefix + getattr(cls, "NAME", cls.__name__)


def describe(obj: Any) -> str:
    """One line for a frame, reply or event: type and fields."""
    if hasattr(obj, "describe") and not fields_of(obj):
        return str(obj.describe())
    body = ", ".join(f"{k}={show(v)}" for k, v in fields_of(obj) if k != "raw")
    return f"{type_name(type(obj))}({body})"


@dataclass(frozen=True)
class Expect:
    cls: type
    fields: dict[str, Any]

    def __init__(self, cls: type, **fields: Any) -> None:
        object.__setattr__(self, "cls", cls)
        object.__setattr__(self, "fields", fields)

    def kind_matches(self, obj: Any) -> bool:
        return type(obj) is self.cls

    def diff(self, obj: Any) -> list[str]:
        """Field-level differences; empty when ``obj`` matches."""
        if type(obj) is not self.cls:
            return [f"frame type: expected {type_name(self.cls)}, got {type_name(type(obj))}"]
        out = []
        for name, want in self.fields.items():
            got = getattr(obj, name)
            if want is ANY:
                continue
            ok = want.test(got) if isinstance(want, Check) else got == want
            if not ok:
                out.append(f"{name}: expected {show(want)}, got {show(got)}")
        return out

    def matches(self, obj: Any) -> bool:
        return not self.diff(obj)

    def __str__(self) -> str:
        body = ", ".join(f"{k}={show(v)}" for k, v in self.fields.items())
        return f"{type_name(self.cls)}({body})"


@dataclass
class ConformanceFailure(AssertionError):
    """A documented behaviour was not observed. ``str()`` is the whole story for a terminal."""

    requirement: str
    expected: list[str] = field(default_factory=list)
    actual: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)
    last_bytes: bytes = b""
    note: str = ""

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"Requirement: {self.requirement}"]
        if self.note:
            lines.append(self.note)
        for i, exp in enumerate(self.expected):
            label = "Expected" if len(self.expected) == 1 else f"Expected ({i + 1} of {len(self.expected)})"
            lines.append(f"{label}: {exp}")
        lines.extend(f"Actual:   {a}" for a in self.actual or ["nothing"])
        lines.extend(f"  - {d}" for d in self.diff)
        if self.last_bytes:
            lines.append(f"Last bytes from the DUT: {show_bytes(self.last_bytes, 64)}")
            tail = self.last_bytes[-64:]
            if sum(32 <= c < 127 or c in (9, 10, 13) for c in tail) >= 0.8 * len(tail):
                # A text protocol (AT commands): the same bytes as text read far better.
                lines.append(f"  as text: {tail.decode('latin-1')!r}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class NoAnswer(ConformanceFailure, Inconclusive):
    """The DUT sent nothing at all within the deadline (INCONCLUSIVE rather than FAIL)."""


def alternatives_text(alternatives: Iterable[Expect]) -> list[str]:
    return [str(a) for a in alternatives]
