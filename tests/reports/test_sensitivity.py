"""``python -m reports sensitivity``: every emulator fault profile is caught by some case."""

from __future__ import annotations

import json
import subprocess
import sys

from sockconf.reports import sensitivity as tool
from sockconf.reports.sensitivity import FaultResult, write
from tests.helpers import ROOT


def sensitivity(*args: str, timeout: float = 1500) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockconf", "report", "sensitivity", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_every_fault_of_every_family_is_caught(tmp_path):
    # --first: each fault's run stops at its first catching case (tox -e sensitivity lists them all)
    proc = sensitivity("--out", str(tmp_path), "--first")
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    assert data["faults"], proc.stdout + proc.stderr
    assert data["uncaught"] == [], proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (tmp_path / "sensitivity.html").read_text()
    for fault in data["faults"]:
        assert fault["fault"] in page
        assert fault["caught_by"], fault


def test_an_uncaught_fault_is_reported(tmp_path):
    results = [FaultResult("xbee", "caught", {"XBEE-LISTEN-07": "FAIL"}, 10), FaultResult("xbee", "missed", {}, 10)]
    json_path, html_path = write(results, tmp_path)
    data = json.loads(json_path.read_text())
    assert data["uncaught"] == ["xbee/missed"]
    assert "caught by no case" in html_path.read_text()


def test_unknown_family_is_a_clear_error(tmp_path):
    proc = sensitivity("--family", "nope", "--out", str(tmp_path), timeout=120)
    assert proc.returncode == 2
    assert "no suite for nope" in proc.stderr and "Traceback" not in proc.stderr


def test_a_case_non_strict_on_the_clean_emulator_still_catches_a_fault_it_fails(monkeypatch):
    # A case that meets a contradiction between the documents is NON-STRICT on the clean emulator too;
    # a FAIL against a fault is worse, so it counts; a case that FAILs clean catches nothing.
    runs = {
        None: {"A": ["PASS"], "B": ["NON-STRICT"], "C": ["FAIL"]},
        "fails-b": {"A": ["PASS"], "B": ["FAIL"], "C": ["FAIL"]},
        "same": {"A": ["PASS"], "B": ["NON-STRICT"], "C": ["FAIL"]},
        "non-strict-a": {"A": ["NON-STRICT", "PASS"], "B": ["NON-STRICT"]},
    }
    monkeypatch.setattr(tool, "run_fault", lambda family, fault, host, extra=(): runs[fault])
    results = tool.measure({"eswifi": ["fails-b", "same", "non-strict-a"]}, jobs=1)
    assert {r.fault: r.caught_by for r in results} == {
        "fails-b": {"B": "FAIL"},
        "same": {},
        "non-strict-a": {"A": "NON-STRICT"},
    }
