"""Device profiles: what one DUT variant is (family, limits, behaviour, deadlines).

A profile is a TOML file among the built-in ones (``sockconf/data/profiles/``) or at any path. The
emulator is started as a profile, and the suite reads the same profile to parametrize cases and to
decide NOT APPLICABLE, so the one parser lives here, beside the codecs both of them share.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sockconf.data import folder

PROFILE_DIR = folder("profiles")


class ProfileError(ValueError):
    """A profile that does not exist or does not parse; the message says what to do."""


@dataclass(frozen=True)
class Deadlines:
    """How long the suite waits, in seconds. Every wait has one of these as its deadline."""

    reply: float = 2.0  # a response to a request (0xC0, an AT reply, ...)
    indication: float = 3.0  # something the network caused (0xCC, 0xCD, 0xCF, Accepted)
    quiet: float = 0.3  # how long "nothing more arrives" is watched, where a case must check that
    reset: float = 15.0  # a module reset (XBee FR) until the module is back and registered (0x8A)
    registration: float = 60.0  # preflight: a cellular module until it is registered (XBee AI 00)
    join: float = 20.0  # preflight: a Wi-Fi module until it has joined an access point (eS-WiFi CS 1)

    def scaled(self, factor: float) -> Deadlines:
        """Every deadline multiplied by ``factor`` (``--deadline-scale``)."""
        return Deadlines(**{f.name: getattr(self, f.name) * factor for f in fields(self)})


@dataclass(frozen=True)
class Profile:
    name: str
    family: str
    description: str
    device: Mapping[str, Any]
    deadlines: Deadlines = field(default_factory=Deadlines)
    features: frozenset[str] = frozenset()
    path: Path | None = None
    # [unconfirmed]: [device] keys whose figure comes from an UNCONFIRMED source -> why. A DUT that
    # differs from such a figure gets a NON-STRICT finding, never a FAIL.
    unconfirmed: Mapping[str, str] = field(default_factory=dict)
    # The host stacks (IDs of sockconf/data/hoststacks/<family>.toml) that drive this module: the
    # host-stack cases of those stacks apply to it, the others are NOT APPLICABLE.
    host_stacks: tuple[str, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return self.device.get(key, default)

    def has(self, feature: str) -> bool:
        return feature in self.features

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], path: Path | None = None) -> Profile:
        where = f" in {path}" if path else ""
        try:
            name = str(data["name"])
            family = str(data["family"])
        except KeyError as exc:
            raise ProfileError(f"profile{where} lacks the key {exc.args[0]!r}") from None
        dl = data.get("deadlines", {})
        try:
            deadlines = Deadlines(**{k: float(v) for k, v in dl.items()})
        except TypeError as exc:
            raise ProfileError(f"profile{where}: bad [deadlines]: {exc}") from None
        return cls(
            name=name,
            family=family,
            description=str(data.get("description", "")),
            device=dict(data.get("device", {})),
            deadlines=deadlines,
            features=frozenset(data.get("features", ())),
            path=path,
            unconfirmed={str(k): str(v) for k, v in data.get("unconfirmed", {}).items()},
            host_stacks=tuple(str(s) for s in data.get("host_stacks", ())),
        )


def available_profiles(directory: Path = PROFILE_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_profile(name_or_path: str | Path, directory: Path = PROFILE_DIR) -> Profile:
    """A built-in profile by name (``xbee3-lte-m``) or a TOML file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix != ".toml":
        candidate = directory / f"{name_or_path}.toml"
    if not candidate.is_file():
        names = ", ".join(available_profiles(directory)) or "none"
        raise ProfileError(f"no profile {str(name_or_path)!r}: give a built-in name ({names}) or a .toml path")
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"profile {candidate} does not parse: {exc}") from None
    return Profile.from_mapping(data, candidate)
