"""Digi's digi-xbee 1.5 (xbee-python) as the XBEE-HOST-DIGI cases drive the module: its rules, in our words.

A product built on ``digi.xbee.devices.CellularDevice`` and ``digi.xbee.xsocket.socket`` sends what
this module sends, in the same order, with frame IDs drawn as the library draws them, and takes a
frame for the answer to a request only where the library would. Each rule names the library's file
and function (repository digidotcom/xbee-python, paths under ``digi/xbee/``); docs/host-stacks.md
("XBee: Digi digi-xbee") states them with the requirement IDs the cases verify. Nothing of the library
is imported: the suite must not depend on it.

The library runs a reader thread that hands every frame to callbacks; this imitation is one thread,
so it handles the frames in the order they came and, at each wait, stops handling them once the wait
is over (the library's waiting call returns, the caller goes on, the frames behind are handled next).
That is the library winning its own races; what it loses for certain (data for a socket it does not
know yet) is lost here too.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sockconf.core.trace import NOTE
from sockconf.harness.expect import NoAnswer, describe, show_bytes
from sockconf.harness.hoststack import HostStackRun
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import DecodeEvent, Event
from sockconf.protocol.xbee.status import AddressType, Protocol

SENDER = "digi/xbee/sender.py SyncRequestSender._packet_received_cb"
# devices.py _DEFAULT_TIMEOUT_SYNC_OPERATIONS: how long an AT request (0x08, 0x09) waits for its answer.
AT_TIMEOUT = 4.0
# xsocket.py socket.__DEFAULT_TIMEOUT: how long a socket request waits, and connect() for its 0xCF after the 0xC2.
SOCKET_TIMEOUT = 5.0
# xsocket.py socket.__MAX_PAYLOAD_BYTES: send(), sendall() and sendto() cut longer data into frames of this size.
MAX_PAYLOAD = 1500
# What open() reads, in order, each in a 0x09 frame (devices.py XBeeDevice._determine_operating_mode,
# CellularDevice._read_device_info, IPDevice._read_device_info, AbstractXBeeDevice._read_device_info).
OPEN_QUERIES = (b"AP", b"IM", b"MY", b"C0", b"HV", b"VR", b"SH", b"SL", b"NI")
# HV first bytes the library takes for a cellular module (models/protocol.py XBeeProtocol.determine_protocol);
# with any other, CellularDevice.open raises "incompatible protocol".
CELLULAR_HV = frozenset({0x40, 0x44, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4D, 0x4E, 0x54, 0x55, 0x56, 0x58, 0x59})
# The frames whose class in the library carries a frame ID (its packets' needs_id()): only these can
# be taken for the answer to a request. 0xCC, 0xCF and 0x8A have none.
WITH_FRAME_ID: tuple[type[fr.Frame], ...] = (
    fr.ATCommandResponse,
    fr.TransmitStatus,
    fr.SocketCreateResponse,
    fr.SocketOptionResponse,
    fr.SocketConnectResponse,
    fr.SocketCloseResponse,
    fr.SocketListenResponse,
    fr.SocketReceive,
    fr.SocketReceiveFrom,
)
# SI's state and protocol words the library knows (models/status.py SocketInfoState,
# models/protocol.py IPProtocol); any other state reads as "Unknown", any other protocol as none.
SI_STATES = ("Allocated", "Connecting", "Connected", "Listening", "Bound", "Closing")
SI_PROTOCOLS = {"UDP": Protocol.UDP, "TCP": Protocol.TCP, "TLS": Protocol.TLS}
IMEI = re.compile(r"\d{0,15}")  # models/address.py XBeeIMEIAddress.PATTERN


def python_int(text: str) -> int | None:
    """What Python's ``int(text, 0)`` makes of ``text`` (the library parses SI's numbers so), or None."""
    try:
        return int(text, 0)
    except ValueError:
        return None


@dataclass
class DigiSocket:
    """What the library's ``xsocket.socket`` object knows of its socket."""

    protocol: Protocol
    socket_id: int | None = None
    connected: bool = False
    bound_port: int | None = None


@dataclass
class SocketInfo:
    """``get_socket_info()``'s answer as the library parses it."""

    socket_id: int
    state: str
    protocol: Protocol | None
    local_port: int
    remote_port: int
    remote_address: str


@dataclass
class _Pending:
    request: fr.Frame
    accepts: Callable[[fr.Frame], bool]
    reply: fr.Frame | None = None
    seen: list[fr.Frame] = field(default_factory=list)  # frames with the request's frame ID it did not take


class DigiXBee:
    """One ``CellularDevice`` and its sockets, driving the module through an XBee session."""

    def __init__(self, run: HostStackRun, xbee: XBeeSession, network_wait: float) -> None:
        self.run = run
        self.xbee = xbee
        # How long the network may take (a peer's connection or data to show up): the profile's.
        self.network_wait = network_wait
        self._frame_id = 0  # devices.py AbstractXBeeDevice._get_next_frame_id: 01 first, FF then 01, never 00
        self._backlog: deque[Event] = deque()
        self._pending: _Pending | None = None
        self._handled = 0
        self.received: dict[int, bytearray] = {}  # connected and accepted sockets: their data
        self.received_from: dict[int, list[tuple[bytes, tuple[str, int]]]] = {}  # bound UDP sockets
        self.watching: dict[int, list[int]] = {}  # connect(): 0xCF statuses of its socket
        self.accepting: dict[int, list[fr.SocketNewIPv4Client]] = {}  # accept(): 0xCC of its listener
        self.closed: dict[int, int] = {}  # sockets a 0xCF ended, and its status
        self.dropped: dict[int, list[str]] = {}  # data for sockets the library did not know, by socket ID

    # ------------------------------------------------------------------ frame IDs and the reader

    def next_frame_id(self) -> int:
        self._frame_id = self._frame_id % 0xFF + 1
        return self._frame_id

    def _note(self, text: str) -> None:
        self.xbee.driver.trace.record(NOTE, text=f"digi-xbee: {text}")

    def _wait(self, done: Callable[[], bool], deadline: float) -> bool:
        """Handle frames in order until ``done()`` or the deadline; the frames behind stay for later."""
        while not done():
            if not self._backlog:
                if time.monotonic() >= deadline:
                    return False
                self._backlog.extend(self.xbee.take(deadline))
                continue
            self._handle(self._backlog.popleft())
        return True

    def _handle(self, event: Event) -> None:
        """What the library's reader does with one frame: the pending request's answer, and the callbacks."""
        self._handled += 1
        if isinstance(event, DecodeEvent):
            # base.py XBeeAPIPacket._check_api_packet: a bad checksum or length is dropped (and logged).
            self._note(f"drops bytes that are not a good frame: {event.describe()}")
            return
        if not isinstance(event, fr.Frame):
            return
        pending = self._pending
        if (
            pending is not None
            and pending.reply is None
            and isinstance(event, WITH_FRAME_ID)
            and getattr(event, "frame_id", None) == getattr(pending.request, "frame_id", None)
        ):
            if pending.accepts(event):
                pending.reply = event
            else:
                pending.seen.append(event)
        if isinstance(event, fr.SocketReceive | fr.SocketReceiveFrom):
            self._data(event, pending)
        elif isinstance(event, fr.SocketStatus):
            self._socket_status(event)
        elif isinstance(event, fr.SocketNewIPv4Client):
            waiting = self.accepting.get(event.socket_id)
            if waiting is not None:
                waiting.append(event)
            else:
                self._note(f"no accept() waits for listener {event.socket_id:02X}: {describe(event)} is lost")

    def _data(self, frame: fr.SocketReceive | fr.SocketReceiveFrom, pending: _Pending | None) -> None:
        if frame.frame_id != 0:
            taken = pending is not None and pending.reply is frame
            what = describe(pending.request) if taken and pending is not None else ""
            self.run.needs(
                False,
                "received data (0xCD, 0xCE) to carry frame ID 00"
                + (
                    f": it took this frame for the answer to {what} and then fails reading its status"
                    if taken
                    else ": it numbers its requests 01 to FF in turn and takes a 0xCD/0xCE with a pending "
                    "0x44/0x45's frame ID for that request's answer"
                ),
                describe(frame),
                function=f"{SENDER}; digi/xbee/xsocket.py socket.__check_response",
            )
        sid = frame.socket_id
        if isinstance(frame, fr.SocketReceive) and sid in self.received:
            self.received[sid] += frame.payload
        elif isinstance(frame, fr.SocketReceiveFrom) and sid in self.received_from:
            self.received_from[sid].append((frame.payload, (frame.source_address, frame.source_port)))
        else:
            self.dropped.setdefault(sid, []).append(describe(frame))
            self._note(f"no socket {sid:02X} known to take {describe(frame)}: dropped")

    def _socket_status(self, frame: fr.SocketStatus) -> None:
        sid = frame.socket_id
        if sid in self.watching:
            self.watching[sid].append(int(frame.status))
        if int(frame.status) != 0 and (sid in self.received or sid in self.received_from):
            # xsocket.py socket.__register_state_callback: the socket object forgets its ID.
            self.received.pop(sid, None)
            self.received_from.pop(sid, None)
            self.closed[sid] = int(frame.status)

    # ------------------------------------------------------------------ requests

    def _send_and_wait(self, frame: fr.Frame, accepts: Callable[[fr.Frame], bool], timeout: float) -> _Pending:
        """Send ``frame`` and wait as ``SyncRequestSender.send`` waits: the first frame with its frame ID
        that ``accepts`` takes is the answer (None when none came within ``timeout``)."""
        pending = _Pending(frame, accepts)
        self._pending = pending
        self.xbee.send(frame, attribute=False)  # the library matches its replies itself
        try:
            self._wait(lambda: pending.reply is not None, time.monotonic() + timeout)
        finally:
            self._pending = None
        return pending

    def request(self, frame: fr.Frame, accepts: Callable[[fr.Frame], bool], timeout: float, answer: str) -> fr.Frame:
        """A request whose answer the library needs: none within ``timeout`` breaks it (TimeoutException)."""
        handled = self._handled
        pending = self._send_and_wait(frame, accepts, timeout)
        if pending.reply is not None:
            return pending.reply
        heard = self._handled > handled or bool(self._backlog)
        if not heard and not self.xbee.alive():
            raise NoAnswer(
                f"{self.run.stack.name} at {self.run.where}: {answer}",
                [answer],
                [],
                [f"no frame at all within {timeout:g} s"],
                self.xbee.driver.trace.last_received(),
            )
        others = "; ".join(describe(f) for f in pending.seen) or "no frame with that frame ID"
        self.run.needs(
            False,
            f"{answer} within {timeout:g} s (else TimeoutException)",
            f"for frame ID {frame.frame_id:02X}: {others}",  # type: ignore[attr-defined]
            function=SENDER,
        )
        raise AssertionError("unreachable")  # pragma: no cover - needs() raised

    # ------------------------------------------------------------------ AT commands

    def _at(self, command: bytes, parameter: bytes = b"", apply: bool = True) -> fr.ATCommandResponse:
        """One AT request as devices.py AbstractXBeeDevice._send_at_command makes it: 0x08, or 0x09 with apply=False."""
        kind = fr.ATCommand if apply else fr.ATCommandQueue
        frame = kind(self.next_frame_id(), command, parameter)
        name = command.decode("ascii", "replace")
        reply = self.request(
            frame,
            lambda f: isinstance(f, fr.ATCommandResponse) and f.command.upper() == command.upper(),
            AT_TIMEOUT,
            f"a 0x88 with frame ID {frame.frame_id:02X} and command {name}",
        )
        assert isinstance(reply, fr.ATCommandResponse)
        # models/status.py ATCommandStatus.get: the status's low four bits; 0 is OK.
        self.run.needs(
            int(reply.status) & 0x0F == 0,
            f"AT {name} to succeed: the status's low four bits 0 (else ATCommandException)",
            describe(reply),
            function="digi/xbee/devices.py AbstractXBeeDevice._check_at_cmd_response_is_valid",
        )
        return reply

    def get_parameter(self, command: bytes, parameter: bytes = b"", apply: bool = True) -> bytes:
        reply = self._at(command, parameter, apply)
        self.run.needs(
            bool(reply.value),
            f"a value in the answer to AT {command.decode()} (else OperationNotSupportedException)",
            describe(reply),
            function="digi/xbee/devices.py AbstractXBeeDevice.get_parameter",
        )
        return reply.value

    def set_parameter(self, command: bytes, value: bytes, apply: bool = True) -> None:
        self._at(command, value, apply)

    def execute_command(self, command: bytes, apply: bool = True) -> None:
        self._at(command, b"", apply)

    def open(self) -> dict[bytes, bytes]:
        """``CellularDevice.open()``: nine queued reads, each judged as the library judges it."""
        values: dict[bytes, bytes] = {}
        for command in OPEN_QUERIES:
            with self.run.step(f"CellularDevice.open: AT {command.decode()} (0x09)"):
                if command == b"C0":
                    values[command] = self._source_port()
                    continue
                value = self.get_parameter(command, apply=False)
                values[command] = value
                self._open_value(command, value, values)
        return values

    def _source_port(self) -> bytes:
        """C0: read, but any failure is swallowed (devices.py IPDevice._read_device_info)."""
        frame = fr.ATCommandQueue(self.next_frame_id(), b"C0")
        reply = self._send_and_wait(
            frame, lambda f: isinstance(f, fr.ATCommandResponse) and f.command.upper() == b"C0", AT_TIMEOUT
        ).reply
        return reply.value if isinstance(reply, fr.ATCommandResponse) else b""

    def _open_value(self, command: bytes, value: bytes, values: dict[bytes, bytes]) -> None:
        where = "digi/xbee/devices.py "
        if command == b"AP":
            self.run.needs(
                value[0] in (1, 2) and value[0] == self.xbee.api_mode,
                f"AP 01 or 02, the API mode the module speaks (here {self.xbee.api_mode:02X}): open() speaks the "
                "mode AP names, escaped for 02",
                show_bytes(value),
                function=where + "XBeeDevice._determine_operating_mode",
            )
        elif command == b"IM":
            text = value.decode("utf-8", "ignore")
            self.run.needs(
                IMEI.fullmatch(text) is not None,
                "IM of at most 15 decimal digits (else ValueError)",
                repr(value),
                function="digi/xbee/models/address.py XBeeIMEIAddress.from_string",
            )
        elif command == b"MY":
            self.run.needs(
                len(value) <= 4,
                "MY of at most 4 bytes, an IPv4 address (else AddressValueError)",
                show_bytes(value),
                function=where + "IPDevice._read_device_info",
            )
        elif command == b"HV":
            self.run.needs(
                value[0] in CELLULAR_HV,
                "HV whose first byte is a cellular hardware code it knows "
                f"({' '.join(f'{c:02X}' for c in sorted(CELLULAR_HV))}): else open() fails (incompatible protocol)",
                show_bytes(value),
                function="digi/xbee/models/protocol.py XBeeProtocol.determine_protocol; "
                + where
                + "CellularDevice.open",
            )
        elif command == b"SL":
            both = values.get(b"SH", b"") + value
            self.run.needs(
                len(both) <= 8,
                "SH and SL of at most 8 bytes together, the 64-bit address",
                show_bytes(both),
                function="digi/xbee/models/address.py XBee64BitAddress",
            )

    def apply_changes(self) -> None:
        """``apply_changes()``: AC in a 0x09 frame (devices.py AbstractXBeeDevice.apply_changes)."""
        self.execute_command(b"AC", apply=False)

    def get_sockets_list(self) -> list[int]:
        value = self.get_parameter(b"SI", apply=False)
        ids = []
        for text in value.decode("utf-8", "replace").strip().split("\r"):
            if not text:
                continue
            number = python_int(text)
            self.run.needs(
                number is not None,
                f"each socket ID in SI's list readable by Python's int(x, 0) (0x01 or 1, not 01): {text!r} is not",
                repr(value),
                function="digi/xbee/models/info.py SocketInfo.parse_socket_list",
            )
            assert number is not None
            ids.append(number)
        return ids

    def get_socket_info(self, socket_id: int) -> SocketInfo:
        value = self.get_parameter(b"SI", bytes((socket_id,)), apply=False)
        fields = value.decode("utf-8", "replace").strip().split("\r")
        numbers = [python_int(fields[i]) for i in (0, 3, 4)] if len(fields) == 6 else []
        self.run.needs(
            len(fields) == 6 and None not in numbers,
            "six CR-separated fields once the ends are trimmed, ID and ports readable by Python's int(x, 0) "
            "(else get_socket_info() returns None or raises)",
            repr(value),
            function="digi/xbee/models/info.py SocketInfo.create_socket_info",
        )
        state = next((s for s in SI_STATES if s.lower() == fields[1].lower()), "Unknown")
        protocol = SI_PROTOCOLS.get(fields[2].upper())
        sid, local, remote = (int(n) for n in numbers if n is not None)
        return SocketInfo(sid, state, protocol, local, remote, fields[5])

    # ------------------------------------------------------------------ sockets (xsocket.py)

    def _status_ok(self, reply: fr.Frame, what: str, function: str) -> None:
        """xsocket.py socket.__check_response: a 0x89's transmit status, any other frame's status, must be 00."""
        status = getattr(reply, "status", None)
        self.run.needs(
            status == 0, f"{what} with status 00 (else XBeeSocketException)", describe(reply), function=function
        )

    def _create(self, sock: DigiSocket) -> None:
        """xsocket.py socket.__create_socket: 0x40; any 0xC0 with its frame ID; the socket ID comes from it."""
        frame = fr.SocketCreate(self.next_frame_id(), sock.protocol)
        reply = self.request(
            frame,
            lambda f: isinstance(f, fr.SocketCreateResponse),
            SOCKET_TIMEOUT,
            f"a 0xC0 with frame ID {frame.frame_id:02X}",
        )
        self._status_ok(reply, "the 0xC0", "digi/xbee/xsocket.py socket.__create_socket")
        assert isinstance(reply, fr.SocketCreateResponse)
        sock.socket_id = reply.socket_id

    def _socket_reply(self, frame: fr.Frame, kind: type[fr.Frame], sid: int) -> fr.Frame:
        """0x41/0x42/0x43/0x46: the answer of the matching type with the request's frame ID and socket ID."""
        fid = frame.frame_id  # type: ignore[attr-defined]
        return self.request(
            frame,
            lambda f: isinstance(f, kind) and getattr(f, "socket_id", None) == sid,
            SOCKET_TIMEOUT,
            f"a 0x{kind.FRAME_TYPE:02X} with frame ID {fid:02X} and socket ID {sid:02X}",
        )

    def connect(self, sock: DigiSocket, host: str, port: int) -> None:
        """xsocket.py socket.connect: 0x42 by text (type 01), 0xC2 00, then 0xCF 00 (it may come first)."""
        if sock.socket_id is None:
            with self.run.step("socket.connect: 0x40 (socket create)"):
                self._create(sock)
        with self.run.step("socket.connect: 0x42, then 0xC2 and 0xCF"):
            assert sock.socket_id is not None
            sid = sock.socket_id
            self.watching[sid] = []  # registered before the 0x42 goes out
            try:
                frame = fr.SocketConnect(self.next_frame_id(), sid, port, AddressType.STRING, host.encode("ascii"))
                reply = self._socket_reply(frame, fr.SocketConnectResponse, sid)
                self._status_ok(reply, "the 0xC2", "digi/xbee/xsocket.py socket.connect")
                statuses = self.watching[sid]
                self._wait(lambda: bool(statuses), time.monotonic() + SOCKET_TIMEOUT)
                self.run.needs(
                    bool(statuses),
                    f"a 0xCF for socket {sid:02X} within {SOCKET_TIMEOUT:g} s of the 0xC2 "
                    "(else TimeoutException: the socket connection)",
                    "no 0xCF",
                    function="digi/xbee/xsocket.py socket.connect",
                )
                self.run.needs(
                    statuses[0] == 0,
                    "the first 0xCF of the socket to say 00 (connected), else XBeeSocketException",
                    f"0xCF status {statuses[0]:02X}",
                    function="digi/xbee/xsocket.py socket.connect",
                )
            finally:
                self.watching.pop(sid, None)
            sock.connected = True
            self.received[sid] = bytearray()  # its data is taken from now on

    def _chunks(self, data: bytes) -> list[bytes]:
        return [data[i : i + MAX_PAYLOAD] for i in range(0, len(data), MAX_PAYLOAD)]

    def _transmit(self, frame: fr.Frame, function: str) -> None:
        """0x44/0x45: any frame with the request's frame ID answers it; it must be a 0x89 with status 00."""
        fid = frame.frame_id  # type: ignore[attr-defined]
        reply = self.request(frame, lambda f: True, SOCKET_TIMEOUT, f"a 0x89 with frame ID {fid:02X}")
        self.run.needs(
            isinstance(reply, fr.TransmitStatus),
            f"the frame with frame ID {fid:02X} to be a 0x89: it reads the answer's transmit status "
            "(another frame: AttributeError)",
            describe(reply),
            function=f"{SENDER}; digi/xbee/xsocket.py socket.__check_response",
        )
        self._status_ok(reply, "the 0x89", function)

    def sendall(self, sock: DigiSocket, data: bytes) -> None:
        with self.run.step(f"socket.sendall: {len(data)} bytes as 0x44 frames"):
            assert sock.connected and sock.socket_id is not None, "sendall on a socket that is not connected"
            for chunk in self._chunks(data):
                frame = fr.SocketSend(self.next_frame_id(), sock.socket_id, chunk)
                self._transmit(frame, "digi/xbee/xsocket.py socket.__send")

    def recv(self, sock: DigiSocket, expected: bytes) -> bytes:
        """``recv()`` until ``expected`` has arrived (a product reads a message of known length so)."""
        with self.run.step(f"socket.recv: {len(expected)} bytes (0xCD)"):
            sid = sock.socket_id
            assert sid is not None
            buffer = self.received.setdefault(sid, bytearray())
            self._wait(lambda: len(buffer) >= len(expected), time.monotonic() + self.network_wait)
            got = bytes(buffer[: len(expected)])
            del buffer[: len(expected)]
            self._lost(sid, f"socket {sid:02X}")
            self.run.needs(
                got == expected,
                f"the peer's {len(expected)} bytes as 0xCD frames for socket {sid:02X}: {show_bytes(expected)}",
                got,
                function="digi/xbee/xsocket.py socket.recv",
            )
            return got

    def _lost(self, sid: int, what: str) -> None:
        """Data the library dropped because it did not know the socket yet: the stack loses it for good."""
        dropped = self.dropped.get(sid)
        self.run.needs(
            not dropped,
            f"0xCD/0xCE for {what} only once it knows the socket: accept() takes a client's data after the "
            "client's 0xCC, connect() after the 0xCF 00, bind() after the 0xC6; data before that is dropped",
            "; ".join(dropped or []),
            function="digi/xbee/xsocket.py socket.accept, socket.__register_data_received_callback",
        )

    def peer_closed(self, sock: DigiSocket) -> None:
        """The peer closed: a 0xCF other than 00 for the socket makes its object forget it (``is_connected``
        turns False, a later ``close()`` sends nothing)."""
        with self.run.step("the peer closes: a 0xCF ends the socket"):
            sid = sock.socket_id
            assert sid is not None
            self._wait(lambda: sid in self.closed, time.monotonic() + self.network_wait)
            self.run.needs(
                sid in self.closed,
                f"a 0xCF with a status other than 00 for socket {sid:02X} once the peer has closed",
                f"none within {self.network_wait:g} s",
                function="digi/xbee/xsocket.py socket.__register_state_callback",
            )

    def close(self, sock: DigiSocket) -> None:
        """xsocket.py socket.close: 0x43 only for a connected or bound socket; 0xC3 00 with its socket ID."""
        sid = sock.socket_id
        if sid is not None and sid in self.closed:
            with self.run.step("socket.close: nothing to send (a 0xCF ended the socket)"):
                sock.socket_id, sock.connected = None, False
            return
        if sid is None or not (sock.connected or sock.bound_port):
            with self.run.step("socket.close: nothing to send (never connected or bound)"):
                return
        with self.run.step(f"socket.close: 0x43 (socket {sid:02X})"):
            reply = self._socket_reply(fr.SocketClose(self.next_frame_id(), sid), fr.SocketCloseResponse, sid)
            self._status_ok(reply, "the 0xC3", "digi/xbee/xsocket.py socket.close")
        self.received.pop(sid, None)
        self.received_from.pop(sid, None)
        sock.socket_id, sock.connected, sock.bound_port = None, False, None

    def bind(self, sock: DigiSocket, port: int) -> None:
        """xsocket.py socket.bind: create, then 0x46 with the port; 0xC6 00 with its socket ID."""
        if sock.socket_id is None:
            with self.run.step("socket.bind: 0x40 (socket create)"):
                self._create(sock)
        with self.run.step(f"socket.bind: 0x46 port {port}"):
            assert sock.socket_id is not None
            sid = sock.socket_id
            frame = fr.SocketBindListen(self.next_frame_id(), sid, port)
            reply = self._socket_reply(frame, fr.SocketListenResponse, sid)
            self._status_ok(reply, "the 0xC6", "digi/xbee/xsocket.py socket.bind")
            sock.bound_port = port
            if sock.protocol == Protocol.UDP:
                self.received_from[sid] = []  # datagrams are taken only from now on

    def start_accept(self, listener: DigiSocket) -> None:
        """``accept()`` is called: from now on it waits for its listener's 0xCC (no timeout)."""
        assert listener.socket_id is not None
        self.accepting[listener.socket_id] = []

    def accept(self, listener: DigiSocket) -> tuple[DigiSocket, tuple[str, int]]:
        """xsocket.py socket.accept: the first 0xCC for its listener while it waits; the client's socket ID
        from it; the client's data is taken only once it has returned."""
        with self.run.step("socket.accept: a 0xCC for the listener"):
            lid = listener.socket_id
            assert lid is not None and lid in self.accepting, "start_accept() first: accept() waits before a client"
            arrived = self.accepting[lid]
            # accept() itself waits for ever; the suite bounds the wait by the network's deadline.
            self._wait(lambda: bool(arrived), time.monotonic() + self.network_wait)
            del self.accepting[lid]
            self.run.needs(
                bool(arrived),
                f"a 0xCC for listener {lid:02X} (accept() waits for it with no timeout)",
                f"none within {self.network_wait:g} s of the peer's connection",
                function="digi/xbee/xsocket.py socket.accept",
            )
            new = arrived[0]
            conn = DigiSocket(Protocol.TCP, new.client_socket_id, connected=True)
            self.received[new.client_socket_id] = bytearray()
            return conn, (new.remote_address, new.remote_port)

    def sendto(self, sock: DigiSocket, data: bytes, host: str, port: int) -> None:
        """xsocket.py socket.sendto: 0x45 frames of at most 1500 bytes, each answered like 0x44's."""
        if sock.socket_id is None:
            with self.run.step("socket.sendto: 0x40 (socket create)"):
                self._create(sock)
        with self.run.step(f"socket.sendto: {len(data)} bytes as 0x45 frames"):
            assert sock.socket_id is not None
            for chunk in self._chunks(data):
                frame = fr.SocketSendTo(self.next_frame_id(), sock.socket_id, host, port, chunk)
                self._transmit(frame, "digi/xbee/xsocket.py socket.sendto")

    def recvfrom(self, sock: DigiSocket) -> tuple[bytes, tuple[str, int]]:
        with self.run.step("socket.recvfrom: a datagram (0xCE)"):
            sid = sock.socket_id
            assert sid is not None and sid in self.received_from, "recvfrom on a socket that is not bound"
            queue = self.received_from[sid]
            self._wait(lambda: bool(queue), time.monotonic() + self.network_wait)
            self._lost(sid, f"UDP socket {sid:02X}")
            self.run.needs(
                bool(queue),
                f"a 0xCE for bound socket {sid:02X}",
                f"none within {self.network_wait:g} s of the peer's datagram",
                function="digi/xbee/xsocket.py socket.recvfrom",
            )
            return queue.pop(0)

    def close_all(self) -> None:
        """A raw 0x43 with socket ID FF through send_packet_sync_and_get_response: a 0xC3 with FF answers it."""
        with self.run.step("close every socket: 0x43 FF by send_packet_sync_and_get_response"):
            reply = self._socket_reply(fr.SocketClose(self.next_frame_id(), 0xFF), fr.SocketCloseResponse, 0xFF)
            self._status_ok(reply, "the 0xC3", "digi/xbee/xsocket.py socket.__check_response")
        self.received.clear()
        self.received_from.clear()
