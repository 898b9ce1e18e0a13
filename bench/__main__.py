"""``python -m bench``: run the benchmarks, print the table, rewrite ``bench/README.md``.

``--quick`` runs every benchmark at a tiny size (a smoke run; the README is then left alone unless
``--readme`` names a file); ``--only NAME`` (repeatable) runs some of them. The exit status is 1
when a benchmark broke or a correctness check failed (bytes that did not arrive identical), never
because a goal was missed: goals are reported, not asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import codec, datapath, farm, htmlopen, paced, scale, suite
from bench.common import BenchResult, machine
from bench.report import console, readme

BENCHMARKS: dict[str, tuple[str, Callable[[bool], BenchResult]]] = {
    m.NAME: (m.TITLE, m.run) for m in (codec, datapath, suite, scale, htmlopen, farm, paced)
}
README = Path(__file__).resolve().parent / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run (numbers not representative)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only NAME: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--readme", type=Path, help=f"write the README here (default {README} on a full run)")
    parser.add_argument("--no-readme", action="store_true", help="print the table only")
    args = parser.parse_args(argv)

    names = args.only or list(BENCHMARKS)
    info = machine()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        info["load at start"] = " ".join(f"{x:.2f}" for x in load)
    results: list[BenchResult] = []
    broken = False
    for name in names:
        title, run = BENCHMARKS[name]
        print(f"running {name}: {title} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            res = run(args.quick)
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            broken = True
            res = BenchResult(name, title)
            res.checks["the benchmark ran"] = False
            res.notes.append(f"it broke: {type(exc).__name__}: {exc}")
            traceback.print_exc()
        res.seconds = time.perf_counter() - start
        results.append(res)
    if load:
        info["load at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())

    print(console(results, info))
    target = args.readme or (README if not args.quick and not args.only else None)
    if target is not None and not args.no_readme:
        target.write_text(readme(results, info, list(BENCHMARKS), args.quick))
        print(f"\nwrote {target}", file=sys.stderr)
    failed = [f"{r.name}: {c}" for r in results for c, ok in r.checks.items() if not ok]
    if failed:
        print("correctness checks failed: " + "; ".join(failed), file=sys.stderr)
    return 1 if broken or failed else 0


if __name__ == "__main__":
    sys.exit(main())
