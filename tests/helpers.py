"""Running the suite as a user would (a subprocess) and reading what it concluded."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SuiteRun:
    returncode: int
    output: str
    # case ID -> outcomes of its test items ("passed", "failed", "skipped")
    outcomes: dict[str, list[str]] = field(default_factory=dict)
    verdicts: dict[str, list[str]] = field(default_factory=dict)

    def failed_cases(self) -> set[str]:
        return {cid for cid, outs in self.outcomes.items() if "failed" in outs}

    def all_passed(self) -> bool:
        return self.returncode == 0 and not self.failed_cases()


def run_suite(*args: str, tmp: Path, timeout: float = 300) -> SuiteRun:
    """``python -m pytest ARGS`` from the checkout; JUnit results parsed per case ID."""
    xml = tmp / f"junit-{os.getpid()}-{len(list(tmp.iterdir()))}.xml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *args,
        "-q",
        "-p",
        "no:randomly",
        "--no-report",
        f"--junitxml={xml}",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    run = SuiteRun(proc.returncode, proc.stdout + proc.stderr)
    if xml.exists():
        for tc in ET.parse(xml).getroot().iter("testcase"):
            props = {p.get("name"): p.get("value") for p in tc.iter("property")}
            cid = props.get("case_id")
            if not cid:
                continue
            if tc.find("failure") is not None or tc.find("error") is not None:
                outcome = "failed"
            elif tc.find("skipped") is not None:
                outcome = "skipped"
            else:
                outcome = "passed"
            run.outcomes.setdefault(cid, []).append(outcome)
            run.verdicts.setdefault(cid, []).append(props.get("verdict", ""))
    return run
