"""The emulated Inventek eS-WiFi family: what ``emulator`` finds when it looks for families.

``model`` holds the state machine, ``faults`` the fault hooks and profiles, ``variants`` the conformant
variants; this package exports the family's name, its usual profile, the model class, its fault
catalogue and its variant catalogue (by name).
"""

from __future__ import annotations

from emulator.eswifi.faults import PROFILES
from emulator.eswifi.model import DEFAULT_PROFILE, FAMILY, ESWiFiModel
from emulator.eswifi.variants import VARIANTS as VARIANT_SPECS
from emulator.faults import catalogue
from emulator.variants import catalogue as variant_catalogue

Model = ESWiFiModel
FAULTS = catalogue(FAMILY, PROFILES)
VARIANTS = variant_catalogue(FAMILY, VARIANT_SPECS)

__all__ = ["DEFAULT_PROFILE", "FAMILY", "FAULTS", "VARIANTS", "Model"]
