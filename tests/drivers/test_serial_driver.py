"""The serial driver in-process: reads and writes bounded by deadlines, flow control, every failure one DriverError."""

from __future__ import annotations

import contextlib
import os
import socket
import termios
import threading
import time
import tty

import pytest
import serial

import sockconf.drivers.serial_port as serial_port
from sockconf.core.trace import RX, TX
from sockconf.drivers.base import DriverConfig, DriverError, LinkLost
from sockconf.drivers.serial_port import SerialDriver
from sockconf.protocol.profile import load_profile
from tests.drivers import remote
from tests.drivers.remote import free_port, ser2net, tcp_server

PROFILE = load_profile("xbee3-lte-m")


def _driver(port: str, **kw: object) -> SerialDriver:
    return SerialDriver(DriverConfig(profile=PROFILE, options={"port": port, "baud": 115200, **kw}))


@pytest.fixture
def pty_pair():
    """A raw pty: (master fd, slave path). The test plays the module on the master side."""
    master, slave = os.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    yield master, path
    for fd in (master, slave):
        with contextlib.suppress(OSError):  # the test closed it already
            os.close(fd)


def test_reads_wait_until_the_deadline_and_return_what_arrived(pty_pair):
    master, path = pty_pair
    with _driver(path) as drv:
        started = time.monotonic()
        assert drv.read(started + 0.3) == b""
        assert time.monotonic() - started >= 0.29
        threading.Timer(0.2, os.write, (master, b"\x7e\x00\x01hello")).start()
        got = b""
        deadline = time.monotonic() + 5
        while len(got) < 8 and time.monotonic() < deadline:
            got += drv.read(deadline)
        assert got == b"\x7e\x00\x01hello"
        drv.write(b"ping")
        assert os.read(master, 64) == b"ping"
        assert b"".join(e.data for e in drv.trace.entries if e.direction == RX) == b"\x7e\x00\x01hello"
        assert b"".join(e.data for e in drv.trace.entries if e.direction == TX) == b"ping"


def test_the_far_end_closing_is_link_lost_naming_the_port(pty_pair):
    master, path = pty_pair
    with _driver(path) as drv:
        os.close(master)  # as if the USB adapter were pulled
        with pytest.raises(LinkLost, match=path):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                drv.read(deadline)


def test_bytes_sent_before_the_far_end_closes_arrive_before_the_link_lost():
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(16)  # answers a request (what arrives before pyserial's open completes, it discards)
        conn.sendall(b"last words")
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        with _driver(f"socket://127.0.0.1:{port}") as drv:
            drv.write(b"?")
            got = b""
            with pytest.raises(LinkLost, match=f"127.0.0.1:{port}"):
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    got += drv.read(deadline)
            assert got == b"last words"
    finally:
        srv.close()


@pytest.mark.parametrize(
    ("flow", "cflag", "iflag"),
    [("none", 0, 0), ("rtscts", termios.CRTSCTS, 0), ("xonxoff", 0, termios.IXON | termios.IXOFF)],
)
def test_flow_control_reaches_the_port(pty_pair, flow, cflag, iflag):
    _, path = pty_pair
    with _driver(path, flow=flow) as drv:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        try:
            attrs = termios.tcgetattr(fd)
        finally:
            os.close(fd)
        assert attrs[2] & termios.CRTSCTS == cflag
        assert attrs[0] & (termios.IXON | termios.IXOFF) == iflag
        assert drv.identity().get("flow control", "none") == flow


def test_an_unknown_flow_control_is_a_driver_error(pty_pair):
    _, path = pty_pair
    with pytest.raises(DriverError, match="--flow wants one of none, rtscts, xonxoff"):
        _driver(path, flow="dtrdsr").open()


def test_a_write_the_port_does_not_take_is_bounded(pty_pair):
    """Nobody reads the pty's other side: the write times out (pyserial's write_timeout) as a lost link."""
    _, path = pty_pair
    with _driver(path) as drv:
        started = time.monotonic()
        with pytest.raises(LinkLost, match="did not take the bytes within 5 s; check flow control"):
            drv.write(b"x" * 4_000_000)
        assert time.monotonic() - started < serial_port.WRITE_WITHIN + 5
        started = time.monotonic()
        with pytest.raises(LinkLost, match="did not take the bytes"):  # the next write fails at once
            drv.write(b"y")
        assert time.monotonic() - started < 1


def test_a_write_through_rfc2217_the_server_does_not_take_is_bounded(pty_pair, tmp_path):
    """pyserial's RFC 2217 handler has no write_timeout: the driver bounds the write itself.

    ser2net writes into a pty nobody reads; once its buffers and the TCP buffers are full, the write waits.
    """
    _, path = pty_pair
    with ser2net(path, tmp_path) as port:
        drv = _driver(f"rfc2217://127.0.0.1:{port}?ign_set_control")
        drv.open()
        try:
            started = time.monotonic()
            with pytest.raises(LinkLost, match=r"did not take the bytes|timed out"):
                drv.write(b"x" * 64_000_000)
            assert time.monotonic() - started < serial_port.WRITE_WITHIN + 5
        finally:
            drv.close()


# -- ports that cannot be opened: one DriverError naming the port, its reason and what to try, quickly

OPEN_FAILURES = {
    "socket-closed-port": (None, "socket://127.0.0.1:{port}", "Connection refused"),
    "rfc2217-closed-port": (None, "rfc2217://127.0.0.1:{port}?ign_set_control", "Connection refused"),
    "rfc2217-server-hangs-up": ("close", "rfc2217://127.0.0.1:{port}", ""),
    "rfc2217-server-talks-garbage": ("garbage", "rfc2217://127.0.0.1:{port}", "did not negotiate RFC 2217"),
    "socket-blackhole": ("blackhole", "socket://127.0.0.1:{port}", "timed out"),
    "rfc2217-blackhole": ("blackhole", "rfc2217://127.0.0.1:{port}", "timed out"),
    "missing-path": (None, "{tmp}/ttyNOPE", "No such file or directory"),
    "spy-missing-path": (None, "spy://{tmp}/ttyNOPE", "No such file or directory"),
    "unknown-scheme": (None, "nope://127.0.0.1:{port}", "nope"),
}


@pytest.mark.parametrize("kind", list(OPEN_FAILURES))
def test_a_port_that_cannot_be_opened_is_one_driver_error_with_advice(tmp_path, kind):
    behaviour, template, reason = OPEN_FAILURES[kind]

    def attempt(port_number: int) -> tuple[str, str, float]:
        port = template.format(port=port_number, tmp=tmp_path)
        started = time.monotonic()
        with pytest.raises(DriverError) as caught:
            _driver(port).open()
        return port, str(caught.value), time.monotonic() - started

    if behaviour is None:
        port, message, elapsed = attempt(free_port())
    else:
        with tcp_server(behaviour) as server_port:
            port, message, elapsed = attempt(server_port)
    assert message.startswith(f"cannot open --port {port}: "), message
    assert reason in message and "; check " in message, message
    assert "\n" not in message
    assert elapsed < 12, f"took {elapsed:.1f} s"  # pyserial's 5 s connect, 3 s per RFC 2217 negotiation step


def test_a_server_that_hangs_up_after_the_connect_is_link_lost_on_first_use():
    with tcp_server("close") as port:
        drv = _driver(f"socket://127.0.0.1:{port}")
        drv.open()  # the TCP connect succeeds
        try:
            with pytest.raises(LinkLost, match=f"127.0.0.1:{port}"):
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    drv.write(b"\x7e\x00\x04\x08\x01MY")
                    drv.read(min(deadline, time.monotonic() + 0.5))
            assert "check the host and port" in drv.advice()
        finally:
            drv.close()


def test_an_unexpected_exception_from_a_handler_is_a_driver_error(monkeypatch):
    def broken(url: str, *args: object, **kwargs: object) -> serial.SerialBase:
        raise RuntimeError("handler bug")

    monkeypatch.setattr(serial, "serial_for_url", broken)
    with pytest.raises(DriverError, match=r"cannot open --port socket://127\.0\.0\.1:1: handler bug; check "):
        _driver("socket://127.0.0.1:1").open()


def test_an_open_that_never_finishes_is_bounded(monkeypatch):
    release = threading.Event()

    def stuck(url: str, *args: object, **kwargs: object) -> serial.SerialBase:
        release.wait(30)
        raise RuntimeError("released")

    monkeypatch.setattr(serial, "serial_for_url", stuck)
    monkeypatch.setattr(serial_port, "OPEN_WITHIN", 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(DriverError, match=r"no answer within 0 s|no answer within 1 s"):
            _driver("rfc2217://127.0.0.1:1").open()
    finally:
        release.set()
    assert time.monotonic() - started < 5


def test_without_ser2net_the_rfc2217_tests_fail_saying_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(remote.shutil, "which", lambda name: None)
    monkeypatch.setattr(remote, "SER2NET_PLACES", [])
    missing = pytest.raises(pytest.fail.Exception, match=r"ser2net is not installed.*apt-get install ser2net")
    with missing, ser2net("/dev/null", tmp_path):
        raise AssertionError("ser2net() started without a ser2net")
