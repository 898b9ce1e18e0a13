"""XBee Cellular device model (API mode, Extended Socket frames), as a sans-IO state machine.

``XBeeModel.serial_in(bytes)`` and ``XBeeModel.net_in(event)`` return actions (bytes for the UART,
network operations for the runner). Behaviour follows ``spec/xbee-cellular-sockets.md``; where the
spec says UNCONFIRMED the model picks the likeliest behaviour and says so in a comment.
Fault profiles (``XBeeFault``) hook fixed points: the decoded UART input, the outgoing frames,
their wire bytes and timing, the network actions, and socket ID allocation.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from emulator.faults import Fault, device_settings, register
from emulator.net import (
    Accepted,
    Action,
    BindResult,
    BindUdp,
    CancelTimer,
    Close,
    CloseUdp,
    Connect,
    ConnectResult,
    Datagram,
    Listen,
    ListenResult,
    NetEvent,
    PeerClosed,
    Received,
    Send,
    SendTo,
    SerialOut,
    StartTimer,
    StopListening,
    TimerFired,
)
from protocol.profile import Profile
from protocol.xbee import frames as fr
from protocol.xbee.framing import ESCAPED_BYTES, BadChecksum, DecodeEvent, Decoder, Event, checksum, encode
from protocol.xbee.status import (
    AddressType,
    ATCommandStatus,
    ModemStatusCode,
    Protocol,
    SocketCloseStatus,
    SocketConnectStatus,
    SocketCreateStatus,
    SocketListenStatus,
    SocketOptionStatus,
    SocketStatusCode,
    TransmitStatusCode,
)

FAMILY = "xbee"
DEFAULT_PROFILE = "xbee3-lte-m"
# With AP=1 a frame cut short is only known once the line goes idle (see Decoder.flush).
IDLE_FLUSH_SECONDS = 0.2
_IDLE_TIMER = "uart-idle"
# FR: how long the module is away (UART input dropped) before it announces itself with 0x8A.
# A real module takes seconds (the cellular component restarts too); a profile may set ``reset_seconds``.
RESET_SECONDS = 0.1
_RESET_TIMER = "reset"
# Settings the host cannot set (answered 01 ERROR); all others revert to their stored value on a reset.
READ_ONLY = frozenset({b"MY", b"VR", b"HV", b"SH", b"SL", b"IM", b"AI"})


class XBeeFault(Fault):
    """Hook points of the XBee model; the defaults change nothing."""

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        """What the module makes of the frames and decode events of one UART read (or idle flush)."""
        return events

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        """The frame about to be sent, possibly altered; None drops it."""
        return frame

    def wire_out(self, raw: bytes, frame: fr.Frame) -> bytes:
        """The encoded bytes about to go on the UART."""
        return raw

    def delay(self, frame: fr.Frame) -> float:
        """Seconds the frame is held back before it goes on the UART (0: at once)."""
        return 0.0

    def net_out(self, action: Action) -> Action | None:
        """A network action about to be carried out, possibly altered; None drops it."""
        return action

    def socket_id(self, free: int, in_use: Sequence[int]) -> int:
        """The ID a new socket gets; ``free`` is the lowest unused one, ``in_use`` the IDs taken."""
        return free

    def reset_frees(self, socket_ids: Sequence[int]) -> Sequence[int]:
        """The sockets a module reset (FR) closes: every one of them."""
        return socket_ids


@dataclass
class Sock:
    socket_id: int
    protocol: int
    state: str = "new"  # new | listening | bound | connecting | connected | client
    key: int | None = None  # network object key (listener, connection, UDP socket)
    port: int = 0
    presented: bool = True  # False: a Cat 1 client not yet shown to the host (no 0xCC yet)
    held: list[bytes] = field(default_factory=list)  # data of a client not yet presented
    pending_frame_id: int = 0  # frame ID of a 0x46/0x42 waiting for the network's answer
    tls_profile: int = 0
    listener_id: int | None = None
    peer: tuple[str, int] = ("0.0.0.0", 0)


def _hex(value: str) -> bytes:
    return bytes.fromhex(value)


class XBeeModel:
    """One XBee Cellular module."""

    family = FAMILY

    def __init__(self, profile: Profile, host_ip: str = "127.0.0.1", fault: XBeeFault | None = None) -> None:
        device = device_settings(profile.device, fault)
        self.profile = profile
        self.fault = fault or XBeeFault("none", FAMILY, "no fault")
        self.host_ip = host_ip
        self.api_mode = int(device.get("api_mode", 1))
        self.max_sockets = int(device.get("max_sockets", 6))
        # Per-protocol limits (Cat 1: up to 6 of each; older LTE-M: 4 may be TLS), else only the total.
        self.protocol_limits = {
            int(p): int(device.get(f"max_{p.name.lower()}_sockets", self.max_sockets)) for p in Protocol
        }
        self.max_payload = int(device.get("max_payload", 1500))
        self.present_on_data = device.get("present_connection", "on-connect") == "on-data"
        self.first_socket_id = int(device.get("first_socket_id", 0))
        self.decoder = Decoder(self.api_mode)
        self.sockets: dict[int, Sock] = {}
        self.by_key: dict[int, int] = {}
        self._keys = itertools.count(1)
        self.at: dict[bytes, bytes] = {
            b"MY": ipaddress.IPv4Address(host_ip).packed,
            b"AP": bytes((self.api_mode,)),
            b"AI": b"\x00",
            b"VR": _hex(str(device.get("VR", "011415"))),
            b"HV": _hex(str(device.get("HV", "4E01"))),
            b"SH": _hex(str(device.get("SH", "0013A200"))),
            b"SL": _hex(str(device.get("SL", "41B7C8D9"))),
            b"NI": str(device.get("NI", "sockconf emulator")).encode(),
            b"IM": str(device.get("IM", "353081090000001")).encode(),
            b"C0": _hex(str(device.get("C0", "0000"))),
        }
        self.queued_at: dict[bytes, bytes] = {}
        # What WR wrote to non-volatile memory: the settings a reset comes back with (the profile's at first).
        self.stored_at: dict[bytes, bytes] = {k: v for k, v in self.at.items() if k not in READ_ONLY}
        self.reset_seconds = float(device.get("reset_seconds", RESET_SECONDS))
        # 00 (power up) or 01 (watchdog reset) after FR: the cellular guides do not say which (UNCONFIRMED);
        # Digi's xbee-python accepts either after its own FR. 01 by default, as for a software reset.
        self.reset_status = ModemStatusCode(int(device.get("reset_status", ModemStatusCode.WATCHDOG_RESET)))
        self.rebooting = False  # between FR and the module's 0x8A: the UART is not read
        self._held: dict[str, bytes] = {}  # frames a fault holds back, by timer key
        self._held_keys = itertools.count(1)

    # ------------------------------------------------------------------ entry points

    def serial_in(self, data: bytes) -> list[Action]:
        out: list[Action] = []
        if self.rebooting:
            return out  # nothing reads the UART while the module restarts: the bytes are lost
        self._decoded(self.decoder.feed(data), out)
        if self.decoder.pending:
            out.append(StartTimer(_IDLE_TIMER, IDLE_FLUSH_SECONDS))
        else:
            out.append(CancelTimer(_IDLE_TIMER))
        return out

    def net_in(self, event: NetEvent) -> list[Action]:
        out: list[Action] = []
        if isinstance(event, TimerFired):
            if event.key == _IDLE_TIMER:
                self._decoded(self.decoder.flush(), out)
            elif event.key == _RESET_TIMER:
                self._booted(out)
            elif event.key in self._held:
                out.append(SerialOut(self._held.pop(event.key)))
            return out
        if isinstance(event, Accepted):
            self._accepted(event, out)
            return out
        sid = self.by_key.get(event.key)
        sock = self.sockets.get(sid) if sid is not None else None
        if sock is None:
            # A connection whose socket is gone (closed or reset meanwhile) is not kept open.
            if isinstance(event, Accepted | Received) or (isinstance(event, ConnectResult) and event.error is None):
                self._net(Close(event.key), out)
            return out
        if isinstance(event, ListenResult | BindResult):
            ok = event.error is None
            if ok:
                sock.state = "listening" if isinstance(event, ListenResult) else "bound"
            else:
                self._forget_key(sock)
            status = SocketListenStatus.SUCCESS if ok else SocketListenStatus.ERROR
            if sock.pending_frame_id:
                self._frame(fr.SocketListenResponse(sock.pending_frame_id, sock.socket_id, status), out)
        elif isinstance(event, ConnectResult):
            if event.error is None:
                sock.state = "connected"
                self._frame(fr.SocketStatus(sock.socket_id, SocketStatusCode.CONNECTED), out)
            else:
                code = {
                    "refused": SocketStatusCode.CONNECTION_REFUSED,
                    "dns": SocketStatusCode.FAILED_DNS_LOOKUP,
                    "timeout": SocketStatusCode.TIMED_OUT,
                }.get(event.error, SocketStatusCode.HOST_UNREACHABLE)
                self._free(sock)
                self._frame(fr.SocketStatus(sock.socket_id, code), out)
        elif isinstance(event, Received):
            if not sock.presented:
                sock.presented = True
                self._present(sock, out)
            self._deliver(sock, event.data, out)
        elif isinstance(event, Datagram):
            for chunk in self._chunks(event.data):
                self._frame(fr.SocketReceiveFrom(0, sock.socket_id, event.host, event.port, 0, chunk), out)
        elif isinstance(event, PeerClosed):
            presented = sock.presented
            self._free(sock)
            if presented:
                code = SocketStatusCode.RST_CLOSE_BY_PEER if event.reset else SocketStatusCode.CONNECTION_LOST
                self._frame(fr.SocketStatus(sock.socket_id, code), out)
        return out

    def shutdown(self) -> list[Action]:
        """Close everything (the process is going away)."""
        out: list[Action] = []
        for sock in list(self.sockets.values()):
            self._release(sock, out)
        self.sockets.clear()
        self.by_key.clear()
        return out

    # ------------------------------------------------------------------ helpers

    def _decoded(self, events: list[Event], out: list[Action]) -> None:
        for event in self.fault.events_in(events, self.api_mode):
            if self.rebooting:
                break  # frames behind an FR in the same read arrive while the module restarts
            # Bad checksums, garbage and malformed frames are discarded without an answer.
            if isinstance(event, fr.Frame):
                self._request(event, out)

    def _frame(self, frame: fr.Frame, out: list[Action]) -> None:
        altered = self.fault.frame_out(frame)
        if altered is None:
            return
        raw = self.fault.wire_out(encode(altered, self.api_mode), altered)
        delay = self.fault.delay(altered)
        if delay <= 0:
            out.append(SerialOut(raw))
            return
        key = f"held-{next(self._held_keys)}"
        self._held[key] = raw
        out.append(StartTimer(key, delay))

    def _net(self, action: Action, out: list[Action]) -> None:
        altered = self.fault.net_out(action)
        if altered is not None:
            out.append(altered)

    def _chunks(self, data: bytes) -> list[bytes]:
        n = self.max_payload
        return [data[i : i + n] for i in range(0, len(data), n)] or [b""]

    def _deliver(self, sock: Sock, data: bytes, out: list[Action]) -> None:
        # Unsolicited data carries frame ID 0, never a pending request's ID (spec §2).
        for chunk in self._chunks(data):
            self._frame(fr.SocketReceive(0, sock.socket_id, 0, chunk), out)

    def _present(self, sock: Sock, out: list[Action]) -> None:
        assert sock.listener_id is not None
        host, port = sock.peer
        self._frame(fr.SocketNewIPv4Client(sock.listener_id, sock.socket_id, host, port), out)

    def _alloc_id(self, protocol: int) -> int | None:
        if len(self.sockets) >= self.max_sockets:
            return None
        same = sum(1 for s in self.sockets.values() if s.protocol == protocol)
        if same >= self.protocol_limits.get(protocol, self.max_sockets):
            return None
        free = next(i for i in range(self.first_socket_id, 0xFF) if i not in self.sockets)
        return self.fault.socket_id(free, sorted(self.sockets))

    def _new_key(self, sock: Sock) -> int:
        key = next(self._keys)
        sock.key = key
        self.by_key[key] = sock.socket_id
        return key

    def _forget_key(self, sock: Sock) -> None:
        if sock.key is not None:
            self.by_key.pop(sock.key, None)
            sock.key = None
        sock.state = "new"

    def _free(self, sock: Sock) -> None:
        if sock.key is not None:
            self.by_key.pop(sock.key, None)
        self.sockets.pop(sock.socket_id, None)

    def _release(self, sock: Sock, out: list[Action]) -> None:
        """Give back the network object behind a socket."""
        if sock.key is None:
            return
        if sock.state == "listening":
            self._net(StopListening(sock.key), out)
        elif sock.state == "bound" or (sock.protocol == Protocol.UDP):
            self._net(CloseUdp(sock.key), out)
        else:
            self._net(Close(sock.key), out)

    def _accepted(self, event: Accepted, out: list[Action]) -> None:
        lid = self.by_key.get(event.listener_key)
        sid = self._alloc_id(Protocol.TCP)
        if lid is None or sid is None:
            self._net(Close(event.key), out)  # no free socket: the connection is dropped
            return
        sock = Sock(sid, Protocol.TCP, state="client", listener_id=lid, peer=(event.peer_host, event.peer_port))
        sock.key = event.key
        self.by_key[event.key] = sid
        self.sockets[sid] = sock
        if self.present_on_data:
            sock.presented = False
        else:
            self._present(sock, out)

    # ------------------------------------------------------------------ requests

    def _request(self, frame: fr.Frame, out: list[Action]) -> None:
        handler = getattr(self, f"_on_{type(frame).__name__}", None)
        if handler is not None:
            handler(frame, out)
        # Frame types a module does not accept from the host are ignored, as on hardware.

    def _on_SocketCreate(self, f: fr.SocketCreate, out: list[Action]) -> None:
        if f.protocol not in (Protocol.UDP, Protocol.TCP, Protocol.TLS):
            self._frame(fr.SocketCreateResponse(f.frame_id, 0xFF, SocketCreateStatus.INVALID_PROTOCOL), out)
            return
        sid = self._alloc_id(int(f.protocol))
        if sid is None:
            self._frame(fr.SocketCreateResponse(f.frame_id, 0xFF, SocketCreateStatus.RESOURCE_ERROR), out)
            return
        self.sockets[sid] = Sock(sid, int(f.protocol))
        # 0x40 is answered even with frame ID 0 (spec §1).
        self._frame(fr.SocketCreateResponse(f.frame_id, sid, SocketCreateStatus.SUCCESS), out)

    def _on_SocketClose(self, f: fr.SocketClose, out: list[Action]) -> None:
        if f.socket_id == 0xFF:
            for sock in list(self.sockets.values()):
                self._release(sock, out)
                self._free(sock)
            status = SocketCloseStatus.SUCCESS
        else:
            target = self.sockets.get(f.socket_id)
            if target is None:
                status = SocketCloseStatus.BAD_SOCKET_ID
            else:
                # Closing a listener leaves its accepted clients open (spec: UNCONFIRMED).
                self._release(target, out)
                self._free(target)
                status = SocketCloseStatus.SUCCESS
        if f.frame_id:
            self._frame(fr.SocketCloseResponse(f.frame_id, f.socket_id, status), out)

    def _on_SocketBindListen(self, f: fr.SocketBindListen, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        status: SocketListenStatus | None = None
        if sock is None:
            status = SocketListenStatus.INVALID_SOCKET_ID
        elif sock.state in ("listening", "bound"):
            status = SocketListenStatus.ALREADY_BOUND_OR_LISTENING
        elif sock.state != "new":
            status = SocketListenStatus.ERROR
        elif f.source_port == 0:
            status = SocketListenStatus.INVALID_PORT  # port 0: UNCONFIRMED, 0x01 exists for it
        elif sock.protocol == Protocol.TLS:
            status = SocketListenStatus.ERROR  # no incoming TLS on XBee Cellular (seed note)
        if status is not None:
            if f.frame_id:
                self._frame(fr.SocketListenResponse(f.frame_id, f.socket_id, status), out)
            return
        assert sock is not None
        sock.port = f.source_port
        sock.pending_frame_id = f.frame_id
        sock.state = "binding"
        key = self._new_key(sock)
        if sock.protocol == Protocol.UDP:
            self._net(BindUdp(key, f.source_port), out)
        else:
            self._net(Listen(key, f.source_port, backlog=self.max_sockets), out)

    def _on_SocketConnect(self, f: fr.SocketConnect, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        status = SocketConnectStatus.CONNECT_STARTED
        host = ""
        if sock is None:
            status = SocketConnectStatus.INVALID_SOCKET_ID
        elif sock.state == "connecting":
            status = SocketConnectStatus.ALREADY_IN_PROGRESS
        elif sock.state in ("connected", "client"):
            status = SocketConnectStatus.ALREADY_CONNECTED
        elif sock.state != "new":
            status = SocketConnectStatus.UNKNOWN
        elif f.address_type == AddressType.IPV4:
            if len(f.address) != 4:
                status = SocketConnectStatus.BAD_ADDRESS_OR_PORT
            else:
                host = str(ipaddress.IPv4Address(f.address))
        elif f.address_type == AddressType.STRING:
            try:
                host = f.address.decode("ascii")
            except UnicodeDecodeError:
                status = SocketConnectStatus.BAD_ADDRESS_OR_PORT
            if not host:
                status = SocketConnectStatus.BAD_ADDRESS_OR_PORT
        else:
            status = SocketConnectStatus.BAD_ADDRESS_TYPE
        if status == SocketConnectStatus.CONNECT_STARTED and f.dest_port == 0:
            status = SocketConnectStatus.BAD_ADDRESS_OR_PORT
        if f.frame_id:
            self._frame(fr.SocketConnectResponse(f.frame_id, f.socket_id, status), out)
        if status != SocketConnectStatus.CONNECT_STARTED:
            return
        assert sock is not None
        sock.peer = (host, f.dest_port)
        if sock.protocol == Protocol.UDP:
            # A UDP "connect" only fixes the destination of later 0x44 sends.
            sock.state = "connected"
            if sock.key is None:
                self._net(BindUdp(self._new_key(sock), 0), out)
            self._frame(fr.SocketStatus(sock.socket_id, SocketStatusCode.CONNECTED), out)
            return
        sock.state = "connecting"
        self._net(Connect(self._new_key(sock), host, f.dest_port), out)

    def _on_SocketSend(self, f: fr.SocketSend, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        if sock is None:
            status = TransmitStatusCode.CONNECTION_NOT_FOUND
        elif len(f.payload) > self.max_payload:
            status = TransmitStatusCode.MESSAGE_TOO_LONG
        elif sock.state not in ("connected", "client") or sock.key is None:
            status = TransmitStatusCode.SOCKET_NOT_CONNECTED  # UNCONFIRMED code (spec §4)
        else:
            if sock.protocol == Protocol.UDP:
                self._net(SendTo(sock.key, sock.peer[0], sock.peer[1], f.payload), out)
            else:
                self._net(Send(sock.key, f.payload), out)
            status = TransmitStatusCode.SUCCESS
        if f.frame_id:
            self._frame(fr.TransmitStatus(f.frame_id, status), out)

    def _on_SocketSendTo(self, f: fr.SocketSendTo, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        if sock is None:
            status = TransmitStatusCode.CONNECTION_NOT_FOUND
        elif sock.protocol != Protocol.UDP:
            status = TransmitStatusCode.INVALID_FRAME_VALUES  # UNCONFIRMED
        elif len(f.payload) > self.max_payload:
            status = TransmitStatusCode.MESSAGE_TOO_LONG
        elif f.dest_port == 0:
            status = TransmitStatusCode.INVALID_UDP_PORT
        elif sock.key is None:
            status = TransmitStatusCode.SOCKET_NOT_BOUND  # UNCONFIRMED (spec §4)
        else:
            self._net(SendTo(sock.key, f.dest_address, f.dest_port, f.payload), out)
            status = TransmitStatusCode.SUCCESS
        if f.frame_id:
            self._frame(fr.TransmitStatus(f.frame_id, status), out)

    def _on_SocketOption(self, f: fr.SocketOption, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        data = b""
        if sock is None:
            status = SocketOptionStatus.BAD_SOCKET_ID
        elif f.option_id != 0x00:
            status = SocketOptionStatus.INVALID_PARAMETERS
        elif not f.option_data:
            status = SocketOptionStatus.SUCCESS
            data = bytes((sock.tls_profile,))
        elif len(f.option_data) == 1:
            sock.tls_profile = f.option_data[0]
            status = SocketOptionStatus.SUCCESS
        else:
            status = SocketOptionStatus.INVALID_PARAMETERS
        if f.frame_id:
            self._frame(fr.SocketOptionResponse(f.frame_id, f.socket_id, f.option_id, status, data), out)

    # -- AT commands

    def _on_ATCommand(self, f: fr.ATCommand, out: list[Action]) -> None:
        self._at(f, out, queue=False)

    def _on_ATCommandQueue(self, f: fr.ATCommandQueue, out: list[Action]) -> None:
        self._at(f, out, queue=True)

    def _at(self, f: fr.ATCommand, out: list[Action], queue: bool) -> None:
        cmd = f.command
        value = b""
        # Queued (0x09) sets apply on the next 0x08 frame of any kind, or AC (spec §2).
        new_mode = None if queue else self._apply_queued()
        status: ATCommandStatus
        if cmd in (b"AC", b"WR", b"FR"):
            # Executed, never queued (also over 0x09: UNCONFIRMED); a parameter is ignored.
            status = ATCommandStatus.OK
        elif cmd == b"SI":
            status = ATCommandStatus.OK
            value = self._socket_info(f.parameter)
        elif cmd not in self.at:
            status = ATCommandStatus.INVALID_COMMAND
        elif not f.parameter:
            status = ATCommandStatus.OK
            value = self.at[cmd]
        elif not self._valid_setting(cmd, f.parameter):
            status = ATCommandStatus.INVALID_PARAMETER
        elif cmd in READ_ONLY:
            status = ATCommandStatus.ERROR
        else:
            status = ATCommandStatus.OK
            self.queued_at[cmd] = f.parameter
            if not queue:
                new_mode = self._apply_queued() or new_mode
        if f.frame_id:
            # The reply goes out in the mode the request came in; a new AP applies after it.
            self._frame(fr.ATCommandResponse(f.frame_id, cmd, status, value), out)
        if new_mode is not None:
            self.api_mode = new_mode
            self.decoder.set_api_mode(new_mode)
        if cmd == b"WR":
            # What is applied now is what the next reset comes back with (queued sets are not applied yet).
            self.stored_at = {k: v for k, v in self.at.items() if k not in READ_ONLY}
        elif cmd == b"FR":
            self._reset(out)

    def _reset(self, out: list[Action]) -> None:
        """FR: the module restarts once its OK has gone out.

        Everything in RAM is lost: sockets (their host sockets are closed, but no 0xCF is sent for
        them: the firmware that would send it is restarting, and the host learns of the reset from
        0x8A instead), queued 0x09 sets, and every setting not written with WR — AP included, so the
        module comes back in its stored API mode. Until it has booted (0x8A) it reads nothing.
        """
        freed = set(self.fault.reset_frees(sorted(self.sockets)))
        for sock in [s for s in self.sockets.values() if s.socket_id in freed]:
            self._release(sock, out)
            self._free(sock)
        self.queued_at.clear()
        self.at.update(self.stored_at)
        self.api_mode = self.at[b"AP"][0]
        self.decoder = Decoder(self.api_mode)  # a half-received frame does not survive a restart
        self.rebooting = True
        out.append(CancelTimer(_IDLE_TIMER))
        out.append(StartTimer(_RESET_TIMER, self.reset_seconds))

    def _booted(self, out: list[Action]) -> None:
        """The module is back: it says why it started, then that it is registered (AI stays 00)."""
        self.rebooting = False
        self._frame(fr.ModemStatus(self.reset_status), out)
        self._frame(fr.ModemStatus(ModemStatusCode.REGISTERED), out)

    def _valid_setting(self, cmd: bytes, value: bytes) -> bool:
        if cmd == b"AP":
            return len(value) == 1 and value[0] in (1, 2)
        if cmd == b"NI":
            return 0 < len(value) <= 20
        return True

    def _apply_queued(self) -> int | None:
        new_mode = None
        for cmd, value in self.queued_at.items():
            self.at[cmd] = value
            if cmd == b"AP":
                new_mode = value[0]
        self.queued_at.clear()
        return new_mode

    def _socket_info(self, parameter: bytes) -> bytes:
        """``SI``: without a parameter the list of socket IDs; with one, that socket's state."""
        if not parameter:
            return bytes(sorted(self.sockets))
        sock = self.sockets.get(parameter[0])
        if sock is None:
            return b""
        return bytes((sock.socket_id, sock.protocol)) + sock.port.to_bytes(2, "big") + sock.state.encode()


# ---------------------------------------------------------------------- fault profiles


class _ChecksumOffByOne(XBeeFault):
    def wire_out(self, raw: bytes, frame: fr.Frame) -> bytes:
        if frame.FRAME_TYPE in (0xC0, 0xC6, 0xCD):
            return raw[:-1] + bytes(((raw[-1] + 1) & 0xFF,))
        return raw


class _FrameIdNotEchoed(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        fid = getattr(frame, "frame_id", None)
        if fid and frame.FRAME_TYPE in (0xC0, 0xC6, 0xC3, 0xC2, 0x89, 0x88, 0xC1):
            return replace(cast(Any, frame), frame_id=(fid % 255) + 1)  # type: ignore[no-any-return]
        return frame


class _ReceiveWithFrameId(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketReceive):
            return replace(frame, frame_id=0x01)
        return frame


class _NoStatusOnPeerClose(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketStatus) and frame.status == SocketStatusCode.CONNECTION_LOST:
            return None
        return frame


class _WrongStatusOnPeerClose(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketStatus) and frame.status == SocketStatusCode.CONNECTION_LOST:
            return replace(frame, status=SocketStatusCode.TRANSPORT_CLOSED)
        return frame


class _SocketIdNotEchoed(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketListenResponse | fr.SocketCloseResponse):
            return replace(frame, socket_id=frame.socket_id ^ 0x01)
        return frame


class _PortByteSwapped(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketNewIPv4Client):
            port = frame.remote_port
            return replace(frame, remote_port=((port & 0xFF) << 8) | (port >> 8))
        return frame


class _AddressReversed(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketNewIPv4Client):
            return replace(frame, remote_address=".".join(reversed(frame.remote_address.split("."))))
        return frame


class _PayloadTruncated(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketReceive) and len(frame.payload) > 1:
            return replace(frame, payload=frame.payload[:-1])
        return frame


class _NoEscaping(XBeeFault):
    def wire_out(self, raw: bytes, frame: fr.Frame) -> bytes:
        return encode(frame, 1)


class _GoesSilent(XBeeFault):
    """A module that hangs after a while: it stops sending anything at all."""

    after = 60

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        self.after -= 1
        return frame if self.after >= 0 else None


# -- faults of the wider socket surface (XBEE-CONNECT, -SEND, -UDP, -CLOSE, -OPT, -AT, -CREATE, -LISTEN, -FRAMING)


class _NoStatusAfterConnect(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketStatus) and frame.status == SocketStatusCode.CONNECTED:
            return None
        return frame


class _ConnectAlwaysStarted(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketConnectResponse) and frame.status != SocketConnectStatus.CONNECT_STARTED:
            return replace(frame, status=SocketConnectStatus.CONNECT_STARTED)
        return frame


class _RefusedAsTimeout(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketStatus) and frame.status == SocketStatusCode.CONNECTION_REFUSED:
            return replace(frame, status=SocketStatusCode.TIMED_OUT)
        return frame


class _LateConnectResponse(XBeeFault):
    def delay(self, frame: fr.Frame) -> float:
        # Beyond every profile's 2 s reply deadline (and the 0xCF 00 overtakes it).
        return 2.5 if isinstance(frame, fr.SocketConnectResponse) else 0.0


class _SendDropsLastByte(XBeeFault):
    def net_out(self, action: Action) -> Action | None:
        if isinstance(action, Send | SendTo) and len(action.data) > 1:
            return replace(action, data=action.data[:-1])
        return action


class _TxStatusAlwaysSuccess(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.TransmitStatus) and frame.status != TransmitStatusCode.SUCCESS:
            return replace(frame, status=TransmitStatusCode.SUCCESS)
        return frame


class _ReceiveFromPortSwapped(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketReceiveFrom):
            port = frame.source_port
            return replace(frame, source_port=((port & 0xFF) << 8) | (port >> 8))
        return frame


class _CloseLeavesSocketsOpen(XBeeFault):
    def net_out(self, action: Action) -> Action | None:
        return None if isinstance(action, Close | StopListening | CloseUdp) else action


class _OptionNotStored(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketOptionResponse) and frame.option_data:
            return replace(frame, option_data=b"\x00")
        return frame


class _AtErrorsReportedOk(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.ATCommandResponse) and frame.status != ATCommandStatus.OK:
            return replace(frame, status=ATCommandStatus.OK)
        return frame


class _CreateFailureSocketId(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketCreateResponse) and frame.status != SocketCreateStatus.SUCCESS:
            return replace(frame, socket_id=0x00)
        return frame


class _ReusesOpenSocketId(XBeeFault):
    def socket_id(self, free: int, in_use: Sequence[int]) -> int:
        return in_use[0] if in_use else free


class _ListenTwiceAccepted(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketListenResponse) and frame.status == SocketListenStatus.ALREADY_BOUND_OR_LISTENING:
            return replace(frame, status=SocketListenStatus.SUCCESS)
        return frame


class _DropsFrameAfterBadInput(XBeeFault):
    """A parser whose error path resynchronises one frame late."""

    armed = False

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        kept: list[Event] = []
        for event in events:
            if isinstance(event, DecodeEvent | fr.UnknownFrame):
                self.armed = True
            elif self.armed:
                self.armed = False
                continue
            kept.append(event)
        return kept


class _ChecksumNotChecked(XBeeFault):
    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        kept: list[Event] = []
        for event in events:
            if isinstance(event, BadChecksum):
                with contextlib.suppress(fr.FrameFormatError):
                    kept.append(fr.parse_frame_data(event.frame_data))
                continue
            kept.append(event)
        return kept


class _ChecksumNotUnescaped(XBeeFault):
    """Compares the checksum byte as it came (7D 5E) instead of unescaped: such frames are dropped."""

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        if api_mode != 2:
            return events
        return [e for e in events if not (isinstance(e, fr.Frame) and checksum(e.to_data()) in ESCAPED_BYTES)]


class _OneFramePerRead(XBeeFault):
    """Handles one frame per UART read and drops the rest of the buffer."""

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        first = next((i for i, e in enumerate(events) if isinstance(e, fr.Frame)), None)
        return [e for i, e in enumerate(events) if not isinstance(e, fr.Frame) or i == first]


# -- faults of a module reset (XBEE-MODEM)


class _NoModemStatusAfterReset(XBeeFault):
    """Restarts on FR but never announces it: no 0x8A at all."""

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        return None if isinstance(frame, fr.ModemStatus) else frame


class _SocketsSurviveReset(XBeeFault):
    """FR restarts only the XBee application: the cellular component keeps its sockets (IDs and ports)."""

    def reset_frees(self, socket_ids: Sequence[int]) -> Sequence[int]:
        return []


class _ResetWithoutOk(XBeeFault):
    """Restarts before the 0x88 FR OK has left the UART: the OK is lost."""

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.ATCommandResponse) and frame.command == b"FR":
            return None
        return frame


class _SettingsWrittenAtOnce(XBeeFault):
    """Writes every AT set to non-volatile memory at once, as if WR followed it: nothing reverts on a reset."""

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        kept: list[Event] = []
        for event in events:
            kept.append(event)
            if type(event) is fr.ATCommand and event.parameter:
                kept.append(fr.ATCommand(0, b"WR"))  # frame ID 0: no reply of its own
        return kept


for _fault in (
    _ChecksumOffByOne("checksum-off-by-one", FAMILY, "0xC0/0xC6/0xCD go out with checksum + 1"),
    _FrameIdNotEchoed("frame-id-not-echoed", FAMILY, "responses carry the request's frame ID + 1"),
    _ReceiveWithFrameId("receive-nonzero-frame-id", FAMILY, "0xCD carries frame ID 01 instead of 00"),
    _NoStatusOnPeerClose("no-status-on-peer-close", FAMILY, "no 0xCF when the peer closes"),
    _WrongStatusOnPeerClose("wrong-status-on-peer-close", FAMILY, "0xCF 03 instead of 07 when the peer closes"),
    _SocketIdNotEchoed("socket-id-not-echoed", FAMILY, "0xC6/0xC3 carry another socket ID than the request's"),
    _PortByteSwapped("port-byte-swapped", FAMILY, "0xCC carries the remote port little-endian"),
    _AddressReversed("address-reversed", FAMILY, "0xCC carries the remote IPv4 bytes reversed"),
    _PayloadTruncated("payload-truncated", FAMILY, "0xCD loses the last byte of each payload"),
    _NoEscaping("no-escaping", FAMILY, "frames go out unescaped even in AP=2"),
    XBeeFault(
        "cat1-presents-on-connect",
        FAMILY,
        "a Cat 1 module that presents 0xCC before any data",
        overrides={"present_connection": "on-connect"},
    ),
    _GoesSilent("goes-silent", FAMILY, "answers normally, then (after 60 frames) sends nothing more"),
    XBeeFault(
        "ids-start-at-1",
        FAMILY,
        "allocates socket IDs from 01 (the seed assumes 00; the policy is UNCONFIRMED)",
        overrides={"first_socket_id": 1},
    ),
    XBeeFault(
        "presents-on-data",
        FAMILY,
        "an LTE-M module that waits for data before presenting 0xCC",
        overrides={"present_connection": "on-data"},
    ),
    _NoStatusAfterConnect("no-status-after-connect", FAMILY, "0xC2 00 but never the 0xCF 00 once connected"),
    _ConnectAlwaysStarted("connect-always-started", FAMILY, "0xC2 answers 00 whatever is wrong with the request"),
    _RefusedAsTimeout("refused-reported-as-timeout", FAMILY, "a refused connect is reported as 0xCF 04, not 02"),
    _LateConnectResponse("late-connect-response", FAMILY, "0xC2 goes out 2.5 s late, after the 0xCF"),
    _SendDropsLastByte("send-drops-last-byte", FAMILY, "0x44/0x45 payloads lose their last byte on the network"),
    XBeeFault(
        "payload-limit-off-by-one",
        FAMILY,
        "a 1500-byte 0x44/0x45 is refused with 74 (the length check is off by one)",
        overrides={"max_payload": 1499},
    ),
    _TxStatusAlwaysSuccess("tx-status-always-success", FAMILY, "0x89 reports 00 even when nothing was sent"),
    _ReceiveFromPortSwapped("receive-from-port-swapped", FAMILY, "0xCE carries the source port little-endian"),
    _CloseLeavesSocketsOpen(
        "close-leaves-sockets-open", FAMILY, "0x43 frees the socket ID but leaves the port/connection open"
    ),
    _OptionNotStored("option-not-stored", FAMILY, "a TLS profile set by 0x41 is answered 00 but queries return 00"),
    _AtErrorsReportedOk("at-errors-reported-ok", FAMILY, "0x88 answers 00 (OK) to bad commands and parameters"),
    _CreateFailureSocketId("create-failure-socket-id", FAMILY, "a failed 0xC0 carries socket ID 00 instead of FF"),
    _ReusesOpenSocketId("reuses-open-socket-id", FAMILY, "a new socket gets an ID that is still in use"),
    _ListenTwiceAccepted("listen-twice-accepted", FAMILY, "0x46 on a listening/bound socket answers 00, not 03"),
    _DropsFrameAfterBadInput(
        "drops-frame-after-bad-input",
        FAMILY,
        "after garbage, a bad checksum, a cut frame or an unknown frame type, the next good frame is lost",
    ),
    _ChecksumNotChecked("checksum-not-checked", FAMILY, "frames with a bad checksum are acted on"),
    _ChecksumNotUnescaped(
        "checksum-not-unescaped", FAMILY, "in AP=2, a frame whose checksum byte is escaped is dropped"
    ),
    _OneFramePerRead("one-frame-per-read", FAMILY, "only the first frame of each UART read is handled"),
    _NoModemStatusAfterReset("no-modem-status-after-reset", FAMILY, "FR restarts the module but no 0x8A follows"),
    _SocketsSurviveReset(
        "sockets-survive-reset", FAMILY, "FR leaves every socket open: old IDs stay valid, listeners keep listening"
    ),
    _ResetWithoutOk("reset-without-ok", FAMILY, "FR restarts the module before its 0x88 OK goes out"),
    _SettingsWrittenAtOnce(
        "settings-written-at-once", FAMILY, "every AT set is written at once (as if WR followed): FR reverts nothing"
    ),
):
    register(_fault)
Model = XBeeModel
