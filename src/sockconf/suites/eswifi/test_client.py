"""ESWIFI-CLI: the TCP client (Connect, Send, Recv, Close of the seed's BSD list): ``P3`` remote host,
``P4`` remote port, ``P6=1`` connect, ``P6=0`` close; the peer's TCP server is the remote end.

Sources (docs/spec/eswifi-transport.md §5): Inventek's "How to Send data" page (P1, P3, P4, P6=1, then
S0/S3), ST's es_wifi.c and Zephyr's eswifi driver (the same order; P6=0 before every connect, P? fields 4
and 5 as the peer). What P6=1 answers when nothing listens is a silent point: both choices are accepted,
and the one the DUT made is recorded.
"""

from __future__ import annotations

import socket

import pytest

from sockconf.harness.cases import case
from sockconf.harness.eswifi import LOST_WITH_OK, LOST_WITHOUT_OK, ESWiFiSession, ok_with
from sockconf.harness.expect import show_bytes
from sockconf.harness.peer import Peer
from sockconf.protocol.eswifi import Reply
from sockconf.suites.eswifi.exchange import closed_by_dut, expect_lost_r0, expect_lost_s3, pattern, read_exactly, write
from sockconf.suites.eswifi.transport import TCP, connect, fields, need, silent_choice, start_client

SOCKETS = [pytest.param(0, id="P0=0"), pytest.param(3, id="P0=3")]
REFUSED = "ESWIFI-SILENT-CONNECT-NOTHING-LISTENING"


@pytest.fixture(autouse=True)
def _client_feature(eswifi: ESWiFiSession) -> None:
    need(eswifi, "tcp-client")


@case(
    "ESWIFI-CLI-01",
    "P1=0, P3, P4 and P6=1 open a TCP connection to P3:P4, answered with OK; P? shows P3/P4",
    verifies=(
        "ESWIFI-SEED-FUNC-CONNECT",
        "ESWIFI-TRANSPORT-P3-P4",
        "ESWIFI-TRANSPORT-P6",
    ),
)
@pytest.mark.parametrize("socket_number", SOCKETS)
def test_connect(eswifi: ESWiFiSession, peer: Peer, socket_number: int) -> None:
    server = peer.tcp_server()
    connect(eswifi, server, socket_number, requirement=eswifi.requirement)
    reply = eswifi.ok("P?", requirement="P? on a connected client is answered with OK")
    shown = fields(reply)
    want = [str(TCP), server.address, str(server.port)]
    got = [shown[0], shown[3], shown[4]] if len(shown) > 4 else shown
    if got != want:
        eswifi.fail(
            "P? on a client shows protocol 0 (field 1) and the remote host and port (fields 4 and 5)",
            [f"protocol {want[0]}, remote {want[1]}:{want[2]}"],
            [repr(reply.data)],
            [f"fields 1, 4, 5: expected {want}, got {got}"],
        )


@case(
    "ESWIFI-CLI-02",
    "S3 reaches the peer exactly and the peer's bytes come back through R0, any byte values",
    verifies=(
        "ESWIFI-SEED-FUNC-CONNECT",
        "ESWIFI-TRANSPORT-S3",
        "ESWIFI-TRANSPORT-R0",
    ),
)
@pytest.mark.parametrize(("size", "start"), [(1, 0x0D), (600, 0x00), (1460, 0x80)], ids=["1B", "600B", "1460B"])
def test_data_both_ways(eswifi: ESWiFiSession, peer: Peer, size: int, start: int) -> None:
    server = peer.tcp_server()
    conn = connect(eswifi, server)
    write(eswifi, conn, pattern(size, start), requirement="S3 on a client reaches the peer, answered with its count")
    answer = pattern(size * 2, start + 1)
    conn.send(answer)
    read_exactly(eswifi, answer, requirement="R0 on a client returns the peer's bytes whole and in order")


def refused_or_lost(eswifi: ESWiFiSession, host: str, port: int, requirement: str) -> None:
    """P6=1 to a remote with nothing listening: the error form, or OK and -1 at the first S3 and R0."""
    reply = start_client(eswifi, host, port)
    if not isinstance(reply, Reply):
        silent_choice(eswifi, REFUSED, "error")
        return
    silent_choice(eswifi, REFUSED, "ok-then-lost", "P6=1 answered OK with nothing listening")
    eswifi.send_s3(b"nobody hears this")
    lost = eswifi.reply(LOST_WITH_OK, LOST_WITHOUT_OK, requirement=f"{requirement}: the first S3 answers -1")
    eswifi.lost_reply(lost, requirement)
    expect_lost_r0(eswifi, f"{requirement}: R0 answers -1")


@case(
    "ESWIFI-CLI-03",
    "P6=1 to a port where nothing listens is answered with the error form, or with OK and -1 at the first S3/R0",
    kind="negative",
    verifies=("ESWIFI-TRANSPORT-P6",),
)
def test_nothing_listening(eswifi: ESWiFiSession, peer: Peer) -> None:
    refused_or_lost(eswifi, peer.address, peer.unused_port(), eswifi.requirement)


def _unreachable_port(address: str) -> int:
    """A TCP port on ``address`` that nothing listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


@case(
    "ESWIFI-CLI-04",
    "P6=1 to a loopback address that nothing answers on is answered with the error form, or with OK and -1 at the "
    "first S3/R0",
    kind="negative",
    verifies=("ESWIFI-TRANSPORT-P6",),
)
def test_unreachable(eswifi: ESWiFiSession, peer: Peer) -> None:
    # Only loopback targets: an address of 127/8 other than the peer's, with a port nothing listens on.
    address = "127.0.0.3" if peer.address != "127.0.0.3" else "127.0.0.4"
    refused_or_lost(eswifi, address, _unreachable_port(address), eswifi.requirement)


@case(
    "ESWIFI-CLI-05",
    "when the peer closes, R0 returns what it sent, then -1; S3 answers -1",
    verifies=(
        "ESWIFI-TRANSPORT-R0",
        "ESWIFI-TRANSPORT-S3",
        "ESWIFI-SPEC-LOST",
    ),
)
@pytest.mark.parametrize("how", ["close-after-data", "reset"])
def test_peer_closes(eswifi: ESWiFiSession, peer: Peer, how: str) -> None:
    server = peer.tcp_server()
    conn = connect(eswifi, server)
    if how == "reset":
        conn.abort()
    else:
        conn.send(b"last words")
        conn.close()
        read_exactly(eswifi, b"last words", requirement="R0 still returns what the peer sent before closing")
    expect_lost_r0(eswifi, "R0 answers -1 once the peer has closed and nothing is left")
    expect_lost_s3(eswifi, b"too late", "S3 answers -1 once the peer has closed")


@case(
    "ESWIFI-CLI-06",
    "P6=0 closes the connection (answered with OK); P6=1 then connects again on the same socket",
    verifies=("ESWIFI-TRANSPORT-P6",),
)
def test_close_and_reconnect(eswifi: ESWiFiSession, peer: Peer) -> None:
    server = peer.tcp_server()
    first = connect(eswifi, server)
    eswifi.ok("P6", 0, requirement="P6=0 on a connected client is answered with OK")
    closed, data = closed_by_dut(first, eswifi.deadlines[1])
    if data or not closed:
        eswifi.fail(
            "P6=0 closes the client's connection, sending nothing more",
            ["the connection closed by the DUT"],
            [f"{'closed' if closed else 'still open'}, received {show_bytes(data)}"],
            ["P6=0 did not close the connection" if not closed else "unexpected bytes before the close"],
        )
    eswifi.ok("P6", 1, requirement="after P6=0, P6=1 connects again and is answered with OK")
    again = server.accept(within=eswifi.deadlines[1], requirement="the second P6=1 reaches the peer's server")
    write(eswifi, again, b"second connection", requirement="S3 reaches the second connection")
    again.send(b"back")
    read_exactly(eswifi, b"back", requirement="R0 reads the second connection")


@case(
    "ESWIFI-CLI-07",
    "P6=0 on a socket without a client is answered with OK (hosts send it before every P6=1)",
    verifies=("ESWIFI-TRANSPORT-P6",),
)
@pytest.mark.parametrize("socket_number", SOCKETS)
def test_close_without_client(eswifi: ESWiFiSession, socket_number: int) -> None:
    eswifi.select(socket_number)
    eswifi.command("P6", 0)
    eswifi.reply(ok_with(), requirement=eswifi.requirement)
