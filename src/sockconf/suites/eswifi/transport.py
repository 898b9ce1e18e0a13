"""Steps of the transport beyond the servers, shared by the ESWIFI-CLI/UDP/SET/SOCK/SSL cases.

A TCP client (``P1=0``, ``P3``, ``P4``, ``P6=1``) to the peer's TCP server, UDP servers (``P1=1``,
``P2``, ``P5=1``) and clients (``P1=1``, ``P3``, ``P4``, ``P6=1``), reading datagrams, the
capability check (NOT APPLICABLE), and recording which choice a DUT made at a silent point
(``sockconf/data/silent/eswifi.toml``; NON-STRICT when it is not the default).
"""

from __future__ import annotations

import select
import time

import pytest

from sockconf.harness.eswifi import AN_ERROR, ESWiFiSession, ok_with
from sockconf.harness.expect import show_bytes
from sockconf.harness.peer import TcpClient, TcpServer, UdpPeer
from sockconf.protocol.eswifi import ErrorReply, Reply

TCP, UDP, TCP_SSL = 0, 1, 3
UDP_PORT = 5030  # the module's UDP server port in these cases (any free port would do)


def need(eswifi: ESWiFiSession, *features: str) -> None:
    """NOT APPLICABLE unless the profile lists every feature."""
    missing = [f for f in features if not eswifi.profile.has(f)]
    if missing:
        pytest.skip(f"NOT APPLICABLE: profile {eswifi.profile.name} lacks the feature(s) {', '.join(missing)}")


def silent_choice(eswifi: ESWiFiSession, point: str, made: str, detail: str = "") -> None:
    """Record the choice the DUT made at a silent point (once per case and choice)."""
    eswifi.observe_once(point, made, detail)


def fields(reply: Reply) -> list[str]:
    """A reply's data as comma-separated fields, stripped."""
    return [f.strip() for f in reply.data.decode("ascii", "replace").split(",")]


# ---------------------------------------------------------------------- TCP client


def start_client(
    eswifi: ESWiFiSession, host: str, port: int, socket_number: int = 0, protocol: int = TCP
) -> Reply | ErrorReply:
    """``P0``, ``P1``, ``P3``, ``P4`` (each answered OK), then ``P6=1``; its reply, whatever it is."""
    eswifi.select(socket_number)
    eswifi.ok("P1", protocol, requirement=f"precondition: P1={protocol} is answered with OK")
    eswifi.ok("P3", host, requirement=f"precondition: P3={host} (remote host) is answered with OK")
    eswifi.ok("P4", port, requirement=f"precondition: P4={port} (remote port) is answered with OK")
    eswifi.command("P6", 1)
    return eswifi.reply(ok_with(), AN_ERROR, requirement="P6=1 is answered (OK or the error form)")


def connect(eswifi: ESWiFiSession, server: TcpServer, socket_number: int = 0, requirement: str = "") -> TcpClient:
    """A TCP client on ``socket_number`` to the peer's server: P6=1 answered OK, the peer accepts it."""
    req = requirement or f"P6=1 on P0={socket_number} connects to P3:P4 and is answered with OK"
    eswifi.select(socket_number)
    eswifi.ok("P1", TCP, requirement="precondition: P1=0 (TCP) is answered with OK")
    eswifi.ok("P3", server.address, requirement=f"precondition: P3={server.address} is answered with OK")
    eswifi.ok("P4", server.port, requirement=f"precondition: P4={server.port} is answered with OK")
    eswifi.ok("P6", 1, requirement=req)
    return server.accept(
        within=eswifi.deadlines[1], requirement=f"the peer's server at P3:P4 sees the connection ({req})"
    )


def nothing_more(eswifi: ESWiFiSession, conn: TcpClient, requirement: str) -> None:
    """The peer connection has received nothing (beyond what was read): no bytes of another socket."""
    nothing_more_on(eswifi, [conn], requirement)


def nothing_more_on(eswifi: ESWiFiSession, conns: list[TcpClient], requirement: str) -> None:
    """The peer connections have received nothing (beyond what was read): no bytes of another socket.

    One quiet window watches every connection at once: bytes that arrived before it are in the socket's
    buffer and count too, so watching the connections one after another would only add windows, not
    evidence."""
    deadline = time.monotonic() + eswifi.deadlines[2]
    watched = {conn.sock: conn for conn in conns}
    while watched and (remaining := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(list(watched), [], [], remaining)
        for sock in readable:
            try:
                leaked = sock.recv(4096)
            except OSError:
                leaked = b""
            if leaked:
                leak = f"{watched[sock].label} received bytes of another socket"
                eswifi.fail(requirement, ["nothing"], [show_bytes(leaked)], [leak])
            del watched[sock]  # closed or reset: nothing more can arrive on it


# ---------------------------------------------------------------------- UDP


def udp_server(eswifi: ESWiFiSession, port: int = UDP_PORT, socket_number: int = 0, requirement: str = "") -> None:
    """A UDP server: ``P1=1``, ``P2=<port>``, ``P5=1``, each answered with OK."""
    eswifi.select(socket_number)
    eswifi.ok("P1", UDP, requirement="precondition: P1=1 (UDP) is answered with OK")
    eswifi.ok("P2", port, requirement=f"precondition: P2={port} is answered with OK")
    eswifi.ok("P5", 1, requirement=requirement or "P5=1 with P1=1 starts a UDP server, answered with OK")


def udp_client(eswifi: ESWiFiSession, target: UdpPeer, socket_number: int = 0, requirement: str = "") -> None:
    """A UDP client to the peer's UDP socket: ``P1=1``, ``P2=0`` (any local port), ``P3``, ``P4``, ``P6=1``."""
    eswifi.select(socket_number)
    eswifi.ok("P1", UDP, requirement="precondition: P1=1 (UDP) is answered with OK")
    eswifi.ok("P2", 0, requirement="precondition: P2=0 (local port chosen by the module) is answered with OK")
    host, port = target.local
    eswifi.ok("P3", host, requirement=f"precondition: P3={host} is answered with OK")
    eswifi.ok("P4", port, requirement=f"precondition: P4={port} is answered with OK")
    eswifi.ok("P6", 1, requirement=requirement or "P6=1 with P1=1 starts a UDP client, answered with OK")


def send_datagram(eswifi: ESWiFiSession, payload: bytes, requirement: str) -> None:
    """``S3`` on a UDP socket: answered with its count."""
    eswifi.send_s3(payload)
    eswifi.reply(ok_with(str(len(payload)).encode("ascii")), requirement=requirement)


def receive_datagram(eswifi: ESWiFiSession, udp: UdpPeer, payload: bytes, requirement: str) -> tuple[str, int]:
    """The peer receives exactly ``payload`` as one datagram; its source address."""
    data, source = udp.recv_from(eswifi.deadlines[1], requirement)
    if data != payload:
        eswifi.fail(
            requirement,
            [f"one datagram of {len(payload)} bytes: {show_bytes(payload)}"],
            [f"a datagram of {len(data)} bytes: {show_bytes(data)}"],
            ["the datagram differs from what S3 sent"],
        )
    return source


def read_datagram(eswifi: ESWiFiSession, requirement: str, within: float | None = None) -> bytes:
    """``R0`` until it answers data (empty data meanwhile): that data."""
    deadline = time.monotonic() + (eswifi.deadlines[1] if within is None else within)
    while True:
        eswifi.command("R0")
        reply = eswifi.reply(ok_with(), requirement=requirement)
        assert isinstance(reply, Reply)
        if reply.lost:
            eswifi.fail(requirement, ["a datagram"], ["-1"], ["R0 on a UDP socket answered -1"])
        if reply.data:
            return reply.data
        if time.monotonic() >= deadline:
            eswifi.fail(requirement, ["a datagram"], ["R0 kept answering empty data"], ["no datagram arrived"])


def expect_read(eswifi: ESWiFiSession, expected: bytes, requirement: str) -> None:
    """The next ``R0`` with data answers exactly ``expected``."""
    got = read_datagram(eswifi, requirement)
    if got != expected:
        eswifi.fail(
            requirement,
            [f"{len(expected)} bytes: {show_bytes(expected)}"],
            [f"{len(got)} bytes: {show_bytes(got)}"],
            ["R0 did not answer exactly one datagram"],
        )


def largest_read_size(eswifi: ESWiFiSession, requirement: str) -> int:
    """Set R1 to the largest size the DUT takes: 1460, or 1200 where it refuses 1460 (a silent point)."""
    eswifi.command("R1", 1460)
    reply = eswifi.reply(ok_with(), AN_ERROR, requirement=requirement)
    size = 1460 if isinstance(reply, Reply) else 1200
    silent_choice(eswifi, "ESWIFI-SILENT-R1-MAX", str(size))
    eswifi.change("R1", size, requirement=f"R1={size} is answered with OK")
    return size
