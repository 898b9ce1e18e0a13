"""Minimal hosts for the benchmarks: the codecs over a driver, with nothing of the suite's bookkeeping.

The conformance sessions (``sockconf/harness/xbee/``, ``sockconf/harness/eswifi/``) record a decoded note per
frame and compare field templates; the data-path and scale benchmarks measure the emulator and
the byte path under them, so these hosts only encode, decode and wait (always with a deadline).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from sockconf import drivers
from sockconf.drivers.base import Driver, DriverConfig
from sockconf.protocol.eswifi import AsyncMessage, ErrorReply, Reply, ReplyReader, command
from sockconf.protocol.eswifi import Event as ESWiFiEvent
from sockconf.protocol.profile import load_profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import DecodeEvent, Decoder, Event, encode

F = TypeVar("F", bound=fr.Frame)


class BenchError(Exception):
    """The emulator did not do what the benchmark needs (a broken build, not a slow one)."""


def open_emulator(profile: str, host: str = "127.0.0.1") -> Driver:
    """The ``emulator`` driver, as the suite opens it, for a built-in profile."""
    driver = drivers.create("emulator", DriverConfig(profile=load_profile(profile), options={"emulator_host": host}))
    driver.open()
    return driver


class XBeeHost:
    """Frames out, frames in, over one driver."""

    def __init__(self, driver: Driver, api_mode: int = 1) -> None:
        self.driver = driver
        self.api_mode = api_mode
        self.decoder = Decoder(api_mode)
        self.inbox: deque[Event] = deque()
        self._fid = 0

    def frame_id(self) -> int:
        self._fid = self._fid % 255 + 1
        return self._fid

    def send(self, frame: fr.Frame) -> None:
        self.driver.write(encode(frame, self.api_mode))

    def pump(self, deadline: float) -> bool:
        """Read once (until data or the deadline) and decode; False if nothing came."""
        data = self.driver.read(deadline)
        if data:
            self.inbox.extend(self.decoder.feed(data))
        return bool(data)

    def wait(self, kind: type[F], within: float = 5.0) -> F:
        """The first frame of ``kind`` (frames of other kinds before it stay in the inbox)."""
        deadline = time.monotonic() + within
        while True:
            for i, event in enumerate(self.inbox):
                if isinstance(event, DecodeEvent):
                    raise BenchError(f"the emulator sent bytes that are not a good frame: {event.describe()}")
                if isinstance(event, kind):
                    del self.inbox[i]
                    return event
            if time.monotonic() >= deadline:
                raise BenchError(f"no {kind.NAME} within {within:g} s; inbox: {list(self.inbox)[:4]}")
            self.pump(deadline)

    def listener(self, port: int) -> int:
        """A TCP socket listening on ``port``: its socket ID."""
        self.send(fr.SocketCreate(self.frame_id(), 1))
        created = self.wait(fr.SocketCreateResponse)
        self.send(fr.SocketBindListen(self.frame_id(), created.socket_id, port))
        listened = self.wait(fr.SocketListenResponse)
        if listened.status != 0:
            raise BenchError(f"listening on port {port} failed: {listened}")
        return created.socket_id


class ESWiFiHost:
    """Commands out, replies and messages in, over one driver."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.reader = ReplyReader()
        self.replies: deque[ESWiFiEvent] = deque()
        self.messages: deque[AsyncMessage] = deque()

    def send(self, raw: bytes) -> None:
        """One command's bytes (an S3 with its payload); its reply is now expected."""
        self.reader.command_sent()
        self.driver.write(raw)

    def settle(self, quiet: float = 0.1, within: float = 2.0) -> None:
        """Read away what the module wrote at power-on (its cursor) until the line is quiet."""
        deadline = time.monotonic() + within
        while (now := time.monotonic()) < deadline and self.driver.read(min(deadline, now + quiet)):
            pass
        self.reader.reset()

    def pump(self, deadline: float) -> bool:
        data = self.driver.read(deadline)
        if data:
            for event in self.reader.feed(data):
                if isinstance(event, AsyncMessage):
                    self.messages.append(event)
                else:
                    self.replies.append(event)
        return bool(data)

    def reply(self, within: float = 5.0) -> Reply:
        """The next reply, which must be a success (``-1`` included)."""
        deadline = time.monotonic() + within
        while not self.replies:
            if time.monotonic() >= deadline:
                raise BenchError(f"no reply within {within:g} s")
            self.pump(deadline)
        event = self.replies.popleft()
        if not isinstance(event, Reply):
            what = event.describe() if isinstance(event, ErrorReply) else repr(event)
            raise BenchError(f"the emulator answered {what}")
        return event

    def ok(self, name: str, *params: object) -> Reply:
        self.send(command(name, *params))
        return self.reply()

    def message(self, within: float = 5.0) -> AsyncMessage:
        deadline = time.monotonic() + within
        while not self.messages:
            if time.monotonic() >= deadline:
                raise BenchError(f"no message within {within:g} s")
            self.pump(deadline)
        return self.messages.popleft()

    def server(self, port: int, mode: int = 11) -> None:
        """Socket 0 as a TCP server on ``port`` (``P5=11``: multi-accept)."""
        for name, *params in (("P0", 0), ("P1", 0), ("P2", port), ("P5", mode)):
            self.ok(name, *params)


# --------------------------------------------------------------------------- the network peer


class PeerThread:
    """A TCP peer in a thread of its own, as the suite's peer is a socket in the suite's process."""

    def __init__(self, sock: socket.socket, work: Callable[[socket.socket], bytes]) -> None:
        self.sock = sock
        self.result = b""
        self.error: BaseException | None = None
        self.finished = 0.0  # time.perf_counter() when the work ended
        self._work = work
        self._thread = threading.Thread(target=self._main, name="bench-peer", daemon=True)

    def _main(self) -> None:
        try:
            self.result = self._work(self.sock)
        except BaseException as exc:  # handed to the benchmark, never lost
            self.error = exc
        finally:
            self.finished = time.perf_counter()

    def start(self) -> PeerThread:
        self._thread.start()
        return self

    def join(self, within: float) -> bytes:
        self._thread.join(within)
        if self._thread.is_alive():
            raise BenchError(f"the peer did not finish within {within:g} s")
        if self.error is not None:
            raise BenchError(f"the peer failed: {self.error}") from self.error
        return self.result


def connect(host: str, port: int, within: float = 5.0) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=within)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def send_all(data: bytes) -> Callable[[socket.socket], bytes]:
    def work(sock: socket.socket) -> bytes:
        sock.sendall(data)
        return b""

    return work


def receive(total: int, within: float) -> Callable[[socket.socket], bytes]:
    """Read until ``total`` bytes arrived, the connection closed, or the deadline passed."""

    def work(sock: socket.socket) -> bytes:
        deadline = time.monotonic() + within
        buf = bytearray()
        while len(buf) < total:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(1 << 20)
            except TimeoutError:
                break
            if not chunk:
                break
            buf += chunk
        return bytes(buf)

    return work
