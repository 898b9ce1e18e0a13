"""The ESPAT-HOST cases: Zephyr's esp_at and WiFiEspAT work with the clean emulator on both ESP-AT profiles,
and each firmware bug or defensible choice a driver cannot work with makes the right case say where
it breaks.

The variants that break a driver are conformant modules (no conformance case FAILs them:
tests/suites/test_variants.py shows that); here they only have to break the driver's case.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import PROFILES, assert_fault_caught, run_suite

SUITE = "sockconf.suites.espat"
ZEPHYR = {f"ESPAT-HOST-ZEPHYR-{n:02d}" for n in range(1, 4)}
WIFIESPAT = {f"ESPAT-HOST-WIFIESPAT-{n:02d}" for n in range(1, 4)}
HOST_CASES = ZEPHYR | WIFIESPAT


def _z(*numbers: int) -> set[str]:
    return {f"ESPAT-HOST-ZEPHYR-{n:02d}" for n in numbers}


def _w(*numbers: int) -> set[str]:
    return {f"ESPAT-HOST-WIFIESPAT-{n:02d}" for n in numbers}


# fault -> the host-stack cases that must break under it.
HOST_CATCHES = {
    "no-ready-after-restart": _z(1),  # esp_reset waits for ready
    "ipd-length-off-by-one": _z(2),  # on_cmd_ipd counts the bytes
    "closed-never-announced": _z(2) | _w(3),
    "recvdata-over-len": _z(3),  # more than the 2048 asked for
    "send-ok-missing": _z(2) | _w(2, 3),
    "recv-count-off-by-one": _w(2, 3),  # sendData takes Recv's number for the bytes sent
    "recvlen-fields-shifted": _w(2, 3),
    "connect-not-reported": _w(3),
}
# variant -> the host-stack cases it breaks (on esp32-at): conformant choices these drivers cannot work with.
VARIANT_BREAKS = {
    "passive-ipd-once": _z(3),  # Zephyr reads once per +IPD notice
    "passive-ipd-new-data-only": _z(3),
    "no-cipstatus": _w(1),
    "no-recv-line": _w(2, 3),
    "recvlen-idle-empty": _w(2),  # strtok merges the empty fields before link 4
    "recvmode-name-refused": _z(3) | _w(1, 2, 3),  # both send AT+CIPRECVMODE=1
}


def _report(tmp_path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    run = run_suite(SUITE, *args, tmp=tmp_path, report_dir=out)
    return run.returncode, json.loads((out / "conformance.json").read_text())


def test_both_drivers_work_with_the_clean_emulator_on_both_profiles(tmp_path):
    code, report = _report(tmp_path, "--case", "ESPAT-HOST")
    assert code == 0
    assert set(report["host_stacks"]) == {"esp32-at", "esp8266-at"}
    for stacks in report["host_stacks"].values():
        assert stacks["zephyr"]["verdict"] == "works", stacks
        assert stacks["wifiespat"]["verdict"] == "works", stacks
        assert stacks["zephyr"]["cases"] == dict.fromkeys(sorted(ZEPHYR), "works")
        assert stacks["wifiespat"]["cases"] == dict.fromkeys(sorted(WIFIESPAT), "works")
    walks = [c["host_stack"] for c in report["cases"] if c["case_id"] == "ESPAT-HOST-ZEPHYR-01"]
    assert all(w["steps"][:2] == ["esp_reset: AT+RST", "esp_init_work: AT"] and not w["broke"] for w in walks)


def test_a_profile_without_the_stacks_makes_their_cases_not_applicable(tmp_path):
    text = (PROFILES / "esp8266-at.toml").read_text(encoding="utf-8")
    assert 'host_stacks = ["zephyr", "wifiespat"]' in text
    profile = tmp_path / "no-hosts.toml"
    profile.write_text(
        text.replace('name = "esp8266-at"', 'name = "no-hosts"').replace('host_stacks = ["zephyr", "wifiespat"]', "")
    )
    code, report = _report(tmp_path, "--profile", str(profile), "--case", "ESPAT-HOST")
    assert code == 0
    assert {c["case_id"] for c in report["cases"]} == HOST_CASES
    assert {c["verdict"] for c in report["cases"]} == {"NOT APPLICABLE"}
    assert report["host_stacks"]["no-hosts"]["zephyr"]["verdict"] == "NOT APPLICABLE"
    assert report["host_stacks"]["no-hosts"]["wifiespat"]["verdict"] == "NOT APPLICABLE"


@pytest.mark.parametrize("fault", sorted(HOST_CATCHES))
def test_host_cases_catch_fault(tmp_path, fault):
    run = assert_fault_caught(SUITE, fault, HOST_CATCHES[fault], tmp_path, "--profile", "esp32-at")
    assert "error" not in {o for c in HOST_CATCHES[fault] for o in run.outcomes[c]}, run.output[-3000:]


@pytest.mark.parametrize("variant", sorted(VARIANT_BREAKS))
def test_a_variant_a_driver_cannot_work_with_breaks_it(tmp_path, variant):
    args = ["--variant", f"espat:{variant}", "--profile", "esp32-at", "--deadline-scale", "0.2"]
    code, report = _report(tmp_path, *args, "--case", "ESPAT-HOST")
    assert code == 1
    verdicts = {c["case_id"]: c["verdict"] for c in report["cases"]}
    assert {i for i, v in verdicts.items() if v == "FAIL"} == VARIANT_BREAKS[variant]
    assert set(verdicts.values()) <= {"PASS", "FAIL"}, verdicts


@pytest.mark.parametrize(
    ("args", "case", "start", "needs"),
    [
        (
            ["--fault", "no-ready-after-restart"],
            "ESPAT-HOST-ZEPHYR-01",
            "breaks Zephyr esp_at at step 1 (esp_reset: AT+RST): ",
            "needs a line starting ready within 3 s of AT+RST",
        ),
        (
            ["--variant", "espat:recvlen-idle-empty"],
            "ESPAT-HOST-WIFIESPAT-02",
            "breaks WiFiEspAT at step 10 (availData: AT+CIPRECVLEN? (recvLenQuery)): EspAtDrv.cpp recvLenQuery ",
            "+CIPRECVLEN:",
        ),
    ],
    ids=["zephyr", "wifiespat"],
)
def test_the_message_names_the_stack_the_step_and_what_it_needs(tmp_path, args, case, start, needs):
    _, report = _report(tmp_path, *args, "--profile", "esp32-at", "--deadline-scale", "0.2", "--case", case)
    (found,) = report["cases"]
    said = found["failure"]["requirement"]
    assert said.startswith(start), said
    assert needs in said, said
    assert found["host_stack"]["broke"]


def test_every_host_case_is_shown_to_break():
    shown = set().union(*HOST_CATCHES.values(), *VARIANT_BREAKS.values())
    assert not HOST_CASES - shown, f"host-stack cases nothing is shown to break: {sorted(HOST_CASES - shown)}"
