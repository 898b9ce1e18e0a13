"""Decorators and helpers cases use: stable IDs, requirements, and UNCONFIRMED deviations."""

from __future__ import annotations

import pytest

from sockconf.core.record import HOST_STACK, record_finding
from sockconf.harness.expect import ConformanceFailure


def case(
    case_id: str, requirement: str, kind: str = "positive", verifies: tuple[str, ...] = (), stack: str = ""
) -> pytest.MarkDecorator:
    """Tag a case with its stable ID (tied to the document), its one-line requirement, and the IDs of
    the documented statements it verifies (``sockconf/data/requirements``).

    ``kind`` is ``positive`` or ``negative`` for conformance to the documents, or ``host-stack`` for a
    case that drives the module exactly as the host driver ``stack`` does and judges it by what that
    driver needs (``harness.hoststack``); its ID is ``<FAMILY>-HOST-<STACK>-NN``.
    """
    if kind not in ("positive", "negative", HOST_STACK):
        raise ValueError(f"kind must be positive, negative or {HOST_STACK}, not {kind!r}")
    if (kind == HOST_STACK) != bool(stack):
        raise ValueError(f"{case_id}: a {HOST_STACK} case names its stack, and only such a case does")
    if kind == HOST_STACK and f"-HOST-{stack.upper()}-" not in case_id:
        raise ValueError(f"{case_id}: a {HOST_STACK} case's ID is <FAMILY>-HOST-{stack.upper()}-NN")
    if isinstance(verifies, str):
        raise TypeError(f"verifies wants a tuple of requirement IDs, not the string {verifies!r}")
    return pytest.mark.case(case_id, requirement, kind=kind, verifies=tuple(verifies), stack=stack)


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
