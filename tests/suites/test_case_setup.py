"""The shared case-setup rules (sockconf.harness.link.prepare_case), with a stand-in DUT: one more try for a
setup answered wrongly, none for silence, and the DUT's health counted for the fast end of a run."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from sockconf.core.record import InconclusiveCase
from sockconf.core.trace import NOTE, Trace
from sockconf.drivers.base import Driver, DriverConfig
from sockconf.harness.expect import ConformanceFailure, NoAnswer
from sockconf.harness.link import DutLink, prepare_case
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.profile import Deadlines, Profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import Decoder, encode


class Setup:
    """A case setup that raises the given outcomes in turn (None: it completes)."""

    def __init__(self, *outcomes: BaseException | None) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> None:
        outcome = self.outcomes[self.calls]
        self.calls += 1
        if outcome is not None:
            raise outcome


def link() -> tuple[DutLink, Any]:
    driver = SimpleNamespace(trace=Trace())
    return DutLink(driver=driver, profile=None), driver  # type: ignore[arg-type]


WRONG = ConformanceFailure("before each case, Socket Close 0xFF is answered", ["0xC3"], ["0x88"], ["wrong frame"])
SILENT = NoAnswer("before each case, Socket Close 0xFF is answered", ["0xC3"], ["nothing"], ["no frame"])


def test_a_setup_answered_wrongly_once_is_tried_again_and_the_trace_says_so():
    dut_link, driver = link()
    setup = Setup(WRONG, None)
    prepare_case(dut_link, setup, "hint")
    assert setup.calls == 2
    assert dut_link.silent == 0
    (entry,) = driver.trace.entries
    assert entry.direction == NOTE and "second try" in entry.text and "Socket Close 0xFF" in entry.text


def test_a_setup_answered_wrongly_twice_is_inconclusive():
    dut_link, _ = link()
    setup = Setup(WRONG, WRONG)
    with pytest.raises(InconclusiveCase, match="INCONCLUSIVE: the case setup failed twice"):
        prepare_case(dut_link, setup, "wrong API mode?")
    assert setup.calls == 2
    assert dut_link.silent == 1 and dut_link.why == "answered the case setup wrongly"


def test_a_silent_dut_is_not_asked_twice():
    dut_link, _ = link()
    setup = Setup(SILENT, None)
    with pytest.raises(InconclusiveCase, match="INCONCLUSIVE: the DUT did not answer the case setup"):
        prepare_case(dut_link, setup, "hint")
    assert setup.calls == 1  # every try would wait out the deadline again
    assert dut_link.silent == 1


def test_a_clean_setup_runs_once_and_leaves_an_empty_trace():
    dut_link, driver = link()
    driver.trace.record(NOTE, text="from the setup")
    setup = Setup(None)
    prepare_case(dut_link, setup, "hint")
    assert setup.calls == 1 and driver.trace.entries == [] and dut_link.silent == 0


class OneFramePerRead(Driver):
    """A stand-in XBee that takes everything written since it last answered as one UART read and
    handles only that read's first frame (a real module's bug; the framing cases exist to catch it)."""

    name = "one-frame-per-read"

    def __init__(self) -> None:
        super().__init__(DriverConfig(profile=XBEE_PROFILE))
        self.pending = b""
        self.handled: list[str] = []

    def open(self) -> None:
        pass

    def _send(self, data: bytes) -> None:
        self.pending += data

    def _recv(self, timeout: float) -> bytes | None:
        events, self.pending = Decoder(1).feed(self.pending), b""
        frame = next((e for e in events if isinstance(e, fr.Frame)), None)
        if isinstance(frame, fr.SocketClose):
            self.handled.append("close")
            return encode(fr.SocketCloseResponse(frame.frame_id, frame.socket_id, 0), 1)
        if isinstance(frame, fr.ATCommand):
            self.handled.append(frame.command.decode())
            return encode(fr.ATCommandResponse(frame.frame_id, frame.command, 0, b"\x01"), 1)
        return b""

    def _close(self) -> None:
        pass


XBEE_PROFILE = Profile(
    name="stand-in", family="xbee", description="", device={"api_mode": 1}, deadlines=Deadlines(reply=0.2)
)


def test_a_module_that_handles_one_frame_per_read_still_gets_clean_case_setups():
    # The first setup sends the close and the query back to back, loses the query, and is tried again
    # with the query sent after the close is answered; every later setup is sent that way at once.
    driver = OneFramePerRead()
    dut_link = DutLink(driver=driver, profile=XBEE_PROFILE)
    session = XBeeSession(driver, XBEE_PROFILE)
    for _ in range(3):
        prepare_case(dut_link, session.reset, "hint")
    assert driver.handled == ["close", "close", "AP", "close", "AP", "close", "AP"]
    assert dut_link.silent == 0


class Answering(Driver):
    """A stand-in XBee that answers each frame written (0x43 with 0xC3, an AT query with 0x88), one
    write's answers per read; ``stale`` is read first (a late answer to an earlier query), and
    ``echo`` replaces the frame ID of every AT answer when set (a DUT that does not echo them)."""

    name = "answering"

    def __init__(self, stale: bytes = b"", echo: int | None = None) -> None:
        super().__init__(DriverConfig(profile=XBEE_PROFILE))
        self.reads: list[bytes] = [stale] if stale else []
        self.echo = echo

    def open(self) -> None:
        pass

    def _send(self, data: bytes) -> None:
        out = b""
        for frame in (e for e in Decoder(1).feed(data) if isinstance(e, fr.Frame)):
            if isinstance(frame, fr.SocketClose):
                out += encode(fr.SocketCloseResponse(frame.frame_id, frame.socket_id, 0), 1)
            elif isinstance(frame, fr.ATCommand):
                fid = frame.frame_id if self.echo is None else self.echo
                out += encode(fr.ATCommandResponse(fid, frame.command, 0, b"\x01"), 1)
        self.reads.append(out)

    def _recv(self, timeout: float) -> bytes | None:
        return self.reads.pop(0) if self.reads else b""

    def _close(self) -> None:
        pass


def test_a_late_answer_to_an_earlier_query_does_not_stand_in_for_the_setups():
    stale = encode(fr.ATCommandResponse(0xEE, b"AP", 0, b"\x01"), 1)
    driver = Answering(stale=stale)
    session = XBeeSession(driver, XBEE_PROFILE)
    prepare_case(DutLink(driver=driver, profile=XBEE_PROFILE), session.reset, "hint")
    # The setup's own answer was taken: none is left to arrive inside the case.
    assert not session.arrives(fr.ATCommandResponse, within=0.05)
    assert not session.frame_ids_unreliable


def test_a_dut_that_does_not_echo_frame_ids_still_gets_clean_case_setups():
    driver = Answering(echo=0x00)
    dut_link = DutLink(driver=driver, profile=XBEE_PROFILE)
    session = XBeeSession(driver, XBEE_PROFILE)
    for _ in range(3):
        prepare_case(dut_link, session.reset, "hint")
    assert session.frame_ids_unreliable and dut_link.silent == 0
