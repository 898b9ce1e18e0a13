"""Named fault profiles: realistic firmware bugs an emulator can be started with.

They exist to test the suite itself (docs/architecture.md, "Emulator"): every conformance case must
be shown to catch the deviation it is for. This module owns what every family shares: the
``FaultSpec`` that names and describes a fault, the catalogue that indexes a family's specs by
name, and how a fault's profile overrides apply to a model's settings.

A fault's behaviour is a *hook object*: each family defines a base class whose hook methods the
device model calls at fixed points (a frame about to go out, the bytes about to go on the wire, ...);
the base hooks change nothing, so a model never carries ``if fault == ...`` branches. A spec holds a
factory, not a hook object: every model gets a fresh one, so a hook that keeps state (a count of
frames sent, a flag armed by bad input) never shares it with another model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

H = TypeVar("H")


@dataclass(frozen=True)
class FaultSpec(Generic[H]):
    """One named fault of a family: how to make its hooks, and the profile settings it overrides."""

    name: str
    description: str
    # Makes the hook object a model calls (a fresh one per model).
    factory: Callable[[], H]
    # Profile [device] keys this fault overrides (e.g. Cat 1 presenting on connect).
    overrides: Mapping[str, Any] = field(default_factory=dict)
    # (contradiction ID, side) when the fault is a module that follows the statement a settled contradiction
    # decides against (its loser, "a" or "b"), or follows neither statement of an unresolved one ("neither").
    follows: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        # A read-only copy: a spec is shared by every model started with it.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        if self.follows is not None and self.follows[1] not in ("a", "b", "neither"):
            raise ValueError(f"fault {self.name!r} follows side 'a', 'b' or 'neither' of a contradiction")

    def hooks(self) -> H:
        """A new hook object for one model."""
        return self.factory()


def catalogue(family: str, specs: Iterable[FaultSpec[H]]) -> Mapping[str, FaultSpec[H]]:
    """A family's faults by name, sorted by name; a name given twice is an error."""
    by_name: dict[str, FaultSpec[H]] = {}
    for spec in specs:
        if spec.name in by_name:
            raise ValueError(f"fault {spec.name!r} defined twice for {family}")
        by_name[spec.name] = spec
    return MappingProxyType(dict(sorted(by_name.items())))


def device_settings(device: Mapping[str, Any], fault: FaultSpec[Any] | None) -> dict[str, Any]:
    """A profile's [device] table with the fault's overrides applied: what a model is built from."""
    return {**device, **(fault.overrides if fault is not None else {})}
