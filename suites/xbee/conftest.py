"""XBee fixtures: an API-mode session on the shared driver, reset before every case, in the case's API mode."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from core.record import case_marker
from drivers.base import Driver
from fixtures.expect import ConformanceFailure
from fixtures.plugin import DutLink, prepare_case
from fixtures.xbee import XBeeSession

IDENTITY = {
    b"VR": "firmware (VR)",
    b"HV": "hardware (HV)",
    b"SH": "serial (SH)",
    b"SL": "serial (SL)",
    b"IM": "IMEI",
    b"NI": "node identifier (NI)",
}


def identify(session: XBeeSession) -> dict[str, str]:
    """The module's identity for the report; a query it refuses is reported as such, not failed."""
    found = {}
    for command, label in IDENTITY.items():
        try:
            value = session.at(command).value
        except ConformanceFailure as exc:
            found[label] = f"(no answer: {str(exc).splitlines()[-1].strip()})"
            continue
        text = value.decode("ascii", "replace") if command in (b"IM", b"NI") else value.hex().upper()
        found[label] = text
    return found


@pytest.fixture(params=[pytest.param(1, id="AP1"), pytest.param(2, id="AP2")])
def api_mode(request: pytest.FixtureRequest) -> int:
    """The API mode a case runs in, both by default; a case narrows it with ``parametrize("api_mode", ...)``."""
    return int(request.param)


@pytest.fixture
def xbee(request: pytest.FixtureRequest, dut: Driver, dut_link: DutLink) -> Iterator[XBeeSession]:
    """A clean XBee session: every socket closed, the case's API mode set (``api_mode`` param)."""
    session: XBeeSession | None = getattr(dut_link, "xbee_session", None)
    if session is None:
        session = XBeeSession(dut, dut_link.profile)
        dut_link.xbee_session = session  # type: ignore[attr-defined]
    marker = case_marker(request.node)
    session.requirement = marker[1] if marker else ""
    # Cases that do not ask for an API mode run in the profile's own.
    if "api_mode" in request.fixturenames:
        mode = request.getfixturevalue("api_mode")
    else:
        mode = dut_link.profile.get("api_mode", 1)
    assert session is not None

    def setup() -> None:
        assert session is not None
        session.set_api_mode(int(mode))
        session.reset()
        if dut_link.host is None:
            my = session.at(b"MY").value
            dut_link.host = str(ipaddress.IPv4Address(my)) if len(my) == 4 else my.decode("ascii", "replace")
        if "firmware (VR)" not in dut_link.identity:
            dut_link.identity.update(identify(session))

    prepare_case(dut_link, dut, setup, "wrong API mode or baud?")
    yield session
