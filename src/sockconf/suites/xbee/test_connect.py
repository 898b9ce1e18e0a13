"""XBEE-CONNECT: Socket Connect (0x42 → 0xC2, then 0xCF; spec §2, §3.1, §3.3, §4 "connect").

The DUT connects to a real TCP server on the peer (``Peer.tcp_server``). A connect is complete only after
0xC2 status 00 (started) and 0xCF status 00 (connected); every other 0xCF status is fatal and frees the ID.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import ipaddress

import pytest

from sockconf.harness.cases import case
from sockconf.harness.expect import ConformanceFailure, Expect, describe, not_equal, one_of
from sockconf.harness.peer import Peer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import encode
from sockconf.protocol.xbee.status import AddressType, SocketConnectStatus, SocketStatusCode
from sockconf.suites.xbee.exchange import (
    connect_to_peer,
    connected,
    create_tcp,
    error_status,
    freed,
    open_listener,
    receive,
    send,
)

# A name under the reserved .invalid TLD (RFC 6761): no resolver may answer it.
UNRESOLVABLE = "sockconf-conformance.invalid"
LISTEN_PORT = 10011
CONNECT_ON_LISTENER = "XBEE-SILENT-CONNECT-ON-LISTENER-STATUS"


def _ipv4(host: str) -> bytes:
    return ipaddress.IPv4Address(host).packed


@case(
    "XBEE-CONNECT-01",
    "Socket Connect by binary IPv4 (type 00) is answered 0xC2 status 00, then 0xCF 00, and reaches the peer",
    verifies=("XBEE-SPEC-CONNECT-0x42", "XBEE-SPEC-CONNECT-SEQUENCE", "XBEE-SPEC-CONNECT-STATUS"),
)
def test_connect_ipv4(xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    connect_to_peer(xbee, peer, AddressType.IPV4, requirement=xbee.requirement)


@case(
    "XBEE-CONNECT-02",
    "Socket Connect by string (type 01, a dotted quad) is answered 0xC2 status 00, then 0xCF 00, and reaches the peer",
    verifies=("XBEE-SPEC-CONNECT-0x42", "XBEE-SPEC-CONNECT-SEQUENCE"),
)
def test_connect_string(xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    connect_to_peer(xbee, peer, AddressType.STRING, requirement=xbee.requirement)


@case(
    "XBEE-CONNECT-03",
    "after 0xCF 00 the connection carries data both ways: 0x44 reaches the peer, the peer's bytes arrive as 0xCD",
    verifies=("XBEE-SPEC-CONNECT-SEQUENCE", "XBEE-SPEC-SEND-0x44", "XBEE-SEED-STEP-7-TEXT"),
)
def test_connected_carries_data(xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    sid, _, conn = connect_to_peer(xbee, peer)
    out, back = b"ping \x7e\x7d\x11\x13 from the DUT", b"pong \x7e\x7d\x11\x13 from the peer"
    send(xbee, sid, out, requirement=xbee.requirement)
    conn.recv_exactly(len(out), xbee.profile.deadlines.indication, xbee.requirement)
    conn.send(back)
    receive(xbee, sid, back)


@case(
    "XBEE-CONNECT-04",
    "a connect to a closed port: 0xC2 status 00, then fatal 0xCF 02 (connection refused); the socket ID is freed",
    kind="negative",
    verifies=("XBEE-SPEC-CONNECT-SEQUENCE", "XBEE-SPEC-SOCKET-STATUS-CODES", "XBEE-SPEC-SOCKET-STATUS-FATAL"),
)
def test_connect_refused(xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    port = peer.unused_port()
    sid = create_tcp(xbee)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketConnect(fid, sid, port, AddressType.IPV4, _ipv4(peer.address)),
        Expect(fr.SocketConnectResponse, frame_id=fid, socket_id=sid, status=SocketConnectStatus.CONNECT_STARTED),
    )
    xbee.expect(
        Expect(fr.SocketStatus, socket_id=sid, status=SocketStatusCode.CONNECTION_REFUSED),
        within=xbee.profile.deadlines.indication,
    )
    freed(xbee, sid, "after a fatal 0xCF the socket ID is freed: closing it answers 20 (bad socket ID)")


@case(
    "XBEE-CONNECT-05",
    "Socket Connect with an undefined address type is answered 0xC2 status 01 (bad address type)",
    kind="negative",
    verifies=("XBEE-SPEC-CONNECT-0x42", "XBEE-SPEC-CONNECT-STATUS"),
)
@pytest.mark.parametrize("address_type", [0x02, 0x7E, 0xFF], ids=lambda t: f"type{t:02X}")
def test_bad_address_type(xbee: XBeeSession, peer: Peer, address_type: int) -> None:
    sid = create_tcp(xbee)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketConnect(fid, sid, 80, address_type, _ipv4(peer.address)),
        Expect(fr.SocketConnectResponse, frame_id=fid, socket_id=sid, status=SocketConnectStatus.BAD_ADDRESS_TYPE),
    )


BAD_DESTINATIONS = {
    "port0": (0, AddressType.IPV4, None),
    "ipv4-3-bytes": (80, AddressType.IPV4, b"\x7f\x00\x01"),
    "ipv4-5-bytes": (80, AddressType.IPV4, b"\x7f\x00\x00\x01\x00"),
    "empty-string": (80, AddressType.STRING, b""),
}


@case(
    "XBEE-CONNECT-06",
    "Socket Connect to port 0 or a malformed address is answered 0xC2 status 02 (bad address or port)",
    kind="negative",
    verifies=("XBEE-SPEC-CONNECT-STATUS",),
)
@pytest.mark.parametrize("bad", sorted(BAD_DESTINATIONS))
def test_bad_address_or_port(xbee: XBeeSession, peer: Peer, bad: str) -> None:
    port, address_type, address = BAD_DESTINATIONS[bad]
    sid = create_tcp(xbee)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketConnect(fid, sid, port, address_type, _ipv4(peer.address) if address is None else address),
        Expect(fr.SocketConnectResponse, frame_id=fid, socket_id=sid, status=SocketConnectStatus.BAD_ADDRESS_OR_PORT),
    )


@case(
    "XBEE-CONNECT-07",
    "Socket Connect on a socket that is already connected is answered 0xC2 status 04 (already connected)",
    kind="negative",
    verifies=("XBEE-SPEC-CONNECT-STATUS",),
)
def test_already_connected(xbee: XBeeSession, peer: Peer) -> None:
    sid, server, _ = connect_to_peer(xbee, peer)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketConnect(fid, sid, server.port, AddressType.IPV4, _ipv4(server.address)),
        Expect(fr.SocketConnectResponse, frame_id=fid, socket_id=sid, status=SocketConnectStatus.ALREADY_CONNECTED),
    )


@case(
    "XBEE-CONNECT-08",
    "a second Socket Connect while the first is in progress is answered 0xC2 status 03 (04 once it is connected)",
    kind="negative",
    verifies=("XBEE-SPEC-CONNECT-STATUS",),
)
def test_already_in_progress(xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    server = peer.tcp_server()
    sid = create_tcp(xbee)
    first, second = xbee.next_frame_id(), xbee.next_frame_id()
    requests = [fr.SocketConnect(f, sid, server.port, AddressType.IPV4, _ipv4(server.address)) for f in (first, second)]
    # Both in one write: the second arrives before any connection can have been made. Each 0xC2 is taken by
    # its frame ID: in which order they come is not documented (XBEE-SILENT-REPLY-ORDER).
    started, again = xbee.send_raw(
        b"".join(encode(r, xbee.api_mode) for r in requests), note="two Socket Connects in one write", requests=requests
    )
    started.expect(
        Expect(fr.SocketConnectResponse, frame_id=first, socket_id=sid, status=SocketConnectStatus.CONNECT_STARTED),
        requirement="the first Socket Connect is started (0xC2 status 00)",
    )
    again.expect(
        Expect(
            fr.SocketConnectResponse,
            frame_id=second,
            socket_id=sid,
            status=one_of(SocketConnectStatus.ALREADY_IN_PROGRESS, SocketConnectStatus.ALREADY_CONNECTED),
        )
    )
    connected(xbee, sid, "the first connect completes (0xCF status 00)")
    server.accept(xbee.profile.deadlines.indication, "the first connect reaches the peer")
    xbee.settled()
    extra = xbee.about(sid, fr.SocketStatus)
    if extra:
        raise ConformanceFailure(
            "the refused second connect reports no 0xCF",
            [f"one 0xCF for socket {sid:02X} (the first connect's)"],
            [describe(f) for f in extra],
            ["an unexpected frame arrived"],
        )
    xbee.record_reply_order([started, again])


@case(
    "XBEE-CONNECT-09",
    "Socket Connect on a socket ID that was never created is answered 0xC2 status 20 (invalid socket ID)",
    kind="negative",
    verifies=("XBEE-SPEC-CONNECT-STATUS",),
)
@pytest.mark.parametrize("socket_id", [0x00, 0x07, 0xFE], ids=lambda s: f"sock{s:02X}")
def test_invalid_socket(xbee: XBeeSession, peer: Peer, socket_id: int) -> None:
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketConnect(fid, socket_id, 80, AddressType.IPV4, _ipv4(peer.address)),
        Expect(
            fr.SocketConnectResponse, frame_id=fid, socket_id=socket_id, status=SocketConnectStatus.INVALID_SOCKET_ID
        ),
    )


@case(
    "XBEE-CONNECT-10",
    "Socket Connect on a listening socket is refused with an error status (code UNCONFIRMED; likely 05 unknown)",
    kind="negative",
    verifies=("XBEE-SPEC-CONNECT-STATUS",),
)
def test_connect_on_listener(request: pytest.FixtureRequest, xbee: XBeeSession, peer: Peer) -> None:
    server = peer.tcp_server()
    listener = open_listener(xbee, LISTEN_PORT)
    fid = xbee.next_frame_id()
    reply = xbee.request(
        fr.SocketConnect(fid, listener, server.port, AddressType.IPV4, _ipv4(server.address)),
        Expect(
            fr.SocketConnectResponse,
            frame_id=fid,
            socket_id=listener,
            status=not_equal(SocketConnectStatus.CONNECT_STARTED),
        ),
    )
    error_status(request, xbee, reply, SocketConnectStatus.UNKNOWN, "0xC2 on a listener", CONNECT_ON_LISTENER)
    peer.connect(LISTEN_PORT)  # and the listener still listens


@case(
    "XBEE-CONNECT-11",
    "a connect by a host name that does not resolve: 0xC2 status 00, then fatal 0xCF 01 (DNS lookup failed)",
    kind="negative",
    verifies=("XBEE-SPEC-CONNECT-SEQUENCE", "XBEE-SPEC-SOCKET-STATUS-CODES", "XBEE-SPEC-SOCKET-STATUS-FATAL"),
)
def test_connect_unresolvable(xbee: XBeeSession) -> None:
    sid = create_tcp(xbee)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketConnect(fid, sid, 80, AddressType.STRING, UNRESOLVABLE.encode("ascii")),
        Expect(fr.SocketConnectResponse, frame_id=fid, socket_id=sid, status=SocketConnectStatus.CONNECT_STARTED),
    )
    xbee.expect(
        Expect(fr.SocketStatus, socket_id=sid, status=SocketStatusCode.FAILED_DNS_LOOKUP),
        within=xbee.profile.deadlines.indication,
    )
    freed(xbee, sid, "after a fatal 0xCF the socket ID is freed: closing it answers 20 (bad socket ID)")


@case(
    "XBEE-CONNECT-12",
    "when the peer closes the connection: 0xCF 07 (connection lost; 0C also for a reset) and the ID is freed",
    verifies=(
        "XBEE-SEED-STEP-8-TEXT-1",
        "XBEE-SEED-STEP-8-TEXT-2",
        "XBEE-SPEC-PEER-CLOSES",
        "XBEE-SPEC-SOCKET-STATUS-FATAL",
    ),
)
@pytest.mark.parametrize("how", ["FIN", "RST"])
def test_peer_closes(xbee: XBeeSession, peer: Peer, how: str) -> None:
    sid, _, conn = connect_to_peer(xbee, peer)
    if how == "FIN":
        conn.close()
        status = one_of(SocketStatusCode.CONNECTION_LOST)
    else:
        conn.abort()
        status = one_of(SocketStatusCode.CONNECTION_LOST, SocketStatusCode.RST_CLOSE_BY_PEER)
    xbee.expect(Expect(fr.SocketStatus, socket_id=sid, status=status), within=xbee.profile.deadlines.indication)
    freed(xbee, sid, "after a fatal 0xCF the socket ID is freed: closing it answers 20 (bad socket ID)")


@case(
    "XBEE-CONNECT-13",
    "with frame ID 0, Socket Connect sends no 0xC2 but the connection is still made and reported by 0xCF 00",
    verifies=("XBEE-SPEC-FRAME-ID-0", "XBEE-SPEC-CONNECT-SEQUENCE"),
)
def test_frame_id_zero(xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    server = peer.tcp_server()
    sid = create_tcp(xbee)
    suppressed = xbee.exchange(fr.SocketConnect(0, sid, server.port, AddressType.IPV4, _ipv4(server.address)))
    connected(xbee, sid, xbee.requirement)
    server.accept(xbee.profile.deadlines.indication, xbee.requirement)
    xbee.expect_no_reply(suppressed, "frame ID 0 suppresses the 0xC2")
