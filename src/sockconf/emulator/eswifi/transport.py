"""The eS-WiFi transport beyond the servers: a TCP client (``P3``/``P4``, ``P6=1``/``P6=0``), a UDP server
(``P1=1``, ``P5=1``: datagrams from any peer, the last one's sender in ``P?``) and a UDP client (``P1=1``,
``P6=1`` to ``P3``:``P4``), each ``R0`` one datagram and each ``S3`` one datagram; ``S1`` + ``S0`` writes;
``R0`` waiting up to ``R2`` ms for data; ``R?``/``S?``; and ``P?``, which shows all of a socket.

TCP-SSL (``P1=3``) has no certificates here, so ``P6=1`` refuses it. Where the documents are silent
the profile's ``[device]`` keys choose (``connect_refused``, ``udp_oversize``, ``udp_sender_in_p``,
``s0_reply``, ``tls_unconfigured``; the registry is ``sockconf/data/silent/eswifi.toml``).
Sources: docs/spec/eswifi-transport.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from sockconf.emulator.eswifi.core import number
from sockconf.emulator.eswifi.servers import ServerModel
from sockconf.emulator.eswifi.sockets import Client, ServerMode, Socket, UdpEndpoint
from sockconf.emulator.eswifi.states import NOT_JOINED_ERROR
from sockconf.emulator.net import (
    Action,
    BindResult,
    BindUdp,
    CancelTimer,
    Close,
    CloseUdp,
    Connect,
    ConnectResult,
    Datagram,
    NetEvent,
    Send,
    SendTo,
    StartTimer,
    TimerFired,
)
from sockconf.protocol.eswifi import MAX_S3_COUNT, Command
from sockconf.protocol.profile import Profile

READ_TIMER = "r0-read-timeout"  # an R0 waiting up to R2 ms for data


class TransportModel(ServerModel):
    """Clients, UDP, and the read/write commands that serve every kind of socket."""

    def __init__(self, profile: Profile, *args: Any, **kwargs: Any) -> None:
        super().__init__(profile, *args, **kwargs)
        device = self.device
        # The choices where the vendor material is silent (sockconf/data/silent/eswifi.toml).
        self.connect_refused = str(device.get("connect_refused", "error"))
        self.udp_oversize = str(device.get("udp_oversize", "truncated"))
        self.udp_sender_shown = bool(device.get("udp_sender_in_p", True))
        self.s0_reply = str(device.get("s0_reply", "count"))
        self.tls_unconfigured = str(device.get("tls_unconfigured", "connect-error"))
        # P? field 1 (sockconf/data/silent/eswifi.toml ESWIFI-SILENT-P-FIELD1).
        self.p_field1 = str(device.get("p_field1", "client-ip"))
        self.r0_empty_param = str(device.get("r0_empty_param", "read"))
        self.udp_keys: dict[int, Socket] = {}
        self.connecting: dict[int, Socket] = {}
        self.pending_read: tuple[Socket, Command] | None = None  # an R0 waiting up to R2 for data
        self.last_received: int | None = None  # the socket that last got data from the network

    def command_table(self) -> dict[str, Callable[[Command, list[Action]], None]]:
        return {
            **super().command_table(),
            "P0": self._select,
            "P5": self._p5_transport,
            "P6": self._p6,
            "P?": self._p_query,
            "R0": self._read,
            "S0": self._write,
            "S1": self._write_size,
            "S3": self._write,
            "R?": self._read_settings,
            "S?": self._write_settings,
        }

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

    def _p5_transport(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        value = number(cmd.params[0], 0, 99) if len(cmd.params) == 1 else None
        if value == 1 and sock.protocol in (1, 2):
            if not self.on_network:
                self._error(cmd, out, *NOT_JOINED_ERROR)
            elif self._busy(sock):
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
        value = number(cmd.params[0], 0, 1) if len(cmd.params) == 1 else None
        if value is None:
            self._error(cmd, out, "Invalid client mode", "P6=<0/1>")
        elif value == 0:
            # P6=0 with no client is answered OK too: hosts send it before every connect.
            if sock.udp is None or not sock.udp.server:
                self._stop_client(sock, out)
            self._reply(cmd, out)
        elif self._busy(sock):
            self._error(cmd, out, "Socket in use", "P5=0 or P6=0 first")
        elif not self.on_network:
            self._error(cmd, out, *NOT_JOINED_ERROR)  # no address to connect from
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

    def _read(self, cmd: Command, out: list[Action]) -> None:
        if cmd.params == ("",) and self.r0_empty_param == "read":
            cmd = Command(cmd.name, (), cmd.raw)  # R0= (stm32duino's form) reads as R0
        if cmd.params:
            self._error(cmd, out, "Invalid parameter", "R0")
            return
        sock = self._sock
        if not self._readable(sock) and sock.read_timeout > 0 and self.fault.honours_read_timeout():
            # Nothing to answer yet: wait up to R2 ms for data (later commands wait too).
            self.pending_read = (sock, cmd)
            self.waiting_on = (sock, cmd)
            out.append(StartTimer(READ_TIMER, sock.read_timeout / 1000))
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
        out.append(CancelTimer(READ_TIMER))
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

    def _write(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        s0 = cmd.name == "S0"
        if not s0 and not self.fault.s3_count_taken(cmd.params[0] if cmd.params else ""):
            self._error(cmd, out, "Invalid data length", f"S3=<1-{self.max_s3}>\\r<data>")
            return
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

    def _p_field1(self, sock: Socket) -> str:
        """P? field 1: the peer of the socket's TCP connection, 0.0.0.0 while it has none, as ST's
        es_wifi.c (ES_WIFI_WaitServerConnection: no client iff the reply starts ``0,0.0.0.0,``),
        stm32duino and Arm's CMSIS-Driver read it; the profile may choose otherwise."""
        if self.p_field1 == "own-address":
            return self.address
        if self.p_field1 == "unset":
            return "0.0.0.0"
        if sock.current is not None:
            return sock.current.host
        if sock.client is not None and sock.client.connected:
            return sock.client.host
        return "0.0.0.0"

    def _p_query(self, cmd: Command, out: list[Action]) -> None:
        # Field order as ST's es_wifi.c parses it: protocol, client IP (see _p_field1), local port,
        # remote IP, remote port, TCP server, UDP server, backlog, accept loop, read mode (meanings
        # partly UNCONFIRMED). Remote fields show the current client while there is one.
        sock = self._sock
        remote = self._shown_remote(sock)
        fields = [
            sock.protocol,
            self._p_field1(sock),
            sock.local_port,
            remote[0],
            remote[1],
            int(sock.mode is not None),
            int(sock.udp is not None and sock.udp.server),
            sock.backlog,
            int(sock.mode is ServerMode.MULTI or sock.loop),
            0,
        ]
        self._reply(cmd, out, ",".join(str(f) for f in fields).encode("ascii"))
