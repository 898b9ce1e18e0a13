"""Remote serial ports for the driver tests: ser2net in front of a pty, and servers that misbehave on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SER2NET_MISSING = (
    "ser2net is not installed: these tests run the serial driver through a real RFC 2217 server. "
    "Install it (Debian/Ubuntu: apt-get install ser2net; CI's .ci/run does)"
)


SER2NET_PLACES = ["/usr/sbin/ser2net", "/usr/local/sbin/ser2net"]  # sbin is not on every user's PATH


def find_ser2net() -> str | None:
    return shutil.which("ser2net") or next((p for p in SER2NET_PLACES if Path(p).exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:``port`` (read from /proc, without connecting to it)."""
    want = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == want and fields[3] == "0A":  # 0A: LISTEN
            return True
    return False


@contextmanager
def ser2net(device: str, tmp: Path, within: float = 10.0) -> Iterator[int]:
    """ser2net 4 serving ``device`` over telnet/RFC 2217 on a free loopback port; yields the port."""
    exe = find_ser2net()
    if exe is None:
        pytest.fail(SER2NET_MISSING, pytrace=False)
    port = free_port()
    config = tmp / "ser2net.yaml"
    config.write_text(
        "connection: &dut\n"
        f"  accepter: telnet(rfc2217),tcp,127.0.0.1,{port}\n"
        f"  connector: serialdev,{device},115200n81,local\n"
    )
    log = (tmp / "ser2net.log").open("w")
    # -n: stay in the foreground; -u: no UUCP lock files; -P: a pid file of its own (not /run)
    proc = subprocess.Popen(
        [exe, "-n", "-u", "-c", str(config), "-P", str(tmp / "ser2net.pid")],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + within
        while not listening(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"ser2net did not listen on {port}: {(tmp / 'ser2net.log').read_text()}")
            time.sleep(0.05)  # a test helper polling /proc until the server listens
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def tcp_server(behaviour: str) -> Iterator[int]:
    """A loopback TCP server that is no serial port server: ``close`` hangs up at once, ``garbage`` talks
    text and reads whatever comes; ``blackhole`` never accepts, and its full accept queue makes further
    connects hang (SYNs dropped) like a host that does not answer."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    port = int(srv.getsockname()[1])
    held: list[socket.socket] = []
    stop = threading.Event()
    if behaviour == "blackhole":
        srv.listen(0)
        filler = socket.create_connection(("127.0.0.1", port), timeout=2)  # fills the accept queue
        held.append(filler)
    else:
        srv.listen(8)
        srv.settimeout(0.2)

        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = srv.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return  # the server closed
                if behaviour == "close":
                    conn.close()
                    continue
                held.append(conn)
                conn.sendall(b"garbage\r\nOK\r\n" * 4)
                threading.Thread(target=drain, args=(conn,), daemon=True).start()

        def drain(conn: socket.socket) -> None:
            conn.settimeout(0.2)
            while not stop.is_set():
                try:
                    if not conn.recv(4096):
                        return
                except TimeoutError:
                    continue
                except OSError:
                    return

        threading.Thread(target=serve, daemon=True).start()
    try:
        yield port
    finally:
        stop.set()
        srv.close()
        for s in held:
            s.close()
