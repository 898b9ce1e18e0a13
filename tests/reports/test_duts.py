"""The report with several DUTs: a matrix column per DUT, and a diff DUT by DUT."""

from __future__ import annotations

import re

from sockconf.reports.diff import compare, render
from sockconf.reports.matrix import render_matrix
from sockconf.reports.results import CaseResult


def _case(dut: str, profile: str, verdict: str, case_id: str = "XBEE-LISTEN-01") -> CaseResult:
    nodeid = f"suites/xbee/test_listener.py::test_x[{dut}]@{dut}"
    return CaseResult(nodeid, case_id, "req", "positive", profile, verdict, 0.01, dut=dut)


def test_the_matrix_has_a_column_per_dut_even_of_one_profile():
    results = [_case("ltem-1", "xbee3-lte-m", "PASS"), _case("ltem-2", "xbee3-lte-m", "FAIL")]
    html = render_matrix(results, {}, {})
    heads = re.findall(r"<th>([^<]*)<br><small>([^<]*)</small>", html)
    assert heads == [("ltem-1", "xbee3-lte-m"), ("ltem-2", "xbee3-lte-m")]
    row = html[html.index("<td>XBEE-LISTEN-01</td>") :]
    assert row.index("v-PASS") < row.index("v-FAIL")


def test_a_dut_named_after_its_profile_keeps_one_header():
    html = render_matrix([_case("ism43362", "ism43362", "PASS")], {}, {})
    assert "<th>ism43362</th>" in html and "<small>" not in html


def _report(*cases: CaseResult) -> dict[str, object]:
    suite = {"date": "d", "version": "v"}
    return {"suite": suite, "duts": {}, "cases": [c.to_json() for c in cases]}


def test_the_diff_matches_items_dut_by_dut_and_sums_up_per_dut():
    old = _report(_case("ltem-1", "xbee3-lte-m", "PASS"), _case("ltem-2", "xbee3-lte-m", "PASS"))
    new_cases = [_case("ltem-1", "xbee3-lte-m", "PASS"), _case("ltem-2", "xbee3-lte-m", "FAIL")]
    new_cases[0].nodeid = new_cases[0].nodeid.removesuffix("@ltem-1")  # a run without -n: no @group suffix
    new = _report(*new_cases)
    diff = compare(old, new)
    assert [(c.dut, c.old, c.new) for c in diff.regressions] == [("ltem-2", "PASS", "FAIL")]
    assert diff.new == [] and diff.removed == []
    text = render(diff, old, new)
    assert re.search(r"ltem-1 +0 / 0 / 0 / 0 / 0", text) and re.search(r"ltem-2 +1 / 0 / 0 / 0 / 0", text)


def test_an_older_report_without_dut_names_counts_the_profile_as_the_dut():
    old_case = _case("xbee3-lte-m", "xbee3-lte-m", "PASS").to_json()
    del old_case["dut"]
    old = {"suite": {"date": "d", "version": "v"}, "duts": {}, "cases": [old_case]}
    new = _report(_case("xbee3-lte-m", "xbee3-lte-m", "FAIL"))
    assert [c.dut for c in compare(old, new).regressions] == ["xbee3-lte-m"]
