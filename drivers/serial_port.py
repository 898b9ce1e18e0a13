"""The ``serial`` driver: any pyserial port or URL (/dev/ttyUSB0, COM3, socket://, rfc2217://, spy://)."""

from __future__ import annotations

import serial

from drivers import register
from drivers.base import Driver, DriverError


@register
class SerialDriver(Driver):
    name = "serial"

    def open(self) -> None:
        port = self.config.port
        if not port:
            raise DriverError(
                "--driver serial needs --port: a device (/dev/ttyUSB0, COM3) or a pyserial URL "
                "(socket://host:port); list ports with `python -m serial.tools.list_ports`"
            )
        try:
            self._port = serial.serial_for_url(port, baudrate=self.config.baud, timeout=0, write_timeout=5)
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
