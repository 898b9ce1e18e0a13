"""ESWIFI-JOIN and ESWIFI-INFO: the module as a Wi-Fi station (``C1``-``C4``, ``C0``, ``CD``, ``CS``, ``C?``)
and what it says about itself (``I?``, ``Z5``).

Sources (docs/spec/eswifi-servers.md §2, docs/host-stacks.md): Inventek's "How to Send data" page (the
join sequence ``C1``, ``C2``, ``C3``, ``C0``), and the host drivers that read the replies: ST's es_wifi.c,
Zephyr's eswifi, Arm Mbed's wifi-ism43362, Arm's CMSIS-Driver. Where several drivers read a field the
same way the case requires it; ``C0``'s data, ``C0`` on a joined module, ``C?`` field 1 and ``I?``'s
fields are silent points: every choice is accepted and recorded.

The join cases leave the network and join it again: they run where the profile names the network the
module is on (feature ``join``, ``[device.network]``), and a case that fails half way joins the module
again before it reports, so the cases after it still find it on the network.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator

from sockconf.harness.cases import case
from sockconf.harness.eswifi import AN_ERROR, ESWiFiSession, ok_with
from sockconf.harness.expect import show_bytes
from sockconf.harness.peer import Peer
from sockconf.protocol.eswifi import ErrorReply, Reply
from sockconf.suites.eswifi.transport import fields, need

JOIN_LINE = "[JOIN   ] "
ABSENT_SSID = "sockconf-no-such-network"
# I? field 1: 'C' and a version of four dotted numbers (C3.5.2.5.STM), as Mbed's get_firmware_version and
# Arm's CMSIS-Driver (WiFi_Initialize) read it.
FIRMWARE = re.compile(r"C\d+\.\d+\.\d+\.\d+")
MAC = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")


def network(eswifi: ESWiFiSession) -> tuple[str, str, int]:
    """The network the module is on (the profile's ``[device.network]``): SSID, passphrase, security."""
    need(eswifi, "join")
    net = eswifi.profile.get("network", {})
    return str(net.get("ssid", "")), str(net.get("passphrase", "")), int(net.get("security", 0))


def configure(eswifi: ESWiFiSession, ssid: str, passphrase: str, security: int) -> None:
    """``C1``, ``C2``, ``C3`` and ``C4=1`` (DHCP), each answered with OK."""
    eswifi.ok("C1", ssid, requirement=f"C1={ssid} (SSID) is answered with OK")
    eswifi.ok("C2", passphrase, requirement="C2=<passphrase> is answered with OK (C2= empty for an open network)")
    eswifi.ok("C3", security, requirement=f"C3={security} (security) is answered with OK")
    eswifi.ok("C4", 1, requirement="C4=1 (DHCP) is answered with OK")


def status(eswifi: ESWiFiSession, requirement: str) -> bytes:
    """What ``CS`` answers (its data)."""
    reply = eswifi.ok("CS", requirement=requirement)
    return reply.data.strip()


def joined_within(eswifi: ESWiFiSession, requirement: str) -> None:
    """``CS`` answers 1 within the profile's join deadline."""
    deadline = time.monotonic() + eswifi.profile.deadlines.join
    while (got := status(eswifi, requirement)) != b"1":
        if time.monotonic() >= deadline:
            eswifi.fail(
                requirement, ["CS answers 1"], [repr(got)], [f"not joined {eswifi.profile.deadlines.join:g} s on"]
            )
        eswifi.watch(min(0.2, max(0.0, deadline - time.monotonic())))


def join(eswifi: ESWiFiSession, requirement: str) -> Reply:
    """The profile's network: C1-C4, then C0 answered with OK within the join deadline, then CS 1."""
    ssid, passphrase, security = network(eswifi)
    configure(eswifi, ssid, passphrase, security)
    eswifi.command("C0")
    reply = eswifi.reply(ok_with(), requirement=requirement, within=eswifi.profile.deadlines.join)
    assert isinstance(reply, Reply)
    joined_within(eswifi, f"after C0, CS answers 1 ({requirement})")
    return reply


@contextlib.contextmanager
def rejoined_on_failure(eswifi: ESWiFiSession) -> Iterator[None]:
    """Join the module again when the case fails while it is off the network, then report the failure."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            eswifi.drain()
            join(eswifi, "after a failed case the module joins its network again")
        raise


@case(
    "ESWIFI-JOIN-01",
    "CD leaves the network (CS 0); C1, C2, C3 and C0 join it again: C0 answers OK (its [JOIN   ] line is "
    "UNCONFIRMED, recorded), CS answers 1 and C? shows the SSID (field 0) and the module's address (field 5)",
    verifies=("ESWIFI-SPEC-JOIN-SETTINGS", "ESWIFI-SPEC-C0", "ESWIFI-SPEC-CD", "ESWIFI-SPEC-CS", "ESWIFI-SPEC-C?"),
)
def test_leave_and_join(eswifi: ESWiFiSession, peer: Peer) -> None:
    ssid, passphrase, _ = network(eswifi)
    with rejoined_on_failure(eswifi):
        eswifi.ok("CD", requirement="CD (leave the network) is answered with OK")
        got = status(eswifi, "CS is answered after CD")
        if got != b"0":
            eswifi.fail("after CD, CS answers 0 (not joined)", ["0"], [repr(got)], ["the module says it is joined"])
        reply = join(eswifi, "C0 joins the network C1-C3 name and is answered with OK")
    text = reply.data.decode("ascii", "replace")
    if text.startswith(JOIN_LINE) and text[len(JOIN_LINE) :].startswith(f"{ssid},"):
        eswifi.observe_once("ESWIFI-SILENT-JOIN-REPLY", "join-line", text)
    elif not reply.data:
        eswifi.observe_once("ESWIFI-SILENT-JOIN-REPLY", "bare-ok", "C0 answered OK with no data")
    else:
        eswifi.on_unconfirmed(eswifi.requirement, f"C0's data {text!r} is neither the [JOIN   ] line nor empty")
    settings = eswifi.ok("C?", requirement="C? (network settings) is answered with OK")
    shown = fields(settings)
    want = peer.dut_host
    if len(shown) < 6 or shown[0] != ssid or shown[5] != want:
        eswifi.fail(
            "C? shows the SSID in field 0 and the module's address in field 5 (as ST's es_wifi.c, stm32duino and "
            "Arm's CMSIS-Driver read it)",
            [f"{ssid},...,{want},..."],
            [show_bytes(settings.data, 96)],
            [f"fields 0 and 5: {shown[:1] + shown[5:6]}"],
        )
    if not passphrase:
        choice = "empty" if shown[1] == "" else "non-empty"
        eswifi.observe_once("ESWIFI-SILENT-C-FIELDS", choice, f"C? field 1 is {shown[1]!r} with no passphrase set")


@case(
    "ESWIFI-JOIN-02",
    "C0 on a module that has joined is refused with the error form (Already connected!, as Arm's CMSIS-Driver "
    "reads it) or joins again with OK (UNCONFIRMED, recorded); either way the module is still joined",
    verifies=("ESWIFI-SPEC-C0", "ESWIFI-SPEC-CS"),
)
def test_join_when_joined(eswifi: ESWiFiSession) -> None:
    network(eswifi)
    with rejoined_on_failure(eswifi):
        eswifi.command("C0")
        reply = eswifi.reply(ok_with(), AN_ERROR, requirement=eswifi.requirement, within=eswifi.profile.deadlines.join)
        if isinstance(reply, ErrorReply):
            eswifi.observe_once("ESWIFI-SILENT-JOIN-WHEN-JOINED", "already-connected", f"ERROR: {reply.reason}")
        else:
            eswifi.observe_once("ESWIFI-SILENT-JOIN-WHEN-JOINED", "rejoin", "C0 answered OK")
        joined_within(eswifi, "after C0 on a joined module, CS answers 1")


@case(
    "ESWIFI-JOIN-03",
    "C0 to a network nobody serves is not answered with OK (the error form) and CS then answers 0",
    kind="negative",
    verifies=("ESWIFI-SPEC-C0", "ESWIFI-SPEC-CS"),
)
def test_join_that_fails(eswifi: ESWiFiSession) -> None:
    _, passphrase, security = network(eswifi)
    with rejoined_on_failure(eswifi):
        eswifi.ok("CD", requirement="CD (leave the network) is answered with OK")
        configure(eswifi, ABSENT_SSID, passphrase, security)
        eswifi.command("C0")
        eswifi.reply(AN_ERROR, requirement=eswifi.requirement, within=eswifi.profile.deadlines.join)
        got = status(eswifi, "CS is answered after a failed join")
        if got != b"0":
            eswifi.fail(eswifi.requirement, ["CS answers 0"], [repr(got)], ["the module says it joined"])
    join(eswifi, "after a failed join, C0 joins the profile's network again")


@case(
    "ESWIFI-INFO-01",
    "I? is answered with OK: the product ID, then the firmware as 'C' and a dotted version (as Mbed and Arm's "
    "CMSIS-Driver read it); 7 fields (ST's es_wifi.c) or fewer is UNCONFIRMED, recorded",
    verifies=("ESWIFI-SPEC-I?",),
)
def test_module_information(eswifi: ESWiFiSession) -> None:
    reply = eswifi.ok("I?", requirement="I? (module information) is answered with OK")
    shown = [f.strip() for f in reply.data.decode("ascii", "replace").split(",")]
    if len(shown) < 2 or not shown[0] or not FIRMWARE.match(shown[1]):
        eswifi.fail(
            eswifi.requirement,
            ["<product ID>,C<a>.<b>.<c>.<d>...,..."],
            [show_bytes(reply.data, 96)],
            ["no product ID, or field 1 is not C and a version of four numbers"],
        )
    if len(shown) == 7:
        eswifi.observe_once("ESWIFI-SILENT-I-FIELDS", "seven", reply.data.decode("ascii", "replace"))
    elif len(shown) == 3:
        eswifi.observe_once("ESWIFI-SILENT-I-FIELDS", "short", reply.data.decode("ascii", "replace"))
    else:
        eswifi.on_unconfirmed(eswifi.requirement, f"I? has {len(shown)} fields, neither 7 nor 3: {shown}")


@case(
    "ESWIFI-INFO-02",
    "Z5 answers the MAC address as six hex pairs separated by ':' (as ST's es_wifi.c, Zephyr and Mbed read it)",
    verifies=("ESWIFI-SPEC-Z5",),
)
def test_mac_address(eswifi: ESWiFiSession) -> None:
    reply = eswifi.ok("Z5", requirement="Z5 (MAC address) is answered with OK")
    text = reply.data.decode("ascii", "replace").strip()
    if not MAC.fullmatch(text):
        eswifi.fail(eswifi.requirement, ["XX:XX:XX:XX:XX:XX"], [repr(text)], ["not six hex pairs separated by ':'"])
