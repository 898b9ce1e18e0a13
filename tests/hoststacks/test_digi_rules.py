"""The XBEE-HOST-DIGI cases' restatement of digi-xbee (src/sockconf/suites/xbee/digi.py), rule by rule,
against a scripted module: each rule takes what the library takes and breaks where the library breaks.

The same rules against the library itself: tests/hoststacks/test_digi_xbee.py.
"""

from __future__ import annotations

import time
import types
from collections import deque
from collections.abc import Callable

import pytest

from sockconf.core.trace import Trace
from sockconf.harness.expect import NoAnswer
from sockconf.harness.hoststack import HostStack, HostStackRun, StackBreak
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import ATCommandStatus, Protocol
from sockconf.suites.xbee import digi
from sockconf.suites.xbee.digi import DigiSocket, DigiXBee

Script = Callable[[fr.Frame], list[fr.Frame]]
IDENTITY = {
    b"AP": b"\x01",
    b"IM": b"353081090000001",
    b"MY": bytes((10, 0, 0, 2)),
    b"C0": b"\x00\x00",
    b"HV": b"\x4e\x01",
    b"VR": b"\x01\x14\x15",
    b"SH": b"\x00\x13\xa2\x00",
    b"SL": b"\x41\xb7\xc8\xd9",
    b"NI": b" ",
}


class ScriptedModule:
    """What the session gives DigiXBee: every frame sent goes to ``script``, whose frames come back."""

    def __init__(self, script: Script, alive: bool = True) -> None:
        self.script = script
        self.answers_a_probe = alive
        self.api_mode = 1
        self.driver = types.SimpleNamespace(trace=Trace())
        self.sent: list[fr.Frame] = []
        self.inbox: deque[fr.Frame] = deque()

    def send(self, frame: fr.Frame, owner: str = "", attribute: bool = True) -> bytes:
        self.sent.append(frame)
        self.inbox.extend(self.script(frame))
        return b""

    def take(self, deadline: float) -> list[fr.Frame]:
        if not self.inbox:
            time.sleep(max(0.0, deadline - time.monotonic()))  # a read that gets nothing until the deadline
        events, self.inbox = list(self.inbox), deque()
        return events

    def alive(self) -> bool:
        return self.answers_a_probe


def answers(frame: fr.Frame) -> list[fr.Frame]:
    """A module that answers everything as the library needs."""
    if isinstance(frame, fr.ATCommand):
        return [
            fr.ATCommandResponse(frame.frame_id, frame.command, ATCommandStatus.OK, IDENTITY.get(frame.command, b""))
        ]
    if isinstance(frame, fr.SocketCreate):
        return [fr.SocketCreateResponse(frame.frame_id, 0, 0)]
    if isinstance(frame, fr.SocketConnect):
        return [fr.SocketConnectResponse(frame.frame_id, frame.socket_id, 0), fr.SocketStatus(frame.socket_id, 0)]
    if isinstance(frame, fr.SocketBindListen):
        return [fr.SocketListenResponse(frame.frame_id, frame.socket_id, 0)]
    if isinstance(frame, fr.SocketClose):
        return [fr.SocketCloseResponse(frame.frame_id, frame.socket_id, 0)]
    if isinstance(frame, fr.SocketSend | fr.SocketSendTo):
        return [fr.TransmitStatus(frame.frame_id, 0)]
    return []


def device(script: Script = answers, alive: bool = True) -> tuple[DigiXBee, ScriptedModule]:
    item = types.SimpleNamespace(stash=pytest.Stash())
    run = HostStackRun(item, HostStack("digi", "xbee", "Digi digi-xbee", "", ""))  # type: ignore[arg-type]
    module = ScriptedModule(script, alive)
    return DigiXBee(run, module, network_wait=0.2), module  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library waits 4 s and 5 s; a module that never answers need not cost that here."""
    monkeypatch.setattr(digi, "AT_TIMEOUT", 0.2)
    monkeypatch.setattr(digi, "SOCKET_TIMEOUT", 0.2)


def test_open_reads_nine_settings_in_queued_frames_with_ids_01_to_09():
    dev, module = device()
    dev.open()
    assert [(type(f), f.frame_id, f.command) for f in module.sent] == [
        (fr.ATCommandQueue, i, c)
        for i, c in enumerate([b"AP", b"IM", b"MY", b"C0", b"HV", b"VR", b"SH", b"SL", b"NI"], 1)
    ]
    assert dev.run.steps[-1] == "CellularDevice.open: AT NI (0x09)" and not dev.run.broke


def test_frame_ids_run_01_to_ff_then_01_never_00():
    dev, _ = device()
    ids = [dev.next_frame_id() for _ in range(300)]
    assert ids[:3] == [1, 2, 3] and ids[254:257] == [0xFF, 1, 2] and 0 not in ids


@pytest.mark.parametrize(
    ("value", "breaks"),
    [
        ({b"HV": b"\x60\x01"}, "HV whose first byte is a cellular hardware code"),
        ({b"NI": b""}, "a value in the answer to AT NI"),
        ({b"IM": b"1234567890123456"}, "IM of at most 15 decimal digits"),
        ({b"AP": b"\x02"}, "AP 01 or 02, the API mode the module speaks"),
        ({b"SH": b"\x00" * 5}, "SH and SL of at most 8 bytes together"),
    ],
)
def test_open_breaks_on_values_the_library_refuses(monkeypatch, value, breaks):
    monkeypatch.setitem(IDENTITY, next(iter(value)), next(iter(value.values())))
    dev, _ = device()
    with pytest.raises(StackBreak, match=breaks):
        dev.open()
    assert dev.run.broke


@pytest.mark.parametrize("alive", [True, False])
def test_no_answer_breaks_the_library_unless_the_module_answers_nothing_at_all(alive):
    dev, _ = device(lambda frame: [], alive=alive)
    # A module that still answers a probe broke the stack; one that answers nothing at all is no verdict.
    with pytest.raises(StackBreak if alive else NoAnswer, match=r"a 0x88 with frame ID 01 and command AP"):
        dev.open()
    assert dev.run.broke is alive


def test_c0_may_fail():
    def no_c0(frame):
        if isinstance(frame, fr.ATCommand) and frame.command == b"C0":
            return [fr.ATCommandResponse(frame.frame_id, b"C0", ATCommandStatus.ERROR)]
        return answers(frame)

    dev, _ = device(no_c0)
    dev.open()
    assert not dev.run.broke


def test_an_at_answer_matches_by_frame_id_and_command_letter_case_aside_and_status_low_bits():
    def odd(frame):
        if isinstance(frame, fr.ATCommand):
            return [
                fr.ATCommandResponse(frame.frame_id, b"AI", 0, b"\x00"),  # another command: not the answer
                fr.ATCommandResponse(frame.frame_id + 1, b"NI", 0, b"x"),  # another frame ID: not the answer
                fr.ATCommandResponse(frame.frame_id, frame.command.lower(), 0x40, b"ok"),  # taken: 40 & 0F is OK
            ]
        return []

    dev, _ = device(odd)
    with dev.run.step("get_parameter(NI)"):
        assert dev.get_parameter(b"NI") == b"ok"


def test_the_first_answer_wins():
    def twice(frame):
        return [fr.SocketCloseResponse(frame.frame_id, frame.socket_id, s) for s in (0x20, 0x00)]

    dev, _ = device(twice)
    with pytest.raises(StackBreak, match="the 0xC3 with status 00"):
        dev.close(DigiSocket(Protocol.TCP, 0, connected=True))


def test_close_all_needs_a_0xc3_with_socket_id_ff():
    def socket_00(frame):
        return [fr.SocketCloseResponse(frame.frame_id, 0x00, 0)]

    dev, _ = device(socket_00)
    with pytest.raises(StackBreak, match=r"needs a 0xC3 with frame ID 01 and socket ID FF within 0\.2 s"):
        dev.close_all()
    dev, _ = device()
    dev.close_all()
    assert not dev.run.broke


def test_connect_takes_a_0xcf_that_comes_before_the_0xc2_and_breaks_on_a_refused_one():
    def status_first(frame):
        if isinstance(frame, fr.SocketConnect):
            return [fr.SocketStatus(frame.socket_id, 0), fr.SocketConnectResponse(frame.frame_id, frame.socket_id, 0)]
        return answers(frame)

    dev, module = device(status_first)
    sock = DigiSocket(Protocol.TCP)
    dev.connect(sock, "10.0.0.9", 4000)
    connect = module.sent[-1]
    assert isinstance(connect, fr.SocketConnect) and (connect.address_type, connect.address) == (1, b"10.0.0.9")
    assert sock.connected

    def refused(frame):
        if isinstance(frame, fr.SocketConnect):
            return [fr.SocketConnectResponse(frame.frame_id, frame.socket_id, 0), fr.SocketStatus(frame.socket_id, 2)]
        return answers(frame)

    dev, _ = device(refused)
    with pytest.raises(StackBreak, match="0xCF status 02"):
        dev.connect(DigiSocket(Protocol.TCP), "10.0.0.9", 4000)


def test_sendall_cuts_1500_byte_frames():
    dev, module = device()
    sock = DigiSocket(Protocol.TCP, 3, connected=True)
    dev.sendall(sock, bytes(3100))
    assert [len(f.payload) for f in module.sent] == [1500, 1500, 100]
    assert [f.frame_id for f in module.sent] == [1, 2, 3]


def test_received_data_with_a_pending_send_s_frame_id_is_taken_for_its_answer():
    def data_first(frame):
        if isinstance(frame, fr.SocketSend):
            return [fr.SocketReceive(frame.frame_id, frame.socket_id, 0, b"x"), fr.TransmitStatus(frame.frame_id, 0)]
        return answers(frame)

    dev, _ = device(data_first)
    sock = DigiSocket(Protocol.TCP, 0, connected=True)
    dev.received[0] = bytearray()
    with pytest.raises(StackBreak, match="took this frame for the answer to 0x44"):
        dev.sendall(sock, b"hello")


def test_received_data_needs_frame_id_00_even_with_nothing_pending():
    dev, module = device()
    sock = DigiSocket(Protocol.TCP, 0, connected=True)
    dev.received[0] = bytearray()
    module.inbox.append(fr.SocketReceive(0x07, 0, 0, b"x"))
    with pytest.raises(StackBreak, match="to carry frame ID 00"):
        dev.recv(sock, b"x")


def test_a_client_s_data_before_its_0xcc_is_lost_and_after_it_arrives():
    for late in (True, False):
        dev, module = device()
        listener = DigiSocket(Protocol.TCP, 0, bound_port=10001)
        dev.start_accept(listener)
        frames = [fr.SocketNewIPv4Client(0, 1, "10.0.0.9", 4000), fr.SocketReceive(0, 1, 0, b"hi")]
        module.inbox.extend(reversed(frames) if late else frames)
        conn, address = dev.accept(listener)
        assert (conn.socket_id, address) == (1, ("10.0.0.9", 4000))
        if late:
            with pytest.raises(StackBreak, match="data before that is dropped"):
                dev.recv(conn, b"hi")
        else:
            assert dev.recv(conn, b"hi") == b"hi"


def test_a_0xcc_while_no_accept_waits_is_lost():
    dev, module = device()
    listener = DigiSocket(Protocol.TCP, 0, bound_port=10001)
    module.inbox.append(fr.SocketNewIPv4Client(0, 1, "10.0.0.9", 4000))
    dev.close_all()  # the 0xCC is handled while this waits: no accept() is waiting
    dev.start_accept(listener)
    with pytest.raises(StackBreak, match="a 0xCC for listener 00"):
        dev.accept(listener)


def test_si_numbers_are_read_as_python_int_x_0():
    def listing(value: bytes):
        def script(frame):
            if isinstance(frame, fr.ATCommand) and frame.command == b"SI":
                return [fr.ATCommandResponse(frame.frame_id, b"SI", 0, value)]
            return answers(frame)

        return script

    dev, _ = device(listing(b"0x00\r1\r\r"))
    with dev.run.step("get_sockets_list()"):
        assert dev.get_sockets_list() == [0, 1]
    dev, _ = device(listing(b"00\r01\r\r"))
    with pytest.raises(StackBreak, match="'01' is not"), dev.run.step("get_sockets_list()"):
        dev.get_sockets_list()
    dev, _ = device(listing(b"0x01\rBound\rUDP\r10002\r0\r0.0.0.0\r\r"))
    with dev.run.step("get_socket_info(1)"):
        info = dev.get_socket_info(1)
    assert (info.socket_id, info.state, info.protocol, info.local_port) == (1, "Bound", Protocol.UDP, 10002)
