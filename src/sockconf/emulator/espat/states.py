"""The ESP-AT state hooks (``EspAtState``) and the family's states (``STATES``): a correct module, not ready.

``EspAtState`` is whether the station has joined an access point. The base is a joined module.

- ``no-ap``: the station has not joined ("No AP", the firmware's own answer to ``AT+CWJAP?``):
  ``AT+CWJAP?`` says so, ``AT+CIPSTA?`` and ``AT+CIFSR`` show 0.0.0.0, and connections and servers
  are refused with ERROR. With a ready-after time it joins then and reports it as a module does
  when it connects by itself: ``WIFI CONNECTED``, ``WIFI GOT IP``.
"""

from __future__ import annotations

from sockconf.emulator.states import Readiness, StateSpec


class EspAtState(Readiness):
    """Hook points of the model's readiness; the defaults are a station joined to an access point."""


class _NoAp(EspAtState):
    ready = False


STATES: list[StateSpec[EspAtState]] = [
    StateSpec(
        "no-ap",
        "the station has not joined an access point: AT+CWJAP? answers No AP, AT+CIPSTA? shows 0.0.0.0, "
        "AT+CIPSTART and AT+CIPSERVER are refused",
        _NoAp,
        ends="joins (WIFI CONNECTED, WIFI GOT IP)",
    ),
]
