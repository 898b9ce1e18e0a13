"""Conformant variants: no case may FAIL or ERROR a module that chose differently where the documents are silent."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from sockconf.reports.variants import VariantResult, tally, write
from tests.helpers import ROOT, Emulator, run_suite, unique_loopback


def test_no_variant_of_any_family_gets_a_fail_or_error(tmp_path):
    # Every variant of both families (the all-different ones included), two suite runs at a time.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sockconf",
            "report",
            "variants",
            "--out",
            str(tmp_path),
            "--jobs",
            "2",
            "--deadline-scale",
            "0.5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
        stdin=subprocess.DEVNULL,
    )
    data = json.loads((tmp_path / "variants.json").read_text())
    names = {(v["family"], v["variant"]) for v in data["variants"]}
    assert ("eswifi", "all-different") in names and ("xbee", "all-different") in names, names
    assert data["failing"] == [], proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for v in data["variants"]:
        assert v["verdicts"].get("PASS", 0) > 0, v
        assert not v["bad"], v
    # Defensible choices Digi's library cannot work with: listed as what they break, not as suite defects.
    breaks = {v["variant"]: v["breaks_host_stacks"] for v in data["variants"] if v["family"] == "xbee"}
    closing_all = "close every socket: 0x43 FF by send_packet_sync_and_get_response"
    assert breaks["close-all-reply-id-00"] == {
        "XBEE-HOST-DIGI-06": f"breaks Digi digi-xbee at step 14 ({closing_all})"
    }, breaks
    assert breaks["first-socket-id-1"] == {}, breaks
    # Likewise for ESP-AT: WiFiEspAT needs the Recv line; the space after > breaks neither driver.
    espat_breaks = {v["variant"]: v["breaks_host_stacks"] for v in data["variants"] if v["family"] == "espat"}
    assert espat_breaks["no-recv-line"] == {
        "ESPAT-HOST-WIFIESPAT-02": "breaks WiFiEspAT at step 8 (sendData: AT+CIPSEND)",
        "ESPAT-HOST-WIFIESPAT-03": "breaks WiFiEspAT at step 12 (sendData: AT+CIPSEND)",
    }, espat_breaks
    assert espat_breaks["prompt-with-space"] == {}, espat_breaks
    # Each XBee variant's choices are recorded by the cases that touch their points, as those choices.
    unseen = {v["variant"]: v["unseen"] for v in data["variants"] if v["family"] == "xbee" and v["unseen"]}
    assert not unseen, unseen
    # The same for the eS-WiFi drivers (tests/suites/test_eswifi_host_sensitivity.py says at which step).
    eswifi = {v["variant"]: set(v["breaks_host_stacks"]) for v in data["variants"] if v["family"] == "eswifi"}
    st = {f"ESWIFI-HOST-ST-0{n}" for n in (1, 2, 3)}
    zephyr = {"ESWIFI-HOST-ZEPHYR-01", "ESWIFI-HOST-ZEPHYR-02"}
    assert eswifi["short-identity"] == st, eswifi
    assert eswifi["p-field1-own-address"] == eswifi["p-field1-unset"] == {"ESWIFI-HOST-ST-01", "ESWIFI-HOST-ST-03"}
    assert eswifi["p7-refused"] == {"ESWIFI-HOST-ST-03"}, eswifi
    assert eswifi["join-bare-ok"] == zephyr, eswifi
    assert eswifi["c-field1-empty"] == {"ESWIFI-HOST-MBED-01"}, eswifi
    assert eswifi["lost-with-ok"] == {"ESWIFI-HOST-ST-02", "ESWIFI-HOST-ZEPHYR-02", "ESWIFI-HOST-MBED-01"}, eswifi
    for harmless in ("mr-batched", "mr-empty-without-markers", "waiting-as-messages", "terse-errors", "pk-seconds"):
        assert eswifi[harmless] == set(), eswifi


def _case(case_id: str, verdict: str, kind: str = "positive", **more) -> dict:
    return {"case_id": case_id, "verdict": verdict, "kind": kind, "phase": "call", **more}


def test_a_host_stack_case_a_variant_breaks_is_listed_not_a_suite_defect():
    walk = {"stack": "digi", "name": "Digi digi-xbee", "steps": ["open", "close_all"], "broke": True}
    report = {
        "cases": [
            _case("XBEE-CLOSE-02", "PASS"),
            _case("XBEE-CLOSE-02", "NON-STRICT"),
            _case("XBEE-HOST-DIGI-06", "FAIL", "host-stack", host_stack=walk),
            _case("XBEE-HOST-DIGI-01", "PASS", "host-stack"),
        ]
    }
    result = tally(VariantResult("xbee", "close-all-reply-id-00"), report)
    assert result.ok and result.bad == {}
    assert result.breaks_host_stacks == {"XBEE-HOST-DIGI-06": "breaks Digi digi-xbee at step 2 (close_all)"}
    assert result.verdicts == {"NON-STRICT": 1, "PASS": 1}  # the conformance cases only
    assert result.non_strict == ["XBEE-CLOSE-02"]


@pytest.mark.parametrize(
    ("verdict", "phase", "said"),
    [("INCONCLUSIVE", "call", "INCONCLUSIVE"), ("FAIL", "setup", "ERROR")],
)
def test_a_host_stack_case_without_a_verdict_against_a_variant_is_a_suite_defect(verdict, phase, said):
    report = {"cases": [{**_case("XBEE-HOST-DIGI-04", verdict, "host-stack"), "phase": phase}]}
    result = tally(VariantResult("xbee", "v"), report)
    assert not result.ok and result.bad == {"XBEE-HOST-DIGI-04": said}
    assert result.breaks_host_stacks == {}


def test_a_conformance_fail_against_a_variant_is_a_suite_defect():
    result = tally(VariantResult("xbee", "v"), {"cases": [_case("XBEE-UDP-04", "FAIL")]})
    assert result.bad == {"XBEE-UDP-04": "FAIL"} and not result.ok


def test_a_variant_that_fails_a_case_is_reported_as_a_suite_defect(tmp_path):
    results = [
        VariantResult("xbee", "fine", {"PASS": 10, "NON-STRICT": 1}, non_strict=["XBEE-CREATE-03"]),
        VariantResult("eswifi", "broken-suite", {"PASS": 9, "FAIL": 1}, bad={"ESWIFI-NEG-05": "FAIL"}),
    ]
    json_path, html_path = write(results, tmp_path)
    data = json.loads(json_path.read_text())
    assert data["failing"] == ["eswifi/broken-suite"]
    page = html_path.read_text()
    assert "SUITE DEFECT" in page and "ESWIFI-NEG-05" in page


def test_a_variant_choice_is_non_strict_and_fails_under_strict(tmp_path):
    args = ["sockconf.suites.xbee", "--variant", "xbee:tls-sockets-unlimited", "--profile", "xbee3-lte-m"]
    args += ["--case", "XBEE-CREATE-03"]
    lenient = run_suite(*args, tmp=tmp_path)
    assert lenient.returncode == 0, lenient.output[-3000:]
    assert "NON-STRICT" in lenient.verdicts["XBEE-CREATE-03"], lenient.verdicts
    strict = run_suite(*args, "--strict", tmp=tmp_path)
    assert "XBEE-CREATE-03" in strict.failed_cases(), strict.output[-3000:]


def test_the_report_shows_the_assumptions_the_dut_made(tmp_path):
    run = run_suite(
        "sockconf.suites.eswifi", "--variant", "eswifi:refused-s3-rest-as-commands", "--case", "ESWIFI-NEG-05",
        tmp=tmp_path, report_dir=tmp_path / "out",
    )  # fmt: skip
    assert run.returncode == 0, run.output[-3000:]
    data = json.loads((tmp_path / "out" / "conformance.json").read_text())
    points = {a["point"]: a for a in data["assumptions"]}
    seen = points["ESWIFI-SILENT-REFUSED-S3-REST"]
    assert seen["choices"].get("read-as-commands") and seen["non_strict"], seen
    assert seen["cases"] == ["ESWIFI-NEG-05"]
    page = (tmp_path / "out" / "conformance.html").read_text()
    assert "Assumptions" in page and "ESWIFI-SILENT-REFUSED-S3-REST" in page


def test_variants_that_choose_differently_on_one_point_are_a_usage_error(tmp_path):
    run = run_suite(
        "sockconf.suites.eswifi",
        "--variant",
        "s3-timeout-long",
        "--variant",
        "s3-timeout-short",
        tmp=tmp_path,
        timeout=60,
    )
    assert run.returncode == 4, run.output[-2000:]
    assert "conflict on ESWIFI-SILENT-S3-PAYLOAD-TIMEOUT" in run.output
    assert "Traceback" not in run.output


def test_the_eswifi_address_comes_from_c_query_when_p_field1_is_not_it(tmp_path):
    # Over the serial driver nothing tells the suite the DUT's address: it asks the module (C? field 5).
    host = unique_loopback()
    emu = Emulator("eswifi", "--pty", "--host-ip", host, "--variant", "p-field1-unset")
    try:
        run = run_suite(
            "sockconf.suites.eswifi", "--driver", "serial", "--port", emu.endpoint, "--profile", "ism43362",
            "--case", "ESWIFI-SRV-01", "--case", "ESWIFI-MA-06", tmp=tmp_path,
        )  # fmt: skip
    finally:
        assert emu.stop(signal.SIGINT) == 0
    assert run.all_passed(), run.output[-3000:]
    assert {"ESWIFI-SRV-01", "ESWIFI-MA-06"} <= set(run.outcomes)
