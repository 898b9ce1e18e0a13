"""The driver interface: how a case reaches a DUT, whatever carries the bytes.

A driver gives: ``write(bytes)``, ``read(deadline)`` (whatever arrives before a monotonic deadline),
the byte trace, the DUT's network address when the driver knows it, and its identity for the report.
Every read has a deadline; no driver sleeps.
"""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass
from typing import ClassVar

from core.trace import RX, TX, Trace
from protocol.profile import Profile


class DriverError(Exception):
    """The DUT cannot be reached as configured; the message says what to change."""


class LinkLost(DriverError):
    """The link to the DUT closed while a case was running (port gone, emulator killed)."""


@dataclass(frozen=True)
class DriverConfig:
    profile: Profile
    port: str | None = None
    baud: int = 9600
    flow: str = "none"  # serial flow control: none, rtscts (hardware) or xonxoff (software)
    emulator_host: str = "127.0.0.1"
    fault: str | None = None


class Driver(abc.ABC):
    name: ClassVar[str]

    def __init__(self, config: DriverConfig) -> None:
        self.config = config
        self.trace = Trace()
        self.closed = False

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

    @property
    def dut_host(self) -> str | None:
        """The DUT's network address if the driver knows it (else the suite asks the DUT)."""
        return None

    def advice(self) -> str:
        """What to try when the link cannot be used (checks for the port, server, wiring)."""
        return ""

    def identity(self) -> dict[str, str]:
        """Driver, port and baud for the report."""
        return {"driver": self.name, "port": self.config.port or "", "baud": str(self.config.baud)}

    # -- what cases use

    def write(self, data: bytes) -> None:
        if self.closed:
            raise LinkLost("the link to the DUT is closed")
        self.trace.record(TX, data)
        try:
            self._send(data)
        except OSError as exc:
            raise LinkLost(f"writing to the DUT failed: {exc}") from exc

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
            where = self.config.port or "the serial line"
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
