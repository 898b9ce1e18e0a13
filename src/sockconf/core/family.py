"""The family contract: one declaration per module family, found one way.

A family (``xbee``, ``eswifi``, ...) is one :class:`Family` value: its name, where its cases and
profiles live, its default profile, and the dotted references to the parts each layer needs (the
emulator's device model and fault/variant catalogues, the host session, the documented vectors).
References are strings resolved only by the layer allowed to import them, so this module (and every
declaration) imports nothing of the project's and every layer may read the registry.

Where a family's cases and profiles are is given as package names (``sockconf.suites.xbee``), resolved
to folders with :mod:`importlib.resources` only when asked, so a declaration imports nothing and the
same declaration works from a checkout and from an installed wheel.

Discovery: every module in ``sockconf/core/families/`` that defines ``FAMILY``, plus the modules named in the
environment variable ``SOCKCONF_FAMILIES`` (comma-separated, e.g. a family kept outside this tree;
subprocesses inherit it), plus :func:`register` for a process that declares one itself.
"""

from __future__ import annotations

import importlib
import importlib.resources
import os
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "SOCKCONF_FAMILIES"
BUILT_IN_PROFILES = "sockconf.data.profiles"
BUILT_IN_HOST_STACKS = "sockconf.data.hoststacks"


class FamilyError(ValueError):
    """An unknown family, a broken declaration, or two declarations of one name."""


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    default_profile: str  # a profile name in ``profile_dir``
    suites: str  # the package of its conformance cases, e.g. "sockconf.suites.xbee"
    model: str  # "package.module:Class", the emulator's device model
    faults: str  # "package.module:CATALOGUE", the emulator's fault profiles (name -> spec)
    host: str  # "package.module:Class", the host side: session, per-case setup, identity
    variants: str = ""  # "package.module:CATALOGUE", conformant variants (empty: none yet)
    states: str = ""  # "package.module:CATALOGUE", states of a correct module not ready yet (empty: none)
    vectors: str = ""  # "package.module", the documented bytes as data
    probe: str = ""  # "package.module", sans-IO identification: REQUESTS, parse(bytes), suggest(found, profiles)
    profiles: str = BUILT_IN_PROFILES  # the package holding its profile TOML files
    hoststacks: str = BUILT_IN_HOST_STACKS  # the package holding <name>.toml, its host stacks (if any)

    @property
    def suite_dir(self) -> Path:
        """The folder of its conformance cases."""
        return package_folder(self.suites)

    @property
    def profile_dir(self) -> Path:
        """The folder of its profile TOML files."""
        return package_folder(self.profiles)

    @property
    def hoststacks_file(self) -> Path:
        """The TOML file of the host stacks that drive its modules (it may not exist)."""
        return package_folder(self.hoststacks) / f"{self.name}.toml"

    def load(self, part: str) -> Any:
        """Import and return the object a reference field (``model``, ``host``, ...) names."""
        ref = getattr(self, part)
        if not ref:
            raise FamilyError(f"family {self.name!r} declares no {part}")
        module_name, _, attr = ref.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for name in filter(None, attr.split(".")):
                obj = getattr(obj, name)
        except (ImportError, AttributeError) as exc:
            raise FamilyError(f"family {self.name!r}: {part} = {ref!r} does not resolve: {exc}") from exc
        return obj

    def owns(self, path: Path) -> bool:
        """Whether ``path`` (a case file or folder) is one of this family's cases."""
        path = path.resolve()
        return path == self.suite_dir or self.suite_dir in path.parents


def package_folder(package: str) -> Path:
    """The folder of an installed or checked-out package, as a path (cases and profiles must be real files)."""
    try:
        found = importlib.resources.files(package)
    except (ImportError, TypeError) as exc:
        raise FamilyError(f"no package {package!r}: {exc}") from exc
    if not isinstance(found, Path):
        raise FamilyError(f"package {package!r} is not a folder on disk ({found!r})")
    return found


_REGISTERED: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Declare a family from outside ``core/families/`` in this process."""
    known = _REGISTERED.get(family.name)
    if known is not None and known != family:
        raise FamilyError(f"family {family.name!r} declared twice, differently")
    _REGISTERED[family.name] = family
    return family


def _declarations() -> list[str]:
    here = Path(__file__).resolve().parent / "families"
    package = f"{__package__}.families"
    built_in = [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_")]
    extra = [m.strip() for m in os.environ.get(ENV_VAR, "").split(",") if m.strip()]
    return built_in + extra


def families() -> dict[str, Family]:
    """Every declared family by name, sorted by name."""
    found: dict[str, Family] = {}
    for module_name in _declarations():
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise FamilyError(f"cannot import the family declaration {module_name!r} ({ENV_VAR}?): {exc}") from exc
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family):
            found[family.name] = family
    for name, family in _REGISTERED.items():
        found.setdefault(name, family)
    return dict(sorted(found.items()))


def get(name: str) -> Family:
    known = families()
    try:
        return known[name]
    except KeyError:
        raise FamilyError(f"no family {name!r}; known: {', '.join(known) or 'none'}") from None


def family_of_path(path: Path) -> Family | None:
    """The family whose cases ``path`` holds, if any."""
    for family in families().values():
        if family.owns(path):
            return family
    return None


def profile_dirs() -> list[Path]:
    """Every family's profile folder, once each."""
    return list(dict.fromkeys(f.profile_dir for f in families().values()))
