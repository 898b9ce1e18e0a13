"""An emulator in a background thread, reached through a socket pair.

This module owns ``EmulatorThread``: it runs an asyncio loop in a daemon thread with a ``Runner``
(``emulator.executor``) serving one end of a socket pair (``emulator.endpoints.serve_socket``) and
hands the other end to the caller. It is what the ``emulator`` driver and the self-tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

from sockconf.emulator.endpoints import serve_socket
from sockconf.emulator.executor import DeviceModel, Runner


class EmulatorThread:
    """An emulator in a background thread, reached through a socket pair (``self.sock``)."""

    def __init__(self, model: DeviceModel, host_ip: str = "127.0.0.1", baud: int = 0) -> None:
        self.model = model
        self.host_ip = host_ip
        self.baud = baud  # pace the UART at this baud rate (0: unpaced)
        self.sock, self._their_sock = socket.socketpair()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.runner: Runner | None = None  # set once the loop runs (for inspection in tests)
        self._thread = threading.Thread(target=self._main, name=f"emulator-{model.family}", daemon=True)

    def start(self, timeout: float = 5.0) -> EmulatorThread:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the emulator did not start within {timeout:.0f} s")
        if self._error is not None:
            raise RuntimeError(f"the emulator failed to start: {self._error}")
        return self

    def _main(self) -> None:
        try:
            asyncio.run(self._amain())
        except BaseException as exc:  # reported to the starting thread, never lost
            self._error = exc
            self._ready.set()

    async def _amain(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = self.runner = Runner(self.model, self.host_ip, self.baud)
        self._ready.set()
        try:
            await serve_socket(runner, self._their_sock, self._stop)
        finally:
            await runner.aclose()

    def stop(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
