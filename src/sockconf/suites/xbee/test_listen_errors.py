"""XBEE-LISTEN-08..11: Socket Bind/Listen (0x46 → 0xC6) refused (spec §3.1, §4 "port 0", the seed's TLS note).

The seed's exchange itself is XBEE-LISTEN-01..07 (test_listener.py); these are its error answers.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import pytest

from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.expect import ANY, Expect, not_equal
from sockconf.harness.peer import Peer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import Protocol, SocketListenStatus
from sockconf.suites.xbee.exchange import create, error_status, listen, require

PORT = 10061


@case(
    "XBEE-LISTEN-08",
    "Bind/Listen on a socket that already listens (TCP) or is bound (UDP) is answered 0xC6 status 03",
    kind="negative",
    verifies=("XBEE-SEED-STEP-4-TEXT", "XBEE-SPEC-LISTEN-STATUS", "XBEE-SPEC-UDP"),
)
@pytest.mark.parametrize(
    ("protocol", "second_port"),
    [(Protocol.TCP, PORT), (Protocol.TCP, PORT + 1), (Protocol.UDP, PORT)],
    ids=["TCP-same-port", "TCP-other-port", "UDP-same-port"],
)
def test_already_listening(xbee: XBeeSession, peer: Peer, protocol: Protocol, second_port: int) -> None:
    if protocol == Protocol.UDP:
        require(xbee, "udp")
    sid = create(xbee, protocol)
    listen(xbee, sid, PORT)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketBindListen(fid, sid, second_port),
        Expect(
            fr.SocketListenResponse,
            frame_id=fid,
            socket_id=sid,
            status=SocketListenStatus.ALREADY_BOUND_OR_LISTENING,
        ),
    )
    if protocol == Protocol.TCP:
        peer.connect(PORT)  # the first listen still holds


@case(
    "XBEE-LISTEN-09",
    "Bind/Listen on a socket ID that is not open is answered 0xC6 status 20 (invalid socket ID)",
    kind="negative",
    verifies=("XBEE-SEED-STEP-4-TEXT", "XBEE-SPEC-LISTEN-STATUS"),
)
@pytest.mark.parametrize("socket_id", [0x00, 0x07, 0xFE], ids=lambda s: f"sock{s:02X}")
def test_invalid_socket(xbee: XBeeSession, socket_id: int) -> None:
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketBindListen(fid, socket_id, PORT),
        Expect(fr.SocketListenResponse, frame_id=fid, socket_id=socket_id, status=SocketListenStatus.INVALID_SOCKET_ID),
    )


@case(
    "XBEE-LISTEN-10",
    "Bind/Listen on port 0 is answered 0xC6 status 01 (invalid port; UNCONFIRMED, the spec leaves port 0 open)",
    kind="negative",
    verifies=("XBEE-SEED-STEP-4-TEXT", "XBEE-SPEC-LISTEN-STATUS", "XBEE-SPEC-LISTEN-PORT-0"),
)
@pytest.mark.parametrize("protocol", [Protocol.TCP, Protocol.UDP], ids=["TCP", "UDP"])
def test_port_zero(request: pytest.FixtureRequest, xbee: XBeeSession, protocol: Protocol) -> None:
    if protocol == Protocol.UDP:
        require(xbee, "udp")
    sid = create(xbee, protocol)
    fid = xbee.next_frame_id()
    reply = xbee.request(
        fr.SocketBindListen(fid, sid, 0),
        Expect(fr.SocketListenResponse, frame_id=fid, socket_id=sid, status=ANY),
    )
    assert isinstance(reply, fr.SocketListenResponse)
    choice = {int(SocketListenStatus.INVALID_PORT): "invalid-port", int(SocketListenStatus.SUCCESS): "accepted"}
    detail = f"0x46 with port 0 answered status {reply.status:02X}"
    silent.observed(request, "XBEE-SILENT-LISTEN-PORT0-STATUS", choice.get(int(reply.status), "other-error"), detail)


@case(
    "XBEE-LISTEN-11",
    "Bind/Listen on a TLS socket is refused with an error status (no incoming TLS; code UNCONFIRMED, likely 02)",
    kind="negative",
    verifies=("XBEE-SEED-NOTE-2", "XBEE-SPEC-LISTEN-0x46"),
)
def test_tls_listen(request: pytest.FixtureRequest, xbee: XBeeSession) -> None:
    sid = create(xbee, Protocol.TLS)
    fid = xbee.next_frame_id()
    reply = xbee.request(
        fr.SocketBindListen(fid, sid, PORT),
        Expect(fr.SocketListenResponse, frame_id=fid, socket_id=sid, status=not_equal(SocketListenStatus.SUCCESS)),
    )
    error_status(request, xbee, reply, SocketListenStatus.ERROR, "0x46 on TLS", "XBEE-SILENT-TLS-LISTEN-STATUS")
