"""Running a family's suite against the emulator in a pytest process of its own, for the tools that
compare many such runs (``reports.sensitivity``: faults; ``reports.variants``: conformant variants).

Each run gets its own temporary folder (its working folder and report folder, so no settings of the
caller's folder leak in and nothing is written elsewhere) and its own loopback address; what the
emulator offers is asked of its CLI, so these tools import no family's code.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path
from typing import Any, TypeVar

from sockconf.core.family import get as get_family


def emulator_names(family: str, listing: str, *more: str) -> list[str]:
    """What ``sockconf emulate FAMILY --list-faults`` (or ``--list-variants``; ``more``: its other options)
    lists; [] if it fails."""
    proc = subprocess.run(
        [sys.executable, "-m", "sockconf", "emulate", family, listing, *more],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        return []
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()]


def suite_report(family: str, host: str, args: Iterable[str], timeout: float) -> tuple[dict[str, Any] | None, str]:
    """Run ``family``'s suite with ``args`` against the emulator on ``host``: its JSON report, or None
    and the last lines of the run's output when it wrote none."""
    with tempfile.TemporaryDirectory(prefix="sockconf-run-") as tmp:
        cmd = [sys.executable, "-m", "pytest", str(get_family(family).suite_dir), "-q", "-p", "no:randomly"]
        cmd += ["--report-dir", tmp, "--emulator-host", host, *args]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        path = Path(tmp) / "conformance.json"
        if not path.exists():
            return None, " / ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data, ""


W = TypeVar("W")
R = TypeVar("R")


def in_parallel(work: Sequence[W], run: Callable[[W, str], R], jobs: int, subnet: str) -> list[R]:
    """``run(item, host)`` for every item, ``jobs`` at a time, each on a loopback address of its own
    in ``subnet`` (``127.77``: one tool's runs never share the documents' fixed ports)."""
    hosts = [f"{subnet}.{i // 250}.{1 + i % 250}" for i in range(len(work))]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, work, hosts))


PAGE_STYLE = """body{font:13px system-ui,sans-serif;margin:20px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table{border-collapse:collapse}span{display:inline-block;margin:1px 3px;padding:0 4px}
.v-FAIL,.v-ERROR{background:#fbe0e0}.v-INCONCLUSIVE{background:#ede3f7}.v-NON-STRICT{background:#fff5d6}"""


def write_results(
    out: Path, stem: str, data: dict[str, Any], title: str, intro: str, headers: Sequence[str], rows: Iterable[str]
) -> tuple[Path, Path]:
    """``stem``.json (``data``) and ``stem``.html (a title, an ``intro`` paragraph of HTML, a table of
    ``rows``, each a ``<tr>`` the caller escaped) in ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{stem}.json"
    json_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    page = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>sockconf {escape(title.lower())}</title>'
        f"<style>{PAGE_STYLE}</style></head>\n<body><h1>{escape(title)}</h1><p>{intro}</p>\n"
        f"<table><tr>{head}</tr>\n{''.join(rows)}</table></body></html>"
    )
    html_path = out / f"{stem}.html"
    html_path.write_text(page, encoding="utf-8")
    return json_path, html_path
