"""Fault profiles as specs: a fresh hook object per model, names unique within a family."""

from __future__ import annotations

import pytest

from sockconf.emulator import build_model, default_profile, families, fault_names
from sockconf.emulator.faults import FaultSpec, catalogue, device_settings
from sockconf.emulator.net import SerialOut
from sockconf.emulator.xbee.faults import XBeeFault
from sockconf.protocol.profile import load_profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import encode


def test_a_name_given_twice_in_a_family_is_refused():
    specs = [FaultSpec("same", "first", XBeeFault), FaultSpec("same", "second", XBeeFault)]
    with pytest.raises(ValueError, match="'same' defined twice for xbee"):
        catalogue("xbee", specs)


def test_the_same_name_in_two_families_is_fine():
    assert list(catalogue("a", [FaultSpec("same", "x", XBeeFault)])) == ["same"]
    assert list(catalogue("b", [FaultSpec("same", "x", XBeeFault)])) == ["same"]


def test_a_catalogue_is_sorted_by_name_and_read_only():
    faults = catalogue("xbee", [FaultSpec("b", "", XBeeFault), FaultSpec("a", "", XBeeFault)])
    assert list(faults) == ["a", "b"]
    with pytest.raises(TypeError):
        faults["c"] = FaultSpec("c", "", XBeeFault)  # type: ignore[index]


def test_overrides_are_read_only_and_applied_over_the_profile():
    spec = FaultSpec("x", "", XBeeFault, overrides={"max_payload": 1499})
    with pytest.raises(TypeError):
        spec.overrides["max_payload"] = 1  # type: ignore[index]
    assert device_settings({"max_payload": 1500, "api_mode": 2}, spec) == {"max_payload": 1499, "api_mode": 2}
    assert device_settings({"max_payload": 1500}, None) == {"max_payload": 1500}


def test_each_spec_makes_a_new_hook_object():
    spec = FaultSpec("x", "", XBeeFault)
    assert spec.hooks() is not spec.hooks()


def test_a_stateful_fault_keeps_its_state_per_model():
    # drops-frame-after-bad-input arms itself on bad input; a second model must start unarmed.
    profile = load_profile("xbee3-lte-m")
    bad = bytearray(encode(fr.SocketCreate(1, 1)))
    bad[-1] ^= 0xFF
    good = encode(fr.ATCommand(2, b"AP"))
    first = build_model(profile, fault="drops-frame-after-bad-input")
    first.serial_in(bytes(bad))  # armed: its next good frame is lost
    second = build_model(profile, fault="drops-frame-after-bad-input")
    assert any(isinstance(a, SerialOut) for a in second.serial_in(good)), "the second model inherited the arm"
    assert not any(isinstance(a, SerialOut) for a in first.serial_in(good)), "the first model lost its arm"


@pytest.mark.parametrize("family", ["xbee", "eswifi"])
def test_every_family_is_found_and_builds_with_each_fault(family):
    assert family in families()
    names = fault_names(family)
    assert names == sorted(set(names)) and names
    default = default_profile(family)
    for name in names:
        assert build_model(default, fault=name).family == family


def test_an_unknown_fault_is_a_clear_error():
    with pytest.raises(ValueError, match=r"no fault 'nope' for xbee; known: .*goes-silent"):
        build_model(load_profile("xbee3-lte-m"), fault="nope")


def test_modules_beside_the_families_are_not_families():
    found = set(families())
    assert {"xbee", "eswifi"} <= found
    assert not found & {"faults", "net", "executor", "endpoints", "thread"}
