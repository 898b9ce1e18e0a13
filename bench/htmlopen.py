"""Benchmark 5: how fast the HTML report opens, for the default run and for a 10,000+ case run.

Two reports are written by real suite runs against the emulator: the default run, and a big one
(the default profiles, each run ``COPIES`` times under other names — the same cases, as a rack of
modules or a run over several firmware builds would give). Each is opened in headless Chromium
with a probe script added to a copy of the file: it reads ``performance.now()`` once the page has
loaded, pytest-html's script has built the table (its first page) and the layout is done; then it
turns to the next page and times that too. The times are read back from the dumped DOM. The median
of ``OPENS`` opens is reported.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, BenchResult, Goal, median, suite_env
from sockconf.protocol.profile import PROFILE_DIR

NAME = "report"
TITLE = "HTML report: time to open"
DEFAULT_PROFILES = ("xbee3-lte-m", "xbee-cat1", "ism43362")
COPIES = 14  # the big report: every default profile this many times -> 14 x the default run's cases (10,000+)
BIG_CASES = 10_000
GOAL_OPEN_S = 2.0
OPENS = 3
QUICK_CASES = ("XBEE-LISTEN-02", "ESWIFI-SRV-01")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# pytest-html builds the table synchronously while the page loads; at ``load`` the probe forces
# layout (offsetHeight) and reads the clock, then presses the pager's "next page" (when the report
# has one) and times it the same way, and replaces the page by the times (Chromium's --dump-dom
# dumps after the load handlers have run).
PROBE = (
    "<script>window.addEventListener('load',()=>{void document.body.offsetHeight;"
    "const t=performance.now();let p=-1;const next=document.querySelector('#sc-pager [data-go=next]');"
    "if(next&&!next.disabled){const t0=performance.now();next.click();void document.body.offsetHeight;"
    "p=performance.now()-t0}"
    "document.documentElement.innerHTML='<body>SOCKCONF-OPEN-MS='+t.toFixed(1)+' PAGE-MS='+p.toFixed(1)+'</body>'"
    "})</script>"
)
_OPEN_MS = re.compile(r"SOCKCONF-OPEN-MS=([0-9.]+) PAGE-MS=(-?[0-9.]+)")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def write_report(out: Path, profiles: list[str], cases: tuple[str, ...]) -> int:
    """Run the suites into ``out`` with these profiles; the number of cases in the report."""
    from bench.suite import loopback

    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "sockconf.suites",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--report-dir={out}",
    ]
    cmd += [a for p in profiles for a in ("--profile", p)]
    cmd += [a for c in cases for a in ("--case", c)]
    cmd += ["--emulator-host", loopback()]
    env = suite_env()
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


def open_ms(browser: str, html: Path, tmp: Path) -> tuple[float, float]:
    """Milliseconds from navigation start until the report's table is built and drawn, and for
    turning to its next page (-1 when it has one page)."""
    probe = tmp / f"probe-{html.parent.name}.html"
    probe.write_text(html.read_text(encoding="utf-8").replace("</head>", PROBE + "</head>", 1), encoding="utf-8")
    cmd = [browser, *FLAGS, f"--user-data-dir={tmp / 'chromium-profile'}", "--dump-dom", probe.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    found = _OPEN_MS.search(proc.stdout)
    if not found:
        raise RuntimeError(f"Chromium did not run the probe (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return float(found.group(1)), float(found.group(2))


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
        measured: dict[str, tuple[int, float, float, int]] = {}
        for label, (profiles, out) in reports.items():
            out.mkdir()
            n = write_report(out, profiles, cases)
            html = out / "conformance.html"
            opens = [open_ms(browser, html, tmp) for _ in range(1 if quick else OPENS)]
            ms = median([o for o, _ in opens])
            page = median([p for _, p in opens])
            measured[label] = (n, ms, page, html.stat().st_size)
    for label, (n, ms, page, size) in measured.items():
        what = "the default run's report" if label == "default" else f"a report of {COPIES}x the default profiles"
        res.row(f"{label}: cases", n, "cases", what)
        res.row(f"{label}: file size", size / 1e6, "MB")
        res.row(f"{label}: time to open", ms / 1000, "s", "headless Chromium, until the table's first page is drawn")
        if page >= 0:
            res.row(f"{label}: next page", page / 1000, "s", "pressing the pager's next page, until it is drawn")
        if n:
            res.row(f"{label}: per case", ms / n, "ms")
    res.checks["both reports were written and opened"] = all(n > 0 for n, _, _, _ in measured.values())
    big_n, big_ms, _, _ = measured["big"]
    if big_n >= BIG_CASES:
        goal = Goal(NAME, goal_text, GOAL_OPEN_S, big_ms / 1000, "s", higher_is_better=False)
    else:
        goal = Goal(NAME, goal_text, GOAL_OPEN_S, None, "s", False, not_measured=f"smoke size ({big_n} cases)")
    goal.limit = (
        "pytest-html's script builds a row's DOM (cells, trace, listeners) at about 1.4 ms a case; the report "
        "draws one page of rows (reports/html_pages.py), so what remains grows with the file: reading and "
        "parsing the HTML and the JSON of every case"
    )
    res.goals.append(goal)
    return res
