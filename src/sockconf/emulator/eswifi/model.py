"""The Inventek eS-WiFi (ISM43362) device model, sans-IO: ``ESWiFiModel``.

``ESWiFiModel.serial_in(bytes)`` and ``ESWiFiModel.net_in(event)`` return actions (bytes for the
UART, network operations for the executor). The model is built in layers, one module each:

- ``core.ModelCore``: the profile, the four sockets (``P0=0..3``), the command loop (one command at
  a time, the S3 payload timer), the replies, and the one-value settings (``P0``-``P4``, ``P8``, ``R1``,
  ``R2``, ``S1``, ``S2``, ``PK``) served by one handler from one table;
- ``wifi.WiFiModel``: the station: ``C1``-``C4``, ``C0`` (join), ``CD`` (leave), ``CS``, ``C?``, ``Z5``;
- ``servers.ServerModel``: ``P5=1``/``P5=11`` servers, the current client and the backlog, ``P5=10``,
  ``P5=0``, ``R0``/``S3`` on a server's client, ``P7`` (the accept loop);
- ``transport.TransportModel``: the TCP client, UDP, ``S0``/``S1``, ``R2`` waits, ``R?``/``S?``, ``P?``;
- this module: the entry points (power-on: the cursor) and the module's own commands: ``MR`` (the
  next held message as ``[SOMA]<message>[EOMA]``, ``[SOMA][EOMA]`` when none waits: on UART the
  messages come unprompted, so none is held) and ``I?`` (the profile's identity line).

Each layer adds its commands to ``command_table``; which handler answers what is that table, never
an if/elif chain. Behaviour follows docs/spec/eswifi-transport.md. Faults and conformant variants act
only through the hooks of ``faults.ESWiFiFault`` (the replies, the messages, the server's decisions,
what follows a refused ``S3``, ...) or the profile's ``[device]`` keys; a module not ready yet (not
joined) acts only through the hooks of ``states.ESWiFiState``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sockconf.emulator.eswifi.core import LINE_TIMER, PAYLOAD_TIMER
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
    SerialOut,
    StopListening,
    TimerFired,
)
from sockconf.emulator.states import READY_TIMER
from sockconf.protocol.eswifi import EOMA, RESET_PROMPT, SOMA, SPI_CURSOR, Command
from sockconf.protocol.profile import Profile

FAMILY = "eswifi"
DEFAULT_PROFILE = "ism43362"
# I? as Arm Mbed's wifi-ism43362 quotes a module's answer (ISM43362Interface.cpp): product ID, firmware,
# API, stack and RTOS revisions, CPU clock, product name, the fields ST's es_wifi.c (AT_ParseInfo) reads.
DEFAULT_IDENTITY = "ISM43362-M3G-L44-UART,C3.5.2.5.STM,v3.5.2,v1.4.0.rc1,v8.2.1,120000000,Inventek eS-WiFi"


class ESWiFiModel(TransportModel):
    """One eS-WiFi module on a UART: the entry points, and the module's own commands (C?, CS, MR, I?)."""

    family = FAMILY
    hooks_class = ESWiFiFault  # the hook base faults and variants subclass

    def __init__(self, profile: Profile, *args: Any, **kwargs: Any) -> None:
        super().__init__(profile, *args, **kwargs)
        self.identity = str(self.device.get("identity", DEFAULT_IDENTITY))
        self.mr_form = str(self.device.get("mr_form", "one-per-mr"))
        self.mr_empty = str(self.device.get("mr_empty", "markers"))

    def command_table(self) -> dict[str, Callable[[Command, list[Action]], None]]:
        return {**super().command_table(), "MR": self._mr, "I?": self._info}

    # ------------------------------------------------------------------ entry points

    def power_on(self) -> list[Action]:
        """What the module does when it starts (the executor calls this once): the cursor, and a
        state's own timers. On SPI the first data phase after reset carries the cursor pre-padded
        with 0x15 to a whole 16-bit word (Inventek ISM4343 data sheet pp.15-16); on UART it is the
        prompt alone."""
        cursor = self.fault.power_on_bytes(SPI_CURSOR if self.spi else RESET_PROMPT, self.spi)
        return ([SerialOut(cursor)] if cursor else []) + self.state.power_on()

    def serial_in(self, data: bytes) -> list[Action]:
        out: list[Action] = []
        self.commands.extend(self.reader.feed(data))
        self._run(out)
        self._watch_payload(out)
        self._watch_line(out)
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
            elif event.key == LINE_TIMER:
                self._line_idle(out)
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

    def _mr(self, cmd: Command, out: list[Action]) -> None:
        # One held message per MR (Zephyr's eswifi_spi_read_msg reads only a message that starts right
        # after [SOMA]), or all of them at once where the profile says so (ESWIFI-SILENT-MR-FORM).
        count = len(self.held) if self.mr_form == "batched" else min(1, len(self.held))
        texts = [self.held.popleft() for _ in range(count)]
        if not texts and self.mr_empty == "markers":
            texts = [""]  # [SOMA][EOMA]: ST's es_wifi.c and Zephyr's eswifi read it as "no message"
        data = "".join(f"{SOMA}{text}{EOMA}" for text in texts)
        self._reply(cmd, out, data.encode("utf-8"))

    def _info(self, cmd: Command, out: list[Action]) -> None:
        fields = self.fault.identity_fields(self.identity.split(","))
        self._reply(cmd, out, ",".join(fields).encode("ascii", "replace"))
