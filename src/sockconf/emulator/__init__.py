"""Emulated modules: device models on top of ``protocol/`` plus a host-network executor.

A family's emulator is what its declaration (``core.family``) names: ``Family.model`` (an
``executor.DeviceModel`` class, built as ``Model(profile, host_ip=..., fault=...)``) and
``Family.faults`` (its fault catalogue by name, ``emulator.faults.catalogue``), ``Family.variants``
(its conformant variants by name, ``emulator.variants.catalogue``) and ``Family.states`` (states of a
module not ready yet, ``emulator.states.catalogue``; optional). The built-in ones are
the packages ``emulator/<family>/``; adding a family needs no edit here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sockconf.core.family import Family, FamilyError, get
from sockconf.core.family import families as declared_families
from sockconf.emulator.executor import DeviceModel
from sockconf.emulator.faults import FaultSpec
from sockconf.emulator.states import StateSpec
from sockconf.emulator.variants import VariantError, VariantSpec, combine
from sockconf.protocol.profile import Profile, load_profile


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


def states(name: str) -> Mapping[str, StateSpec[Any]]:
    """A family's states of a module not ready yet, by name (none when it declares none)."""
    fam = family(name)
    if not fam.states:
        return {}
    catalogue: Mapping[str, StateSpec[Any]] = fam.load("states")
    return catalogue


def state_names(name: str) -> list[str]:
    return sorted(states(name))


def variants(name: str) -> Mapping[str, VariantSpec]:
    """A family's conformant variants, by name (none when the family declares no catalogue)."""
    fam = family(name)
    if not fam.variants:
        return {}
    catalogue: Mapping[str, VariantSpec] = fam.load("variants")
    return catalogue


def variant_names(name: str) -> list[str]:
    return sorted(variants(name))


def default_profile(name: str) -> Profile:
    fam = family(name)
    return load_profile(fam.default_profile, fam.profile_dir)


def build_model(
    profile: Profile,
    host_ip: str = "127.0.0.1",
    fault: str | None = None,
    state: str | None = None,
    ready_after: float | None = None,
    variant: Sequence[str] = (),
) -> DeviceModel:
    """A device model for ``profile``, optionally with a named fault, any number of named variants, and a
    named state (a module not ready yet, ready after ``ready_after`` seconds where the state can end);
    their hooks are fresh for this model.

    Variants that choose differently on one silent point (or change one hook or setting differently)
    cannot run together: a ``ValueError`` says which.
    """
    fam = family(profile.family)
    spec = None
    if fault:
        known = faults(fam.name)
        if fault not in known:
            raise ValueError(f"no fault {fault!r} for {fam.name}; known: {', '.join(known) or 'none'}")
        spec = known[fault]
    if variant:
        offered = variants(fam.name)
        unknown = [v for v in variant if v not in offered]
        if unknown:
            raise ValueError(f"no variant {unknown[0]!r} for {fam.name}; known: {', '.join(offered) or 'none'}")
        base = getattr(fam.load("model"), "hooks_class", None)
        if not isinstance(base, type):
            raise ValueError(f"the {fam.name} model declares no hooks_class: it cannot take variants")
        try:
            spec = combine(base, [offered[v] for v in dict.fromkeys(variant)], spec)
        except VariantError as exc:
            raise ValueError(str(exc)) from None
    extra: dict[str, Any] = {}
    if state:
        known_states = states(fam.name)
        if state not in known_states:
            raise ValueError(f"no state {state!r} for {fam.name}; known: {', '.join(known_states) or 'none'}")
        if ready_after is not None and not known_states[state].ends:
            raise ValueError(f"state {state!r} of {fam.name} does not end by itself: --ready-after does not apply")
        extra = {"state": known_states[state], "ready_after": ready_after}
    elif ready_after is not None:
        raise ValueError("--ready-after needs a state (--state NAME)")
    model: DeviceModel = fam.load("model")(profile, host_ip=host_ip, fault=spec, **extra)
    return model
