"""The runner on real host sockets, driven by a stub model: what it does with the model's actions."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from sockconf.emulator import build_model, default_profile
from sockconf.emulator.executor import KEEPALIVE_PROBES, Runner, _Conn, set_keepalive
from sockconf.emulator.net import (
    Accepted,
    AcceptNext,
    Action,
    BindResult,
    BindUdp,
    ConnectResult,
    Listen,
    ListenResult,
    NetEvent,
    Received,
)
from sockconf.emulator.thread import EmulatorThread
from sockconf.protocol.eswifi import ErrorReply, Reply, ReplyReader

WAIT = 5.0


class StubModel:
    """Opens one listener at start (with the given keep-alive) and records the network events."""

    family = "stub"

    def __init__(self, keepalive_ms: int) -> None:
        self.keepalive_ms = keepalive_ms
        self.port = 0
        self.events: list[NetEvent] = []
        self.listening = threading.Event()
        self.accepted = threading.Event()

    def serial_in(self, data: bytes) -> list[Action]:
        return [Listen(1, self.port, keepalive_ms=self.keepalive_ms)] if data == b"listen" else []

    def net_in(self, event: NetEvent) -> list[Action]:
        self.events.append(event)
        if isinstance(event, ListenResult):
            self.listening.set()
        if isinstance(event, Accepted):
            self.accepted.set()
        return []

    def shutdown(self) -> list[Action]:
        return []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def accepted_socket(keepalive_ms: int) -> socket.socket:
    """Run the stub's listener, connect a client, and hand back a dup of the socket the runner accepted."""
    model = StubModel(keepalive_ms)
    model.port = free_port()
    emu = EmulatorThread(model).start()
    try:
        emu.sock.sendall(b"listen")
        assert model.listening.wait(WAIT), "the runner never answered Listen"
        with socket.create_connection(("127.0.0.1", model.port), timeout=WAIT):
            assert model.accepted.wait(WAIT), "the runner never reported the connection"
            assert emu.runner is not None
            (conn,) = emu.runner.conns.values()
            assert conn.transport is not None
            return conn.transport.get_extra_info("socket").dup()
    finally:
        emu.stop()


@pytest.mark.skipif(not hasattr(socket, "TCP_KEEPIDLE"), reason="TCP_KEEPIDLE is Linux's name")
def test_accepted_connection_gets_the_listeners_keepalive():
    with accepted_socket(3000) as conn:
        assert conn.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 3
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 3
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == KEEPALIVE_PROBES


def test_no_keepalive_unless_asked():
    with accepted_socket(0) as conn:
        assert conn.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0


@pytest.mark.skipif(not hasattr(socket, "TCP_KEEPIDLE"), reason="TCP_KEEPIDLE is Linux's name")
@pytest.mark.parametrize(("ms", "seconds"), [(1, 1), (400, 1), (1499, 1), (1500, 2), (7000, 7)])
def test_keepalive_period_rounds_to_whole_seconds_at_least_one(ms, seconds):
    with socket.socket() as s:
        set_keepalive(s, ms)
        assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == seconds


class RecordingModel:
    """Records the network events; no actions of its own."""

    family = "stub"

    def __init__(self) -> None:
        self.events: list[NetEvent] = []

    def serial_in(self, data: bytes) -> list[Action]:
        return []

    def net_in(self, event: NetEvent) -> list[Action]:
        self.events.append(event)
        return []

    def shutdown(self) -> list[Action]:
        return []


@pytest.mark.parametrize("action", [Listen(7, 0), BindUdp(7, 0)])
def test_a_socket_the_host_cannot_create_is_reported_to_the_model(monkeypatch, action):
    def no_socket(*args, **kwargs):
        raise OSError(24, "Too many open files")

    async def main() -> RecordingModel:
        model = RecordingModel()
        runner = Runner(model)
        with monkeypatch.context() as patch:
            patch.setattr(socket, "socket", no_socket)
            runner.execute([action])
        await runner.aclose()
        return model

    model = asyncio.run(main())
    (result,) = model.events
    assert isinstance(result, ListenResult | BindResult)
    assert result.key == 7
    assert result.error is not None and "Too many open files" in result.error


class OneAtATimeModel(RecordingModel):
    """A one-at-a-time listener (one connection held behind the accepted one) on b"listen", AcceptNext on b"next"."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port
        self.listening = threading.Event()
        self.accepted = threading.Semaphore(0)

    def serial_in(self, data: bytes) -> list[Action]:
        if data == b"listen":
            return [Listen(1, self.port, backlog=1, one_at_a_time=True)]
        return [AcceptNext(1)] if data == b"next" else []

    def net_in(self, event: NetEvent) -> list[Action]:
        super().net_in(event)
        if isinstance(event, ListenResult):
            self.listening.set()
        if isinstance(event, Accepted):
            self.accepted.release()
        return []


def test_a_one_at_a_time_listener_leaves_the_next_to_the_host_and_it_refuses_the_rest():
    model = OneAtATimeModel(free_port())
    emu = EmulatorThread(model).start()
    clients: list[socket.socket] = []
    try:
        emu.sock.sendall(b"listen")
        assert model.listening.wait(WAIT), "the runner never answered Listen"
        # Two connect at once: the one accepted and the one held behind it, whether or not the runner
        # has accepted the first yet; a third gets no answer to its SYN.
        for _ in range(2):
            clients.append(socket.create_connection(("127.0.0.1", model.port), timeout=WAIT))
        assert model.accepted.acquire(timeout=WAIT), "the first connection was not accepted"
        with pytest.raises(TimeoutError):
            clients.append(socket.create_connection(("127.0.0.1", model.port), timeout=0.5))
        assert sum(isinstance(e, Accepted) for e in model.events) == 1
        emu.sock.sendall(b"next")
        assert model.accepted.acquire(timeout=WAIT), "AcceptNext did not accept the waiting connection"
    finally:
        for client in clients:
            client.close()
        emu.stop()


class _Transport(asyncio.Transport):
    """A transport that only answers what a connection's protocol asks of it."""

    def get_extra_info(self, name, default=None):
        return default

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


def test_an_outgoing_connection_is_reported_before_the_peers_first_bytes():
    # A server that speaks first (a banner): its bytes can reach the protocol before the task that
    # opened the connection resumes. The model must hear of the connection first, or it takes the
    # bytes for a connection nobody owns.
    async def main() -> RecordingModel:
        model = RecordingModel()
        runner = Runner(model)
        conn = _Conn(runner, 42, None)
        conn.connection_made(_Transport())
        conn.data_received(b"220 banner\r\n")
        await runner.aclose()
        return model

    events = asyncio.run(main())
    assert events.events == [ConnectResult(42), Received(42, b"220 banner\r\n")]


def test_a_server_that_speaks_at_once_keeps_its_connection_to_the_module():
    # End to end on the eS-WiFi model: P6=1 to a server that sends its banner the moment it accepts;
    # R0 must return the banner and S3 must reach the server, in every round.
    model = build_model(default_profile("eswifi"))
    emu = EmulatorThread(model).start()
    reader = ReplyReader()

    def command(raw: bytes) -> Reply | ErrorReply:
        reader.command_sent()
        emu.sock.sendall(raw)
        emu.sock.settimeout(WAIT)
        while True:
            for event in reader.feed(emu.sock.recv(4096)):
                if isinstance(event, Reply | ErrorReply):
                    return event

    try:
        for round_ in range(8):
            with socket.create_server(("127.0.0.1", 0)) as server:
                port = server.getsockname()[1]
                got: list[bytes] = []

                def serve(server: socket.socket = server, got: list[bytes] = got) -> None:
                    conn, _ = server.accept()
                    with conn:
                        conn.sendall(b"banner")
                        conn.settimeout(WAIT)
                        got.append(conn.recv(100))

                thread = threading.Thread(target=serve)
                thread.start()
                for line in (b"P0=1\r", b"P1=0\r", f"P4={port}\r".encode(), b"P3=127.0.0.1\r", b"P6=1\r"):
                    assert isinstance(command(line), Reply), line
                data = b""
                deadline = time.monotonic() + WAIT
                while not data and time.monotonic() < deadline:
                    reply = command(b"R0\r")
                    assert isinstance(reply, Reply) and reply.ok and not reply.lost, (round_, reply)
                    data = reply.data
                assert data == b"banner", round_
                assert command(b"S3=3\rabc") == Reply(b"3", True, raw=b"\r\n3\r\nOK\r\n> ")
                thread.join(WAIT)
                assert got == [b"abc"], round_
                assert isinstance(command(b"P6=0\r"), Reply)
    finally:
        emu.stop()
