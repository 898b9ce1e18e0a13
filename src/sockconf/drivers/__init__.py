"""How the suite reaches a DUT: one interface (``drivers.base.Driver``), a registry by name.

A driver is a module in this folder whose class sets ``name`` and is decorated with ``register``;
adding a file adds a driver, and no case changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import TypeVar

from sockconf.drivers.base import Driver, DriverConfig, DriverError, LinkLost

__all__ = [
    "Driver",
    "DriverConfig",
    "DriverError",
    "LinkLost",
    "create",
    "driver_class",
    "driver_classes",
    "driver_names",
    "register",
]

_REGISTRY: dict[str, type[Driver]] = {}
D = TypeVar("D", bound=type[Driver])


def register(cls: D) -> D:
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    here = str(Path(__file__).parent)
    for mod in pkgutil.iter_modules([here]):
        if not mod.name.startswith("_") and mod.name not in ("base", "cli"):
            importlib.import_module(f"{__name__}.{mod.name}")


def driver_names() -> list[str]:
    _discover()
    return sorted(_REGISTRY)


def driver_class(name: str) -> type[Driver]:
    _discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DriverError(f"no driver {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}") from None


def driver_classes() -> list[type[Driver]]:
    _discover()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def create(name: str, config: DriverConfig) -> Driver:
    return driver_class(name)(config)
