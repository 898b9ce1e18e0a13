"""What the harness tests share: every case the suite collects, with the requirements it verifies."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

# Runs in a fresh interpreter: pytest plugins with process-wide state (labgrid's) allow one session.
_COLLECT = """
import json, sys
import pytest
from sockconf.core.record import case_marker

class Collector:
    cases = {}

    def pytest_collection_modifyitems(self, items):
        for item in items:
            mark = case_marker(item)
            if mark is not None:
                self.cases.setdefault(mark.case_id, set()).update(mark.verifies)

collector = Collector()
args = ["--pyargs", "sockconf.suites", "--collect-only", "-q", "--no-report", "-p", "no:randomly"]
code = pytest.main(args, plugins=[collector])
print("CASES " + json.dumps({c: sorted(v) for c, v in collector.cases.items()}))
sys.exit(int(code))
"""


@pytest.fixture(scope="session")
def cases() -> dict[str, set[str]]:
    """Case ID -> the requirement IDs it verifies, from every case pytest collects in suites/."""
    proc = subprocess.run(
        [sys.executable, "-c", _COLLECT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"collecting suites/ failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    line = next(x for x in proc.stdout.splitlines() if x.startswith("CASES "))
    found = {c: set(ids) for c, ids in json.loads(line.removeprefix("CASES ")).items()}
    assert len(found) > 90, "fewer cases than the suite has: the collection went wrong"
    return found
