"""Benchmark 3: suite overhead. The whole default conformance run against the emulator, as a user runs it.

``python -m pytest suites`` in a subprocess, with ``--junitxml``, ``--durations=0`` and the
``bench.waitplugin`` plugin, and the report written to a scratch directory. The emulator listens
on a loopback address of its own (so parallel runs on the machine never share its fixed ports);
everything else is the default run. Per case: wall time from JUnit (setup + call + teardown),
where it went from ``--durations`` and the plugin.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, BenchResult, Goal, fmt, median, percentile, suite_env

NAME = "suite"
TITLE = "Suite overhead"
GOAL_MEDIAN_MS = 15.0
DOMINATED = 0.5  # a case is dominated by waiting when more than this share of it waits with nothing arriving
QUICK_CASES = ("XBEE-LISTEN-02", "ESWIFI-SRV-01")
_DURATION = re.compile(r"^\s*([0-9.]+)s (setup|call|teardown)\s+(\S+)")


@dataclass
class SuiteRun:
    returncode: int
    wall: float  # the subprocess, interpreter start and collection included
    session: float  # pytest's run loop (the cases)
    junit: dict[str, float] = field(default_factory=dict)  # nodeid -> seconds (JUnit, 1 ms resolution)
    outcomes: dict[str, int] = field(default_factory=dict)
    waits: dict[str, dict[str, float]] = field(default_factory=dict)  # nodeid -> bench.waitplugin fields
    durations: list[str] = field(default_factory=list)  # pytest's --durations lines
    tail: str = ""

    @property
    def cases(self) -> dict[str, float]:
        """nodeid -> wall seconds of the case (setup + call + teardown), from the plugin's clock."""
        return {n: w["wall"] for n, w in self.waits.items()}


def loopback() -> str:
    n = os.getpid() % 250
    return f"127.66.{1 + n}.1"


def run_suite(args: list[str], timeout: float = 900) -> SuiteRun:
    with tempfile.TemporaryDirectory(prefix="sockconf-bench-") as tmp:
        out = Path(tmp)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "sockconf.suites",
            *args,
            "-q",
            "-p",
            "bench.waitplugin",
            f"--bench-waits={out / 'waits.json'}",
            f"--junitxml={out / 'junit.xml'}",
            "--durations=5",
            f"--report-dir={out / 'report'}",
            "--emulator-host",
            loopback(),
        ]
        env = suite_env()
        start = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env
        )
        wall = time.perf_counter() - start
        waits = json.loads((out / "waits.json").read_text()) if (out / "waits.json").exists() else {}
        run = SuiteRun(proc.returncode, wall, float(waits.get("session", 0.0)), waits=waits.get("cases", {}))
        run.tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        xml = out / "junit.xml"
        if xml.exists():
            for tc in ET.parse(xml).getroot().iter("testcase"):
                nodeid = _nodeid(tc.get("classname", ""), tc.get("name", ""))
                run.junit[nodeid] = float(tc.get("time", "0"))
                kind = next((k for k in ("failure", "error", "skipped") if tc.find(k) is not None), "passed")
                run.outcomes[kind] = run.outcomes.get(kind, 0) + 1
        run.durations = [line.strip() for line in proc.stdout.splitlines() if _DURATION.match(line)]
    return run


def _nodeid(classname: str, name: str) -> str:
    """JUnit's ``suites.xbee.test_listener`` + ``test_create[...]`` -> pytest's node ID."""
    return classname.replace(".", "/") + ".py::" + name


def run(quick: bool = False) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    args = [a for cid in QUICK_CASES for a in ("--case", cid)] if quick else []
    suite = run_suite(args)
    res.checks["every case was timed"] = bool(suite.junit) and set(suite.junit) <= set(suite.waits)
    if not suite.waits:
        res.notes.append(f"no cases ran (exit {suite.returncode}): {suite.tail}")
        res.goals.append(
            Goal(NAME, "per-case median <= 15 ms", GOAL_MEDIAN_MS, None, "ms", False, not_measured="no cases")
        )
        return res

    times = list(suite.cases.values())
    ran = list(suite.waits)
    walls = sum(times) or 1.0

    def share(key: str) -> float:
        return sum(w[key] for w in suite.waits.values()) / walls

    counts = ", ".join(f"{v} {k}" for k, v in sorted(suite.outcomes.items()))
    res.notes.append(f"the run (exit {suite.returncode}): {counts}; its verdicts are not this benchmark's business")
    res.row("cases", len(times), "cases", counts)
    res.row("wall time (subprocess)", suite.wall, "s", "interpreter start and collection included")
    res.row("wall time (cases)", suite.session, "s", "pytest's run loop")
    res.row("per-case median", median(times) * 1000, "ms")
    res.row("per-case p95", percentile(times, 95) * 1000, "ms")
    res.row("per-case max", max(times) * 1000, "ms")
    for phase in ("setup", "call", "teardown"):
        res.row(f"{phase} share", share(phase) * 100, "%", "of the cases' wall time")
    res.row("suite CPU share", share("cpu") * 100, "%", "of the cases' wall time: CPU of the thread running them")
    res.row(
        "waiting for the DUT's answer",
        share("read_data") * 100,
        "%",
        "of the cases' wall time: driver reads that got bytes",
    )
    idle = share("read_idle") + share("peer_idle")
    res.row(
        "waiting with nothing arriving",
        idle * 100,
        "%",
        "of the cases' wall time: reads and peer waits that reached their deadline",
    )

    dominated = []
    for n in ran:
        w = suite.waits[n]
        if w["wall"] > 0 and (w["read_idle"] + w["peer_idle"]) / w["wall"] > DOMINATED:
            dominated.append((n, w["wall"], (w["read_idle"] + w["peer_idle"]) / w["wall"]))
    res.row(
        "cases dominated by waiting", len(dominated), "cases", f"> {DOMINATED:.0%} of the case waiting with nothing"
    )
    slowest = sorted(suite.cases.items(), key=lambda kv: kv[1], reverse=True)[:5]
    for nodeid, t in slowest:
        w = suite.waits[nodeid]
        idle_share = (w["read_idle"] + w["peer_idle"]) / t if t else 0.0
        dut_share = w["read_data"] / t if t else 0.0
        res.notes.append(
            f"slow: {nodeid} {fmt(t * 1000)} ms ({idle_share:.0%} waiting with nothing arriving, "
            f"{dut_share:.0%} waiting for the DUT's answer, {w['cpu'] / t if t else 0:.0%} suite CPU)"
        )
    res.notes += [f"pytest --durations: {line}" for line in suite.durations]
    for nodeid, t, s in sorted(dominated, key=lambda d: -d[1])[:8]:
        res.notes.append(f"dominated by waiting: {nodeid} {fmt(t * 1000)} ms, {s:.0%} waiting with nothing arriving")

    med = median(times) * 1000
    goal = Goal(NAME, "per-case median <= 15 ms", GOAL_MEDIAN_MS, med, "ms", higher_is_better=False)
    if goal.met is False:
        goal.limit = (
            f"setup {share('setup'):.0%} / call {share('call'):.0%} of the cases' time; "
            f"the suite's own CPU is {share('cpu'):.0%} of it"
        )
    res.goals.append(goal)
    waiting = Goal(NAME, "no case dominated by waiting", 0, len(dominated), "cases", higher_is_better=False)
    if dominated:
        spent = sum(d[1] for d in dominated)
        waiting.limit = (
            f"{len(dominated)} cases check an absence (nothing may arrive yet, a client must stay pending) by watching "
            f"the line for the profile's quiet deadline ([deadlines] quiet); that wait is the check itself, not "
            f"overhead. Together they take {fmt(spent)} s, {spent / walls:.0%} of the cases' wall time; a shorter "
            f"quiet deadline is the only lever, and it trades away sensitivity to a late frame"
        )
    res.goals.append(waiting)
    if goal.met is False and not quick:
        goal.profile = _profile(args)
    return res


def _profile(args: list[str]) -> str:
    """cProfile of the same run (the cases' thread) via ``python -m cProfile``: the top functions by own time."""
    import pstats

    from bench.common import profile_text

    with tempfile.TemporaryDirectory(prefix="sockconf-bench-prof-") as tmp:
        prof = Path(tmp) / "suite.prof"
        cmd = [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(prof),
            "-m",
            "pytest",
            "--pyargs",
            "sockconf.suites",
            *args,
            "-q",
            "--no-report",
        ]
        cmd += ["--emulator-host", loopback()]
        subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        if not prof.exists():
            return ""
        return profile_text(pstats.Stats(str(prof)))
