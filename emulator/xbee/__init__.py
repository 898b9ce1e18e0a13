"""The emulated Digi XBee Cellular family: what ``emulator`` finds when it looks for families.

``model`` holds the state machine, ``faults`` the fault hooks and profiles; this package exports
the family's name, its usual profile, the model class and its fault catalogue (by name).
"""

from __future__ import annotations

from emulator.faults import catalogue
from emulator.xbee.faults import PROFILES
from emulator.xbee.model import DEFAULT_PROFILE, FAMILY, XBeeModel

Model = XBeeModel
FAULTS = catalogue(FAMILY, PROFILES)

__all__ = ["DEFAULT_PROFILE", "FAMILY", "FAULTS", "Model"]
