"""Named module states: a correct module that is not ready to be tested yet.

A state is neither a fault (the firmware is right) nor a variant (nothing the documents leave open):
it is how a real module often sits on a bench before its first case (a cellular module not
registered yet, a Wi-Fi module that has not joined an access point, an XBee left in transparent
mode). They exist to test the suite's preflight: such a module must get no FAIL.

This module owns what every family shares: ``StateSpec`` (a name, a description, and a factory for
the family's state hook object, whose hooks the device model calls at fixed points, like a fault's)
and the catalogue that indexes a family's states by name. A state that can end by itself (a module
that registers after N seconds) is given N as ``ready_after``; the model ends it with one of its
own timers (``emulator.net.StartTimer``), never a sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Generic, TypeVar

from sockconf.emulator.net import Action, StartTimer

H = TypeVar("H")
READY_TIMER = "state-ready"  # the model timer that ends a state which ends by itself


class Readiness:
    """The base of a family's state hooks: whether the module is ready, and the timer that makes it so.

    The defaults are a ready module; a state subclass sets ``ready = False`` and overrides the
    family's hooks for what the module answers until then.
    """

    ready = True

    def __init__(self, ready_after: float | None = None) -> None:
        self.ready_after = ready_after

    def power_on(self) -> list[Action]:
        """Actions when the module starts: the timer that ends the state, if it ends."""
        if self.ready or self.ready_after is None:
            return []
        return [StartTimer(READY_TIMER, self.ready_after)]

    def become_ready(self) -> None:
        self.ready = True


@dataclass(frozen=True)
class StateSpec(Generic[H]):
    """One named state of a family: how to make its hooks, and what ends it (if anything)."""

    name: str
    description: str
    # Makes the hook object a model calls (a fresh one per model), given ``ready_after`` seconds or None.
    factory: Callable[[float | None], H]
    # What the module does once ``ready_after`` seconds have passed ("registers"); "" when nothing
    # ends the state but the user (e.g. setting ATAP1).
    ends: str = ""

    def hooks(self, ready_after: float | None = None) -> H:
        """A new hook object for one model."""
        if ready_after is not None and not self.ends:
            raise ValueError(f"state {self.name!r} does not end by itself: a ready-after time does not apply")
        return self.factory(ready_after)


def catalogue(family: str, specs: Iterable[StateSpec[H]]) -> Mapping[str, StateSpec[H]]:
    """A family's states by name, sorted by name; a name given twice is an error."""
    by_name: dict[str, StateSpec[H]] = {}
    for spec in specs:
        if spec.name in by_name:
            raise ValueError(f"state {spec.name!r} defined twice for {family}")
        by_name[spec.name] = spec
    return MappingProxyType(dict(sorted(by_name.items())))
