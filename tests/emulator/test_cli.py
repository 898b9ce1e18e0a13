"""``python -m emulator`` as a user runs it: endpoint first on stdout, clean exit on a signal."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest
import serial

from sockconf.data.vectors.xbee import XBEE_LISTENER as SEED
from tests.helpers import ROOT, Emulator, unique_loopback


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockconf", "emulate", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_help_explains_the_endpoint_line():
    proc = _cli("--help")
    assert proc.returncode == 0
    assert "first line on stdout" in " ".join(proc.stdout.split())
    assert "--pty" in proc.stdout and "--tcp" in proc.stdout and "--host-ip" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["xbee", "--profile", "no-such-profile"], "no profile 'no-such-profile'"),
        (["xbee", "--profile", "OTHER_FAMILY"], "is for other, not xbee"),
        (["xbee", "--tcp", "localhost"], "--tcp wants HOST:PORT"),
        (["xbee", "--host-ip", "not-an-ip"], "--host-ip wants an IPv4 address"),
        (["xbee", "--fault", "no-such-fault"], "no fault 'no-such-fault'"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, args, message):
    other = tmp_path / "other.toml"
    other.write_text('name = "other"\nfamily = "other"\n')
    proc = _cli(*[str(other) if a == "OTHER_FAMILY" else a for a in args])
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def _read_until(port: serial.Serial, n: int, within: float) -> bytes:
    deadline = time.monotonic() + within
    buf = b""
    while len(buf) < n and time.monotonic() < deadline:
        port.timeout = deadline - time.monotonic()
        buf += port.read(n - len(buf))
    return buf


@pytest.mark.parametrize("mode", [["--pty"], ["--tcp", "127.0.0.1:0"]], ids=["pty", "tcp"])
def test_serves_the_seed_exchange_and_exits_cleanly_on_signal(mode):
    host = unique_loopback()
    emu = Emulator("xbee", *mode, "--host-ip", host)
    try:
        assert emu.endpoint.startswith("/dev/" if mode == ["--pty"] else "socket://127.0.0.1:")
        with serial.serial_for_url(emu.endpoint, timeout=5) as port:
            port.write(SEED["create"])
            assert _read_until(port, 8, 5) == SEED["create_response"]
            port.write(SEED["listen"])
            assert _read_until(port, 8, 5) == SEED["listen_response"]
            with socket.create_connection((host, 10001), timeout=5):
                assert _read_until(port, 13, 5)[:4] == bytes.fromhex("7E 00 09 CC")
    finally:
        code = emu.stop(signal.SIGINT)
    assert code == 0
    # every socket was closed on the way out
    with pytest.raises(OSError), socket.create_connection((host, 10001), timeout=2):
        pass
