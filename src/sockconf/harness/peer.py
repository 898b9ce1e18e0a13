"""The remote network peer: real TCP/UDP sockets the suite opens toward the DUT (the seed's ``nc``).

Three roles: a TCP client that connects to the DUT's listener (``Peer.connect``), a TCP server the
DUT connects to (``Peer.tcp_server``, for 0x42), and a UDP socket that exchanges datagrams with
the DUT (``Peer.udp_socket``). Every action (connect, accept, send, close) goes into the case's
trace, interleaved with the serial bytes. Every wait has a deadline; every socket is closed at the
end of the case.
"""

from __future__ import annotations

import contextlib
import ipaddress
import select
import socket
import struct
import time

from sockconf.core.trace import NET, Trace
from sockconf.harness.expect import ConformanceFailure, show_bytes

# Linux ``struct tcp_info`` (linux/tcp.h, since 4.2): ``tcpi_segs_in``, the segments received on the
# connection, is the u32 at this offset.
_TCPI_SEGS_IN = 140
# How often an idle connection's segment count is read while watching for a keep-alive probe.
PROBE_POLL = 0.05


class PeerError(Exception):
    """The peer could not do what the case asked (the network, not the DUT, is at fault)."""


class TcpClient:
    def __init__(self, sock: socket.socket, trace: Trace, label: str) -> None:
        self.sock = sock
        self.trace = trace
        self.label = label
        self.local = sock.getsockname()[:2]
        self.remote = sock.getpeername()[:2]
        self.closed = False

    def send(self, data: bytes) -> None:
        self.trace.record(NET, data, f"{self.label} sends {len(data)} byte(s)")
        self.sock.sendall(data)

    def recv_exactly(self, n: int, within: float, requirement: str) -> bytes:
        """Read until ``n`` bytes arrived or the deadline passed (then a ConformanceFailure)."""
        deadline = time.monotonic() + within
        buf = bytearray()
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(n - len(buf))
            except TimeoutError:
                break
            except OSError as exc:
                raise PeerError(f"{self.label}: receive failed: {exc}") from exc
            if not chunk:
                break
            buf += chunk
        if buf:
            self.trace.record(NET, bytes(buf), f"{self.label} received {len(buf)} byte(s)")
        if len(buf) < n:
            raise ConformanceFailure(
                requirement,
                [f"{n} byte(s) at the peer"],
                [f"{len(buf)} byte(s): {show_bytes(bytes(buf))}"],
                [f"missing {n - len(buf)} byte(s) after {within:g} s"],
            )
        return bytes(buf)

    def wait_closed(self, within: float) -> bool:
        """True when the DUT closed the connection (EOF or reset) before the deadline."""
        deadline = time.monotonic() + within
        while (remaining := deadline - time.monotonic()) > 0:
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return False
            except OSError:
                self.trace.record(NET, text=f"{self.label}: connection reset by the DUT")
                return True
            if not data:
                self.trace.record(NET, text=f"{self.label}: connection closed by the DUT")
                return True
            self.trace.record(NET, data, f"{self.label} received {len(data)} byte(s)")
        return False

    def segments_in(self) -> int | None:
        """Segments this host's TCP stack received on the connection (Linux ``TCP_INFO``); None where it cannot tell."""
        option = getattr(socket, "TCP_INFO", None)
        if option is None:
            return None
        try:
            info = self.sock.getsockopt(socket.IPPROTO_TCP, option, 256)
        except OSError:
            return None
        if len(info) < _TCPI_SEGS_IN + 4:
            return None
        count: int = struct.unpack_from("I", info, _TCPI_SEGS_IN)[0]
        return count

    def first_probe(self, within: float, requirement: str) -> float | None:
        """On a connection neither side uses: seconds until the DUT sent a segment without data (a TCP
        keep-alive probe), or None when none came within ``within`` s. Data or a close from the DUT
        meanwhile is a ConformanceFailure (nothing was asked of it).

        The peer sends nothing meanwhile, so any segment that brings nothing to read is the DUT's probe.
        Call only where ``segments_in()`` is not None."""
        started = time.monotonic()
        deadline = started + within
        before = self.segments_in()
        while (remaining := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.sock], [], [], min(PROBE_POLL, remaining))
            if readable:
                self.trace.record(NET, text=f"{self.label}: the DUT sent data or closed while the connection was idle")
                raise ConformanceFailure(
                    requirement,
                    ["nothing but keep-alive probes on an idle connection"],
                    ["data or a close from the DUT"],
                    [f"after {time.monotonic() - started:.2f} s of an idle connection"],
                )
            now = self.segments_in()
            if before is not None and now is not None and now > before:
                took = time.monotonic() - started
                self.trace.record(NET, text=f"{self.label}: a segment without data (a probe) after {took:.2f} s")
                return took
        self.trace.record(NET, text=f"{self.label}: no segment from the DUT within {within:g} s")
        return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.trace.record(NET, text=f"{self.label} closes")
            with contextlib.suppress(OSError):
                self.sock.close()

    def abort(self) -> None:
        """Close with a reset (RST) instead of an orderly FIN."""
        if not self.closed:
            self.closed = True
            self.trace.record(NET, text=f"{self.label} resets the connection (RST)")
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                self.sock.close()


class TcpServer:
    """A listening socket on the peer's side that the DUT connects to (Socket Connect, 0x42)."""

    def __init__(self, sock: socket.socket, trace: Trace, label: str) -> None:
        self.sock = sock
        self.trace = trace
        self.label = label
        self.address, self.port = sock.getsockname()[:2]
        self.accepted: list[TcpClient] = []
        self.closed = False

    def accept(self, within: float, requirement: str) -> TcpClient:
        """The next connection from the DUT, waiting until the deadline (then a ConformanceFailure)."""
        self.sock.settimeout(max(within, 0.001))
        try:
            conn, _ = self.sock.accept()
        except TimeoutError:
            self.trace.record(NET, text=f"{self.label}: no connection within {within:g} s")
            raise ConformanceFailure(
                requirement,
                [f"a TCP connection from the DUT to {self.address}:{self.port}"],
                ["no connection"],
                [f"nothing connected within {within:g} s"],
            ) from None
        except OSError as exc:
            raise PeerError(f"{self.label}: accept failed: {exc}") from exc
        client = TcpClient(conn, self.trace, f"{self.label}/conn#{len(self.accepted) + 1}")
        self.trace.record(NET, text=f"{client.label} accepted from {client.remote[0]}:{client.remote[1]}")
        self.accepted.append(client)
        return client

    def close(self) -> None:
        for client in self.accepted:
            client.close()
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self.sock.close()


class UdpPeer:
    """The peer's UDP socket: datagrams to and from the DUT."""

    def __init__(self, sock: socket.socket, trace: Trace, label: str, dut_host: str) -> None:
        self.sock = sock
        self.trace = trace
        self.label = label
        self.dut_host = dut_host
        self.local = sock.getsockname()[:2]

    def send_to(self, data: bytes, port: int, host: str | None = None) -> None:
        """A datagram to ``host`` (default: the DUT) and ``port``."""
        target = (host or self.dut_host, port)
        self.trace.record(NET, data, f"{self.label} sends a {len(data)}-byte datagram to {target[0]}:{target[1]}")
        try:
            self.sock.sendto(data, target)
        except OSError as exc:
            raise PeerError(f"{self.label}: sendto {target[0]}:{target[1]} failed: {exc}") from exc

    def recv_from(self, within: float, requirement: str) -> tuple[bytes, tuple[str, int]]:
        """The next datagram and its source, waiting until the deadline (then a ConformanceFailure)."""
        self.sock.settimeout(max(within, 0.001))
        try:
            data, source = self.sock.recvfrom(65535)
        except TimeoutError:
            raise ConformanceFailure(
                requirement,
                [f"a datagram at the peer's {self.local[0]}:{self.local[1]}"],
                ["no datagram"],
                [f"nothing arrived within {within:g} s"],
            ) from None
        except OSError as exc:
            raise PeerError(f"{self.label}: receive failed: {exc}") from exc
        host, port = str(source[0]), int(source[1])
        self.trace.record(NET, data, f"{self.label} received a {len(data)}-byte datagram from {host}:{port}")
        return data, (host, port)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Peer:
    """Opens connections to the DUT's address; closes all of them when the case ends."""

    def __init__(self, dut_host: str, trace: Trace, bind_host: str = "", timeout: float = 3.0) -> None:
        self.dut_host = dut_host
        self.trace = trace
        self.bind_host = bind_host
        self.timeout = timeout
        self.clients: list[TcpClient] = []
        self.udp: list[socket.socket] = []
        self.servers: list[TcpServer] = []
        self._address = bind_host or None

    @property
    def address(self) -> str:
        """The peer's own IPv4 address toward the DUT: ``--peer-bind``, else the one the route to the DUT uses.

        Servers and UDP sockets bind it, so what the DUT reports as a source is comparable with it.
        """
        if self._address is None and _is_loopback(self.dut_host):
            # On loopback (the emulator) use the DUT's own address: emulators on addresses of their
            # own then never share the peer's fixed source ports (parallel runs, other programs).
            self._address = self.dut_host
        if self._address is None:
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                probe.connect((self.dut_host, 9))  # no packet is sent: this only picks the route
                self._address = str(probe.getsockname()[0])
            except OSError as exc:
                raise PeerError(f"no route from this host to the DUT at {self.dut_host}: {exc}") from exc
            finally:
                probe.close()
        return self._address

    def tcp_server(self) -> TcpServer:
        """A TCP listener on the peer's address (an ephemeral port) for the DUT to connect to."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((self.address, 0))
            sock.listen(8)
        except OSError as exc:
            sock.close()
            raise PeerError(f"cannot listen on {self.address}: {exc}") from exc
        server = TcpServer(sock, self.trace, f"peer-server#{len(self.servers) + 1}")
        self.trace.record(NET, text=f"{server.label} listens on {server.address}:{server.port}")
        self.servers.append(server)
        return server

    def udp_socket(self) -> UdpPeer:
        """A UDP socket on the peer's address (an ephemeral port)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.address, 0))
        except OSError as exc:
            sock.close()
            raise PeerError(f"cannot bind a UDP socket on {self.address}: {exc}") from exc
        udp = UdpPeer(sock, self.trace, f"peer-udp#{len(self.udp) + 1}", self.dut_host)
        self.trace.record(NET, text=f"{udp.label} bound to {udp.local[0]}:{udp.local[1]}")
        self.udp.append(sock)
        return udp

    def unused_port(self) -> int:
        """A TCP port on the peer's address that nothing listens on (a connection to it is refused)."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((self.address, 0))
            port = int(sock.getsockname()[1])
        self.trace.record(NET, text=f"port {self.address}:{port} has no listener")
        return port

    def connect(self, port: int, source_port: int = 0) -> TcpClient:
        """TCP connect to the DUT, optionally from a fixed source port (as ``nc -p``)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        label = f"peer#{len(self.clients) + 1}"
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.bind_host or source_port:
                sock.bind((self.address, source_port))
            sock.settimeout(self.timeout)
            sock.connect((self.dut_host, port))
        except OSError as exc:
            sock.close()
            self.trace.record(NET, text=f"{label} connect to {self.dut_host}:{port} failed: {exc}")
            raise ConformanceFailure(
                f"the DUT accepts a TCP connection on {self.dut_host}:{port}",
                ["connection established"],
                [f"{exc}"],
            ) from None
        client = TcpClient(sock, self.trace, label)
        self.trace.record(NET, text=f"{label} connected {client.local[0]}:{client.local[1]} → {self.dut_host}:{port}")
        self.clients.append(client)
        return client

    def try_connect(self, port: int) -> bool:
        """True when a TCP connection to the port is accepted (then closed again)."""
        try:
            with socket.create_connection((self.dut_host, port), timeout=self.timeout):
                self.trace.record(NET, text=f"probe connect to {self.dut_host}:{port}: accepted")
                return True
        except OSError as exc:
            self.trace.record(NET, text=f"probe connect to {self.dut_host}:{port}: {exc}")
            return False

    def close_all(self) -> None:
        for client in self.clients:
            client.close()
        for server in self.servers:
            server.close()
        for sock in self.udp:
            with contextlib.suppress(OSError):
                sock.close()
        self.clients.clear()
        self.servers.clear()
        self.udp.clear()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False
