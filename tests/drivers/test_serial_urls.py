"""The serial driver through every kind of port the README names, and ports that cannot be used.

The suite runs as a user runs it (a subprocess) through ser2net's RFC 2217 server, a raw TCP port and
pyserial's spy:// wrapper; bad ports must end the run once, quickly, with one message and no traceback.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from tests.drivers.remote import free_port, ser2net, tcp_server
from tests.helpers import Emulator, SuiteRun, run_suite, unique_loopback

LISTEN = ("--profile", "xbee3-lte-m", "--case", "XBEE-LISTEN")


def _run_listener_cases(port: str, tmp: Path) -> SuiteRun:
    return run_suite("sockconf.suites.xbee", "--driver", "serial", "--port", port, "--baud", "115200", *LISTEN, tmp=tmp)


def _assert_listener_cases_passed(run: SuiteRun) -> None:
    assert run.all_passed(), run.output[-3000:]
    listen_cases = [case for case in run.outcomes if case.startswith("XBEE-LISTEN-")]
    assert len(listen_cases) >= 5, run.outcomes


def test_listener_cases_through_rfc2217_in_front_of_ser2net(tmp_path):
    emu = Emulator("xbee", "--pty", "--host-ip", unique_loopback(), "--profile", "xbee3-lte-m")
    try:
        with ser2net(emu.endpoint, tmp_path) as port:
            run = _run_listener_cases(f"rfc2217://127.0.0.1:{port}?ign_set_control", tmp_path)
    finally:
        assert emu.stop(signal.SIGINT) == 0
    _assert_listener_cases_passed(run)


def test_listener_cases_through_socket_url(tmp_path):
    emu = Emulator("xbee", "--tcp", "127.0.0.1:0", "--host-ip", unique_loopback(), "--profile", "xbee3-lte-m")
    try:
        assert emu.endpoint.startswith("socket://"), emu.endpoint
        run = _run_listener_cases(emu.endpoint, tmp_path)
    finally:
        assert emu.stop(signal.SIGINT) == 0
    _assert_listener_cases_passed(run)


def _spy_stream(text: str, direction: str) -> bytes:
    """The bytes of one direction from spy://'s hexdump (``TIME DIR OFFSET  HEX... ASCII``)."""
    out = bytearray()
    for line in text.splitlines():
        m = re.match(rf"^\s*[\d.]+ {direction}\s+[0-9A-F]{{4}}  (.{{1,49}})", line)
        if m:
            out += bytes.fromhex(m.group(1))
    return bytes(out)


def test_listener_cases_through_spy_url_and_the_spy_log_holds_the_exchange(tmp_path):
    log = tmp_path / "spy.txt"
    emu = Emulator("xbee", "--pty", "--host-ip", unique_loopback(), "--profile", "xbee3-lte-m")
    try:
        run = _run_listener_cases(f"spy://{emu.endpoint}?file={log}", tmp_path)
    finally:
        assert emu.stop(signal.SIGINT) == 0
    _assert_listener_cases_passed(run)
    text = log.read_text()
    tx, rx = _spy_stream(text, "TX"), _spy_stream(text, "RX")
    # The suite asks the module's address (AT MY, API frame 0x08) and the module answers it (0x88, status OK).
    assert re.search(rb"\x7e\x00\x04\x08.MY", tx, re.DOTALL), text[:2000]
    assert re.search(rb"\x88.MY\x00", rx, re.DOTALL), text[:2000]
    # Socket Create (0x40) goes out and its response (0xC0) comes back.
    assert re.search(rb"\x7e\x00.\x40", tx, re.DOTALL) and re.search(rb"\x7e\x00.\xc0", rx, re.DOTALL)


# -- ports that cannot be used: one message, non-zero exit, quickly, no traceback


# what serves the port (None: nothing listens on a free port) and the --port template; the driver tests
# (test_serial_driver.py) cover more kinds in-process
BAD_PORTS = {
    "socket-closed-port": (None, "socket://127.0.0.1:{port}"),
    "rfc2217-closed-port": (None, "rfc2217://127.0.0.1:{port}?ign_set_control"),
    "socket-server-hangs-up": ("close", "socket://127.0.0.1:{port}"),  # opens, then the first read fails
    "rfc2217-server-hangs-up": ("close", "rfc2217://127.0.0.1:{port}"),
    "rfc2217-server-talks-garbage": ("garbage", "rfc2217://127.0.0.1:{port}?ign_set_control"),
    "missing-path": (None, "{tmp}/ttyNOPE"),
}


@pytest.mark.parametrize("kind", list(BAD_PORTS))
def test_a_port_that_cannot_be_used_ends_the_run_once_with_advice(tmp_path, kind):
    behaviour, template = BAD_PORTS[kind]
    if behaviour is None:  # nothing listens on a free port once the probe socket is closed
        run, elapsed, port = _run_bad(template.format(port=free_port(), tmp=tmp_path), tmp_path)
    else:
        with tcp_server(behaviour) as server_port:
            run, elapsed, port = _run_bad(template.format(port=server_port, tmp=tmp_path), tmp_path)
    out = run.output
    assert run.returncode == 4, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    assert "ERROR" not in out and "INCONCLUSIVE" not in out, out[-3000:]  # no case ran, none reported
    messages = [line for line in out.splitlines() if "sockconf: " in line]
    assert len(messages) == 1, out[-3000:]
    assert port in messages[0] and "check" in messages[0], messages[0]
    # pytest's start-up and collection take a few seconds on a busy machine; the port gets its own bound:
    # pyserial's 5 s TCP connect, RFC 2217's 3 s negotiation steps
    assert elapsed < 45, f"took {elapsed:.0f} s"


def _run_bad(port: str, tmp: Path) -> tuple[SuiteRun, float, str]:
    started = time.monotonic()
    run = run_suite("sockconf.suites.xbee", "--driver", "serial", "--port", port, *LISTEN, tmp=tmp, timeout=120)
    return run, time.monotonic() - started, port
