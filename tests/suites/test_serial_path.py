"""The hardware path (serial driver over a pty / socket:// URL) and DUTs that misbehave as a whole."""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time
import tty

import pytest

from sockconf.core.family import families
from sockconf.harness.preflight import NOT_TESTED
from tests.helpers import Emulator, run_suite, unique_loopback


@pytest.mark.parametrize("family", families().values(), ids=list(families()))
def test_suite_through_a_pty_with_the_serial_driver(tmp_path, family):
    host = unique_loopback()
    profile = family.default_profile
    emu = Emulator(family.name, "--pty", "--host-ip", host, "--profile", profile)
    try:
        run = run_suite(
            str(family.suite_dir),
            *("--driver", "serial", "--port", emu.endpoint, "--profile", profile),
            *("--host-stack", "none"),  # the host-stack cases are NOT APPLICABLE on some default profiles
            tmp=tmp_path,
        )
    finally:
        assert emu.stop(signal.SIGINT) == 0
    assert run.all_passed(), run.output[-3000:]
    assert any(case.startswith(family.name.upper()) for case in run.outcomes)


def test_a_dut_that_never_answers_ends_the_run_quickly_and_inconclusive(tmp_path):
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        started = time.monotonic()
        run = run_suite(
            "sockconf.suites.xbee", "--driver", "serial", "--port", os.ttyname(slave), "--profile", "xbee3-lte-m",
            tmp=tmp_path, timeout=120,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    finally:
        os.close(master)
        os.close(slave)
    # Not tested: the preflight finds nothing answering (no API frame, no OK to +++) and says what to check.
    assert run.returncode == NOT_TESTED, run.output[-3000:]
    assert run.outcomes and not any("passed" in outs for outs in run.outcomes.values())
    assert "INCONCLUSIVE" in run.output and "answers nothing" in run.output
    assert "Traceback" not in run.output
    # the preflight waits out its reply deadlines once (AP=1, AP=2, +++); every case ends at once
    assert elapsed < 60, f"took {elapsed:.0f} s"


def _garbage_server(stop: threading.Event) -> tuple[socket.socket, int]:
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the test closed the server
            with conn:
                conn.settimeout(0.2)
                while not stop.is_set():
                    try:
                        data = conn.recv(4096)
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    conn.sendall(b"garbage\r\nOK\r\n")

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def test_a_dut_that_answers_garbage_fails_clearly(tmp_path):
    stop = threading.Event()
    srv, port = _garbage_server(stop)
    try:
        run = run_suite(
            "sockconf.suites.xbee", "--driver", "serial", "--port", f"socket://127.0.0.1:{port}",
            "--profile", "xbee3-lte-m", "--case", "XBEE-LISTEN-01", tmp=tmp_path, timeout=120,
        )  # fmt: skip
    finally:
        stop.set()
        srv.close()
    # Bytes that are no frame at all, before any case: the preflight says so (wrong baud, not an XBee?).
    assert run.returncode == NOT_TESTED, run.output[-3000:]
    assert "answers no API frame" in run.output and "INCONCLUSIVE" in run.output
    assert "Traceback" not in run.output


def test_usage_errors_are_one_line(tmp_path):
    cases = [
        (["--driver", "serial"], "--driver serial needs --port"),
        (["--driver", "serial", "--port", "/dev/ttyNOPE"], "--driver serial needs --profile"),
        (
            ["--driver", "serial", "--port", "/dev/ttyNOPE", "--profile", "xbee3-lte-m"],
            "cannot open --port /dev/ttyNOPE",
        ),
        (["--profile", "nope"], "no profile 'nope'"),
        (["--dut-host", "nowhere"], "--dut-host wants an IPv4 address"),
        (["--deadline-scale", "0"], "--deadline-scale wants a factor"),
    ]
    for args, message in cases:
        run = run_suite("sockconf.suites.xbee", *args, tmp=tmp_path, timeout=60)
        assert run.returncode != 0, args
        assert message in run.output, (args, run.output[-2000:])
        assert "Traceback" not in run.output, (args, run.output[-2000:])


def test_an_emulator_killed_mid_run_makes_the_rest_inconclusive_fast(tmp_path):
    """The link goes away (port closed) while cases run: no hang, no traceback, INCONCLUSIVE."""
    import subprocess
    import sys

    from tests.helpers import ROOT

    emu = Emulator("xbee", "--pty", "--host-ip", unique_loopback())
    xml = tmp_path / "junit.xml"
    cmd = [
        sys.executable,
        "-u",
        "-m",
        "pytest",
        "--pyargs",
        "sockconf.suites.xbee",
        "--driver",
        "serial",
        "--port",
        emu.endpoint,
    ]
    cmd += ["--profile", "xbee3-lte-m", "-p", "no:randomly", "--no-report", f"--junitxml={xml}"]
    started = time.monotonic()
    run = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert run.stdout is not None
    seen = ""
    while not re.search(r"\.py [.FEsx]*\.", seen) and run.poll() is None:  # a case passed: under way
        seen += run.stdout.read(1)
    emu.proc.kill()  # as if the USB adapter were pulled
    emu.proc.wait()
    out, _ = run.communicate(timeout=120)
    elapsed = time.monotonic() - started
    output = seen + out
    assert run.returncode == 1, output[-2000:]
    assert "INCONCLUSIVE" in output and "Traceback" not in output
    assert elapsed < 60, f"took {elapsed:.0f} s"
