"""Benchmark 5: how fast the HTML report opens, for the default run and for a 2,000+ case run.

Issue 4 asks for one self-contained ``conformance.html`` "that stays quick to open with 2,000+
cases". Two reports are written by real suite runs against the emulator: the default run, and a
big one (the default profiles, each run ``COPIES`` times under other names — the same cases, as a
rack of modules or a run over several firmware builds would give). Each is opened in headless
Chromium with a probe script added to a copy of the file: it reads ``performance.now()`` once the
page has loaded, pytest-html's script has built the table and the layout is done; the time is read
back from the dumped DOM. The median of ``OPENS`` opens is reported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, BenchResult, Goal, median
from protocol.profile import PROFILE_DIR

NAME = "report"
TITLE = "HTML report: time to open"
DEFAULT_PROFILES = ("xbee3-lte-m", "xbee-cat1", "ism43362")
COPIES = 4  # the big report: every default profile this many times -> 4 x the default run's cases (2,600+)
BIG_CASES = 2000
GOAL_OPEN_S = 5.0
OPENS = 3
QUICK_CASES = ("XBEE-LISTEN-02", "ESWIFI-SRV-01")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# pytest-html builds the table synchronously while the page loads; at ``load`` the probe forces
# layout (offsetHeight), reads the clock and replaces the page by the time (Chromium's --dump-dom
# dumps after the load handlers have run).
PROBE = (
    "<script>window.addEventListener('load',()=>{void document.body.offsetHeight;"
    "const t=performance.now();document.documentElement.innerHTML='<body>SOCKCONF-OPEN-MS='+t.toFixed(1)+'</body>'"
    "})</script>"
)
_OPEN_MS = re.compile(r"SOCKCONF-OPEN-MS=([0-9.]+)")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def write_report(out: Path, profiles: list[str], cases: tuple[str, ...]) -> int:
    """Run the suites into ``out`` with these profiles; the number of cases in the report."""
    from bench.suite import loopback

    cmd = [sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider", f"--report-dir={out}"]
    cmd += [a for p in profiles for a in ("--profile", p)]
    cmd += [a for c in cases for a in ("--case", c)]
    cmd += ["--emulator-host", loopback()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, env=env)
    html = out / "conformance.html"
    if not html.exists():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        raise RuntimeError(f"the suite wrote no report (exit {proc.returncode}): {tail}")
    found = re.search(r"(\d+) passed", proc.stdout)
    return int(found.group(1)) if found else 0


def copies(tmp: Path, n: int) -> list[str]:
    """The default profiles, each ``n`` times under names of their own (TOML files in ``tmp``)."""
    paths = []
    for name in DEFAULT_PROFILES:
        text = (PROFILE_DIR / f"{name}.toml").read_text()
        for i in range(n):
            path = tmp / f"{name}-copy{i + 1}.toml"
            path.write_text(text.replace(f'name = "{name}"', f'name = "{name}-copy{i + 1}"', 1))
            paths.append(str(path))
    return paths


def open_ms(browser: str, html: Path, tmp: Path) -> float:
    """Milliseconds from navigation start until the report's table is built and drawn."""
    probe = tmp / f"probe-{html.parent.name}.html"
    probe.write_text(html.read_text(encoding="utf-8").replace("</head>", PROBE + "</head>", 1), encoding="utf-8")
    cmd = [browser, *FLAGS, f"--user-data-dir={tmp / 'chromium-profile'}", "--dump-dom", probe.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    found = _OPEN_MS.search(proc.stdout)
    if not found:
        raise RuntimeError(f"Chromium did not run the probe (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return float(found.group(1))


def run(quick: bool = False) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    goal_text = f"a {BIG_CASES:,}+ case report opens in <= {GOAL_OPEN_S:g} s"
    browser = chromium()
    if browser is None:
        res.notes.append("Chromium is not installed (apt-get install chromium): nothing measured")
        res.row("cases in the default report", 0, "cases", "not run: no Chromium")
        res.goals.append(Goal(NAME, goal_text, GOAL_OPEN_S, None, "s", False, not_measured="no Chromium"))
        return res
    cases = QUICK_CASES if quick else ()
    with tempfile.TemporaryDirectory(prefix="sockconf-bench-report-") as name:
        tmp = Path(name)
        reports = {"default": (list(DEFAULT_PROFILES), tmp / "default"), "big": (copies(tmp, COPIES), tmp / "big")}
        measured: dict[str, tuple[int, float, int]] = {}
        for label, (profiles, out) in reports.items():
            out.mkdir()
            n = write_report(out, profiles, cases)
            html = out / "conformance.html"
            ms = median([open_ms(browser, html, tmp) for _ in range(1 if quick else OPENS)])
            measured[label] = (n, ms, html.stat().st_size)
    for label, (n, ms, size) in measured.items():
        what = "the default run's report" if label == "default" else f"a report of {COPIES}x the default profiles"
        res.row(f"{label}: cases", n, "cases", what)
        res.row(f"{label}: file size", size / 1e6, "MB")
        res.row(f"{label}: time to open", ms / 1000, "s", "headless Chromium, until the table is drawn")
        if n:
            res.row(f"{label}: per case", ms / n, "ms")
    res.checks["both reports were written and opened"] = all(n > 0 for n, _, _ in measured.values())
    big_n, big_ms, _ = measured["big"]
    if big_n >= BIG_CASES:
        goal = Goal(NAME, goal_text, GOAL_OPEN_S, big_ms / 1000, "s", higher_is_better=False)
    else:
        goal = Goal(NAME, goal_text, GOAL_OPEN_S, None, "s", False, not_measured=f"smoke size ({big_n} cases)")
    goal.limit = (
        "pytest-html's script builds every row's DOM (cells, trace, listeners) at load, collapsed or not; "
        "the report keeps that cost down by cutting passed cases' traces to 16 rows (the JSON has them whole)"
    )
    res.goals.append(goal)
    return res
