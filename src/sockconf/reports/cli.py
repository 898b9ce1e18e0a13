"""``sockconf report diff OLD.json NEW.json``: what changed between two runs (verdicts);
``sockconf report wire-diff A.json B.json``: what changed on the wire; ``sensitivity``: the suite
against every emulator fault profile."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sockconf.reports import variants as variant_runs
from sockconf.reports.diff import ReportError, compare, load, render
from sockconf.reports.sensitivity import families, faults_of, measure, write
from sockconf.reports.wire_diff import compare as wire_compare
from sockconf.reports.wire_diff import render as wire_render
from sockconf.reports.wire_diff import render_html as wire_render_html


def wire_diff(args: argparse.Namespace) -> int:
    align: dict[str, str] = {}
    for pair in args.align_profile or []:
        a, sep, b = pair.partition("=")
        if not sep or not a or not b:
            print(
                f"sockconf report: error: --align-profile wants A=B (two profile names), not {pair!r}",
                file=sys.stderr,
            )
            return 2
        align[b] = a
    if args.latency_factor < 1 or args.latency_add_ms < 0:
        print("sockconf report: error: --latency-factor wants 1 or more, --latency-add-ms 0 or more", file=sys.stderr)
        return 2
    try:
        a, b = load(args.a), load(args.b)
    except ReportError as exc:
        print(f"sockconf report: error: {exc}", file=sys.stderr)
        return 2
    diff = wire_compare(a, b, align, args.latency_factor, args.latency_add_ms)
    print(wire_render(diff, a, b))
    if args.html:
        try:
            args.html.write_text(wire_render_html(diff, a, b), encoding="utf-8")
        except OSError as exc:
            print(f"sockconf report: error: cannot write {args.html}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    return 1 if diff.different else 0


def _select(
    chosen: list[str] | None, names_of: Callable[[str], list[str]], wanted: list[str] | None, what: str
) -> dict[str, list[str]] | None:
    """Family -> the emulator's names (faults or variants) to run, narrowed to ``wanted``; None (and
    the error said) when a family has no suite or nothing is left."""
    known = families()
    unknown = [f for f in chosen or known if f not in known]
    if unknown:
        print(f"sockconf report: error: no suite for {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return None
    selected = {}
    for family in chosen or known:
        names = [n for n in names_of(family) if not wanted or n in wanted]
        if names:
            selected[family] = names
    if not selected:
        print(f"sockconf report: error: no such {what} in the chosen families", file=sys.stderr)
        return None
    return selected


def sensitivity(args: argparse.Namespace) -> int:
    selected = _select(args.family, faults_of, args.fault, "fault profile")
    if selected is None:
        return 2
    total = sum(len(v) for v in selected.values())
    print(f"running the suite clean and against {total} fault profile(s), {args.jobs} at a time ...", flush=True)
    results = measure(selected, jobs=args.jobs, first=args.first)
    for r in results:
        where = ", ".join(sorted(r.caught_by)) if r.caught else f"NOT CAUGHT {r.error}".strip()
        print(f"{r.family:8} {r.fault:28} {len(r.caught_by):3} case(s)  {where}")
    json_path, html_path = write(results, args.out)
    missed = [r for r in results if not r.caught]
    print(f"{len(results) - len(missed)} of {len(results)} faults caught; wrote {html_path} and {json_path}")
    return 1 if missed else 0


def variants(args: argparse.Namespace) -> int:
    selected = _select(args.family, variant_runs.variants_of, args.variant, "variant")
    if selected is None:
        return 2
    total = sum(len(v) for v in selected.values())
    print(f"running the suite against {total} conformant variant(s), {args.jobs} at a time ...", flush=True)
    extra = ["--deadline-scale", str(args.deadline_scale)] if args.deadline_scale != 1.0 else []
    results = variant_runs.measure(selected, jobs=args.jobs, extra=extra)
    for r in results:
        counts = ", ".join(f"{n} {v}" for v, n in r.verdicts.items())
        where = "ok" if r.ok else f"SUITE DEFECT: {', '.join(f'{c} {v}' for c, v in r.bad.items()) or r.error}"
        print(f"{r.family:8} {r.variant:30} {counts}  {where}")
    json_path, html_path = variant_runs.write(results, args.out)
    bad = [r for r in results if not r.ok]
    print(f"{len(results) - len(bad)} of {len(results)} variants without FAIL/ERROR; wrote {html_path} and {json_path}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sockconf report", description="Work with sockconf JSON reports.")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "diff",
        help="regressions, progressions, new and removed cases between two runs",
        description="Compare two conformance.json files (e.g. two firmware versions). "
        "Exit status: 0 no regression, 1 regressions, 2 bad input.",
    )
    d.add_argument("old", type=Path, help="the earlier run's conformance.json")
    d.add_argument("new", type=Path, help="the later run's conformance.json")
    w = sub.add_parser(
        "wire-diff",
        help="what changed on the wire between two runs, case by case, even where the verdicts agree",
        description="Aligns two conformance.json files case by case (node ID: case, parameters, profile), "
        "normalises what differs from run to run (timestamps, the peer's addresses and ports, frame IDs the "
        "suite chose, which client got which socket ID) and shows per case the first differing frame or reply "
        "with a field-level diff, and frames only one run has. Reply latencies that grew beyond both "
        "thresholds are flagged (shown, not counted in the exit status: one slow reply on a busy machine "
        "is not a regression). Exit status: 0 same wire behaviour, 1 it differs, 2 bad input.",
    )
    w.add_argument("a", type=Path, help="run A's conformance.json (e.g. firmware A, or the emulator)")
    w.add_argument("b", type=Path, help="run B's conformance.json (e.g. firmware B, or the real module)")
    w.add_argument("--html", type=Path, metavar="OUT", help="also write the diff as an HTML page")
    w.add_argument(
        "--align-profile",
        action="append",
        metavar="A=B",
        help="line up run B's profile B with run A's profile A (repeatable), e.g. xbee3-lte-m=xbee-cat1",
    )
    w.add_argument(
        "--latency-factor",
        type=float,
        default=2.0,
        help="flag a case whose median reply latency grew by more than this factor ... (default 2)",
    )
    w.add_argument(
        "--latency-add-ms",
        type=float,
        default=50.0,
        help="... and by more than this many milliseconds (default 50; both must be exceeded)",
    )
    s = sub.add_parser(
        "sensitivity",
        help="run the suite against every emulator fault profile; which cases catch each",
        description="Runs the suite once on the clean emulator and once per fault profile (--fault), and "
        "writes sensitivity.html/.json: fault -> the cases that caught it. Exit status 1 if any fault is caught "
        "by no case.",
    )
    s.add_argument("--family", action="append", help="only this family (repeatable; default: all)")
    s.add_argument("--fault", action="append", help="only this fault (repeatable; default: all of the family)")
    s.add_argument("--jobs", type=int, default=2, help="suite runs at once (default 2)")
    s.add_argument(
        "--first", action="store_true", help="stop each fault's run at the first case that catches it (faster)"
    )
    s.add_argument("--out", type=Path, default=Path("reports/out"), help="output folder (default reports/out)")
    v = sub.add_parser(
        "variants",
        help="run the suite against every conformant emulator variant; any FAIL or ERROR is a suite defect",
        description="Runs the suite once per conformant variant (--variant): modules that chose differently where "
        "the documents are silent. Writes variants.html/.json: variant -> the cases that FAILed or ERRORed, with "
        "verdict counts. Exit status 1 if any variant got a FAIL or ERROR.",
    )
    v.add_argument("--family", action="append", help="only this family (repeatable; default: all)")
    v.add_argument("--variant", action="append", help="only this variant (repeatable; default: all of the family)")
    v.add_argument("--jobs", type=int, default=2, help="suite runs at once (default 2)")
    v.add_argument("--deadline-scale", type=float, default=1.0, help="passed to every run (default 1)")
    v.add_argument("--out", type=Path, default=Path("reports/out"), help="output folder (default reports/out)")
    args = parser.parse_args(argv)
    if args.command == "sensitivity":
        return sensitivity(args)
    if args.command == "wire-diff":
        return wire_diff(args)
    if args.command == "variants":
        return variants(args)
    try:
        old, new = load(args.old), load(args.new)
    except ReportError as exc:
        print(f"sockconf report: error: {exc}", file=sys.stderr)
        return 2
    diff = compare(old, new)
    print(render(diff, old, new))
    return 1 if diff.regressions else 0
