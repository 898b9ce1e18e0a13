"""The registry of silent points: where the vendor material leaves a module free to choose.

One TOML file per family (``sockconf/data/silent/<family>.toml``), one ``[[point]]`` table per point:
``id``, ``title``, ``documents_say``, ``choices`` (name -> description), ``default`` (the suite's
default expectation), ``cases`` (the case IDs that touch it), ``sources`` (what was searched and
found, or "no source found"), ``variants`` (non-default choice -> the emulator variant that takes it, or a
list of them: a catch-all choice such as ``other-error`` is shown by more than one concrete variant)
and, for a timing point, ``range`` (the smallest and largest registered value, in seconds);
``neutral = true`` where the documents name every choice as acceptable (recorded, never NON-STRICT).

A case that touches a point accepts every registered choice and records the DUT's with
:func:`observed`: the report's Assumptions section lists it, and a choice other than the default is
a NON-STRICT finding (a FAIL under ``--strict``). ``docs/silent-points.md`` is rendered from here
(``sockconf registry``; a test keeps it current).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sockconf import data
from sockconf.core.record import record_assumption
from sockconf.harness.cases import unconfirmed

HERE = data.folder("silent")


class RegistryError(ValueError):
    """A registry file that does not parse or breaks its own rules."""


@dataclass(frozen=True)
class SilentPoint:
    id: str
    family: str
    title: str
    documents_say: str
    choices: Mapping[str, str]
    default: str
    cases: tuple[str, ...]
    sources: tuple[str, ...]
    variants: Mapping[str, tuple[str, ...]]  # non-default choice -> the emulator variants that take it
    range: tuple[float, float] | None = None
    # The documents name every choice as acceptable: the DUT's choice is recorded, never NON-STRICT.
    neutral: bool = False

    @property
    def longest(self) -> float:
        """The largest registered value of a timing point (seconds)."""
        if self.range is None:
            raise RegistryError(f"{self.id} has no range")
        return self.range[1]


def _names(value: Any) -> tuple[str, ...]:
    """A variant name, or a list of them (anything else is kept as its text, as a name is)."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _point(family: str, raw: Mapping[str, Any], where: Path) -> SilentPoint:
    try:
        rng = raw.get("range")
        point = SilentPoint(
            id=str(raw["id"]),
            family=family,
            title=str(raw["title"]),
            documents_say=str(raw["documents_say"]),
            choices={str(k): str(v) for k, v in raw["choices"].items()},
            default=str(raw["default"]),
            cases=tuple(str(c) for c in raw["cases"]),
            sources=tuple(str(s) for s in raw["sources"]),
            variants={str(k): _names(v) for k, v in raw.get("variants", {}).items()},
            range=(float(rng[0]), float(rng[1])) if rng else None,
            neutral=bool(raw.get("neutral", False)),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise RegistryError(f"{where}: a point lacks or garbles {exc}") from None
    if point.default not in point.choices:
        raise RegistryError(f"{where}: {point.id}: default {point.default!r} is not one of its choices")
    stray = set(point.variants) - set(point.choices)
    if stray or point.default in point.variants:
        raise RegistryError(f"{where}: {point.id}: variants for unknown or default choices {sorted(stray)}")
    if not point.sources:
        raise RegistryError(f"{where}: {point.id}: say what was searched (or 'no source found')")
    return point


@functools.cache
def registry(family: str) -> Mapping[str, SilentPoint]:
    """A family's silent points by ID, in file order (empty when the family has no registry file)."""
    path = HERE / f"{family}.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"{path} does not parse: {exc}") from None
    points: dict[str, SilentPoint] = {}
    for raw in data.get("point", []):
        point = _point(family, raw, path)
        if point.id in points:
            raise RegistryError(f"{path}: {point.id} given twice")
        points[point.id] = point
    return points


def families() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.toml"))


def point(point_id: str) -> SilentPoint:
    for family in families():
        found = registry(family).get(point_id)
        if found is not None:
            return found
    raise RegistryError(f"no silent point {point_id!r} in sockconf/data/silent/")


def observed(request: pytest.FixtureRequest, point_id: str, choice: str, detail: str = "") -> None:
    """Record the DUT's choice on a silent point; a choice other than the default is NON-STRICT.

    ``choice`` must be a registered one: a case that meets something else must judge it itself
    (a FAIL when it is no defensible choice).
    """
    silent = point(point_id)
    if choice not in silent.choices:
        raise RegistryError(f"{point_id}: {choice!r} is not a registered choice ({', '.join(silent.choices)})")
    non_default = choice != silent.default and not silent.neutral
    record_assumption(
        request.node,
        {
            "point": silent.id,
            "title": silent.title,
            "choice": choice,
            "default": silent.default,
            "detail": detail,
            "non_strict": non_default,
        },
    )
    if non_default:
        what = f"{silent.id}: the DUT chose {choice!r} ({silent.choices[choice]}), not the default {silent.default!r}"
        unconfirmed(request, silent.title, f"{what}{'; ' + detail if detail else ''}")
