"""A third family is added by adding files only: the test-only ``echo`` family in tests/echo/.

It is declared through the same contract as xbee and eswifi, and the same machinery serves it: the
emulator CLI, ``--fault FAMILY:NAME``, the suite run and report, and the sensitivity run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sockconf.core.family import families
from tests.echo.family import FAMILY as ECHO
from tests.helpers import ROOT

ENV = {**os.environ, "SOCKCONF_FAMILIES": "tests.echo.family"}


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_nothing_outside_tests_names_the_echo_family():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for path in tracked.splitlines():
        if path.startswith("tests/") or not path.endswith((".py", ".toml", ".ini", ".cfg")):
            continue
        text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
        assert "tests.echo" not in text and "echo-1" not in text, path


def test_the_environment_variable_declares_it_to_a_process():
    out = run("-c", "from sockconf.core.family import families; print(sorted(families()))").stdout
    assert out.strip() == str(sorted([*families(), "echo"]))


def test_the_emulator_cli_serves_it_and_lists_its_fault():
    listed = run("-m", "sockconf", "emulate", "echo", "--list-faults")
    assert listed.returncode == 0 and listed.stdout.split() == ["no-ok"], listed.stderr


def test_a_fault_name_two_families_share_must_say_which(tmp_path):
    both = run("-m", "pytest", str(ECHO.suite_dir), "--fault", "no-ok", "--no-report", "-q")
    assert both.returncode == 4
    assert "several families (echo, eswifi)" in both.stdout + both.stderr and "Traceback" not in both.stderr
    faulted = run("-m", "pytest", str(ECHO.suite_dir), "--fault", "echo:no-ok", "--report-dir", str(tmp_path), "-q")
    assert faulted.returncode == 1, faulted.stdout[-2000:]
    verdicts = {c["case_id"]: c["verdict"] for c in json.loads((tmp_path / "conformance.json").read_text())["cases"]}
    assert verdicts == {"ECHO-01": "FAIL", "ECHO-HOST-TERM-01": "FAIL"}


def test_sensitivity_reports_its_fault_caught(tmp_path):
    proc = run("-m", "sockconf", "report", "sensitivity", "--family", "echo", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (fault,) = json.loads((tmp_path / "sensitivity.json").read_text())["faults"]
    assert (fault["family"], fault["fault"], fault["caught"]) == ("echo", "no-ok", True)
    assert list(fault["caught_by"]) == ["ECHO-01", "ECHO-HOST-TERM-01"]
