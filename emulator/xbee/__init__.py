"""The emulated Digi XBee Cellular family: what ``emulator`` finds when it looks for families.

``model`` holds the state machine, ``faults`` the fault hooks and profiles, ``variants`` the conformant
variants; this package exports the family's name, its usual profile, the model class, its fault
catalogue and its variant catalogue (by name).
"""

from __future__ import annotations

from emulator.faults import catalogue
from emulator.variants import catalogue as variant_catalogue
from emulator.xbee.faults import PROFILES
from emulator.xbee.model import DEFAULT_PROFILE, FAMILY, XBeeModel
from emulator.xbee.variants import VARIANTS as VARIANT_SPECS

Model = XBeeModel
FAULTS = catalogue(FAMILY, PROFILES)
VARIANTS = variant_catalogue(FAMILY, VARIANT_SPECS)

__all__ = ["DEFAULT_PROFILE", "FAMILY", "FAULTS", "VARIANTS", "Model"]
