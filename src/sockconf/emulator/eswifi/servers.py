"""The eS-WiFi model's TCP servers: ``P5=1`` (single), ``P5=11`` (multi-accept), ``P5=10`` (next client),
``P5=0`` (stop), ``P7`` (the accept loop), and ``R0``/``S3`` on the client a server serves.

A server has at most one *current* client (the one ``R0``/``S3`` serve, announced by
``[TCP SVR] Accepted <ip>:<port>``) and a queue of pending clients in arrival order, at most ``P8``
long. The runner accepts every connection at once, so the queue lives here (on a one-at-a-time
listener, the host's own listen queue holds them instead); a pending client's bytes stay buffered
until it becomes current. What happens to a client beyond the backlog is a silent point (the fault
hooks' ``beyond_backlog``).

``P7`` (ESWIFI-SILENT-P7: only the command names are public, in an ISM43340 header, and ST's es_wifi.c
uses it): ``P7=1`` starts the accept loop of a running server, ``P7=0`` stops it, ``P7=2`` closes the
current client, ``P7=3`` takes the next one (closing the current one if any) and announces it. A
multi-accept server (``P5=11``) has its loop on. The profile's ``p7 = "refused"`` answers every ``P7``
as an unknown command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sockconf.emulator.eswifi.core import number
from sockconf.emulator.eswifi.sockets import Client, ServerMode, Socket
from sockconf.emulator.eswifi.states import NOT_JOINED_ERROR
from sockconf.emulator.eswifi.wifi import WiFiModel
from sockconf.emulator.net import Accepted, AcceptNext, Action, Close, Listen, ListenResult, Send, StopListening
from sockconf.protocol.eswifi import KILLED, MAX_S3_COUNT, MULTI_ACCEPT_SETUP, WAITING, Command, CommandReader
from sockconf.protocol.profile import Profile


class ServerModel(WiFiModel):
    """The servers of the module's sockets."""

    def __init__(self, profile: Profile, *args: Any, **kwargs: Any) -> None:
        super().__init__(profile, *args, **kwargs)
        texts: Mapping[str, Any] = self.device.get("messages", {})
        self.text_setup = str(texts.get("multi_accept_setup", MULTI_ACCEPT_SETUP))
        self.text_waiting = str(texts.get("waiting", WAITING))
        self.text_killed = str(texts.get("killed", KILLED))
        self.listeners: dict[int, Socket] = {}
        self.p7 = str(self.device.get("p7", "supported"))
        # The seed shows the server's texts inside the P5 replies (ESWIFI-SILENT-WAITING-PLACEMENT); as
        # messages they come before the reply ("messages") or after its prompt ("messages-after").
        self.texts_placement = str(self.device.get("waiting_placement", "in-reply"))
        self.after_reply: list[str] = []

    def command_table(self) -> dict[str, Callable[[Command, list[Action]], None]]:
        return {**super().command_table(), "P7": self._p7}

    def _texts(self, texts: list[str], out: list[Action]) -> bytes:
        """The server's texts for a P5 reply: its data, or messages ahead of it or after it (then no data)."""
        if self.texts_placement == "in-reply":
            return "\r\n".join(texts).encode()
        if self.texts_placement == "messages-after":
            self.after_reply.extend(texts)
            return b""
        for text in texts:
            self._message(text, out)
        return b""

    def _reply(self, cmd: Command | None, out: list[Action], data: bytes = b"") -> None:
        super()._reply(cmd, out, data)
        after, self.after_reply = self.after_reply, []
        for text in after:
            self._message(text, out)

    def _p5(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        value = number(cmd.params[0], 0, 99) if len(cmd.params) == 1 else None
        if value == 0:
            had_server = sock.mode is not None
            self._stop(sock, out, close_listener=self.fault.kill_closes_listener())
            self._reply(cmd, out, self._texts([self.text_killed], out) if had_server else b"")
        elif value in (1, 11):
            refused = self.state.server_refused() or (None if self.on_network else NOT_JOINED_ERROR)
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
                self._next(cmd, sock, out, [self.text_waiting])
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
            data = self._texts([self.text_setup, self.text_waiting], out) if mode is ServerMode.MULTI else b""
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
        if sock.current is None and not sock.queue and not sock.holding:
            sock.current = client
            self._announce(sock, client, out)
        elif len(sock.queue) < sock.backlog:
            sock.queue.append(client)
            if self.fault.announces_waiting():
                self._announce(sock, client, out)
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

    def _p7(self, cmd: Command, out: list[Action]) -> None:
        if self.p7 == "refused":
            self._error(cmd, out, "Unknown Command", None)
            return
        sock = self._sock
        value = number(cmd.params[0], 0, 3) if len(cmd.params) == 1 else None
        if value is None:
            self._error(cmd, out, "Invalid accept loop command", "P7=<0-3>")
        elif sock.mode is None:
            self._error(cmd, out, "No server", "P5=1 first")
        elif value in (0, 1):
            sock.loop = value == 1
            self._reply(cmd, out)
        elif not (sock.loop or sock.mode is ServerMode.MULTI):
            self._error(cmd, out, "Accept loop not started", "P7=1 first")
        elif value == 2:
            self._drop_current(sock, out)
            sock.holding = True
            self._reply(cmd, out)
        else:
            sock.holding = False
            self._next(cmd, sock, out, [])

    def _drop_current(self, sock: Socket, out: list[Action]) -> None:
        old = sock.current
        if old is not None:
            if self.fault.closes_current_on_next():
                self._close(old, out)
            else:
                sock.detached.append(old)
        sock.current = None

    def _next(self, cmd: Command, sock: Socket, out: list[Action], texts: list[str]) -> None:
        self._drop_current(sock, out)
        sock.current = self.fault.next_client(sock.queue) if sock.queue else None
        if sock.current is None and sock.host_queue and sock.listener is not None:
            out.append(AcceptNext(sock.listener))  # the next client comes from the host's queue
        early = sock.current is not None and self.fault.accepted_before_reply()
        if early:
            assert sock.current is not None
            self._announce(sock, sock.current, out)
        data = self._texts(texts, out)
        # A UART module writing the Accepted line while its reply goes out: between the data and the OK.
        inside = (
            sock.current is not None
            and not early
            and self.fault.accepted_in_reply()
            and self.fault.message_delivery(self.async_mode) != "mr"
        )
        if inside:
            assert sock.current is not None
            sent = self.fault.message_out(self._accepted_text(sock, sock.current))
            if sent is not None:
                data = (data + b"\r\n" if data else b"") + sent.encode("utf-8")
        self._reply(cmd, out, data)
        if sock.current is not None and not early and not inside:
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
        sock.loop = sock.holding = False
        if sock.listener is not None:
            if close_listener:
                self.listeners.pop(sock.listener, None)
                out.append(StopListening(sock.listener))
            sock.listener = None

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
        out.append(Send(client.key, self.fault.s3_sent(cmd.payload)))
        self._reply(cmd, out, str(self.fault.s3_count(count)).encode("ascii"))
