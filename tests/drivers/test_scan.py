"""``python -m drivers scan``: which module answers on which port, found without changing a setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from dataclasses import replace

import pytest

from sockconf.emulator import build_model, default_profile
from sockconf.harness.plugin import _load_profile
from sockconf.protocol.eswifi import probe as eswifi_probe
from sockconf.protocol.xbee import probe as xbee_probe
from tests.helpers import ROOT, Emulator, run_suite, unique_loopback


def _scan(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockconf", "scan", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_scan_names_each_family_and_no_module_on_a_silent_pty(tmp_path):
    master, slave = os.openpty()  # nothing answers on this one
    try:
        with (
            Emulator("xbee", "--profile", "xbee-cat1", "--host-ip", unique_loopback()) as xbee,
            Emulator("eswifi", "--host-ip", unique_loopback()) as eswifi,
        ):
            silent = os.ttyname(slave)
            lab = tmp_path / "lab.toml"
            # Two baud rates keep the silent port's bound short: 2 rates x 3 requests x 0.3 s.
            proc = _scan(xbee.endpoint, eswifi.endpoint, silent, "--baud", "9600,115200", "--write", str(lab))
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("\t", 1) for line in proc.stdout.splitlines() if "\t" in line)
    assert lines[xbee.endpoint].split("\t") == ["xbee", "9600", "fw 031012", "hw 4701", "xbee-cat1"]
    fields = lines[eswifi.endpoint].split("\t")
    assert fields[0] == "eswifi" and fields[-1] == "ism43362" and fields[3] == "hw ISM43362-M3G-L44-UART"
    assert lines[silent].startswith("no module")
    duts = tomllib.loads(lab.read_text())["dut"]
    assert [(d["port"], d["profile"]) for d in duts] == [(xbee.endpoint, "xbee-cat1"), (eswifi.endpoint, "ism43362")]


def test_a_port_that_cannot_be_opened_is_listed_with_the_reason(tmp_path):
    proc = _scan(str(tmp_path / "no-such-port"))
    assert proc.returncode == 1
    assert "cannot open" in proc.stdout and "no-such-port" in proc.stdout and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["--baud", "fast"], ["--window", "0"]])
def test_bad_scan_options_are_one_line_errors(args):
    proc = _scan("/dev/null", *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "error" in proc.stderr


@pytest.mark.parametrize("api_mode", [1, 2])
def test_the_xbee_probe_reads_the_emulated_answers_in_either_api_mode(api_mode):
    profile = default_profile("xbee")
    stored = replace(profile, device={**profile.device, "api_mode": api_mode})  # the module's stored AP
    model = build_model(stored, host_ip="127.0.0.1")
    answers = b""
    for request in xbee_probe.REQUESTS:
        for action in model.serial_in(request):
            answers += getattr(action, "data", b"")
    found = xbee_probe.parse(answers)
    assert found == {"firmware": "011415", "hardware": "4E01", "api_mode": str(api_mode)}
    assert xbee_probe.suggest(found, [_load_profile("xbee-cat1"), profile]) == "xbee3-lte-m"
    assert xbee_probe.suggest({**found, "hardware": "0000"}, [profile]) is None


def test_the_eswifi_probe_waits_for_the_whole_reply():
    whole = b"\r\nISM43362-M3G-L44-UART,C3.5.2.5.STM,x\r\nOK\r\n> "
    assert eswifi_probe.parse(whole[:-3]) is None
    found = eswifi_probe.parse(b"\r\nERROR: bad\r\n> " + whole)
    assert found is not None and (found["hardware"], found["firmware"]) == ("ISM43362-M3G-L44-UART", "C3.5.2.5.STM")
    assert eswifi_probe.suggest(found, [_load_profile("ism43362")]) == "ism43362"


def test_profile_auto_takes_the_profile_the_module_reports(tmp_path):
    out = tmp_path / "report"
    with Emulator("xbee", "--profile", "xbee-cat1", "--host-ip", unique_loopback()) as xbee:
        args = ("sockconf.suites.xbee", "--driver", "serial", "--port", xbee.endpoint, "--profile", "auto")
        run = run_suite(*args, "--case", "XBEE-LISTEN-01", tmp=tmp_path, report_dir=out)
    assert run.returncode == 0, run.output[-3000:]
    duts = json.loads((out / "conformance.json").read_text())["duts"]
    assert list(duts) == ["xbee-cat1"] and duts["xbee-cat1"]["baud"] == "9600"


def test_profile_auto_on_a_silent_port_is_a_usage_error(tmp_path):
    master, slave = os.openpty()
    try:
        args = ("sockconf.suites.xbee", "--driver", "serial", "--port", os.ttyname(slave), "--profile", "auto")
        run = run_suite(*args, tmp=tmp_path, timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    assert run.returncode == 4 and "--profile auto" in run.output and "no module answered" in run.output
