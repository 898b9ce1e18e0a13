"""Runs never collide: xdist workers and concurrent runs on one host each get their own emulator addresses.

Both runs use the defaults a user types (no ``--emulator-host``), and select the cases that listen
on the documents' fixed ports (XBee 10001, eS-WiFi 5024), where a shared address would collide.
"""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT, run_suite

CASES = ["--case", "XBEE-LISTEN", "--case", "ESWIFI-MA", "--case", "ESWIFI-SRV"]


def test_the_suite_with_two_xdist_workers_passes(tmp_path):
    run = run_suite("sockconf.suites", "-n", "2", *CASES, tmp=tmp_path)
    assert run.all_passed(), run.output[-3000:]
    assert len(run.outcomes) > 20


def test_two_default_runs_started_at_once_both_pass(tmp_path):
    procs = []
    for i in range(2):
        xml = tmp_path / f"run{i}.xml"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "sockconf.suites",
            *CASES,
            "-q",
            "-p",
            "no:randomly",
            "--no-report",
        ]
        cmd.append(f"--junitxml={xml}")
        procs.append(
            subprocess.Popen(
                cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL
            )
        )
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]
        assert " passed" in output and "failed" not in output, output[-3000:]
