"""XBee's host side: the API-mode session of a DUT link, every socket closed before each case in the
case's API mode, the preflight, the DUT's address and identity.
"""

from __future__ import annotations

import ipaddress

import pytest

from sockconf.core.record import PreflightCheck
from sockconf.harness.expect import ConformanceFailure
from sockconf.harness.host import FamilyHost
from sockconf.harness.xbee.preflight import XBeePreflight
from sockconf.harness.xbee.session import XBeeSession

IDENTITY = {
    b"VR": "firmware (VR)",
    b"HV": "hardware (HV)",
    b"SH": "serial (SH)",
    b"SL": "serial (SL)",
    b"IM": "IMEI",
    b"NI": "node identifier (NI)",
}


class XBeeHost(FamilyHost):
    """XBee's host side: an API-mode session, every socket closed before each case, in the case's API mode."""

    hint = "wrong API mode or baud?"
    identified_by = "firmware (VR)"
    address_query = "AT MY"

    def open_session(self) -> XBeeSession:
        return XBeeSession(self.link.driver, self.link.profile)

    def begin_case(self, request: pytest.FixtureRequest) -> None:
        super().begin_case(request)
        self.session.case = request  # the silent points a reply meets are recorded for this case

    def reset(self, request: pytest.FixtureRequest) -> None:
        # Cases that do not ask for an API mode run in the profile's own.
        if "api_mode" in request.fixturenames:
            mode = int(request.getfixturevalue("api_mode"))
        else:
            mode = int(self.link.profile.get("api_mode", 1))
        self.session.set_api_mode(mode)
        self.session.reset()

    def preflight(self) -> list[PreflightCheck]:
        return XBeePreflight(self.link, self.session).run()

    def dut_address(self) -> str:
        my = self.session.at(b"MY").value
        return str(ipaddress.IPv4Address(my)) if len(my) == 4 else my.decode("ascii", "replace")

    def identify(self) -> dict[str, str]:
        found = {}
        for command, label in IDENTITY.items():
            try:
                value = self.session.at(command).value
            except ConformanceFailure as exc:
                found[label] = f"(no answer: {str(exc).splitlines()[-1].strip()})"
                continue
            text = value.decode("ascii", "replace") if command in (b"IM", b"NI") else value.hex().upper()
            found[label] = text
        return found
