"""The report plugin: verdicts, failure detail, wire traces, compliance matrix, HTML/JUnit/JSON.

Runs on pytest-html (HTML) and pytest's JUnit writer. When pytest runs cases under ``suites/``
the report is written by default to ``reports/out/``: ``conformance.html`` (self-contained),
``conformance.xml`` (JUnit, case ID and verdict as properties) and ``conformance.json``
(``docs/report-json.md``). It reads only what cases recorded (``core.record``); each result
travels on its test report as plain data, so pytest-xdist workers report like a single process.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import socket
import subprocess
import sys
from collections.abc import Generator
from html import escape
from pathlib import Path
from typing import Any

import pytest

from sockconf.core.family import families, package_folder
from sockconf.core.record import (
    ASSUMPTIONS_KEY,
    CONTRADICTION_SEEN_KEY,
    FINDINGS_KEY,
    HOST_STACK_KEY,
    IDENTITY_KEY,
    PREFLIGHT_KEY,
    TRACE_KEY,
    Inconclusive,
    case_marker,
    recorded_contradictions,
    recorded_requirements,
)
from sockconf.reports.contradictions import contradictions, render_contradictions
from sockconf.reports.contradictions import summary as contradiction_summary
from sockconf.reports.coverage import coverage, render_coverage, summary
from sockconf.reports.hoststacks import host_stack_lines, host_stack_summary, render_host_stacks
from sockconf.reports.html_pages import page_report
from sockconf.reports.html_trace import CSS, hex_cut, render_trace
from sockconf.reports.matrix import render_assumptions, render_matrix
from sockconf.reports.preflight import render_preflight
from sockconf.reports.results import (
    FAIL,
    INCONCLUSIVE,
    NON_STRICT,
    NOT_APPLICABLE,
    PASS,
    CaseResult,
    Failure,
    TraceRow,
    assumptions,
    conformance,
    reply_latency,
    totals,
    verdict_class_name,
)

# Under the folder the run was started in: an installed package is never written to.
DEFAULT_DIR = Path("reports") / "out"
RESULT_ATTR = "sockconf_result"
PASSED_TRACE_ROWS = 16


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("sockconf-report", "sockconf: compliance report")
    g.addoption(
        "--report-dir",
        metavar="DIR",
        help=f"where conformance.html/.xml/.json go when running the suites (default {DEFAULT_DIR}/ under the "
        "current folder)",
    )
    g.addoption("--no-report", action="store_true", help="write no HTML/JUnit/JSON report")


def _arg_path(arg: str, base: Path, pyargs: bool) -> Path:
    """Where a command-line argument points: a path, or with ``--pyargs`` a module or package name."""
    path = (base / arg).resolve()
    if pyargs and not path.exists():
        try:
            spec = importlib.util.find_spec(arg)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            origin = Path(spec.origin)
            return origin.parent if origin.name == "__init__.py" else origin
    return path


def _runs_suites(config: pytest.Config) -> bool:
    """Whether every argument of the run is a conformance case, folder or package of cases."""
    args = [a.split("::")[0] for a in config.args if not a.startswith("-")]
    if not args:
        return False
    base = Path(config.invocation_params.dir)
    suite_dirs = [package_folder("sockconf.suites"), *(f.suite_dir for f in families().values())]
    for arg in args:
        path = _arg_path(arg, base, bool(config.option.pyargs))
        if not any(path == d or d in path.parents for d in suite_dirs):
            return False
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    opt = config.option
    if opt.no_report or not _runs_suites(config) or hasattr(config, "workerinput"):
        return
    out = Path(config.invocation_params.dir) / (opt.report_dir or DEFAULT_DIR)
    out.mkdir(parents=True, exist_ok=True)
    if not getattr(opt, "htmlpath", None):
        opt.htmlpath = str(out / "conformance.html")
        opt.self_contained_html = True
    if not opt.xmlpath:
        opt.xmlpath = str(out / "conformance.xml")
    config.pluginmanager.register(ComplianceReport(config, out / "conformance.json"), "sockconf-compliance")


# --------------------------------------------------------------------------- per case


def _failure_of(exc: BaseException | None) -> Failure | None:
    needed = ("requirement", "expected", "actual", "diff", "last_bytes")
    if exc is None or not all(hasattr(exc, a) for a in needed):
        return None
    e: Any = exc
    return Failure(
        str(e.requirement),
        [str(x) for x in e.expected],
        [str(x) for x in e.actual],
        [str(x) for x in e.diff],
        bytes(e.last_bytes).hex(" ").upper(),
        "\n".join([str(getattr(e, "note", "")), *getattr(e, "__notes__", [])]).strip(),
    )


def _verdict(report: pytest.TestReport, exc: BaseException | None, findings: list[str]) -> str:
    if report.skipped:
        return NOT_APPLICABLE
    if report.failed:
        if isinstance(exc, Inconclusive):
            return INCONCLUSIVE
        return FAIL
    return NON_STRICT if findings else PASS


def _message(report: pytest.TestReport, call: pytest.CallInfo[None]) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if call.excinfo is None:
        return ""
    text = str(call.excinfo.value).strip()
    return text.splitlines()[0] if text else call.excinfo.typename


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
    case_id, requirement, kind, verifies, _ = marker
    recorded: list[str] = item.stash.get(FINDINGS_KEY, [])
    findings = list(recorded)
    exc = call.excinfo.value if call.excinfo is not None else None
    message = _message(report, call)
    verdict = _verdict(report, exc, findings)
    identity = item.stash.get(IDENTITY_KEY, {})
    trace = item.stash.get(TRACE_KEY, None)
    rows = []
    if trace is not None and report.when == "call":
        rows = [
            TraceRow(round((e.t - trace.t0) * 1000.0, 3), e.direction, e.data.hex(" ").upper(), e.text)
            for e in trace.entries
        ]
    result = CaseResult(
        nodeid=item.nodeid,
        case_id=case_id,
        requirement=requirement,
        kind=kind,
        profile=identity.get("profile", ""),
        verdict=verdict,
        duration_s=round(report.duration, 6),
        message=message,
        phase=report.when or "call",
        findings=findings,
        assumptions=item.stash.get(ASSUMPTIONS_KEY, []).copy(),
        failure=_failure_of(exc),
        trace=rows,
        verifies=list(verifies),
        latency=reply_latency(rows),
        dut=identity.get("dut", identity.get("profile", "")),
        host_stack=item.stash.get(HOST_STACK_KEY, None),
        contradictions=item.stash.get(CONTRADICTION_SEEN_KEY, []).copy(),
    )
    setattr(report, RESULT_ATTR, result.to_json())
    if result.failure is not None and exc is not None:
        # A conformance finding, not a crash: the requirement/expected/actual text says it all,
        # and a Python traceback would only bury it (terminal, HTML and JUnit alike).
        where = item.reportinfo()
        notes = "".join(f"\n{n}" for n in getattr(exc, "__notes__", []))  # e.g. a shrunk hypothesis sequence
        report.longrepr = f"{exc}{notes}\n\n[{case_id}] {where[0]}:{(where[1] or 0) + 1}"
    props = [("case_id", case_id), ("requirement", requirement), ("kind", kind), ("verdict", verdict)]
    props += [("profile", result.profile), ("dut", result.dut), *(("finding", f) for f in findings)]
    # The report row reads the call report; JUnit reads the item's (via the teardown report).
    report.user_properties.extend(props)
    item.user_properties.extend(props)
    parts = [_failure_html(result)] if result.failure else []
    parts += [f'<div class="sc-finding">NON-STRICT finding: {escape(f)}</div>' for f in findings]
    if trace is not None and report.when == "call":
        # A passed case's trace is cut short in the HTML (whole in the JSON); a failed one is shown whole.
        limit = None if verdict in (FAIL, INCONCLUSIVE, NON_STRICT) else PASSED_TRACE_ROWS
        parts.append(render_trace(trace.entries, trace.t0, limit))
    from pytest_html import extras

    setattr(report, "extras", [*getattr(report, "extras", []), extras.html("".join(parts))])  # noqa: B010
    if identity:
        setattr(report, "sockconf_identity", dict(identity))  # noqa: B010
    preflight = item.stash.get(PREFLIGHT_KEY, None)
    if preflight is not None:
        setattr(report, "sockconf_preflight", [c.to_json() for c in preflight])  # noqa: B010


def _failure_html(result: CaseResult) -> str:
    f = result.failure
    assert f is not None
    lines = [f"<b>Requirement:</b> {escape(f.requirement)}"]
    if f.note:
        lines.append(escape(f.note))
    for i, exp in enumerate(f.expected):
        label = "Expected" if len(f.expected) == 1 else f"Expected ({i + 1}/{len(f.expected)})"
        lines.append(f"<b>{label}:</b> {escape(exp)}")
    lines += [f"<b>Actual:</b>   {escape(a)}" for a in f.actual or ["nothing"]]
    lines += [f"  • {escape(d)}" for d in f.diff]
    if f.last_bytes:
        lines.append(f"<b>Last bytes from the DUT:</b> {escape(hex_cut(bytes.fromhex(f.last_bytes)))}")
    return '<div class="sc-failure">' + "\n".join(lines) + "</div>"


# --------------------------------------------------------------------------- the run


def suite_version() -> str:
    """The installed version, plus ``git describe`` when the package runs from a source checkout."""
    import sockconf

    version = sockconf.__version__
    checkout = Path(sockconf.__file__).resolve().parents[2]
    if not (checkout / "pyproject.toml").is_file() or not (checkout / ".git").exists():
        return version
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return version
    described = out.stdout.strip()
    return f"{version} ({described})" if described else version


class ComplianceReport:
    """Collects every case result; writes the JSON and the matrix at the end of the run."""

    def __init__(self, config: pytest.Config, json_path: Path) -> None:
        self.config = config
        self.json_path = json_path
        self.results: list[CaseResult] = []
        self.identities: dict[str, dict[str, str]] = {}
        self.suite_cases: dict[str, list[str]] = {}  # every collected case ID -> requirement IDs it verifies
        self.preflights: dict[str, list[dict[str, Any]]] = {}  # profile -> its DUT's preflight checks
        self.facts = {
            "suite": "sockconf " + suite_version(),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
            "command": "pytest " + " ".join(config.invocation_params.args),
            "strict": "yes" if config.getini("strict") else "no",
        }

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        # Before --case selection, so the coverage can tell a statement no case verifies from one
        # whose cases were not selected. (Under xdist the workers collect; then only what ran counts.)
        mark = case_marker(item)
        if mark is not None:
            known = self.suite_cases.setdefault(mark.case_id, [])
            known += [rid for rid in mark.verifies if rid not in known]

    def coverage(self) -> list[dict[str, Any]]:
        # Without the collection (an xdist controller collects nothing), a selection (--case, -k) leaves
        # unknown which cases verify the requirements no selected case verifies.
        selected = bool(self.config.getoption("case", None) or self.config.getoption("keyword", ""))
        partial = not self.suite_cases and selected
        return coverage(recorded_requirements(self.config), self.results, self.suite_cases, partial)

    def contradictions(self) -> list[dict[str, Any]]:
        return contradictions(recorded_contradictions(self.config), self.results)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, RESULT_ATTR, None)
        if data is None:
            return
        failure = data.get("failure")
        self.results.append(
            CaseResult(
                **{k: v for k, v in data.items() if k not in ("failure", "trace", "section")},
                failure=Failure(**failure) if failure else None,
                trace=[TraceRow(**row) for row in data.get("trace", [])],
            )
        )
        identity = getattr(report, "sockconf_identity", None)
        if identity and identity.get("profile"):
            dut = identity.get("dut") or identity["profile"]
            self.identities[dut] = identity
            preflight = getattr(report, "sockconf_preflight", None)
            if preflight is not None:
                self.preflights.setdefault(dut, preflight)

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str]) -> None:
        prefix.append(CSS)
        host_stacks = host_stack_summary(self.results)
        prefix.append(render_matrix(conformance(self.results), self.identities, self.facts, host_stacks))
        prefix.append(render_host_stacks(self.results))
        prefix.append(render_coverage(self.coverage(), self.results))
        prefix.append(render_contradictions(self.contradictions(), self.results))
        prefix.append(render_preflight(self.preflights))
        prefix.append(render_assumptions(assumptions(self.results)))

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "sockconf compliance report"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        requirements = self.coverage()
        contradicting = self.contradictions()
        data = {
            "schema": "sockconf-report/1",
            "suite": {
                "name": "sockconf",
                "version": self.facts["suite"].removeprefix("sockconf "),
                "date": self.facts["date"],
                "host": self.facts["host"],
                "command": self.facts["command"],
                "strict": bool(self.config.getini("strict")),
            },
            "duts": self.identities,
            "preflight": self.preflights,
            "totals": totals(self.results),
            "host_stacks": host_stack_summary(self.results),
            "assumptions": assumptions(self.results),
            "cases": [r.to_json() for r in self.results],
            "coverage": summary(requirements),
            "requirements": requirements,
            "contradiction_counts": contradiction_summary(contradicting),
            "contradictions": contradicting,
        }
        self.json_path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # pytest-html has written the HTML report by now (at the end of the session).
        html = getattr(config.option, "htmlpath", None)
        if not html or not Path(html).is_file():
            return
        if not page_report(Path(html)):
            print(
                f"sockconf: {html}: this pytest-html draws every row at once (the report opens slowly "
                "with thousands of cases); pytest-html 4.1-4.x is the tested range",
                file=sys.stderr,
            )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        counts = totals(self.results)
        line = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
        terminalreporter.write_sep("-", f"verdicts: {line or 'no cases ran'}")
        for line in host_stack_lines(self.results):
            terminalreporter.write_line(line, red="breaks" in line)
        terminalreporter.write_line(f"JSON report: {self.json_path}")


def _prop(report: pytest.TestReport | pytest.CollectReport, name: str) -> str:
    # A collection error's report (a case module that does not import) has no properties.
    for key, value in getattr(report, "user_properties", ()):
        if key == name:
            return str(value)
    return ""


def _dut_label(dut: str, profile: str) -> str:
    return profile if not dut or dut == profile else f"{dut} ({profile})"


def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(1, '<th class="sortable" data-column-type="verdict">Verdict</th>')
    cells.insert(2, '<th class="sortable" data-column-type="caseid">Case</th>')
    cells.insert(3, '<th class="sortable" data-column-type="profile">DUT</th>')
    cells.insert(4, "<th>Requirement</th>")


def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    verdict = _prop(report, "verdict")
    css = verdict_class_name(verdict)
    cells.insert(1, f'<td class="col-verdict {css}">{escape(verdict)}</td>')
    cells.insert(2, f'<td class="col-caseid">{escape(_prop(report, "case_id"))}</td>')
    label = _dut_label(_prop(report, "dut"), _prop(report, "profile"))
    cells.insert(3, f'<td class="col-profile">{escape(label)}</td>')
    cells.insert(4, f'<td class="col-requirement">{escape(_prop(report, "requirement"))}</td>')


def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    # A conformance failure is shown structured above the trace; its plain-text copy would repeat it.
    result = getattr(report, RESULT_ATTR, None)
    if result and result.get("failure"):
        data.clear()
