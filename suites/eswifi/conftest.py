"""eS-WiFi fixtures: an AT session on the shared driver, every server stopped before each case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.record import case_marker
from drivers.base import Driver
from fixtures.cases import unconfirmed
from fixtures.eswifi import ESWiFiSession
from fixtures.expect import ConformanceFailure
from fixtures.peer import Peer
from fixtures.plugin import DutLink, prepare_case


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

    def setup() -> None:
        session.reset()
        if dut_link.host is None and dut.dut_host is None:
            dut_link.host = session.module_address()
        if "module (I?)" not in dut_link.identity:
            dut_link.identity.update(identify(session))

    prepare_case(dut_link, dut, setup, "wrong baud, or not an eS-WiFi?")
    yield session


@pytest.fixture
def peer(eswifi: ESWiFiSession, peer: Peer) -> Peer:
    """The plugin's peer, set up after the session (which may learn the module's address from P?)."""
    return peer
