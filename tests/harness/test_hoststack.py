"""Host-stack cases: their own verdict (works / breaks at step N), apart from the conformance matrix.

Shown with the test-only echo family (tests/echo/), whose profile names one host stack, ``term``: a
terminal program that types one line and waits for OK.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sockconf.harness.cases import case
from tests.echo.family import FAMILY as ECHO
from tests.helpers import ROOT

ENV = {**os.environ, "SOCKCONF_FAMILIES": "tests.echo.family"}


def run(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(ECHO.suite_dir), "-q", "--report-dir", str(tmp_path), *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    path = tmp_path / "conformance.json"
    return proc, json.loads(path.read_text()) if path.is_file() else {}


def test_a_stack_that_works_is_said_so_and_stays_out_of_the_conformance_totals(tmp_path):
    proc, report = run(tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert report["host_stacks"] == {
        "echo-1": {
            "term": {
                "name": "echo terminal",
                "verdict": "works",
                "breaks_at": None,
                "cases": {"ECHO-HOST-TERM-01": "works"},
            }
        }
    }
    assert report["totals"]["PASS"] == 1  # ECHO-01 only: the host-stack case is not a conformance verdict
    (walk,) = [c["host_stack"] for c in report["cases"] if c["kind"] == "host-stack"]
    assert walk["steps"] == ["greet: EC=ping", "wait_ok"] and walk["broke"] is False
    assert "host stack echo terminal on echo-1: works" in proc.stdout
    html = (tmp_path / "conformance.html").read_text()
    assert 'id="sc-host-stacks"' in html and "echo terminal" in html
    # The compliance matrix's own row: the stack per DUT, pointing at the section.
    row = html[html.index('class="sc-host-stacks-row"') :]
    row = row[: row.index("</tr>")]
    assert "echo terminal: works" in row and 'href="#sc-host-stacks"' in row


def test_a_module_that_breaks_the_stack_is_told_where_and_what_the_stack_needs(tmp_path):
    proc, report = run(tmp_path, "--fault", "echo:no-ok")
    assert proc.returncode == 1
    entry = report["host_stacks"]["echo-1"]["term"]
    assert entry["verdict"] == "breaks"
    assert entry["breaks_at"]["case"] == "ECHO-HOST-TERM-01"
    assert entry["breaks_at"]["detail"] == "breaks at step 2 (wait_ok)"
    (case_result,) = [c for c in report["cases"] if c["case_id"] == "ECHO-HOST-TERM-01"]
    assert case_result["failure"]["requirement"].startswith(
        "breaks echo terminal at step 2 (wait_ok): wait_ok needs an OK line after the echoed text; the module sent"
    )
    assert "host stack echo terminal on echo-1: breaks it: ECHO-HOST-TERM-01 breaks at step 2 (wait_ok)" in proc.stdout
    html = (tmp_path / "conformance.html").read_text()
    row = html[html.index('class="sc-host-stacks-row"') :]
    assert "echo terminal: breaks at step 2 (wait_ok)" in row[: row.index("</tr>")]


def test_host_stack_selects_the_stacks_whose_cases_run(tmp_path):
    proc, report = run(tmp_path, "--host-stack", "none")
    assert proc.returncode == 0
    assert [c["case_id"] for c in report["cases"]] == ["ECHO-01"] and report["host_stacks"] == {}
    proc, report = run(tmp_path, "--host-stack", "term")
    assert {c["case_id"] for c in report["cases"]} == {"ECHO-01", "ECHO-HOST-TERM-01"}
    bad, _ = run(tmp_path, "--host-stack", "vt100")
    assert bad.returncode == 4 and "--host-stack vt100: no such host stack; known:" in bad.stdout + bad.stderr


def test_a_stack_the_profile_does_not_name_is_not_applicable(tmp_path):
    profile = tmp_path / "echo-2.toml"
    profile.write_text('name = "echo-2"\nfamily = "echo"\n[deadlines]\nreply = 1.0\n')
    proc, report = run(tmp_path, "--profile", str(profile))
    assert proc.returncode == 0, proc.stdout[-2000:]
    (host,) = [c for c in report["cases"] if c["kind"] == "host-stack"]
    assert host["verdict"] == "NOT APPLICABLE" and "does not drive profile echo-2" in host["message"]
    assert report["host_stacks"]["echo-2"]["term"]["verdict"] == "NOT APPLICABLE"


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"kind": "host-stack"}, "names its stack"),
        ({"stack": "st"}, "names its stack"),
        ({"kind": "host-stack", "stack": "st"}, "<FAMILY>-HOST-ST-NN"),
    ],
)
def test_a_host_stack_case_is_declared_whole(kwargs, says):
    with pytest.raises(ValueError, match=says):
        case("ESWIFI-MA-99", "r", **kwargs)
