"""Emulated modules: device models on top of ``protocol/`` plus a host-network runner.

A family is a module ``emulator/<family>.py`` that defines ``FAMILY`` and ``Model`` (a
``runner.DeviceModel``) and registers its fault profiles; adding one needs no edit here.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from pathlib import Path
from typing import Any

from emulator.faults import Fault, faults_for, get_fault
from protocol.profile import Profile

_NOT_FAMILIES = {"faults", "net", "runner"}


def families() -> list[str]:
    """Every family module found beside this file."""
    here = str(Path(__file__).parent)
    return sorted(
        m.name for m in pkgutil.iter_modules([here]) if not m.name.startswith("_") and m.name not in _NOT_FAMILIES
    )


def family_module(family: str) -> Any:
    if family not in families():
        raise ValueError(f"no emulator for family {family!r}; known: {', '.join(families())}")
    return importlib.import_module(f"emulator.{family}")


def build_model(profile: Profile, host_ip: str = "127.0.0.1", fault: str | None = None) -> Any:
    """A device model for ``profile``, optionally with a named fault profile."""
    module = family_module(profile.family)
    # A copy per model: a fault may keep state (e.g. a count of frames sent).
    chosen: Fault | None = copy.copy(get_fault(profile.family, fault)) if fault else None
    return module.Model(profile, host_ip=host_ip, fault=chosen)


def fault_names(family: str) -> list[str]:
    family_module(family)  # importing the family registers its faults
    return [f.name for f in faults_for(family)]
