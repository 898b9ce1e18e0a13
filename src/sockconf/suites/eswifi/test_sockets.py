"""ESWIFI-SOCK: four sockets at once (``P0=0..3``), each with its own protocol, port and state: a TCP server
on one, a TCP client on another, UDP on the others; data never crosses sockets; a bare ``P0`` reports the
selected socket.

Sources (docs/spec/eswifi-transport.md §7): the seed ("P0=<0,1,2,3> Select Socket"), ST's es_wifi.c and
Zephyr's driver (P0 before every P/R/S command of a socket; four offload sockets), Arm's CMSIS-Driver (four
hardware sockets, each with its own server or client).
"""

from __future__ import annotations

import pytest

from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness import contradictions
from sockconf.harness.cases import case
from sockconf.harness.eswifi import ESWiFiSession
from sockconf.harness.peer import Peer, TcpClient
from sockconf.suites.eswifi.exchange import SINGLE, accept, open_server, read_exactly, write
from sockconf.suites.eswifi.transport import (
    TCP,
    UDP,
    UDP_PORT,
    connect,
    expect_read,
    fields,
    need,
    nothing_more_on,
    receive_datagram,
    send_datagram,
    udp_client,
    udp_server,
)

PORT = ESWIFI_SEED_PORT
SOCKET_COUNT = "ESWIFI-SILENT-SOCKET-COUNT"
ONE_SOCKET = "ESWIFI-CONTRA-P0-SOCKET-COUNT"


@case(
    "ESWIFI-SOCK-01",
    "a bare P0 reports the socket P0=<n> selected, for each of the module's sockets (four by the profile; the "
    "module's count is recorded)",
    verifies=("ESWIFI-TRANSPORT-P0",),
)
@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 1, 2, 0)], ids=["up", "mixed"])
def test_p0_reports(eswifi: ESWiFiSession, order: tuple[int, ...]) -> None:
    count = eswifi.sockets  # the module's (learnt once per DUT), at most the profile's
    if count == 1:
        # One socket is the seed's "If you only have 1 socket", which hosts' need of four settles against.
        with contradictions.settled(ONE_SOCKET):
            eswifi.fail(
                eswifi.requirement,
                [f"P0=0-{eswifi.profile_sockets - 1} each answered with OK"],
                ["P0=1 and above answered with the error form: one socket"],
                ["the module has one socket"],
            )
    if count < eswifi.profile_sockets:
        eswifi.observe_once(
            SOCKET_COUNT,
            "fewer",
            f"P0=0-{count - 1} answered OK, P0={count} the error form; the profile names {eswifi.profile_sockets}",
        )
    else:
        eswifi.observe_once(SOCKET_COUNT, "as-profile", f"P0=0-{count - 1} each answered with OK")
    for number in (n for n in order if n < count):
        eswifi.ok("P0", number, data=b"", requirement=f"P0={number} is answered with OK")
        eswifi.selected = number
        eswifi.ok("P0", data=str(number).encode("ascii"), requirement=eswifi.requirement)


@case(
    "ESWIFI-SOCK-02",
    "a TCP server, a TCP client, a UDP client and a UDP server run at once on P0=0..3: each R0 returns only its "
    "socket's data, each S3 reaches only its socket's peer, P? shows each socket's own protocol",
    verifies=(
        "ESWIFI-TRANSPORT-P0",
        "ESWIFI-SEED-SETUP-P0",
    ),
)
def test_four_at_once(eswifi: ESWiFiSession, peer: Peer) -> None:
    need(eswifi, "tcp-client", "udp")
    open_server(eswifi, PORT, SINGLE, socket_number=0)
    served = accept(eswifi, peer, PORT)
    remote = peer.tcp_server()
    dialled = connect(eswifi, remote, socket_number=1)
    udp_peer = peer.udp_socket()
    udp_client(eswifi, udp_peer, socket_number=2)
    send_datagram(eswifi, b"from socket 2", "S3 on P0=2 (UDP client) is answered with its count")
    module = receive_datagram(eswifi, udp_peer, b"from socket 2", "the UDP peer receives socket 2's datagram")
    udp_server(eswifi, UDP_PORT, socket_number=3)
    sender = peer.udp_socket()
    # Everyone sends before anything is read: each socket's data waits in the module at once.
    served.send(b"to socket 0")
    dialled.send(b"to socket 1")
    udp_peer.send_to(b"to socket 2", module[1], module[0])
    sender.send_to(b"to socket 3", UDP_PORT)
    for number in (3, 1, 2, 0):
        eswifi.select(number)
        want = f"to socket {number}".encode("ascii")
        requirement = f"R0 on P0={number} returns its own socket's data and nothing of the others"
        if number in (2, 3):
            expect_read(eswifi, want, requirement)
        else:
            read_exactly(eswifi, want, requirement=requirement)
        reply = eswifi.ok("P?", requirement=f"P? on P0={number} is answered with OK")
        protocol = str(TCP if number < 2 else UDP)
        if fields(reply)[:1] != [protocol]:
            eswifi.fail(
                f"P? on P0={number} shows its own protocol {protocol} (field 1)",
                [protocol],
                [repr(reply.data)],
                ["another socket's settings"],
            )
    eswifi.select(1)
    write(eswifi, dialled, b"from socket 1", requirement="S3 on P0=1 reaches the client's peer only")
    eswifi.select(0)
    write(eswifi, served, b"from socket 0", requirement="S3 on P0=0 reaches the server's client only")
    nothing_more_on(eswifi, [served, dialled], "no socket's S3 reaches another socket's peer")


@case(
    "ESWIFI-SOCK-03",
    "four TCP clients at once: each socket keeps its own connection; P6=0 on one leaves the rest",
    verifies=(
        "ESWIFI-TRANSPORT-P0",
        "ESWIFI-TRANSPORT-P6",
    ),
)
def test_four_clients(eswifi: ESWiFiSession, peer: Peer) -> None:
    need(eswifi, "tcp-client")
    server = peer.tcp_server()
    conns: dict[int, TcpClient] = {}
    for number in range(eswifi.sockets):
        conns[number] = connect(eswifi, server, socket_number=number)
    for number, conn in conns.items():
        eswifi.select(number)
        write(eswifi, conn, f"socket {number}".encode("ascii"), requirement=f"S3 on P0={number} reaches its own peer")
    closed = 1
    eswifi.select(closed)
    eswifi.ok("P6", 0, requirement=f"P6=0 on P0={closed} is answered with OK")
    if not conns[closed].wait_closed(eswifi.deadlines[1]):
        eswifi.fail(eswifi.requirement, [f"P0={closed}'s connection closed"], ["still open"], ["P6=0 closed nothing"])
    for number, conn in conns.items():
        if number == closed:
            continue
        conn.send(f"back to {number}".encode("ascii"))
        eswifi.select(number)
        read_exactly(eswifi, f"back to {number}".encode("ascii"), requirement=f"P0={number} still reads its peer")
    # One quiet window on every open connection at once, after the last read: each is watched from its own
    # read on (what arrived since waits in its buffer), at least as long as a window inside the loop watched it.
    still_open = [conn for number, conn in conns.items() if number != closed]
    nothing_more_on(eswifi, still_open, "no socket's bytes reach another socket's peer")
