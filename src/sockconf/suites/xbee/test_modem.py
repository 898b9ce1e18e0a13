"""XBEE-MODEM: a module reset (AT FR) and the Modem Status frames (0x8A) after it (spec §2; profile feature
"modem-status", NOT APPLICABLE without it).

FR is answered 0x88 status 00; then the module restarts. What lived in its RAM is gone: every socket (the IDs
are free, the ports no longer listen), queued 0x09 sets and every setting not written with WR. It announces
itself with 0x8A 00 (power up) or 01 (watchdog reset), and with 0x8A 02 once it is registered again.

UNCONFIRMED: which of 00 and 01 follows FR. The cellular guides list both codes without saying which a
software reset gives, and Digi's own xbee-python (``XBeeDevice.reset``) accepts either after its FR; both
PASS here. Other 0x8A codes on the way (03 unregistered, 0E Remote Manager connected, ...) are passed over.
Whether the module sends 0xCF for the sockets it loses is not checked (the emulator sends none).

After FR the module speaks its *stored* API mode, which the suite does not know. Until it has set the
session's mode again it therefore sends only frames whose bytes need no escaping (they read the same in AP=1
and AP=2), and the module's 0x8A frames are such frames too. Each case waits for the module to come back and
sets the session's mode again even when it fails, so the next case's setup finds the module as it expects.

Every wait after FR is bounded by the profile's reset deadline (``[deadlines] reset``), counted from the FR.
On real hardware these cases restart the module: write its API mode with WR before the run, and give the
profile a larger reset deadline where the cellular network takes longer to register it again.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from collections.abc import Iterator, Sequence

import pytest

from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.expect import ANY, ConformanceFailure, Expect, describe
from sockconf.harness.link import DutLink, LinkLost
from sockconf.harness.peer import Peer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import encode
from sockconf.protocol.xbee.status import ATCommandStatus, ModemStatusCode, Protocol
from sockconf.suites.xbee.exchange import create, freed, listen, listener_gone, open_listener, require

PORT = 10071
UDP_PORT = 10072
RESET_STATUSES = (ModemStatusCode.POWER_UP, ModemStatusCode.WATCHDOG_RESET)

# The frame ID of the AT AP set sent while the module's API mode is unknown: with it, the sets to 01 and 02
# and their reply contain no 7E 7D 11 13, so their bytes are the same in AP=1 and AP=2 (as are 0x8A frames).
# Not the frame ID the framing cases give their bad frames: a late answer to one is never taken for this one.
NEUTRAL_FRAME_ID = 0x5B


def _mode_neutral(frame: fr.Frame) -> bool:
    return encode(frame, 1) == encode(frame, 2)


assert all(
    _mode_neutral(f)
    for mode in (b"\x01", b"\x02")
    for f in (
        fr.ATCommand(NEUTRAL_FRAME_ID, b"AP", mode),
        fr.ATCommandResponse(NEUTRAL_FRAME_ID, b"AP", ATCommandStatus.OK),
        *(fr.ModemStatus(code) for code in ModemStatusCode),
    )
)


class Reset:
    """One FR and what follows it, step by step; ``recover`` brings the module back to the session's mode."""

    def __init__(self, xbee: XBeeSession, request: pytest.FixtureRequest, dut_link: DutLink) -> None:
        self.xbee = xbee
        self.request = request
        self.dut_link = dut_link
        self.deadline = 0.0
        self.sent = False
        self.registered = False
        self.restored = False
        self.passed_over: list[fr.Frame] = []

    def force(self, requirement: str) -> None:
        """AT FR (0x08) → 0x88 FR status 00 without a value; the reset deadline starts with the request."""
        xbee = self.xbee
        for stale in [e for e in xbee.inbox if isinstance(e, fr.ModemStatus)]:
            xbee.inbox.remove(stale)  # a 0x8A from before the FR says nothing about it
        fid = xbee.next_frame_id()
        xbee.send(fr.ATCommand(fid, b"FR"))
        self.sent = True
        self.deadline = time.monotonic() + xbee.profile.deadlines.reset
        xbee.expect(
            Expect(fr.ATCommandResponse, frame_id=fid, command=b"FR", status=ATCommandStatus.OK, value=b""),
            requirement=requirement,
        )

    def modem_status(self, wanted: Sequence[ModemStatusCode], requirement: str) -> fr.ModemStatus:
        """The first 0x8A with one of the ``wanted`` codes before the reset deadline (other codes are passed over)."""
        xbee = self.xbee
        while True:
            if not xbee.arrives(fr.ModemStatus, max(0.0, self.deadline - time.monotonic())):
                raise ConformanceFailure(
                    requirement,
                    [str(Expect(fr.ModemStatus, status=code)) for code in wanted],
                    [describe(e) for e in [*self.passed_over, *xbee.inbox]],
                    [f"no such 0x8A within {xbee.profile.deadlines.reset:g} s of the FR"],
                    xbee.driver.trace.last_received(),
                )
            frame = xbee.expect(Expect(fr.ModemStatus, status=ANY), within=0, requirement=requirement)
            assert isinstance(frame, fr.ModemStatus)
            if frame.status in wanted:
                self.registered |= frame.status == ModemStatusCode.REGISTERED
                return frame
            self.passed_over.append(frame)

    def back(self) -> None:
        """The module has registered again (0x8A 02) and speaks the session's API mode: the case may go on."""
        if not self.registered:
            self.modem_status([ModemStatusCode.REGISTERED], "precondition: the module registers again (0x8A 02)")
        self.restore_api_mode()

    def restore_api_mode(self) -> None:
        """AT AP set to the session's mode, in bytes the module reads alike in its stored mode, whichever it is."""
        xbee = self.xbee
        xbee.send(fr.ATCommand(NEUTRAL_FRAME_ID, b"AP", bytes((xbee.api_mode,))))
        xbee.expect(
            Expect(
                fr.ATCommandResponse, frame_id=NEUTRAL_FRAME_ID, command=b"AP", status=ATCommandStatus.OK, value=b""
            ),
            requirement=f"after FR, AT AP {xbee.api_mode:02X} (the session's API mode) is answered 0x88 status 00",
        )
        self.restored = True
        if self.request.config.getoption("dut_host") is None:
            # A restarted module may have a new address (a new data connection); the peer must follow it.
            my = xbee.at(b"MY").value
            if len(my) == 4 and any(my):
                self.dut_link.host = str(ipaddress.IPv4Address(my))

    def recover(self) -> None:
        """After the case, passed or failed: wait for the module (to the reset deadline), then set the session AP."""
        if not self.sent or self.restored:
            return
        with contextlib.suppress(ConformanceFailure, LinkLost):  # the case's own verdict stands
            if not self.registered:
                self.modem_status([ModemStatusCode.REGISTERED], "after the case: the module is back (0x8A 02)")
        with contextlib.suppress(ConformanceFailure, LinkLost):
            self.restore_api_mode()
        for stale in [e for e in self.xbee.inbox if isinstance(e, fr.ModemStatus)]:
            self.xbee.inbox.remove(stale)


@pytest.fixture
def reset(request: pytest.FixtureRequest, xbee: XBeeSession, dut_link: DutLink) -> Iterator[Reset]:
    """NOT APPLICABLE without the profile feature "modem-status"; afterwards the module is in the session's mode."""
    require(xbee, "modem-status")
    watch = Reset(xbee, request, dut_link)
    try:
        yield watch
    finally:
        watch.recover()


def _query(xbee: XBeeSession, command: bytes, requirement: str) -> bytes:
    fid = xbee.next_frame_id()
    reply = xbee.request(
        fr.ATCommand(fid, command),
        Expect(fr.ATCommandResponse, frame_id=fid, command=command, status=ATCommandStatus.OK),
        requirement=requirement,
    )
    assert isinstance(reply, fr.ATCommandResponse)
    return reply.value


@case(
    "XBEE-MODEM-01",
    "AT FR is answered 0x88 status 00, then the module restarts and sends 0x8A 00 (power up) or 01 (watchdog "
    "reset; which one is UNCONFIRMED) within the reset deadline",
    verifies=("XBEE-SPEC-AT-0x88", "XBEE-SPEC-MODEM-0x8A"),
)
def test_reset_is_announced(request: pytest.FixtureRequest, xbee: XBeeSession, reset: Reset, api_mode: int) -> None:
    reset.force(xbee.requirement)
    status = reset.modem_status(RESET_STATUSES, xbee.requirement).status
    choice = "power-up" if status == ModemStatusCode.POWER_UP else "watchdog"
    silent.observed(request, "XBEE-SILENT-RESET-MODEM-STATUS", choice, f"0x8A {status:02X} after FR")


@case(
    "XBEE-MODEM-02",
    "after FR the module reports 0x8A 02 (registered) within the reset deadline and then answers AT queries "
    "again, with the same firmware (VR)",
    verifies=("XBEE-SPEC-MODEM-0x8A", "XBEE-SPEC-IDENTITY"),
)
def test_registered_again(xbee: XBeeSession, reset: Reset, api_mode: int) -> None:
    firmware = _query(xbee, b"VR", "precondition: VR can be queried")
    reset.force("precondition: AT FR is answered 0x88 status 00")
    reset.modem_status([ModemStatusCode.REGISTERED], xbee.requirement)
    reset.restore_api_mode()
    after = _query(xbee, b"VR", "after FR and 0x8A 02, an AT query (VR) is answered 0x88 status 00")
    if after != firmware:
        raise ConformanceFailure(
            xbee.requirement, [f"VR {firmware.hex().upper()}"], [f"VR {after.hex().upper()}"], ["VR changed"]
        )


@case(
    "XBEE-MODEM-03",
    "sockets created before FR are gone after it: 0x43 on their IDs answers 20 (bad socket ID) and the "
    "listener's port accepts no connection",
    verifies=("XBEE-SPEC-MODEM-0x8A", "XBEE-SPEC-CLOSE-STATUS"),
)
def test_sockets_gone_after_reset(xbee: XBeeSession, reset: Reset, peer: Peer, api_mode: int) -> None:
    listener = open_listener(xbee, PORT)
    old = [listener]
    if xbee.profile.has("udp"):
        udp = create(xbee, Protocol.UDP)
        listen(xbee, udp, UDP_PORT, requirement=f"precondition: a UDP socket binds port {UDP_PORT} (0xC6 status 00)")
        old.append(udp)
    reset.force("precondition: AT FR is answered 0x88 status 00")
    reset.back()
    for sid in old:
        freed(xbee, sid, f"after FR, socket {sid:02X} from before it is gone: 0x43 on it answers 20 (bad socket ID)")
    listener_gone(peer, PORT, f"after FR, nothing listens on port {PORT} any more")


@case(
    "XBEE-MODEM-04",
    "an AT setting changed without WR (NI, set by 0x08 or queued by 0x09) does not survive FR",
    verifies=("XBEE-SPEC-AT-0x08", "XBEE-SPEC-AT-0x09", "XBEE-SPEC-MODEM-0x8A"),
)
@pytest.mark.parametrize("queue", [False, True], ids=["0x08", "0x09"])
def test_unsaved_setting_reverts(xbee: XBeeSession, reset: Reset, api_mode: int, queue: bool) -> None:
    original = _query(xbee, b"NI", "precondition: NI can be queried")
    value = b"sockconf unsaved" if original != b"sockconf unsaved" else b"sockconf unsaved 2"
    fid = xbee.next_frame_id()
    frame = fr.ATCommandQueue(fid, b"NI", value) if queue else fr.ATCommand(fid, b"NI", value)
    try:
        xbee.request(
            frame,
            Expect(fr.ATCommandResponse, frame_id=fid, command=b"NI", status=ATCommandStatus.OK, value=b""),
            requirement=f"precondition: AT NI set ({frame.NAME}) is answered 0x88 status 00",
        )
        reset.force("precondition: AT FR is answered 0x88 status 00")
        reset.back()
        after = _query(xbee, b"NI", "after FR, NI can be queried")
        if after == value:
            raise ConformanceFailure(
                xbee.requirement,
                [f"NI not {value!r} (the value set without WR)"],
                [f"NI {after!r}"],
                ["a setting that was never written survived the reset"],
            )
    except BaseException:
        reset.recover()
        with contextlib.suppress(ConformanceFailure, LinkLost):  # the case's own failure is the one to report
            xbee.at(b"NI", original)
        raise
    xbee.at(b"NI", original)  # the module outlives the case: its running NI as before
