"""eS-WiFi's host side: the AT session of a DUT link, every socket stopped and socket 0 selected before
each case, the preflight, the DUT's address and identity.
"""

from __future__ import annotations

import pytest

from sockconf.core.record import PreflightCheck
from sockconf.harness import contradictions, silent
from sockconf.harness.cases import unconfirmed
from sockconf.harness.eswifi.preflight import ESWiFiPreflight
from sockconf.harness.eswifi.session import ESWiFiSession
from sockconf.harness.expect import ConformanceFailure
from sockconf.harness.host import FamilyHost


class ESWiFiHost(FamilyHost):
    """eS-WiFi's host side: an AT session, P5=0 on every socket and socket 0 selected before each case."""

    hint = "wrong baud, or not an eS-WiFi?"
    identified_by = "module (I?)"
    address_query = "C? field 5"

    def open_session(self) -> ESWiFiSession:
        return ESWiFiSession(self.link.driver, self.link.profile)

    def begin_case(self, request: pytest.FixtureRequest) -> None:
        super().begin_case(request)
        self.session.on_unconfirmed = lambda requirement, finding: unconfirmed(request, requirement, finding)
        self.session.on_observed = lambda point, choice, detail: silent.observed(request, point, choice, detail)
        self.session.on_contradiction = lambda contradiction, side, detail: contradictions.observed(
            request, contradiction, side, detail, self.session.driver.trace.last_received()
        )

    def reset(self, request: pytest.FixtureRequest) -> None:
        self.session.reset()

    def dut_address(self) -> str | None:
        address: str | None = self.session.module_address()
        return address

    def preflight(self) -> list[PreflightCheck]:
        return ESWiFiPreflight(self.link, self.session).run()

    def identify(self) -> dict[str, str]:
        try:
            reply = self.session.ok("I?", requirement="I? (module information) is answered with OK")
        except ConformanceFailure as exc:
            return {"module (I?)": f"(no answer: {str(exc).splitlines()[-1].strip()})"}
        return {"module (I?)": reply.data.decode("ascii", "replace").strip()}
