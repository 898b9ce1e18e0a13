"""The ``emulator`` driver (default): the built-in emulator in this process, over a socket pair.

The emulator runs in a background thread as the profile says and serves real TCP/UDP sockets on
``--emulator-host`` (loopback by default); the suite reaches it over bytes exactly as it would a UART.
"""

from __future__ import annotations

import select
import socket

from drivers import register
from drivers.base import Driver, DriverError
from emulator import build_model
from emulator.thread import EmulatorThread


@register
class EmulatorDriver(Driver):
    name = "emulator"

    def open(self) -> None:
        try:
            model = build_model(self.config.profile, host_ip=self.config.emulator_host, fault=self.config.fault)
            self._emu = EmulatorThread(model, self.config.emulator_host).start()
        except (ValueError, RuntimeError) as exc:
            raise DriverError(f"cannot start the emulator: {exc}") from None
        self._sock: socket.socket = self._emu.sock
        self._sock.setblocking(False)

    @property
    def dut_host(self) -> str | None:
        return self.config.emulator_host

    def identity(self) -> dict[str, str]:
        ident = {"driver": self.name, "port": "in-process", "baud": "n/a"}
        if self.config.fault:
            ident["fault"] = self.config.fault
        return ident

    def _send(self, data: bytes) -> None:
        self._sendall(data)

    def _sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            _, writable, _ = select.select([], [self._sock], [], 5.0)
            if not writable:
                raise OSError("the emulator did not take the bytes within 5 s")
            sent = self._sock.send(view)
            view = view[sent:]

    def _recv(self, timeout: float) -> bytes | None:
        readable, _, _ = select.select([self._sock], [], [], timeout)
        if not readable:
            return b""
        data = self._sock.recv(1 << 16)
        return data if data else None

    def _close(self) -> None:
        emu = getattr(self, "_emu", None)
        if emu is not None:
            emu.stop()
