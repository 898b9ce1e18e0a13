"""Requirements coverage: each documented statement, the cases that verify it, and their verdicts.

The catalogue arrives as plain data (``core.record.recorded_requirements``: one dict of strings per
requirement); ``suite_cases`` maps every case ID the run collected (before ``--case`` selection) to
the requirements it verifies, so a statement no case in the suite verifies ("uncovered") stands
apart from one whose cases were not selected this run ("not run").
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from sockconf.reports.matrix import anchor, lazy_block
from sockconf.reports.results import GOOD, SEVERITY, CaseResult, verdict_class_name, worst

VERIFIED = "verified"  # every verdict of its cases is PASS, NON-STRICT or NOT APPLICABLE
FAILED = "failed"  # some case verifying it did not pass
UNCOVERED = "uncovered"  # no case of the suite verifies it: a gap
NOT_RUN = "not run"  # cases verify it, but none ran in this run
INFORMATIVE = "informative"  # the document says it, but no case can check it (a title, a precondition)
STATUSES = (FAILED, UNCOVERED, NOT_RUN, VERIFIED, INFORMATIVE)

COVERAGE_CSS = """
<style>
table.sc-coverage{border-collapse:collapse;margin:6px 0}
table.sc-coverage th,table.sc-coverage td{border:1px solid #ddd;padding:3px 8px;font-size:12px;text-align:left;
  vertical-align:top}
table.sc-coverage td.quote{white-space:pre-wrap;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;max-width:40em}
table.sc-coverage tr.cov-uncovered td{background:#fbe0e0}
table.sc-coverage tr.cov-uncovered td.status{color:#8a1010;font-weight:700}
table.sc-coverage tr.cov-failed td.status{color:#8a1010;font-weight:700}
table.sc-coverage tr.cov-informative td{color:#777}
table.sc-coverage td.v a{color:inherit;text-decoration:none}
</style>
"""


def coverage(
    catalogue: list[dict[str, str]],
    results: list[CaseResult],
    suite_cases: dict[str, list[str]],
    partial: bool = False,
) -> list[dict[str, Any]]:
    """One entry per requirement of the families that ran (all when none did): its catalogue fields,
    ``cases`` (case IDs that ran and verify it), ``suite_cases`` (every collected case that verifies
    it), ``verdicts`` (profile -> worst verdict of those cases' items) and ``status`` (STATUSES).
    ``partial``: ``suite_cases`` may lack cases that were not selected, so a requirement with no case
    in it is "not run", not "uncovered"."""
    ran: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        for rid in r.verifies:
            ran[rid].append(r)
    declared: dict[str, set[str]] = defaultdict(set)
    for case_id, ids in suite_cases.items():
        for rid in ids:
            declared[rid].add(case_id)
    # A report covers the families it ran: an XBee run does not list the eS-WiFi document as "not run".
    family_of = {req["id"]: req.get("family", "") for req in catalogue}
    ran_families = {family_of.get(rid) for r in results for rid in r.verifies}
    out = []
    for req in catalogue:
        if ran_families and req.get("family", "") not in ran_families:
            continue
        items = ran.get(req["id"], [])
        by_profile: dict[str, list[str]] = defaultdict(list)
        for item in items:
            by_profile[item.profile].append(item.verdict)
        verdicts = {p: worst(v) for p, v in sorted(by_profile.items())}
        in_suite = sorted(declared.get(req["id"], set()) | {i.case_id for i in items})
        if req.get("informative"):
            status = INFORMATIVE
        elif items:
            status = VERIFIED if all(v in GOOD for v in verdicts.values()) else FAILED
        elif in_suite or partial:
            status = NOT_RUN
        else:
            status = UNCOVERED
        out.append(
            {
                **req,
                "cases": sorted({i.case_id for i in items}),
                "suite_cases": in_suite,
                "verdicts": verdicts,
                "status": status,
            }
        )
    return out


def summary(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for e in entries:
        counts[e["status"]] += 1
    return counts


def render_coverage(entries: list[dict[str, Any]], results: list[CaseResult]) -> str:
    if not entries:
        return ""
    profiles = sorted({r.profile for r in results if r.profile}) or [""]
    first_item: dict[tuple[str, str], CaseResult] = {}
    for r in results:
        for rid in r.verifies:
            key = (rid, r.profile)
            if key not in first_item or SEVERITY.get(r.verdict, 5) > SEVERITY.get(first_item[key].verdict, 5):
                first_item[key] = r
    counts = summary(entries)
    parts = [COVERAGE_CSS, '<div class="sc-head"><h2>Requirements coverage</h2><p>']
    parts.append(" · ".join(f"{escape(s)}: {n}" for s, n in counts.items()))
    parts.append(
        "</p><p>Every statement of the vendor documents (the seed documents line by line, and the vendor facts the"
        " cases rely on), the cases that verify it, and their worst verdict per profile. <b>uncovered</b>: no case"
        " of the suite verifies it.</p>"
    )
    head = "".join(f"<th>{escape(p)}</th>" for p in profiles)
    parts.append(
        lazy_block(len(entries) * 48)
        + f'<table class="sc-coverage"><tr><th>requirement</th><th>source</th><th>quote</th>'
        f"<th>cases</th><th>status</th>{head}</tr>"
    )
    for e in entries:
        source = escape(e["document"])
        if e.get("section"):
            source += f"<br>§ {escape(e['section'])}"
        if e.get("step"):
            source += f", step {escape(e['step'])}"
        cases = ", ".join(escape(c) for c in (e["cases"] or e["suite_cases"])) or "—"
        status = escape(e["status"])
        if e["status"] == INFORMATIVE:
            status += f": {escape(e.get('informative', ''))}"
        cells = []
        for p in profiles:
            v = e["verdicts"].get(p)
            item = first_item.get((e["id"], p))
            if v is None or item is None:
                cells.append("<td>—</td>")
            else:
                link = escape(anchor(item.html_id))
                cells.append(f'<td class="v {verdict_class_name(v)}"><a href="{link}">{escape(v)}</a></td>')
        css = "cov-" + e["status"].replace(" ", "-")
        parts.append(
            f'<tr class="{css}" id="req-{escape(e["id"])}"><td>{escape(e["id"])}<br><small>sha {escape(e["sha"])}'
            f'</small></td><td>{source}</td><td class="quote">{escape(e["quote"])}</td><td>{cases}</td>'
            f'<td class="status">{status}</td>{"".join(cells)}</tr>'
        )
    parts.append("</table></div></div>")
    return "".join(parts)
