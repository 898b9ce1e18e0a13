"""The eS-WiFi state hooks (``ESWiFiState``) and the family's states (``STATES``): a correct module, not ready.

``ESWiFiState`` names the points where the model asks about readiness: what ``CS`` (connection
status) answers, the local address ``P?`` shows, and whether a server may start. The base hooks are
a module joined to an access point.

- ``not-joined``: the module has not joined a network ("Join a network first." in Inventek's TCP
  server sequence) and cannot (its access point is out of reach): ``CS`` answers ``0``, ``P?`` shows
  0.0.0.0 as the local address, ``C0`` fails and ``P5=1`` / ``P5=11`` are refused (the module's error
  texts for this are UNCONFIRMED). With a ready-after time the access point comes in reach then: a
  module that auto-connects (the profile's ``joined``) has joined, another one can join with ``C0``
  (no message on the UART: a host learns it from ``CS``).
"""

from __future__ import annotations

from sockconf.emulator.states import Readiness, StateSpec

NOT_JOINED_ERROR = ("Not joined to a network", "C0 (join a network first)")


class ESWiFiState(Readiness):
    """Hook points of the model's readiness; the defaults are a module joined to a network."""

    def connection_status(self) -> bytes:
        """What ``CS`` answers: ``1`` joined, ``0`` not."""
        return b"1" if self.ready else b"0"

    def local_ip(self, host_ip: str) -> str:
        return host_ip if self.ready else "0.0.0.0"

    def server_refused(self) -> tuple[str, str] | None:
        """The error (reason, usage) a server start is refused with (None: servers may start)."""
        return None if self.ready else NOT_JOINED_ERROR

    def join_refused(self) -> str | None:
        """Why ``C0`` cannot join now (None: it can): the access point is out of reach until ready."""
        return None if self.ready else "access point not found"


class _NotJoined(ESWiFiState):
    ready = False


STATES: list[StateSpec[ESWiFiState]] = [
    StateSpec(
        "not-joined",
        "not joined to an access point, which is out of reach: CS answers 0, P? shows 0.0.0.0, C0 fails, "
        "P5=1/P5=11 are refused",
        _NotJoined,
        ends="joins (CS answers 1)",
    ),
]
