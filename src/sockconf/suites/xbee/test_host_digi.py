"""XBEE-HOST-DIGI: the module driven exactly as Digi's digi-xbee 1.5 drives it, judged by what that library needs.

Each case is a product built on ``CellularDevice`` and ``xsocket.socket``: it opens the device (nine
queued AT reads), then runs one flow (AT settings, a TCP client, a TCP listener, UDP, closing every
socket, the socket list). ``suites/xbee/digi.py`` re-states the library's rules (frame IDs, how a
frame is taken for an answer, its timeouts, which data it keeps); docs/host-stacks.md lists them
with their sources. The verdict says whether such a product works with this firmware, or where it
breaks: it is not a verdict on conformance to Digi's documents (those are the other XBEE cases).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from sockconf.harness.cases import case
from sockconf.harness.expect import ConformanceFailure
from sockconf.harness.hoststack import HostStackRun
from sockconf.harness.peer import Peer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee.status import Protocol
from sockconf.suites.xbee.digi import DigiSocket, DigiXBee
from sockconf.suites.xbee.exchange import presents_on_data, require

LISTEN_PORT = 10061
UDP_PORT = 10062
SI_PORTS = (10063, 10066)
CLOSE_ALL_PORTS = (10064, 10065)


def _facts(*names: str) -> tuple[str, ...]:
    return tuple(f"XBEE-HOST-DIGI-{n}" for n in names)


# Every flow sends requests and takes answers by the library's rules.
REQUESTS = _facts("FRAME-IDS", "REPLY-MATCH", "REPLY-TESTS", "TIMEOUTS")


@pytest.fixture
def digi(host_stack: HostStackRun, xbee: XBeeSession) -> DigiXBee:
    """The device object of a product (``host_stack`` first: NOT APPLICABLE before any setup)."""
    return DigiXBee(host_stack, xbee, network_wait=xbee.profile.deadlines.indication)


@case(
    "XBEE-HOST-DIGI-01",
    "CellularDevice.open(): AP, IM, MY, C0, HV, VR, SH, SL, NI in 0x09 frames (IDs 01-09), each answered as it needs",
    kind="host-stack",
    stack="digi",
    verifies=(*REQUESTS, *_facts("AT-STATUS", "OPEN-QUEUED-AT", "OPEN-VALUES")),
)
def test_open(digi: DigiXBee, api_mode: int) -> None:
    digi.open()


@contextlib.contextmanager
def _ni_put_back(xbee: XBeeSession) -> Iterator[None]:
    """The module outlives the case: its NI as before (through the session, after the product's flow)."""
    original = xbee.query(b"NI", xbee.profile.deadlines.reply)
    try:
        yield
    finally:
        if original is not None and original.value:
            with contextlib.suppress(ConformanceFailure):  # the case's own verdict is the one to report
                xbee.at(b"NI", original.value)


@case(
    "XBEE-HOST-DIGI-02",
    "AT settings: get_parameter and set_parameter (0x08), a queued set (0x09) applied by apply_changes() "
    "(AC in a 0x09 frame), execute_command",
    kind="host-stack",
    stack="digi",
    verifies=(*REQUESTS, *_facts("AT-STATUS", "AT-APPLY")),
)
def test_at_settings(digi: DigiXBee, xbee: XBeeSession, api_mode: int) -> None:
    run = digi.run
    with _ni_put_back(xbee):
        digi.open()
        with run.step("set_parameter(NI) (0x08)"):
            digi.set_parameter(b"NI", b"digi set")
        with run.step("get_parameter(NI) (0x08): the value set"):
            got = digi.get_parameter(b"NI")
            run.needs(got == b"digi set", "NI to read back as set", repr(got))
        with run.step("set_parameter(NI, apply=False) (0x09)"):
            digi.set_parameter(b"NI", b"digi queued", apply=False)
        with run.step("apply_changes(): AC (0x09)"):
            digi.apply_changes()
        with run.step("get_parameter(NI, apply=False) (0x09): the queued value, applied by AC"):
            got = digi.get_parameter(b"NI", apply=False)
            run.needs(
                got == b"digi queued",
                "the queued NI applied by apply_changes(), whose AC goes in a 0x09 frame",
                repr(got),
                function="digi/xbee/devices.py AbstractXBeeDevice.apply_changes",
            )
        with run.step("execute_command(AC) (0x08)"):
            digi.execute_command(b"AC")


@case(
    "XBEE-HOST-DIGI-03",
    "TCP client: socket.connect (0x40, 0x42 by text, 0xC2 and 0xCF), sendall (0x44 frames of up to 1500 bytes), "
    "recv (0xCD), close (0x43)",
    kind="host-stack",
    stack="digi",
    verifies=(*REQUESTS, *_facts("SOCKET-CREATE", "CONNECT", "SEND", "DATA-FRAME-ID", "DATA-ROUTING", "CLOSE")),
)
def test_tcp_client(digi: DigiXBee, xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    run, within = digi.run, xbee.profile.deadlines.indication
    digi.open()
    server = peer.tcp_server()
    sock = DigiSocket(Protocol.TCP)
    digi.connect(sock, server.address, server.port)
    with run.step("the peer's server accepts the connection"):
        conn = server.accept(within, "the module's connection reaches the peer")
    out = b"digi sendall \x7e\x7d\x11\x13 " * 120  # 2400 bytes: two 0x44 frames
    digi.sendall(sock, out)
    with run.step("the peer receives what sendall sent"):
        conn.recv_exactly(len(out), within, "the peer receives every byte sendall sent, in order")
    back = b"from the peer \x7e\x7d\x11\x13"
    conn.send(back)
    digi.recv(sock, back)
    digi.close(sock)


@case(
    "XBEE-HOST-DIGI-04",
    "TCP listener: bind (0x40, 0x46), listen, accept() waiting as a client connects (0xCC), recv on the accepted "
    "socket (0xCD), sendall, the peer's close (0xCF), close",
    kind="host-stack",
    stack="digi",
    verifies=(
        *REQUESTS,
        *_facts("SOCKET-CREATE", "BIND", "ACCEPT", "DATA-FRAME-ID", "DATA-ROUTING", "SEND", "PEER-CLOSED", "CLOSE"),
    ),
)
def test_tcp_listener(digi: DigiXBee, xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    run, within = digi.run, xbee.profile.deadlines.indication
    digi.open()
    listener = DigiSocket(Protocol.TCP)
    digi.bind(listener, LISTEN_PORT)
    with run.step("socket.listen: nothing sent"):
        pass
    digi.start_accept(listener)  # a product calls accept() before the client comes: it waits
    with run.step("a peer connects to the listener"):
        client = peer.connect(LISTEN_PORT)
        first = b"first bytes \x7e\x7d"
        if presents_on_data(xbee):
            client.send(first)  # a Cat 1 module presents a client once it has sent data
    conn, address = digi.accept(listener)
    with run.step("accept() returns the client's address"):
        run.needs(
            address == tuple(client.local),
            f"the 0xCC to carry the peer's address and port {client.local[0]}:{client.local[1]}",
            f"{address[0]}:{address[1]}",
            function="digi/xbee/xsocket.py socket.accept",
        )
    if presents_on_data(xbee):
        digi.recv(conn, first)
    hello = b"hello from the peer \x11\x13"
    client.send(hello)
    digi.recv(conn, hello)
    answer = b"hello from the module \x7e"
    digi.sendall(conn, answer)
    with run.step("the peer receives what sendall sent"):
        client.recv_exactly(len(answer), within, "the peer receives what the accepted socket sent")
    client.close()
    digi.peer_closed(conn)
    digi.close(conn)
    digi.close(listener)


@case(
    "XBEE-HOST-DIGI-05",
    "UDP: bind (0x40 UDP, 0x46), sendto (0x45), recvfrom (0xCE with the peer's address and port), close (0x43)",
    kind="host-stack",
    stack="digi",
    verifies=(*REQUESTS, *_facts("SOCKET-CREATE", "BIND", "SENDTO", "RECVFROM", "DATA-FRAME-ID", "CLOSE")),
)
def test_udp(digi: DigiXBee, xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    require(xbee, "udp")
    run, within = digi.run, xbee.profile.deadlines.indication
    digi.open()
    sock = DigiSocket(Protocol.UDP)
    digi.bind(sock, UDP_PORT)
    udp = peer.udp_socket()
    out = b"digi sendto \x7e\x7d\x11\x13"
    digi.sendto(sock, out, udp.local[0], udp.local[1])
    with run.step("the peer receives the datagram"):
        got, source = udp.recv_from(within, "the datagram sendto sent reaches the peer")
        run.needs(got == out, "the datagram whole at the peer", got)
    udp.send_to(b"reply to digi", source[1], host=source[0])
    data, address = digi.recvfrom(sock)
    with run.step("recvfrom returns the datagram and its source"):
        run.needs(
            (data, address) == (b"reply to digi", tuple(udp.local)),
            f"the 0xCE to carry the peer's datagram and its address and port {udp.local[0]}:{udp.local[1]}",
            f"{data!r} from {address[0]}:{address[1]}",
            function="digi/xbee/xsocket.py socket.recvfrom",
        )
    digi.close(sock)


@case(
    "XBEE-HOST-DIGI-06",
    "closing every socket: a raw 0x43 with socket ID FF, answered by a 0xC3 with socket ID FF",
    kind="host-stack",
    stack="digi",
    verifies=(*REQUESTS, *_facts("CLOSE-ALL")),
)
def test_close_all(digi: DigiXBee, xbee: XBeeSession, api_mode: int) -> None:
    digi.open()
    listener = DigiSocket(Protocol.TCP)
    digi.bind(listener, CLOSE_ALL_PORTS[0])
    if xbee.profile.has("udp"):
        digi.bind(DigiSocket(Protocol.UDP), CLOSE_ALL_PORTS[1])
    digi.close_all()


@case(
    "XBEE-HOST-DIGI-07",
    "the socket list and a socket's information: get_sockets_list() and get_socket_info() (SI in 0x09 frames) "
    "with no socket, then a TCP listener and a UDP socket open",
    kind="host-stack",
    stack="digi",
    verifies=(*REQUESTS, *_facts("AT-STATUS", "SI")),
)
def test_socket_info(digi: DigiXBee, xbee: XBeeSession, api_mode: int) -> None:
    require(xbee, "udp")
    run = digi.run
    digi.open()
    with run.step("get_sockets_list(): no socket open"):
        ids = digi.get_sockets_list()
        run.needs(ids == [], "an empty list: every socket was closed", repr(ids))
    listener, udp = DigiSocket(Protocol.TCP), DigiSocket(Protocol.UDP)
    digi.bind(listener, SI_PORTS[0])
    digi.bind(udp, SI_PORTS[1])
    assert listener.socket_id is not None and udp.socket_id is not None
    with run.step("get_sockets_list(): the two sockets"):
        ids = digi.get_sockets_list()
        expected = sorted((listener.socket_id, udp.socket_id))
        run.needs(ids == expected, f"the list {expected}", repr(ids))
    for sock, state, protocol, port in (
        (udp, "Bound", Protocol.UDP, SI_PORTS[1]),
        (listener, "Listening", Protocol.TCP, SI_PORTS[0]),
    ):
        sid = sock.socket_id
        assert sid is not None
        with run.step(f"get_socket_info({sid})"):
            info = digi.get_socket_info(sid)
            run.needs(
                (info.socket_id, info.state, info.protocol, info.local_port) == (sid, state, protocol, port),
                f"socket {sid}: state {state}, protocol {protocol.name}, local port {port}",
                repr(info),
                function="digi/xbee/models/info.py SocketInfo.create_socket_info",
            )
    digi.close(udp)
    digi.close(listener)
