"""Compare two runs' ``conformance.json``: regressions, progressions, new and removed cases.

Items are matched DUT by DUT: by the DUT's name and the pytest node ID (case, DUT and parameters;
the ``@DUT`` pytest-xdist appends under ``--dist loadgroup`` is left out), so two runs of the same
suite against two firmware versions line up item by item, and the changes are summed up per DUT.
A report written before DUTs had names counts its profile as the DUT's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sockconf.reports.results import GOOD


class ReportError(Exception):
    """A file that is not a sockconf JSON report; the message says which and why."""


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != "sockconf-report/1":
        raise ReportError(f'{path} is not a sockconf report (no "schema": "sockconf-report/1")')
    return data


@dataclass
class Change:
    nodeid: str
    case_id: str
    old: str
    new: str
    dut: str = ""

    def line(self) -> str:
        return f"{self.case_id:<18} {self.dut:<16} {self.old:>14} → {self.new:<14} {self.nodeid}"


def _dut(case: dict[str, Any]) -> str:
    return str(case.get("dut") or case.get("profile") or "")


def _key(case: dict[str, Any]) -> tuple[str, str]:
    dut = _dut(case)
    return dut, str(case["nodeid"]).removesuffix(f"@{dut}")


@dataclass
class RunDiff:
    regressions: list[Change] = field(default_factory=list)
    progressions: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)  # other verdict changes (e.g. PASS -> NON-STRICT)
    new: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)


def compare(old: dict[str, Any], new: dict[str, Any]) -> RunDiff:
    before = {_key(c): c for c in old["cases"]}
    after = {_key(c): c for c in new["cases"]}
    out = RunDiff()
    for (dut, nodeid), case in after.items():
        prev = before.get((dut, nodeid))
        if prev is None:
            out.new.append(Change(nodeid, case["case_id"], "—", case["verdict"], dut))
            continue
        a, b = prev["verdict"], case["verdict"]
        if a == b:
            continue
        change = Change(nodeid, case["case_id"], a, b, dut)
        if a in GOOD and b not in GOOD:
            out.regressions.append(change)
        elif a not in GOOD and b in GOOD:
            out.progressions.append(change)
        else:
            out.changed.append(change)
    out.removed = [Change(k[1], c["case_id"], c["verdict"], "—", k[0]) for k, c in before.items() if k not in after]
    return out


def render(diff: RunDiff, old: dict[str, Any], new: dict[str, Any]) -> str:
    lines = [
        f"old: {old['suite']['date']}  {old['suite']['version']}  {_duts(old)}",
        f"new: {new['suite']['date']}  {new['suite']['version']}  {_duts(new)}",
        "",
    ]
    for title, items in (
        ("REGRESSIONS", diff.regressions),
        ("PROGRESSIONS", diff.progressions),
        ("OTHER VERDICT CHANGES", diff.changed),
        ("NEW CASES", diff.new),
        ("REMOVED CASES", diff.removed),
    ):
        lines.append(f"{title}: {len(items)}")
        lines += ["  " + c.line() for c in sorted(items, key=lambda c: (c.dut, c.case_id, c.nodeid))]
    duts = sorted({_dut(c) for c in (*old["cases"], *new["cases"])})
    if len(duts) > 1:
        lines += ["", "PER DUT (regressions / progressions / other / new / removed):"]
        for dut in duts:
            counts = [sum(1 for c in items if c.dut == dut) for items in _groups(diff)]
            lines.append(f"  {dut:<24} " + " / ".join(map(str, counts)))
    return "\n".join(lines)


def _groups(diff: RunDiff) -> list[list[Change]]:
    return [diff.regressions, diff.progressions, diff.changed, diff.new, diff.removed]


def _duts(report: dict[str, Any]) -> str:
    parts = []
    for name, ident in sorted(report.get("duts", {}).items()):
        fw = next((v for k, v in ident.items() if "firmware" in k.lower()), "")
        parts.append(f"{name}{' fw ' + fw if fw else ''}")
    return ", ".join(parts) or "no DUT"
