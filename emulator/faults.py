"""Named fault profiles: realistic firmware bugs an emulator can be started with.

They exist to test the suite itself (DESIGN: suite sensitivity): every conformance case must be
shown to catch the deviation it is for. A fault is an object with hook methods that a device
model calls at fixed points (a frame about to go out, the bytes about to go on the wire, ...);
the base hooks change nothing, so a model never carries ``if fault == ...`` branches.
Each family module registers its own faults here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fault:
    name: str
    family: str
    description: str
    # Profile [device] keys this fault overrides (e.g. Cat 1 presenting on connect).
    overrides: Mapping[str, Any] = field(default_factory=dict)


_REGISTRY: dict[tuple[str, str], Fault] = {}


def device_settings(device: Mapping[str, Any], fault: Fault | None) -> dict[str, Any]:
    """A profile's [device] table with the fault's overrides applied: what a model is built from."""
    return {**device, **(fault.overrides if fault is not None else {})}


def register(fault: Fault) -> Fault:
    key = (fault.family, fault.name)
    if key in _REGISTRY:
        raise ValueError(f"fault {fault.name!r} registered twice for {fault.family}")
    _REGISTRY[key] = fault
    return fault


def faults_for(family: str) -> list[Fault]:
    return sorted((f for (fam, _), f in _REGISTRY.items() if fam == family), key=lambda f: f.name)


def get_fault(family: str, name: str) -> Fault:
    try:
        return _REGISTRY[(family, name)]
    except KeyError:
        names = ", ".join(f.name for f in faults_for(family)) or "none"
        raise ValueError(f"no fault {name!r} for {family}; known: {names}") from None
