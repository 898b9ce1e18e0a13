"""The XBee state hooks (``XBeeState``) and the family's states (``STATES``): a correct module, not ready.

``XBeeState`` names the points where the model asks about readiness: what ``AI`` and ``MY`` answer,
whether a Socket Create can succeed, whether the module speaks API frames at all, and what it does
with UART bytes and timers when it does not. The base hooks are a ready module (AI 00, API mode).

- ``not-registered``: ``AI`` answers ``23``, ``MY`` 0.0.0.0, and a Socket Create is answered with
  status ``22`` (not registered). With a ready-after time the module registers then: it sends
  0x8A Modem Status ``02`` (registered) and from then on is a ready module.
- ``transparent``: the module is in transparent mode (AP=0, the factory default): API frames are
  taken as data for a serial connection nobody configured and dropped. ``+++`` framed by the guard
  time (``GT``, the profile's ``guard_time`` seconds, 1 s by default as on the module) enters
  command mode, answered ``OK\\r``; there ``ATAP`` answers ``0``, ``ATCN`` leaves (``OK``), ``AT``
  answers ``OK``, other commands ``ERROR`` (not emulated), and the command mode times out after
  ``CT`` (10 s).
"""

from __future__ import annotations

from sockconf.emulator.net import Action, CancelTimer, SerialOut, StartTimer
from sockconf.emulator.states import Readiness, StateSpec
from sockconf.protocol.xbee.status import AssociationIndication, SocketCreateStatus

GUARD_TIME = 1.0  # GT default (0x3E8 ms)
COMMAND_TIMEOUT = 10.0  # CT default (0x64 x 100 ms)
_IDLE_TIMER = "transparent-idle"  # the line has been quiet for a guard time
_ESCAPE_TIMER = "transparent-escape"  # a guard time after +++
_COMMAND_TIMER = "transparent-command-timeout"


class XBeeState(Readiness):
    """Hook points of the model's readiness; the defaults are a ready module in API mode."""

    def association(self) -> int:
        """What ``AI`` answers."""
        return AssociationIndication.CONNECTED

    def address(self, packed: bytes) -> bytes:
        """What ``MY`` answers, given the module's address once it has one."""
        return packed

    def create_refused(self) -> SocketCreateStatus | None:
        """The status a Socket Create is refused with (None: the module can create sockets)."""
        return None

    def speaks_api(self) -> bool:
        return True

    def serial_in(self, data: bytes, guard_time: float) -> list[Action]:
        """UART bytes when the module does not speak API frames."""
        return []

    def timer(self, key: str, guard_time: float) -> list[Action]:
        """A timer of the state's own fired."""
        return []


class _NotRegistered(XBeeState):
    ready = False

    def association(self) -> int:
        return AssociationIndication.CONNECTING if not self.ready else AssociationIndication.CONNECTED

    def address(self, packed: bytes) -> bytes:
        return packed if self.ready else bytes(4)

    def create_refused(self) -> SocketCreateStatus | None:
        return None if self.ready else SocketCreateStatus.NOT_REGISTERED


class _Transparent(XBeeState):
    def __init__(self, ready_after: float | None = None) -> None:
        super().__init__(ready_after)
        self.quiet = True  # nothing has come for a guard time (true at power-on)
        self.pluses = 0  # '+' characters of an escape sequence so far
        self.command_mode = False
        self.line = bytearray()

    def speaks_api(self) -> bool:
        return False

    def serial_in(self, data: bytes, guard_time: float) -> list[Action]:
        if self.command_mode:
            return self._command_bytes(data)
        for byte in data:
            if byte == ord("+") and (self.pluses or self.quiet) and self.pluses < 3:
                self.pluses += 1
            else:
                self.pluses = 0  # data for the serial connection: none is configured, so it is dropped
            self.quiet = False
        out: list[Action] = [StartTimer(_IDLE_TIMER, guard_time)]
        out.append(StartTimer(_ESCAPE_TIMER, guard_time) if self.pluses == 3 else CancelTimer(_ESCAPE_TIMER))
        return out

    def timer(self, key: str, guard_time: float) -> list[Action]:
        if key == _IDLE_TIMER:
            self.quiet = True
        elif key == _ESCAPE_TIMER and self.pluses == 3:
            self.pluses = 0
            self.command_mode = True
            return [SerialOut(b"OK\r"), StartTimer(_COMMAND_TIMER, COMMAND_TIMEOUT)]
        elif key == _COMMAND_TIMER:
            self.command_mode = False
            self.line.clear()
        return []

    def _command_bytes(self, data: bytes) -> list[Action]:
        out: list[Action] = [StartTimer(_COMMAND_TIMER, COMMAND_TIMEOUT)]
        for byte in data:
            if byte != ord("\r"):
                self.line.append(byte)
                continue
            command = bytes(self.line).strip().upper()
            self.line.clear()
            if command == b"ATCN":
                self.command_mode = False
                out += [SerialOut(b"OK\r"), CancelTimer(_COMMAND_TIMER)]
                return out
            if command == b"ATAP":
                out.append(SerialOut(b"0\r"))
            elif command == b"AT":
                out.append(SerialOut(b"OK\r"))
            else:
                out.append(SerialOut(b"ERROR\r"))
        return out


STATES: list[StateSpec[XBeeState]] = [
    StateSpec(
        "not-registered",
        "not registered on the cellular network: AI answers 23, MY 0.0.0.0, Socket Create status 22",
        _NotRegistered,
        ends="registers (0x8A 02, AI 00)",
    ),
    StateSpec(
        "transparent",
        "in transparent mode (AP=0, the factory default): no API frames; +++ after the guard time answers OK",
        _Transparent,
    ),
]
