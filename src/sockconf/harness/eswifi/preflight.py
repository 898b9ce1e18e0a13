"""eS-WiFi's preflight: the module answers at the baud rate, has joined a network (CS 1) within the
join deadline, shows an address (C? or --dut-host), and this host reaches it.

What a module writes when it has just powered on (its cursor) is read and forgotten first. Where the
profile names the network and says the suite joins it (``[device.network] join = true``: an SPI module
that its host resets has not joined), a module that has not joined is told to (``C1``, ``C2``, ``C3``,
``C0``) before the wait for ``CS`` 1.
"""

from __future__ import annotations

import time

from sockconf.core.record import PreflightCheck
from sockconf.harness.eswifi.session import ESWiFiSession
from sockconf.harness.expect import ConformanceFailure
from sockconf.harness.link import DutLink
from sockconf.harness.preflight import POLL_SECONDS, address_check, check, not_checked, reachable_check
from sockconf.protocol.eswifi import Reply

JOIN_ADVICE = (
    "join a network first (the vendor's first step for a TCP server): C1=<SSID>, C2=<passphrase>, "
    "C3=<security>, then C0; or, if it is joining, give a profile copy a larger [deadlines] join"
)


class ESWiFiPreflight:
    """The checks, over the family session of one DUT link."""

    def __init__(self, link: DutLink, session: ESWiFiSession) -> None:
        self.link = link
        self.session = session

    def run(self) -> list[PreflightCheck]:
        """Answers at the baud rate, joined (CS 1) within the join deadline, an address, reachable."""
        session = self.session
        link = self.link
        deadlines = link.profile.deadlines
        session.settle_start(deadlines.quiet, deadlines.reply)
        session.drain()
        # The preflight polls and judges no reply count: a late answer is taken in order as the next one
        # (the case setup's barrier sorts out what is left when the cases begin).
        session.absorbing = True
        started = time.monotonic()
        baud = str(link.driver.identity().get("baud", ""))
        at_baud = f" at {baud} baud" if baud.isdigit() else ""
        status = self._connection_status()
        if status is None:
            answers = check(
                "answers",
                started,
                False,
                f"no reply to CS within {deadlines.reply:g} s{at_baud}",
                "check the port, --baud (the module's UART rate) and that it is an eS-WiFi in AT command mode",
            )
            return [answers, *not_checked("joined (CS)", "address", "reachable")]
        checks = [check("answers", started, True, f"CS is answered{at_baud}")]
        joining: tuple[str, str, int] | None = None
        started = time.monotonic()
        deadline = started + deadlines.join
        if status != b"1":
            joining = self._join_settings()
        if joining is not None:
            status = self._join(joining, deadline)
        while status != b"1" and time.monotonic() < deadline:
            session.watch(min(POLL_SECONDS, deadline - time.monotonic()))
            session.messages.clear()
            # A join that failed (no access point in reach yet) is tried again at each look.
            status = self._join(joining, deadline) if joining is not None else self._connection_status()
            if status is None:
                break
        if status == b"1":
            took = time.monotonic() - started
            how = f" (the suite joined {joining[0]!r}: C1, C2, C3, C0)" if joining is not None else ""
            checks.append(check("joined (CS)", started, True, f"CS answers 1 (joined) after {took:.1f} s{how}"))
        else:
            shown = "nothing" if status is None else repr(status.decode("ascii", "replace"))
            detail = (
                f"not joined to a network: CS answers {shown} after {deadlines.join:g} s (the profile's join deadline)"
            )
            checks.append(check("joined (CS)", started, False, detail, JOIN_ADVICE))
        address = address_check(link, self._module_address, "C? (IP address)")
        checks.append(address)
        where = link.host or link.driver.dut_host if address.ok else None
        checks.append(reachable_check(where, deadlines.reply))
        session.drain()
        return checks

    def _join_settings(self) -> tuple[str, str, int] | None:
        """The network the suite joins the module to (SSID, passphrase, security), if the profile says so."""
        network = self.link.profile.get("network", {})
        if not isinstance(network, dict) or not network.get("join"):
            return None
        return str(network.get("ssid", "")), str(network.get("passphrase", "")), int(network.get("security", 0))

    def _join(self, network: tuple[str, str, int], deadline: float) -> bytes | None:
        """C1, C2, C3, then C0 (each answered within the deadline); what CS answers then."""
        session = self.session
        for name, value in zip(("C1", "C2", "C3"), network, strict=True):
            session.command(name, value)
            if session.reply_or_none(self.link.profile.deadlines.reply) is None:
                session.reader.reset()
                return None
        session.command("C0")
        # A join may take up to the join deadline; its answer is waited for at least a reply's time.
        within = max(self.link.profile.deadlines.reply, deadline - time.monotonic())
        if session.reply_or_none(within) is None:
            session.reader.reset()
            return None
        session.messages.clear()
        return self._connection_status()

    def _connection_status(self) -> bytes | None:
        """What ``CS`` answers (its data; an error reply as ``ERROR``), or None when nothing came in time."""
        session = self.session
        session.command("CS")
        reply = session.reply_or_none(self.link.profile.deadlines.reply)
        if reply is None:
            session.reader.reset()
            return None
        if isinstance(reply, Reply):
            return reply.data.strip()
        return b"ERROR"

    def _module_address(self) -> str | None:
        try:
            address: str | None = self.session.module_address()
        except ConformanceFailure:
            return None
        return address
