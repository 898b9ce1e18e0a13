"""eS-WiFi fixtures: an AT session on the shared driver, every server stopped before each case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.base import Driver, LinkLost
from fixtures.cases import unconfirmed
from fixtures.eswifi import ESWiFiSession
from fixtures.expect import ConformanceFailure, NoAnswer
from fixtures.peer import Peer
from fixtures.plugin import DutLink, note_link_state
from reports.record import case_marker


def identify(session: ESWiFiSession) -> dict[str, str]:
    """The module's identity for the report (``I?``: product, firmware, ...); a refusal is reported, not failed."""
    try:
        reply = session.ok("I?", requirement="I? (module information) is answered with OK")
    except ConformanceFailure as exc:
        return {"module (I?)": f"(no answer: {str(exc).splitlines()[-1].strip()})"}
    return {"module (I?)": reply.data.decode("ascii", "replace").strip()}


@pytest.fixture
def eswifi(request: pytest.FixtureRequest, dut: Driver, dut_link: DutLink) -> Iterator[ESWiFiSession]:
    """A clean eS-WiFi session: P5=0 on every socket, socket 0 selected, nothing pending."""
    session: ESWiFiSession | None = getattr(dut_link, "eswifi_session", None)
    if session is None:
        session = ESWiFiSession(dut, dut_link.profile)
        dut_link.eswifi_session = session  # type: ignore[attr-defined]
    marker = case_marker(request.node)
    session.requirement = marker[1] if marker else ""
    session.on_unconfirmed = lambda requirement, finding: unconfirmed(request, requirement, finding)
    problem = ""
    try:
        session.reset()
        if dut_link.host is None and dut.dut_host is None:
            dut_link.host = session.module_address()
        if "module (I?)" not in dut_link.identity:
            dut_link.identity.update(identify(session))
    except (NoAnswer, LinkLost) as exc:
        note_link_state(dut_link, exc, answered=False)
        problem = f"the DUT did not answer the case setup: {str(exc).splitlines()[0]}"
    except ConformanceFailure as exc:
        # It answered, but not in the eS-WiFi AT framing: the cases cannot run on this link.
        note_link_state(dut_link, exc, answered=False, why="answered the case setup wrongly")
        problem = f"the case setup failed (wrong baud, or not an eS-WiFi?):\n{exc}"
    if problem:
        pytest.fail(f"INCONCLUSIVE: {problem}", pytrace=False)
    note_link_state(dut_link, None, answered=True)
    dut.trace.restart()  # the case's trace starts after the common setup
    yield session


@pytest.fixture
def peer(eswifi: ESWiFiSession, peer: Peer) -> Peer:
    """The plugin's peer, set up after the session (which may learn the module's address from P?)."""
    return peer
