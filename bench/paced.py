"""Benchmark 7: hardware time. Each family's suite on a paced emulator, against the time its bytes take on the line.

Per family, ``pytest --pyargs sockconf.suites.<family> --pace BAUD`` in a subprocess (every built-in profile
of the family, one process, no report) at 9600 and 115200 Bd: the emulator's UART takes each byte's line
time (10 bits a byte) both ways, as a module on a real line does. The ``bench.lineplugin`` plugin counts
the bytes of the driver's trace per case. The floor such a run could reach is the line time of those
bytes plus one reply latency per request (a write to the DUT), the latency being the median from a write
to the DUT's first byte in an unpaced run of the same family. The ratio is the run loop's wall time (every
case with its setup and teardown; interpreter start and collection left out) over that floor (goal: <= 1.3
at 9600 Bd). What is left over the floor, case by case, is in the notes: the cases that own most of it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT, BenchResult, Goal, suite_env

NAME = "paced"
TITLE = "Paced runs: wall time against line time"
FAMILIES = ("xbee", "eswifi", "espat")
BAUDS = (9600, 115200)
QUICK_BAUDS = (115200,)
GOAL_BAUD = 9600
GOAL_RATIO = 1.3
BITS_PER_BYTE = 10
QUICK_CASES = {"xbee": "XBEE-LISTEN-02", "eswifi": "ESWIFI-SRV-01", "espat": "ESPAT-BASIC-01"}
TOP = 5  # cases named in the note on what is left


@dataclass
class PacedRun:
    family: str
    baud: int  # 0: unpaced
    returncode: int
    session: float
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    tail: str = ""

    @property
    def line_bytes(self) -> int:
        return sum(c["tx"] + c["rx"] for c in self.cases.values())

    @property
    def requests(self) -> int:
        return sum(c["requests"] for c in self.cases.values())

    def latencies(self) -> list[float]:
        return [x for c in self.cases.values() for x in c["latencies"]]


def paced_run(family: str, baud: int, quick: bool, timeout: float = 3600) -> PacedRun:
    with tempfile.TemporaryDirectory(prefix="sockconf-bench-paced-") as tmp:
        out = Path(tmp) / "lines.json"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            f"sockconf.suites.{family}",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "bench.lineplugin",
            f"--bench-lines={out}",
            "--no-report",
        ]
        cmd += ["--pace", str(baud)] if baud else []
        cmd += ["--case", QUICK_CASES[family]] if quick else []
        proc = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=suite_env()
        )
        data = json.loads(out.read_text()) if out.exists() else {}
    run = PacedRun(family, baud, proc.returncode, float(data.get("session", 0.0)), data.get("cases", {}))
    run.tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
    return run


def line_time(size: int, baud: int) -> float:
    return size * BITS_PER_BYTE / baud


def left_over(run: PacedRun, latency: float) -> list[tuple[float, str]]:
    """Per case: its wall time over its own floor (line time + one latency per request), largest first."""
    left = [
        (c["wall"] - line_time(c["tx"] + c["rx"], run.baud) - c["requests"] * latency, nodeid)
        for nodeid, c in run.cases.items()
    ]
    return sorted(left, reverse=True)


def goal_text(family: str) -> str:
    return f"{family} at {GOAL_BAUD} Bd: wall / (line time + latencies) <= {GOAL_RATIO:g}"


def run(quick: bool = False) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    bauds = QUICK_BAUDS if quick else BAUDS
    for family in FAMILIES:
        unpaced = paced_run(family, 0, quick)
        res.checks[f"{family} unpaced: every case passed"] = unpaced.returncode == 0 and bool(unpaced.cases)
        latencies = unpaced.latencies()
        latency = statistics.median(latencies) if latencies else 0.0
        res.row(f"{family}: reply latency (unpaced, median)", latency * 1000, "ms", f"{len(latencies)} requests")
        for baud in bauds:
            paced = paced_run(family, baud, quick)
            where = f"{family} {baud} Bd"
            res.checks[f"{where}: every case passed"] = paced.returncode == 0 and bool(paced.cases)
            if paced.returncode != 0:
                res.notes.append(f"{where}: the run did not pass (exit {paced.returncode}): {paced.tail}")
            wire = line_time(paced.line_bytes, baud)
            floor = wire + paced.requests * latency
            ratio = paced.session / floor if floor > 0 else 0.0
            res.row(f"{where}: cases", len(paced.cases), "cases")
            res.row(f"{where}: run loop", paced.session, "s", "every case, setup and teardown included")
            res.row(f"{where}: line time", wire, "s", f"{paced.line_bytes:,} bytes both ways, 10 bits a byte")
            res.row(f"{where}: requests", paced.requests, "writes", "each gets one reply latency in the floor")
            res.row(f"{where}: wall / (line time + latencies)", ratio, "x")
            left = left_over(paced, latency)
            total = sum(x for x, _ in left)
            top = ", ".join(f"{n.split('::')[-1]} {x:.2f} s" for x, n in left[:TOP])
            res.notes.append(
                f"{where}: {paced.session - floor:.1f} s over the floor ({total:.1f} s summed over the cases); "
                f"most of it in: {top}"
            )
            if baud == GOAL_BAUD:
                goal = Goal(NAME, goal_text(family), GOAL_RATIO, ratio, "x", higher_is_better=False)
                goal.limit = f"what is left over the line time is in the notes ({where})"
                res.goals.append(goal)
        if GOAL_BAUD not in bauds:
            quick_only = "quick run: 115200 Bd only"
            res.goals.append(Goal(NAME, goal_text(family), GOAL_RATIO, None, "x", False, not_measured=quick_only))
    return res
