"""Suite validity: run the suite against every conformant emulator variant; no case may FAIL or ERROR.

A variant is a module that chose differently where the documents are silent (``sockconf/data/silent/``).
A FAIL or ERROR against one is a defect in the suite, not in the module. A choice of the variant that no
case recorded (``unseen``) means the cases that touch its point did not see it, or saw it as another one.
Each variant runs in its own pytest process on a loopback address of its own (like
``reports.sensitivity``), a few at a time.
Families and variants are asked of the emulator's CLI, so this module imports no family's code.

Host-stack cases are counted apart. Their FAIL says that a shipped host driver cannot work with the
variant ("breaks <stack> at step N"), and a module that makes a defensible choice can still break a
driver that relies on another one (Digi's library needs the 0xC3 to close-all to carry socket ID FF;
a module may answer 00). So such a FAIL is listed with the variant as what it breaks, never as a
suite defect. Their INCONCLUSIVE or ERROR still is one: the suite failed to reach a verdict about a
defensible module, whatever the case's kind.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from sockconf.reports.results import FAIL, INCONCLUSIVE, verdict_class_name
from sockconf.reports.suite_runs import emulator_names, in_parallel, suite_report, write_results

BAD = (FAIL, INCONCLUSIVE)
HOST_STACK = "host-stack"  # a case's kind in the JSON report (core.record.HOST_STACK)


@dataclass
class VariantResult:
    family: str
    variant: str
    verdicts: dict[str, int] = field(default_factory=dict)  # verdict -> how many case items
    bad: dict[str, str] = field(default_factory=dict)  # case ID -> FAIL / ERROR
    non_strict: list[str] = field(default_factory=list)  # case IDs with a NON-STRICT verdict
    # host-stack case ID -> where the variant breaks that host driver ("breaks <stack> at step N (...)")
    breaks_host_stacks: dict[str, str] = field(default_factory=dict)
    unseen: list[str] = field(default_factory=list)  # "POINT=choice" of the variant that no case recorded
    error: str = ""  # the run itself went wrong (no report)

    @property
    def ok(self) -> bool:
        return not self.bad and not self.error


def variants_of(family: str) -> list[str]:
    return emulator_names(family, "--list-variants")


def choices_of(family: str) -> dict[str, list[str]]:
    """Variant -> the "POINT=choice" it takes, as ``sockconf emulate FAMILY --list-variants -v`` lists them."""
    found: dict[str, list[str]] = {}
    for line in emulator_names(family, "--list-variants", "-v"):
        name, _, rest = line.partition("\t")
        found[name] = [c.strip() for c in rest.rpartition("\t")[2].split(",") if "=" in c]
    return found


def run_variant(
    family: str, variant: str, host: str, extra: Iterable[str] = (), choices: Iterable[str] = ()
) -> VariantResult:
    """Run one family's suite against one variant (``choices``: its "POINT=choice", each to be recorded)."""
    result = VariantResult(family, variant)
    data, tail = suite_report(family, host, ["--variant", f"{family}:{variant}", *extra], timeout=1200)
    if data is None:
        result.error = f"the run wrote no report: {tail}"
        return result
    recorded = {f"{a['point']}={choice}" for a in data.get("assumptions", []) for choice in a.get("choices", {})}
    result.unseen = [c for c in choices if c not in recorded]
    return tally(result, data)


def tally(result: VariantResult, data: dict[str, Any]) -> VariantResult:
    """Count one variant run's report (``data``: the JSON report) into ``result``."""
    counts: Counter[str] = Counter()
    for case in data["cases"]:
        verdict, case_id = str(case["verdict"]), str(case["case_id"])
        setup_failed = case.get("phase") == "setup"
        if case.get("kind") == HOST_STACK and verdict == FAIL and not setup_failed:
            # The variant breaks this host driver: what the variant costs, not a defect of the suite.
            walk = case.get("host_stack") or {}
            steps = list(walk.get("steps", []))
            where = f" at step {len(steps)} ({steps[-1]})" if walk.get("broke") and steps else ""
            result.breaks_host_stacks.setdefault(case_id, f"breaks {walk.get('name') or walk.get('stack')}{where}")
            continue
        if case.get("kind") != HOST_STACK:
            counts[verdict] += 1
        if verdict in BAD:
            # A case whose setup failed never ran: an ERROR of the suite against the variant.
            result.bad[case_id] = "ERROR" if setup_failed else verdict
        elif verdict == "NON-STRICT" and case_id not in result.non_strict:
            result.non_strict.append(case_id)
    result.verdicts = dict(sorted(counts.items()))
    return result


def measure(selected: dict[str, list[str]], jobs: int = 2, extra: Iterable[str] = ()) -> list[VariantResult]:
    """``selected``: family -> variant names; each runs in its own process and loopback address."""
    extra = list(extra)
    work = [(fam, v) for fam, names in selected.items() for v in names]
    choices = {fam: choices_of(fam) for fam in selected}

    def one(item: tuple[str, str], host: str) -> VariantResult:
        try:
            return run_variant(item[0], item[1], host, extra, choices[item[0]].get(item[1], ()))
        except (OSError, subprocess.SubprocessError, json.JSONDecodeError, KeyError) as exc:
            return VariantResult(item[0], item[1], error=str(exc))

    return in_parallel(work, one, jobs, "127.78")


def write(results: list[VariantResult], out: Path) -> tuple[Path, Path]:
    data = {
        "schema": "sockconf-variants/1",
        "variants": [{**asdict(r), "ok": r.ok} for r in results],
        "failing": [f"{r.family}/{r.variant}" for r in results if not r.ok],
    }
    rows = []
    for r in results:
        bad = ", ".join(f'<span class="{verdict_class_name(v)}">{escape(c)}</span>' for c, v in r.bad.items())
        counts = ", ".join(f"{escape(v)} {n}" for v, n in r.verdicts.items())
        status = "ok" if r.ok else "SUITE DEFECT" if r.bad else "run failed"
        breaks = "; ".join(f"{c}: {w}" for c, w in sorted(r.breaks_host_stacks.items()))
        rows.append(
            f"<tr><td>{escape(r.family)}</td><td>{escape(r.variant)}</td><td>{status}</td><td>{counts}</td>"
            f"<td>{bad or escape(r.error) or '-'}</td><td>{escape(', '.join(r.non_strict)) or '-'}</td>"
            f"<td>{escape(', '.join(r.unseen)) or '-'}</td><td>{escape(breaks) or '-'}</td></tr>"
        )
    good = sum(r.ok for r in results)
    intro = (
        f"{good} of {len(results)} variants got no FAIL and no ERROR. A variant is a module that chose differently "
        "where the documents are silent, or followed the other of two statements that contradict each other; a FAIL "
        "or ERROR against it is a defect in the suite. NON-STRICT verdicts record its choices; a choice no case "
        "recorded is listed as not seen. The verdicts count the conformance cases; a host-stack case that FAILs says "
        "the variant breaks a shipped host driver, which a defensible module may do: it is listed, not a defect."
    )
    headers = (
        "family",
        "variant",
        "status",
        "verdicts",
        "FAIL / ERROR cases",
        "NON-STRICT cases",
        "choices not seen",
        "host stacks it breaks",
    )
    return write_results(out, "variants", data, "Conformant variants", intro, headers, rows)
