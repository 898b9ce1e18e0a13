"""Byte endpoints: where an emulated module's UART is reached.

This module owns the ways a host opens the emulated UART, each serving a ``Runner``
(``emulator.executor``) through a ``SerialLink`` until told to stop: an in-process stream socket
(a socket pair end, what ``emulator.thread.EmulatorThread`` uses), a pty in raw mode, or a TCP port
(one client at a time, like a serial port that is opened and closed; ``socket://`` for pyserial).
"""

from __future__ import annotations

import asyncio
import os
import socket
import tty
from collections.abc import Callable

from sockconf.emulator.executor import Runner, SerialLink


async def serve_socket(runner: Runner, sock: socket.socket, stop: asyncio.Event) -> None:
    """Serve one connected stream socket (socket pair end) until it closes or ``stop`` is set."""
    await runner.loop.connect_accepted_socket(lambda: SerialLink(runner, on_lost=stop.set), sock)
    await stop.wait()


async def serve_pty(runner: Runner, stop: asyncio.Event, announce: Callable[[str], None]) -> None:
    """Serve on a new pty; ``announce`` gets the slave path once it is ready."""
    master, slave = os.openpty()
    tty.setraw(slave)  # no echo, no line discipline: a byte-clean line like a UART
    os.set_blocking(master, False)
    write_fd = os.dup(master)
    read_file = os.fdopen(master, "rb", buffering=0)
    write_file = os.fdopen(write_fd, "wb", buffering=0)
    link = SerialLink(runner)
    try:
        await runner.loop.connect_read_pipe(lambda: link, read_file)
        wt, _ = await runner.loop.connect_write_pipe(lambda: _PipeWriter(link), write_file)
        link.transport = wt
        runner.attach_serial(link)
        announce(os.ttyname(slave))
        await stop.wait()
    finally:
        await runner.aclose()
        os.close(slave)


class _PipeWriter(asyncio.BaseProtocol):
    """Write half of the pty: forwards flow control to the link."""

    def __init__(self, link: SerialLink) -> None:
        self.link = link

    def pause_writing(self) -> None:
        self.link.pause_writing()

    def resume_writing(self) -> None:
        self.link.resume_writing()


async def serve_tcp(runner: Runner, host: str, port: int, stop: asyncio.Event, announce: Callable[[str], None]) -> None:
    """Serve the UART on a TCP port, one client at a time (``socket://host:port`` for pyserial)."""

    def factory() -> asyncio.Protocol:
        if runner.serial is not None:
            return _Refuse()
        return SerialLink(runner)

    server = await runner.loop.create_server(factory, host, port, reuse_address=True)
    bound = server.sockets[0].getsockname()
    announce(f"socket://{bound[0]}:{bound[1]}")
    try:
        await stop.wait()
    finally:
        server.close()
        await runner.aclose()


class _Refuse(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()
