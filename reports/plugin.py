"""The report plugin: verdicts, case ID/requirement columns, wire traces, default output paths.

Runs on pytest-html (HTML) and pytest's JUnit writer. When pytest runs cases under ``suites/``
the report is written by default to ``reports/out/conformance.html`` (self-contained) and
``reports/out/conformance.xml``. It reads only what cases recorded (``reports.record``).
"""

from __future__ import annotations

from collections.abc import Generator
from html import escape
from pathlib import Path
from typing import Any

import pytest

from reports.html_trace import CSS, render_trace
from reports.record import FINDINGS_KEY, IDENTITY_KEY, TRACE_KEY, case_marker

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT / "suites"
DEFAULT_DIR = ROOT / "reports" / "out"

PASS = "PASS"
FAIL = "FAIL"
NON_STRICT = "NON-STRICT"
NOT_APPLICABLE = "NOT APPLICABLE"
INCONCLUSIVE = "INCONCLUSIVE"


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("sockconf-report", "sockconf: compliance report")
    g.addoption(
        "--report-dir",
        metavar="DIR",
        help=f"where conformance.html/.xml go when running suites/ (default {DEFAULT_DIR.relative_to(ROOT)})",
    )
    g.addoption("--no-report", action="store_true", help="write no HTML/JUnit report")


def _runs_suites(config: pytest.Config) -> bool:
    args = [a.split("::")[0] for a in config.args if not a.startswith("-")]
    if not args:
        return False
    base = Path(config.invocation_params.dir)
    for arg in args:
        path = (base / arg).resolve()
        if path != SUITES and SUITES not in path.parents:
            return False
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    opt = config.option
    if opt.no_report or not _runs_suites(config) or hasattr(config, "workerinput"):
        return
    out = Path(opt.report_dir) if opt.report_dir else DEFAULT_DIR
    out.mkdir(parents=True, exist_ok=True)
    if not getattr(opt, "htmlpath", None):
        opt.htmlpath = str(out / "conformance.html")
        opt.self_contained_html = True
    if not opt.xmlpath:
        opt.xmlpath = str(out / "conformance.xml")


def verdict_of(report: pytest.TestReport, findings: list[str]) -> str:
    if report.skipped:
        return NOT_APPLICABLE
    if report.failed:
        text = report.longreprtext
        if "INCONCLUSIVE" in text.splitlines()[0] if text else False:
            return INCONCLUSIVE
        if "NoAnswer" in text or "LinkLost" in text:
            return INCONCLUSIVE
        return FAIL
    return NON_STRICT if findings else PASS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    marker = case_marker(item)
    if marker is None:
        return
    final = report.when == "call" or (report.when == "setup" and not report.passed)
    if not final:
        return
    case_id, requirement, kind = marker
    findings = item.stash.get(FINDINGS_KEY, [])
    verdict = verdict_of(report, findings)
    identity = item.stash.get(IDENTITY_KEY, {})
    props = [
        ("case_id", case_id),
        ("requirement", requirement),
        ("kind", kind),
        ("verdict", verdict),
        ("profile", identity.get("profile", "")),
        *(("finding", f) for f in findings),
    ]
    # The report row reads the call report; JUnit reads the item's (via the teardown report).
    report.user_properties.extend(props)
    item.user_properties.extend(props)
    trace = item.stash.get(TRACE_KEY, None)
    parts = [f'<div class="sc-finding">NON-STRICT finding: {escape(f)}</div>' for f in findings]
    if trace is not None:
        parts.append(render_trace(list(trace.entries), trace.t0))
    try:
        from pytest_html import extras
    except ImportError:  # pragma: no cover - pytest-html is a dependency
        return
    setattr(report, "extras", [*getattr(report, "extras", []), extras.html("".join(parts))])  # noqa: B010


def _prop(report: pytest.TestReport, name: str) -> str:
    for key, value in report.user_properties:
        if key == name:
            return str(value)
    return ""


def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(1, '<th class="sortable" data-column-type="verdict">Verdict</th>')
    cells.insert(2, '<th class="sortable" data-column-type="caseid">Case</th>')
    cells.insert(3, '<th class="sortable" data-column-type="profile">Profile</th>')
    cells.insert(4, "<th>Requirement</th>")


def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    verdict = _prop(report, "verdict")
    cells.insert(1, f'<td class="col-verdict">{escape(verdict)}</td>')
    cells.insert(2, f'<td class="col-caseid">{escape(_prop(report, "case_id"))}</td>')
    cells.insert(3, f'<td class="col-profile">{escape(_prop(report, "profile"))}</td>')
    cells.insert(4, f'<td class="col-requirement">{escape(_prop(report, "requirement"))}</td>')


def pytest_html_report_title(report: Any) -> None:
    report.title = "sockconf compliance report"


def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str], session: Any) -> None:
    prefix.append(CSS)
