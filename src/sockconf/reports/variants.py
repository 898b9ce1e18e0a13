"""Suite validity: run the suite against every conformant emulator variant; no case may FAIL or ERROR.

A variant is a module that chose differently where the documents are silent (``sockconf/data/silent/``).
A FAIL or ERROR against one is a defect in the suite, not in the module. Each variant runs in its own
pytest process on a loopback address of its own (like ``reports.sensitivity``), a few at a time.
Families and variants are asked of the emulator's CLI, so this module imports no family's code.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path

from sockconf.reports.results import FAIL, INCONCLUSIVE, verdict_class_name
from sockconf.reports.suite_runs import emulator_names, suite_report

BAD = (FAIL, INCONCLUSIVE)


@dataclass
class VariantResult:
    family: str
    variant: str
    verdicts: dict[str, int] = field(default_factory=dict)  # verdict -> how many case items
    bad: dict[str, str] = field(default_factory=dict)  # case ID -> FAIL / ERROR
    non_strict: list[str] = field(default_factory=list)  # case IDs with a NON-STRICT verdict
    error: str = ""  # the run itself went wrong (no report)

    @property
    def ok(self) -> bool:
        return not self.bad and not self.error


def variants_of(family: str) -> list[str]:
    return emulator_names(family, "--list-variants")


def run_variant(family: str, variant: str, host: str, extra: Iterable[str] = ()) -> VariantResult:
    """Run one family's suite against one variant."""
    result = VariantResult(family, variant)
    data, tail = suite_report(family, host, ["--variant", f"{family}:{variant}", *extra], timeout=1200)
    if data is None:
        result.error = f"the run wrote no report: {tail}"
        return result
    counts: Counter[str] = Counter()
    for case in data["cases"]:
        verdict = str(case["verdict"])
        counts[verdict] += 1
        if verdict in BAD:
            # A case whose setup failed never ran: an ERROR of the suite against the variant.
            result.bad[case["case_id"]] = "ERROR" if case.get("phase") == "setup" else verdict
        elif verdict == "NON-STRICT" and case["case_id"] not in result.non_strict:
            result.non_strict.append(case["case_id"])
    result.verdicts = dict(sorted(counts.items()))
    return result


def measure(selected: dict[str, list[str]], jobs: int = 2, extra: Iterable[str] = ()) -> list[VariantResult]:
    """``selected``: family -> variant names; each runs in its own process and loopback address."""
    extra = list(extra)
    work = [(fam, v) for fam, names in selected.items() for v in names]
    hosts = {item: f"127.78.{i // 250}.{1 + i % 250}" for i, item in enumerate(work)}

    def one(item: tuple[str, str]) -> VariantResult:
        try:
            return run_variant(item[0], item[1], hosts[item], extra)
        except (OSError, subprocess.SubprocessError, json.JSONDecodeError, KeyError) as exc:
            return VariantResult(item[0], item[1], error=str(exc))

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, work))


def write(results: list[VariantResult], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "schema": "sockconf-variants/1",
        "variants": [{**asdict(r), "ok": r.ok} for r in results],
        "failing": [f"{r.family}/{r.variant}" for r in results if not r.ok],
    }
    json_path = out / "variants.json"
    json_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    rows = []
    for r in results:
        bad = ", ".join(f'<span class="{verdict_class_name(v)}">{escape(c)}</span>' for c, v in r.bad.items())
        counts = ", ".join(f"{escape(v)} {n}" for v, n in r.verdicts.items())
        status = "ok" if r.ok else "SUITE DEFECT" if r.bad else "run failed"
        rows.append(
            f"<tr><td>{escape(r.family)}</td><td>{escape(r.variant)}</td><td>{status}</td><td>{counts}</td>"
            f"<td>{bad or escape(r.error) or '-'}</td><td>{escape(', '.join(r.non_strict)) or '-'}</td></tr>"
        )
    good = sum(r.ok for r in results)
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>sockconf conformant variants</title>
<style>body{{font:13px system-ui,sans-serif;margin:20px}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:left;
vertical-align:top}}table{{border-collapse:collapse}}span{{display:inline-block;margin:1px 3px;padding:0 4px}}
.v-FAIL{{background:#fbe0e0}}.v-ERROR{{background:#fbe0e0}}</style></head>
<body><h1>Conformant variants</h1><p>{good} of {len(results)} variants got no FAIL and no ERROR. A variant is a
module that chose differently where the documents are silent; a FAIL or ERROR against it is a defect in the suite.
NON-STRICT verdicts record its choices.</p>
<table><tr><th>family</th><th>variant</th><th>status</th><th>verdicts</th><th>FAIL / ERROR cases</th>
<th>NON-STRICT cases</th></tr>
{"".join(rows)}</table></body></html>"""
    html_path = out / "variants.html"
    html_path.write_text(page, encoding="utf-8")
    return json_path, html_path
