"""The compliance matrix at the top of the HTML report, with the DUT's identity and the run's facts.

Rows are case IDs grouped by document section, columns the DUTs run (name and profile; without a
lab file one DUT per profile, named after it), and each cell the worst verdict of that case's items
on that DUT, linked to the first such item's details. Everything
that came from a DUT (identity strings) is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any
from urllib.parse import quote

from sockconf.reports.results import (
    BREAKS,
    FAIL,
    NOT_APPLICABLE,
    PASS,
    SEVERITY,
    VERDICTS,
    WORKS,
    CaseResult,
    totals,
    verdict_class_name,
    worst,
)

MATRIX_CSS = """
<style>
.sc-head{font:13px/1.4 system-ui,sans-serif;margin:8px 0 18px}
.sc-head h2{margin:18px 0 6px;font-size:18px}
div.sc-lazy{content-visibility:auto}
table.sc-ident td,table.sc-ident th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee;font-size:12px}
table.sc-matrix{border-collapse:collapse;margin:6px 0}
table.sc-matrix th,table.sc-matrix td{border:1px solid #ddd;padding:3px 8px;font-size:12px;text-align:left}
table.sc-matrix tr.sc-section th{background:#f3f3f3;text-align:left}
table.sc-matrix td.v a{color:inherit;text-decoration:none;display:block}
.v-PASS{background:#e3f6e6;color:#165c26}
.v-FAIL{background:#fbe0e0;color:#8a1010;font-weight:600}
.v-NON-STRICT{background:#fff5d6;color:#7a5a00}
.v-NOT-APPLICABLE{background:#f0f0f0;color:#666}
.v-INCONCLUSIVE{background:#ede3f7;color:#4c2a85;font-weight:600}
.sc-totals span{display:inline-block;margin-right:8px;padding:2px 8px;border-radius:3px}
</style>
"""


def anchor(nodeid: str) -> str:
    return "#" + quote(nodeid, safe="")


def render_matrix(
    results: list[CaseResult],
    identities: dict[str, dict[str, str]],
    facts: dict[str, str],
    host_stacks: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The run's facts, the DUTs, and the matrix of conformance verdicts (case x DUT).

    ``host_stacks`` (DUT -> stack -> summary, as ``reports.hoststacks.host_stack_summary`` gives it): the
    matrix's first row then says per DUT which host stacks work and where one breaks; it is no
    conformance verdict and counts in no total (the "Host stacks" section has the detail).
    """
    columns = sorted({(r.dut or r.profile, r.profile) for r in results if r.profile}) or [("", "")]
    by_case: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    requirement: dict[str, str] = {}
    for r in results:
        by_case[(r.case_id, r.dut or r.profile)].append(r)
        requirement.setdefault(r.case_id, r.requirement)
    sections: dict[str, list[str]] = defaultdict(list)
    for case_id in sorted(requirement):
        head, _, tail = case_id.rpartition("-")
        sections[head if tail.isdigit() and head else case_id].append(case_id)

    counts = totals(results)
    parts = [MATRIX_CSS, '<div class="sc-head">']
    parts.append('<h2>Run</h2><table class="sc-ident">')
    parts += [f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts.items()]
    parts.append("</table>")
    parts.append("<h2>Devices under test</h2>")
    parts.append(_identity_table(identities))
    parts.append('<h2>Compliance matrix</h2><div class="sc-totals">')
    parts += [f'<span class="{verdict_class_name(v)}">{escape(v)}: {counts[v]}</span>' for v in VERDICTS]
    parts.append("</div>")
    head = "".join(
        f"<th>{escape(name)}</th>" if name == profile else f"<th>{escape(name)}<br><small>{escape(profile)}</small>"
        for name, profile in columns
    )
    rows = len(sections) + len(requirement) + 1
    parts.append(lazy_block(rows * 22) + f'<table class="sc-matrix"><tr><th>case</th><th>requirement</th>{head}</tr>')
    if host_stacks:
        parts.append(_host_stack_row(host_stacks, [name for name, _ in columns]))
    for section, case_ids in sections.items():
        parts.append(f'<tr class="sc-section"><th colspan="{len(columns) + 2}">{escape(section)}</th></tr>')
        for case_id in case_ids:
            cells = []
            for name, _ in columns:
                items = by_case.get((case_id, name), [])
                if not items:
                    cells.append("<td>—</td>")
                    continue
                v = worst([i.verdict for i in items])
                first = max(items, key=lambda i: SEVERITY.get(i.verdict, 5))
                n = len(items)
                bad = sum(1 for i in items if i.verdict == v)
                label = v if n == 1 else f"{v} ({bad}/{n})"
                cells.append(
                    f'<td class="v {verdict_class_name(v)}"><a href="{escape(anchor(first.html_id))}" '
                    f'title="{escape(first.nodeid)}">{escape(label)}</a></td>'
                )
            parts.append(f"<tr><td>{escape(case_id)}</td><td>{escape(requirement[case_id])}</td>{''.join(cells)}</tr>")
    parts.append("</table></div></div>")
    return "".join(parts)


def _host_stack_row(host_stacks: dict[str, dict[str, Any]], duts: list[str]) -> str:
    """One row: per DUT, each host stack that applies to it, works or breaks at step N."""
    cells = []
    for dut in duts:
        said = [
            (entry["name"], entry["verdict"], entry["breaks_at"])
            for entry in host_stacks.get(dut, {}).values()
            if entry["verdict"] != NOT_APPLICABLE
        ]
        if not said:
            cells.append("<td>—</td>")
            continue
        lines = []
        for name, verdict, where in sorted(said, key=lambda s: str(s[0])):
            shown = where["detail"] if where else verdict
            cls = verdict_class_name(PASS if verdict == WORKS else FAIL if verdict == BREAKS else verdict)
            lines.append(f'<span class="{cls}">{escape(str(name))}: {escape(str(shown))}</span>')
        cells.append(f'<td><a href="#sc-host-stacks">{"<br>".join(lines)}</a></td>')
    return (
        '<tr class="sc-host-stacks-row"><th>host stacks</th><td>the host drivers that ship with the module: '
        f"works, or breaks at step N (not a conformance verdict)</td>{''.join(cells)}</tr>"
    )


def lazy_block(height_px: int) -> str:
    """Opens a block the browser lays out only once it is scrolled near (CSS content-visibility).

    A run of many DUTs makes the matrix and the coverage wide and long; laid out at once they cost
    as much as the rest of the page. ``height_px`` is the block's estimated height until then.
    """
    return f'<div class="sc-lazy" style="contain-intrinsic-size:auto {height_px}px">'


def _identity_table(identities: dict[str, dict[str, str]]) -> str:
    if not identities:
        return "<p>No device was reached.</p>"
    keys: list[str] = []
    for ident in identities.values():
        keys += [k for k in ident if k not in keys]
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(ident.get(k, ''))}</td>" for k in keys) + "</tr>"
        for ident in identities.values()
    )
    return f'<table class="sc-ident"><tr>{head}</tr>{rows}</table>'


def render_assumptions(points: list[dict[str, Any]]) -> str:
    """The Assumptions section: each silent point the run met, the DUT's observed choice, the cases it
    touched, and whether a choice other than the suite's default made a verdict NON-STRICT."""
    if not points:
        return '<h2 id="sc-assumptions">Assumptions</h2><p>No case met a point where the documents are silent.</p>'
    rows = []
    for p in points:
        observed = ", ".join(f"{escape(c)}{f' ({n} cases)' if n > 1 else ''}" for c, n in p["choices"].items())
        effect = "NON-STRICT" if p["non_strict"] else "none (the default)"
        rows.append(
            f"<tr><td>{escape(p['point'])}<br><small>{escape(p['title'])}</small></td>"
            f"<td>{observed}</td><td>{escape(p['default'])}</td><td>{escape(', '.join(p['cases']))}</td>"
            f"<td>{effect}</td><td>{escape(p.get('detail', ''))}</td></tr>"
        )
    return (
        '<h2 id="sc-assumptions">Assumptions</h2><p>Where the documents are silent the suite accepts every '
        "registered choice and records the DUT's; a choice other than the default is NON-STRICT "
        '(FAIL under --strict).</p><table class="sc-assumptions"><tr><th>silent point</th><th>DUT\'s choice</th>'
        "<th>default</th><th>cases</th><th>verdict effect</th><th>measured / detail</th></tr>"
        + "".join(rows)
        + "</table>"
    )
