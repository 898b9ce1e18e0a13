"""The requirements coverage: each statement's cases, verdicts per profile and status."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from sockconf.reports.coverage import coverage, render_coverage, summary
from sockconf.reports.results import CaseResult
from tests.helpers import ROOT, run_suite

SCHEMA = json.loads((ROOT / "docs" / "report-schema.json").read_text(encoding="utf-8"))


def req(rid: str, family: str = "xbee", informative: str = "") -> dict[str, str]:
    return {
        "id": rid,
        "family": family,
        "document": "Doc",
        "source_file": "",
        "section": "S",
        "step": "",
        "quote": f"quote of {rid} <b>",
        "sha": "0123456789ab",
        "informative": informative,
    }


def result(case_id: str, profile: str, verdict: str, verifies: list[str]) -> CaseResult:
    return CaseResult(f"t::{case_id}[{profile}]", case_id, "r", "positive", profile, verdict, 0.0, verifies=verifies)


CATALOGUE = [
    req("XBEE-A"),
    req("XBEE-B"),
    req("XBEE-C"),
    req("XBEE-D"),
    req("XBEE-T", informative="the document's title"),
    req("ESWIFI-A", "eswifi"),
]


def test_statuses() -> None:
    results = [
        result("XBEE-1", "lte", "PASS", ["XBEE-A", "XBEE-B"]),
        result("XBEE-1", "cat1", "NON-STRICT", ["XBEE-A", "XBEE-B"]),
        result("XBEE-2", "cat1", "FAIL", ["XBEE-B"]),
    ]
    suite = {"XBEE-1": ["XBEE-A", "XBEE-B"], "XBEE-2": ["XBEE-B"], "XBEE-3": ["XBEE-C"]}
    entries = {e["id"]: e for e in coverage(CATALOGUE, results, suite)}
    assert set(entries) == {"XBEE-A", "XBEE-B", "XBEE-C", "XBEE-D", "XBEE-T"}, "only the families that ran"
    assert entries["XBEE-A"]["status"] == "verified"
    assert entries["XBEE-A"]["verdicts"] == {"cat1": "NON-STRICT", "lte": "PASS"}
    assert entries["XBEE-B"]["status"] == "failed" and entries["XBEE-B"]["verdicts"]["cat1"] == "FAIL"
    assert entries["XBEE-B"]["cases"] == ["XBEE-1", "XBEE-2"]
    assert entries["XBEE-C"]["status"] == "not run" and entries["XBEE-C"]["suite_cases"] == ["XBEE-3"]
    assert entries["XBEE-D"]["status"] == "uncovered"
    assert entries["XBEE-T"]["status"] == "informative"
    counts = summary(list(entries.values()))
    assert counts == {"failed": 1, "uncovered": 1, "not run": 1, "verified": 1, "informative": 1}


def test_html_marks_uncovered_and_escapes_quotes() -> None:
    results = [result("XBEE-1", "lte", "PASS", ["XBEE-A"])]
    page = render_coverage(coverage(CATALOGUE, results, {"XBEE-1": ["XBEE-A"]}), results)
    assert "<h2>Requirements coverage</h2>" in page
    assert 'class="cov-uncovered" id="req-XBEE-D"' in page
    assert "quote of XBEE-A &lt;b&gt;" in page and "quote of XBEE-A <b>" not in page
    assert 'href="#t%3A%3AXBEE-1%5Blte%5D">PASS</a>' in page


def test_a_real_run_reports_coverage(tmp_path: Path) -> None:
    """A fault that breaks the seed's connection-lost step fails exactly the statements that step's case
    verifies; the JSON validates against the schema and the HTML has the section."""
    out = tmp_path / "out"
    out.mkdir()
    args = ["--profile", "xbee3-lte-m", "--case", "XBEE-LISTEN-07", "--fault", "wrong-status-on-peer-close"]
    run_suite("sockconf.suites", *args, tmp=tmp_path, report_dir=out)
    data = json.loads((out / "conformance.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    entries = {e["id"]: e for e in data["requirements"]}
    assert all(e["family"] == "xbee" for e in entries.values())
    status = entries["XBEE-SEED-STEP-8-STATUS"]
    assert status["status"] == "failed" and status["verdicts"] == {"xbee3-lte-m": "FAIL"}
    assert status["quote"] == "Status | 0x07 (Connection lost) |"
    assert entries["XBEE-SEED-STEP-1"]["status"] == "not run"
    assert entries["XBEE-SEED-TITLE"]["status"] == "informative"
    assert data["coverage"]["uncovered"] == 0 and data["coverage"]["failed"] == len(
        {r for c in data["cases"] for r in c["verifies"]}
    )
    assert "Requirements coverage" in (out / "conformance.html").read_text(encoding="utf-8")


def test_partial_collection_says_not_run() -> None:
    """When only the selected cases are known, a requirement none of them verifies may still have a case."""
    results = [result("XBEE-1", "lte", "PASS", ["XBEE-A"])]
    entries = {e["id"]: e for e in coverage(CATALOGUE, results, {}, partial=True)}
    assert entries["XBEE-D"]["status"] == "not run"
    entries = {e["id"]: e for e in coverage(CATALOGUE, results, {}, partial=False)}
    assert entries["XBEE-D"]["status"] == "uncovered"
