"""Each verdict is made to happen, and the HTML, JUnit and JSON outputs agree on it."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import ROOT, run_suite

SCHEMA = json.loads((ROOT / "docs" / "report-schema.json").read_text())


def html_verdicts(path: Path) -> dict[str, str]:
    """nodeid -> the Verdict column of pytest-html's self-contained page (its embedded data)."""
    page = path.read_text(encoding="utf-8")
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob, "no pytest-html data in the page"
    data = json.loads(html.unescape(blob.group(1)))
    out = {}
    for nodeid, entries in data["tests"].items():
        for entry in entries:
            for cell in entry["resultsTableRow"]:
                m = re.search(r'class="col-verdict[^"]*">([^<]*)<', cell)
                if m:
                    out[nodeid] = html.unescape(m.group(1))
    return out


def junit_verdicts(path: Path) -> dict[str, str]:
    out = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in tc.iter("property")}
        if "verdict" in props:
            out[f"{tc.get('classname')}::{tc.get('name')}"] = props["verdict"]
    return out


def json_report(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    return data


def _junit_key(nodeid: str) -> str:
    path, _, name = nodeid.partition("::")
    return path.removesuffix(".py").replace("/", ".") + "::" + name


def run_and_check(tmp_path: Path, *args: str) -> dict[str, str]:
    """Run the suite with a report; check the three outputs agree; return nodeid -> verdict."""
    out = tmp_path / "report"
    out.mkdir(exist_ok=True)
    run_suite("sockconf.suites.xbee", *args, tmp=tmp_path, report_dir=out)
    data = json_report(out / "conformance.json")
    by_json = {c["nodeid"]: c["verdict"] for c in data["cases"]}
    assert by_json, "no case results in the JSON"
    assert html_verdicts(out / "conformance.html") == by_json
    assert junit_verdicts(out / "conformance.xml") == {_junit_key(k): v for k, v in by_json.items()}
    assert sum(data["totals"].values()) == len(by_json)
    return by_json


def test_pass(tmp_path):
    verdicts = run_and_check(tmp_path, "--profile", "xbee3-lte-m", "--case", "XBEE-LISTEN-07")
    assert set(verdicts.values()) == {"PASS"}


def test_fail_with_field_level_detail(tmp_path):
    verdicts = run_and_check(
        tmp_path, "--profile", "xbee3-lte-m", "--case", "XBEE-LISTEN-06", "--fault", "receive-nonzero-frame-id"
    )
    assert set(verdicts.values()) == {"FAIL"}
    data = json_report(tmp_path / "report" / "conformance.json")
    failure = data["cases"][0]["failure"]
    assert failure["diff"] == ["frame_id: expected 00, got 01"]
    assert failure["requirement"].startswith("the peer's bytes arrive as 0xCD")
    assert failure["last_bytes"].startswith("7E")
    # the wire trace keeps every byte (the HTML cuts long payloads, the JSON does not)
    longest = max(len(row["hex"]) for c in data["cases"] for row in c["trace"])
    assert longest >= len("00 ") * 1500


def test_non_strict_and_strict(tmp_path):
    args = ("--profile", "xbee3-lte-m", "--case", "XBEE-LISTEN-02", "--variant", "first-socket-id-1")
    assert set(run_and_check(tmp_path, *args).values()) == {"NON-STRICT"}
    data = json_report(tmp_path / "report" / "conformance.json")
    assert "XBEE-SILENT-FIRST-SOCKET-ID" in data["cases"][0]["findings"][0]
    assert "first socket ID is 01" in data["cases"][0]["findings"][0]
    assert set(data["assumptions"][0]["choices"]) == {"one"}  # one item per API mode
    assert set(run_and_check(tmp_path, *args, "--strict").values()) == {"FAIL"}


def test_not_applicable(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text('name = "other-module"\nfamily = "other"\n')
    verdicts = run_and_check(tmp_path, "--profile", str(other), "--case", "XBEE-LISTEN-01")
    assert set(verdicts.values()) == {"NOT APPLICABLE"}


def test_inconclusive_when_the_dut_stops_answering_mid_run(tmp_path):
    verdicts = run_and_check(tmp_path, "--profile", "xbee3-lte-m", "--fault", "goes-silent", "--case", "XBEE-LISTEN")
    values = list(verdicts.values())
    assert "PASS" in values  # it answered at first
    assert values[-1] == "INCONCLUSIVE"
    assert "FAIL" not in values[values.index("INCONCLUSIVE") :]


def test_diff_reports_a_regression(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for d in (old, new):
        d.mkdir()
    base = ("sockconf.suites.xbee", "--profile", "xbee3-lte-m", "--case", "XBEE-LISTEN-07")
    run_suite(*base, tmp=tmp_path, report_dir=old)
    run_suite(*base, "--fault", "no-status-on-peer-close", "--deadline-scale", "0.2", tmp=tmp_path, report_dir=new)

    def diff(a: Path, b: Path) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "sockconf", "report", "diff", str(a), str(b)]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)

    forward = diff(old / "conformance.json", new / "conformance.json")
    assert forward.returncode == 1
    assert "REGRESSIONS: 2" in forward.stdout and "PASS → FAIL" in forward.stdout
    back = diff(new / "conformance.json", old / "conformance.json")
    assert back.returncode == 0 and "PROGRESSIONS: 2" in back.stdout
    bad = diff(old / "conformance.xml", old / "conformance.json")
    assert bad.returncode == 2 and "is not JSON" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("missing", ["nope.json"])
def test_diff_missing_file_is_a_clear_error(tmp_path, missing):
    proc = subprocess.run(
        [sys.executable, "-m", "sockconf", "report", "diff", str(tmp_path / missing), str(tmp_path / missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "cannot read" in proc.stderr
