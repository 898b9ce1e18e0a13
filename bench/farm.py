"""Benchmark 6: a device farm. 1, 2 and 4 paced emulated XBee DUTs in one run, ``-n`` = the DUT count.

Each run is ``pytest suites --lab LAB -n N --case XBEE-LISTEN`` in a subprocess, the lab listing N
emulated XBee DUTs (``driver = "emulator"``, ``pace = 115200``: the emulator's UART takes the line
time at 115200 Bd, 10 bits per byte, both ways, as a module on a real line does). One DUT's cases
run one at a time on one worker, different DUTs in parallel (``--dist loadgroup``). The speedup is
the case throughput of N DUTs over that of one DUT (goal: >= 0.8 x N), measured in one run of the
benchmark. The merged HTML report of the largest farm is opened in headless Chromium.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from bench.common import ROOT, BenchResult, Goal, suite_env
from bench.htmlopen import chromium, open_ms

NAME = "farm"
TITLE = "Device farm: several paced DUTs in parallel"
BAUD = 115200
FARMS = (1, 2, 4)
QUICK_FARMS = (1, 2)
CASES = ("XBEE-LISTEN",)
QUICK_CASES = ("XBEE-LISTEN-0",)
GOAL_SHARE = 0.8  # of the ideal N x speedup
_PASSED = re.compile(r"(\d+) passed")


def write_lab(path: Path, n: int) -> None:
    entries = [
        f'[[dut]]\nname = "ltem-{i + 1}"\ndriver = "emulator"\nprofile = "xbee3-lte-m"\npace = {BAUD}\n'
        for i in range(n)
    ]
    path.write_text("\n".join(entries), encoding="utf-8")


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far, their children included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def farm_run(tmp: Path, n: int, cases: tuple[str, ...]) -> tuple[int, float, float, Path]:
    """Cases passed, wall and CPU seconds of the pytest run (its workers and their emulators included),
    and the report folder, for a farm of ``n`` DUTs."""
    lab = tmp / f"lab{n}.toml"
    write_lab(lab, n)
    out = tmp / f"report{n}"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "sockconf.suites",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    ]
    cmd += ["--lab", str(lab), "-n", str(n), f"--report-dir={out}"]
    cmd += [a for c in cases for a in ("--case", c)]
    env = suite_env()
    start, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, env=env)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    found = _PASSED.search(proc.stdout)
    if proc.returncode != 0 or not found:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        raise RuntimeError(f"the farm run of {n} DUT(s) did not pass (exit {proc.returncode}): {tail}")
    return int(found.group(1)), wall, cpu, out


def ceiling(n: int, cases: int, cpu: float, one_rate: float) -> float:
    """The speedup over one DUT that this machine's cores allow a farm of ``n`` DUTs: its case rate if
    every core were busy with the run's CPU time per case, over one DUT's case rate (at most ``n``)."""
    cores = os.cpu_count() or 1
    if cpu <= 0 or one_rate <= 0:
        return float(n)
    return min(float(n), cores / (cpu / cases) / one_rate)


def busy_per_dut(junit: Path) -> dict[str, float]:
    """Seconds each DUT spent in its cases (setup, call and teardown: JUnit's total per case)."""
    busy: dict[str, float] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        dut = next((p.get("value", "") for p in case.iter("property") if p.get("name") == "dut"), "")
        busy[dut] = busy.get(dut, 0.0) + float(case.get("time", "0"))
    return busy


def run(quick: bool = False) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    farms = QUICK_FARMS if quick else FARMS
    cases = QUICK_CASES if quick else CASES
    measured: dict[int, tuple[int, float]] = {}
    cpu_of: dict[int, float] = {}
    busy: dict[int, float] = {}  # the busiest DUT's seconds in its cases
    with tempfile.TemporaryDirectory(prefix="sockconf-bench-farm-") as name:
        tmp = Path(name)
        last_out = tmp
        for n in farms:
            passed, wall, cpu, last_out = farm_run(tmp, n, cases)
            measured[n] = (passed, wall)
            cpu_of[n] = cpu
            busy[n] = max(busy_per_dut(last_out / "conformance.xml").values())
            report = json.loads((last_out / "conformance.json").read_text(encoding="utf-8"))
            res.checks[f"{n} DUT(s): every DUT in the merged report"] = len(report["duts"]) == n
        browser = chromium()
        html_s = open_ms(browser, last_out / "conformance.html", tmp)[0] / 1000 if browser else None
    one_passed, one_wall = measured[1]
    for n, (passed, wall) in measured.items():
        res.row(f"{n} DUT(s): cases", passed, "cases", f"-n {n}, paced at {BAUD} Bd")
        res.row(f"{n} DUT(s): wall time", wall, "s", "interpreter start, collection and workers included")
        res.row(f"{n} DUT(s): cases/s", passed / wall, "cases/s")
        res.row(f"{n} DUT(s): CPU time", cpu_of[n], "s", "the run's processes, workers and emulators included")
        res.row(f"{n} DUT(s): busiest DUT in its cases", busy[n], "s", "JUnit's time per case, summed per DUT")
        if n > 1:
            speedup = (passed / wall) / (one_passed / one_wall)
            res.row(f"{n} DUT(s): speedup over one DUT", speedup, "x", f"ideal {n} x")
            res.row(
                f"{n} DUT(s): speedup of the cases",
                n * busy[1] / busy[n] if busy[n] > 0 else 0.0,
                "x",
                "N x one DUT's time in its cases over the busiest DUT's here: start-up left out",
            )
            res.row(
                f"{n} DUT(s): speedup the cores allow",
                ceiling(n, passed, cpu_of[n], one_passed / one_wall),
                "x",
                f"{os.cpu_count()} core(s) kept busy with this run's CPU time per case",
            )
    biggest = max(measured)
    speedup = (measured[biggest][0] / measured[biggest][1]) / (one_passed / one_wall)
    goal_text = f"{biggest} DUTs with -n {biggest}: speedup over one DUT >= {GOAL_SHARE:g} x {biggest}"
    goal = Goal(NAME, goal_text, GOAL_SHARE * biggest, speedup, "x")
    allowed = ceiling(biggest, measured[biggest][0], cpu_of[biggest], one_passed / one_wall)
    goal.limit = (
        f"the workers share this machine's {os.cpu_count()} core(s) with the emulators they start; the paced "
        "line time overlaps across DUTs, the CPU work (xdist start-up, collection, the suite itself) does not: "
        f"with the CPU time the run took per case, {os.cpu_count()} fully busy core(s) allow at most "
        f"{allowed:.2f} x here. The cases themselves scale {biggest * busy[1] / max(busy[biggest], 1e-9):.2f} x "
        f"(each DUT's time in its cases); what the whole run loses is start-up that does not shrink with more "
        f"DUTs: one DUT's listener cases take {busy[1]:.1f} s of its {one_wall:.1f} s run"
    )
    res.goals.append(goal)
    if html_s is None:
        res.notes.append("Chromium is not installed: the merged report's open time is not measured")
    else:
        res.row(f"{biggest} DUT(s): merged report time to open", html_s, "s", "headless Chromium")
    return res
