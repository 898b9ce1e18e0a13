"""The eS-WiFi state hooks (``ESWiFiState``) and the family's states (``STATES``): a correct module, not ready.

``ESWiFiState`` names the points where the model asks about readiness: what ``CS`` (connection
status) answers, the local address ``P?`` shows, and whether a server may start. The base hooks are
a module joined to an access point.

- ``not-joined``: the module has not joined a network ("Join a network first." in Inventek's TCP
  server sequence): ``CS`` answers ``0``, ``P?`` shows 0.0.0.0 as the local address, and ``P5=1`` /
  ``P5=11`` are refused (the module's error text for this is UNCONFIRMED). With a ready-after time
  the module joins then (no message on the UART: a host learns it from ``CS``).
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


class _NotJoined(ESWiFiState):
    ready = False


STATES: list[StateSpec[ESWiFiState]] = [
    StateSpec(
        "not-joined",
        "not joined to an access point: CS answers 0, P? shows 0.0.0.0, P5=1/P5=11 are refused",
        _NotJoined,
        ends="joins (CS answers 1)",
    ),
]
