"""What a device model asks of the host network (actions) and what it hears back (events).

Device models are sans-IO state machines: they never touch a socket. They return actions, and
the executor (``emulator.executor``) carries them out on real host sockets and feeds the outcome back
as events. Keys name network objects: the model chooses keys for what it creates (listeners,
outgoing connections, UDP sockets); the runner chooses keys for connections it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class SerialOut:
    """Bytes the module writes to its UART."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Listen:
    """Open a TCP listener on the module's address; answered by ``ListenResult``.

    ``keepalive_ms``: the connections accepted on it probe a silent peer with TCP keep-alive after
    that much idle time and report it lost (``PeerClosed``) when it stops answering; 0: no probes.
    ``one_at_a_time``: the runner accepts one connection, then no more until ``AcceptNext``; the
    host's TCP stack holds the others, ``backlog`` of them besides the one accepted, and drops SYNs
    beyond them (Linux; with ``backlog`` 0 it still holds one).
    """

    key: int
    port: int
    backlog: int = 8
    keepalive_ms: int = 0
    one_at_a_time: bool = False


@dataclass(frozen=True, slots=True)
class AcceptNext:
    """Accept one more connection on a ``Listen.one_at_a_time`` listener (when one comes)."""

    key: int


@dataclass(frozen=True, slots=True)
class StopListening:
    key: int


@dataclass(frozen=True, slots=True)
class Connect:
    """Open a TCP connection; answered by ``ConnectResult``."""

    key: int
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Send:
    key: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Close:
    """Close a TCP connection (accepted or outgoing)."""

    key: int


@dataclass(frozen=True, slots=True)
class BindUdp:
    """Open a UDP socket on the module's address; answered by ``BindResult``."""

    key: int
    port: int


@dataclass(frozen=True, slots=True)
class SendTo:
    key: int
    host: str
    port: int
    data: bytes


@dataclass(frozen=True, slots=True)
class CloseUdp:
    key: int


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Fire ``TimerFired(key)`` after ``seconds`` (replaces a pending timer with the same key)."""

    key: str
    seconds: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    key: str


Action = (
    SerialOut
    | Listen
    | AcceptNext
    | StopListening
    | Connect
    | Send
    | Close
    | BindUdp
    | SendTo
    | CloseUdp
    | StartTimer
    | CancelTimer
)

# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class ListenResult:
    key: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BindResult:
    """Outcome of ``BindUdp``; ``local_port`` is the port bound (the host's choice when asked for 0)."""

    key: int
    error: str | None = None
    local_port: int = 0


@dataclass(frozen=True, slots=True)
class Accepted:
    """A peer connected to listener ``listener_key``; ``key`` names the new connection."""

    listener_key: int
    key: int
    peer_host: str
    peer_port: int


@dataclass(frozen=True, slots=True)
class ConnectResult:
    """Outcome of ``Connect``: ``error`` is None, or one of refused/dns/timeout/unreachable.

    ``local_port``: the source port the host chose for the connection (0 when it failed).
    """

    key: int
    error: str | None = None
    local_port: int = 0


@dataclass(frozen=True, slots=True)
class Received:
    key: int
    data: bytes


@dataclass(frozen=True, slots=True)
class PeerClosed:
    """The peer closed the connection (``reset``: with an RST)."""

    key: int
    reset: bool = False


@dataclass(frozen=True, slots=True)
class Datagram:
    key: int
    host: str
    port: int
    data: bytes


@dataclass(frozen=True, slots=True)
class TimerFired:
    key: str


NetEvent = ListenResult | BindResult | Accepted | ConnectResult | Received | PeerClosed | Datagram | TimerFired
