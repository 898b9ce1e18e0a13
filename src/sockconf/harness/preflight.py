"""The preflight: whether a DUT is ready to be tested, checked once before its first case.

A FAIL must mean the firmware is broken, but a module on a bench is often simply not ready (not
registered on the cellular network, not joined to an access point, in the wrong mode, or at an
address this host cannot reach). Each family's host declares its checks (``FamilyHost.preflight``);
this module runs them once per DUT link, holds the shared ones (the DUT's address, and whether this
host reaches it), and says what failed. A DUT whose preflight failed gets no verdict: its cases are
INCONCLUSIVE with the preflight's reason, and the run's exit status says "not tested"
(``NOT_TESTED``) unless some case FAILed.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable

from sockconf.core.record import PreflightCheck, preflight_failed
from sockconf.drivers.base import LinkLost
from sockconf.harness.link import DutLink, unusable

log = logging.getLogger(__name__)

# The run's exit status when some DUT failed its preflight (not tested) and no case FAILed.
NOT_TESTED = 6
# A port no module serves (tcpmux): a reachable host refuses a connection to it at once.
UNSERVED_PORT = 1
# How long to watch the line between two polls of a readiness setting, unless the module speaks first.
POLL_SECONDS = 1.0
SEED_NOTE = (
    "the module must have a public IP or be on a private network shared with this host to be reachable "
    "as a server (the vendor's note); run the suite where the module's address is routed (e.g. a private "
    "APN or VPN for a cellular module, the same Wi-Fi network for a Wi-Fi module) or give --dut-host"
)


def check(name: str, started: float, ok: bool | None, detail: str, advice: str = "") -> PreflightCheck:
    return PreflightCheck(name, ok, detail, advice if ok is False else "", round(time.monotonic() - started, 3))


def not_checked(*names: str) -> list[PreflightCheck]:
    """Checks that were not made because an earlier one failed."""
    return [PreflightCheck(name, None, "not checked: an earlier check failed") for name in names]


def usable_address(text: str | None) -> str | None:
    """``text`` as an IPv4 address a peer can connect to, or None (0.0.0.0, broadcast, not an address)."""
    if not text:
        return None
    try:
        address = ipaddress.IPv4Address(text.strip())
    except ValueError:
        return None
    return (
        None
        if address.is_unspecified or address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255")
        else str(address)
    )


def address_check(link: DutLink, ask: Callable[[], str | None], what: str) -> PreflightCheck:
    """The DUT's address for the peer: ``--dut-host``, the driver's, or the DUT's own answer (``what``)."""
    started = time.monotonic()
    if link.host:
        return check("address", started, True, f"{link.host} (given with --dut-host)")
    if link.driver.dut_host:
        return check("address", started, True, f"{link.driver.dut_host} (known to the {link.driver.name} driver)")
    answer = ask()
    address = usable_address(answer)
    if address is None:
        return check(
            "address",
            started,
            False,
            f"{what} gives no usable address ({answer or 'no answer'})",
            "let the module get an address (register / join) or give --dut-host ADDR",
        )
    link.host = address
    return check("address", started, True, f"{address} ({what})")


def reachable_check(address: str | None, within: float, bind: str = "") -> PreflightCheck:
    """Whether this host reaches ``address``, checked without the DUT's help.

    A TCP connection to a port the module does not serve is refused at once by a reachable host (or
    accepted); one that gets no answer within ``within`` seconds, or an unreachable route, means
    the peer cannot reach the module's servers either.
    """
    started = time.monotonic()
    if address is None:
        return PreflightCheck("reachable", None, "not checked: the DUT's address is unknown")
    try:
        conn = socket.create_connection(
            (address, UNSERVED_PORT), timeout=within, source_address=(bind, 0) if bind else None
        )
    except ConnectionRefusedError:
        return check("reachable", started, True, f"{address} refused a connection to port {UNSERVED_PORT} at once")
    except TimeoutError:
        detail = f"a connection to {address} port {UNSERVED_PORT} got no answer within {within:g} s"
        return check("reachable", started, False, detail, SEED_NOTE)
    except OSError as exc:
        detail = f"a connection to {address} failed: {exc.strerror or exc}"
        return check("reachable", started, False, detail, SEED_NOTE)
    conn.close()
    return check("reachable", started, True, f"{address} accepted a connection to port {UNSERVED_PORT}")


def run_preflight(link: DutLink, checks: Callable[[], list[PreflightCheck]]) -> list[PreflightCheck]:
    """Run a DUT's preflight once and keep the outcome on its link (``preflight``, ``not_ready``)."""
    started = time.monotonic()
    try:
        result = checks()
    except LinkLost as exc:
        unusable(link, exc)
        result = [check("link", started, False, f"the link to the DUT closed: {exc}", "check the port and the cable")]
    link.preflight = result
    failed = preflight_failed(result)
    if failed:
        # The cases say what was found; what to do is said once for the run (``announce``).
        link.not_ready = "; ".join(f"{c.name}: {c.detail}" for c in failed)
        log.warning("%s is not ready: %s", link.profile.name, "; ".join(c.line() for c in failed))
    link.driver.trace.restart()  # the first case's trace starts after the preflight
    return result


def announce(profile: str, checks: list[PreflightCheck]) -> list[str]:
    """The lines that tell the user a DUT is not ready and what to do (one per failed check)."""
    failed = preflight_failed(checks)
    if not failed:
        return []
    head = f"sockconf preflight: {profile} is not ready; its cases are INCONCLUSIVE (not tested)"
    return [head, *(f"  {c.line()}" for c in failed)]
