"""The action executor: ``Runner`` carries out a device model's actions on real host sockets.

This module owns the host side of an emulated module: the ``DeviceModel`` protocol a family's model
follows, the ``Runner`` that carries out its actions with asyncio (UART bytes, listen/connect/send/
close on the host network, timers) and feeds back what happened as events, the TCP/UDP protocol
objects of the module's sockets, and ``SerialLink``, the UART side a byte endpoint
(``emulator.endpoints``) plugs in. The model stays sans-IO.

Flow control: when the UART side cannot keep up (its write buffer is full), reading from every
network connection pauses until it drains, so no amount of peer traffic grows memory unbounded.

Pacing (``Runner(baud=N)``): the UART takes the line time of ``N`` baud, 10 bits per byte, in both
directions, as a module on a real serial line does. Bytes from the host reach the model when their
last bit would have arrived; the model's bytes leave when their last bit would have been sent. Both
are asyncio timers (``loop.call_at``) on a line clock per direction, never a sleep; bytes waiting
for the line count against the same flow control as a full write buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any, Protocol, cast

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

log = logging.getLogger(__name__)


class DeviceModel(Protocol):
    family: str

    def serial_in(self, data: bytes) -> list[Action]: ...
    def net_in(self, event: NetEvent) -> list[Action]: ...
    def shutdown(self) -> list[Action]: ...


# --------------------------------------------------------------------------- network side


class _Conn(asyncio.Protocol):
    """One TCP connection (accepted or outgoing) of the emulated module."""

    def __init__(self, runner: Runner, key: int, listener_key: int | None) -> None:
        self.runner = runner
        self.key = key
        self.listener_key = listener_key
        self.transport: asyncio.Transport | None = None
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.runner.conns[self.key] = self
        if self.runner.paused:
            transport.pause_reading()
        if self.listener_key is not None:
            host, port = transport.get_extra_info("peername")[:2]
            self.runner.event(Accepted(self.listener_key, self.key, host, port))
        else:
            # An outgoing connection is reported here, before asyncio can deliver the peer's first
            # bytes (a server that speaks first, e.g. a banner): the model must know the connection
            # before it hears from it, or it takes the bytes for a connection nobody owns.
            sockname = transport.get_extra_info("sockname")
            self.runner.event(ConnectResult(self.key, local_port=int(sockname[1]) if sockname else 0))

    def data_received(self, data: bytes) -> None:
        self.runner.event(Received(self.key, data))

    def eof_received(self) -> bool:
        return False  # close our side too: the module reports the connection as lost

    def connection_lost(self, exc: Exception | None) -> None:
        self.runner.conns.pop(self.key, None)
        if not self.closing:
            self.runner.event(PeerClosed(self.key, reset=isinstance(exc, ConnectionResetError)))

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, runner: Runner, key: int) -> None:
        self.runner = runner
        self.key = key
        self.transport: asyncio.DatagramTransport | None = None
        # Datagrams the model sent before the transport existed (the bind is reported at once).
        self.unsent: list[tuple[bytes, tuple[str, int]]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Not an isinstance check: Python 3.11's selector datagram transport does not derive from
        # asyncio.DatagramTransport, and a failing check here would leave the socket unclosable.
        self.transport = cast(asyncio.DatagramTransport, transport)
        if self.runner.udp.get(self.key) is not self:
            transport.close()  # the model closed it while it was starting
            return
        for data, addr in self.unsent:
            self.transport.sendto(data, addr)
        self.unsent.clear()

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is None:
            self.unsent.append((data, addr))
        else:
            self.transport.sendto(data, addr)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.runner.event(Datagram(self.key, str(addr[0]), int(addr[1]), data))

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP socket %s: %s", self.key, exc)


# --------------------------------------------------------------------------- serial side


PACED_HIGH_WATER = 64 * 1024  # bytes waiting for the paced line before network reading pauses


class SerialLink(asyncio.Protocol):
    """The UART: bytes in go to the model, the model's bytes go out (at line speed when paced)."""

    def __init__(self, runner: Runner, on_lost: Callable[[], None] | None = None) -> None:
        self.runner = runner
        self.on_lost = on_lost
        self.transport: asyncio.WriteTransport | None = None
        self.byte_time = 10.0 / runner.baud if runner.baud else 0.0  # seconds per byte on the line
        self._rx_free = 0.0  # loop time the inbound line is free again
        self._tx_free = 0.0  # loop time the outbound line is free again
        self._tx_waiting = 0  # bytes scheduled and not yet written
        self._full = False  # the transport's write buffer is full

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if isinstance(transport, asyncio.WriteTransport):
            self.transport = transport
            self.runner.attach_serial(self)

    def data_received(self, data: bytes) -> None:
        if not self.byte_time:
            self.runner.serial_in(data)
            return
        loop = self.runner.loop
        self._rx_free = max(loop.time(), self._rx_free) + len(data) * self.byte_time
        loop.call_at(self._rx_free, self.runner.serial_in, data)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.runner.serial is self:
            self.runner.serial = None
        self.runner.set_paused(False)
        if self.on_lost is not None:
            self.on_lost()

    def pause_writing(self) -> None:
        self._full = True
        self._flow()

    def resume_writing(self) -> None:
        self._full = False
        self._flow()

    def _flow(self) -> None:
        self.runner.set_paused(self._full or self._tx_waiting > PACED_HIGH_WATER)

    def write(self, data: bytes) -> None:
        if not self.byte_time:
            self._write_now(data)
            return
        loop = self.runner.loop
        self._tx_free = max(loop.time(), self._tx_free) + len(data) * self.byte_time
        self._tx_waiting += len(data)
        loop.call_at(self._tx_free, self._line_done, data)
        self._flow()

    def _line_done(self, data: bytes) -> None:
        self._tx_waiting -= len(data)
        self._write_now(data)
        self._flow()

    def _write_now(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class Runner:
    """Carries out one model's actions on the host network and one serial link."""

    def __init__(self, model: DeviceModel, host_ip: str = "127.0.0.1", baud: int = 0) -> None:
        self.model = model
        self.host_ip = host_ip
        self.baud = baud  # pace the UART at this baud rate (0: as fast as the host goes)
        self.serial: SerialLink | None = None
        # What the model wrote before any serial link was attached (its power-on output): the first
        # link gets it, as a host that opens the port later reads what the module printed.
        self._unattached = bytearray()
        self.conns: dict[int, _Conn] = {}
        self.listen_socks: dict[int, socket.socket] = {}  # listening sockets the runner accepts on
        self.keepalive: dict[int, int] = {}  # listener key -> keep-alive ms for its connections
        # Listeners that accept one connection per AcceptNext -> how many the host holds besides it.
        self.one_at_a_time: dict[int, int] = {}
        self.udp: dict[int, _Udp] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.paused = False
        self.tasks: set[asyncio.Task[None]] = set()
        self._next_key = 1 << 20
        self.loop = asyncio.get_running_loop()
        # A model may act when it starts (e.g. the timer after which a module not ready yet is ready);
        # ``power_on`` is optional, so a model without it needs none.
        power_on = getattr(model, "power_on", None)
        if power_on is not None:
            self.execute(power_on())

    def attach_serial(self, link: SerialLink) -> None:
        """The serial link to write to from now on; it first gets what was written before it came."""
        self.serial = link
        if self._unattached:
            data, self._unattached = bytes(self._unattached), bytearray()
            link.write(data)

    # -- model I/O

    def serial_in(self, data: bytes) -> None:
        self.execute(self.model.serial_in(data))

    def event(self, event: NetEvent) -> None:
        self.execute(self.model.net_in(event))

    def execute(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, SerialOut):
                if self.serial is not None:
                    self.serial.write(action.data)
                else:
                    self._unattached += action.data
            elif isinstance(action, Send):
                conn = self.conns.get(action.key)
                if conn is not None and conn.transport is not None:
                    conn.transport.write(action.data)
            elif isinstance(action, SendTo):
                udp = self.udp.get(action.key)
                if udp is not None:
                    udp.sendto(action.data, (action.host, action.port))
            elif isinstance(action, Close | StopListening | CloseUdp):
                self._close(action.key)
            elif isinstance(action, Listen):
                self._listen(action)
            elif isinstance(action, AcceptNext):
                sock = self.listen_socks.get(action.key)
                if sock is not None and action.key in self.one_at_a_time:
                    sock.listen(self.one_at_a_time[action.key])  # the one to accept and those behind it
                    self.loop.add_reader(sock.fileno(), self._accept, action.key, sock)
            elif isinstance(action, Connect):
                self._spawn(self._connect(action))
            elif isinstance(action, BindUdp):
                self._bind(action)
            elif isinstance(action, StartTimer):
                old = self.timers.pop(action.key, None)
                if old is not None:
                    old.cancel()
                self.timers[action.key] = self.loop.call_later(action.seconds, self._fire, action.key)
            elif isinstance(action, CancelTimer):
                old = self.timers.pop(action.key, None)
                if old is not None:
                    old.cancel()

    def _fire(self, key: str) -> None:
        self.timers.pop(key, None)
        self.event(TimerFired(key))

    def _spawn(self, coro: Any) -> None:
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def new_key(self) -> int:
        self._next_key += 1
        return self._next_key

    def set_paused(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        for conn in list(self.conns.values()):
            if conn.transport is not None and not conn.transport.is_closing():
                if paused:
                    conn.transport.pause_reading()
                else:
                    conn.transport.resume_reading()

    # -- network operations

    def _listen(self, action: Listen) -> None:
        # Bound and listening before the model hears back, so that a request the module answers
        # after this one can never overtake it (a peer may connect as soon as 0xC6 is out).
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as exc:  # e.g. out of file descriptors
            self.event(ListenResult(action.key, str(exc)))
            return
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host_ip, action.port))
            # A one-at-a-time listener's queue is the host's: listen(n) holds n + 1 (Linux), the one
            # to accept and the n behind it.
            sock.listen(max(0, action.backlog) if action.one_at_a_time else max(1, action.backlog))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            self.event(ListenResult(action.key, str(exc)))
            return
        self.listen_socks[action.key] = sock
        if action.keepalive_ms:
            self.keepalive[action.key] = action.keepalive_ms
        if action.one_at_a_time:
            self.one_at_a_time[action.key] = max(0, action.backlog)
        self.loop.add_reader(sock.fileno(), self._accept, action.key, sock)
        self.event(ListenResult(action.key))

    def _accept(self, key: int, sock: socket.socket) -> None:
        # The runner accepts itself rather than through loop.create_server: closing an asyncio
        # Server while it still creates the transport of a just-accepted socket fails
        # (Server._attach asserts) and leaves that connection open. Here every accepted socket
        # becomes a connection, in accept order, and the model decides what to do with it.
        while True:
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("listener %s: %s", key, exc)
                return
            conn.setblocking(False)
            if key in self.keepalive:
                set_keepalive(conn, self.keepalive[key])
            self._spawn(self._adopt(key, conn))
            if key in self.one_at_a_time:
                # The next ones wait in the host's queue, which now holds the backlog (listen(n - 1)).
                self.loop.remove_reader(sock.fileno())
                sock.listen(max(0, self.one_at_a_time[key] - 1))
                return

    async def _adopt(self, listener_key: int, conn: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: _Conn(self, self.new_key(), listener_key), conn)
        except BaseException:
            conn.close()
            raise

    async def _connect(self, action: Connect) -> None:
        try:
            await asyncio.wait_for(
                self.loop.create_connection(lambda: _Conn(self, action.key, None), action.host, action.port),
                timeout=10,
            )
        except ConnectionRefusedError:
            self.event(ConnectResult(action.key, "refused"))
        except socket.gaierror:
            self.event(ConnectResult(action.key, "dns"))
        except TimeoutError:
            self.event(ConnectResult(action.key, "timeout"))
        except OSError:
            self.event(ConnectResult(action.key, "unreachable"))
        # A connection that was made has been reported by its protocol (_Conn.connection_made).

    def _bind(self, action: BindUdp) -> None:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        except OSError as exc:  # e.g. out of file descriptors
            self.event(BindResult(action.key, str(exc)))
            return
        try:
            sock.bind((self.host_ip, action.port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            self.event(BindResult(action.key, str(exc)))
            return
        udp = self.udp[action.key] = _Udp(self, action.key)
        port = int(sock.getsockname()[1])
        self._spawn(self.loop.create_datagram_endpoint(lambda: udp, sock=sock))
        self.event(BindResult(action.key, local_port=port))

    def _close(self, key: int) -> None:
        conn = self.conns.pop(key, None)
        if conn is not None:
            conn.close()
        sock = self.listen_socks.pop(key, None)
        self.keepalive.pop(key, None)
        self.one_at_a_time.pop(key, None)
        if sock is not None:
            self.loop.remove_reader(sock.fileno())
            sock.close()
        udp = self.udp.pop(key, None)
        if udp is not None and udp.transport is not None:
            udp.transport.close()

    async def aclose(self) -> None:
        """Close every socket the model holds, then the serial link."""
        self.execute(self.model.shutdown())
        for key in [*self.conns, *self.listen_socks, *self.udp]:
            self._close(key)
        for timer in self.timers.values():
            timer.cancel()
        for task in list(self.tasks):
            task.cancel()
        if self.serial is not None and self.serial.transport is not None:
            self.serial.transport.close()
        await asyncio.sleep(0)  # let transports run their close callbacks once


KEEPALIVE_PROBES = 3  # unanswered probes before a peer is lost (the module's own count is UNCONFIRMED)


def set_keepalive(sock: socket.socket, period_ms: int) -> None:
    """TCP keep-alive on ``sock``: first probe after ``period_ms`` idle, then one every ``period_ms``;
    after ``KEEPALIVE_PROBES`` unanswered ones the kernel fails the connection (ETIMEDOUT), which
    reaches the model as ``PeerClosed``. The kernel counts in whole seconds (at least 1)."""
    seconds = max(1, round(period_ms / 1000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    # Linux names; macOS has TCP_KEEPALIVE for the idle time. Where an option is missing the
    # system default applies.
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    for option, value in (
        (idle, seconds),
        (getattr(socket, "TCP_KEEPINTVL", None), seconds),
        (getattr(socket, "TCP_KEEPCNT", None), KEEPALIVE_PROBES),
    ):
        if option is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
