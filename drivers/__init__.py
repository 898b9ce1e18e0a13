"""How the suite reaches a DUT: one interface (``drivers.base.Driver``), a registry by name.

A driver is a module in this folder whose class sets ``name`` and is decorated with ``register``;
adding a file adds a driver, and no case changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import TypeVar

from drivers.base import Driver, DriverConfig, DriverError, LinkLost

__all__ = ["Driver", "DriverConfig", "DriverError", "LinkLost", "create", "driver_names", "register"]

_REGISTRY: dict[str, type[Driver]] = {}
D = TypeVar("D", bound=type[Driver])


def register(cls: D) -> D:
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    here = str(Path(__file__).parent)
    for mod in pkgutil.iter_modules([here]):
        if not mod.name.startswith("_") and mod.name not in ("base", "trace"):
            importlib.import_module(f"drivers.{mod.name}")


def driver_names() -> list[str]:
    _discover()
    return sorted(_REGISTRY)


def create(name: str, config: DriverConfig) -> Driver:
    _discover()
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise DriverError(f"no driver {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}") from None
    return cls(config)
