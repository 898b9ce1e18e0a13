"""The host-stack verdicts: does each host driver that ships with the module work with this DUT?

Host-stack cases are not conformance to the documents, so they stay out of the compliance matrix
and its totals; this module shows them in a table of their own (rows: each stack, then its cases;
columns: the DUTs; cells: works, breaks at step N, NOT APPLICABLE, INCONCLUSIVE), says them in a few
terminal lines, and summarises them for the JSON report.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from sockconf.reports.matrix import anchor, lazy_block
from sockconf.reports.results import (
    BREAKS,
    FAIL,
    HOST_STACK,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    PASS,
    WORKS,
    CaseResult,
    verdict_class_name,
    worst,
)


def _host_results(results: list[CaseResult]) -> list[CaseResult]:
    return [r for r in results if r.kind == HOST_STACK]


def _stack_of(r: CaseResult) -> tuple[str, str]:
    hs = r.host_stack or {}
    return str(hs.get("stack", "")), str(hs.get("name", "") or hs.get("stack", ""))


def _label(r: CaseResult) -> str:
    """What one host-stack case says about its DUT: works, breaks at step N (function), or the verdict."""
    if r.verdict == PASS or (r.verdict != FAIL and r.verdict not in (INCONCLUSIVE, NOT_APPLICABLE)):
        return WORKS
    hs = r.host_stack or {}
    if r.verdict == FAIL:
        steps: list[str] = list(hs.get("steps", []))
        if hs.get("broke") and steps:
            return f"{BREAKS} at step {len(steps)} ({steps[-1]})"
        return BREAKS
    return r.verdict


def _verdict_of(label: str) -> str:
    if label == WORKS:
        return PASS
    if label.startswith(BREAKS):
        return FAIL
    return label


def host_stack_summary(results: list[CaseResult]) -> dict[str, dict[str, Any]]:
    """DUT -> stack -> {name, verdict (works / breaks / NOT APPLICABLE / INCONCLUSIVE), first break, cases}."""
    out: dict[str, dict[str, Any]] = {}
    for r in _host_results(results):
        stack, name = _stack_of(r)
        dut = r.dut or r.profile
        entry = out.setdefault(dut, {}).setdefault(
            stack, {"name": name, "verdict": NOT_APPLICABLE, "breaks_at": None, "cases": {}}
        )
        label = _label(r)
        entry["cases"][r.case_id] = label
        verdicts = [_verdict_of(v) for v in entry["cases"].values()]
        overall = worst(verdicts)
        entry["verdict"] = WORKS if overall == PASS else BREAKS if overall == FAIL else overall
        if label.startswith(BREAKS) and entry["breaks_at"] is None:
            entry["breaks_at"] = {"case": r.case_id, "detail": label, "message": r.message}
    return out


def host_stack_lines(results: list[CaseResult]) -> list[str]:
    """One terminal line per DUT and stack that ran (NOT APPLICABLE ones are left out)."""
    lines = []
    for dut, stacks in host_stack_summary(results).items():
        for entry in stacks.values():
            if entry["verdict"] == NOT_APPLICABLE:
                continue
            where = entry["breaks_at"]
            said = f"breaks it: {where['case']} {where['detail']}" if where else entry["verdict"]
            lines.append(f"host stack {entry['name']} on {dut}: {said}")
    return lines


def render_host_stacks(results: list[CaseResult]) -> str:
    host = _host_results(results)
    if not host:
        return ""
    duts = sorted({r.dut or r.profile for r in host})
    by_stack: dict[tuple[str, str], dict[str, dict[str, list[CaseResult]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    requirement: dict[str, str] = {}
    for r in host:
        by_stack[_stack_of(r)][r.case_id][r.dut or r.profile].append(r)
        requirement.setdefault(r.case_id, r.requirement)
    summary = host_stack_summary(results)
    head = "".join(f"<th>{escape(d)}</th>" for d in duts)
    rows = sum(len(cases) + 1 for cases in by_stack.values())
    parts = [
        '<h2 id="sc-host-stacks">Host stacks</h2><p>Each host driver that ships with the module, driven exactly '
        "as it drives the module and judged by what its code needs. These are not verdicts on conformance to "
        "the documents (the compliance matrix above): they say whether a product built on that driver would "
        "work with this firmware.</p>",
        lazy_block(rows * 22) + f'<table class="sc-matrix"><tr><th>host stack / case</th><th>flow</th>{head}</tr>',
    ]
    for (stack, name), cases in sorted(by_stack.items()):
        cells = []
        for dut in duts:
            entry = summary.get(dut, {}).get(stack)
            verdict = entry["verdict"] if entry else "—"
            cls = verdict_class_name(_verdict_of(verdict)) if entry else ""
            cells.append(f'<td class="v {cls}">{escape(verdict)}</td>')
        parts.append(f'<tr class="sc-section"><th colspan="2">{escape(name)}</th>{"".join(cells)}</tr>')
        for case_id in sorted(cases):
            cells = []
            for dut in duts:
                items = cases[case_id].get(dut, [])
                if not items:
                    cells.append("<td>—</td>")
                    continue
                first = items[0]
                label = _label(first)
                cells.append(
                    f'<td class="v {verdict_class_name(_verdict_of(label))}"><a href="{escape(anchor(first.html_id))}" '
                    f'title="{escape(first.message or first.nodeid)}">{escape(label)}</a></td>'
                )
            parts.append(f"<tr><td>{escape(case_id)}</td><td>{escape(requirement[case_id])}</td>{''.join(cells)}</tr>")
    parts.append("</table></div>")
    return "".join(parts)
