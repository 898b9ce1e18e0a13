"""The ESPAT cases pass on the clean emulator (also under --strict) and catch each deliberately broken one;
a module that chose differently where the documents are silent is NON-STRICT, never FAIL."""

from __future__ import annotations

import pytest

from sockconf.emulator import fault_names
from tests.helpers import run_suite

GROUPS = {
    *("ESPAT-BASIC", "ESPAT-WIFI", "ESPAT-MUX", "ESPAT-SRV", "ESPAT-DATA", "ESPAT-SEND", "ESPAT-CLOSE"),
    *("ESPAT-CLI", "ESPAT-UDP", "ESPAT-PASSIVE", "ESPAT-STATE", "ESPAT-NEG", "ESPAT-FRAMING"),
    *("ESPAT-HOST-ZEPHYR", "ESPAT-HOST-WIFIESPAT"),  # host-stack cases: tests/suites/test_espat_host_sensitivity.py
}

# fault -> the cases that exist to catch it (each must fail); the rest of the run may fail too.
EXPECTED_CATCHES = {
    "echo-never-off": {"ESPAT-BASIC-02"},
    "ok-without-leading-crlf": {"ESPAT-BASIC-01"},
    "gmr-without-bin-version": {"ESPAT-BASIC-03"},
    "no-ready-after-restart": {"ESPAT-BASIC-04"},
    "restart-keeps-settings": {"ESPAT-BASIC-04"},
    "ipd-length-off-by-one": {"ESPAT-DATA-01"},
    "ipd-over-2920": {"ESPAT-DATA-02"},
    "ipd-link-id-in-single-mode": {"ESPAT-DATA-05"},
    "dinfo-ignored": {"ESPAT-DATA-03"},
    "send-ok-without-sending": {"ESPAT-SEND-01"},
    "send-ok-missing": {"ESPAT-SEND-01"},
    "recv-count-off-by-one": {"ESPAT-SEND-01"},
    "cipsend-over-limit-accepted": {"ESPAT-SEND-03"},
    "sendex-escapes-ignored": {"ESPAT-SEND-07"},
    "closed-never-announced": {"ESPAT-CLOSE-04"},
    "cipclose-leaves-connection": {"ESPAT-CLOSE-01"},
    "close-all-leaves-last": {"ESPAT-CLOSE-02"},
    "link-id-reused": {"ESPAT-SRV-01", "ESPAT-SRV-09"},
    "connect-not-reported": {"ESPAT-SRV-01"},
    "cipstart-without-connect": {"ESPAT-CLI-01"},
    "link-id-5-accepted": {"ESPAT-CLI-05"},
    "maxconn-ignored": {"ESPAT-SRV-08"},
    "cipsto-ignored": {"ESPAT-SRV-10"},
    "cipmux-changed-while-busy": {"ESPAT-MUX-02", "ESPAT-MUX-04"},
    "server-without-cipmux": {"ESPAT-SRV-05"},
    "server-stop-closes-clients": {"ESPAT-SRV-03"},
    "server-stop-keeps-listening": {"ESPAT-SRV-03"},
    "second-server-replaces-first": {"ESPAT-SRV-06"},
    "cipstate-tetype-swapped": {"ESPAT-STATE-01"},
    "busy-input-executed": {"ESPAT-NEG-04"},
    "syslog-without-errcode": {"ESPAT-NEG-01"},
    "passive-ipd-each-arrival": {"ESPAT-PASSIVE-03"},
    "passive-data-lost-on-close": {"ESPAT-PASSIVE-05"},
    "recvdata-over-len": {"ESPAT-PASSIVE-03"},
    "recvdata-in-active-mode": {"ESPAT-PASSIVE-04"},
    "recvlen-fields-shifted": {"ESPAT-PASSIVE-02", "ESPAT-PASSIVE-06"},
    "udp-remote-follows-sender": {"ESPAT-UDP-01"},
    "udp-send-to-ignored": {"ESPAT-UDP-04"},
}

# Conformant variants: NON-STRICT by default, FAIL under --strict (a sample: every point is covered by
# the variants run, tests/suites/test_variants.py).
VARIANTS = {
    "echo-cr-only": {"ESPAT-BASIC-02"},
    "prompt-with-space": {"ESPAT-SEND-01"},
    "passive-ipd-once": {"ESPAT-PASSIVE-03"},
    "close-all-reports-after-ok": {"ESPAT-CLOSE-02", "ESPAT-SRV-04"},
    "beyond-maxconn-pending": {"ESPAT-SRV-08"},
}


def test_clean_emulator_passes_every_espat_case(tmp_path):
    run = run_suite("sockconf.suites.espat", tmp=tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    outcomes = {o for os in run.outcomes.values() for o in os}
    assert outcomes <= {"passed", "skipped"}, run.output[-3000:]
    # Only the <timeout> case skips, on the ESP8266 profile (its firmware has no such parameter).
    assert {c for c, os in run.outcomes.items() if "skipped" in os} == {"ESPAT-CLI-08"}
    assert {v for vs in run.verdicts.values() for v in vs} == {"PASS", "NOT APPLICABLE"}
    assert {cid.rsplit("-", 1)[0] for cid in run.outcomes} == GROUPS


def test_clean_emulator_passes_under_strict(tmp_path):
    run = run_suite("sockconf.suites.espat", "--strict", tmp=tmp_path)
    assert run.returncode == 0, run.output[-3000:]


@pytest.mark.parametrize("fault", sorted(EXPECTED_CATCHES))
def test_espat_cases_catch_fault(tmp_path, fault):
    cases = sorted(EXPECTED_CATCHES[fault])
    # Short deadlines: against a fault, waiting out a missing answer is the expected outcome.
    args = ["sockconf.suites.espat", "--fault", fault, "--profile", "esp32-at", "--deadline-scale", "0.2"]
    for c in cases:
        args += ["--case", c]
    run = run_suite(*args, tmp=tmp_path)
    assert run.returncode != 0
    missed = set(cases) - run.failed_cases()
    assert not missed, f"{fault} was not caught by {sorted(missed)}:\n{run.output[-3000:]}"
    # Caught as a FAIL of the case itself, not as a setup the DUT could not complete.
    assert "error" not in {o for c in cases for o in run.outcomes[c]}, run.output[-3000:]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_variant_is_non_strict_by_default_and_fails_under_strict(tmp_path, variant):
    cases = sorted(VARIANTS[variant])
    args = ["sockconf.suites.espat", "--variant", f"espat:{variant}", "--profile", "esp32-at"]
    for c in cases:
        args += ["--case", c]
    lenient = run_suite(*args, tmp=tmp_path)
    assert lenient.returncode == 0, lenient.output[-3000:]
    assert all("NON-STRICT" in lenient.verdicts[c] for c in cases), lenient.verdicts
    strict = run_suite(*args, "--strict", tmp=tmp_path)
    assert set(cases) <= strict.failed_cases(), strict.output[-3000:]


def test_every_espat_fault_is_exercised_here():
    assert set(fault_names("espat")) == set(EXPECTED_CATCHES)
