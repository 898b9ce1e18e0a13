"""The Inventek eS-WiFi (ISM43362) device model, sans-IO: ``ESWiFiModel``.

``ESWiFiModel.serial_in(bytes)`` and ``ESWiFiModel.net_in(event)`` return actions (bytes for the
UART, network operations for the executor). The model is built in layers, one module each:

- ``core.ModelCore``: the profile, the four sockets (``P0=0..3``), the command loop (one command at
  a time, the S3 payload timer), the replies, and the one-value settings (``P0``-``P4``, ``P8``, ``R1``,
  ``R2``, ``S1``, ``S2``, ``PK``) served by one handler from one table;
- ``servers.ServerModel``: ``P5=1``/``P5=11`` servers, the current client and the backlog, ``P5=10``,
  ``P5=0``, ``R0``/``S3`` on a server's client;
- ``transport.TransportModel``: the TCP client, UDP, ``S0``/``S1``, ``R2`` waits, ``R?``/``S?``, ``P?``;
- this module: the entry points and the module's own commands: ``C?`` (the network settings in the
  field order ST's es_wifi.c reads; field 5 is the module's address), ``CS`` (``1`` joined; ``0`` in
  the ``not-joined`` state), ``MR`` (``[SOMA][EOMA]``: on UART the messages come unprompted, so none
  is left to poll) and ``I?`` (the profile's identity line).

Each layer adds its commands to ``command_table``; which handler answers what is that table, never
an if/elif chain. Behaviour follows docs/spec/eswifi-transport.md. Faults and conformant variants act
only through the hooks of ``faults.ESWiFiFault`` (the replies, the messages, the server's decisions,
what ``P?`` shows, what follows a refused ``S3``); a module not ready yet (not joined) acts only
through the hooks of ``states.ESWiFiState``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sockconf.emulator.eswifi.core import PAYLOAD_TIMER
from sockconf.emulator.eswifi.faults import ESWiFiFault
from sockconf.emulator.eswifi.transport import READ_TIMER, TransportModel
from sockconf.emulator.net import (
    Accepted,
    Action,
    BindResult,
    Close,
    ConnectResult,
    Datagram,
    ListenResult,
    NetEvent,
    PeerClosed,
    Received,
    StopListening,
    TimerFired,
)
from sockconf.emulator.states import READY_TIMER
from sockconf.protocol.eswifi import Command
from sockconf.protocol.profile import Profile

FAMILY = "eswifi"
DEFAULT_PROFILE = "ism43362"


class ESWiFiModel(TransportModel):
    """One eS-WiFi module on a UART: the entry points, and the module's own commands (C?, CS, MR, I?)."""

    family = FAMILY
    hooks_class = ESWiFiFault  # the hook base faults and variants subclass

    def __init__(self, profile: Profile, *args: Any, **kwargs: Any) -> None:
        super().__init__(profile, *args, **kwargs)
        self.identity = str(self.device.get("identity", "ISM43362-M3G-L44-UART,C3.5.2.5.STM,sockconf emulator"))

    def command_table(self) -> dict[str, Callable[[Command, list[Action]], None]]:
        return {
            **super().command_table(),
            "CS": self._cs,
            "MR": self._mr,
            "I?": self._info,
            "C?": self._network_settings,
        }

    # ------------------------------------------------------------------ entry points

    def power_on(self) -> list[Action]:
        """What the module does when it starts (the executor calls this once): a state's own timers."""
        return self.state.power_on()

    def serial_in(self, data: bytes) -> list[Action]:
        out: list[Action] = []
        self.commands.extend(self.reader.feed(data))
        self._run(out)
        self._watch_payload(out)
        return out

    def net_in(self, event: NetEvent) -> list[Action]:
        out: list[Action] = []
        if isinstance(event, ConnectResult | BindResult | Datagram) or (
            isinstance(event, TimerFired) and event.key == READ_TIMER
        ):
            self._transport_event(event, out)
        elif isinstance(event, TimerFired):
            if event.key == READY_TIMER:
                self.state.become_ready()
            elif event.key == PAYLOAD_TIMER:
                self._payload_timer = False
                if self.reader.awaiting_payload:
                    partial = self.reader.pending
                    events = self.reader.flush()
                    if partial and self.fault.sends_cut_short_payload():
                        events = [Command("S3", (str(len(partial)),), events[0].raw, partial)]
                    elif not self.fault.answers_cut_short_payload():
                        events = events[1:]  # the cut-short S3 is dropped unanswered
                    self.commands.extend(events)
                    self._run(out)
        elif isinstance(event, ListenResult):
            self._listen_result(event, out)
        elif isinstance(event, Accepted):
            self._accepted(event, out)
        elif isinstance(event, Received):
            found = self.conns.get(event.key)
            if found is None:
                out.append(Close(event.key))
            else:
                found[1].buffer += event.data
        elif isinstance(event, PeerClosed):
            found = self.conns.get(event.key)
            if found is not None:
                found[1].connected = False
        if isinstance(event, Received) and event.key in self.conns:
            self.last_received = self.conns[event.key][0].number
        self._resume_read(out)
        return out

    def shutdown(self) -> list[Action]:
        """Close everything (the process is going away)."""
        out: list[Action] = []
        for sock in self.sockets:
            self._stop(sock, out, close_listener=True)
            self._stop_transport(sock, out)
        for key in list(self.listeners):
            out.append(StopListening(key))
        self.listeners.clear()
        return out

    # ------------------------------------------------------------------ the module

    def _network_settings(self, cmd: Command, out: list[Action]) -> None:
        # Field order as ST's es_wifi.c and stm32duino's ISM43362 driver parse C?: SSID, password,
        # security, DHCP, IP version, IP address, mask, gateway, DNS 1, DNS 2, join retries, auto-connect.
        fields = ["sockconf", "", 4, 1, 0, self.host_ip, "255.0.0.0", "127.0.0.1", "127.0.0.1", "0.0.0.0", 5, 0]
        self._reply(cmd, out, ",".join(str(f) for f in fields).encode("ascii"))

    def _cs(self, cmd: Command, out: list[Action]) -> None:
        self._reply(cmd, out, self.state.connection_status())

    def _mr(self, cmd: Command, out: list[Action]) -> None:
        self._reply(cmd, out, b"[SOMA][EOMA]")

    def _info(self, cmd: Command, out: list[Action]) -> None:
        self._reply(cmd, out, self.identity.encode("ascii", "replace"))
