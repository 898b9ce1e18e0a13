"""The Inventek eS-WiFi (ISM43362) device model: AT transport commands and TCP servers, sans-IO.

This module owns the module's behaviour: its sockets, their settings (one table, ``Setting``, for
the one-value settings), their servers (``ServerMode``) and clients, and which handler answers each
command (the ``handlers`` table). ``ESWiFiModel.serial_in(bytes)`` and ``ESWiFiModel.net_in(event)``
return actions (bytes for the UART, network operations for the executor). Behaviour follows
``spec/eswifi-transport.md``; where the spec says UNCONFIRMED the model picks the likeliest
behaviour and says so in a comment:

- Four sockets (``P0=0..3``), each with its own settings (``P1`` ``P2`` ``P3`` ``P4`` ``P8`` ``PK``
  ``R1`` ``R2`` ``S2``) and its own server: ``P5=1`` single, ``P5=11`` multi-accept.
- A server has at most one *current* client (the one ``R0``/``S3`` serve, announced by
  ``[TCP SVR] Accepted <ip>:<port>``) and a queue of pending clients in arrival order, at most
  ``P8`` long (spec §3: "further clients wait in the backlog (up to P8)"). The runner accepts every
  connection at once, so the queue lives here; a pending client's bytes stay buffered here until
  it becomes current. A client beyond the backlog is closed at once — what a real module does
  (refuse, drop the SYN, leave it pending) is UNCONFIRMED.
- ``P5=10`` (multi-accept only) closes the current client and makes the oldest pending one
  current. A single server (``P5=1``) serves its one client until ``P5=0``; the clients behind it
  wait and are closed by ``P5=0``.
- ``R0`` answers up to ``R1`` buffered bytes of the current client (empty data when nothing
  waits), and ``-1`` once the client has gone and nothing is buffered. ``S3`` sends the bytes and
  answers their count, or ``-1`` when the client has gone. The ``-1`` tail (with or without OK) is
  the profile's ``lost_reply_ok``.
- ``PK`` is stored per socket and shown by ``P?``. The host's TCP stack reports a peer's FIN or RST
  as a lost client. ``PK=1,<ms>`` turns on TCP keep-alive for the clients a server started after it
  accepts (the runner sets the host socket's keep-alive: first probe after ``<ms>`` idle, then every
  ``<ms>``, lost after 3 unanswered — the module's own probe count is UNCONFIRMED), so a peer that
  vanished without FIN or RST is reported lost like one that closed.
- ``C?`` answers the network settings in the field order ST's es_wifi.c reads (field 5: the module's
  address); ``CS`` answers ``1`` (joined to a network; ``0`` in the ``not-joined`` state), ``MR``
  ``[SOMA][EOMA]`` (on UART the messages come unprompted, so none is ever left to poll), ``I?`` the
  profile's identity line.
- Beyond the servers: a TCP client (``P3``/``P4``, ``P6=1``/``P6=0``), a UDP server (``P1=1``,
  ``P5=1``: datagrams from any peer, the last one's sender in ``P?``) and a UDP client (``P1=1``,
  ``P6=1`` to ``P3``:``P4``), each ``R0`` one datagram, each ``S3`` one datagram; ``S1`` + ``S0``
  writes; ``R0`` waits up to ``R2`` ms for data; ``R?``/``S?`` show ``R1,R2`` / ``S1,S2``. TCP-SSL
  (``P1=3``) has no certificates here, so ``P6=1`` refuses it. Where the documents are silent the
  profile's ``[device]`` keys choose (``connect_refused``, ``udp_oversize``, ``udp_sender_in_p``,
  ``s0_reply``, ``tls_unconfigured``; the registry is ``fixtures/silent/eswifi-transport.toml``).

Faults and conformant variants act only through the hooks of ``emulator.eswifi.faults.ESWiFiFault``:
the replies, the messages, the server's decisions, what ``P?`` shows and what follows a refused ``S3``.
A module not ready yet (not joined) acts only through the hooks of ``emulator.eswifi.states.ESWiFiState``.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sockconf.emulator.eswifi.faults import ESWiFiFault
from sockconf.emulator.eswifi.states import ESWiFiState
from sockconf.emulator.faults import FaultSpec, device_settings
from sockconf.emulator.net import (
    Accepted,
    AcceptNext,
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
from sockconf.protocol.eswifi import (
    ACCEPTED_PREFIX,
    KILLED,
    MAX_S3_COUNT,
    MULTI_ACCEPT_SETUP,
    WAITING,
    BadLine,
    Command,
    CommandEvent,
    CommandReader,
    async_line,
    error_reply,
    lost_reply,
    ok_reply,
)
from sockconf.protocol.profile import Profile

FAMILY = "eswifi"
DEFAULT_PROFILE = "ism43362"
# An S3 payload that stops arriving is given up after this long (the module would otherwise take
# the host's next commands as payload bytes); the profile's ``s3_payload_timeout`` overrides it. The
# real module's timeout, and its answer then (here the S3 error, nothing sent), are UNCONFIRMED.
S3_PAYLOAD_TIMEOUT = 1.0
_PAYLOAD_TIMER = "s3-payload"
_READ_TIMER = "r0-read-timeout"  # an R0 waiting up to R2 ms for data


class ServerMode(Enum):
    """The server a socket runs (``P5=1`` / ``P5=11``)."""

    SINGLE = "single"
    MULTI = "multi"


@dataclass
class Client:
    """One accepted TCP connection of a server socket."""

    key: int
    host: str
    port: int
    buffer: bytearray = field(default_factory=bytearray)
    connected: bool = True


@dataclass
class Socket:
    """One of the module's sockets (``P0``) with its settings and its server."""

    number: int
    read_size: int
    backlog: int
    protocol: int = 0
    local_port: int = 0
    remote_host: str = "0.0.0.0"
    remote_port: int = 0
    keepalive: tuple[int, int] = (0, 0)
    read_timeout: int = 0
    write_timeout: int = 0
    mode: ServerMode | None = None  # None: no server
    starting: ServerMode | None = None  # the mode asked for while the listener is being opened
    listener: int | None = None
    current: Client | None = None
    queue: deque[Client] = field(default_factory=deque)
    # Clients no longer served but still open (only a faulty P5=10 leaves any); closed by P5=0.
    detached: list[Client] = field(default_factory=list)
    write_size: int = 1460  # S1: the payload length of S0
    # The server's waiting clients are held by the host's TCP stack, which refuses clients beyond them.
    host_queue: bool = False
    client: Client | None = None  # the TCP connection P6=1 opened
    udp: UdpEndpoint | None = None  # the UDP socket of a UDP server (P5=1) or client (P6=1)

    def clients(self) -> list[Client]:
        current = [self.current] if self.current is not None else []
        return [*current, *self.queue, *self.detached]


@dataclass
class UdpEndpoint:
    """The UDP socket of a module socket with ``P1=1``/``2``: a server (``P5=1``) or a client (``P6=1``)."""

    key: int
    server: bool
    datagrams: deque[tuple[str, int, bytes]] = field(default_factory=deque)  # (sender ip, port, bytes)
    first: tuple[str, int] | None = None  # the first sender heard
    sender: tuple[str, int] | None = None  # the sender of the last datagram R0 returned


def _number(text: str, low: int, high: int) -> int | None:
    """A decimal parameter within [low, high], or None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None


def _within(low: int, high: int) -> Callable[[str], int | None]:
    """A parser for a decimal parameter within [low, high]."""
    return lambda text: _number(text, low, high)


def _one_of(allowed: frozenset[int]) -> Callable[[str], int | None]:
    """A parser for a one-digit parameter that must be one of ``allowed``."""

    def parse(text: str) -> int | None:
        value = _number(text, 0, 9)
        return value if value in allowed else None

    return parse


def _ipv4(text: str) -> str | None:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class Setting:
    """A one-value setting: ``XX`` reads it, ``XX=v`` sets it when ``parse`` accepts ``v``.

    It is the attribute ``field`` of the selected socket, or of the model when ``of_model``; a value
    ``parse`` refuses (None) is answered with the error ``reason`` and the ``usage`` line.
    """

    field: str
    parse: Callable[[str], int | str | None]
    reason: str
    usage: str
    of_model: bool = False


class ESWiFiModel:
    """One eS-WiFi module on a UART."""

    family = FAMILY
    hooks_class = ESWiFiFault  # the hook base faults and variants subclass

    def __init__(
        self,
        profile: Profile,
        host_ip: str = "127.0.0.1",
        fault: FaultSpec[ESWiFiFault] | None = None,
        state: StateSpec[ESWiFiState] | None = None,
        ready_after: float | None = None,
    ) -> None:
        device = device_settings(profile.device, fault)
        self.profile = profile
        self.fault = fault.hooks() if fault is not None else ESWiFiFault()
        self.state = state.hooks(ready_after) if state is not None else ESWiFiState()
        self.host_ip = host_ip
        self.max_s3 = int(device.get("max_s3", 1460))
        self.max_read_size = int(device.get("max_read_packet_size", 1460))
        self.backlog_range = (int(device.get("backlog_min", 0)), int(device.get("backlog_max", 6)))
        self.protocols = frozenset(int(p) for p in device.get("protocols", (0, 1, 2, 3)))
        self.max_timeout = int(device.get("max_timeout", 30000))
        self.lost_ok = bool(device.get("lost_reply_ok", True))
        self.payload_timeout = self.fault.s3_payload_timeout(
            float(device.get("s3_payload_timeout", S3_PAYLOAD_TIMEOUT))
        )
        self.identity = str(device.get("identity", "ISM43362-M3G-L44-UART,C3.5.2.5.STM,sockconf emulator"))
        texts: Mapping[str, Any] = device.get("messages", {})
        self.text_setup = str(texts.get("multi_accept_setup", MULTI_ACCEPT_SETUP))
        self.text_waiting = str(texts.get("waiting", WAITING))
        self.text_killed = str(texts.get("killed", KILLED))
        self.text_accepted = str(texts.get("accepted_prefix", ACCEPTED_PREFIX))
        read_size = int(device.get("read_packet_size", 1460))
        backlog = int(device.get("backlog_default", self.backlog_range[1]))
        self.sockets = [Socket(n, read_size, backlog) for n in range(int(device.get("sockets", 4)))]
        # The choices where the vendor material is silent (fixtures/silent/eswifi-transport.toml).
        self.connect_refused = str(device.get("connect_refused", "error"))
        self.udp_oversize = str(device.get("udp_oversize", "truncated"))
        self.udp_sender_shown = bool(device.get("udp_sender_in_p", True))
        self.s0_reply = str(device.get("s0_reply", "count"))
        self.tls_unconfigured = str(device.get("tls_unconfigured", "connect-error"))
        for sock in self.sockets:
            sock.write_size = int(device.get("write_packet_size", self.max_s3))
        self.udp_keys: dict[int, Socket] = {}
        self.connecting: dict[int, Socket] = {}
        self.pending_read: tuple[Socket, Command] | None = None  # an R0 waiting up to R2 for data
        self.last_received: int | None = None  # the socket that last got data from the network
        self.selected = 0
        self.reader = CommandReader()
        self.commands: deque[CommandEvent] = deque()
        self.waiting_on: tuple[Socket, Command] | None = None  # a P5 waiting for its listener
        self.ignore = 0
        self.listeners: dict[int, Socket] = {}
        self.conns: dict[int, tuple[Socket, Client]] = {}
        self._keys = itertools.count(1)
        self._payload_timer = False
        top = len(self.sockets) - 1
        low, high = self.backlog_range
        protocols = "/".join(str(p) for p in sorted(self.protocols))
        self.settings: dict[str, Setting] = {
            "P0": Setting("selected", _within(0, top), "Invalid socket", f"P0=<0-{top}>", of_model=True),
            "P1": Setting("protocol", _one_of(self.protocols), "Invalid protocol", f"P1=<{protocols}>"),
            "P2": Setting("local_port", _within(0, 0xFFFF), "Invalid port", "P2=<0-65535>"),
            "P3": Setting("remote_host", _ipv4, "Invalid IP address", "P3=<a.b.c.d>"),
            "P4": Setting("remote_port", _within(0, 0xFFFF), "Invalid port", "P4=<0-65535>"),
            "P8": Setting("backlog", _within(low, high), "Invalid backlog", f"P8=<{low}-{high}>"),
            "R1": Setting(
                "read_size",
                _within(1, self.fault.setting_high("R1", self.max_read_size)),
                "Invalid packet size",
                f"R1=<1-{self.max_read_size}>",
            ),
            "R2": Setting(
                "read_timeout", _within(0, self.max_timeout), "Invalid timeout", f"R2=<0-{self.max_timeout}>"
            ),
            "S2": Setting(
                "write_timeout", _within(0, self.max_timeout), "Invalid timeout", f"S2=<0-{self.max_timeout}>"
            ),
            "S1": Setting("write_size", _within(1, self.max_s3), "Invalid packet size", f"S1=<1-{self.max_s3}>"),
        }
        self.handlers: dict[str, Callable[[Command, list[Action]], None]] = {
            **dict.fromkeys(self.settings, self._setting),
            "P5": self._p5_transport,
            "PK": self._pk,
            "P?": self._p_query,
            "R0": self._read,
            "S3": self._write,
            "CS": self._cs,
            "MR": self._mr,
            "I?": self._info,
            "C?": self._network_settings,
            "P6": self._p6,
            # The transport beyond the servers (P5/R0/S3 above serve servers through _p5/_r0/_s3).
            "P0": self._select,
            "S1": self._write_size,
            "S0": self._write,
            "R?": self._read_settings,
            "S?": self._write_settings,
        }

    # ------------------------------------------------------------------ entry points

    def power_on(self) -> list[Action]:
        """What the module does when it starts (the executor calls this once): a state's own timers."""
        return self.state.power_on()

    def serial_in(self, data: bytes) -> list[Action]:
        out: list[Action] = []
        self.commands.extend(self.reader.feed(data))
        self._run(out)
        self._watch_payload(out)
        return out

    def net_in(self, event: NetEvent) -> list[Action]:
        out: list[Action] = []
        if isinstance(event, ConnectResult | BindResult | Datagram) or (
            isinstance(event, TimerFired) and event.key == _READ_TIMER
        ):
            self._transport_event(event, out)
        elif isinstance(event, TimerFired):
            if event.key == READY_TIMER:
                self.state.become_ready()
            elif event.key == _PAYLOAD_TIMER:
                self._payload_timer = False
                if self.reader.awaiting_payload:
                    partial = self.reader.pending
                    events = self.reader.flush()
                    if partial and self.fault.sends_cut_short_payload():
                        events = [Command("S3", (str(len(partial)),), events[0].raw, partial)]
                    elif not self.fault.answers_cut_short_payload():
                        events = events[1:]  # the cut-short S3 is dropped unanswered
                    self.commands.extend(events)
                    self._run(out)
        elif isinstance(event, ListenResult):
            self._listen_result(event, out)
        elif isinstance(event, Accepted):
            self._accepted(event, out)
        elif isinstance(event, Received):
            found = self.conns.get(event.key)
            if found is None:
                out.append(Close(event.key))
            else:
                found[1].buffer += event.data
        elif isinstance(event, PeerClosed):
            found = self.conns.get(event.key)
            if found is not None:
                found[1].connected = False
        if isinstance(event, Received) and event.key in self.conns:
            self.last_received = self.conns[event.key][0].number
        self._resume_read(out)
        return out

    def shutdown(self) -> list[Action]:
        """Close everything (the process is going away)."""
        out: list[Action] = []
        for sock in self.sockets:
            self._stop(sock, out, close_listener=True)
            self._stop_transport(sock, out)
        for key in list(self.listeners):
            out.append(StopListening(key))
        self.listeners.clear()
        return out

    # ------------------------------------------------------------------ command loop

    def _run(self, out: list[Action]) -> None:
        # One command at a time: while a P5 waits for its listener, later commands wait too.
        while self.commands and self.waiting_on is None:
            event = self.commands.popleft()
            if self.ignore:
                self.ignore -= 1
                continue
            if isinstance(event, BadLine):
                if event.raw.startswith(b"S3"):
                    self._error(None, out, "Invalid data length", f"S3=<1-{self.max_s3}>\\r<data>")
                else:
                    self._error(None, out, "Unknown Error", "<command>[=<parameters>]")
                self.ignore = max(self.ignore, self.fault.ignored_after_bad_line(event))
                continue
            handler = self.handlers.get(event.name)
            if handler is None:
                self._error(event, out, "Unknown Command", None)
            else:
                handler(event, out)

    def _watch_payload(self, out: list[Action]) -> None:
        if self.reader.awaiting_payload and self.payload_timeout is not None:
            out.append(StartTimer(_PAYLOAD_TIMER, self.payload_timeout))
            self._payload_timer = True
        elif self._payload_timer:
            out.append(CancelTimer(_PAYLOAD_TIMER))
            self._payload_timer = False

    # ------------------------------------------------------------------ output

    def _reply(self, cmd: Command | None, out: list[Action], data: bytes = b"") -> None:
        out.append(SerialOut(self.fault.reply_out(cmd, ok_reply(data))))

    def _lost(self, cmd: Command, out: list[Action]) -> None:
        out.append(SerialOut(self.fault.reply_out(cmd, lost_reply(self.lost_ok))))

    def _error(self, cmd: Command | None, out: list[Action], reason: str, usage: str | None) -> None:
        out.append(SerialOut(self.fault.reply_out(cmd, error_reply(reason, usage))))
        self.ignore = self.fault.ignored_after_error()

    def _message(self, text: str, out: list[Action]) -> None:
        sent = self.fault.message_out(text)
        if sent is not None:
            out.append(SerialOut(async_line(sent)))

    def _announce(self, sock: Socket, client: Client, out: list[Action]) -> None:
        host, port = self.fault.accepted_address(client.host, client.port, sock.local_port)
        self._message(f"{self.text_accepted}{host}:{port}", out)

    @property
    def _sock(self) -> Socket:
        return self.sockets[self.selected]

    # ------------------------------------------------------------------ settings

    def _setting(self, cmd: Command, out: list[Action]) -> None:
        setting = self.settings[cmd.name]
        target: object = self if setting.of_model else self._sock
        if not cmd.params:
            self._reply(cmd, out, str(getattr(target, setting.field)).encode("ascii"))
            return
        value = setting.parse(cmd.params[0]) if len(cmd.params) == 1 else None
        if value is None:
            self._error(cmd, out, setting.reason, setting.usage)
            return
        setattr(target, setting.field, value)
        self._reply(cmd, out)

    def _pk(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        if not cmd.params:
            self._reply(cmd, out, f"{sock.keepalive[0]},{sock.keepalive[1]}".encode())
            return
        # The time is in ms by everyone's use (PK=1,3000); its unit is UNCONFIRMED (spec §2).
        on = _number(cmd.params[0], 0, 1)
        period = _number(cmd.params[1], 0, 999999) if len(cmd.params) == 2 else None
        if on is None or period is None:
            self._error(cmd, out, "Invalid keep-alive", "PK=<0/1>,<ms>")
            return
        sock.keepalive = (on, period)
        self._reply(cmd, out)

    def _p_query(self, cmd: Command, out: list[Action]) -> None:
        # Field order as ST's es_wifi.c parses it: protocol, local IP, local port, remote IP,
        # remote port, TCP server, UDP server, backlog, accept loop, read mode (meanings partly
        # UNCONFIRMED). Remote fields show the current client while there is one.
        sock = self._sock
        remote = self._shown_remote(sock)
        fields = [
            sock.protocol,
            self.fault.p_local_ip(self.state.local_ip(self.host_ip)),
            sock.local_port,
            remote[0],
            remote[1],
            int(sock.mode is not None),
            0,
            sock.backlog,
            int(sock.mode is ServerMode.MULTI),
            0,
        ]
        self._reply(cmd, out, ",".join(str(f) for f in fields).encode("ascii"))

    def _network_settings(self, cmd: Command, out: list[Action]) -> None:
        # Field order as ST's es_wifi.c and stm32duino's ISM43362 driver parse C?: SSID, password,
        # security, DHCP, IP version, IP address, mask, gateway, DNS 1, DNS 2, join retries, auto-connect.
        fields = ["sockconf", "", 4, 1, 0, self.host_ip, "255.0.0.0", "127.0.0.1", "127.0.0.1", "0.0.0.0", 5, 0]
        self._reply(cmd, out, ",".join(str(f) for f in fields).encode("ascii"))

    def _cs(self, cmd: Command, out: list[Action]) -> None:
        self._reply(cmd, out, self.state.connection_status())

    def _mr(self, cmd: Command, out: list[Action]) -> None:
        self._reply(cmd, out, b"[SOMA][EOMA]")

    def _info(self, cmd: Command, out: list[Action]) -> None:
        self._reply(cmd, out, self.identity.encode("ascii", "replace"))

    # ------------------------------------------------------------------ servers

    def _p5(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        value = _number(cmd.params[0], 0, 99) if len(cmd.params) == 1 else None
        if value == 0:
            had_server = sock.mode is not None
            self._stop(sock, out, close_listener=self.fault.kill_closes_listener())
            self._reply(cmd, out, self.text_killed.encode() if had_server else b"")
        elif value in (1, 11):
            refused = self.state.server_refused()
            if refused is not None:
                self._error(cmd, out, *refused)
            elif sock.mode is not None:
                self._error(cmd, out, "Server already running", "P5=0 first")
            elif sock.protocol != 0:
                self._error(cmd, out, "Only TCP servers are emulated", "P1=0")
            else:
                sock.starting = ServerMode.MULTI if value == 11 else ServerMode.SINGLE
                key = next(self._keys)
                sock.listener = key
                self.listeners[key] = sock
                self.waiting_on = (sock, cmd)
                keepalive = self.fault.keepalive_ms(sock.keepalive[1]) if sock.keepalive[0] else 0
                # A client beyond the backlog refused at TCP level: only the current client is accepted,
                # the P8 waiting ones stay in the host's listen queue, and SYNs beyond it are dropped,
                # unanswered (with P8=0 the host still holds one).
                sock.host_queue = self.fault.beyond_backlog() == "refused"
                backlog = sock.backlog if sock.host_queue else sock.backlog + 1
                out.append(Listen(key, sock.local_port, backlog, keepalive_ms=keepalive, one_at_a_time=sock.host_queue))
        elif value == 10:
            if sock.mode is not ServerMode.MULTI:
                # UNCONFIRMED: what P5=10 does without a multi-accept server.
                self._error(cmd, out, "No multi-accept server", "P5=11 first")
            else:
                self._next(cmd, sock, out)
        else:
            self._error(cmd, out, "Invalid server mode", "P5=<0/1/10/11>")

    def _listen_result(self, event: ListenResult, out: list[Action]) -> None:
        sock = self.listeners.get(event.key)
        if sock is None or sock.starting is None or self.waiting_on is None or self.waiting_on[0] is not sock:
            return
        mode, sock.starting = sock.starting, None
        cmd = self.waiting_on[1]
        if event.error is None:
            sock.mode = mode
            data = f"{self.text_setup}\r\n{self.text_waiting}".encode() if mode is ServerMode.MULTI else b""
            self._reply(cmd, out, data)
        else:
            self.listeners.pop(event.key, None)
            sock.listener = None
            self._error(cmd, out, f"Cannot listen on port {sock.local_port}", "P2=<port>")
        self.waiting_on = None
        self._run(out)

    def _accepted(self, event: Accepted, out: list[Action]) -> None:
        sock = self.listeners.get(event.listener_key)
        if sock is None or sock.mode is None:
            out.append(Close(event.key))  # a listener P5=0 left open: nobody serves it
            return
        client = Client(event.key, event.peer_host, event.peer_port)
        if sock.current is None and not sock.queue:
            sock.current = client
            self._announce(sock, client, out)
        elif len(sock.queue) < sock.backlog:
            sock.queue.append(client)
        elif self.fault.beyond_backlog() == "served":
            sock.queue.append(client)  # P8 bounds nothing: every client waits its turn
        elif self.fault.beyond_backlog() == "pending":
            # Beyond the backlog, left pending: connected at TCP level, never served (P5=0 closes it).
            sock.detached.append(client)
        else:
            # Beyond the backlog: closed at once. What a real module does is UNCONFIRMED.
            out.append(Close(event.key))
            return
        self.conns[event.key] = (sock, client)

    def _next(self, cmd: Command, sock: Socket, out: list[Action]) -> None:
        old = sock.current
        if old is not None:
            if self.fault.closes_current_on_next():
                self._close(old, out)
            else:
                sock.detached.append(old)
        sock.current = self.fault.next_client(sock.queue) if sock.queue else None
        if sock.current is None and sock.host_queue and sock.listener is not None:
            out.append(AcceptNext(sock.listener))  # the next client comes from the host's queue
        early = sock.current is not None and self.fault.accepted_before_reply()
        if early:
            assert sock.current is not None
            self._announce(sock, sock.current, out)
        self._reply(cmd, out, self.text_waiting.encode())
        if sock.current is not None and not early:
            self._announce(sock, sock.current, out)

    def _close(self, client: Client, out: list[Action]) -> None:
        self.conns.pop(client.key, None)
        out.append(Close(client.key))

    def _stop(self, sock: Socket, out: list[Action], close_listener: bool) -> None:
        for client in sock.clients():
            self._close(client, out)
        sock.current = None
        sock.queue.clear()
        sock.detached.clear()
        sock.mode = None
        if sock.listener is not None:
            if close_listener:
                self.listeners.pop(sock.listener, None)
                out.append(StopListening(sock.listener))
            sock.listener = None

    # ------------------------------------------------------------------ data

    def _r0(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        if sock.mode is None:
            self._lost(cmd, out)  # no server, no connection: nothing to read from
            return
        if sock.current is None:
            if self.fault.lost_without_client():
                self._lost(cmd, out)
            else:
                self._reply(cmd, out)  # waiting on a connection: nothing yet
            return
        data = self.fault.take(sock.current, sock.read_size)
        if data is None:
            self._lost(cmd, out)
        else:
            self._reply(cmd, out, data)

    def _s3(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        count = len(cmd.payload)
        if not 1 <= count <= min(self.fault.s3_limit(self.max_s3), MAX_S3_COUNT):
            self._error(cmd, out, "Invalid data length", f"S3=<1-{self.max_s3}>\\r<data>")
            rest = self.fault.refused_s3_rest(cmd.payload)
            if rest:
                # Read as command lines, ahead of whatever came after them.
                sub = CommandReader()
                events = sub.feed(rest)
                self.reader.unread(sub.pending)
                self.commands.extendleft(reversed(events))
            return
        client = sock.current
        if client is None or not client.connected:
            self._lost(cmd, out)
            return
        out.append(Send(client.key, cmd.payload))
        self._reply(cmd, out, str(self.fault.s3_count(count)).encode("ascii"))

    # ------------------------------------------------------------------ the transport beyond the servers
    # TCP client (P3/P4/P6), UDP server (P1=1, P5=1) and client (P1=1, P6=1), S1/S0, R2, R?/S?.
    # Sources and the choices made where the vendor material is silent: docs/spec/eswifi-transport.md.

    def _select(self, cmd: Command, out: list[Action]) -> None:
        if not cmd.params:
            self._reply(cmd, out, str(self.fault.selected_report(self.selected)).encode("ascii"))
            return
        self._setting(cmd, out)
        self.reader.s0_length = self._sock.write_size

    def _write_size(self, cmd: Command, out: list[Action]) -> None:
        self._setting(cmd, out)
        self.reader.s0_length = self._sock.write_size

    def _read_settings(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        self._reply(cmd, out, f"{sock.read_size},{sock.read_timeout}".encode("ascii"))

    def _write_settings(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        self._reply(cmd, out, f"{sock.write_size},{sock.write_timeout}".encode("ascii"))

    def _shown_remote(self, sock: Socket) -> tuple[str, int]:
        """P?'s remote fields: the served client, the sender of the last datagram read, or P3/P4."""
        if sock.current is not None:
            return sock.current.host, sock.current.port
        udp = sock.udp
        if udp is not None and udp.server and udp.sender is not None and self.udp_sender_shown:
            return udp.sender
        return sock.remote_host, sock.remote_port

    def _busy(self, sock: Socket) -> bool:
        return sock.mode is not None or sock.client is not None or sock.udp is not None

    # -- servers and clients

    def _p5_transport(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        value = _number(cmd.params[0], 0, 99) if len(cmd.params) == 1 else None
        if value == 1 and sock.protocol in (1, 2):
            if self._busy(sock):
                self._error(cmd, out, "Socket in use", "P5=0 or P6=0 first")
            else:
                self._open_udp(cmd, sock, server=True, out=out)
        elif value == 0 and sock.udp is not None and sock.udp.server:
            self._close_udp(sock, out)
            self._reply(cmd, out)
        else:
            self._p5(cmd, out)

    def _p6(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        value = _number(cmd.params[0], 0, 1) if len(cmd.params) == 1 else None
        if value is None:
            self._error(cmd, out, "Invalid client mode", "P6=<0/1>")
        elif value == 0:
            # P6=0 with no client is answered OK too: hosts send it before every connect.
            if sock.udp is None or not sock.udp.server:
                self._stop_client(sock, out)
            self._reply(cmd, out)
        elif self._busy(sock):
            self._error(cmd, out, "Socket in use", "P5=0 or P6=0 first")
        elif sock.protocol in (1, 2):
            self._open_udp(cmd, sock, server=False, out=out)
        elif sock.remote_port == 0 or ipaddress.IPv4Address(sock.remote_host).is_unspecified:
            self._error(cmd, out, "No remote host", "P3=<a.b.c.d> and P4=<port> first")
        elif sock.protocol == 3 and not self.fault.tls_connects_plain():
            # TCP-SSL with no certificate configured: no TLS session can be set up.
            if self.tls_unconfigured == "ok-then-lost":
                sock.client = Client(next(self._keys), sock.remote_host, sock.remote_port, connected=False)
                self._reply(cmd, out)
            else:
                self._error(cmd, out, "TLS not configured", "PF/PG: load certificates first")
        else:
            key = next(self._keys)
            self.connecting[key] = sock
            self.waiting_on = (sock, cmd)
            out.append(Connect(key, sock.remote_host, self.fault.connect_port(sock.remote_port)))

    def _open_udp(self, cmd: Command, sock: Socket, server: bool, out: list[Action]) -> None:
        key = next(self._keys)
        sock.udp = UdpEndpoint(key, server)
        self.udp_keys[key] = sock
        self.waiting_on = (sock, cmd)
        out.append(BindUdp(key, sock.local_port))

    def _close_udp(self, sock: Socket, out: list[Action]) -> None:
        if sock.udp is not None:
            self.udp_keys.pop(sock.udp.key, None)
            out.append(CloseUdp(sock.udp.key))
            sock.udp = None

    def _stop_client(self, sock: Socket, out: list[Action]) -> None:
        client = sock.client
        if client is not None:
            sock.client = None
            if self.fault.client_close_closes():
                self._close(client, out)
            else:
                self.conns.pop(client.key, None)  # forgotten, still open
        if sock.udp is not None and not sock.udp.server:
            self._close_udp(sock, out)

    def _stop_transport(self, sock: Socket, out: list[Action]) -> None:
        self._stop_client(sock, out)
        self._close_udp(sock, out)

    def _transport_event(self, event: NetEvent, out: list[Action]) -> None:
        if isinstance(event, ConnectResult):
            self._connect_result(event, out)
        elif isinstance(event, BindResult):
            self._bind_result(event, out)
        elif isinstance(event, Datagram):
            sock = self.udp_keys.get(event.key)
            udp = sock.udp if sock is not None else None
            if sock is None or udp is None:
                return
            sender = (event.host, event.port)
            if udp.server and not self.fault.udp_accepts(udp.first, sender):
                return
            udp.first = udp.first or sender
            udp.datagrams.append((event.host, event.port, event.data))
            self.last_received = sock.number
        elif isinstance(event, TimerFired) and self.pending_read is not None:
            sock, cmd = self.pending_read
            self.pending_read = None
            self._answer_read(cmd, sock, out)
            self.waiting_on = None
            self._run(out)

    def _connect_result(self, event: ConnectResult, out: list[Action]) -> None:
        sock = self.connecting.pop(event.key, None)
        if sock is None or self.waiting_on is None or self.waiting_on[0] is not sock:
            out.append(Close(event.key))
            return
        cmd = self.waiting_on[1]
        client = Client(event.key, sock.remote_host, sock.remote_port)
        if event.error is None:
            sock.client = client
            self.conns[event.key] = (sock, client)
            self._reply(cmd, out)
        elif self.connect_refused == "ok-then-lost":
            client.connected = False  # the failure shows at the first S3/R0
            sock.client = client
            self._reply(cmd, out)
        else:
            self._error(cmd, out, f"Connection to {sock.remote_host}:{sock.remote_port} failed", None)
        self.waiting_on = None
        self._run(out)

    def _bind_result(self, event: BindResult, out: list[Action]) -> None:
        sock = self.udp_keys.get(event.key)
        if sock is None or self.waiting_on is None or self.waiting_on[0] is not sock:
            return
        cmd = self.waiting_on[1]
        if event.error is None:
            self._reply(cmd, out)
        else:
            self._close_udp(sock, out)
            self._error(cmd, out, f"Cannot bind UDP port {sock.local_port}", "P2=<port>")
        self.waiting_on = None
        self._run(out)

    # -- reading

    def _read(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        if not self._readable(sock) and sock.read_timeout > 0 and self.fault.honours_read_timeout():
            # Nothing to answer yet: wait up to R2 ms for data (later commands wait too).
            self.pending_read = (sock, cmd)
            self.waiting_on = (sock, cmd)
            out.append(StartTimer(_READ_TIMER, sock.read_timeout / 1000))
            return
        self._answer_read(cmd, sock, out)

    def _readable(self, sock: Socket) -> bool:
        """Whether R0 has something to answer besides empty data (bytes, a datagram, or -1)."""
        if sock.client is not None:
            return bool(sock.client.buffer) or not sock.client.connected
        if sock.udp is not None:
            return bool(sock.udp.datagrams)
        if sock.mode is None:
            return True  # -1 at once
        current = sock.current
        return current is not None and (bool(current.buffer) or not current.connected)

    def _resume_read(self, out: list[Action]) -> None:
        if self.pending_read is None or not self._readable(self.pending_read[0]):
            return
        sock, cmd = self.pending_read
        self.pending_read = None
        out.append(CancelTimer(_READ_TIMER))
        self._answer_read(cmd, sock, out)
        self.waiting_on = None
        self._run(out)

    def _answer_read(self, cmd: Command, sock: Socket, out: list[Action]) -> None:
        source = self.sockets[self.fault.read_socket(sock.number, self.last_received)]
        if source.client is None and source.udp is None:
            source = sock
        if source.client is not None:
            data = self.fault.take(source.client, sock.read_size)
            if data is None:
                self._lost(cmd, out)
            else:
                self._reply(cmd, out, data)
        elif source.udp is not None:
            udp = source.udp
            if not udp.datagrams:
                self._reply(cmd, out)
                return
            host, port, data = self.fault.udp_take(udp.datagrams, sock.read_size, self.udp_oversize == "split")
            udp.sender = (host, port)
            self._reply(cmd, out, data)
        else:
            self._r0(cmd, out)

    # -- writing

    def _write(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        s0 = cmd.name == "S0"
        if not s0 and sock.client is None and sock.udp is None:
            self._s3(cmd, out)  # a server's client, or nothing
            return
        payload = self.fault.s0_payload(cmd.payload) if s0 else cmd.payload
        count = len(cmd.payload)
        if not 1 <= count <= min(self.fault.s3_limit(self.max_s3), MAX_S3_COUNT):
            self._error(cmd, out, "Invalid data length", f"S3=<1-{self.max_s3}>\\r<data>")
            return
        if sock.udp is not None:
            udp = sock.udp
            target = udp.sender if udp.server else (sock.remote_host, sock.remote_port)
            if target is None:
                self._error(cmd, out, "No remote host", "P3=<a.b.c.d> and P4=<port> first")
                return
            for piece in self.fault.udp_pieces(payload):
                out.append(SendTo(udp.key, target[0], target[1], piece))
        else:
            client = sock.client if sock.client is not None else sock.current
            if client is None or not client.connected:
                self._lost(cmd, out)
                return
            out.append(Send(client.key, payload))
        reply = b"" if s0 and self.s0_reply == "empty" else str(self.fault.s3_count(count)).encode("ascii")
        self._reply(cmd, out, reply)
