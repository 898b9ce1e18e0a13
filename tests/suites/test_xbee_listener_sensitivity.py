"""The XBEE-LISTEN cases pass on the clean emulator and catch each deliberately broken one."""

from __future__ import annotations

import pytest

from sockconf.emulator import fault_names, faults
from tests.helpers import assert_fault_caught, run_suite

# The seed's exchange (01-07) and its error answers (08-11, test_listen_errors.py): all start XBEE-LISTEN.
LISTEN_CASES = {f"XBEE-LISTEN-{n:02d}" for n in range(1, 12)}


def test_clean_emulator_passes_every_listener_case(tmp_path):
    run = run_suite("sockconf.suites.xbee", "--case", "XBEE-LISTEN", tmp=tmp_path)
    assert run.all_passed(), run.output[-3000:]
    assert set(run.outcomes) == LISTEN_CASES
    # both profiles ran every case
    assert all(len(outs) >= 2 for outs in run.outcomes.values())


# fault -> the cases that exist to catch it (each must fail); the rest of the run may fail too.
EXPECTED_CATCHES = {
    "checksum-off-by-one": {"XBEE-LISTEN-01", "XBEE-LISTEN-02", "XBEE-LISTEN-04", "XBEE-LISTEN-06"},
    "frame-id-not-echoed": {"XBEE-LISTEN-01", "XBEE-LISTEN-02", "XBEE-LISTEN-03"},
    "receive-nonzero-frame-id": {"XBEE-LISTEN-06"},
    "no-status-on-peer-close": {"XBEE-LISTEN-07"},
    "wrong-status-on-peer-close": {"XBEE-LISTEN-07"},
    "socket-id-not-echoed": {"XBEE-LISTEN-03", "XBEE-LISTEN-07"},
    "port-byte-swapped": {"XBEE-LISTEN-05"},
    "address-reversed": {"XBEE-LISTEN-05"},
    "payload-truncated": {"XBEE-LISTEN-06"},
    "no-escaping": {"XBEE-LISTEN-01", "XBEE-LISTEN-05"},
}


@pytest.mark.parametrize("fault", sorted(EXPECTED_CATCHES))
def test_listener_cases_catch_fault(tmp_path, fault):
    assert_fault_caught("sockconf.suites.xbee", fault, EXPECTED_CATCHES[fault], tmp_path, "--profile", "xbee3-lte-m")


@pytest.mark.parametrize(
    ("fault", "profile", "case"),
    [
        ("cat1-presents-on-connect", "xbee-cat1", "XBEE-LISTEN-05"),
        ("presents-on-data", "xbee3-lte-m", "XBEE-LISTEN-05"),
    ],
)
def test_presentation_faults_are_caught(tmp_path, fault, profile, case):
    assert_fault_caught("sockconf.suites.xbee", fault, {case}, tmp_path, "--profile", profile)


def test_every_xbee_fault_is_exercised_here():
    # goes-silent (INCONCLUSIVE) is shown in tests/reports/test_outputs.py; the socket surface's faults
    # in test_xbee_surface_sensitivity.py, the faults a host library trips over in test_xbee_host_sensitivity.py.
    from tests.suites.test_xbee_host_sensitivity import HOST_CATCHES
    from tests.suites.test_xbee_surface_sensitivity import PROFILE_CATCHES, SURFACE_CATCHES

    covered = set(EXPECTED_CATCHES) | {"cat1-presents-on-connect", "presents-on-data", "goes-silent"}
    covered |= set(SURFACE_CATCHES) | set(PROFILE_CATCHES) | set(HOST_CATCHES)
    # and the faults that follow a contradiction's losing side in tests/harness/test_contradictions.py
    covered |= {name for name, spec in faults("xbee").items() if spec.follows is not None}
    assert set(fault_names("xbee")) == covered
