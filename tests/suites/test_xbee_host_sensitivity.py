"""The XBEE-HOST-DIGI cases: Digi's library works with the clean emulator, and each firmware bug or
defensible choice it cannot work with makes the right case say where it breaks.

Some faults only the host-stack cases catch: the documents allow the behaviour, so every conformance
case passes it (``HOST_ONLY``). The variants that break the library are conformant modules: no
conformance case may FAIL them either (``VARIANT_BREAKS``).
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import assert_fault_caught, run_suite
from tests.suites.test_xbee_surface_sensitivity import suite_case_ids

SUITE = "sockconf.suites.xbee"
HOST_CASES = {f"XBEE-HOST-DIGI-{n:02d}" for n in range(1, 8)}
EVERY_CASE = sorted(HOST_CASES)


def _ids(*numbers: int) -> set[str]:
    return {f"XBEE-HOST-DIGI-{n:02d}" for n in numbers}


# fault -> the host-stack cases that must break under it.
HOST_CATCHES = {
    "hv-code-unknown": HOST_CASES,  # open() reads HV first thing
    "si-ids-without-0x": _ids(7),
    "data-frame-id-of-request": _ids(3, 4, 5),
    "queued-query-no-value": HOST_CASES,  # open()'s first read is a 0x09 query
    # faults of the conformance surface, shown on the host-stack cases too
    "frame-id-not-echoed": _ids(1),
    "socket-id-not-echoed": _ids(4),
    "no-status-after-connect": _ids(3),
    "port-byte-swapped": _ids(4),
    "receive-nonzero-frame-id": _ids(3, 4),
}
# Faults whose behaviour the documents allow: the conformance cases pass them (at most a NON-STRICT
# finding), only the host-stack cases catch them.
HOST_ONLY = {"hv-code-unknown", "si-ids-without-0x"}
# variant -> (profile, the host-stack cases it breaks)
VARIANT_BREAKS = {
    "close-all-reply-id-00": ("xbee3-lte-m", _ids(6)),
    "close-all-no-reply": ("xbee3-lte-m", _ids(6)),
    "si-empty-list-empty": ("xbee3-lte-m", _ids(7)),
    "ni-unset-empty": ("xbee3-lte-m", HOST_CASES),
    "cat1-presents-after-data": ("xbee-cat1", _ids(4)),
}


def _report(tmp_path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    run = run_suite(SUITE, *args, tmp=tmp_path, report_dir=out)
    return run.returncode, json.loads((out / "conformance.json").read_text())


def test_digi_xbee_works_with_the_clean_emulator_on_both_profiles(tmp_path):
    code, report = _report(tmp_path, "--case", "XBEE-HOST-DIGI")
    assert code == 0
    assert set(report["host_stacks"]) == {"xbee3-lte-m", "xbee-cat1"}
    for stacks in report["host_stacks"].values():
        assert stacks["digi"]["verdict"] == "works", stacks
        assert stacks["digi"]["cases"] == dict.fromkeys(EVERY_CASE, "works")
    walks = [c["host_stack"] for c in report["cases"] if c["case_id"] == "XBEE-HOST-DIGI-04"]
    assert len(walks) == 4  # AP1 and AP2 on each profile
    opening = ["CellularDevice.open: AT AP (0x09)", "CellularDevice.open: AT IM (0x09)"]
    assert all(w["steps"][:2] == opening for w in walks)
    assert all("socket.accept: a 0xCC for the listener" in w["steps"] and not w["broke"] for w in walks)


def test_a_profile_without_the_stack_makes_its_cases_not_applicable(tmp_path):
    from tests.helpers import PROFILES

    text = (PROFILES / "xbee3-lte-m.toml").read_text(encoding="utf-8")
    profile = tmp_path / "no-digi.toml"
    profile.write_text(text.replace('name = "xbee3-lte-m"', 'name = "no-digi"').replace('host_stacks = ["digi"]', ""))
    code, report = _report(tmp_path, "--profile", str(profile), "--case", "XBEE-HOST-DIGI-01")
    assert code == 0
    assert {c["verdict"] for c in report["cases"]} == {"NOT APPLICABLE"}
    assert report["host_stacks"]["no-digi"]["digi"]["verdict"] == "NOT APPLICABLE"


@pytest.mark.parametrize("fault", sorted(HOST_CATCHES))
def test_host_cases_catch_fault(tmp_path, fault):
    assert_fault_caught(SUITE, fault, HOST_CATCHES[fault], tmp_path, "--profile", "xbee3-lte-m")


@pytest.mark.parametrize("fault", sorted(HOST_ONLY))
def test_only_the_host_cases_catch_what_the_documents_allow(tmp_path, fault):
    code, report = _report(tmp_path, "--fault", f"xbee:{fault}", "--profile", "xbee3-lte-m", "--deadline-scale", "0.2")
    assert code == 1
    conformance = {c["verdict"] for c in report["cases"] if c["kind"] != "host-stack"}
    assert conformance <= {"PASS", "NON-STRICT"}, conformance
    broken = {c["case_id"] for c in report["cases"] if c["kind"] == "host-stack" and c["verdict"] == "FAIL"}
    assert broken == HOST_CATCHES[fault]
    assert report["host_stacks"]["xbee3-lte-m"]["digi"]["verdict"] == "breaks"


@pytest.mark.parametrize("variant", sorted(VARIANT_BREAKS))
def test_a_variant_the_library_cannot_work_with_breaks_it(tmp_path, variant):
    # The host-stack cases on a fresh module (a conformance case may change it: XBEE-AT-02 sets NI). That no
    # conformance case FAILs a variant is tests/suites/test_variants.py's to show.
    profile, cases = VARIANT_BREAKS[variant]
    args = ["--variant", f"xbee:{variant}", "--profile", profile, "--deadline-scale", "0.2"]
    code, report = _report(tmp_path, *args, "--case", "XBEE-HOST-DIGI")
    assert code == 1
    broken = {c["case_id"] for c in report["cases"] if c["verdict"] == "FAIL"}
    assert broken == cases
    assert {c["verdict"] for c in report["cases"]} == {"PASS", "FAIL"} if cases != HOST_CASES else {"FAIL"}


def test_the_message_says_where_it_breaks_and_what_the_library_needs(tmp_path):
    args = ["--variant", "xbee:close-all-reply-id-00", "--profile", "xbee3-lte-m", "--case", "XBEE-HOST-DIGI-06"]
    _, report = _report(tmp_path, *args, "-k", "AP1")
    (case,) = report["cases"]
    said = case["failure"]["requirement"]
    assert said.startswith("breaks Digi digi-xbee at step 14 (close every socket: 0x43 FF by ")
    assert "digi/xbee/sender.py SyncRequestSender._packet_received_cb needs a 0xC3 with frame ID 0E and " in said
    assert "socket ID FF within 5 s (else TimeoutException)" in said
    assert "0xC3 Socket Close Response(frame_id=0E, socket_id=00, status=00 SUCCESS)" in said


def test_every_host_case_is_shown_to_break():
    shown = set().union(*HOST_CATCHES.values(), *(cases for _, cases in VARIANT_BREAKS.values()))
    cases = {c for c in suite_case_ids() if c.startswith("XBEE-HOST-")}
    assert cases == HOST_CASES  # the scan finds them
    assert not cases - shown, f"host-stack cases nothing is shown to break: {sorted(cases - shown)}"
