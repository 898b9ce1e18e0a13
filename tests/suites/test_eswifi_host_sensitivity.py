"""The ESWIFI-HOST cases: ST's, Zephyr's and Mbed's drivers work with the clean emulator, and each firmware bug
or defensible choice a driver cannot work with makes the right case say where it breaks.

The variants that break a driver are conformant modules: no conformance case may FAIL them
(tests/suites/test_variants.py); here only the host-stack cases run against them (``VARIANT_BREAKS``).
"""

from __future__ import annotations

import ast
import json

import pytest

from tests.helpers import SUITES, assert_fault_caught, run_suite

SUITE = "sockconf.suites.eswifi"
SPI = "ism43362-spi"  # the profile the three drivers drive
ST = {f"ESWIFI-HOST-ST-{n:02d}" for n in range(1, 4)}
ZEPHYR = {f"ESWIFI-HOST-ZEPHYR-{n:02d}" for n in range(1, 3)}
MBED = {"ESWIFI-HOST-MBED-01"}
HOST_CASES = ST | ZEPHYR | MBED
STACKS = {"st": ST, "zephyr": ZEPHYR, "mbed": MBED}
NAMES = {"st": "ST es_wifi.c", "zephyr": "Zephyr eswifi", "mbed": "Mbed wifi-ism43362"}

# fault -> the host-stack cases that must break under it (on the SPI profile).
HOST_CATCHES = {
    "s3-zero-padded-refused": ST,  # ES_WIFI_SendData always sends S3=%04d
    "empty-ok-8-bytes": ZEPHYR,  # eswifi_at_cmd_rsp cannot find OK after byte 1 in 8 bytes
    "r0-no-leading-crlf": HOST_CASES,
    "no-accepted-line": {"ESWIFI-HOST-ST-03", "ESWIFI-HOST-ZEPHYR-01"},
    "accepted-port-byte-swapped": {"ESWIFI-HOST-ZEPHYR-01"},
    "stop-answers-error": {"ESWIFI-HOST-ST-01", "ESWIFI-HOST-ST-03", *ZEPHYR},  # Zephyr's P5=0 before connect
    "r0-no-lost": {"ESWIFI-HOST-ST-02", "ESWIFI-HOST-ZEPHYR-02", "ESWIFI-HOST-MBED-01"},
    "no-ok": HOST_CASES,
    "spi-unprompted-messages": {"ESWIFI-HOST-ZEPHYR-01"},  # a message in front of the next reply
}
# variant -> the host-stack cases it breaks, each with the step (the driver's function) where it breaks.
VARIANT_BREAKS = {
    "short-identity": dict.fromkeys(ST, "ES_WIFI_Init: I?\\r\\n"),
    "p-field1-own-address": {
        "ESWIFI-HOST-ST-01": "ES_WIFI_WaitServerConnection: MR, P? with no client yet",
        "ESWIFI-HOST-ST-03": "ES_WIFI_WaitServerConnection: MR, P? until a client",
    },
    "p-field1-unset": {
        "ESWIFI-HOST-ST-01": "ES_WIFI_WaitServerConnection: MR, P? until a client",
        "ESWIFI-HOST-ST-03": "ES_WIFI_WaitServerConnection: MR, P? until a client",
    },
    "p7-refused": {"ESWIFI-HOST-ST-03": "ES_WIFI_StartServerMultiConn: P7=1"},
    "join-bare-ok": dict.fromkeys(ZEPHYR, "eswifi_connect: the address in C0's data"),
    "accepted-client-port": {
        "ESWIFI-HOST-ZEPHYR-01": "eswifi_spi_poll_thread: MR until [TCP SVR] Accepted <ip>:<bound port>"
    },
    "c-field1-empty": {"ESWIFI-HOST-MBED-01": "ISM43362::getIPAddress: C?"},
    "lost-with-ok": {
        "ESWIFI-HOST-ST-02": "ES_WIFI_ReceiveData: R0 after the peer closed",
        "ESWIFI-HOST-ZEPHYR-02": "__read_data: R0 after the peer closed",
        "ESWIFI-HOST-MBED-01": "check_recv_status: R0 after the peer closed",
    },
}


def host_case_ids() -> set[str]:
    """Every ``@case("ESWIFI-HOST-…")`` ID in suites/eswifi."""
    ids = set()
    for path in sorted((SUITES / "eswifi").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "case":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and str(first.value).startswith("ESWIFI-HOST-"):
                    ids.add(str(first.value))
    return ids


def _stack(case_id: str) -> str:
    return next(s for s, cases in STACKS.items() if case_id in cases)


def _report(tmp_path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    run = run_suite(SUITE, *args, tmp=tmp_path, report_dir=out)
    return run.returncode, json.loads((out / "conformance.json").read_text())


def test_the_drivers_work_with_the_clean_emulator_and_do_not_apply_to_the_uart_module(tmp_path):
    code, report = _report(tmp_path, "--case", "ESWIFI-HOST")
    assert code == 0
    stacks = report["host_stacks"]
    assert set(stacks) == {SPI, "ism43362"}
    for stack, cases in STACKS.items():
        assert stacks[SPI][stack]["verdict"] == "works", stacks
        assert stacks[SPI][stack]["cases"] == dict.fromkeys(sorted(cases), "works")
        assert stacks["ism43362"][stack]["verdict"] == "NOT APPLICABLE", stacks
    assert {c["verdict"] for c in report["cases"]} == {"PASS", "NOT APPLICABLE"}
    walks = [c["host_stack"] for c in report["cases"] if c["case_id"] == "ESWIFI-HOST-ST-01" and c["verdict"] == "PASS"]
    assert len(walks) == 1 and not walks[0]["broke"]
    assert walks[0]["steps"][1] == "ES_WIFI_Init: I?\\r\\n"
    assert "ES_WIFI_CloseServerConnection: P5=10" in walks[0]["steps"]


def test_a_profile_without_the_stacks_makes_their_cases_not_applicable(tmp_path):
    code, report = _report(tmp_path, "--profile", "ism43362", "--case", "ESWIFI-HOST")
    assert code == 0
    assert {c["case_id"] for c in report["cases"]} == HOST_CASES
    assert {c["verdict"] for c in report["cases"]} == {"NOT APPLICABLE"}
    assert {s["verdict"] for s in report["host_stacks"]["ism43362"].values()} == {"NOT APPLICABLE"}


@pytest.mark.parametrize("fault", sorted(HOST_CATCHES))
def test_host_cases_catch_fault(tmp_path, fault):
    assert_fault_caught(SUITE, fault, HOST_CATCHES[fault], tmp_path, "--profile", SPI)


@pytest.mark.parametrize("variant", sorted(VARIANT_BREAKS))
def test_a_variant_a_driver_cannot_work_with_breaks_it_where_it_says(tmp_path, variant):
    breaks = VARIANT_BREAKS[variant]
    args = ["--variant", f"eswifi:{variant}", "--profile", SPI, "--deadline-scale", "0.5", "--case", "ESWIFI-HOST"]
    code, report = _report(tmp_path, *args)
    assert code == 1
    failed = {c["case_id"]: c for c in report["cases"] if c["verdict"] == "FAIL"}
    assert set(failed) == set(breaks)
    assert {c["verdict"] for c in report["cases"] if c["case_id"] not in breaks} == {"PASS"}
    for case_id, step in breaks.items():
        said = failed[case_id]["failure"]["requirement"]
        name = NAMES[_stack(case_id)]
        assert said.startswith(f"breaks {name} at step "), said
        assert f"({step}): " in said, said
        assert report["host_stacks"][SPI][_stack(case_id)]["verdict"] == "breaks"


def test_the_message_says_what_the_driver_needs_and_what_came(tmp_path):
    args = ["--variant", "eswifi:p7-refused", "--profile", SPI, "--case", "ESWIFI-HOST-ST-03"]
    _, report = _report(tmp_path, *args)
    (case,) = report["cases"]
    said = case["failure"]["requirement"]
    assert said.startswith("breaks ST es_wifi.c at step 16 (ES_WIFI_StartServerMultiConn: P7=1): ")
    assert "AT_ExecuteCommand needs a reply holding \\r\\nOK\\r\\n> ; the module sent [0D 0A 45 52 52 4F 52" in said


def test_every_host_case_is_shown_to_break():
    shown = set().union(*HOST_CATCHES.values(), *(set(b) for b in VARIANT_BREAKS.values()))
    cases = host_case_ids()
    assert cases == HOST_CASES  # the scan finds them
    assert not cases - shown, f"host-stack cases nothing is shown to break: {sorted(cases - shown)}"
