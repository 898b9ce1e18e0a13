"""The ESP-AT preflight end to end: a station that has not joined is not tested (whatever AT+CWJAP? answers
then), one that joins in time is waited for and passes; the run says so once and the report shows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sockconf.harness.preflight import NOT_TESTED
from tests.helpers import PROFILES, run_suite


def _profile(tmp: Path, join: float) -> str:
    """The esp32-at profile with another join deadline (as a user would give one)."""
    lines = [
        f"join = {join}" if line.startswith("join =") else line
        for line in (PROFILES / "esp32-at.toml").read_text().splitlines()
    ]
    path = tmp / f"esp32-at-join-{join:g}.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize(
    ("variant", "shown"),
    [(None, "No AP / OK"), ("cwjap-query-ok-only", "answers OK"), ("cwjap-query-error", "answers ERROR")],
    ids=["no-ap", "ok-only", "error"],
)
def test_a_station_not_joined_is_not_tested(tmp_path, variant, shown):
    report = tmp_path / "report"
    args = ["sockconf.suites.espat", "--profile", _profile(tmp_path, 1.0), "--state", "espat:no-ap"]
    args += ["--case", "ESPAT-BASIC", "--case", "ESPAT-SRV-01"] + (["--variant", f"espat:{variant}"] if variant else [])
    run = run_suite(*args, tmp=tmp_path, report_dir=report)
    assert run.returncode == NOT_TESTED, run.output[-3000:]
    assert {v for vs in run.verdicts.values() for v in vs} == {"INCONCLUSIVE"}
    assert run.output.count("sockconf preflight:") == 1
    head = run.output.index("sockconf preflight:")
    assert shown in run.output[head : head + 1500] and "AT+CWJAP" in run.output[head : head + 1500]
    checks = {c["name"]: c for c in json.loads((report / "conformance.json").read_text())["preflight"]["esp32-at"]}
    assert checks["answers"]["status"] == "passed" and checks["joined"]["status"] == "failed"


def test_a_station_that_joins_in_time_is_waited_for(tmp_path):
    run = run_suite(
        "sockconf.suites.espat", "--profile", "esp32-at", "--state", "espat:no-ap", "--ready-after", "0.5",
        "--case", "ESPAT-BASIC-01", "--case", "ESPAT-WIFI-02", tmp=tmp_path,
    )  # fmt: skip
    assert run.all_passed(), run.output[-3000:]
    assert set(run.outcomes) == {"ESPAT-BASIC-01", "ESPAT-WIFI-02"}
