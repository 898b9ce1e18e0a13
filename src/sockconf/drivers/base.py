"""The driver interface: how a case reaches a DUT, whatever carries the bytes.

A driver gives: ``write(bytes)``, ``read(deadline)`` (whatever arrives before a monotonic deadline),
the byte trace, the DUT's network address when the driver knows it, and its identity for the report.
Every read has a deadline; no driver sleeps.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sockconf.core.record import Inconclusive
from sockconf.core.trace import RX, TX, Trace
from sockconf.protocol.profile import Profile

BITS_PER_BYTE = 10  # 8N1: a start bit, 8 data bits, a stop bit


class DriverError(Exception):
    """The DUT cannot be reached as configured; the message says what to change."""


class LinkLost(DriverError, Inconclusive):
    """The link to the DUT closed while a case was running (port gone, emulator killed)."""


class DriverUsageError(DriverError):
    """The options given to a driver are wrong; raised before any DUT is touched."""


class PowerControlUnsupported(DriverError):
    """The driver, as configured, cannot switch the DUT's power (``Driver.power_cycle``)."""


@dataclass(frozen=True)
class Option:
    """A command-line option a driver owns (the pytest plugin adds it; the driver reads and checks it).

    ``dest`` is the key in ``DriverConfig.options``. Two drivers that take the same option share one
    ``Option`` value (e.g. ``--port``), so it is added once.
    """

    flag: str
    help: str
    metavar: str | None = None
    type: Callable[[str], Any] = str
    default: Any = None
    choices: Sequence[str] | None = None
    lab_key: str = ""  # its key in a lab file's [[dut]] entry, where that differs from ``dest``
    repeat: bool = False  # may be given several times: the value is the list of them (None: never given)
    # The pytest plugin (by its entry-point name) that declares this same flag, with this ``dest``, when
    # it is loaded: then that declaration serves, so the two plugins never both add the flag.
    provided_by: str = ""

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def key(self) -> str:
        """The option's key in a lab file."""
        return self.lab_key or self.dest


def check_baud(values: Mapping[str, Any]) -> None:
    """``--baud``, where a driver takes it, is a positive number."""
    if values.get("baud") is not None and values["baud"] <= 0:
        raise DriverUsageError(f"--baud wants a positive number, not {values['baud']}")


def require_profile(profiles: Sequence[Profile], driver: str, where: str) -> None:
    """A driver that reaches a real module needs to be told which module it is (``--profile``)."""
    if not profiles:
        raise DriverUsageError(
            f"--driver {driver} needs --profile to know which module is on {where}: "
            "a built-in profile name or a .toml path (or auto, with --driver serial)"
        )


@dataclass(frozen=True)
class DriverConfig:
    """What one DUT's driver is built from: its profile and the values of the driver's own options."""

    profile: Profile
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, dest: str, default: Any = None) -> Any:
        value = self.options.get(dest)
        return default if value is None else value


class Driver(abc.ABC):
    name: ClassVar[str]
    summary: ClassVar[str] = ""  # one line for --help
    options: ClassVar[tuple[Option, ...]] = ()

    @classmethod
    def check_options(cls, values: Mapping[str, Any], profiles: Sequence[Profile]) -> None:
        """Raise DriverUsageError when the options (and the profiles named) cannot work with this driver."""
        return None

    @classmethod
    def not_applicable(cls, family: str, values: Mapping[str, Any]) -> str:
        """Why this driver, so configured, runs none of ``family``'s cases ("" when it runs them)."""
        return ""

    def __init__(self, config: DriverConfig) -> None:
        self.config = config
        self.trace = Trace()
        self.closed = False
        # When (time.monotonic()) the last byte written so far has left the line: a write returns once
        # the bytes are handed over, on a serial line they still take their line time to reach the DUT.
        self.line_free = 0.0

    # -- what subclasses provide

    @abc.abstractmethod
    def open(self) -> None:
        """Reach the DUT; raise DriverError with advice when it cannot be reached."""

    @abc.abstractmethod
    def _send(self, data: bytes) -> None: ...

    @abc.abstractmethod
    def _recv(self, timeout: float) -> bytes | None:
        """Bytes that arrived within ``timeout`` seconds; b"" for none; None when the link closed."""

    @abc.abstractmethod
    def _close(self) -> None: ...

    def advice(self) -> str:
        """What to try when the link cannot be used (checks for the port, server, wiring)."""
        return ""

    @property
    def dut_host(self) -> str | None:
        """The DUT's network address if the driver knows it (else the suite asks the DUT)."""
        return None

    def identity(self) -> dict[str, str]:
        """Driver, port and baud for the report."""
        return {"driver": self.name}

    @property
    def line_baud(self) -> int | None:
        """The baud rate of the line to the DUT when bytes take line time on it (a serial port, a paced
        emulator); None when they do not."""
        return None

    def line_time(self, size: int) -> float:
        """Seconds ``size`` bytes take on the line (8N1: 10 bits a byte); 0 without line time."""
        baud = self.line_baud
        return size * BITS_PER_BYTE / baud if baud else 0.0

    def after_line(self, within: float) -> float:
        """The deadline for something the DUT owes ``within`` seconds after what was written so far: counted
        from when the last written byte has reached the DUT, not from when the write returned."""
        return max(time.monotonic(), self.line_free) + within

    # -- optional capabilities

    @property
    def has_power_control(self) -> bool:
        """Whether ``power_cycle`` can switch this DUT's power (ask before relying on it)."""
        return False

    def power_cycle(self) -> None:
        """A hard reset: cut the DUT's power, then restore it. Returns once the power is back on.

        The DUT then boots; waiting for it to speak is the caller's business (a deadline, as always).
        Raises ``PowerControlUnsupported`` when the driver has no power control for this DUT, and
        ``DriverError`` with advice when switching failed.
        """
        raise PowerControlUnsupported(f"--driver {self.name} has no power control for this DUT")

    # -- what cases use

    def write(self, data: bytes) -> None:
        if self.closed:
            raise LinkLost("the link to the DUT is closed")
        self.trace.record(TX, data)
        try:
            self._send(data)
        except OSError as exc:
            raise LinkLost(f"writing to the DUT failed: {exc}") from exc
        if self.line_baud:
            self.line_free = max(time.monotonic(), self.line_free) + self.line_time(len(data))

    def read(self, deadline: float) -> bytes:
        """What arrives before ``deadline`` (time.monotonic()); b"" if nothing did."""
        if self.closed:
            raise LinkLost("the link to the DUT is closed")
        try:
            data = self._recv(max(0.0, deadline - time.monotonic()))
        except OSError as exc:
            raise LinkLost(f"reading from the DUT failed: {exc}") from exc
        if data is None:
            self.closed = True
            where = self.config.option("port") or "the serial line"
            raise LinkLost(f"the DUT closed the link (end of file on {where})")
        if data:
            self.trace.record(RX, data)
        return data

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._close()

    def __enter__(self) -> Driver:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
