"""XBee's preflight: API frames answered, registered (AI 00) within the registration deadline, an
address (MY or --dut-host), and this host reaches it. Nothing here changes a setting of the module.
"""

from __future__ import annotations

import ipaddress
import time

from sockconf.core.record import PreflightCheck
from sockconf.harness.expect import show_bytes
from sockconf.harness.link import DutLink
from sockconf.harness.preflight import POLL_SECONDS, address_check, check, not_checked, reachable_check
from sockconf.harness.xbee.session import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import AI_MEANINGS, ATCommandStatus

# GT, the guard time around +++ (the module's default 0x3E8 ms); a profile may set ``guard_time``.
GUARD_TIME = 1.0
API_ADVICE = (
    "put the module in API mode and store it: ATAP1 then ATWR (in command mode after +++, or with XCTU); "
    "the suite changes no setting of a module that does not speak API frames"
)


class XBeePreflight:
    """The checks, over the family session of one DUT link."""

    def __init__(self, link: DutLink, session: XBeeSession) -> None:
        self.link = link
        self.session = session

    def run(self) -> list[PreflightCheck]:
        """API frames answered, registered (AI 00) within the registration deadline, an address, reachable."""
        session = self.session
        api = self._check_api()
        if not api.ok:
            return [api, *not_checked("registered (AI)", "address", "reachable")]
        checks = [api, self._check_registered()]
        link = self.link
        address = address_check(link, self._module_address, "MY")
        checks.append(address)
        where = link.host or link.driver.dut_host if address.ok else None
        checks.append(reachable_check(where, link.profile.deadlines.reply))
        session.drain()
        return checks

    def _check_api(self) -> PreflightCheck:
        started = time.monotonic()
        session = self.session
        reply = self.link.profile.deadlines.reply
        first = session.api_mode
        for mode in (first, 2 if first == 1 else 1):
            session.assume_api_mode(mode)
            answer = session.query(b"AP", reply)
            if answer is not None:
                shown = answer.value[0] if len(answer.value) == 1 else answer.value.hex().upper()
                return check("API mode", started, True, f"answers API frames (AP={shown})")
        session.assume_api_mode(first)
        session.drain()
        return check("API mode", started, False, self._probe_transparent(), API_ADVICE)

    def _probe_transparent(self) -> str:
        """What a module that answers no API frame does answer: +++ (transparent mode), text, or nothing."""
        driver = self.link.driver
        reply = self.link.profile.deadlines.reply
        guard = float(self.link.profile.get("guard_time", GUARD_TIME))
        heard = bytearray()
        # The escape sequence counts only after a guard time of silence: watch the line until it has
        # been quiet that long (bounded: a module that never stops talking is reported as such).
        give_up = time.monotonic() + guard + reply
        quiet_until = time.monotonic() + guard
        while time.monotonic() < quiet_until:
            data = driver.read(quiet_until)
            if data:
                heard += data
                quiet_until = min(time.monotonic() + guard, give_up)
        driver.write(b"+++")
        answer = self._read_until(b"\r", guard + reply)
        if answer.strip() == b"OK":
            driver.write(b"ATAP\r")
            ap = self._read_until(b"\r", reply).strip().decode("ascii", "replace")
            driver.write(b"ATCN\r")  # leave command mode as it was, changing nothing
            self._read_until(b"\r", reply)
            return (
                f"answers no API frame (AP=1 or AP=2) but enters command mode on +++ after the {guard:g} s "
                f"guard time (OK), as a module in transparent mode does; ATAP answers {ap or 'nothing'}"
            )
        if b"+++" in answer:
            return f"answers no API frame and echoes +++ as plain text ({show_bytes(bytes(answer))}): not in API mode?"
        if heard or answer:
            return (
                f"answers no API frame and not +++; it sent {show_bytes(bytes(heard + answer))} "
                "(wrong baud rate, or not an XBee?)"
            )
        return "answers nothing: no API frame (AP=1, AP=2) and no OK to +++ (check the port, the baud rate, the power)"

    def _read_until(self, end: bytes, within: float) -> bytes:
        """Raw bytes from the DUT until ``end`` arrives or ``within`` seconds pass."""
        deadline = time.monotonic() + within
        got = bytearray()
        while end not in got and time.monotonic() < deadline:
            got += self.link.driver.read(deadline)
        return bytes(got)

    def _check_registered(self) -> PreflightCheck:
        started = time.monotonic()
        session = self.session
        deadlines = self.link.profile.deadlines
        deadline = started + deadlines.registration
        last: int | None = None
        while True:
            answer = session.query(b"AI", deadlines.reply)
            if answer is None:
                return check(
                    "registered (AI)",
                    started,
                    False,
                    f"AI was not answered within {deadlines.reply:g} s",
                    "check the module (it answered AP but not AI)",
                )
            last = answer.value[0] if answer.value else None
            if last == 0:
                took = time.monotonic() - started
                return check("registered (AI)", started, True, f"AI answers 00 (connected) after {took:.1f} s")
            now = time.monotonic()
            if now >= deadline:
                break
            # Until the module says it registered (0x8A) or a poll interval passes, then ask again.
            if session.arrives(fr.ModemStatus, min(POLL_SECONDS, deadline - now)):
                session.inbox = type(session.inbox)(e for e in session.inbox if not isinstance(e, fr.ModemStatus))
        code = "nothing" if last is None else f"{last:02X}"
        meaning, advice = AI_MEANINGS.get(last if last is not None else -1, ("undocumented", ""))
        return check(
            "registered (AI)",
            started,
            False,
            f"not registered: AI answers {code} ({meaning}) after {deadlines.registration:g} s "
            "(the profile's registration deadline)",
            advice or "see the AI table of the module's user guide",
        )

    def _module_address(self) -> str | None:
        answer = self.session.query(b"MY", self.link.profile.deadlines.reply)
        if answer is None or answer.status != ATCommandStatus.OK:
            return None
        value = answer.value
        return str(ipaddress.IPv4Address(value)) if len(value) == 4 else value.decode("ascii", "replace")
