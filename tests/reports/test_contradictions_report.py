"""The report's "Contradictions in the documents" section, HTML and JSON."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from sockconf.reports.contradictions import contradictions, render_contradictions, summary
from sockconf.reports.results import CaseResult
from tests.helpers import ROOT, run_suite

SCHEMA = json.loads((ROOT / "docs" / "report-schema.json").read_text(encoding="utf-8"))
MARKUP = "<script>alert(1)</script>"


def side(rid: str, quote: str, behaviour: str, emulator: str = "") -> dict[str, Any]:
    statement = {"id": rid, "document": "doc", "section": "sec", "step": "", "quote": quote, "sha": "0" * 12}
    return {"requirements": [statement], "behaviour": behaviour, "emulator": emulator}


def entry(cid: str, resolution: str, cases: list[str], **extra: str) -> dict[str, Any]:
    family = cid.split("-", 1)[0].lower()
    open_one = resolution == "unresolved"
    return {
        "id": cid,
        "family": family,
        "title": f"title {MARKUP}",
        "resolution": resolution,
        "winner": extra.get("winner", ""),
        "settled_by": extra.get("settled_by", ""),
        "searched": extra.get("searched", ""),
        "cases": cases,
        "note": "",
        "a": side(f"{family.upper()}-A", f"quote a {MARKUP}", "does a", "default" if open_one else ""),
        "b": side(f"{family.upper()}-B", "quote b", "does b", "v" if open_one else ""),
    }


CATALOGUE = [
    entry("ESWIFI-CONTRA-OPEN", "unresolved", ["ESWIFI-NEG-01"], searched=f"nothing {MARKUP}"),
    entry("ESWIFI-CONTRA-DONE", "settled", ["ESWIFI-MA-01"], winner="b", settled_by="the vendor's page"),
    entry("XBEE-CONTRA-OTHER", "settled", [], winner="a", settled_by="x"),
]


def result(case_id: str, verdict: str, seen: list[dict[str, str]] | None = None) -> CaseResult:
    return CaseResult(
        nodeid=f"t.py::{case_id}",
        case_id=case_id,
        requirement="r",
        kind="positive",
        profile="ism43362",
        verdict=verdict,
        duration_s=0.0,
        dut="wifi-1",
        contradictions=seen or [],
    )


def test_each_contradiction_of_the_families_that_ran_with_what_each_dut_did():
    results = [
        result("ESWIFI-NEG-01", "NON-STRICT", [{"contradiction": "ESWIFI-CONTRA-OPEN", "side": "b", "detail": "d"}]),
        result("ESWIFI-MA-01", "PASS"),
        result("ESWIFI-MA-01", "FAIL"),
    ]
    entries = {e["id"]: e for e in contradictions(CATALOGUE, results)}
    assert set(entries) == {"ESWIFI-CONTRA-OPEN", "ESWIFI-CONTRA-DONE"}  # no XBee case ran
    assert entries["ESWIFI-CONTRA-OPEN"]["duts"] == {
        "wifi-1": {"verdict": "NON-STRICT", "cases": ["ESWIFI-NEG-01"], "sides": {"b": 1}}
    }
    assert entries["ESWIFI-CONTRA-DONE"]["duts"] == {"wifi-1": {"verdict": "FAIL", "cases": ["ESWIFI-MA-01"]}}
    assert summary(list(entries.values())) == {"settled": 1, "unresolved": 1, "met": 1}
    assert {e["id"] for e in contradictions(CATALOGUE, [])} == {c["id"] for c in CATALOGUE}


def test_the_section_quotes_both_statements_and_escapes_everything():
    results = [
        result("ESWIFI-NEG-01", "NON-STRICT", [{"contradiction": "ESWIFI-CONTRA-OPEN", "side": "a", "detail": ""}])
    ]
    page = render_contradictions(contradictions(CATALOGUE, results), results)
    assert "Contradictions in the documents" in page
    assert MARKUP not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "quote a" in page and "quote b" in page and "does a" in page
    assert "settled for (b)" in page and "the vendor&#x27;s page" in page
    assert "unresolved" in page and "followed (a)" in page and "wifi-1" in page


def test_a_run_shows_the_section_and_its_json_follows_the_schema(tmp_path):
    out = tmp_path / "report"
    run = run_suite(
        "sockconf.suites.eswifi", "--case", "ESWIFI-NEG-01", "--profile", "ism43362", tmp=tmp_path, report_dir=out
    )
    assert run.returncode == 0, run.output[-3000:]
    data = json.loads((out / "conformance.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    (p0,) = [e for e in data["contradictions"] if e["id"] == "ESWIFI-CONTRA-P0-RANGE"]
    assert p0["duts"]["ism43362"]["sides"] == {"a": 1}
    assert {e["family"] for e in data["contradictions"]} == {"eswifi"}
    assert data["contradiction_counts"]["met"] == 1
    cases = [c for c in data["cases"] if c["contradictions"]]
    assert [seen["side"] for c in cases for seen in c["contradictions"]] == ["a"]
    page = (out / "conformance.html").read_text(encoding="utf-8")
    assert 'id="sc-contradictions"' in page and 'id="contra-ESWIFI-CONTRA-P0-RANGE"' in page
