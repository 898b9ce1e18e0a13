"""Named conformant variants: modules that chose differently where the documents are silent or disagree.

A fault (``emulator.faults``) makes the emulator a *broken* module that some case must catch; a
variant makes it a *defensible* one that no case may FAIL. Each variant takes one choice on one or
more silent points of the family's registry (``sockconf/data/silent/<family>.toml``, by point ID), or
follows one side of a contradiction the documents leave unresolved (``[[contradiction]]`` of
``sockconf/data/requirements/<family>.toml``, by contradiction ID: side ``a`` or ``b``), or both: through
profile overrides, through hook classes (the family's fault hook base, whose methods the model calls
at fixed points), or both.

Several variants can run at once (``--variant A --variant B``) when they choose on different points
(or contradictions) or agree on the same one; :func:`combine` folds them, and a fault if one is given, into one
``FaultSpec`` the model is built with. Two variants that choose differently on one point, or that
override one hook method or profile key differently, are a clear error, never a silent pick. Hook
classes that set ``cooperative = True`` hand whatever they do not change to ``super()``, so several of
them may change one hook (each acting on different frames) and chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sockconf.emulator.faults import FaultSpec


class VariantError(ValueError):
    """An unknown variant, or variants that cannot run together."""


@dataclass(frozen=True)
class VariantSpec:
    """One named conformant variant of a family."""

    name: str
    description: str
    # Silent point ID -> the registered choice this variant takes.
    choices: Mapping[str, str]
    # Hook classes (subclasses of the family's hook base) whose overridden methods make the choice.
    hooks: tuple[type, ...] = ()
    # Profile [device] keys the choice changes.
    overrides: Mapping[str, Any] = field(default_factory=dict)
    # Unresolved contradiction ID -> the side ("a" or "b") of it this variant follows.
    sides: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", MappingProxyType(dict(self.choices)))
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "sides", MappingProxyType(dict(self.sides)))
        if not self.choices and not self.sides:
            raise ValueError(f"variant {self.name!r} takes no silent point's choice and no contradiction's side")
        odd = {c: s for c, s in self.sides.items() if s not in ("a", "b")}
        if odd:
            raise ValueError(f"variant {self.name!r}: a contradiction's side is 'a' or 'b', not {odd}")


def catalogue(family: str, specs: Iterable[VariantSpec]) -> Mapping[str, VariantSpec]:
    """A family's variants by name, sorted; a name given twice is an error."""
    by_name: dict[str, VariantSpec] = {}
    for spec in specs:
        if spec.name in by_name:
            raise ValueError(f"variant {spec.name!r} defined twice for {family}")
        by_name[spec.name] = spec
    return MappingProxyType(dict(sorted(by_name.items())))


def all_different(name: str, description: str, specs: Iterable[VariantSpec]) -> VariantSpec:
    """One variant that takes every choice of ``specs`` at once (they must not conflict)."""
    merged = merge(list(specs))
    return VariantSpec(name, description, merged.choices, merged.hooks, merged.overrides, merged.sides)


def _overridden(cls: type, base: type) -> set[str]:
    """The hook methods ``cls`` (or a class between it and ``base``) defines."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is base or klass is object:
            break
        names.update(n for n, v in vars(klass).items() if callable(v) and not n.startswith("__"))
    return names


def _cooperative(cls: type) -> bool:
    """Whether a hook class declares that its hooks hand everything they do not change to ``super()``."""
    return bool(getattr(cls, "cooperative", False))


def merge(specs: Sequence[VariantSpec]) -> VariantSpec:
    """Several variants as one; conflicting choices, sides, hooks or overrides raise ``VariantError``."""
    choices: dict[str, tuple[str, str]] = {}
    sides: dict[str, tuple[str, str]] = {}
    overrides: dict[str, tuple[Any, str]] = {}
    hooks: list[type] = []
    for spec in specs:
        for taken, mine in ((choices, spec.choices), (sides, spec.sides)):
            for point, choice in mine.items():
                known = taken.get(point)
                if known is not None and known[0] != choice:
                    raise VariantError(
                        f"variants {known[1]!r} and {spec.name!r} conflict on {point}: {known[0]!r} vs {choice!r}"
                    )
                taken[point] = (choice, spec.name)
        for key, value in spec.overrides.items():
            had = overrides.get(key)
            if had is not None and had[0] != value:
                raise VariantError(f"variants {had[1]!r} and {spec.name!r} conflict on the profile setting {key!r}")
            overrides[key] = (value, spec.name)
        hooks.extend(h for h in spec.hooks if h not in hooks)
    name = "+".join(s.name for s in specs) or "none"
    return VariantSpec(
        name,
        "; ".join(s.description for s in specs),
        {p: c for p, (c, _) in choices.items()},
        tuple(hooks),
        {k: v for k, (v, _) in overrides.items()},
        {c: s for c, (s, _) in sides.items()},
    )


def combine(base: type, variants: Sequence[VariantSpec], fault: FaultSpec[Any] | None = None) -> FaultSpec[Any] | None:
    """The one ``FaultSpec`` a model is built with: the fault (if any) over the variants' choices.

    The hook object is a class made of the fault's hook class first, then each variant's hook
    classes, then ``base`` (the family's hook base): a fault's bug stays visible on a variant, and
    two variants never override the same hook method (checked here). The profile overrides are
    the variants', then the fault's.
    """
    if not variants:
        return fault
    merged = merge(variants)
    owners: dict[str, type] = {}
    for cls in merged.hooks:
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise VariantError(f"variant hook {cls!r} is not a {base.__name__}")
        for method in _overridden(cls, base):
            other = owners.get(method)
            # Two cooperative classes (each hands what it does not change to super()) chain; any other
            # pair on one hook would silently drop one variant's choice.
            both_cooperate = other is not None and _cooperative(other) and _cooperative(cls)
            if other is not None and other is not cls and not both_cooperate:
                raise VariantError(
                    f"variants conflict: {other.__name__} and {cls.__name__} both change the hook {method!r}"
                )
            owners[method] = cls
    bases: list[type] = []
    if fault is not None:
        made = fault.factory
        if not isinstance(made, type):
            raise VariantError(f"fault {fault.name!r} cannot be combined with variants (its hooks are not a class)")
        bases.append(made)
    bases.extend(merged.hooks)
    if not bases or bases[-1] is not base:
        bases.append(base)
    bases = list(dict.fromkeys(bases))
    hook_class = type("VariantHooks", tuple(bases), {}) if len(bases) > 1 else base
    overrides = {**merged.overrides, **(fault.overrides if fault is not None else {})}
    name = merged.name if fault is None else f"{fault.name} on {merged.name}"
    return FaultSpec(name, merged.description, hook_class, overrides)
