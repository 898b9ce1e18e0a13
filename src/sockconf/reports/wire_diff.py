"""Compare two runs' wire behaviour case by case, even where both verdicts agree.

Each case's trace is reduced to its exchange: what the host sent and the DUT answered (the decoded
rows the sessions record, ``→ …`` and ``← …``) and what the suite's network peer did. What
legitimately differs from run to run is normalised first: timestamps (not compared at all), how
many times a request was polled before its answer changed, IPv4 addresses, the peer's source and
listening ports, the frame IDs the suite chose (numbered by first appearance, ``00`` kept: it means
"no reply" or "unsolicited"), and socket IDs (numbered by first appearance, ``FF`` kept), so which
client got which socket ID does not count. Then per case: the same, or the first differing frame or
reply with a field-level diff, and the frames one run has and the other lacks. Reply latencies
(``latency`` in the JSON) are compared against thresholds.

Only the text the trace rows carry is read: reports import no codec. A long payload is compared by
the preview and length its decoded row shows.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

from sockconf.core.trace import NET, NOTE

_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_PEER_PORTS = (
    re.compile(r"connected [\d.]+:(\d+) →"),
    re.compile(r"accepted from [\d.]+:(\d+)"),
    re.compile(r"bound to [\d.]+:(\d+)"),
    re.compile(r"listens on [\d.]+:(\d+)"),
    re.compile(r"port [\d.]+:(\d+) has no listener"),
)
_BYTES = re.compile(r"\[((?:[0-9A-F]{2} )*[0-9A-F]{2})\]")
_FRAME_ID = re.compile(r"\bframe_id=([0-9A-F]{2})\b")
_SOCKET_ID = re.compile(r"\b((?:client_)?socket_id)=([0-9A-F]{2})\b")
_CALL = re.compile(r"^(?P<head>[→←] [^(]*)\((?P<fields>.*)\)(?P<tail>.*)$", re.S)
_FIELD_SPLIT = re.compile(r", (?=[A-Za-z_]\w*=)")


@dataclass(frozen=True)
class Event:
    index: int  # the row's position in the case's trace
    t_ms: float
    raw: str  # as recorded: "← 0xC0 Socket Create Response(frame_id=2B, ...)"
    norm: str  # normalised for comparison


@dataclass
class CaseDiff:
    key: str
    case_id: str
    nodeid_a: str
    nodeid_b: str
    verdict_a: str
    verdict_b: str
    same: bool
    first: tuple[Event | None, Event | None] | None = None  # the first differing pair (None: missing)
    fields: list[str] = field(default_factory=list)  # field-level diff of the first difference
    extra: list[Event] = field(default_factory=list)  # in B, not in A
    missing: list[Event] = field(default_factory=list)  # in A, not in B
    latency_a: dict[str, float] | None = None
    latency_b: dict[str, float] | None = None
    latency_grew: str = ""

    @property
    def verdict_same(self) -> bool:
        return self.verdict_a == self.verdict_b


@dataclass
class WireDiff:
    cases: list[CaseDiff] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)

    @property
    def different(self) -> list[CaseDiff]:
        return [c for c in self.cases if not c.same]

    @property
    def slower(self) -> list[CaseDiff]:
        return [c for c in self.cases if c.latency_grew]

    @property
    def changed_quietly(self) -> list[CaseDiff]:
        """Cases whose wire behaviour changed although their verdict did not."""
        return [c for c in self.different if c.verdict_same]


def events(trace: list[dict[str, Any]]) -> list[Event]:
    """The case's exchange, normalised (see the module docstring)."""
    peer_ports: dict[str, str] = {}
    for row in trace:
        if row.get("direction") == NET:
            for pattern in _PEER_PORTS:
                for port in pattern.findall(row.get("text", "")):
                    peer_ports.setdefault(port, f"<port{len(peer_ports) + 1}>")
    addresses: dict[str, str] = {}
    frame_ids: dict[str, str] = {}
    socket_ids: dict[str, str] = {}

    def norm(text: str) -> str:
        text = _BYTES.sub(_address_bytes, text)
        text = _IPV4.sub(lambda m: addresses.setdefault(m.group(1), f"<ip{len(addresses) + 1}>"), text)
        for port, name in peer_ports.items():
            text = re.sub(rf"(?<![\w.]){port}(?!\d)", name, text)
            text = text.replace(f" (0x{int(port):04X})", "")
        text = _FRAME_ID.sub(
            lambda m: "frame_id=" + (m.group(1) if m.group(1) == "00" else _number(frame_ids, m.group(1), "F")), text
        )
        return _SOCKET_ID.sub(
            lambda m: f"{m.group(1)}=" + (m.group(2) if m.group(2) == "FF" else _number(socket_ids, m.group(2), "S")),
            text,
        )

    out = []
    for i, row in enumerate(trace):
        direction, text = row.get("direction"), row.get("text", "")
        if direction == NET or (direction == NOTE and text.startswith(("→ ", "← "))):
            out.append(Event(i, float(row.get("t_ms", 0.0)), text, norm(text)))
    return _without_polls(out)


def _without_polls(evs: list[Event]) -> list[Event]:
    """A request sent again before anything else the host sends (polling until the answer changes)
    counts once: how many polls a wait takes depends on timing. Its earlier request/reply pairs go."""
    host = [i for i, e in enumerate(evs) if e.norm.startswith("→ ")]
    drop: set[int] = set()
    for this, nxt in itertools.pairwise(host):
        if evs[this].norm == evs[nxt].norm:
            drop.add(this)
            drop.update(j for j in range(this + 1, nxt) if evs[j].norm.startswith("← "))
    return [e for i, e in enumerate(evs) if i not in drop]


def _address_bytes(m: re.Match[str]) -> str:
    """Bytes that spell an IPv4 address, as 4 bytes or as ASCII text (0x42's two address types),
    become the dotted address, so that the address normalisation sees them; other bytes stay."""
    data = bytes.fromhex(m.group(1))
    if len(data) == 4:
        return ".".join(str(b) for b in data)
    text = data.decode("latin-1")
    return text if _IPV4.fullmatch(text) else m.group(0)


def _number(seen: dict[str, str], value: str, prefix: str) -> str:
    return seen.setdefault(value, f"{prefix}{len(seen) + 1}")


def fields_of(text: str) -> tuple[str, dict[str, str]] | None:
    """``"← NAME(a=1, b=2) tail"`` -> ``("← NAME tail", {"a": "1", "b": "2"})``; None if not that shape."""
    m = _CALL.match(text)
    if m is None:
        return None
    parts = _FIELD_SPLIT.split(m.group("fields")) if m.group("fields") else []
    values = {}
    for part in parts:
        name, sep, value = part.partition("=")
        if not sep:
            return None
        values[name] = value
    return m.group("head").strip() + m.group("tail"), values


def field_diff(a: Event, b: Event) -> list[str]:
    """What differs between two frames or replies, field by field where both have fields."""
    fa, fb = fields_of(a.norm), fields_of(b.norm)
    if fa is None or fb is None or fa[0] != fb[0]:
        return [f"A: {a.raw}", f"B: {b.raw}"]
    raw_a, raw_b = fields_of(a.raw), fields_of(b.raw)
    out = []
    for name in list(fa[1]) + [n for n in fb[1] if n not in fa[1]]:
        va, vb = fa[1].get(name), fb[1].get(name)
        if va == vb:
            continue
        out.append(f"{name}: A {_shown(raw_a, name, va)}, B {_shown(raw_b, name, vb)}")
    return out or [f"A: {a.raw}", f"B: {b.raw}"]


def _shown(raw: tuple[str, dict[str, str]] | None, name: str, normalised: str | None) -> str:
    """A field's value as recorded, with its normalised form when that differs (``0C [F2]``: the
    second frame ID of the case)."""
    if normalised is None:
        return "—"
    value = raw[1].get(name, normalised) if raw else normalised
    return value if value == normalised else f"{value} [{normalised}]"


def compare_case(
    key: str, a: dict[str, Any], b: dict[str, Any], latency_factor: float, latency_add_ms: float
) -> CaseDiff:
    ea, eb = events(a.get("trace", [])), events(b.get("trace", []))
    out = CaseDiff(
        key=key,
        case_id=a.get("case_id", ""),
        nodeid_a=a["nodeid"],
        nodeid_b=b["nodeid"],
        verdict_a=a.get("verdict", ""),
        verdict_b=b.get("verdict", ""),
        same=[e.norm for e in ea] == [e.norm for e in eb],
        latency_a=a.get("latency"),
        latency_b=b.get("latency"),
    )
    if not out.same:
        matcher = difflib.SequenceMatcher(a=[e.norm for e in ea], b=[e.norm for e in eb], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            if out.first is None:
                if pairs:
                    out.first = (ea[i1], eb[j1])
                    out.fields = field_diff(ea[i1], eb[j1])
                else:
                    out.first = (ea[i1] if i2 > i1 else None, eb[j1] if j2 > j1 else None)
            out.missing += ea[i1 + pairs : i2]
            out.extra += eb[j1 + pairs : j2]
    la, lb = out.latency_a, out.latency_b
    if la and lb:
        before, after = float(la["median_ms"]), float(lb["median_ms"])
        if after > before * latency_factor and after - before > latency_add_ms:
            out.latency_grew = f"median reply latency {before:.1f} ms → {after:.1f} ms (max {lb['max_ms']:.1f} ms)"
    return out


def _key(case: dict[str, Any], align: dict[str, str]) -> str:
    """The alignment key: the node ID, with a profile of run B renamed to its counterpart in run A."""
    nodeid = str(case["nodeid"])
    profile = str(case.get("profile", ""))
    if profile in align:
        head, sep, params = nodeid.partition("[")
        nodeid = head + sep + params.replace(profile, align[profile])
    return nodeid


def compare(
    a: dict[str, Any],
    b: dict[str, Any],
    align: dict[str, str] | None = None,
    latency_factor: float = 2.0,
    latency_add_ms: float = 50.0,
) -> WireDiff:
    """``align`` maps a profile of run B to the profile of run A its cases line up with."""
    before = {str(c["nodeid"]): c for c in a["cases"] if c.get("phase", "call") == "call"}
    after = {_key(c, align or {}): c for c in b["cases"] if c.get("phase", "call") == "call"}
    out = WireDiff()
    for key, case in before.items():
        other = after.get(key)
        if other is None:
            out.only_a.append(key)
        else:
            out.cases.append(compare_case(key, case, other, latency_factor, latency_add_ms))
    out.only_b = [k for k in after if k not in before]
    return out


def _event_line(e: Event | None) -> str:
    return "(no counterpart: the other run has more here)" if e is None else f"#{e.index} {e.raw}"


def case_lines(c: CaseDiff) -> list[str]:
    verdict = c.verdict_a if c.verdict_same else f"{c.verdict_a} → {c.verdict_b}"
    lines = [f"{c.case_id:<18} {verdict:<16} {c.key}"]
    if c.first is not None:
        a, b = c.first
        lines.append(f"    first difference: A {_event_line(a)}")
        lines.append(f"                      B {_event_line(b)}")
        lines += [f"      • {f}" for f in c.fields]
    if c.extra:
        lines.append(f"    {len(c.extra)} frame(s)/event(s) only in B, first: {c.extra[0].raw}")
    if c.missing:
        lines.append(f"    {len(c.missing)} frame(s)/event(s) only in A, first: {c.missing[0].raw}")
    return lines


def render(diff: WireDiff, a: dict[str, Any], b: dict[str, Any]) -> str:
    lines = [
        f"A: {a['suite']['date']}  {a['suite']['version']}  {', '.join(sorted(a.get('duts', {}))) or 'no DUT'}",
        f"B: {b['suite']['date']}  {b['suite']['version']}  {', '.join(sorted(b.get('duts', {}))) or 'no DUT'}",
        f"{len(diff.cases)} case(s) aligned: {len(diff.cases) - len(diff.different)} same on the wire, "
        f"{len(diff.different)} different; {len(diff.slower)} slower; "
        f"{len(diff.only_a)} only in A, {len(diff.only_b)} only in B",
        "",
        f"BEHAVIOUR CHANGED, VERDICT DID NOT: {len(diff.changed_quietly)}",
    ]
    lines += [f"  {c.case_id:<18} {c.verdict_a:<16} {c.key}" for c in diff.changed_quietly]
    lines.append(f"DIFFERENT WIRE BEHAVIOUR: {len(diff.different)}")
    for c in sorted(diff.different, key=lambda c: (c.case_id, c.key)):
        lines += ["  " + line for line in case_lines(c)]
    lines.append(f"REPLY LATENCY GREW: {len(diff.slower)}")
    lines += [f"  {c.case_id:<18} {c.latency_grew}  {c.key}" for c in diff.slower]
    for title, keys in (("ONLY IN A", diff.only_a), ("ONLY IN B", diff.only_b)):
        if keys:
            lines.append(f"{title}: {len(keys)}")
            lines += [f"  {k}" for k in keys]
    return "\n".join(lines)


def render_html(diff: WireDiff, a: dict[str, Any], b: dict[str, Any]) -> str:
    """The same as ``render``, as one self-contained page; every recorded text is escaped."""
    css = (
        "body{font:13px/1.4 system-ui,sans-serif;margin:16px}pre{font:12px/1.35 ui-monospace,monospace;"
        "white-space:pre-wrap}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;"
        "text-align:left;vertical-align:top;font-size:12px}.quiet{background:#fff5d6}.diff{background:#fbe0e0}"
    )
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>sockconf wire diff</title><style>{css}</style>"]
    parts.append("</head><body><h1>Wire diff</h1><pre>")
    parts.append(escape("\n".join(render(diff, a, b).splitlines()[:3])))
    parts.append("</pre><h2>Cases whose wire behaviour differs</h2>")
    parts.append(
        "<table><tr><th>case</th><th>verdict A → B</th><th>first difference</th><th>fields</th>"
        "<th>only in B / only in A</th></tr>"
    )
    for c in sorted(diff.different, key=lambda c: (c.case_id, c.key)):
        css_class = "quiet" if c.verdict_same else "diff"
        first = "" if c.first is None else f"A {_event_line(c.first[0])}\nB {_event_line(c.first[1])}"
        parts.append(
            f'<tr class="{css_class}"><td>{escape(c.case_id)}<br><small>{escape(c.key)}</small></td>'
            f"<td>{escape(c.verdict_a)} → {escape(c.verdict_b)}</td><td><pre>{escape(first)}</pre></td>"
            f"<td><pre>{escape(chr(10).join(c.fields))}</pre></td><td>{len(c.extra)} / {len(c.missing)}</td></tr>"
        )
    parts.append("</table><h2>Reply latency grew</h2><ul>")
    parts += [
        f"<li>{escape(c.case_id)}: {escape(c.latency_grew)} <small>{escape(c.key)}</small></li>" for c in diff.slower
    ]
    parts.append("</ul></body></html>")
    return "".join(parts)
