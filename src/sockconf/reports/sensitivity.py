"""Suite sensitivity: run the suite against every emulator fault profile; which cases caught each.

A fault counts as caught when at least one case got a worse verdict against it than on the clean
emulator (FAIL, INCONCLUSIVE, or a NON-STRICT finding for faults on UNCONFIRMED details, where the clean
run PASSed), and that case neither FAILed nor was INCONCLUSIVE on the clean emulator. A case may be
NON-STRICT on the clean emulator (it met two statements of the documents that contradict each other
and records which the module followed): a FAIL against the fault still counts. Runs each fault in its
own pytest process on a loopback address of its own, so faults run in parallel without sharing ports.
Families and faults are asked of the emulator's CLI, so this module imports no family's code (only the
declarations in ``core.family``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path

from sockconf.core.family import families as all_families
from sockconf.reports.results import NON_STRICT, NOT_APPLICABLE, PASS, SEVERITY, verdict_class_name
from sockconf.reports.suite_runs import emulator_names, in_parallel, suite_report, write_results


@dataclass
class FaultResult:
    family: str
    fault: str
    caught_by: dict[str, str] = field(default_factory=dict)  # case ID -> worst verdict against the fault
    cases_run: int = 0
    error: str = ""

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


def families() -> list[str]:
    return list(all_families())


def faults_of(family: str) -> list[str]:
    return emulator_names(family, "--list-faults")


def run_fault(family: str, fault: str | None, host: str, extra: Iterable[str] = ()) -> dict[str, list[str]]:
    """Run one family's suite against one fault (None: clean); case ID -> verdicts of its items."""
    args = ["--deadline-scale", "0.2", *extra, *(["--fault", f"{family}:{fault}"] if fault else [])]
    data, _ = suite_report(family, host, args, timeout=900)
    if data is None:
        raise RuntimeError(f"{family}/{fault or 'clean'}: the run wrote no report")
    out: dict[str, list[str]] = {}
    for case in data["cases"]:
        out.setdefault(case["case_id"], []).append(case["verdict"])
    return out


def measure(
    selected: dict[str, list[str]], jobs: int = 2, extra: Iterable[str] = (), first: bool = False
) -> list[FaultResult]:
    """``selected``: family -> fault names. A case failing on the clean emulator catches nothing.

    ``first``: stop each fault's run at its first failing case (-x): "caught or not" at a fraction
    of the time, but only one catching case is listed.
    """
    extra = list(extra)
    work: list[tuple[str, str | None]] = [(fam, None) for fam in selected]
    work += [(fam, fault) for fam, faults in selected.items() for fault in faults]

    def one(item: tuple[str, str | None], host: str) -> dict[str, list[str]] | str:
        try:
            more = ["-x"] if first and item[1] is not None else []
            return run_fault(item[0], item[1], host, [*extra, *more])
        except (RuntimeError, OSError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
            return str(exc)

    done = dict(zip(work, in_parallel(work, one, jobs, "127.77"), strict=True))
    results = []
    for family, faults in selected.items():
        clean = done[(family, None)]
        # Each case's worst verdict on the clean emulator, for the cases that gave a good one there.
        baseline = {
            c: max((SEVERITY[v] for v in vs if v != NOT_APPLICABLE), default=SEVERITY[PASS])
            for c, vs in (clean.items() if isinstance(clean, dict) else ())
            if set(vs) <= {PASS, NON_STRICT, NOT_APPLICABLE}
        }
        for fault in faults:
            got = done[(family, fault)]
            result = FaultResult(family, fault)
            if isinstance(got, str):
                result.error = got
            else:
                result.cases_run = sum(len(v) for v in got.values())
                for case_id, verdicts in sorted(got.items()):
                    if case_id not in baseline:
                        continue
                    worse = [v for v in verdicts if v in SEVERITY and SEVERITY[v] > baseline[case_id]]
                    if worse:
                        result.caught_by[case_id] = max(worse, key=SEVERITY.__getitem__)
            results.append(result)
    return results


def write(results: list[FaultResult], out: Path) -> tuple[Path, Path]:
    data = {
        "schema": "sockconf-sensitivity/1",
        "faults": [{**asdict(r), "caught": r.caught} for r in results],
        "uncaught": [f"{r.family}/{r.fault}" for r in results if not r.caught],
    }
    rows = []
    for r in results:
        cases = (
            ", ".join(f'<span class="{verdict_class_name(v)}">{escape(c)}</span>' for c, v in r.caught_by.items())
            or f"<b>caught by no case</b>{escape(' — ' + r.error if r.error else '')}"
        )
        status = "caught" if r.caught else "MISSED"
        rows.append(
            f"<tr><td>{escape(r.family)}</td><td>{escape(r.fault)}</td><td>{status}</td>"
            f"<td>{len(r.caught_by)}</td><td>{cases}</td></tr>"
        )
    caught = sum(r.caught for r in results)
    intro = (
        f"{caught} of {len(results)} emulator fault profiles caught. A fault is caught by a case that passes on "
        "the clean emulator and does not pass against the fault."
    )
    headers = ("family", "fault", "status", "cases", "caught by (worst verdict)")
    return write_results(out, "sensitivity", data, "Suite sensitivity", intro, headers, rows)
