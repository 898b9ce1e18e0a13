"""The report's Preflight section: each DUT's readiness checks, made once before its first case.

A DUT that failed its preflight was not tested (its cases are INCONCLUSIVE); this section says which
check failed, what was found and what to do. Everything that came from a DUT is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

PREFLIGHT_CSS = """
<style>
table.sc-preflight td,table.sc-preflight th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee;
font-size:12px}
.pf-passed{color:#165c26}
.pf-failed{color:#8a1010;font-weight:600}
.pf-not-checked{color:#666}
</style>
"""


def render_preflight(preflights: dict[str, list[dict[str, Any]]]) -> str:
    """One table per DUT (profile): check, status, what was found, what to do, seconds."""
    if not preflights:
        return ""
    parts = [PREFLIGHT_CSS, '<div class="sc-head"><h2>Preflight</h2>']
    for profile, checks in preflights.items():
        failed = [c for c in checks if c.get("status") == "failed"]
        verdict = "not ready: not tested" if failed else "ready"
        parts.append(f"<h3>{escape(profile)} — {escape(verdict)}</h3>")
        if not checks:
            parts.append("<p>This family declares no preflight checks.</p>")
            continue
        parts.append(
            '<table class="sc-preflight"><tr><th>check</th><th>status</th><th>found</th>'
            "<th>what to do</th><th>s</th></tr>"
        )
        for c in checks:
            status = str(c.get("status", ""))
            parts.append(
                f"<tr><td>{escape(str(c.get('name', '')))}</td>"
                f'<td class="pf-{escape(status.replace(" ", "-"))}">{escape(status)}</td>'
                f"<td>{escape(str(c.get('detail', '')))}</td><td>{escape(str(c.get('advice', '')))}</td>"
                f"<td>{float(c.get('seconds', 0.0)):.2f}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</div>")
    return "".join(parts)
