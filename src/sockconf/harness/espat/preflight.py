"""ESP-AT's preflight: the module answers AT at the baud rate, its station has joined an access point
(AT+CWJAP? shows it) within the join deadline, it shows an address (AT+CIPSTA? or --dut-host), and
this host reaches it.
"""

from __future__ import annotations

import time

from sockconf.core.record import PreflightCheck
from sockconf.harness.espat.session import EspAtSession
from sockconf.harness.expect import ConformanceFailure
from sockconf.harness.link import DutLink
from sockconf.harness.preflight import POLL_SECONDS, address_check, check, not_checked, reachable_check
from sockconf.protocol.espat import Final, Line, command

JOIN_ADVICE = (
    'join an access point first (AT+CWMODE=1, AT+CWJAP="<ssid>","<password>"; with AT+CWAUTOCONN=1 the module '
    "joins again by itself after a restart), or, if it is joining, give a profile copy a larger [deadlines] join"
)
ANSWER_ADVICE = (
    "check the port, --baud (115200 is ESP-AT's default) and that the module runs ESP-AT firmware; on ESP32 "
    "modules the AT port is UART1 (UART0 carries the boot log and firmware downloads)"
)


class EspAtPreflight:
    """The checks, over the family session of one DUT link."""

    def __init__(self, link: DutLink, session: EspAtSession) -> None:
        self.link = link
        self.session = session

    def run(self) -> list[PreflightCheck]:
        session = self.session
        link = self.link
        deadlines = link.profile.deadlines
        started = time.monotonic()
        baud = str(link.driver.identity().get("baud", ""))
        at_baud = f" at {baud} baud" if baud.isdigit() else ""
        answer = self._answers()
        if answer is None:
            detail = f"no reply to AT within {deadlines.reply:g} s{at_baud}"
            return [
                check("answers", started, False, detail, ANSWER_ADVICE),
                *not_checked("joined", "address", "reachable"),
            ]
        if answer != "OK":
            detail = f"AT is answered {answer!r}, not OK{at_baud}"
            return [
                check("answers", started, False, detail, ANSWER_ADVICE),
                *not_checked("joined", "address", "reachable"),
            ]
        checks = [check("answers", started, True, f"AT is answered OK{at_baud}")]
        started = time.monotonic()
        deadline = started + deadlines.join
        status = self._station()
        while not status.startswith("+CWJAP:") and time.monotonic() < deadline:
            # The module says WIFI GOT IP when it joins: that ends the wait early.
            session.watch(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            session.inbox.clear()
            status = self._station()
        if status.startswith("+CWJAP:"):
            took = time.monotonic() - started
            checks.append(check("joined", started, True, f"AT+CWJAP? shows {status} after {took:.1f} s"))
        else:
            detail = (
                f"not joined to an access point: AT+CWJAP? answers {status} after {deadlines.join:g} s "
                "(the profile's join deadline)"
            )
            checks.append(check("joined", started, False, detail, JOIN_ADVICE))
        address = address_check(link, self._address, "AT+CIPSTA? (ip)")
        checks.append(address)
        where = link.host or link.driver.dut_host if address.ok else None
        checks.append(reachable_check(where, deadlines.reply))
        session.drain()
        return checks

    def _answers(self) -> str | None:
        """What ``AT`` is answered with (its final result, or the first line), None when nothing came.

        A line an earlier program left half-typed makes the first AT a junk line (ERROR): one more try."""
        session = self.session
        session.drain()
        outcome: str | None = None
        for _ in range(2):
            started = session.send_raw(command(), "AT", check_strays=False)
            deadline = started + session.deadlines[0]
            while time.monotonic() < deadline and not any(isinstance(e, Final) for e in session.answers):
                session._pump(deadline)
            finals = [e for e in session.answers if isinstance(e, Final)]
            lines = [e.text for e in session.answers if isinstance(e, Line) and e.text != "AT"]
            session.answers.clear()
            if finals and finals[-1].word == "OK":
                return "OK"
            outcome = finals[-1].word if finals else (lines[0] if lines else outcome)
        session.reader.reset()
        return outcome

    def _station(self) -> str:
        """AT+CWJAP?: its +CWJAP line when joined, else what it answered (ESPAT-SILENT-CWJAP-NOAP: No AP, OK, ERROR)."""
        try:
            response = self.session.at("+CWJAP?", requirement="AT+CWJAP? is answered", check_strays=False)
        except ConformanceFailure:
            return "nothing"
        joined = response.info("CWJAP")
        if joined:
            return "+CWJAP:" + joined[0]
        texts = response.texts()
        return " / ".join([*texts, response.word]) if texts else response.word

    def _address(self) -> str | None:
        try:
            address: str | None = self.session.station_address()
        except ConformanceFailure:
            return None
        return address
