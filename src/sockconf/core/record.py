"""What a case records for the report (the only thing ``reports`` reads of a case), and its typed outcomes.

Fixtures put the case's trace, identity and findings here; the report plugin reads them. An outcome
that gives no verdict on the firmware is marked by the :class:`Inconclusive` mixin, so the report
decides INCONCLUSIVE by type, never by matching message text. This module knows no family.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple, NoReturn

import pytest
from _pytest.outcomes import Failed  # pytest.fail's exception class (pytest.fail.Exception)

from sockconf.core.trace import Trace

TRACE_KEY = pytest.StashKey[Trace]()
IDENTITY_KEY = pytest.StashKey[dict[str, str]]()
FINDINGS_KEY = pytest.StashKey[list[str]]()
# The requirement catalogue as plain data (one dict of strings per requirement: id, family, document,
# source_file, section, step, quote, sha, informative). The harness plugin puts it on the config;
# the report reads it from there, so reports never import the catalogue's loader.
REQUIREMENTS_KEY = pytest.StashKey[list[dict[str, str]]]()
# The contradictions between the documents' statements, as plain data (one dict per contradiction: id,
# family, title, resolution, winner, settled_by, searched, cases, note, and sides "a" and "b", each with
# its statements quoted from the catalogue). Put on the config by the harness plugin, read by the report.
CONTRADICTIONS_KEY = pytest.StashKey[list[dict[str, Any]]]()
# What a case saw of an unresolved contradiction: which statement the DUT followed.
CONTRADICTION_SEEN_KEY = pytest.StashKey[list[dict[str, str]]]()
PREFLIGHT_KEY = pytest.StashKey[list["PreflightCheck"]]()
ASSUMPTIONS_KEY = pytest.StashKey[list[dict[str, Any]]]()
HOST_STACK_KEY = pytest.StashKey[dict[str, Any]]()
HOST_STACK = "host-stack"  # the kind of a case that imitates a host driver (not conformance to the documents)


def record_trace(item: pytest.Item, trace: Trace) -> None:
    item.stash[TRACE_KEY] = trace


def record_identity(item: pytest.Item, identity: dict[str, str]) -> None:
    item.stash[IDENTITY_KEY] = identity


def record_finding(item: pytest.Item, text: str) -> None:
    """A deviation on a detail the spec marks UNCONFIRMED (a NON-STRICT finding)."""
    item.stash.setdefault(FINDINGS_KEY, []).append(text)


def record_requirements(config: pytest.Config, catalogue: list[dict[str, str]]) -> None:
    config.stash[REQUIREMENTS_KEY] = catalogue


def recorded_requirements(config: pytest.Config) -> list[dict[str, str]]:
    """The requirement catalogue the harness puts on the config (empty when none was loaded)."""
    return config.stash.get(REQUIREMENTS_KEY, [])


def record_contradictions(config: pytest.Config, contradictions: list[dict[str, Any]]) -> None:
    config.stash[CONTRADICTIONS_KEY] = contradictions


def recorded_contradictions(config: pytest.Config) -> list[dict[str, Any]]:
    """The catalogued contradictions the harness puts on the config (empty when none were loaded)."""
    return config.stash.get(CONTRADICTIONS_KEY, [])


def record_contradiction_seen(item: pytest.Item, seen: dict[str, str]) -> None:
    """Which statement of an unresolved contradiction the DUT followed in this case: ``contradiction``,
    ``side`` (``a``, ``b`` or ``neither``) and ``detail``."""
    item.stash.setdefault(CONTRADICTION_SEEN_KEY, []).append(dict(seen))


class CaseMark(NamedTuple):
    case_id: str
    requirement: str
    kind: str  # "positive", "negative" (conformance to the documents) or HOST_STACK
    verifies: tuple[str, ...]  # the requirement IDs (sockconf/data/requirements) the case verifies
    stack: str = ""  # a host-stack case's stack (an ID of sockconf/data/hoststacks/<family>.toml)


@dataclass(frozen=True)
class PreflightCheck:
    """One check of a DUT's readiness before its first case (not a verdict on the firmware).

    ``ok`` is None when the check was not made (an earlier one failed); ``advice`` says what the
    user should do when it failed.
    """

    name: str
    ok: bool | None
    detail: str
    advice: str = ""
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return {True: "passed", False: "failed", None: "not checked"}[self.ok]

    def line(self) -> str:
        """One line for the terminal: the check, what was found and what to do."""
        text = f"{self.name}: {self.detail}"
        return f"{text} -> {self.advice}" if self.advice and self.ok is False else text

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


def record_preflight(item: pytest.Item, checks: list[PreflightCheck]) -> None:
    """The preflight of the item's DUT (the same list for every case of that DUT)."""
    item.stash[PREFLIGHT_KEY] = checks


def preflight_failed(checks: list[PreflightCheck]) -> list[PreflightCheck]:
    return [c for c in checks if c.ok is False]


def record_assumption(item: pytest.Item, observation: dict[str, Any]) -> None:
    """The DUT's choice on a silent point (``point``, ``title``, ``choice``, ``default``, ``detail``,
    ``non_strict``), for the report's Assumptions section."""
    item.stash.setdefault(ASSUMPTIONS_KEY, []).append(dict(observation))


def case_marker(item: pytest.Item) -> CaseMark | None:
    """(case ID, requirement, kind, verifies) from ``@case(...)``, or None for a non-case test."""

    mark = item.get_closest_marker("case")
    if mark is None:
        return None
    args: list[Any] = list(mark.args)
    case_id = str(args[0]) if args else str(mark.kwargs.get("case_id", ""))
    requirement = str(args[1]) if len(args) > 1 else str(mark.kwargs.get("requirement", ""))
    kind = str(mark.kwargs.get("kind", "positive"))
    verifies = tuple(str(v) for v in mark.kwargs.get("verifies", ()))
    return CaseMark(case_id, requirement, kind, verifies, str(mark.kwargs.get("stack", "")))


def record_host_stack(item: pytest.Item, outcome: dict[str, Any]) -> None:
    """How far a host-stack case got: ``stack``, ``name`` (the stack's), ``step`` (the last step
    reached, from 1), ``steps`` (each step's number and what the host calls it), ``broke`` (whether
    the module broke the stack there)."""
    item.stash[HOST_STACK_KEY] = dict(outcome)


class Inconclusive:
    """Mixin for outcomes that give no verdict on the firmware: the DUT or the link did not answer,
    or the DUT was not ready to be tested. The report shows such a case INCONCLUSIVE."""


class InconclusiveCase(Failed, Inconclusive):
    """A case ended without a verdict; the message says why and what to check."""


def inconclusive(reason: str) -> NoReturn:
    """End the running case INCONCLUSIVE (no Python traceback: the reason says it all)."""
    raise InconclusiveCase(f"INCONCLUSIVE: {reason}", pytrace=False)
