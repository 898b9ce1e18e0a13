"""Statements of the documents that contradict each other, as data, and how a case meets them.

Each family's requirement catalogue (``sockconf/data/requirements/<family>.toml``) holds, beside its
``[[requirement]]`` entries, one ``[[contradiction]]`` table per pair of statements that cannot both
hold. They live in the same file as the statements they pair, so a contradiction names its statements
by requirement ID and its quotes are the catalogue's own (verbatim, hash-checked); a renamed or removed
requirement breaks the load at once.

A contradiction has an ``id`` (``<FAMILY>-CONTRA-<NAME>``), a ``title``, two sides ``a`` and ``b``
(each: ``requirements``, the IDs of the statements on that side, the first one quoted first;
``behaviour``, what a module following that side does; ``emulator``, see below), the ``cases`` whose
checks decide between the sides, an optional ``note``, and a ``resolution``:

- ``settled``: other vendor material decides. ``winner`` (``a`` or ``b``) names the side a module must
  follow and ``settled_by`` cites the material. The cases keep the winner's FAIL; a FAIL raised inside
  :func:`settled` names the contradiction and its resolution, so the reader sees why the other
  statement does not count.
- ``unresolved``: nothing settles it; ``searched`` says what was looked at. A module that follows either
  side is not failed: the case calls :func:`observed` with the side it saw, which records a NON-STRICT
  finding quoting both statements that ``--strict`` does not turn into a FAIL (the module follows the
  documents; they disagree). A module that follows neither side FAILs, and the failure quotes both.
  When cases judge the point, each side names the emulator that follows it: ``default`` (the emulator
  as it is) or a variant of ``emulator/<family>/variants.py`` that names this side of this
  contradiction; the project's tests run those cases against both.
"""

from __future__ import annotations

import contextlib
import functools
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sockconf.core.record import Inconclusive, record_contradiction_seen, record_finding
from sockconf.harness.expect import ConformanceFailure
from sockconf.harness.requirements import REQUIREMENTS_DIR, Requirement, RequirementError, load_catalogue

SETTLED = "settled"
UNRESOLVED = "unresolved"
SIDES = ("a", "b")
NEITHER = "neither"
DEFAULT_EMULATOR = "default"  # a side the emulator follows without any variant


class ContradictionError(RequirementError):
    """A contradiction table that is malformed or names what does not exist; the message says which."""


@dataclass(frozen=True)
class Side:
    requirements: tuple[str, ...]
    behaviour: str
    emulator: str = ""  # DEFAULT_EMULATOR, a variant name, or "" where no case judges the point


@dataclass(frozen=True)
class Contradiction:
    id: str
    family: str
    title: str
    a: Side
    b: Side
    resolution: str
    cases: tuple[str, ...]
    winner: str = ""  # settled: "a" or "b"
    settled_by: str = ""  # settled: the vendor material that decides, cited
    searched: str = ""  # unresolved: what was searched, and why it settles nothing
    note: str = ""

    def side(self, name: str) -> Side:
        if name not in SIDES:
            raise ContradictionError(f"{self.id}: a side is 'a' or 'b', not {name!r}")
        return self.a if name == "a" else self.b

    @property
    def loser(self) -> str:
        """The side a settled contradiction decides against."""
        return {"a": "b", "b": "a"}.get(self.winner, "")


def _strings(raw: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise ContradictionError(f"{where}: {key} wants a list of IDs")
    return tuple(raw)


def _side(raw: Any, where: str, name: str, catalogue: Mapping[str, Requirement], family: str) -> Side:
    if not isinstance(raw, dict):
        raise ContradictionError(f"{where}: side {name} is missing ([contradiction.{name}] with requirements)")
    requirements = _strings(raw.get("requirements"), f"{where} side {name}", "requirements")
    if not requirements:
        raise ContradictionError(f"{where}: side {name} names no requirement (its statement must be quoted)")
    for rid in requirements:
        req = catalogue.get(rid)
        if req is None:
            raise ContradictionError(f"{where}: side {name} names an unknown requirement {rid}")
        if req.family != family:
            raise ContradictionError(f"{where}: side {name} names {rid} of another family ({req.family})")
    behaviour = raw.get("behaviour")
    if not isinstance(behaviour, str) or not behaviour.strip():
        raise ContradictionError(f"{where}: side {name} lacks behaviour (what a module following it does)")
    emulator = raw.get("emulator", "")
    if not isinstance(emulator, str):
        raise ContradictionError(f"{where}: side {name}: emulator wants a variant name or {DEFAULT_EMULATOR!r}")
    stray = set(raw) - {"requirements", "behaviour", "emulator"}
    if stray:
        raise ContradictionError(f"{where}: side {name} has unknown keys {sorted(stray)}")
    return Side(requirements, behaviour.strip(), emulator)


_KEYS = {"id", "title", "resolution", "winner", "settled_by", "searched", "cases", "note", "a", "b"}


def _entry(raw: Any, where: str, family: str, catalogue: Mapping[str, Requirement]) -> Contradiction:
    if not isinstance(raw, dict):
        raise ContradictionError(f"{where} is not a table")
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid.startswith(f"{family.upper()}-CONTRA-"):
        raise ContradictionError(f"{where}: id wants {family.upper()}-CONTRA-<NAME>, not {cid!r}")
    where = f"{where} ({cid})"
    stray = set(raw) - _KEYS
    if stray:
        raise ContradictionError(f"{where}: unknown keys {sorted(stray)}")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContradictionError(f"{where}: lacks a title")
    a = _side(raw.get("a"), where, "a", catalogue, family)
    b = _side(raw.get("b"), where, "b", catalogue, family)
    cases = _strings(raw.get("cases", []), where, "cases")
    if any(not c.startswith(f"{family.upper()}-") for c in cases):
        raise ContradictionError(f"{where}: cases of another family in {list(cases)}")
    resolution = raw.get("resolution")
    text = {k: raw.get(k, "") for k in ("winner", "settled_by", "searched", "note")}
    if not all(isinstance(v, str) for v in text.values()):
        raise ContradictionError(f"{where}: winner, settled_by, searched and note are text")
    if resolution == SETTLED:
        if text["winner"] not in SIDES:
            raise ContradictionError(f"{where}: a settled contradiction names its winner ('a' or 'b')")
        if not text["settled_by"].strip():
            raise ContradictionError(f"{where}: a settled contradiction cites what settles it (settled_by)")
        if text["searched"]:
            raise ContradictionError(f"{where}: searched belongs to an unresolved contradiction")
        if a.emulator or b.emulator:
            raise ContradictionError(f"{where}: a settled contradiction names no emulator (its loser is a fault)")
    elif resolution == UNRESOLVED:
        if text["winner"] or text["settled_by"]:
            raise ContradictionError(f"{where}: an unresolved contradiction has no winner and no settled_by")
        if not text["searched"].strip():
            raise ContradictionError(f"{where}: an unresolved contradiction says what was searched (searched)")
        if cases:
            missing = [name for name, side in (("a", a), ("b", b)) if not side.emulator]
            if missing:
                raise ContradictionError(
                    f"{where}: cases {list(cases)} judge it, so each side names the emulator that follows it "
                    f"({DEFAULT_EMULATOR!r} or a variant); side {', '.join(missing)} names none"
                )
            if a.emulator == b.emulator:
                raise ContradictionError(f"{where}: both sides name the emulator {a.emulator!r}: one must differ")
    else:
        raise ContradictionError(f"{where}: resolution is {SETTLED!r} or {UNRESOLVED!r}, not {resolution!r}")
    return Contradiction(
        id=cid,
        family=family,
        title=title.strip(),
        a=a,
        b=b,
        resolution=resolution,
        cases=cases,
        winner=text["winner"],
        settled_by=text["settled_by"].strip(),
        searched=text["searched"].strip(),
        note=text["note"].strip(),
    )


def load_family(path: Path, catalogue: Mapping[str, Requirement]) -> list[Contradiction]:
    """The ``[[contradiction]]`` tables of one catalogue file, checked against ``catalogue``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContradictionError(f"cannot read requirements {path.name}: {exc}") from None
    entries = data.get("contradiction", [])
    if not isinstance(entries, list):
        raise ContradictionError(f"{path.name}: wants [[contradiction]] tables")
    return [_entry(raw, f"{path.name}: contradiction #{i + 1}", path.stem, catalogue) for i, raw in enumerate(entries)]


def load_contradictions(
    folder: Path = REQUIREMENTS_DIR, catalogue: Mapping[str, Requirement] | None = None
) -> dict[str, Contradiction]:
    """Every family's contradictions by ID, in file order; a duplicate ID is an error."""
    known = load_catalogue(folder) if catalogue is None else catalogue
    out: dict[str, Contradiction] = {}
    for path in sorted(folder.glob("*.toml")):
        for entry in load_family(path, known):
            if entry.id in out:
                raise ContradictionError(f"{path.name}: contradiction ID {entry.id} is defined twice")
            out[entry.id] = entry
    return out


@functools.cache
def _cached() -> tuple[dict[str, Requirement], dict[str, Contradiction]]:
    catalogue = load_catalogue()
    return catalogue, load_contradictions(catalogue=catalogue)


def contradictions() -> Mapping[str, Contradiction]:
    """The package's contradictions by ID."""
    return _cached()[1]


def contradiction(contradiction_id: str) -> Contradiction:
    found = contradictions().get(contradiction_id)
    if found is None:
        raise ContradictionError(f"no contradiction {contradiction_id!r} in sockconf/data/requirements/")
    return found


# --------------------------------------------------------------------------- words


def _one_line(text: str) -> str:
    return " ⏎ ".join(line.strip() for line in text.strip().splitlines())


def _source(req: Requirement) -> str:
    where = f"{req.id}: {req.document}, § {req.section}"
    return f"{where}, step {req.step}" if req.step else where


def statement(c: Contradiction, name: str, catalogue: Mapping[str, Requirement] | None = None) -> str:
    """Side ``name`` of ``c`` in one line: its first statement quoted with its source, the others by ID."""
    known = _cached()[0] if catalogue is None else catalogue
    ids = c.side(name).requirements
    first = known[ids[0]]
    also = f"; also {', '.join(ids[1:])}" if len(ids) > 1 else ""
    return f"'{_one_line(first.quote)}' ({_source(first)}{also})"


def both(c: Contradiction) -> str:
    """Both statements of ``c``, quoted, each with what a module following it does."""
    return (
        f"(a) {statement(c, 'a')} — a module following it: {c.a.behaviour}; "
        f"(b) {statement(c, 'b')} — a module following it: {c.b.behaviour}"
    )


def resolution_text(c: Contradiction) -> str:
    if c.resolution == SETTLED:
        return f"settled for ({c.winner}) by {c.settled_by}"
    return f"unresolved: {c.searched}"


def settled_note(contradiction_id: str) -> str:
    """Why a FAIL on a settled point does not count the other statement: both quoted, and what settles it."""
    c = contradiction(contradiction_id)
    if c.resolution != SETTLED:
        raise ContradictionError(f"{c.id} is unresolved: a case records what the DUT followed with observed()")
    return (
        f"{c.id} — the documents contradict each other here ({c.title}): {both(c)}. "
        f"Vendor material settles it for ({c.winner}): {c.settled_by} This check follows ({c.winner})."
    )


# --------------------------------------------------------------------------- what a case does


def observed(
    request: pytest.FixtureRequest, contradiction_id: str, side: str, detail: str = "", last_bytes: bytes = b""
) -> None:
    """Record which statement of an unresolved contradiction the DUT followed.

    ``a`` or ``b``: a NON-STRICT finding quoting both statements and naming the one followed; ``--strict``
    does not make it a FAIL. ``neither``: a FAIL quoting both (``detail`` says what the DUT did).
    """
    c = contradiction(contradiction_id)
    if c.resolution != UNRESOLVED:
        raise ContradictionError(f"{c.id} is settled for ({c.winner}): judge it by the winner, inside settled()")
    if side not in (*SIDES, NEITHER):
        raise ContradictionError(f"{c.id}: the DUT follows side 'a', 'b' or 'neither', not {side!r}")
    record_contradiction_seen(request.node, {"contradiction": c.id, "side": side, "detail": detail})
    if side == NEITHER:
        raise ConformanceFailure(
            f"{c.id}: the module follows one of two statements that contradict each other ({c.title})",
            [f"(a) {c.a.behaviour}: {statement(c, 'a')}", f"(b) {c.b.behaviour}: {statement(c, 'b')}"],
            [detail or "something else"],
            ["the DUT follows neither statement"],
            last_bytes,
            note=f"{c.id} is unresolved ({c.searched}); either statement passes, neither fails.",
        )
    followed = c.side(side)
    record_finding(
        request.node,
        f"{c.id} ({c.title}): the documents contradict each other and no vendor material settles it; "
        f"the DUT follows ({side}): {followed.behaviour}. {both(c)}." + (f" {detail}" if detail else ""),
    )


@contextlib.contextmanager
def settled(*contradiction_ids: str, when: Callable[[ConformanceFailure], bool] | None = None) -> Iterator[None]:
    """A check that follows the winner of settled contradictions: a FAIL raised inside it (and for which
    ``when`` holds, if given) carries a note per contradiction quoting both statements and what settles it."""
    notes = [settled_note(cid) for cid in contradiction_ids]
    try:
        yield
    except ConformanceFailure as exc:
        if not isinstance(exc, Inconclusive) and (when is None or when(exc)):
            for note in notes:
                exc.add_note(note)
        raise


# --------------------------------------------------------------------------- plain data for the report


def to_data(c: Contradiction, catalogue: Mapping[str, Requirement]) -> dict[str, Any]:
    """``c`` as plain data, each side with its statements quoted from the catalogue."""

    def side(s: Side) -> dict[str, Any]:
        return {
            "requirements": [
                {k: catalogue[rid].to_data()[k] for k in ("id", "document", "section", "step", "quote", "sha")}
                for rid in s.requirements
            ],
            "behaviour": s.behaviour,
            "emulator": s.emulator,
        }

    return {
        "id": c.id,
        "family": c.family,
        "title": c.title,
        "resolution": c.resolution,
        "winner": c.winner,
        "settled_by": c.settled_by,
        "searched": c.searched,
        "cases": list(c.cases),
        "note": c.note,
        "a": side(c.a),
        "b": side(c.b),
    }
