"""The emulated Espressif ESP-AT family: what ``emulator`` finds when it looks for families.

``model`` holds the state machine, ``faults`` the fault hooks and profiles, ``variants`` the conformant
variants, ``states`` the states of a module not ready yet; this package exports the family's name, its
usual profile, the model class and its fault, variant and state catalogues (by name).
"""

from __future__ import annotations

from sockconf.emulator.espat.faults import PROFILES
from sockconf.emulator.espat.model import DEFAULT_PROFILE, FAMILY, EspAtModel
from sockconf.emulator.espat.states import STATES as STATE_SPECS
from sockconf.emulator.espat.variants import VARIANTS as VARIANT_SPECS
from sockconf.emulator.faults import catalogue
from sockconf.emulator.states import catalogue as state_catalogue
from sockconf.emulator.variants import catalogue as variant_catalogue

Model = EspAtModel
FAULTS = catalogue(FAMILY, PROFILES)
VARIANTS = variant_catalogue(FAMILY, VARIANT_SPECS)
STATES = state_catalogue(FAMILY, STATE_SPECS)

__all__ = ["DEFAULT_PROFILE", "FAMILY", "FAULTS", "STATES", "VARIANTS", "Model"]
