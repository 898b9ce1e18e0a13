"""``sockconf scan`` and ``--profile auto`` find an ESP-AT module by its AT+GMR answer, without changing a setting."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ROOT, Emulator, run_suite, unique_loopback


def test_scan_names_the_espat_modules_and_their_profiles():
    with (
        Emulator("espat", "--host-ip", unique_loopback()) as esp32,
        Emulator("espat", "--profile", "esp8266-at", "--host-ip", unique_loopback()) as esp8266,
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "sockconf", "scan", esp32.endpoint, esp8266.endpoint, "--baud", "115200"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("\t", 1) for line in proc.stdout.splitlines() if "\t" in line)
    assert lines[esp32.endpoint].split("\t") == ["espat", "115200", "fw 4.1.1.0", "hw ESP32", "esp32-at"]
    assert lines[esp8266.endpoint].split("\t") == ["espat", "115200", "fw 2.2.2.0", "hw ESP8266", "esp8266-at"]


def test_profile_auto_takes_the_espat_profile_the_module_reports(tmp_path):
    out = tmp_path / "report"
    with Emulator("espat", "--profile", "esp8266-at", "--host-ip", unique_loopback()) as esp:
        args = ("sockconf.suites.espat", "--driver", "serial", "--port", esp.endpoint, "--profile", "auto")
        run = run_suite(*args, "--case", "ESPAT-BASIC-03", tmp=tmp_path, report_dir=out)
    assert run.returncode == 0, run.output[-3000:]
    duts = json.loads((out / "conformance.json").read_text())["duts"]
    assert list(duts) == ["esp8266-at"] and duts["esp8266-at"]["AT version"].startswith("2.2.2.0")
