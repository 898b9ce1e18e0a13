"""The XBee Cellular device model (API mode, Extended Socket frames), as a sans-IO state machine.

This module owns the module's behaviour: its sockets and their states (``SockState``), its AT
settings, a reset (FR), and which request frame or network event each handler answers (the
``_requests`` and ``_socket_events`` tables). ``XBeeModel.serial_in(bytes)`` and
``XBeeModel.net_in(event)`` return actions (bytes for the UART, network operations for the
executor). Behaviour follows docs/spec/xbee-cellular-sockets.md; where the spec says UNCONFIRMED
the model picks the likeliest behaviour and says so in a comment. Faults act only through the hooks
of ``emulator.xbee.faults.XBeeFault``; a module that is not ready yet (not registered, transparent
mode) only through those of ``emulator.xbee.states.XBeeState``.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sockconf.emulator.faults import FaultSpec, device_settings
from sockconf.emulator.net import (
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
from sockconf.emulator.states import READY_TIMER, StateSpec
from sockconf.emulator.xbee.faults import XBeeFault
from sockconf.emulator.xbee.states import GUARD_TIME, XBeeState
from sockconf.protocol.profile import Profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import Decoder, Event, encode
from sockconf.protocol.xbee.status import (
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
    coerce,
)

FAMILY = "xbee"
DEFAULT_PROFILE = "xbee3-lte-m"
# With AP=1 a frame cut short is only known once the line goes idle (see Decoder.flush): after 0.1 s, at
# least three character times even at the slowest pace the emulator takes (300 Bd).
IDLE_FLUSH_SECONDS = 0.1
_IDLE_TIMER = "uart-idle"
# FR: how long the module is away (UART input dropped) before it announces itself with 0x8A.
# A real module takes seconds (the cellular component restarts too); a profile may set ``reset_seconds``.
# The cases wait for the 0x8A however long it takes (the reset deadline), so the emulator is away briefly.
RESET_SECONDS = 0.02
_RESET_TIMER = "reset"
# + the connection's network key (never reused, unlike a socket ID): a Cat 1 client presented after its first data
_PRESENT_TIMER = "present-"
# + the connection's network key: a Cat 1 client's first data, held back for ``present_gap`` after its 0xCC
_FIRST_DATA_TIMER = "first-data-"
# Settings the host cannot set (answered 01 ERROR); all others revert to their stored value on a reset.
READ_ONLY = frozenset({b"MY", b"VR", b"HV", b"SH", b"SL", b"IM", b"AI"})
# Settings whose value is checked before it is taken (answered 03 INVALID PARAMETER otherwise).
SETTING_CHECKS: dict[bytes, Callable[[bytes], bool]] = {
    b"AP": lambda value: len(value) == 1 and value[0] in (1, 2),
    b"NI": lambda value: 0 < len(value) <= 20,
}


class SockState(Enum):
    """Where a socket is in its life (``SI`` names it as ``SI_STATES`` says)."""

    NEW = "new"
    BINDING = "binding"  # 0x46 passed on to the network, its answer not back yet
    LISTENING = "listening"
    BOUND = "bound"  # a UDP socket bound by 0x46
    CONNECTING = "connecting"
    CONNECTED = "connected"
    CLIENT = "client"  # accepted by a listener


# SI's STATE and PROTOCOL words (spec §4 "SI").
SI_STATES = {
    SockState.NEW: "Allocated",
    SockState.BINDING: "Allocated",
    SockState.LISTENING: "Listening",
    SockState.BOUND: "Bound",
    SockState.CONNECTING: "Connecting",
    SockState.CONNECTED: "Connected",
    SockState.CLIENT: "Connected",
}
SI_PROTOCOLS: dict[int, str] = {Protocol.UDP: "UDP", Protocol.TCP: "TCP", Protocol.TLS: "TLS"}


@dataclass
class Sock:
    socket_id: int
    protocol: int
    state: SockState = SockState.NEW
    key: int | None = None  # network object key (listener, connection, UDP socket)
    port: int = 0
    presented: bool = True  # False: a Cat 1 client not yet shown to the host (no 0xCC yet)
    presenting: bool = False  # its data has arrived, its 0xCC follows on a timer (``present_delay``)
    # A Cat 1 client's data that arrived with or right after its 0xCC, held back for ``present_gap``.
    held: list[bytes] = field(default_factory=list)
    holding: bool = False
    pending_frame_id: int = 0  # frame ID of a 0x46/0x42 waiting for the network's answer
    tls_profile: int = 0
    listener_id: int | None = None
    peer: tuple[str, int] = ("0.0.0.0", 0)


def _hex(value: str) -> bytes:
    return bytes.fromhex(value)


class XBeeModel:
    """One XBee Cellular module."""

    family = FAMILY
    hooks_class = XBeeFault  # the hook base faults and variants subclass

    def __init__(
        self,
        profile: Profile,
        host_ip: str = "127.0.0.1",
        fault: FaultSpec[XBeeFault] | None = None,
        state: StateSpec[XBeeState] | None = None,
        ready_after: float | None = None,
    ) -> None:
        device = device_settings(profile.device, fault)
        self.profile = profile
        self.fault = fault.hooks() if fault is not None else XBeeFault()
        self.state = state.hooks(ready_after) if state is not None else XBeeState()
        self.guard_time = float(device.get("guard_time", GUARD_TIME))
        self.host_ip = host_ip
        self.api_mode = int(device.get("api_mode", 1))
        # A variant may have fewer sockets than the figures the profile marks UNCONFIRMED (this many fewer).
        lowered = int(device.get("lower_unconfirmed_caps", 0))

        def figure(key: str, default: int) -> int:
            value = int(device.get(key, default))
            return value - lowered if key in profile.unconfirmed else value

        self.max_sockets = figure("max_sockets", 6)
        # Per-protocol limits (Cat 1: up to 6 of each; older LTE-M: 4 may be TLS), else only the total.
        # Per-protocol caps; a variant may lift the ones the profile marks UNCONFIRMED (then the total applies).
        lifted = set(profile.unconfirmed) if device.get("lift_unconfirmed_caps") else set()
        self.protocol_limits = {
            int(p): figure(key, self.max_sockets) if key not in lifted else self.max_sockets
            for p in Protocol
            for key in (f"max_{p.name.lower()}_sockets",)
        }
        self.max_payload = int(device.get("max_payload", 1500))
        self.present_on_data = device.get("present_connection", "on-connect") == "on-data"
        # Cat 1: how long after a client's first data its 0xCC follows (UNCONFIRMED). 0: right before the
        # first 0xCD; otherwise the data goes out at once and the 0xCC this many seconds later.
        self.present_delay = float(device.get("present_delay", 0.0))
        # Cat 1, 0xCC first: how long the client's first 0xCD follows its 0xCC. A host library may
        # take the client's data only once it has handled the 0xCC (docs/host-stacks.md), and a real
        # module's UART spaces the frames out; 0: right behind it, in the same write.
        self.present_gap = float(device.get("present_gap", 0.0))
        # SI with no socket open (XBEE-SILENT-SI-EMPTY-LIST): "cr" answers the list's closing CR alone,
        # "empty" answers no value.
        self.si_empty_list = str(device.get("si_empty_list", "cr"))
        # Bind/Listen on port 0 (UNCONFIRMED): "invalid-port" answers 0xC6 01; "any-port" binds or listens
        # on a port the network stack picks and answers 00.
        self.port_zero = str(device.get("listen_port_zero", "invalid-port"))
        # The 0xC6 status for Bind/Listen on a TLS socket: no incoming TLS (seed note), code UNCONFIRMED.
        self.tls_listen_status = int(device.get("tls_listen_status", SocketListenStatus.ERROR))
        # 0x45 on a UDP socket never bound (XBEE-SILENT-SENDTO-UNBOUND): "not-bound" answers 0x89 88;
        # "auto-bind" binds a port the network stack picks and sends from it, as a BSD stack does.
        self.sendto_unbound = str(device.get("sendto_unbound", "not-bound"))
        # Closing a listener (UNCONFIRMED): its accepted clients stay open, or are closed too (0xCF 0B each).
        self.listener_closes_clients = bool(device.get("listener_closes_clients", False))
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
        # Frames a fault holds back, by timer key: encoded when they go out (in the API mode of that moment),
        # and lost by a restart (FR) like everything else in RAM.
        self._held: dict[str, fr.Frame] = {}
        self._held_keys = itertools.count(1)
        # What answers each request frame type; frame types a module does not accept from the host
        # are ignored, as on hardware.
        self._requests: dict[type[fr.Frame], Callable[[Any, list[Action]], None]] = {
            fr.SocketCreate: self._on_socket_create,
            fr.SocketClose: self._on_socket_close,
            fr.SocketBindListen: self._on_socket_bind_listen,
            fr.SocketConnect: self._on_socket_connect,
            fr.SocketSend: self._on_socket_send,
            fr.SocketSendTo: self._on_socket_send_to,
            fr.SocketOption: self._on_socket_option,
            fr.ATCommand: self._on_at_command,
            fr.ATCommandQueue: self._on_at_command_queue,
        }
        # What the network tells about one of the module's sockets.
        self._socket_events: dict[type[NetEvent], Callable[[Sock, Any, list[Action]], None]] = {
            ListenResult: self._on_bind_result,
            BindResult: self._on_bind_result,
            ConnectResult: self._on_connect_result,
            Received: self._on_received,
            Datagram: self._on_datagram,
            PeerClosed: self._on_peer_closed,
        }
        # The model's own timers (a fault's held-back frames have keys of their own).
        self._timers: dict[str, Callable[[list[Action]], None]] = {
            _IDLE_TIMER: self._idle,
            _RESET_TIMER: self._booted,
            READY_TIMER: self._ready,
        }
        # AT commands executed at once, never queued (also over 0x09: UNCONFIRMED for WR and FR; a
        # parameter is ignored), and what each does once its reply has gone out.
        self._executed: dict[bytes, Callable[[list[Action]], None]] = {
            b"AC": lambda out: None,  # applies the queued sets, in either frame (``_at``, spec §2)
            b"WR": self._write,
            b"FR": self._reset,
        }

    # ------------------------------------------------------------------ entry points

    def power_on(self) -> list[Action]:
        """What the module does when it starts (the executor calls this once): a state's own timers."""
        return self.state.power_on()

    def serial_in(self, data: bytes) -> list[Action]:
        out: list[Action] = []
        if not self.state.speaks_api():
            return self.state.serial_in(data, self.guard_time)
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
            self._timer(event.key, out)
        elif isinstance(event, Accepted):
            self._accepted(event, out)
        else:
            sid = self.by_key.get(event.key)
            sock = self.sockets.get(sid) if sid is not None else None
            if sock is not None:
                self._socket_events[type(event)](sock, event, out)
            elif isinstance(event, Received) or (isinstance(event, ConnectResult) and event.error is None):
                # A connection whose socket is gone (closed or reset meanwhile) is not kept open.
                self._net(Close(event.key), out)
        return out

    def shutdown(self) -> list[Action]:
        """Close everything (the process is going away)."""
        out: list[Action] = []
        for sock in list(self.sockets.values()):
            self._release(sock, out)
        self.sockets.clear()
        self.by_key.clear()
        return out

    # ------------------------------------------------------------------ timers and network events

    def _timer(self, key: str, out: list[Action]) -> None:
        handler = self._timers.get(key)
        if handler is not None:
            handler(out)
        elif key in self._held:
            held = self._held.pop(key)
            out.append(SerialOut(self.fault.wire_out(encode(held, self.api_mode), held)))
        elif key.startswith(_FIRST_DATA_TIMER):
            sid = self.by_key.get(int(key.removeprefix(_FIRST_DATA_TIMER)))
            sock = self.sockets.get(sid) if sid is not None else None
            if sock is not None:
                self._release_held(sock, out)
        elif key.startswith(_PRESENT_TIMER):
            # The connection may be gone by now (closed, reset): then there is no one to present.
            sid = self.by_key.get(int(key.removeprefix(_PRESENT_TIMER)))
            sock = self.sockets.get(sid) if sid is not None else None
            if sock is not None:
                self._present_pending(sock, out)
        else:
            out.extend(self.state.timer(key, self.guard_time))

    def _ready(self, out: list[Action]) -> None:
        """A module that was not registered has registered: it says so (0x8A 02) and is ready."""
        self.state.become_ready()
        self._frame(fr.ModemStatus(ModemStatusCode.REGISTERED), out)

    def _idle(self, out: list[Action]) -> None:
        if self.fault.idle_flush(self.api_mode):
            self._decoded(self.decoder.flush(), out)

    def _on_bind_result(self, sock: Sock, event: ListenResult | BindResult, out: list[Action]) -> None:
        ok = event.error is None
        if ok:
            sock.state = SockState.LISTENING if isinstance(event, ListenResult) else SockState.BOUND
        else:
            self._forget_key(sock)
        status = SocketListenStatus.SUCCESS if ok else SocketListenStatus.ERROR
        if sock.pending_frame_id:
            self._frame(fr.SocketListenResponse(sock.pending_frame_id, sock.socket_id, status), out)

    def _on_connect_result(self, sock: Sock, event: ConnectResult, out: list[Action]) -> None:
        if event.error is None:
            sock.state = SockState.CONNECTED
            self._frame(fr.SocketStatus(sock.socket_id, SocketStatusCode.CONNECTED), out)
            return
        code = {
            "refused": SocketStatusCode.CONNECTION_REFUSED,
            "dns": SocketStatusCode.FAILED_DNS_LOOKUP,
            "timeout": SocketStatusCode.TIMED_OUT,
        }.get(event.error, SocketStatusCode.HOST_UNREACHABLE)
        self._free(sock)
        self._frame(fr.SocketStatus(sock.socket_id, code), out)

    def _on_received(self, sock: Sock, event: Received, out: list[Action]) -> None:
        if not sock.presented and not sock.presenting:
            if self.present_delay > 0:
                sock.presenting = True
                out.append(StartTimer(f"{_PRESENT_TIMER}{sock.key}", self.present_delay))
            else:
                sock.presented = True
                self._present(sock, out)
                if self.present_gap > 0:
                    sock.holding = True
                    out.append(StartTimer(f"{_FIRST_DATA_TIMER}{sock.key}", self.present_gap))
        if sock.holding:
            sock.held.append(event.data)
            return
        self._deliver(sock, event.data, out)

    def _on_datagram(self, sock: Sock, event: Datagram, out: list[Action]) -> None:
        for chunk in self._chunks(event.data):
            self._frame(fr.SocketReceiveFrom(0, sock.socket_id, event.host, event.port, 0, chunk), out)

    def _on_peer_closed(self, sock: Sock, event: PeerClosed, out: list[Action]) -> None:
        self._present_pending(sock, out)
        self._release_held(sock, out)
        presented = sock.presented
        self._free(sock)
        if presented:
            code = SocketStatusCode.RST_CLOSE_BY_PEER if event.reset else SocketStatusCode.CONNECTION_LOST
            self._frame(fr.SocketStatus(sock.socket_id, code), out)

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
        delay = self.fault.delay(altered)
        for _ in range(self.fault.copies(altered)):
            if delay <= 0:
                out.append(SerialOut(self.fault.wire_out(encode(altered, self.api_mode), altered)))
            else:
                key = f"held-{next(self._held_keys)}"
                self._held[key] = altered
                out.append(StartTimer(key, delay))
        for extra in self.fault.frames_after(altered):
            self._frame(extra, out)

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

    def _present_pending(self, sock: Sock, out: list[Action]) -> None:
        """A client whose data has gone out but whose 0xCC waits (``present_delay``) is presented now."""
        if sock.presenting and not sock.presented:
            sock.presented = True
            self._present(sock, out)

    def _release_held(self, sock: Sock, out: list[Action]) -> None:
        """A Cat 1 client's data held back behind its 0xCC (``present_gap``) goes out now."""
        if sock.holding:
            sock.holding = False
            data, sock.held = b"".join(sock.held), []
            if data:
                self._deliver(sock, data, out)

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
        sock.state = SockState.NEW

    def _free(self, sock: Sock) -> None:
        if sock.key is not None:
            self.by_key.pop(sock.key, None)
        self.sockets.pop(sock.socket_id, None)

    def _release(self, sock: Sock, out: list[Action]) -> None:
        """Give back the network object behind a socket."""
        if sock.key is None:
            return
        if sock.state is SockState.LISTENING:
            self._net(StopListening(sock.key), out)
        elif sock.state is SockState.BOUND or (sock.protocol == Protocol.UDP):
            self._net(CloseUdp(sock.key), out)
        else:
            self._net(Close(sock.key), out)

    def _accepted(self, event: Accepted, out: list[Action]) -> None:
        lid = self.by_key.get(event.listener_key)
        sid = self._alloc_id(Protocol.TCP)
        if lid is None or sid is None:
            self._net(Close(event.key), out)  # no free socket: the connection is dropped
            return
        sock = Sock(sid, Protocol.TCP, state=SockState.CLIENT, listener_id=lid, peer=(event.peer_host, event.peer_port))
        sock.key = event.key
        self.by_key[event.key] = sid
        self.sockets[sid] = sock
        if self.present_on_data:
            sock.presented = False
        else:
            self._present(sock, out)

    # ------------------------------------------------------------------ requests

    def _request(self, frame: fr.Frame, out: list[Action]) -> None:
        handler = self._requests.get(type(frame))
        if handler is not None:
            handler(frame, out)
            return
        for reply in self.fault.unhandled(frame):  # a frame type the module does not take: ignored by default
            self._frame(reply, out)

    def _on_socket_create(self, f: fr.SocketCreate, out: list[Action]) -> None:
        if f.protocol not in (Protocol.UDP, Protocol.TCP, Protocol.TLS):
            self._frame(fr.SocketCreateResponse(f.frame_id, 0xFF, SocketCreateStatus.INVALID_PROTOCOL), out)
            return
        refused = self.state.create_refused()
        if refused is not None:
            self._frame(fr.SocketCreateResponse(f.frame_id, 0xFF, refused), out)
            return
        sid = self._alloc_id(int(f.protocol))
        if sid is None:
            self._frame(fr.SocketCreateResponse(f.frame_id, 0xFF, SocketCreateStatus.RESOURCE_ERROR), out)
            return
        self.sockets[sid] = Sock(sid, int(f.protocol))
        # 0x40 is answered even with frame ID 0 (spec §1).
        self._frame(fr.SocketCreateResponse(f.frame_id, sid, SocketCreateStatus.SUCCESS), out)

    def _on_socket_close(self, f: fr.SocketClose, out: list[Action]) -> None:
        if f.socket_id == 0xFF:
            closed = sorted(self.sockets)
            for sock in list(self.sockets.values()):
                self._release(sock, out)
                self._free(sock)
            # How many frames answer a close-all is not documented (XBEE-SILENT-CLOSE-ALL-REPLY): one 0xC3 FF 00.
            if f.frame_id:
                for reply in self.fault.close_all_replies(f.frame_id, closed):
                    self._frame(reply, out)
            return
        target = self.sockets.get(f.socket_id)
        if target is None:
            status = SocketCloseStatus.BAD_SOCKET_ID
        else:
            self._release(target, out)
            self._free(target)
            status = SocketCloseStatus.SUCCESS
        if f.frame_id:
            self._frame(fr.SocketCloseResponse(f.frame_id, f.socket_id, status), out)
        if target is not None and target.state is SockState.LISTENING and self.listener_closes_clients:
            self._close_clients(target, out)

    def _close_clients(self, listener: Sock, out: list[Action]) -> None:
        """A closed listener's accepted clients closed too (spec: UNCONFIRMED; by default they stay open).

        Each client the host knows of (its 0xCC, or its data whose 0xCC waits: presented first) is reported
        by 0xCF 0B (listener closed), after the 0xC3; a Cat 1 client that never sent anything is closed unseen.
        """
        for sock in [s for s in self.sockets.values() if s.listener_id == listener.socket_id]:
            self._present_pending(sock, out)
            self._release_held(sock, out)
            self._release(sock, out)
            self._free(sock)
            if sock.presented:
                self._frame(fr.SocketStatus(sock.socket_id, SocketStatusCode.LISTENER_CLOSED), out)

    def _on_socket_bind_listen(self, f: fr.SocketBindListen, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        status: SocketListenStatus | int | None = None
        if sock is None:
            status = SocketListenStatus.INVALID_SOCKET_ID
        elif sock.state in (SockState.LISTENING, SockState.BOUND):
            status = SocketListenStatus.ALREADY_BOUND_OR_LISTENING
        elif sock.state is not SockState.NEW:
            status = SocketListenStatus.ERROR
        elif f.source_port == 0 and self.port_zero != "any-port":
            status = SocketListenStatus.INVALID_PORT  # port 0: UNCONFIRMED, 0x01 exists for it
        elif sock.protocol == Protocol.TLS:
            status = coerce(SocketListenStatus, self.tls_listen_status)  # no incoming TLS (seed note)
        if status is not None:
            if f.frame_id:
                self._frame(fr.SocketListenResponse(f.frame_id, f.socket_id, status), out)
            return
        assert sock is not None
        sock.port = f.source_port
        sock.pending_frame_id = f.frame_id
        sock.state = SockState.BINDING
        key = self._new_key(sock)
        if sock.protocol == Protocol.UDP:
            self._net(BindUdp(key, f.source_port), out)
        else:
            self._net(Listen(key, f.source_port, backlog=self.max_sockets), out)

    def _on_socket_connect(self, f: fr.SocketConnect, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        status = SocketConnectStatus.CONNECT_STARTED
        host = ""
        if sock is None:
            status = SocketConnectStatus.INVALID_SOCKET_ID
        elif sock.state is SockState.CONNECTING:
            status = SocketConnectStatus.ALREADY_IN_PROGRESS
        elif sock.state in (SockState.CONNECTED, SockState.CLIENT):
            status = SocketConnectStatus.ALREADY_CONNECTED
        elif sock.state is not SockState.NEW:
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
            sock.state = SockState.CONNECTED
            if sock.key is None:
                self._net(BindUdp(self._new_key(sock), 0), out)
            self._frame(fr.SocketStatus(sock.socket_id, SocketStatusCode.CONNECTED), out)
            return
        sock.state = SockState.CONNECTING
        self._net(Connect(self._new_key(sock), host, f.dest_port), out)

    def _on_socket_send(self, f: fr.SocketSend, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        if sock is None:
            status = TransmitStatusCode.CONNECTION_NOT_FOUND
        elif len(f.payload) > self.max_payload:
            status = TransmitStatusCode.MESSAGE_TOO_LONG
        elif sock.state not in (SockState.CONNECTED, SockState.CLIENT) or sock.key is None:
            status = TransmitStatusCode.SOCKET_NOT_CONNECTED  # UNCONFIRMED code (spec §4)
        else:
            if sock.protocol == Protocol.UDP:
                self._net(SendTo(sock.key, sock.peer[0], sock.peer[1], f.payload), out)
            else:
                self._net(Send(sock.key, f.payload), out)
            status = TransmitStatusCode.SUCCESS
        if f.frame_id:
            self._frame(fr.TransmitStatus(f.frame_id, status), out)

    def _on_socket_send_to(self, f: fr.SocketSendTo, out: list[Action]) -> None:
        sock = self.sockets.get(f.socket_id)
        if sock is None:
            status = TransmitStatusCode.CONNECTION_NOT_FOUND
        elif sock.protocol != Protocol.UDP:
            status = TransmitStatusCode.INVALID_FRAME_VALUES  # UNCONFIRMED
        elif len(f.payload) > self.max_payload:
            status = TransmitStatusCode.MESSAGE_TOO_LONG
        elif f.dest_port == 0:
            status = TransmitStatusCode.INVALID_UDP_PORT
        elif sock.key is None and self.sendto_unbound != "auto-bind":
            status = TransmitStatusCode.SOCKET_NOT_BOUND  # XBEE-SILENT-SENDTO-UNBOUND
        else:
            if sock.key is None:
                # Bound implicitly, to a port the network stack picks; no 0xC6 follows (no 0x46 asked).
                sock.state = SockState.BINDING
                self._net(BindUdp(self._new_key(sock), 0), out)
            assert sock.key is not None
            self._net(SendTo(sock.key, f.dest_address, f.dest_port, f.payload), out)
            status = TransmitStatusCode.SUCCESS
        if f.frame_id:
            self._frame(fr.TransmitStatus(f.frame_id, status), out)

    def _on_socket_option(self, f: fr.SocketOption, out: list[Action]) -> None:
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

    def _on_at_command(self, f: fr.ATCommand, out: list[Action]) -> None:
        self._at(f, out, queue=False)

    def _on_at_command_queue(self, f: fr.ATCommandQueue, out: list[Action]) -> None:
        self._at(f, out, queue=True)

    def _at(self, f: fr.ATCommand, out: list[Action], queue: bool) -> None:
        cmd = f.command
        value = b""
        # Queued (0x09) sets apply on the next 0x08 frame of any kind, or AC in either frame (spec §2).
        new_mode = None if queue and cmd != b"AC" else self._apply_queued()
        status: ATCommandStatus
        if cmd in self._executed:
            status = ATCommandStatus.OK
        elif cmd == b"SI":
            status = ATCommandStatus.OK
            value = self._socket_info(f.parameter)
        elif cmd not in self.at:
            status = ATCommandStatus.INVALID_COMMAND
        elif not f.parameter:
            status = ATCommandStatus.OK
            value = self._read_setting(cmd)
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
        effect = self._executed.get(cmd)
        if effect is not None:
            effect(out)

    def _write(self, out: list[Action]) -> None:
        """WR: what is applied now is what the next reset comes back with (queued sets are not applied yet)."""
        self.stored_at = {k: v for k, v in self.at.items() if k not in READ_ONLY}

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
        out.extend(CancelTimer(key) for key in self._held)
        self._held.clear()
        out.append(CancelTimer(_IDLE_TIMER))
        out.append(StartTimer(_RESET_TIMER, self.reset_seconds))

    def _booted(self, out: list[Action]) -> None:
        """The module is back: it says why it started, then that it is registered (AI stays 00)."""
        self.rebooting = False
        self._frame(fr.ModemStatus(self.reset_status), out)
        self._frame(fr.ModemStatus(ModemStatusCode.REGISTERED), out)

    def _read_setting(self, cmd: bytes) -> bytes:
        """A setting's value as the module answers it now (AI and MY depend on its readiness)."""
        if cmd == b"AI":
            return bytes((self.state.association(),))
        if cmd == b"MY":
            return self.state.address(self.at[cmd])
        return self.at[cmd]

    def _valid_setting(self, cmd: bytes, value: bytes) -> bool:
        check = SETTING_CHECKS.get(cmd)
        return check is None or check(value)

    def _apply_queued(self) -> int | None:
        new_mode = None
        for cmd, value in self.queued_at.items():
            self.at[cmd] = value
            if cmd == b"AP":
                new_mode = value[0]
        self.queued_at.clear()
        return new_mode

    def _socket_info(self, parameter: bytes) -> bytes:
        """``SI`` as text (spec §4 "SI"): without a parameter the open sockets' IDs in hex, a CR after
        each and one more at the end; with a socket ID, six CR-terminated fields and one more CR."""
        if not parameter:
            if not self.sockets and self.si_empty_list == "empty":
                return b""
            return b"".join(f"0x{sid:02X}\r".encode() for sid in sorted(self.sockets)) + b"\r"
        sock = self.sockets.get(parameter[0])
        if sock is None:
            return b""
        host, port = sock.peer
        fields = (
            f"0x{sock.socket_id:02X}",
            SI_STATES[sock.state],
            SI_PROTOCOLS.get(sock.protocol, "TCP"),
            str(sock.port),  # 0 unless bound by 0x46
            str(port),
            host,  # 0.0.0.0 for an unconnected socket
        )
        return "".join(f"{field}\r" for field in fields).encode() + b"\r"
