"""The per-case wire trace as an HTML table: ms since case start, direction, hex, ASCII, decoded.

Every byte and every text that came from a DUT or a peer is escaped here; nothing reaches the
page unescaped. Long payloads are cut in the HTML (the JSON keeps them whole).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from sockconf.core.trace import NET, NOTE, RX, TX, TraceEntry

HEX_LIMIT = 96  # bytes shown per row before cutting

CSS = """
<style>
table.sc-trace{border-collapse:collapse;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;margin:4px 0 8px}
table.sc-trace td,table.sc-trace th{padding:1px 8px;vertical-align:top;text-align:left;border-bottom:1px solid #eee}
table.sc-trace td:nth-child(1){text-align:right}
table.sc-trace tr.tx td:nth-child(2){color:#1f5fbf}
table.sc-trace tr.rx td:nth-child(2){color:#1d7a2f}
table.sc-trace tr.net td{color:#8a5a00}
table.sc-trace tr.note td{color:#555;font-style:italic}
table.sc-trace td:nth-child(3){word-break:break-all;max-width:46em}
table.sc-trace td:nth-child(4){word-break:break-all;max-width:24em;color:#666}
div.sc-failure{white-space:pre-wrap;font:12px/1.4 ui-monospace,monospace;background:#fff4f4;border-left:3px solid #c33;
  padding:6px 10px;margin:4px 0}
div.sc-finding{background:#fffbe6;border-left:3px solid #d9a400;padding:4px 10px;margin:4px 0}
</style>
"""

_CLASS = {TX: "tx", RX: "rx", NET: "net", NOTE: "note"}


def printable(data: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)


def hex_cut(data: bytes, limit: int = HEX_LIMIT) -> str:
    shown = data[:limit].hex(" ").upper()
    if len(data) > limit:
        shown += f" … (+{len(data) - limit} bytes, {len(data)} in all)"
    return shown


def render_trace(entries: Iterable[TraceEntry], t0: float, max_rows: int | None = None) -> str:
    """``max_rows``: show only the first rows (passed cases: keeps a 2,000-case page quick to open)."""
    rows = []
    entries = list(entries)
    hidden = len(entries) - max_rows if max_rows is not None and len(entries) > max_rows else 0
    for e in entries[: len(entries) - hidden]:
        ms = (e.t - t0) * 1000.0
        cls = _CLASS.get(e.direction, "note")
        # Terse markup (the columns are styled by position, end tags the HTML parser implies are left
        # out): every case's trace travels inside the report's data, so its size is the report's size.
        rows.append(
            f"<tr class={cls}><td>{ms:.1f}<td>{escape(e.direction)}<td>{escape(hex_cut(e.data))}"
            f"<td>{escape(printable(e.data[:HEX_LIMIT]))}<td>{escape(e.text)}"
        )
    if not rows:
        return "<p><em>No bytes were exchanged in this case.</em></p>"
    if hidden:
        rows.append(f"<tr class=note><td colspan=5>… {hidden} more rows: the whole trace is in conformance.json")
    head = "<tr><th>ms<th>direction<th>hex<th>ASCII<th>decoded / action"
    return f'<table class="sc-trace">{head}{"".join(rows)}</table>'
