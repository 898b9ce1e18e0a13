"""The Espressif ESP-AT device model: TCP/IP AT commands over a UART, sans-IO.

This module owns the module's behaviour: its settings (one table, ``Setting``, for the one-value
settings such as ``AT+CIPDINFO`` and ``AT+CIPSTO``), its five links (``Link``: TCP and UDP, as
client or as a server's client), its one TCP server (``Server``), the command in progress (``Op``:
a connection being made, a listener being opened, a restart, a join) and which handler answers each
command (the ``handlers`` table, by name and command type). ``EspAtModel.serial_in(bytes)`` and
``EspAtModel.net_in(event)`` return actions (bytes for the UART, network operations for the executor).
Behaviour follows ``docs/spec/espat-tcpip.md``; where the documents are silent the model takes the
registry's default choice (``data/silent/espat.toml``) through the hooks of
``emulator.espat.faults.EspAtFault``, which is also where faults and conformant variants act. A
station that has not joined acts only through ``emulator.espat.states.EspAtState``.

- Replies: information lines, then the final result ``\\r\\nOK\\r\\n`` / ``\\r\\nERROR\\r\\n``; with
  ``AT+SYSLOG=1`` an ``ERR CODE:0x%08x`` line before ERROR (the Basic doc's subcategories).
- While a command runs (a connection or listener being opened, a join, ``SEND OK`` not yet out)
  every input line is answered ``busy p...`` and dropped; during a restart input is lost.
- Reports that arise while a command runs (``<id>,CONNECT``, ``<id>,CLOSED``, ``+IPD``) wait for its
  final result, so a reply is never split by a report.
- Active receive: ``+IPD`` with at most 2920 data bytes each. Passive receive: the data wait in the
  link; ``+IPD,<id>,<len>`` (the total) announces them once until read; after a read that leaves
  data the rest is announced again; a peer's close is reported only once the data are read.
- Profile-dependent: the largest send (8192 on ESP32 firmware, 2048 on ESP8266), the name of the
  passive-mode command (``AT+CIPRECVTYPE`` per link from v3.3, ``AT+CIPRECVMODE`` before), the
  ``<timeout>`` of ``AT+CIPSTART`` (v4.x), the ``AT+GMR`` lines.
- Not emulated (answered ERROR): SSL, IPv6, passthrough mode (``AT+CIPSEND`` without parameters),
  ``AT+CIPSENDL``.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sockconf.emulator.espat.faults import RECVLEN_IDLE, EspAtFault
from sockconf.emulator.espat.states import EspAtState
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
from sockconf.protocol.espat import (
    MAX_COMMAND,
    BadLine,
    CommandLine,
    CommandReader,
    Data,
    Kind,
    final,
    ipd,
    ipd_header,
    line,
    recv_data,
)
from sockconf.protocol.profile import Profile

FAMILY = "espat"
DEFAULT_PROFILE = "esp32-at"
LINKS = 5  # link IDs 0-4 (TCP-IP doc, AT+CIPSTART <link ID>)
ALL_LINKS = 5  # "If you set it to 5, all connections will be closed"; AT+CIPRECVTYPE's "max"
DEFAULT_SERVER_PORT = 333
MAX_HOST = 64  # AT+CIPSTART <"remote host">: "The maximum length is 64 bytes"
BUSY = b"busy p...\r\n"

# AT+SYSLOG error subcategories (Basic doc): the code is 0x01 << 24 | sub << 16.
PARA_NUM_MISMATCH = 0x06
PARA_INVALID = 0x07
UNSUPPORTED = 0x09
EXEC_FAIL = 0x0A
PROCESSING = 0x0B
OP_ERROR = 0x0C

_TIMER_READY = "ready"  # the restart is over: ready
_TIMER_REJOIN = "rejoin"  # after a restart the station joins its AP again
_TIMER_JOIN = "join"  # AT+CWJAP=... completes
_TIMER_CONNECT = "cipstart-timeout"  # AT+CIPSTART's <timeout>
_TIMER_SEND_OK = "send-ok"


def _code(sub: int) -> int:
    return 0x01000000 | (sub << 16)


@dataclass
class Link:
    """One of the five links: a TCP connection (client or a server's client) or a UDP socket."""

    id: int
    type: str  # "TCP" or "UDP"
    key: int  # the network key of its connection or socket
    remote: tuple[str, int]
    local_port: int
    tetype: int  # 0: the module is the client, 1: the server
    passive: bool = False
    connected: bool = True  # TCP: False once the peer closed (kept while passive data wait to be read)
    buffer: bytearray = field(default_factory=bytearray)  # passive data not yet read
    datagrams: deque[tuple[tuple[str, int], bytes]] = field(default_factory=deque)  # passive UDP, per datagram
    reported: bool = False  # passive: an +IPD announced data that are not read yet
    sender: tuple[str, int] | None = None  # passive UDP: who sent the data waiting
    udp_mode: int = 0  # AT+CIPSTART UDP <mode>: 0 fixed, 1 changes once, 2 follows every sender
    udp_changed: bool = False
    initial: tuple[str, int] = ("0.0.0.0", 0)

    @property
    def waiting(self) -> int:
        """Passive bytes waiting to be read."""
        return len(self.buffer) + sum(len(d) for _, d in self.datagrams)


@dataclass
class Server:
    port: int
    key: int
    listening: bool = True
    # Clients beyond AT+CIPSERVERMAXCONN left waiting (ESPAT-SILENT-BEYOND-MAXCONN "pending").
    waiting: deque[tuple[int, str, int, bytearray]] = field(default_factory=deque)


@dataclass
class Op:
    """A command in progress: input meanwhile is answered busy p..."""

    kind: str  # "connect", "bind", "listen", "restart", "join", "sending"
    cmd: CommandLine | None = None
    link: int = 0
    key: int = 0
    udp: tuple[int, int] = (0, 0)  # UDP: (local port asked, mode)
    remote: tuple[str, int] = ("", 0)
    startex: bool = False


@dataclass
class SendJob:
    """AT+CIPSEND(EX) answered with the prompt: what its data are for."""

    cmd: CommandLine
    link: Link
    length: int
    escapes: bool
    to: tuple[str, int] | None = None  # UDP: the remote host and port given
    fails: bool = False  # the link's peer has closed: the data are taken, then SEND FAIL


@dataclass(frozen=True)
class Setting:
    """A one-value setting: ``AT+<NAME>?`` shows it, ``AT+<NAME>=<v>`` sets it within [low, high].

    ``show`` formats the value for the query line; ``allowed`` (given the new value) says whether the
    setting may change now; ``extra`` is how many further optional parameters the set takes.
    """

    attr: str
    low: int
    high: int
    show: Callable[[int], str] = str
    allowed: Callable[[int], bool] | None = None
    extra: int = 0


Handler = Callable[[CommandLine, list[Action]], None]


class EspAtModel:
    """One ESP-AT module on a UART."""

    family = FAMILY
    hooks_class = EspAtFault  # the hook base faults and variants subclass

    def __init__(
        self,
        profile: Profile,
        host_ip: str = "127.0.0.1",
        fault: FaultSpec[EspAtFault] | None = None,
        state: StateSpec[EspAtState] | None = None,
        ready_after: float | None = None,
    ) -> None:
        device = device_settings(profile.device, fault)
        self.profile = profile
        self.fault = fault.hooks() if fault is not None else EspAtFault()
        self.state = state.hooks(ready_after) if state is not None else EspAtState()
        self.host_ip = host_ip
        self.features = profile.features
        self.max_send = int(device.get("max_send", 8192))
        self.recv_command = str(device.get("recv_mode_command", "CIPRECVTYPE"))
        self.gmr: list[str] = [str(x) for x in device.get("gmr", ["AT version:0.0.0.0(sockconf - ESP32 - )"])]
        self.mac = str(device.get("mac", "24:0a:c4:00:00:01"))
        self.ssid = str(device.get("ssid", "sockconf"))
        self.bssid = str(device.get("bssid", "02:00:00:00:00:01"))
        self.cwjap_fields = int(device.get("cwjap_fields", 9))
        self.boot_seconds = float(device.get("boot_seconds", 0.2))
        self.join_seconds = float(device.get("join_seconds", 0.05))
        self.defaults: dict[str, int] = {
            "cipdinfo": int(device.get("cipdinfo_default", 0)),
            "cipsto": int(device.get("cipsto_default", 180)),
            "maxconn": int(device.get("maxconn_default", 5)),
        }
        self.reader = CommandReader()
        self.links: dict[int, Link] = {}
        self.by_key: dict[int, Link] = {}
        self.server: Server | None = None
        self.op: Op | None = None
        self.send: SendJob | None = None
        self.deferred: list[bytes] = []
        self._executing = False  # a command line is being executed (its final result not out yet)
        self.booting = False
        self.associated = True  # the station's own join (AT+RST, AT+CWQAP and AT+CWJAP change it)
        self._keys = itertools.count(1)
        # Settings a restart restores; the rest are kept (saved in flash, or not restored by AT+RST).
        self.cwmode = 1
        self.autoconn = 1
        self.sysstore = 1
        self.sysmsg = 0
        self.uart = f"{int(device.get('baud', 115200))},8,1,0,0"
        self._restart_settings(first=True)
        self.settings: dict[str, Setting] = {
            "CIPDINFO": Setting("dinfo", 0, 1, lambda v: "true" if v else "false"),
            "CIPSTO": Setting("sto", 0, 7200),
            "CIPSERVERMAXCONN": Setting("maxconn", 1, LINKS, allowed=lambda v: self.server is None),
            "CIPMODE": Setting("cipmode", 0, 1, allowed=lambda v: v == 0 or self.mux == 0),
            "SYSLOG": Setting("syslog", 0, 1),
            "SYSMSG": Setting("sysmsg", 0, 7),
            "CWMODE": Setting("cwmode", 0, 3, extra=1),
            "CWAUTOCONN": Setting("autoconn", 0, 1),
            "SYSSTORE": Setting("sysstore", 0, 1),
        }
        self.handlers: dict[tuple[str, Kind], Handler] = {
            ("", Kind.EXECUTE): self._at,
            ("E0", Kind.EXECUTE): self._ate,
            ("E1", Kind.EXECUTE): self._ate,
            ("RST", Kind.EXECUTE): self._rst,
            ("GMR", Kind.EXECUTE): self._gmr,
            **{(name, Kind.QUERY): self._setting for name in self.settings},
            **{(name, Kind.SET): self._setting for name in self.settings},
            ("CIPMUX", Kind.QUERY): self._cipmux,
            ("CIPMUX", Kind.SET): self._cipmux,
            ("CWJAP", Kind.QUERY): self._cwjap_query,
            ("CWJAP", Kind.SET): self._cwjap_join,
            ("CWJAP", Kind.EXECUTE): self._cwjap_join,
            ("CWQAP", Kind.EXECUTE): self._cwqap,
            ("CIPSTA", Kind.QUERY): self._cipsta,
            ("CIPSTAMAC", Kind.QUERY): self._cipstamac,
            ("CIFSR", Kind.EXECUTE): self._cifsr,
            ("CIPSERVER", Kind.SET): self._cipserver,
            ("CIPSTART", Kind.SET): self._cipstart,
            ("CIPSTARTEX", Kind.SET): self._cipstart,
            ("CIPSEND", Kind.SET): self._cipsend,
            ("CIPSENDEX", Kind.SET): self._cipsend,
            ("CIPCLOSE", Kind.SET): self._cipclose,
            ("CIPCLOSE", Kind.EXECUTE): self._cipclose,
            ("CIPSTATE", Kind.QUERY): self._cipstate,
            ("CIPSTATUS", Kind.EXECUTE): self._cipstatus,
            ("CIPRECVDATA", Kind.SET): self._ciprecvdata,
            ("CIPRECVLEN", Kind.QUERY): self._ciprecvlen,
            # What host drivers send during their start-up (docs/host-stacks-espat.md): taken and kept.
            ("UART_CUR", Kind.SET): self._uart,
            ("UART_CUR", Kind.QUERY): self._uart,
            ("CWDHCP", Kind.SET): self._accept,
            ("CWLAPOPT", Kind.SET): self._accept,
        }
        if "cipserver-query" in self.features:
            self.handlers[("CIPSERVER", Kind.QUERY)] = self._cipserver_query
        names = [self.recv_command]
        if self.recv_command == "CIPRECVTYPE" and self.fault.accepts_old_recv_name():
            names.append("CIPRECVMODE")  # the name before v3.3, still in the cores that have the new one
        for name in names:
            self.handlers[(name, Kind.QUERY)] = self._recv_mode
            self.handlers[(name, Kind.SET)] = self._recv_mode
        self.known_names = {name for name, _ in self.handlers}

    def _restart_settings(self, first: bool = False) -> None:
        """The settings as after a restart (and at power-on)."""
        self.echo = self.fault.echo_at_reset()
        if not first and not self.fault.restart_settings():
            return
        self.mux = 0
        self.cipmode = 0
        self.dinfo = self.defaults["cipdinfo"]
        self.sto = self.defaults["cipsto"]
        self.maxconn = self.defaults["maxconn"]
        self.syslog = 0
        self.passive = [False] * LINKS

    # ------------------------------------------------------------------ entry points

    @property
    def joined(self) -> bool:
        return self.state.ready and self.associated and self.cwmode in (1, 3)

    def power_on(self) -> list[Action]:
        """What the module does when it starts (the executor calls this once): a state's own timers."""
        return self.state.power_on()

    def serial_in(self, data: bytes) -> list[Action]:
        out: list[Action] = []
        self.reader.feed(data)
        self._run(out)
        return out

    def net_in(self, event: NetEvent) -> list[Action]:
        out: list[Action] = []
        if isinstance(event, TimerFired):
            self._timer(event.key, out)
        elif isinstance(event, ConnectResult):
            self._connect_result(event, out)
        elif isinstance(event, BindResult):
            self._bind_result(event, out)
        elif isinstance(event, ListenResult):
            self._listen_result(event, out)
        elif isinstance(event, Accepted):
            self._accepted(event, out)
        elif isinstance(event, Received):
            self._received(event, out)
        elif isinstance(event, PeerClosed):
            self._peer_closed(event, out)
        elif isinstance(event, Datagram):
            self._datagram(event, out)
        self._run(out)
        return out

    def shutdown(self) -> list[Action]:
        """Close everything (the process is going away)."""
        out: list[Action] = []
        self._drop_network(out)
        return out

    # ------------------------------------------------------------------ command loop

    def _run(self, out: list[Action]) -> None:
        while True:
            if self.booting:
                self.reader.drop()  # a restarting module loses what it is sent
                return
            event = self.reader.next()
            if event is None:
                return
            if isinstance(event, Data):
                self._data(event, out)
                continue
            if self.echo:
                out.append(SerialOut(self.fault.echo(event.raw)))
            if self.op is not None and self.fault.busy_answer():
                self._busy(out)
                continue
            if isinstance(event, BadLine):
                self._error(None, out, event.code)
            elif len(event.raw) - 2 > MAX_COMMAND and self.fault.long_line() == "busy":
                self._busy(out)
            elif len(event.raw) - 2 > MAX_COMMAND:
                self._error(event, out, PARA_INVALID)
            else:
                self._executing = True  # reports that arise now come after the command's final result
                self._dispatch(event, out)
                if self.op is None and self.send is None:
                    self._done(out)

    def _dispatch(self, cmd: CommandLine, out: list[Action]) -> None:
        handler = self.handlers.get((cmd.name, cmd.kind))
        if handler is None:
            self._error(cmd, out, OP_ERROR if cmd.name in self.known_names else UNSUPPORTED)
        else:
            handler(cmd, out)

    # ------------------------------------------------------------------ output

    def _reply(
        self,
        cmd: CommandLine | None,
        out: list[Action],
        lines: Sequence[str] = (),
        word: str = "OK",
        extra: bytes = b"",
    ) -> None:
        """Information lines (and ``extra``), then the final result; then the reports that waited for it."""
        body = b"".join(line(x) for x in lines) + extra
        tail = final(word)
        if body and not self.fault.blank_before_final():
            tail = tail[2:]
        out.append(SerialOut(self.fault.reply_out(cmd, body + tail)))
        self._done(out)

    def _done(self, out: list[Action]) -> None:
        """A command's final result is out: the reports that waited for it follow."""
        self._executing = False
        self._release(out)

    def _error(self, cmd: CommandLine | None, out: list[Action], sub: int, lines: Sequence[str] = ()) -> None:
        """ERROR, with AT+SYSLOG=1 after ``ERR CODE:<0x%08x>`` (subcategory ``sub``)."""
        self._reply(cmd, out, lines, "ERROR", self.fault.errcode_line(_code(sub)) if self.syslog else b"")

    def _busy(self, out: list[Action]) -> None:
        head = self.fault.errcode_line(_code(PROCESSING)) if self.syslog else b""
        out.append(SerialOut(head + BUSY))

    def _report(self, raw: bytes, out: list[Action]) -> None:
        """A report: now, or after the final result of the command in progress."""
        sent = self.fault.report_out(raw)
        if sent is None:
            return
        if (self.op is not None or self.send is not None or self._executing) and self.fault.defers_reports():
            self.deferred.append(sent)
        else:
            out.append(SerialOut(sent))

    def _release(self, out: list[Action]) -> None:
        if self.deferred and self.op is None and self.send is None and not self._executing:
            out.append(SerialOut(b"".join(self.deferred)))
            self.deferred.clear()

    def _passive(self, link: int) -> bool:
        """The receive mode set for a link ID (IDs beyond 0-4 exist only with a fault: active)."""
        return link < LINKS and self.passive[link]

    def _link_name(self, link: int) -> str:
        return f"{link}," if self.mux else ""

    def _connected_report(self, link: Link) -> bytes:
        if self.sysmsg & 2:
            ip, port = link.remote
            return line(f'+LINK_CONN:0,{link.id},"{link.type}",{link.tetype},"{ip}",{port},{link.local_port}')
        return line(f"{self._link_name(link.id)}CONNECT")

    def _closed(self, link: int) -> bytes:
        return line(f"{self._link_name(link)}CLOSED")

    # ------------------------------------------------------------------ basic commands

    def _at(self, cmd: CommandLine, out: list[Action]) -> None:
        self._reply(cmd, out)

    def _ate(self, cmd: CommandLine, out: list[Action]) -> None:
        self.echo = self.fault.echo_off(cmd.name == "E1")
        self._reply(cmd, out)

    def _gmr(self, cmd: CommandLine, out: list[Action]) -> None:
        self._reply(cmd, out, self.fault.gmr_lines(list(self.gmr)))

    def _rst(self, cmd: CommandLine, out: list[Action]) -> None:
        self._reply(cmd, out)
        self._drop_network(out)
        self.op = self.send = None
        self.deferred.clear()
        self.reader = CommandReader()
        self.booting = True
        self.associated = False
        self._restart_settings()
        out.append(StartTimer(_TIMER_READY, self.fault.ready_delay(self.boot_seconds)))

    def _uart(self, cmd: CommandLine, out: list[Action]) -> None:
        if cmd.kind is Kind.QUERY:
            self._reply(cmd, out, [f"+UART_CUR:{self.uart}"])
            return
        values = [p.number(0, 5_000_000) for p in cmd.params]
        if len(values) != 5 or None in values:
            self._error(cmd, out, PARA_INVALID)
            return
        self.uart = ",".join(str(v) for v in values)
        self._reply(cmd, out)

    def _accept(self, cmd: CommandLine, out: list[Action]) -> None:
        if not cmd.params or any(p.number(0, 0xFFFF) is None for p in cmd.params):
            self._error(cmd, out, PARA_INVALID)
        else:
            self._reply(cmd, out)

    def _setting(self, cmd: CommandLine, out: list[Action]) -> None:
        setting = self.settings[cmd.name]
        if cmd.kind is Kind.QUERY:
            value = int(getattr(self, setting.attr))
            self._reply(cmd, out, [f"+{cmd.name}:{setting.show(value)}"])
            return
        if not 1 <= len(cmd.params) <= 1 + setting.extra:
            self._error(cmd, out, PARA_NUM_MISMATCH)
            return
        new = cmd.params[0].number(setting.low, setting.high)
        if new is None or any(p.number(0, 1) is None for p in cmd.params[1:]):
            self._error(cmd, out, PARA_INVALID)
            return
        if setting.allowed is not None and not setting.allowed(new):
            self._error(cmd, out, EXEC_FAIL)
            return
        setattr(self, setting.attr, new)
        self._reply(cmd, out)

    # ------------------------------------------------------------------ Wi-Fi station

    def _ip(self) -> str:
        return self.host_ip if self.joined else "0.0.0.0"

    def _cwjap_query(self, cmd: CommandLine, out: list[Action]) -> None:
        if self.joined:
            fields = [f'"{self.ssid}"', f'"{self.bssid}"', "6", "-45", "0", "1", "3", "0", "1"]
            self._reply(cmd, out, ["+CWJAP:" + ",".join(fields[: self.cwjap_fields])])
            return
        answer = self.fault.no_ap_reply()
        if answer == "error":
            self._error(cmd, out, EXEC_FAIL)
        else:
            self._reply(cmd, out, ["No AP"] if answer == "no-ap" else [])

    def _cwjap_join(self, cmd: CommandLine, out: list[Action]) -> None:
        if self.cwmode not in (1, 3):
            self._error(cmd, out, EXEC_FAIL)  # "This command requires Station mode to be enabled"
            return
        self.op = Op("join", cmd)
        out.append(StartTimer(_TIMER_JOIN, self.join_seconds))

    def _cwqap(self, cmd: CommandLine, out: list[Action]) -> None:
        was = self.joined
        self._reply(cmd, out)
        self.associated = False
        if was:
            for link in list(self.links.values()):
                self._free(link, out, close=True)
                self._report(self._closed(link.id), out)
            self._report(line("WIFI DISCONNECT"), out)

    def _cipsta(self, cmd: CommandLine, out: list[Action]) -> None:
        ip = self._ip()
        gateway = str(self.profile.get("gateway", "127.0.0.1")) if self.joined else "0.0.0.0"
        netmask = str(self.profile.get("netmask", "255.0.0.0")) if self.joined else "0.0.0.0"
        self._reply(cmd, out, [f'+CIPSTA:ip:"{ip}"', f'+CIPSTA:gateway:"{gateway}"', f'+CIPSTA:netmask:"{netmask}"'])

    def _cipstamac(self, cmd: CommandLine, out: list[Action]) -> None:
        self._reply(cmd, out, [f'+CIPSTAMAC:"{self.mac}"'])

    def _cifsr(self, cmd: CommandLine, out: list[Action]) -> None:
        lines = []
        if self.cwmode in (2, 3) or self.fault.cifsr_all_lines():
            ap_ip = "192.168.4.1" if self.cwmode in (2, 3) else "0.0.0.0"
            lines += [f'+CIFSR:APIP,"{ap_ip}"', '+CIFSR:APMAC,"26:0a:c4:00:00:01"']
        if self.cwmode in (1, 3):
            lines += [f'+CIFSR:STAIP,"{self._ip()}"', f'+CIFSR:STAMAC,"{self.mac}"']
        self._reply(cmd, out, lines)

    # ------------------------------------------------------------------ connection mode

    def _cipmux(self, cmd: CommandLine, out: list[Action]) -> None:
        if cmd.kind is Kind.QUERY:
            self._reply(cmd, out, [f"+CIPMUX:{self.mux}"])
            return
        value = cmd.params[0].number(0, 1) if len(cmd.params) == 1 else None
        if value is None:
            self._error(cmd, out, PARA_INVALID)
            return
        busy = bool(self.links) or self.server is not None
        if busy and self.fault.cipmux_guarded() and not (value == self.mux and self.fault.cipmux_same_value()):
            self._error(cmd, out, EXEC_FAIL)  # "only changed after all connections are disconnected"
            return
        if value == 1 and self.cipmode == 1:
            self._error(cmd, out, EXEC_FAIL)  # multiple connections need the normal transmission mode
            return
        self.mux = value
        self._reply(cmd, out)

    def _recv_mode(self, cmd: CommandLine, out: list[Action]) -> None:
        per_link = cmd.name == "CIPRECVTYPE"
        if cmd.kind is Kind.QUERY:
            if not per_link:
                self._reply(cmd, out, [f"+{cmd.name}:{int(self.passive[0])}"])
            else:
                ids = range(LINKS) if self.mux else range(1)
                self._reply(cmd, out, [f"+CIPRECVTYPE:{i},{int(self.passive[i])}" for i in ids])
            return
        params = [p.number(0, ALL_LINKS) for p in cmd.params]
        if per_link and self.mux:
            if len(params) != 2 or params[0] is None or params[1] not in (0, 1):
                self._error(cmd, out, PARA_INVALID if len(params) == 2 else PARA_NUM_MISMATCH)
                return
            targets = range(LINKS) if params[0] == ALL_LINKS else [params[0]]
            mode = params[1]
        else:
            if len(params) != 1 or params[0] not in (0, 1):
                self._error(cmd, out, PARA_INVALID if len(params) == 1 else PARA_NUM_MISMATCH)
                return
            targets = range(LINKS) if not per_link else [0]
            mode = params[0]
        for i in targets:
            assert i is not None
            self.passive[i] = bool(mode)
            link = self.links.get(i)
            if link is not None:
                link.passive = bool(mode)
        self._reply(cmd, out)
        for i in targets:
            link = self.links.get(i)
            if link is not None and not link.passive and link.waiting:
                # Back to active mode: what waited goes out as +IPD.
                data = bytes(link.buffer) + b"".join(d for _, d in link.datagrams)
                link.buffer.clear()
                link.datagrams.clear()
                link.reported = False
                self._ipd_active(link, data, link.remote, out)

    # ------------------------------------------------------------------ server

    def _cipserver_query(self, cmd: CommandLine, out: list[Action]) -> None:
        server = self.server
        if server is None:
            self._reply(cmd, out, ["+CIPSERVER:0"])
            return
        fields = ["1", str(server.port), '"TCP"', "0"] + (["0"] if "cipserver-netif" in self.features else [])
        self._reply(cmd, out, ["+CIPSERVER:" + ",".join(fields)])

    def _cipserver(self, cmd: CommandLine, out: list[Action]) -> None:
        params = cmd.params
        mode = params[0].number(0, 1) if params else None
        if mode is None:
            self._error(cmd, out, PARA_INVALID)
        elif mode == 0:
            self._server_stop(cmd, out)
        else:
            self._server_start(cmd, out)

    def _nochange(self, cmd: CommandLine, out: list[Action], answer: str) -> None:
        if answer == "error":
            self._error(cmd, out, EXEC_FAIL)
        else:
            self._reply(cmd, out, ["no change"] if answer == "no-change-ok" else [])

    def _server_start(self, cmd: CommandLine, out: list[Action]) -> None:
        params = cmd.params
        port = DEFAULT_SERVER_PORT if len(params) < 2 or params[1].omitted else params[1].number(1, 0xFFFF)
        kind = params[2] if len(params) > 2 else None
        netif_ok = "cipserver-netif" in self.features
        if port is None or len(params) > (5 if netif_ok else 4):
            self._error(cmd, out, PARA_INVALID)
            return
        if kind is not None and not kind.omitted and (not kind.quoted or kind.text != "TCP"):
            self._error(cmd, out, PARA_INVALID)  # SSL and IPv6 servers are not emulated
            return
        if any(p.number(0, 3) is None for p in params[3:] if not p.omitted):
            self._error(cmd, out, PARA_INVALID)
            return
        if self.mux != 1 and self.fault.server_needs_mux():
            self._error(cmd, out, EXEC_FAIL)
            return
        if not self.joined:
            self._error(cmd, out, EXEC_FAIL)
            return
        if self.server is not None:
            if self.server.port == port:
                self._nochange(cmd, out, self.fault.server_nochange())
                return
            answer = self.fault.second_server()
            if answer != "replace":
                self._nochange(cmd, out, answer)
                return
            self._stop_listening(out)
            self.server = None
        key = next(self._keys)
        self.server = Server(port, key)
        self.op = Op("listen", cmd, key=key)
        out.append(Listen(key, port, backlog=LINKS + 1))

    def _server_stop(self, cmd: CommandLine, out: list[Action]) -> None:
        params = cmd.params
        close = params[1].number(0, 1) if len(params) == 2 else 0 if len(params) == 1 else None
        if close is None:
            self._error(cmd, out, PARA_INVALID if len(params) == 2 else PARA_NUM_MISMATCH)
            return
        if self.server is None:
            self._nochange(cmd, out, self.fault.server_nochange())
            return
        server = self.server
        if self.fault.server_stop_closes_listener():
            self._stop_listening(out)
        self.server = None
        for key, _, _, _ in server.waiting:
            out.append(Close(key))
        server.waiting.clear()
        clients = [link for link in self.links.values() if link.tetype == 1]
        if self.fault.server_stop_closes_clients(close == 1) and clients:
            self._close_all(cmd, clients, out)
        else:
            self._reply(cmd, out)

    def _stop_listening(self, out: list[Action]) -> None:
        if self.server is not None and self.server.listening:
            out.append(StopListening(self.server.key))
            self.server.listening = False

    def _listen_result(self, event: ListenResult, out: list[Action]) -> None:
        server = self.server
        op = self.op
        if op is not None and op.kind == "listen" and op.key == event.key:
            self.op = None
            if event.error is None:
                self._reply(op.cmd, out)
            else:
                self.server = None
                self._error(op.cmd, out, EXEC_FAIL)
        elif server is not None and server.key == event.key and event.error is not None:
            server.listening = False  # a listener reopened after a full server could not be

    def _server_links(self) -> list[Link]:
        return [link for link in self.links.values() if link.tetype == 1]

    def _accepted(self, event: Accepted, out: list[Action]) -> None:
        server = self.server
        if server is None or server.key != event.listener_key or (self.op is not None and self.op.kind == "listen"):
            out.append(Close(event.key))
            return
        if len(self._server_links()) >= self.maxconn and self.fault.maxconn_enforced():
            fate = self.fault.beyond_maxconn()
            if fate == "pending":
                server.waiting.append((event.key, event.peer_host, event.peer_port, bytearray()))
                return
            if fate == "closed-with-report":
                self._report(line(f"Have {self.maxconn} Connections"), out)
            out.append(Close(event.key))
            return
        self._admit(event.key, event.peer_host, event.peer_port, out)

    def _admit(self, key: int, host: str, port: int, out: list[Action], data: bytes = b"") -> None:
        """A client of the server takes a link ID and is reported."""
        server = self.server
        assert server is not None
        free = [i for i in range(LINKS) if i not in self.links]
        if self.fault.reuses_open_link_id():
            free = list(range(LINKS))
        if not free:
            out.append(Close(key))
            return
        link_id = self.fault.server_link_id(free)
        old = self.links.get(link_id)
        if old is not None:
            self.by_key.pop(old.key, None)  # forgotten, still open: the bug of reusing an open ID
        link = Link(link_id, "TCP", key, (host, port), server.port, 1, passive=self.passive[link_id])
        self.links[link_id] = link
        self.by_key[key] = link
        if (
            len(self._server_links()) >= self.maxconn
            and self.fault.beyond_maxconn() == "refused"
            and self.fault.maxconn_enforced()
        ):
            # Further clients are refused at TCP level until one leaves; the listener closes before the
            # client is reported, so a host that connects again on the report finds the port refusing.
            self._stop_listening(out)
        if self.fault.connect_report(cmd_started=False):
            self._report(self._connected_report(link), out)
        self._idle_timer(link, out)
        if data:
            self._received(Received(key, bytes(data)), out)

    def _slot_freed(self, out: list[Action]) -> None:
        """A server client left: one waiting beyond the limit takes its place, or the port listens again."""
        server = self.server
        if server is None or len(self._server_links()) >= self.maxconn:
            return
        if server.waiting:
            key, host, port, data = server.waiting.popleft()
            self._admit(key, host, port, out, bytes(data))
        elif not server.listening and self.fault.beyond_maxconn() == "refused":
            server.key = next(self._keys)
            server.listening = True
            out.append(Listen(server.key, server.port, backlog=LINKS + 1))

    def _idle_timer(self, link: Link, out: list[Action]) -> None:
        """AT+CIPSTO: a server's client silent for <time> seconds is closed; traffic restarts the timer."""
        if link.tetype == 1 and self.sto > 0 and self.fault.cipsto_enforced():
            out.append(StartTimer(f"sto-{link.id}", float(self.sto)))

    # ------------------------------------------------------------------ client links

    def _cipstart(self, cmd: CommandLine, out: list[Action]) -> None:
        params = list(cmd.params)
        startex = cmd.name == "CIPSTARTEX"
        if self.mux and not startex:
            link_id = params.pop(0).number(0, 99) if params else None
            if link_id is None or not self.fault.accepts_link_id(link_id):
                self._error(cmd, out, PARA_INVALID)
                return
        else:
            free = [i for i in range(LINKS) if i not in self.links]
            link_id = 0 if not self.mux else (self.fault.startex_link_id(free) if free else -1)
        if len(params) < 3:
            self._error(cmd, out, PARA_NUM_MISMATCH)
            return
        kind, host, port = params[0], params[1], params[2].number(1, 0xFFFF)
        if not kind.quoted or kind.text not in ("TCP", "UDP") or not host.quoted or port is None:
            self._error(cmd, out, PARA_INVALID)  # strings are quoted; SSL and IPv6 are not emulated
            return
        if not 0 < len(host.text.encode()) <= MAX_HOST:
            self._error(cmd, out, PARA_INVALID)
            return
        timeout_allowed = "cipstart-timeout" in self.features
        rest = params[3:]
        udp = (0, 0)
        if kind.text == "TCP":
            shape = ["number", "quoted"] + (["number"] if timeout_allowed else [])
            if len(rest) > len(shape):
                self._error(cmd, out, PARA_NUM_MISMATCH)
                return
            keep_alive = rest[0] if rest else None
            local_ip = rest[1] if len(rest) > 1 else None
            timeout = rest[2] if len(rest) > 2 else None
            if keep_alive is not None and not keep_alive.omitted and keep_alive.number(0, 7200) is None:
                self._error(cmd, out, PARA_INVALID)
                return
        else:
            shape = ["number", "number", "quoted"] + (["number"] if timeout_allowed else [])
            if len(rest) > len(shape):
                self._error(cmd, out, PARA_NUM_MISMATCH)
                return
            local_port = rest[0] if rest else None
            mode = rest[1] if len(rest) > 1 else None
            local_ip = rest[2] if len(rest) > 2 else None
            timeout = rest[3] if len(rest) > 3 else None
            lport = 0 if local_port is None or local_port.omitted else local_port.number(1, 0xFFFF)
            umode = 0 if mode is None or mode.omitted else mode.number(0, 2)
            if lport is None or umode is None or (umode and not lport):
                self._error(cmd, out, PARA_INVALID)
                return
            udp = (lport, umode)
        if local_ip is not None and not local_ip.omitted and (not local_ip.quoted or local_ip.text != self.host_ip):
            self._error(cmd, out, PARA_INVALID)  # the module binds only its own address
            return
        wait = 0 if timeout is None or timeout.omitted else timeout.number(0, 60000)
        if wait is None:
            self._error(cmd, out, PARA_INVALID)
            return
        if link_id < 0:
            self._error(cmd, out, EXEC_FAIL)  # AT+CIPSTARTEX with every link ID in use
            return
        if link_id in self.links:
            text = self.fault.link_in_use()
            self._error(cmd, out, EXEC_FAIL, [text] if text else [])
            return
        if not self.joined:
            self._error(cmd, out, EXEC_FAIL)
            return
        key = next(self._keys)
        remote = (host.text, port)
        if kind.text == "TCP":
            self.op = Op("connect", cmd, link_id, key, remote=remote, startex=startex)
            out.append(Connect(key, host.text, port))
            if wait:
                out.append(StartTimer(_TIMER_CONNECT, wait / 1000))
        else:
            self.op = Op("bind", cmd, link_id, key, udp=udp, remote=remote, startex=startex)
            out.append(BindUdp(key, udp[0]))

    def _connected(self, op: Op, link: Link, out: list[Action]) -> None:
        self.links[link.id] = link
        self.by_key[link.key] = link
        self.op = None
        lines = []
        if self.fault.connect_report(cmd_started=True):
            lines = [self._connected_report(link).decode("ascii").rstrip("\r\n")]
        self._reply(op.cmd, out, lines)

    def _start_failed(self, op: Op, out: list[Action]) -> None:
        self.op = None
        text = self.fault.refused_report(op.link if self.mux else None)
        self._error(op.cmd, out, EXEC_FAIL, [text] if text else [])

    def _connect_result(self, event: ConnectResult, out: list[Action]) -> None:
        op = self.op
        if op is None or op.kind != "connect" or op.key != event.key:
            if event.error is None:
                out.append(Close(event.key))  # late: its command already failed (timeout)
            return
        out.append(CancelTimer(_TIMER_CONNECT))
        if event.error is not None:
            self._start_failed(op, out)
            return
        link = Link(op.link, "TCP", event.key, op.remote, event.local_port, 0, passive=self._passive(op.link))
        self._connected(op, link, out)

    def _bind_result(self, event: BindResult, out: list[Action]) -> None:
        op = self.op
        if op is None or op.kind != "bind" or op.key != event.key:
            if event.error is None:
                out.append(CloseUdp(event.key))
            return
        if event.error is not None:
            self._start_failed(op, out)
            return
        link = Link(op.link, "UDP", event.key, op.remote, event.local_port, 0, passive=self._passive(op.link))
        link.udp_mode = self.fault.udp_remote_mode(op.udp[1])
        link.initial = op.remote
        self._connected(op, link, out)

    # ------------------------------------------------------------------ sending

    def _cipsend(self, cmd: CommandLine, out: list[Action]) -> None:
        params = list(cmd.params)
        escapes = cmd.name == "CIPSENDEX"
        want = 4 if self.mux else 3
        if not params or len(params) > want or len(params) == want - 1:
            self._error(cmd, out, PARA_NUM_MISMATCH)
            return
        link_id = params.pop(0).number(0, LINKS - 1) if self.mux else 0
        length = params.pop(0).number(1, self.fault.send_limit(self.max_send)) if params else None
        if link_id is None or length is None:
            self._error(cmd, out, PARA_INVALID)
            return
        to: tuple[str, int] | None = None
        if params:
            host, port = params[0], params[1].number(1, 0xFFFF)
            if not host.quoted or port is None or not host.text:
                self._error(cmd, out, PARA_INVALID)
                return
            to = (host.text, port)
        link = self.links.get(link_id)
        if link is None or (to is not None and link.type != "UDP"):
            self._error(cmd, out, EXEC_FAIL)
            return
        fails = False
        if link.type == "TCP" and not link.connected:
            answer = self.fault.dead_link_send()
            if answer in ("error", "link-invalid"):
                self._error(cmd, out, EXEC_FAIL, ["link is not valid"] if answer == "link-invalid" else [])
                return
            fails = answer == "prompt-then-fail"
        self.send = SendJob(cmd, link, length, escapes and self.fault.sendex_escapes(), to, fails)
        out.append(SerialOut(self.fault.reply_out(cmd, final("OK") + self.fault.prompt())))
        self.reader.expect_data(length, escapes=self.send.escapes)

    def _data(self, data: Data, out: list[Action]) -> None:
        job = self.send
        if job is None:
            return
        count = len(data.payload)
        if job.cmd.name == "CIPSENDEX":
            count = self.fault.sendex_count(len(data.raw), len(data.payload))
        recv = self.fault.recv_line(count)
        link = job.link
        surplus = self.reader.pending
        if surplus and self.fault.surplus() != "as-command":
            # Input that came with the data, beyond <length>, arrived while the module was sending.
            self.reader.drop()
            pieces = 1 if self.fault.surplus() == "busy-dropped" else max(1, surplus.count(b"\r\n"))
            out.append(SerialOut(BUSY * pieces))
        if recv is not None:
            out.append(SerialOut(recv))
        if job.fails or self.links.get(link.id) is not link:
            self.send = None
            out.append(SerialOut(final("SEND FAIL")))
            self._done(out)
            return
        payload = self.fault.sent_payload(data.payload)
        if payload is not None:
            if link.type == "UDP":
                to = job.to if job.to is not None and self.fault.udp_send_to_given() else link.remote
                out.append(SendTo(link.key, to[0], to[1], payload))
            else:
                out.append(Send(link.key, payload))
        self._idle_timer(link, out)
        delay = self.fault.send_ok_delay()
        if delay > 0:
            self.op = Op("sending")
            out.append(StartTimer(_TIMER_SEND_OK, delay))
            return
        self._send_done(out)

    def _send_done(self, out: list[Action]) -> None:
        self.send = None
        self.op = None
        sent = self.fault.send_ok()
        if sent is not None:
            out.append(SerialOut(sent))
        self._done(out)

    # ------------------------------------------------------------------ closing

    def _free(self, link: Link, out: list[Action], close: bool) -> None:
        """Forget a link (and close its connection or socket when ``close``)."""
        self.links.pop(link.id, None)
        self.by_key.pop(link.key, None)
        out.append(CancelTimer(f"sto-{link.id}"))
        if close:
            out.append(CloseUdp(link.key) if link.type == "UDP" else Close(link.key))
        if link.tetype == 1:
            self._slot_freed(out)

    def _close_all(self, cmd: CommandLine, links: list[Link], out: list[Action]) -> None:
        """Close ``links`` and report each CLOSED as ESPAT-SILENT-CLOSE-ALL-REPORT's choice says."""
        if self.fault.close_all_skips_last() and len(links) > 1:
            links = sorted(links, key=lambda link: link.id)[:-1]
        reports = b"".join(self._closed(link.id) for link in sorted(links, key=lambda link: link.id))
        for link in links:
            self._free(link, out, close=True)
        style = self.fault.close_all_report()
        if style == "each-before-ok":
            out.append(SerialOut(reports))
        self._reply(cmd, out)
        if style == "each-after-ok":
            out.append(SerialOut(reports))

    def _cipclose(self, cmd: CommandLine, out: list[Action]) -> None:
        if cmd.kind is Kind.EXECUTE:
            link_id: int | None = 0 if not self.mux else None
        else:
            link_id = cmd.params[0].number(0, ALL_LINKS) if len(cmd.params) == 1 and self.mux else None
        if link_id is None:
            self._error(cmd, out, PARA_INVALID)
            return
        if link_id == ALL_LINKS:
            if self.links:
                self._close_all(cmd, list(self.links.values()), out)
            else:
                self._close_unconnected(cmd, out)
            return
        link = self.links.get(link_id)
        if link is None:
            self._close_unconnected(cmd, out)
            return
        self._free(link, out, close=self.fault.closes_connection())
        self._reply(cmd, out, [self._closed(link_id).decode("ascii").rstrip("\r\n")])

    def _close_unconnected(self, cmd: CommandLine, out: list[Action]) -> None:
        answer = self.fault.close_unconnected()
        if answer == "ok":
            self._reply(cmd, out)
        else:
            text = {"link-invalid": "link is not valid", "unlink": "UNLINK"}.get(answer)
            self._error(cmd, out, EXEC_FAIL, [text] if text else [])

    # ------------------------------------------------------------------ state queries

    def _state_lines(self, head: str) -> list[str]:
        lines = []
        for link in sorted(self.links.values(), key=lambda link: link.id):
            ip, port = link.remote
            tetype = self.fault.tetype(link.tetype)
            lines.append(f'{head}:{link.id},"{link.type}","{ip}",{port},{link.local_port},{tetype}')
        return lines

    def _cipstate(self, cmd: CommandLine, out: list[Action]) -> None:
        self._reply(cmd, out, self._state_lines("+CIPSTATE"))

    def _cipstatus(self, cmd: CommandLine, out: list[Action]) -> None:
        if not self.fault.cipstatus():
            self._error(cmd, out, UNSUPPORTED)
            return
        # v2.1 doc: 2 got IP, 3 connected, 4 disconnected, 5 not connected to an AP.
        status = 5 if not self.joined else 3 if self.links else 2
        self._reply(cmd, out, [f"STATUS:{status}", *self._state_lines("+CIPSTATUS")])

    # ------------------------------------------------------------------ receiving

    def _ipd_active(self, link: Link, data: bytes, sender: tuple[str, int], out: list[Action]) -> None:
        chunk = self.fault.ipd_chunk()
        show = self.dinfo and self.fault.dinfo_honoured()
        name: int | None = link.id if self.mux or self.fault.ipd_link_in_single_mode() else None
        for i in range(0, len(data), chunk):
            piece = data[i : i + chunk]
            announced = self.fault.ipd_length(len(piece))
            raw = ipd(piece, name, sender if show else None)
            if announced != len(piece):
                raw = ipd_header(announced, name, sender if show else None) + b":" + piece
            self._report(self.fault.ipd_out(raw), out)

    def _notice(self, link: Link, out: list[Action]) -> None:
        """The passive notice: +IPD,[<id>,]<total waiting>."""
        name = link.id if self.mux else None
        self._report(b"\r\n" + ipd_header(link.waiting, name) + b"\r\n", out)
        link.reported = True

    def _received(self, event: Received, out: list[Action]) -> None:
        link = self.by_key.get(event.key)
        if link is None:
            server = self.server
            waiting = next((w for w in server.waiting if w[0] == event.key), None) if server else None
            if waiting is not None:
                waiting[3].extend(event.data)
            return
        self._idle_timer(link, out)
        if not link.passive:
            self._ipd_active(link, event.data, link.remote, out)
            return
        link.buffer += event.data
        if not link.reported or self.fault.passive_notice_each_arrival():
            self._notice(link, out)

    def _datagram(self, event: Datagram, out: list[Action]) -> None:
        link = self.by_key.get(event.key)
        if link is None or link.type != "UDP":
            return
        sender = (event.host, event.port)
        if link.udp_mode == 2 or (link.udp_mode == 1 and not link.udp_changed and sender != link.initial):
            link.udp_changed = link.udp_changed or sender != link.initial
            link.remote = sender
        if not link.passive:
            self._ipd_active(link, event.data, sender, out)
            return
        if self.fault.udp_passive_per_datagram():
            link.datagrams.append((sender, event.data))
        else:
            link.buffer += event.data
            link.sender = sender
        if not link.reported or self.fault.passive_notice_each_arrival():
            self._notice(link, out)

    def _peer_closed(self, event: PeerClosed, out: list[Action]) -> None:
        link = self.by_key.get(event.key)
        if link is None:
            server = self.server
            if server is not None:
                server.waiting = deque(w for w in server.waiting if w[0] != event.key)
            return
        if link.passive and link.waiting and self.fault.passive_keeps_data_on_close():
            link.connected = False  # CLOSED once the data are read (or the link closed)
            return
        self._free(link, out, close=False)
        if self.fault.peer_close_reported():
            self._report(self._closed(link.id), out)

    def _ciprecvdata(self, cmd: CommandLine, out: list[Action]) -> None:
        params = list(cmd.params)
        if len(params) != (2 if self.mux else 1):
            self._error(cmd, out, PARA_NUM_MISMATCH)
            return
        link_id = params[0].number(0, LINKS - 1) if self.mux else 0
        length = params[-1].number(1, 0x7FFFFFFF)
        if link_id is None or length is None:
            self._error(cmd, out, PARA_INVALID)
            return
        link = self.links.get(link_id)
        if link is not None and not link.passive and not self.fault.recvdata_needs_passive():
            out.append(SerialOut(self.fault.reply_out(cmd, recv_data(b"") + final("OK"))))
            self._done(out)
            return
        if link is None or not link.passive or not link.waiting:
            self._error(cmd, out, EXEC_FAIL)  # not in passive mode, or nothing to read
            return
        take = length + self.fault.recvdata_extra()
        if link.datagrams:
            sender, data = link.datagrams.popleft()
            if len(data) > take:
                link.datagrams.appendleft((sender, data[take:]))
                data = data[:take]
        else:
            data = bytes(link.buffer[:take])
            del link.buffer[:take]
            sender = link.sender or link.remote
        show = self.dinfo and self.fault.dinfo_honoured()
        closing = not link.connected and not link.waiting
        closed = self._closed(link_id) if closing else b""
        if closing:
            self._free(link, out, close=False)
        if closed and self.fault.passive_closed_before_ok():
            body = recv_data(data, sender if show else None) + closed
            out.append(SerialOut(self.fault.reply_out(cmd, body + final("OK"))))
            self._done(out)
            return
        out.append(SerialOut(self.fault.reply_out(cmd, recv_data(data, sender if show else None) + final("OK"))))
        self._done(out)
        if closed:
            self._report(closed, out)
            return
        if not link.waiting:
            link.reported = False
            return
        repeat = self.fault.passive_repeat()
        if repeat == "repeat-rest":
            self._notice(link, out)
        elif repeat == "on-new-data":
            link.reported = False

    def _ciprecvlen(self, cmd: CommandLine, out: list[Action]) -> None:
        idle = RECVLEN_IDLE[self.fault.recvlen_idle()]
        count = LINKS if self.mux else 1
        fields = []
        for i in range(count):
            link = self.links.get(i)
            fields.append(str(link.waiting) if link is not None else idle)
        shift = self.fault.recvlen_shift()
        if shift:
            fields = [idle] * shift + fields[:-shift]
        self._reply(cmd, out, ["+CIPRECVLEN:" + ",".join(fields)])

    # ------------------------------------------------------------------ timers

    def _timer(self, key: str, out: list[Action]) -> None:
        if key == READY_TIMER:
            self.state.become_ready()
            if self.associated and self.cwmode in (1, 3):
                self._report(line("WIFI CONNECTED") + line("WIFI GOT IP"), out)
        elif key == _TIMER_READY:
            self.booting = False
            self.reader = CommandReader()
            text = self.fault.ready_prelude() + (b"\r\nready\r\n" if self.fault.says_ready() else b"")
            out.append(SerialOut(text))
            if self.autoconn and self.cwmode in (1, 3):
                out.append(StartTimer(_TIMER_REJOIN, self.join_seconds))
        elif key == _TIMER_REJOIN:
            self.associated = True
            if self.state.ready:
                self._report(line("WIFI CONNECTED") + line("WIFI GOT IP"), out)
        elif key == _TIMER_JOIN and self.op is not None and self.op.kind == "join":
            op, self.op = self.op, None
            self.associated = True
            self.state.become_ready()
            out.append(SerialOut(line("WIFI CONNECTED") + line("WIFI GOT IP")))
            self._reply(op.cmd, out)
        elif key == _TIMER_CONNECT and self.op is not None and self.op.kind == "connect":
            op = self.op
            self._start_failed(op, out)  # a connection that completes later is closed (_connect_result)
        elif key == _TIMER_SEND_OK and self.op is not None and self.op.kind == "sending":
            self._send_done(out)
        elif key.startswith("sto-"):
            link = self.links.get(int(key[4:]))
            if link is not None and link.tetype == 1:
                self._free(link, out, close=True)
                self._report(self._closed(link.id), out)

    def _drop_network(self, out: list[Action]) -> None:
        server, self.server = self.server, None
        if server is not None:
            for key, _, _, _ in server.waiting:
                out.append(Close(key))
            if server.listening:
                out.append(StopListening(server.key))
        for link in list(self.links.values()):
            self._free(link, out, close=True)
        op = self.op
        if op is not None and op.kind in ("connect", "bind"):
            out.append(CloseUdp(op.key) if op.kind == "bind" else Close(op.key))
