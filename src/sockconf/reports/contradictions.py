"""The report's "Contradictions in the documents" section: every pair of statements that cannot both hold,
how it is resolved, and what each DUT did where a case met it.

The contradictions arrive as plain data (``core.record.recorded_contradictions``: one dict per
contradiction, each side with its statements quoted from the requirement catalogue); what a case saw of an
unresolved one travels on its result (``CaseResult.contradictions``). A settled contradiction shows, per
DUT, the worst verdict of the cases that judge it (they follow the winner); an unresolved one shows which
statement the DUT followed, how often, in which cases. Everything is escaped: the quotes too.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from sockconf.reports.matrix import anchor, lazy_block
from sockconf.reports.results import SEVERITY, CaseResult, verdict_class_name, worst

SETTLED = "settled"
UNRESOLVED = "unresolved"
NEITHER = "neither"

CONTRADICTIONS_CSS = """
<style>
table.sc-contra{border-collapse:collapse;margin:6px 0}
table.sc-contra th,table.sc-contra td{border:1px solid #ddd;padding:3px 8px;font-size:12px;text-align:left;
  vertical-align:top}
table.sc-contra td.stmt{min-width:18em;max-width:30em}
table.sc-contra td.res{max-width:36em}
table.sc-contra .quote{white-space:pre-wrap;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;display:block;
  margin:2px 0 4px}
table.sc-contra .won{font-weight:700;color:#165c26}
table.sc-contra tr.contra-unresolved td.res b{color:#7a5a00}
table.sc-contra div.v{margin:2px 0;padding:1px 4px}
table.sc-contra div.v a{color:inherit;text-decoration:none}
</style>
"""


def _dut(r: CaseResult) -> str:
    return r.dut or r.profile


def contradictions(catalogue: list[dict[str, Any]], results: list[CaseResult]) -> list[dict[str, Any]]:
    """One entry per contradiction of the families that ran (all when none did): its catalogue fields and
    ``duts``, per DUT that ran a case judging it: ``verdict`` (the worst of those cases' items),
    ``cases`` and, for an unresolved one, ``sides`` (how many items saw the DUT follow ``a``, ``b`` or
    ``neither``)."""
    ran_families = {r.case_id.split("-", 1)[0].lower() for r in results if r.case_id}
    seen: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in results:
        for observation in r.contradictions:
            per_dut = seen[str(observation["contradiction"])].setdefault(_dut(r), {"sides": {}, "cases": []})
            side = str(observation["side"])
            per_dut["sides"][side] = per_dut["sides"].get(side, 0) + 1
            if r.case_id not in per_dut["cases"]:
                per_dut["cases"].append(r.case_id)
    out = []
    for entry in catalogue:
        if ran_families and entry.get("family", "") not in ran_families:
            continue
        judging = set(entry.get("cases", []))
        duts: dict[str, dict[str, Any]] = {}
        by_dut: dict[str, list[CaseResult]] = defaultdict(list)
        for r in results:
            if r.case_id in judging:
                by_dut[_dut(r)].append(r)
        for dut in sorted(set(by_dut) | set(seen.get(entry["id"], {}))):
            items = by_dut.get(dut, [])
            met = seen.get(entry["id"], {}).get(dut, {"sides": {}, "cases": []})
            cases = sorted({i.case_id for i in items} | set(met["cases"]))
            record: dict[str, Any] = {"verdict": worst([i.verdict for i in items]) if items else "", "cases": cases}
            if entry.get("resolution") == UNRESOLVED:
                record["sides"] = dict(sorted(met["sides"].items()))
            duts[dut] = record
        out.append({**entry, "duts": duts})
    return out


def summary(entries: list[dict[str, Any]]) -> dict[str, int]:
    """How many contradictions are settled and unresolved, and how many unresolved ones a case met."""
    unresolved = [e for e in entries if e.get("resolution") == UNRESOLVED]
    return {
        SETTLED: sum(1 for e in entries if e.get("resolution") == SETTLED),
        UNRESOLVED: len(unresolved),
        "met": sum(1 for e in unresolved if any(d.get("sides") for d in e["duts"].values())),
    }


def _statements(entry: dict[str, Any], side: str) -> str:
    data = entry[side]
    won = entry.get("resolution") == SETTLED and entry.get("winner") == side
    head = f'<span class="won">({escape(side)}) settled for this side</span>' if won else f"({escape(side)})"
    parts = [head, f"<br><i>a module following it:</i> {escape(data.get('behaviour', ''))}"]
    quoted = [_quoted(req) for req in data.get("requirements", [])]
    parts += quoted[:1]
    if len(quoted) > 1:
        more = len(quoted) - 1
        parts.append(f"<details><summary>{more} more statement{'s' if more > 1 else ''}</summary>")
        parts += quoted[1:]
        parts.append("</details>")
    return "".join(parts)


def _quoted(req: dict[str, Any]) -> str:
    """One statement: the quote, then its requirement ID (linked to the coverage row) and its source."""
    where = escape(req.get("document", ""))
    if req.get("section"):
        where += f", § {escape(req['section'])}"
    if req.get("step"):
        where += f", step {escape(req['step'])}"
    rid = escape(req.get("id", ""))
    quote = escape(req.get("quote", ""))
    return f'<span class="quote">{quote}</span><small><a href="#req-{rid}">{rid}</a>: {where}</small>'


def _resolution(entry: dict[str, Any]) -> str:
    if entry.get("resolution") == SETTLED:
        text = f"<b>settled for ({escape(entry.get('winner', ''))})</b>: {escape(entry.get('settled_by', ''))}"
    else:
        text = (
            "<b>unresolved</b>: a module following either statement is NON-STRICT (not a FAIL, even under "
            f"--strict), one following neither FAILs. Searched: {escape(entry.get('searched', ''))}"
        )
    if entry.get("note"):
        text += f"<br><small>{escape(entry['note'])}</small>"
    return text


def _seen(dut: str, record: dict[str, Any], first: CaseResult | None) -> str:
    """What one DUT did: the statement(s) it followed (unresolved), the worst verdict, the cases."""
    lines = [f"<b>{escape(dut)}</b>"]
    sides = record.get("sides") or {}
    if sides:
        followed = ", ".join(
            ("neither (FAIL)" if s == NEITHER else f"({s})") + (f" in {n} items" if n > 1 else "")
            for s, n in sides.items()
        )
        lines.append(f"followed {escape(followed)}")
    verdict = record.get("verdict", "")
    if verdict:
        shown = escape(verdict)
        if first is not None:
            shown = f'<a href="{escape(anchor(first.html_id))}">{shown}</a>'
        lines.append(f"· {shown}")
    if record.get("cases"):
        lines.append(f"<small>{escape(', '.join(record['cases']))}</small>")
    css = f' class="v {verdict_class_name(verdict)}"' if verdict else ""
    return f"<div{css}>{' '.join(lines)}</div>"


def render_contradictions(entries: list[dict[str, Any]], results: list[CaseResult]) -> str:
    """The section: each contradiction with both statements quoted and their sources, its resolution and
    citation (or what was searched), the cases that judge it, and per DUT what happened."""
    head = '<div class="sc-head"><h2 id="sc-contradictions">Contradictions in the documents</h2>'
    if not entries:
        return f"{head}<p>No contradiction between the documents' statements is catalogued.</p></div>"
    worst_item: dict[tuple[str, str], CaseResult] = {}
    for r in results:
        key = (r.case_id, _dut(r))
        if key not in worst_item or SEVERITY.get(r.verdict, 5) > SEVERITY.get(worst_item[key].verdict, 5):
            worst_item[key] = r
    counts = summary(entries)
    parts = [CONTRADICTIONS_CSS, head]
    parts.append(
        f"<p>{counts[SETTLED]} settled, {counts[UNRESOLVED]} unresolved ({counts['met']} met by a case in this run). "
        "Where the seed documents or the spec notes say two things that cannot both hold, both statements are "
        "quoted from the requirement catalogue. <b>Settled</b>: other vendor material decides, cited; the cases "
        "require the winning statement, and a FAIL on the point names the contradiction. <b>Unresolved</b>: "
        "nothing decides; a module following either statement gets a NON-STRICT finding quoting both (not a FAIL, "
        "even under --strict), one following neither FAILs.</p>"
    )
    parts.append(
        lazy_block(len(entries) * 120)
        + '<table class="sc-contra"><tr><th>contradiction</th><th>statement (a)</th><th>statement (b)</th>'
        "<th>resolution</th><th>cases that judge it</th><th>in this run</th></tr>"
    )
    for e in entries:
        cases = ", ".join(escape(c) for c in e.get("cases", [])) or "none (no case meets it)"
        seen = []
        for dut, record in e["duts"].items():
            items = [worst_item[(c, dut)] for c in record.get("cases", []) if (c, dut) in worst_item]
            first = max(items, key=lambda i: SEVERITY.get(i.verdict, 5)) if items else None
            seen.append(_seen(dut, record, first))
        parts.append(
            f'<tr class="contra-{escape(e.get("resolution", ""))}" id="contra-{escape(e["id"])}">'
            f"<td>{escape(e['id'])}<br><small>{escape(e.get('title', ''))}</small></td>"
            f'<td class="stmt">{_statements(e, "a")}</td><td class="stmt">{_statements(e, "b")}</td>'
            f'<td class="res">{_resolution(e)}</td><td>{cases}</td><td>{"".join(seen) or "not met"}</td></tr>'
        )
    parts.append("</table></div></div>")
    return "".join(parts)
