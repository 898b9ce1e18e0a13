"""The emulated Digi XBee Cellular family: what ``emulator`` finds when it looks for families.

``model`` holds the state machine, ``faults`` the fault hooks and profiles, ``variants`` the conformant
variants, ``states`` the states of a module not ready yet; this package exports the family's name, its
usual profile, the model class and its fault, variant and state catalogues (by name).
"""

from __future__ import annotations

from sockconf.emulator.faults import catalogue
from sockconf.emulator.states import catalogue as state_catalogue
from sockconf.emulator.variants import catalogue as variant_catalogue
from sockconf.emulator.xbee.faults import PROFILES
from sockconf.emulator.xbee.model import DEFAULT_PROFILE, FAMILY, XBeeModel
from sockconf.emulator.xbee.states import STATES as STATE_SPECS
from sockconf.emulator.xbee.variants import VARIANTS as VARIANT_SPECS

Model = XBeeModel
FAULTS = catalogue(FAMILY, PROFILES)
VARIANTS = variant_catalogue(FAMILY, VARIANT_SPECS)
STATES = state_catalogue(FAMILY, STATE_SPECS)

__all__ = ["DEFAULT_PROFILE", "FAMILY", "FAULTS", "STATES", "VARIANTS", "Model"]
