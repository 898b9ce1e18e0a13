"""The eS-WiFi model's core: the command loop, the replies it writes, its messages, and the one-value
settings.

``ModelCore`` reads the profile, owns the sockets and the UART side (the command reader, one command
at a time, the S3 payload timer) and writes every reply through the fault hooks. Its messages
(``[TCP SVR] Accepted ...``) are written unprompted, or held for ``MR`` where the profile says so
(``async_messages = "mr"``: a module on an SPI bus speaks only when its host clocks a reply). The servers
(``servers.ServerModel``), the transport beyond them (``transport.TransportModel``) and the module's
own commands (``model.ESWiFiModel``) are layers on top of it; each adds its commands to
``command_table``. Where the documents are silent the profile's ``[device]`` keys choose.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sockconf.emulator.eswifi.faults import ESWiFiFault
from sockconf.emulator.eswifi.sockets import Client, Socket
from sockconf.emulator.eswifi.states import ESWiFiState
from sockconf.emulator.faults import FaultSpec, device_settings
from sockconf.emulator.net import Action, CancelTimer, SerialOut, StartTimer
from sockconf.emulator.states import StateSpec
from sockconf.protocol.eswifi import (
    ACCEPTED_PREFIX,
    BadLine,
    Command,
    CommandEvent,
    CommandReader,
    async_line,
    error_reply,
    lost_reply,
    ok_reply,
)
from sockconf.protocol.profile import Profile

# An S3 payload that stops arriving is given up after this long (the module would otherwise take
# the host's next commands as payload bytes); the profile's ``s3_payload_timeout`` overrides it. The
# real module's timeout, and its answer then (here the S3 error, nothing sent), are UNCONFIRMED.
S3_PAYLOAD_TIMEOUT = 1.0
PAYLOAD_TIMER = "s3-payload"
LINE_TIMER = "partial-line"  # a line not ended by CR, given up where the module has such a timeout


def number(text: str, low: int, high: int) -> int | None:
    """A decimal parameter within [low, high], or None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None


def within(low: int, high: int) -> Callable[[str], int | None]:
    """A parser for a decimal parameter within [low, high]."""
    return lambda text: number(text, low, high)


def one_of(allowed: frozenset[int]) -> Callable[[str], int | None]:
    """A parser for a one-digit parameter that must be one of ``allowed``."""

    def parse(text: str) -> int | None:
        value = number(text, 0, 9)
        return value if value in allowed else None

    return parse


def ipv4(text: str) -> str | None:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class Setting:
    """A one-value setting: ``XX`` reads it, ``XX=v`` sets it when ``parse`` accepts ``v``.

    It is the attribute ``field`` of the selected socket, or of the model when ``of_model``; a value
    ``parse`` refuses (None) is answered with the error ``reason`` and the ``usage`` line.
    """

    field: str
    parse: Callable[[str], int | str | None]
    reason: str
    usage: str
    of_model: bool = False


class ModelCore:
    """The command loop and the replies of one eS-WiFi module on a UART."""

    def __init__(
        self,
        profile: Profile,
        host_ip: str = "127.0.0.1",
        fault: FaultSpec[ESWiFiFault] | None = None,
        state: StateSpec[ESWiFiState] | None = None,
        ready_after: float | None = None,
    ) -> None:
        device = device_settings(profile.device, fault)
        self.device = device
        self.profile = profile
        self.fault = fault.hooks() if fault is not None else ESWiFiFault()
        self.state = state.hooks(ready_after) if state is not None else ESWiFiState()
        self.host_ip = host_ip
        self.max_s3 = int(device.get("max_s3", 1460))
        self.max_read_size = int(device.get("max_read_packet_size", 1460))
        self.backlog_range = (int(device.get("backlog_min", 0)), int(device.get("backlog_max", 6)))
        self.protocols = frozenset(int(p) for p in device.get("protocols", (0, 1, 2, 3)))
        self.max_timeout = int(device.get("max_timeout", 30000))
        self.lost_ok = bool(device.get("lost_reply_ok", False))
        self.accepted_port = str(device.get("accepted_port", "local-port"))
        self.payload_timeout = self.fault.s3_payload_timeout(
            float(device.get("s3_payload_timeout", S3_PAYLOAD_TIMEOUT))
        )
        texts: Mapping[str, Any] = device.get("messages", {})
        self.text_accepted = str(texts.get("accepted_prefix", ACCEPTED_PREFIX))
        # The bus the module is attached by: on SPI it speaks only when the host clocks a reply, so
        # its messages wait for MR; on UART they are written unprompted (the seed's transcript).
        self.spi = str(device.get("bus", "uart")) == "spi"
        self.async_mode = str(device.get("async_messages", "mr" if self.spi else "unprompted"))
        self.held: deque[str] = deque()  # messages waiting for MR
        read_size = int(device.get("read_packet_size", 1460))
        backlog = int(device.get("backlog_default", self.backlog_range[1]))
        self.sockets = [Socket(n, read_size, backlog) for n in range(int(device.get("sockets", 4)))]
        for sock in self.sockets:
            sock.write_size = int(device.get("write_packet_size", self.max_s3))
        self.selected = 0
        self.reader = CommandReader()
        self.reader.drop_pad_after_payload = self.fault.drops_payload_pad(self.spi)
        self.commands: deque[CommandEvent] = deque()
        self.waiting_on: tuple[Socket, Command] | None = None  # a command waiting for the network
        self.ignore = 0
        self.conns: dict[int, tuple[Socket, Client]] = {}
        self._keys = itertools.count(1)
        self._payload_timer = False
        top = len(self.sockets) - 1
        low, high = self.backlog_range
        protocols = "/".join(str(p) for p in sorted(self.protocols))
        self.settings: dict[str, Setting] = {
            "P0": Setting("selected", within(0, top), "Invalid socket", f"P0=<0-{top}>", of_model=True),
            "P1": Setting("protocol", one_of(self.protocols), "Invalid protocol", f"P1=<{protocols}>"),
            "P2": Setting("local_port", within(0, 0xFFFF), "Invalid port", "P2=<0-65535>"),
            "P3": Setting("remote_host", ipv4, "Invalid IP address", "P3=<a.b.c.d>"),
            "P4": Setting("remote_port", within(0, 0xFFFF), "Invalid port", "P4=<0-65535>"),
            "P8": Setting("backlog", within(low, high), "Invalid backlog", f"P8=<{low}-{high}>"),
            "R1": Setting(
                "read_size",
                within(1, self.fault.setting_high("R1", self.max_read_size)),
                "Invalid packet size",
                f"R1=<1-{self.max_read_size}>",
            ),
            "R2": Setting("read_timeout", within(0, self.max_timeout), "Invalid timeout", f"R2=<0-{self.max_timeout}>"),
            "S2": Setting(
                "write_timeout", within(0, self.max_timeout), "Invalid timeout", f"S2=<0-{self.max_timeout}>"
            ),
            "S1": Setting("write_size", within(1, self.max_s3), "Invalid packet size", f"S1=<1-{self.max_s3}>"),
        }
        self.handlers: dict[str, Callable[[Command, list[Action]], None]] = self.command_table()

    def command_table(self) -> dict[str, Callable[[Command, list[Action]], None]]:
        """Command name -> handler; each layer adds its own commands to its base's table."""
        return {**dict.fromkeys(self.settings, self._setting), "PK": self._pk}

    # ------------------------------------------------------------------ command loop

    def _run(self, out: list[Action]) -> None:
        # One command at a time: while a P5 waits for its listener, later commands wait too.
        while self.commands and self.waiting_on is None:
            event = self.commands.popleft()
            if self.ignore:
                self.ignore -= 1
                continue
            if isinstance(event, BadLine):
                if not self.fault.answers_bad_line(event):
                    continue
                for _ in range(self.fault.bad_line_replies(event)):
                    if event.raw.startswith(b"S3"):
                        self._error(None, out, "Invalid data length", f"S3=<1-{self.max_s3}>\\r<data>")
                    else:
                        self._error(None, out, "Unknown Error", "<command>[=<parameters>]")
                self.ignore = max(self.ignore, self.fault.ignored_after_bad_line(event))
                continue
            event = self.fault.command_in(event)
            handler = self.handlers.get(event.name)
            if handler is None:
                self._error(event, out, "Unknown Command", None)
            else:
                handler(event, out)

    def _watch_line(self, out: list[Action]) -> None:
        # Restarted by every byte: the timeout counts from the last byte of the partial line.
        timeout = self.fault.partial_line_timeout()
        if timeout is not None and self.reader.pending and not self.reader.awaiting_payload:
            out.append(StartTimer(LINE_TIMER, timeout))

    def _line_idle(self, out: list[Action]) -> None:
        """The partial-line timer fired: a line still not ended by CR is a bad line (answered)."""
        if self.reader.pending and not self.reader.awaiting_payload:
            self.commands.extend(self.reader.flush())
            self._run(out)

    def _watch_payload(self, out: list[Action]) -> None:
        if self.reader.awaiting_payload and self.payload_timeout is not None:
            out.append(StartTimer(PAYLOAD_TIMER, self.payload_timeout))
            self._payload_timer = True
        elif self._payload_timer:
            out.append(CancelTimer(PAYLOAD_TIMER))
            self._payload_timer = False

    # ------------------------------------------------------------------ output

    def _reply(self, cmd: Command | None, out: list[Action], data: bytes = b"") -> None:
        out.append(SerialOut(self.fault.reply_out(cmd, ok_reply(data))))

    def _lost(self, cmd: Command, out: list[Action]) -> None:
        out.append(SerialOut(self.fault.reply_out(cmd, lost_reply(self.lost_ok))))

    def _error(self, cmd: Command | None, out: list[Action], reason: str, usage: str | None) -> None:
        out.append(SerialOut(self.fault.reply_out(cmd, error_reply(reason, usage))))
        self.ignore = self.fault.ignored_after_error()

    def _message(self, text: str, out: list[Action]) -> None:
        sent = self.fault.message_out(text)
        if sent is None:
            return
        if self.fault.message_delivery(self.async_mode) == "mr":
            self.held.append(sent)
        else:
            out.append(SerialOut(self.fault.message_bytes(async_line(sent))))

    def _accepted_text(self, sock: Socket, client: Client) -> str:
        # ISM43362 firmware names the server's own (listening) port, as Zephyr's eswifi driver matches
        # it and the data sheet's example shows; the seed's module named the client's source port.
        local = self.accepted_port == "local-port"
        host, port = self.fault.accepted_address(client.host, sock.local_port if local else client.port)
        return f"{self.text_accepted}{host}:{port}"

    def _announce(self, sock: Socket, client: Client, out: list[Action]) -> None:
        self._message(self._accepted_text(sock, client), out)

    @property
    def _sock(self) -> Socket:
        return self.sockets[self.selected]

    # ------------------------------------------------------------------ settings

    def _setting(self, cmd: Command, out: list[Action]) -> None:
        setting = self.settings[cmd.name]
        target: object = self if setting.of_model else self._sock
        if not cmd.params:
            self._reply(cmd, out, str(getattr(target, setting.field)).encode("ascii"))
            return
        value = setting.parse(cmd.params[0]) if len(cmd.params) == 1 else None
        if value is None:
            self._error(cmd, out, setting.reason, setting.usage)
            return
        setattr(target, setting.field, value)
        self._reply(cmd, out)

    def _pk(self, cmd: Command, out: list[Action]) -> None:
        sock = self._sock
        if not cmd.params:
            self._reply(cmd, out, f"{sock.keepalive[0]},{sock.keepalive[1]}".encode())
            return
        # The time is in ms by everyone's use (PK=1,3000); its unit is UNCONFIRMED (spec §2).
        on = number(cmd.params[0], 0, 1)
        period = number(cmd.params[1], 0, 999999) if len(cmd.params) == 2 else None
        if on is None or period is None:
            self._error(cmd, out, "Invalid keep-alive", "PK=<0/1>,<ms>")
            return
        sock.keepalive = (on, period)
        self._reply(cmd, out)
