"""The lab file: several DUTs in one run (``--lab lab.toml``, ``--dut NAME``).

A lab file lists DUTs as ``[[dut]]`` tables::

    [[dut]]
    name = "ltem-1"
    port = "/dev/ttyUSB0"      # any pyserial URL (serial driver)
    profile = "xbee3-lte-m"    # a built-in profile name or a .toml path (relative to the lab file)
    baud = 115200              # optional
    dut_host = "10.0.0.23"     # optional, as --dut-host

``driver`` says how the DUT is reached: ``serial`` when a ``port`` is given, ``labgrid`` when a
``place`` is given, otherwise it must be named (``emulator`` for an emulated DUT). Every other key
is one of that driver's options by its ``Option.key`` (``port``, ``baud``, ``flow``, ``place``,
``fault``, ``pace``, ...), so a driver's new option is a lab key with no change here. A DUT is a
name, a profile, a driver and the driver's options; without a lab file the run has one DUT per
profile, named after the profile (:func:`duts_from_profiles`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sockconf import drivers
from sockconf.core.labfile import LabError, read_entries
from sockconf.drivers.base import DriverError
from sockconf.protocol.profile import Profile, ProfileError

__all__ = ["AUTO", "Dut", "LabError", "auto_profile", "duts_from_profiles", "is_auto", "load_lab"]

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
FIXED_KEYS = ("name", "profile", "driver", "dut_host")


@dataclass(frozen=True, eq=False)
class Dut:
    """One device under test: its name, profile, driver and the driver's own options."""

    name: str
    profile: Profile
    driver: str
    options: Mapping[str, Any] = field(default_factory=dict)
    dut_host: str | None = None

    @property
    def family(self) -> str:
        return self.profile.family


def duts_from_profiles(
    profiles: Sequence[Profile], driver: str, options: Mapping[str, Any], dut_host: str | None
) -> list[Dut]:
    """The run without a lab file: one DUT per profile, named after the profile."""
    return [Dut(p.name, p, driver, dict(options), dut_host) for p in profiles]


def load_lab(
    path: Path,
    load_profile: Callable[[str], Profile],
    defaults: Callable[[str], Mapping[str, Any]],
    selected: Sequence[str] = (),
) -> list[Dut]:
    """The DUTs of the lab file ``path`` (only those named in ``selected``, if any).

    ``load_profile`` resolves a profile name (``auto`` is left to the caller, see ``auto_profile``);
    ``defaults(driver)`` gives that driver's option values from the command line, which a lab entry
    overrides key by key.
    """
    entries = read_entries(path)
    duts: list[Dut] = []
    for index, entry in enumerate(entries, 1):
        dut = _entry(path, index, entry, load_profile, defaults)
        if any(d.name == dut.name for d in duts):
            raise LabError(f"lab file {path}: DUT {dut.name!r} is listed twice (entry {index}); names must be unique")
        duts.append(dut)
    if selected:
        names = [d.name for d in duts]
        missing = [s for s in selected if s not in names]
        if missing:
            raise LabError(f"--dut {', '.join(missing)}: not in {path} (its DUTs: {', '.join(names)})")
        duts = [d for d in duts if d.name in selected]
    return duts


def _entry(
    path: Path,
    index: int,
    entry: Mapping[str, Any],
    load_profile: Callable[[str], Profile],
    defaults: Callable[[str], Mapping[str, Any]],
) -> Dut:
    where = f"lab file {path}, [[dut]] entry {index}"
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise LabError(f"{where}: name wants letters, digits, '.', '_' or '-' (e.g. \"ltem-1\"), not {name!r}")
    where = f"lab file {path}, DUT {name!r}"
    driver = entry.get("driver") or ("labgrid" if "place" in entry else "serial" if "port" in entry else "")
    if not driver:
        raise LabError(f'{where}: say how to reach it: port = "/dev/ttyUSB0", place = "...", or driver = "emulator"')
    try:
        cls = drivers.driver_class(str(driver))
    except DriverError as exc:
        raise LabError(f"{where}: {exc}") from None
    profile_name = entry.get("profile")
    if not isinstance(profile_name, str) or not profile_name:
        raise LabError(f'{where}: no profile; give profile = "NAME" (a built-in name, a .toml path or "auto")')
    if profile_name.endswith(".toml") and not Path(profile_name).is_absolute():
        profile_name = str(path.parent / profile_name)
    dut_host = entry.get("dut_host")
    if dut_host is not None:
        try:
            ipaddress.IPv4Address(str(dut_host))
        except ValueError:
            raise LabError(f"{where}: dut_host wants an IPv4 address such as 10.0.0.23, not {dut_host!r}") from None
    options = dict(defaults(cls.name))
    known = {o.key: o for o in cls.options}
    for key, value in entry.items():
        if key in FIXED_KEYS:
            continue
        option = known.get(key)
        if option is None:
            raise LabError(
                f"{where}: driver {cls.name} has no option {key!r} "
                f"(its keys: {', '.join([*FIXED_KEYS, *known]) or 'none'})"
            )
        if isinstance(value, dict | list):
            raise LabError(f"{where}: {key} wants a single value, not {value!r}")
        try:
            options[option.dest] = option.type(value) if option.type is not str else str(value)
        except (TypeError, ValueError):
            raise LabError(f"{where}: {key} = {value!r} is not a valid {option.metavar or 'value'}") from None
    try:
        profile = load_profile(profile_name) if profile_name != "auto" else auto_profile(name)
    except ProfileError as exc:
        raise LabError(f"{where}: {exc}") from None
    return Dut(name, profile, cls.name, options, str(dut_host) if dut_host is not None else None)


AUTO = "auto"


def auto_profile(name: str) -> Profile:
    """A DUT whose profile is found by probing its port (``profile = "auto"``), until it is."""
    return Profile(name=AUTO, family="", description=f"{name}: found by probing its port", device={})


def is_auto(dut: Dut) -> bool:
    return dut.profile.name == AUTO and not dut.profile.family
