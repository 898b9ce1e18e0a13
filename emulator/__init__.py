"""Emulated modules: device models on top of ``protocol/`` plus a host-network executor.

A family is a subpackage ``emulator/<family>/`` that defines ``FAMILY``, ``DEFAULT_PROFILE``,
``Model`` (an ``executor.DeviceModel``) and ``FAULTS`` (its fault catalogue, by name); adding one
needs no edit here. This module finds the families and builds a model for a profile.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from emulator.faults import FaultSpec
from protocol.profile import Profile


def families() -> list[str]:
    """Every subpackage beside this file that defines ``FAMILY``."""
    here = str(Path(__file__).parent)
    return sorted(
        m.name
        for m in pkgutil.iter_modules([here])
        if m.ispkg and hasattr(importlib.import_module(f"emulator.{m.name}"), "FAMILY")
    )


def family_module(family: str) -> Any:
    if family not in families():
        raise ValueError(f"no emulator for family {family!r}; known: {', '.join(families())}")
    return importlib.import_module(f"emulator.{family}")


def _fault(family: str, name: str) -> FaultSpec[Any]:
    faults: dict[str, FaultSpec[Any]] = dict(family_module(family).FAULTS)
    try:
        return faults[name]
    except KeyError:
        raise ValueError(f"no fault {name!r} for {family}; known: {', '.join(faults) or 'none'}") from None


def build_model(profile: Profile, host_ip: str = "127.0.0.1", fault: str | None = None) -> Any:
    """A device model for ``profile``, optionally with a named fault profile (its hooks fresh for this model)."""
    module = family_module(profile.family)
    return module.Model(profile, host_ip=host_ip, fault=_fault(profile.family, fault) if fault else None)


def fault_names(family: str) -> list[str]:
    return sorted(family_module(family).FAULTS)
