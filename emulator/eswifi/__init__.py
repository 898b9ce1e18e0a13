"""The emulated Inventek eS-WiFi family: what ``emulator`` finds when it looks for families.

``model`` holds the state machine, ``faults`` the fault hooks and profiles; this package exports
the family's name, its usual profile, the model class and its fault catalogue (by name).
"""

from __future__ import annotations

from emulator.eswifi.faults import PROFILES
from emulator.eswifi.model import DEFAULT_PROFILE, FAMILY, ESWiFiModel
from emulator.faults import catalogue

Model = ESWiFiModel
FAULTS = catalogue(FAMILY, PROFILES)

__all__ = ["DEFAULT_PROFILE", "FAMILY", "FAULTS", "Model"]
