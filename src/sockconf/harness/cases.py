"""Decorators and helpers cases use: stable IDs, requirements, and UNCONFIRMED deviations."""

from __future__ import annotations

import pytest

from sockconf.core.record import record_finding
from sockconf.harness.expect import ConformanceFailure


def case(
    case_id: str, requirement: str, kind: str = "positive", verifies: tuple[str, ...] = ()
) -> pytest.MarkDecorator:
    """Tag a case with its stable ID (tied to the document), its one-line requirement, and the IDs of
    the documented statements it verifies (``sockconf/data/requirements``)."""
    if kind not in ("positive", "negative"):
        raise ValueError(f"kind must be positive or negative, not {kind!r}")
    if isinstance(verifies, str):
        raise TypeError(f"verifies wants a tuple of requirement IDs, not the string {verifies!r}")
    return pytest.mark.case(case_id, requirement, kind=kind, verifies=tuple(verifies))


def unconfirmed(request: pytest.FixtureRequest, requirement: str, finding: str) -> None:
    """A deviation on a detail the spec marks UNCONFIRMED: a finding by default, a FAIL under --strict."""
    if bool(request.config.getini("strict")):
        raise ConformanceFailure(
            requirement,
            expected=["the seed's behaviour (this detail is UNCONFIRMED in the spec)"],
            actual=[finding],
            note="--strict: a deviation on an UNCONFIRMED detail fails",
        )
    record_finding(request.node, finding)
