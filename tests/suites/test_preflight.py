"""The preflight end to end: a module that is not ready gets no FAIL, the run says so once, its exit
status says "not tested", and the report shows the failed check; a module that becomes ready in time
is waited for and passes. The suite runs in a subprocess, as a user runs it.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from sockconf.core.record import PreflightCheck
from sockconf.harness.plugin import PreflightOutcome
from sockconf.harness.preflight import NOT_TESTED, reachable_check, usable_address
from tests.helpers import PROFILES, run_suite


def _profile(tmp: Path, name: str, deadline: str, seconds: float) -> str:
    """A copy of a built-in profile with one preflight deadline changed (as a user would give one)."""
    lines = []
    for line in (PROFILES / f"{name}.toml").read_text().splitlines():
        if line.startswith(f"{deadline} ="):
            line = f"{deadline} = {seconds}"
        lines.append(line)
    path = tmp / f"{name}-{deadline}-{seconds:g}.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _assert_not_tested(run, state_words: str, advice: str) -> None:
    assert run.returncode == NOT_TESTED, run.output[-3000:]
    assert run.verdicts, run.output[-3000:]
    # No verdict on the module: INCONCLUSIVE everywhere, but for the host-stack cases of stacks that do
    # not drive this profile's module (NOT APPLICABLE whatever its state).
    verdicts = {v for cid, vs in run.verdicts.items() for v in vs if not ("-HOST-" in cid and v == "NOT APPLICABLE")}
    assert verdicts == {"INCONCLUSIVE"}, run.verdicts
    assert "FAIL" not in verdicts and "passed" not in {o for os in run.outcomes.values() for o in os}
    # Said once at the start (one line per failed check, naming what to do), and in the summary.
    assert run.output.count("sockconf preflight:") == 1, run.output[-3000:]
    head = run.output.index("sockconf preflight:")
    assert state_words in run.output[head : head + 1000]
    assert advice in run.output[head : head + 1000]
    assert f"exit status {NOT_TESTED}: not tested" in run.output


def test_not_registered_xbee_is_not_tested_and_the_report_shows_why(tmp_path):
    profile = _profile(tmp_path, "xbee3-lte-m", "registration", 2.0)
    report = tmp_path / "report"
    started = time.monotonic()
    run = run_suite(
        "sockconf.suites", "--case", "XBEE-LISTEN", "--profile", profile, "--state", "not-registered",
        tmp=tmp_path, report_dir=report,
    )  # fmt: skip
    took = time.monotonic() - started
    _assert_not_tested(run, "AI answers 23", "check the APN")
    assert len(run.verdicts) >= 10  # every XBEE-LISTEN case, none left out
    assert took < 60, f"the run took {took:.0f} s with a 2 s registration deadline"
    data = json.loads((report / "conformance.json").read_text())
    assert data["totals"]["FAIL"] == 0 and data["totals"]["PASS"] == 0
    checks = {c["name"]: c for c in data["preflight"]["xbee3-lte-m"]}
    failed = checks["registered (AI)"]
    assert failed["status"] == "failed" and failed["ok"] is False
    assert "AI answers 23" in failed["detail"] and failed["advice"]
    assert checks["API mode"]["status"] == "passed"
    html = (report / "conformance.html").read_text()
    assert "<h2>Preflight</h2>" in html and "AI answers 23" in html


def test_not_joined_eswifi_is_not_tested(tmp_path):
    profile = _profile(tmp_path, "ism43362", "join", 2.0)
    run = run_suite("sockconf.suites.eswifi", "--profile", profile, "--state", "not-joined", tmp=tmp_path)
    _assert_not_tested(run, "CS answers '0'", "C0")
    assert len(run.verdicts) >= 20


def test_xbee_in_transparent_mode_is_not_tested_and_told_to_set_api_mode(tmp_path):
    run = run_suite(
        "sockconf.suites.xbee",
        "--case",
        "XBEE-LISTEN-01",
        "--profile",
        "xbee3-lte-m",
        "--state",
        "transparent",
        tmp=tmp_path,
    )
    _assert_not_tested(run, "transparent mode", "ATAP1 then ATWR")


def test_a_module_that_registers_within_the_deadline_is_waited_for_and_passes(tmp_path):
    profile = _profile(tmp_path, "xbee3-lte-m", "registration", 15.0)
    started = time.monotonic()
    run = run_suite(
        "sockconf.suites", "--case", "XBEE-LISTEN", "--profile", profile, "--state", "not-registered",
        "--ready-after", "2", tmp=tmp_path,
    )  # fmt: skip
    took = time.monotonic() - started
    assert run.returncode == 0, run.output[-3000:]
    assert run.verdicts and all(set(v) == {"PASS"} for v in run.verdicts.values())
    assert took >= 2.0  # it was waited for
    assert "sockconf preflight:" not in run.output


def test_a_module_that_joins_within_the_deadline_passes(tmp_path):
    profile = _profile(tmp_path, "ism43362", "join", 15.0)
    run = run_suite(
        "sockconf.suites.eswifi", "--case", "ESWIFI-SRV", "--profile", profile, "--state", "not-joined",
        "--ready-after", "1.5", tmp=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.output[-3000:]
    assert run.verdicts and all(set(v) <= {"PASS", "NON-STRICT"} for v in run.verdicts.values())


def test_state_options_are_usage_errors_when_wrong(tmp_path):
    for args, message in (
        (("--state", "bogus"), "no state 'bogus'"),
        (("--ready-after", "2"), "--ready-after needs --state"),
        (("--state", "transparent", "--ready-after", "2"), "does not end by itself"),
    ):
        run = run_suite("sockconf.suites.xbee", *args, tmp=tmp_path)
        assert run.returncode == 4, run.output[-2000:]
        assert message in run.output and "Traceback" not in run.output


def test_a_state_of_one_family_makes_the_other_not_applicable(tmp_path):
    run = run_suite("sockconf.suites.eswifi", "--case", "ESWIFI-SRV-01", "--state", "xbee:not-registered", tmp=tmp_path)
    assert run.returncode == 0, run.output[-2000:]
    assert {v for vs in run.verdicts.values() for v in vs} == {"NOT APPLICABLE"}


# --------------------------------------------------------------------------- the parts, without a run


def test_reachability_is_told_by_a_refusal_and_a_silent_address_is_not_reachable(monkeypatch):
    ok = reachable_check("127.0.0.1", 2.0)
    assert ok.ok is True and "refused" in ok.detail
    assert reachable_check(None, 1.0).ok is None

    def silent(address, timeout, source_address=None):
        raise TimeoutError("timed out")

    # Traffic stays on loopback: a host that drops the connection is stood in for by a time-out.
    monkeypatch.setattr(socket, "create_connection", silent)
    bad = reachable_check("10.0.0.23", 1.5)
    assert bad.ok is False and "no answer within 1.5 s" in bad.detail
    assert "public IP" in bad.advice and "private network" in bad.advice
    assert usable_address("0.0.0.0") is None and usable_address("255.255.255.255") is None
    assert usable_address("not an address") is None and usable_address(" 10.0.0.23 ") == "10.0.0.23"


class _Report:
    def __init__(self, failed: bool, inconclusive: bool = False, not_ready: list[str] | None = None) -> None:
        self.failed = failed
        if inconclusive:
            self.sockconf_inconclusive = True
        if not_ready:
            self.sockconf_not_ready = not_ready


class _Session:
    exitstatus = 1


def test_the_exit_status_is_not_tested_only_when_no_case_failed():
    check = PreflightCheck("registered (AI)", False, "AI answers 23", "wait")
    outcome = PreflightOutcome()
    outcome.pytest_runtest_logreport(_Report(True, inconclusive=True, not_ready=["p", check.line()]))  # type: ignore[arg-type]
    session = _Session()
    outcome.pytest_sessionfinish(session)  # type: ignore[arg-type]
    assert session.exitstatus == NOT_TESTED
    outcome.pytest_runtest_logreport(_Report(True))  # type: ignore[arg-type]  # a real FAIL elsewhere
    session = _Session()
    outcome.pytest_sessionfinish(session)  # type: ignore[arg-type]
    assert session.exitstatus == 1


def test_the_suite_joins_an_spi_module_that_has_not(tmp_path):
    # The SPI module has not joined at power-on (its host resets it); its profile names the network
    # and says the suite joins it: C1, C2, C3, C0 before the wait for CS 1.
    report = tmp_path / "report"
    run = run_suite(
        "sockconf.suites.eswifi", "--case", "ESWIFI-SRV-01", "--profile", "ism43362-spi",
        tmp=tmp_path, report_dir=report,
    )  # fmt: skip
    assert run.returncode == 0, run.output[-3000:]
    checks = {c["name"]: c for c in json.loads((report / "conformance.json").read_text())["preflight"]["ism43362-spi"]}
    joined = checks["joined (CS)"]
    assert joined["status"] == "passed" and "the suite joined 'sockconf'" in joined["detail"], joined


def test_an_spi_module_whose_network_comes_late_is_joined_once_it_does(tmp_path):
    profile = _profile(tmp_path, "ism43362-spi", "join", 15.0)
    started = time.monotonic()
    run = run_suite(
        "sockconf.suites.eswifi", "--case", "ESWIFI-SRV-01", "--profile", profile, "--state", "not-joined",
        "--ready-after", "1.5", tmp=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.output[-3000:]
    assert time.monotonic() - started >= 1.5  # the first joins failed: it was tried again until it worked
    assert run.verdicts and all(set(v) <= {"PASS", "NON-STRICT"} for v in run.verdicts.values())


def test_an_spi_module_whose_network_never_comes_is_not_tested(tmp_path):
    profile = _profile(tmp_path, "ism43362-spi", "join", 2.0)
    run = run_suite("sockconf.suites.eswifi", "--profile", profile, "--state", "not-joined", tmp=tmp_path)
    _assert_not_tested(run, "CS answers '0'", "C0")
