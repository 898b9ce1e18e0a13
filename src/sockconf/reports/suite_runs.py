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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sockconf.core.family import get as get_family


def emulator_names(family: str, listing: str) -> list[str]:
    """What ``sockconf emulate FAMILY --list-faults`` (or ``--list-variants``) lists; [] if it fails."""
    proc = subprocess.run(
        [sys.executable, "-m", "sockconf", "emulate", family, listing],
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
