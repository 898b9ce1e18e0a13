"""What a case records for the report (the only thing ``reports`` reads of a case), and its typed outcomes.

Fixtures put the case's trace, identity and findings here; the report plugin reads them. An outcome
that gives no verdict on the firmware is marked by the :class:`Inconclusive` mixin, so the report
decides INCONCLUSIVE by type, never by matching message text. This module knows no family.
"""

from __future__ import annotations

from typing import Any, NoReturn

import pytest
from _pytest.outcomes import Failed  # pytest.fail's exception class (pytest.fail.Exception)

from core.trace import Trace

TRACE_KEY = pytest.StashKey[Trace]()
IDENTITY_KEY = pytest.StashKey[dict[str, str]]()
FINDINGS_KEY = pytest.StashKey[list[str]]()
ASSUMPTIONS_KEY = pytest.StashKey[list[dict[str, Any]]]()


def record_trace(item: pytest.Item, trace: Trace) -> None:
    item.stash[TRACE_KEY] = trace


def record_identity(item: pytest.Item, identity: dict[str, str]) -> None:
    item.stash[IDENTITY_KEY] = identity


def record_finding(item: pytest.Item, text: str) -> None:
    """A deviation on a detail the spec marks UNCONFIRMED (a NON-STRICT finding)."""
    item.stash.setdefault(FINDINGS_KEY, []).append(text)


def record_assumption(item: pytest.Item, observation: dict[str, Any]) -> None:
    """The DUT's choice on a silent point (``point``, ``title``, ``choice``, ``default``, ``detail``,
    ``non_strict``), for the report's Assumptions section."""
    item.stash.setdefault(ASSUMPTIONS_KEY, []).append(dict(observation))


def case_marker(item: pytest.Item) -> tuple[str, str, str] | None:
    """(case ID, requirement, kind) from ``@case(...)``, or None for a non-case test."""
    mark = item.get_closest_marker("case")
    if mark is None:
        return None
    args: list[Any] = list(mark.args)
    case_id = str(args[0]) if args else str(mark.kwargs.get("case_id", ""))
    requirement = str(args[1]) if len(args) > 1 else str(mark.kwargs.get("requirement", ""))
    kind = str(mark.kwargs.get("kind", "positive"))
    return case_id, requirement, kind


class Inconclusive:
    """Mixin for outcomes that give no verdict on the firmware: the DUT or the link did not answer,
    or the DUT was not ready to be tested. The report shows such a case INCONCLUSIVE."""


class InconclusiveCase(Failed, Inconclusive):
    """A case ended without a verdict; the message says why and what to check."""


def inconclusive(reason: str) -> NoReturn:
    """End the running case INCONCLUSIVE (no Python traceback: the reason says it all)."""
    raise InconclusiveCase(f"INCONCLUSIVE: {reason}", pytrace=False)
