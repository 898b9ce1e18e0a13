"""ESP-AT's host side: the AT session of a DUT link, every server and link closed before each case
(echo off, multiple connections), the preflight, the DUT's address and its identity (AT+GMR).
"""

from __future__ import annotations

import pytest

from sockconf.core.record import PreflightCheck
from sockconf.harness import silent
from sockconf.harness.cases import unconfirmed
from sockconf.harness.espat.preflight import EspAtPreflight
from sockconf.harness.espat.session import EspAtSession
from sockconf.harness.expect import ConformanceFailure
from sockconf.harness.host import FamilyHost

IDENTITY = ("AT version:", "SDK version:", "Bin version:")


class EspAtHost(FamilyHost):
    """ESP-AT's host side: an AT session, everything closed and AT+CIPMUX=1 before each case."""

    hint = "wrong baud, or not ESP-AT firmware?"
    identified_by = "AT version"
    address_query = "AT+CIPSTA? ip"

    def open_session(self) -> EspAtSession:
        return EspAtSession(self.link.driver, self.link.profile)

    def begin_case(self, request: pytest.FixtureRequest) -> None:
        super().begin_case(request)
        self.session.on_unconfirmed = lambda requirement, finding: unconfirmed(request, requirement, finding)
        self.session.on_observed = lambda point, choice, detail: silent.observed(request, point, choice, detail)

    def reset(self, request: pytest.FixtureRequest) -> None:
        self.session.reset()

    def dut_address(self) -> str | None:
        address: str | None = self.session.station_address()
        return address

    def preflight(self) -> list[PreflightCheck]:
        return EspAtPreflight(self.link, self.session).run()

    def identify(self) -> dict[str, str]:
        try:
            response = self.session.ok("+GMR", requirement="AT+GMR (version information) is answered with OK")
        except ConformanceFailure as exc:
            return {"AT version": f"(no answer: {str(exc).splitlines()[-1].strip()})"}
        found: dict[str, str] = {}
        for text in response.texts():
            for prefix in IDENTITY:
                if text.startswith(prefix):
                    found[prefix.rstrip(":")] = text.removeprefix(prefix).strip()
        found.setdefault("AT version", "(not shown)")
        return found
