"""``python -m bench.compare REV``: is the codec, the data path or the default run slower than at git revision REV?

For a change that should not cost speed (a refactor, a new layer), or one that should gain it, this runs
both trees in one run: a checkout of REV (a temporary git worktree) and this tree, alternately, round by
round, each in a fresh interpreter. Measured per side:

- the XBee codec: decode and encode of the ``codec`` benchmark's stream, AP=1 and AP=2 (the best of
  five passes per round);
- the data path: the ``datapath`` benchmark's transfers through the in-process emulator, both
  families, both ways (seconds per MiB), and the process CPU time per MiB moved;
- with ``--suite`` (or ``--suite-only``): the main job's wall time, ``sockconf run`` as a user starts it
  (every family against the built-in emulator, every built-in profile, its report written to a scratch
  folder; ``-p no:randomly`` on both sides), from launch to exit, ``--suite-rounds`` rounds (default 3).
  A side whose run does not pass breaks the comparison.

Each round measures both sides back to back; a measurement's speed is the median over the rounds
of REV's time over this tree's, "within" when this tree is at most ``--tolerance`` slower. A shared
machine moves single runs by tens of percent, so the rounds are interleaved and paired, never one
run compared with another. The exit status is
0 when both sides ran (slower or not: a slowdown is reported, not asserted), 1 when a side broke or
moved bytes wrongly, 2 for a revision that cannot be checked out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, machine

TOLERANCE = 0.10
ROUNDS = 20
SUITE_ROUNDS = 3
SUITE_WHAT = "default run: sockconf run, wall time (s)"
# A smoke run of the suite comparison: two cases (one process on both sides).
QUICK_SUITE = ("--case", "XBEE-LISTEN-02", "--case", "ESWIFI-SRV-01")

# Runs inside the tree being measured (its own bench/, protocol/, emulator/): every value is
# seconds per unit of work, so lower is faster on both sides.
PROBE = r"""
import json, sys, time
from bench.codec import build_streams, ours_decode, ours_encode
from bench.common import MiB
from bench.datapath import eswifi_path, xbee_path

quick = sys.argv[1] == "quick"
out = {}
for stream in build_streams(quick):
    for name, fn in (("decode", ours_decode), ("encode", ours_encode)):
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            fn(stream)
            best = min(best, time.perf_counter() - t0)
        out[f"codec AP={stream.mode} {name} (s per stream)"] = best
size = 256 * 1024 if quick else 8 * MiB
for family, path in (("XBee", xbee_path), ("eS-WiFi", eswifi_path)):
    c0 = time.process_time()
    run = path(size, 120.0)
    cpu = time.process_time() - c0
    for t in run.transfers:
        if not t.identical:
            raise SystemExit(f"{family} {t.direction}: the bytes did not arrive identical")
        way = "peer -> host" if t.direction == "in" else "host -> peer"
        out[f"datapath {family} {way} (s per MiB)"] = t.seconds / (t.size / MiB)
    out[f"datapath {family} CPU (s per MiB moved)"] = cpu / (2 * size / MiB)
print(json.dumps(out))
"""


class CompareError(Exception):
    """A side that cannot be measured: the message says which and why."""


@dataclass
class Compared:
    what: str
    before: list[float]
    after: list[float]

    @property
    def speed(self) -> float:
        """This tree's speed relative to REV's (1.0: the same, < 1: slower).

        The median of the rounds' ratios: each round measures both sides back to back, so a slow
        spell of the machine slows both sides of that round's ratio, not one side's median.
        """
        ratios = [b / a if a > 0 else float("inf") for b, a in zip(self.before, self.after, strict=True)]
        return statistics.median(ratios)

    def verdict(self, tolerance: float) -> str:
        change = self.speed - 1.0
        if change >= -tolerance:
            return f"within {tolerance:.0%}" + (f" (faster by {change:.0%})" if change > tolerance else "")
        return f"SLOWER by {-change:.0%}"


def tree_env(tree: Path) -> dict[str, str]:
    """The environment that imports ``tree``'s own code: its ``src/`` (where the package lives) and its root
    (``bench/``), ahead of any installed copy of sockconf."""
    paths = [str(tree / "src")] if (tree / "src").is_dir() else []
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, str(tree)])}


def probe(tree: Path, quick: bool) -> dict[str, float]:
    env = tree_env(tree)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, "quick" if quick else "full"],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise CompareError(f"{tree}: the measurement took longer than 600 s") from None
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-3:])
        raise CompareError(f"{tree}: the measurement broke (exit {proc.returncode}): {tail}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def suite_wall(tree: Path, quick: bool, scratch: Path) -> dict[str, float]:
    """The main job of ``tree`` (``sockconf run``, report into ``scratch``): its wall time from launch to exit."""
    report = scratch / "report"
    cmd = [sys.executable, "-m", "sockconf", "run", "-q", "-p", "no:randomly", "--report-dir", str(report)]
    cmd += list(QUICK_SUITE) if quick else []
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=scratch, env=tree_env(tree), capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise CompareError(f"{tree}: the default run took longer than 1800 s") from None
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        raise CompareError(f"{tree}: the default run did not pass (exit {proc.returncode}): {tail}")
    return {SUITE_WHAT: wall}


def worktree(rev: str, where: Path) -> Path:
    """A detached checkout of ``rev`` under ``where`` (removed by ``drop``)."""
    path = where / "before"
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        raise CompareError(f"cannot check out {rev!r} from {ROOT}: {reason}")
    return path


def drop(path: Path) -> None:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _paired(
    rounds: int, trees: dict[str, Path], measure: Callable[[Path], dict[str, float]], what: str, progress: bool
) -> list[Compared]:
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for i in range(rounds):
        # Alternate which side goes first, so neither always runs on a warmer machine.
        order = list(trees.items())
        for side, tree in order if i % 2 == 0 else order[::-1]:
            runs[side].append(measure(tree))
        if progress:
            print(f"{what}: round {i + 1}/{rounds} done", file=sys.stderr, flush=True)
    common = [k for k in runs["before"][0] if k in runs["after"][0]]
    return [Compared(k, [r[k] for r in runs["before"]], [r[k] for r in runs["after"]]) for k in common]


def compare(
    rev: str,
    rounds: int,
    quick: bool,
    progress: bool = True,
    suite_rounds: int = 0,
    hot_paths: bool = True,
) -> list[Compared]:
    """Paired rounds of REV and this tree: the hot paths (``rounds``), then the default run (``suite_rounds``)."""
    with tempfile.TemporaryDirectory(prefix="sockconf-bench-compare-") as name:
        before_tree = worktree(rev, Path(name))
        trees = {"before": before_tree, "after": ROOT}
        results: list[Compared] = []
        try:
            if hot_paths:
                results += _paired(rounds, trees, lambda tree: probe(tree, quick), "codec and data path", progress)
            if suite_rounds:
                scratch = Path(name) / "suite"
                scratch.mkdir()
                measure = lambda tree: suite_wall(tree, quick, scratch)  # noqa: E731
                results += _paired(suite_rounds, trees, measure, "default run", progress)
        finally:
            drop(before_tree)
    return results


def table(results: list[Compared], tolerance: float) -> str:
    lines = [
        "| measurement | REV (median) | this tree (median) | speed vs REV | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for c in results:
        lines.append(
            f"| {c.what} | {statistics.median(c.before):.4g} | {statistics.median(c.after):.4g} "
            f"| {c.speed:.2f} x | {c.verdict(tolerance)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare",
        description="Compare the codec, the data path and (--suite) the default run of this tree with a git revision "
        "(interleaved rounds).",
    )
    parser.add_argument("rev", help="the git revision to compare against (e.g. main, HEAD~3, a commit)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds per side (default {ROUNDS})")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="allowed slowdown (default 0.10)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run (numbers not representative)")
    parser.add_argument("--out", type=Path, help="also write the result as Markdown to this file")
    parser.add_argument("--suite", action="store_true", help="also compare the default run's wall time (sockconf run)")
    parser.add_argument("--suite-only", action="store_true", help="compare the default run's wall time only")
    parser.add_argument(
        "--suite-rounds", type=int, default=SUITE_ROUNDS, help=f"rounds of the default run (default {SUITE_ROUNDS})"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.suite_rounds < 1:
        parser.error("--rounds and --suite-rounds want 1 or more")
    suite = args.suite or args.suite_only
    load = os.getloadavg()
    try:
        results = compare(
            args.rev,
            args.rounds,
            args.quick,
            suite_rounds=args.suite_rounds if suite else 0,
            hot_paths=not args.suite_only,
        )
    except CompareError as exc:
        print(f"bench.compare: {exc}", file=sys.stderr)
        return 2 if "cannot check out" in str(exc) else 1
    info = machine()
    info["load at start / end"] = f"{load[0]:.2f} / {os.getloadavg()[0]:.2f}"
    quick = " (QUICK: smoke sizes)" if args.quick else ""
    if not args.suite_only:
        info["rounds"] = f"{args.rounds} per side, interleaved{quick}"
    if suite:
        info["default-run rounds"] = f"{args.suite_rounds} per side, interleaved{quick}"
        info["default run"] = "sockconf run -q -p no:randomly --report-dir <scratch>, launch to exit"
    what = {(False, False): "Codec and data path", (True, False): "Codec, data path and default run"}
    title = what.get((suite, args.suite_only), "Default run")
    text = "\n".join(
        [
            f"# {title}: this tree against {args.rev}\n",
            "Written by `python -m bench.compare`. Speed vs REV: the median over the rounds of REV's time "
            "over this tree's (above 1: this tree is faster). Times are medians over the rounds.\n",
            *(f"- {k}: {v}" for k, v in info.items()),
            "",
            table(results, args.tolerance),
            "",
        ]
    )
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
