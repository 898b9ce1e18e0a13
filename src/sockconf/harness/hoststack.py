"""Host-stack cases: drive the module exactly as a shipped host driver does, judge it by what that driver needs.

A module is bought to be driven by a host stack (ST's ``es_wifi.c``, Zephyr's ``eswifi``, Digi's
``digi-xbee``, ...), and those drivers rely on details the documents leave open. A host-stack case
(``@case("ESWIFI-HOST-ST-01", ..., kind="host-stack", stack="st")``) takes the ``host_stack``
fixture, a :class:`HostStackRun`, and walks the driver's flow one step at a time, each step named
as the driver names it::

    with run.step("ES_WIFI_ReceiveData"):
        raw = ...
        run.needs(raw.startswith(b"\\r\\n"), "the reply to R0 to begin with \\r\\n", raw)

A step the module fails ends the case with "breaks ST es_wifi.c at step 3 (ES_WIFI_ReceiveData):
needs …; the module sent …". The stacks are data (``sockconf/data/hoststacks/<family>.toml``, or the
family's own ``hoststacks`` package); a
profile names the stacks that drive its module (``host_stacks``), and a case of any other stack is
NOT APPLICABLE on it. ``--host-stack NAME`` runs only the named stacks' cases (``none``: none).
These verdicts are not conformance to the documents: the report shows them in a table of their own
(each stack: works, or breaks at step N), apart from the compliance matrix.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from sockconf.core.family import get as get_family
from sockconf.core.record import record_host_stack
from sockconf.harness.expect import ConformanceFailure, NoAnswer, show_bytes

NONE = "none"  # --host-stack none: no host-stack case runs


class HostStackError(ValueError):
    """A host-stack file that does not parse, or a case or profile naming a stack that is not in it."""


@dataclass(frozen=True)
class HostStack:
    id: str
    family: str
    name: str  # short, for messages: "ST es_wifi.c"
    title: str  # what it is, for the report
    source: str  # repository and files


@functools.cache
def stacks(family: str) -> dict[str, HostStack]:
    """The host stacks of ``family`` by ID (none when the family has no file)."""
    path = get_family(family).hoststacks_file
    if not path.is_file():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise HostStackError(f"{path.name} does not parse: {exc}") from None
    found: dict[str, HostStack] = {}
    for entry in raw.get("stack", []):
        try:
            stack = HostStack(str(entry["id"]), family, str(entry["name"]), str(entry["title"]), str(entry["source"]))
        except KeyError as exc:
            raise HostStackError(f"{path.name}: a [[stack]] lacks {exc.args[0]!r}") from None
        if stack.id in found or stack.id == NONE:
            raise HostStackError(f"{path.name}: stack {stack.id!r} is declared twice or reserved")
        found[stack.id] = stack
    return found


class StackBreak(ConformanceFailure):
    """The module broke a host stack: the requirement says which, at which step, and what it needs."""


class HostStackRun:
    """One host-stack case's walk through its driver's flow, step by step."""

    def __init__(self, item: pytest.Item, stack: HostStack) -> None:
        self.item = item
        self.stack = stack
        self.steps: list[str] = []
        self.broke = False
        self._record()

    def _record(self) -> None:
        record_host_stack(
            self.item,
            {
                "stack": self.stack.id,
                "name": self.stack.name,
                "title": self.stack.title,
                "step": len(self.steps),
                "steps": list(self.steps),
                "broke": self.broke,
            },
        )

    @property
    def where(self) -> str:
        n = len(self.steps)
        return f"step {n} ({self.steps[-1]})" if n else "its first step"

    @contextmanager
    def step(self, function: str) -> Iterator[None]:
        """The driver's next step, named as the driver names it (a function, or function: what it sends)."""
        self.steps.append(function)
        self._record()
        try:
            yield
        except (StackBreak, NoAnswer):
            raise  # already said; a module that answers nothing at all stays INCONCLUSIVE
        except ConformanceFailure as exc:
            self.broke = True
            self._record()
            raise StackBreak(
                f"breaks {self.stack.name} at {self.where}: {exc.requirement}",
                expected=exc.expected,
                actual=exc.actual,
                diff=exc.diff,
                last_bytes=exc.last_bytes,
                note=exc.note,
            ) from None

    def needs(self, ok: bool, need: str, sent: bytes | str, function: str = "") -> None:
        """Unless ``ok``: the module broke the stack here. ``need`` is what the driver's code needs (in
        our words, citing its ``function`` when that is not the step's own), ``sent`` what arrived."""
        if ok:
            return
        self.broke = True
        self._record()
        who = function or (self.steps[-1] if self.steps else self.stack.name)
        shown = show_bytes(sent) if isinstance(sent, bytes) else sent
        raise StackBreak(
            f"breaks {self.stack.name} at {self.where}: {who} needs {need}; the module sent {shown}",
            expected=[need],
            actual=[shown],
            last_bytes=sent if isinstance(sent, bytes) else b"",
        )


def stack_of(item: pytest.Item) -> str:
    """The stack a host-stack case imitates ("" for a conformance case)."""
    mark = item.get_closest_marker("case")
    return str(mark.kwargs.get("stack", "")) if mark is not None else ""


def selected(config: pytest.Config, stack: str) -> bool:
    """Whether ``--host-stack`` lets this stack's cases run (all of them when it is not given)."""
    chosen: list[str] = config.getoption("host_stack") or []
    return not chosen or (stack in chosen and NONE not in chosen)


def check_choices(chosen: list[str], families: Any) -> None:
    """``--host-stack`` names only known stacks (of any family), or ``none``."""
    known = {s for family in families for s in stacks(family)}
    unknown = [c for c in chosen if c not in known and c != NONE]
    if unknown:
        raise pytest.UsageError(
            f"--host-stack {unknown[0]}: no such host stack; known: {', '.join(sorted(known)) or 'none'} (or none)"
        )
