"""The ``serial`` driver: any pyserial port or URL (/dev/ttyUSB0, COM3, socket://, rfc2217://, spy://)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import serial

from drivers import register
from drivers.base import Driver, DriverError, DriverUsageError, Option
from protocol.profile import Profile

PORT = Option("--port", "serial device or pyserial URL, e.g. /dev/ttyUSB0, COM3, socket://host:7000", metavar="PORT")
BAUD = Option("--baud", "baud rate (default: the profile's, e.g. 9600 for XBee)", metavar="N", type=int)


@register
class SerialDriver(Driver):
    name = "serial"
    summary = "a serial port or any pyserial URL (--port)"
    options = (PORT, BAUD)

    @classmethod
    def check_options(cls, values: Mapping[str, Any], profiles: Sequence[Profile]) -> None:
        if not values.get("port"):
            raise DriverUsageError(
                "--driver serial needs --port (e.g. /dev/ttyUSB0, COM3 or socket://host:port); "
                "list ports with `python -m serial.tools.list_ports`"
            )
        if values.get("baud") is not None and values["baud"] <= 0:
            raise DriverUsageError(f"--baud wants a positive number, not {values['baud']}")
        if not profiles:
            raise DriverUsageError(
                f"--driver serial needs --profile to know which module is on {values['port']}: "
                "a built-in profile name or a .toml path"
            )

    @property
    def baud(self) -> int:
        return int(self.config.option("baud") or self.config.profile.get("baud", 9600))

    def identity(self) -> dict[str, str]:
        return {"driver": self.name, "port": str(self.config.option("port", "")), "baud": str(self.baud)}

    def open(self) -> None:
        port = self.config.option("port")
        if not port:
            raise DriverError(
                "--driver serial needs --port: a device (/dev/ttyUSB0, COM3) or a pyserial URL "
                "(socket://host:port); list ports with `python -m serial.tools.list_ports`"
            )
        try:
            self._port = serial.serial_for_url(port, baudrate=self.baud, timeout=0, write_timeout=5)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise DriverError(
                f"cannot open --port {port}: {exc}. Check the path or URL and that no other program holds "
                "the port (list ports with `python -m serial.tools.list_ports`)"
            ) from None

    def _send(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except serial.SerialTimeoutException as exc:
            raise OSError(f"the DUT did not take the bytes within 5 s ({exc}); check flow control") from exc
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc

    def _recv(self, timeout: float) -> bytes | None:
        try:
            self._port.timeout = timeout
            first = self._port.read(1)
            if not first:
                return b""
            self._port.timeout = 0
            waiting = self._port.in_waiting
            return bytes(first + (self._port.read(waiting) if waiting else b""))
        except serial.SerialException as exc:
            if "returned no data" in str(exc) or "disconnected" in str(exc):
                return None  # the device went away (USB unplugged, pty or socket closed)
            raise OSError(str(exc)) from exc

    def _close(self) -> None:
        port = getattr(self, "_port", None)
        if port is not None:
            port.close()
