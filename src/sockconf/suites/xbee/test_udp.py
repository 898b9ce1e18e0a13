"""XBEE-UDP: UDP sockets (0x40 UDP, 0x46 bind, 0x45 SendTo → 0x89, 0xCE Receive From; spec §2, §3.2, §4, §5).

Digi's UDP example bytes (spec §5) are checked byte for byte where they do not depend on the run. The peer
is a real UDP socket (``Peer.udp_socket``); 0xCE must carry its address and port.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import pytest

from sockconf.data.vectors.xbee import XBEE_LISTENER, XBEE_UDP_EXAMPLE
from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.expect import ANY, ConformanceFailure, Expect, not_equal, show_bytes
from sockconf.harness.peer import Peer, UdpPeer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import Protocol, SocketCreateStatus, SocketListenStatus, TransmitStatusCode
from sockconf.suites.xbee.exchange import create, create_tcp, error_status, listen, pattern, payload_limit, require

EXAMPLE_PORT = 0x1234  # Digi's example binds port 0x1234
PORT = 10031
SIZES = [pytest.param(n, id=f"{n}B") for n in (1, 256, 1500)]


@pytest.fixture
def has_udp(xbee: XBeeSession) -> None:
    require(xbee, "udp")


def _bound(xbee: XBeeSession, port: int = PORT) -> int:
    sid = create(xbee, Protocol.UDP)
    listen(xbee, sid, port, requirement=f"precondition: the UDP socket binds port {port} (0x46 → 0xC6 status 00)")
    return sid


def _receive_from(xbee: XBeeSession, sid: int, udp: UdpPeer, payload: bytes, requirement: str = "") -> None:
    frame = xbee.expect(
        Expect(
            fr.SocketReceiveFrom,
            frame_id=0,
            socket_id=sid,
            source_address=udp.local[0],
            source_port=udp.local[1],
            status=0,
            payload=ANY,
        ),
        within=xbee.profile.deadlines.indication,
        requirement=requirement,
    )
    assert isinstance(frame, fr.SocketReceiveFrom)
    if frame.payload != payload:
        raise ConformanceFailure(
            requirement or xbee.requirement,
            [f"the whole datagram in one 0xCE: {show_bytes(payload)}"],
            [f"{len(frame.payload)} bytes: {show_bytes(frame.payload)}"],
            ["payload differs"],
        )


@case(
    "XBEE-UDP-01",
    "Digi's UDP example: Socket Create UDP (7E 00 03 40 01 00 BE) and Bind port 0x1234 (7E 00 05 46 01 00 12 34 72) "
    "are answered 0xC0 and 0xC6 status 00",
    verifies=("XBEE-SPEC-UDP-EXAMPLE", "XBEE-SPEC-CREATE-0x40", "XBEE-SPEC-LISTEN-0x46", "XBEE-SPEC-UDP"),
)
def test_create_and_bind(has_udp: None, xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    xbee.send_raw(xbee.wire(XBEE_UDP_EXAMPLE["create_udp"]), note="Digi's Socket Create (UDP)")
    reply = xbee.expect(
        Expect(fr.SocketCreateResponse, frame_id=1, socket_id=not_equal(0xFF), status=SocketCreateStatus.SUCCESS)
    )
    assert isinstance(reply, fr.SocketCreateResponse)
    sid = reply.socket_id
    if sid == 0:
        xbee.expect_bytes(xbee.wire(XBEE_LISTENER["create_response"]), "the 0xC0 is 7E 00 04 C0 01 00 00 3E")
        xbee.send_raw(xbee.wire(XBEE_UDP_EXAMPLE["bind"]), note="Digi's Socket Bind, port 0x1234")
    else:
        xbee.send(fr.SocketBindListen(1, sid, EXAMPLE_PORT))
    xbee.expect(Expect(fr.SocketListenResponse, frame_id=1, socket_id=sid, status=SocketListenStatus.SUCCESS))
    if sid == 0:
        xbee.expect_bytes(xbee.wire(XBEE_LISTENER["listen_response"]), "the 0xC6 is 7E 00 04 C6 01 00 00 38")
    # Bound means reachable: a datagram to the port arrives.
    sender = peer.udp_socket()
    sender.send_to(b"to 0x1234", EXAMPLE_PORT)
    _receive_from(xbee, sid, sender, b"to 0x1234", "a datagram to the bound port arrives as 0xCE")


@case(
    "XBEE-UDP-02",
    "a datagram to the bound port arrives as 0xCE: frame ID 00, the socket ID, the peer's IPv4 and port, "
    "status 00, the payload whole",
    verifies=("XBEE-SPEC-UDP", "XBEE-SPEC-RECEIVE-FROM-0xCE", "XBEE-SPEC-UNSOLICITED-FRAME-ID"),
)
@pytest.mark.parametrize("size", SIZES)
def test_receive_from(has_udp: None, xbee: XBeeSession, peer: Peer, api_mode: int, size: int) -> None:
    sid = _bound(xbee)
    sender = peer.udp_socket()
    payload = pattern(size)
    sender.send_to(payload, PORT)
    _receive_from(xbee, sid, sender, payload)


@case(
    "XBEE-UDP-03",
    "Socket SendTo (0x45) is answered 0x89 status 00 and the datagram reaches the peer's UDP socket whole; "
    "a reply to its source arrives as 0xCE",
    verifies=("XBEE-SPEC-SENDTO-0x45", "XBEE-SPEC-TX-STATUS", "XBEE-SPEC-RECEIVE-FROM-0xCE"),
)
@pytest.mark.parametrize("size", SIZES)
def test_send_to(has_udp: None, xbee: XBeeSession, peer: Peer, api_mode: int, size: int) -> None:
    sid = _bound(xbee)
    receiver = peer.udp_socket()
    payload = pattern(size)
    host, port = receiver.local
    xbee.request(
        fr.SocketSendTo(1, sid, host, port, payload),
        Expect(fr.TransmitStatus, frame_id=1, status=TransmitStatusCode.SUCCESS),
    )
    xbee.expect_bytes(xbee.wire(XBEE_UDP_EXAMPLE["tx_status_success"]), "the 0x89 is 7E 00 03 89 01 00 75")
    got, source = receiver.recv_from(xbee.profile.deadlines.indication, xbee.requirement)
    if got != payload:
        raise ConformanceFailure(xbee.requirement, [show_bytes(payload)], [show_bytes(got)], ["datagram differs"])
    # The source the peer saw (the DUT's address and bound port, or what a carrier's NAT made of them) answers.
    receiver.send_to(b"reply", source[1], host=source[0])
    _receive_from(xbee, sid, receiver, b"reply", "a reply to the datagram's source arrives as 0xCE")


SENDTO_UNBOUND = "XBEE-SILENT-SENDTO-UNBOUND"
SENDTO_ON_TCP = "XBEE-SILENT-SENDTO-ON-TCP-STATUS"


@case(
    "XBEE-UDP-04",
    "Socket SendTo on a UDP socket that is not bound answers 0x89 88 (socket not bound), or 00 and the datagram "
    "reaches the peer from a port the module bound itself (XBEE-SILENT-SENDTO-UNBOUND)",
    kind="negative",
    verifies=("XBEE-SPEC-UDP", "XBEE-SPEC-TX-STATUS"),
)
def test_send_to_unbound(request: pytest.FixtureRequest, has_udp: None, xbee: XBeeSession, peer: Peer) -> None:
    sid = create(xbee, Protocol.UDP)
    receiver = peer.udp_socket()
    fid = xbee.next_frame_id()
    payload = b"unbound"
    reply = xbee.request(
        fr.SocketSendTo(fid, sid, receiver.local[0], receiver.local[1], payload),
        Expect(fr.TransmitStatus, frame_id=fid, status=ANY),
    )
    assert isinstance(reply, fr.TransmitStatus)
    if reply.status == TransmitStatusCode.SOCKET_NOT_BOUND:
        silent.observed(request, SENDTO_UNBOUND, "not-bound", "0x89 88")
        return
    if reply.status != TransmitStatusCode.SUCCESS:
        detail = f"0x89 {reply.status:02X}, an error other than the likely 88"
        silent.observed(request, SENDTO_UNBOUND, "other-error", detail)
        return
    # 00 says it was sent: then the datagram reaches the peer, as from a port the module bound itself.
    got, source = receiver.recv_from(
        xbee.profile.deadlines.indication, "0x45 on an unbound socket answered 0x89 00: the datagram reaches the peer"
    )
    if got != payload:
        raise ConformanceFailure(xbee.requirement, [show_bytes(payload)], [show_bytes(got)], ["datagram differs"])
    silent.observed(request, SENDTO_UNBOUND, "auto-bind", f"0x89 00; the datagram came from port {source[1]}")


@case(
    "XBEE-UDP-05",
    "Socket SendTo to port 0 answers 0x89 status 78 (invalid UDP port)",
    kind="negative",
    verifies=("XBEE-SPEC-TX-STATUS",),
)
def test_send_to_port_zero(has_udp: None, xbee: XBeeSession, peer: Peer) -> None:
    sid = _bound(xbee)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketSendTo(fid, sid, peer.address, 0, b"to port 0"),
        Expect(fr.TransmitStatus, frame_id=fid, status=TransmitStatusCode.INVALID_UDP_PORT),
    )


@case(
    "XBEE-UDP-06",
    "Socket SendTo of one byte more than the payload limit answers 0x89 status 74 (message too long)",
    kind="negative",
    verifies=("XBEE-SPEC-MAX-PAYLOAD", "XBEE-SPEC-TX-STATUS"),
)
def test_send_to_too_long(has_udp: None, xbee: XBeeSession, peer: Peer) -> None:
    sid = _bound(xbee)
    receiver = peer.udp_socket()
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketSendTo(fid, sid, receiver.local[0], receiver.local[1], pattern(payload_limit(xbee.profile) + 1)),
        Expect(fr.TransmitStatus, frame_id=fid, status=TransmitStatusCode.MESSAGE_TOO_LONG),
    )


@case(
    "XBEE-UDP-07",
    "Socket SendTo on a TCP socket answers 0x89 with an error (code UNCONFIRMED; likely 2C invalid frame values)",
    kind="negative",
    verifies=("XBEE-SPEC-SENDTO-0x45", "XBEE-SPEC-TX-STATUS"),
)
def test_send_to_on_tcp(request: pytest.FixtureRequest, has_udp: None, xbee: XBeeSession, peer: Peer) -> None:
    sid = create_tcp(xbee)
    fid = xbee.next_frame_id()
    reply = xbee.request(
        fr.SocketSendTo(fid, sid, peer.address, 9, b"not UDP"),
        Expect(fr.TransmitStatus, frame_id=fid, status=not_equal(TransmitStatusCode.SUCCESS)),
    )
    error_status(request, xbee, reply, TransmitStatusCode.INVALID_FRAME_VALUES, "0x45 on TCP", SENDTO_ON_TCP)
