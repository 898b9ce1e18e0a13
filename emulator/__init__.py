"""Emulated modules: device models on top of ``protocol/`` plus a host-network executor.

A family's emulator is what its declaration (``core.family``) names: ``Family.model`` (an
``executor.DeviceModel`` class, built as ``Model(profile, host_ip=..., fault=...)``) and
``Family.faults`` (its fault catalogue by name, ``emulator.faults.catalogue``). The built-in ones are
the packages ``emulator/<family>/``; adding a family needs no edit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.family import Family, FamilyError, get
from core.family import families as declared_families
from emulator.executor import DeviceModel
from emulator.faults import FaultSpec
from protocol.profile import Profile, load_profile


def families() -> list[str]:
    """Every declared family's name."""
    return list(declared_families())


def family(name: str) -> Family:
    try:
        return get(name)
    except FamilyError as exc:
        raise ValueError(str(exc)) from None


def faults(name: str) -> Mapping[str, FaultSpec[Any]]:
    """A family's fault catalogue, by fault name."""
    catalogue: Mapping[str, FaultSpec[Any]] = family(name).load("faults")
    return catalogue


def fault_names(name: str) -> list[str]:
    return sorted(faults(name))


def default_profile(name: str) -> Profile:
    fam = family(name)
    return load_profile(fam.default_profile, fam.profile_dir)


def build_model(profile: Profile, host_ip: str = "127.0.0.1", fault: str | None = None) -> DeviceModel:
    """A device model for ``profile``, optionally with a named fault profile (its hooks fresh for this model)."""
    fam = family(profile.family)
    spec = None
    if fault:
        known = faults(fam.name)
        if fault not in known:
            raise ValueError(f"no fault {fault!r} for {fam.name}; known: {', '.join(known) or 'none'}")
        spec = known[fault]
    model: DeviceModel = fam.load("model")(profile, host_ip=host_ip, fault=spec)
    return model
