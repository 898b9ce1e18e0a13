"""The eS-WiFi model's state: its sockets (``P0``), their servers, clients and UDP endpoints.

Plain data; which command changes what is the business of ``servers`` and ``transport``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum


class ServerMode(Enum):
    """The server a socket runs (``P5=1`` / ``P5=11``)."""

    SINGLE = "single"
    MULTI = "multi"


@dataclass
class Client:
    """One accepted TCP connection of a server socket."""

    key: int
    host: str
    port: int
    buffer: bytearray = field(default_factory=bytearray)
    connected: bool = True


@dataclass
class Socket:
    """One of the module's sockets (``P0``) with its settings and its server."""

    number: int
    read_size: int
    backlog: int
    protocol: int = 0
    local_port: int = 0
    remote_host: str = "0.0.0.0"
    remote_port: int = 0
    keepalive: tuple[int, int] = (0, 0)
    read_timeout: int = 0
    write_timeout: int = 0
    mode: ServerMode | None = None  # None: no server
    loop: bool = False  # P7=1: the server's accept loop (P7=2 closes the current client, P7=3 takes the next)
    holding: bool = False  # after P7=2: clients wait for P7=3, none becomes current by itself
    starting: ServerMode | None = None  # the mode asked for while the listener is being opened
    listener: int | None = None
    current: Client | None = None
    queue: deque[Client] = field(default_factory=deque)
    # Clients no longer served but still open (only a faulty P5=10 leaves any); closed by P5=0.
    detached: list[Client] = field(default_factory=list)
    write_size: int = 1460  # S1: the payload length of S0
    # The server's waiting clients are held by the host's TCP stack, which refuses clients beyond them.
    host_queue: bool = False
    client: Client | None = None  # the TCP connection P6=1 opened
    udp: UdpEndpoint | None = None  # the UDP socket of a UDP server (P5=1) or client (P6=1)

    def clients(self) -> list[Client]:
        current = [self.current] if self.current is not None else []
        return [*current, *self.queue, *self.detached]


@dataclass
class UdpEndpoint:
    """The UDP socket of a module socket with ``P1=1``/``2``: a server (``P5=1``) or a client (``P6=1``)."""

    key: int
    server: bool
    datagrams: deque[tuple[str, int, bytes]] = field(default_factory=deque)  # (sender ip, port, bytes)
    first: tuple[str, int] | None = None  # the first sender heard
    sender: tuple[str, int] | None = None  # the sender of the last datagram R0 returned
