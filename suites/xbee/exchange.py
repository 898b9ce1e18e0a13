"""Steps of the seed's TCP-listener exchange, shared by the XBEE-LISTEN cases.

Each step sends the documented request and checks the documented answer; a case runs the steps up
to its own and checks that one in detail. A step that fails while it is only a precondition says so.
"""

from __future__ import annotations

from fixtures.expect import ANY, ConformanceFailure, Expect, not_equal, show_bytes
from fixtures.peer import Peer, TcpClient
from fixtures.xbee import XBeeSession
from protocol.xbee import frames as fr
from protocol.xbee.status import Protocol, SocketCreateStatus, SocketListenStatus, SocketStatusCode


def create_tcp(xbee: XBeeSession, frame_id: int | None = None, requirement: str = "") -> int:
    fid = xbee.next_frame_id() if frame_id is None else frame_id
    reply = xbee.request(
        fr.SocketCreate(fid, Protocol.TCP),
        Expect(
            fr.SocketCreateResponse,
            frame_id=fid,
            socket_id=not_equal(0xFF),
            status=SocketCreateStatus.SUCCESS,
        ),
        requirement=requirement or "precondition: a TCP socket can be created (0x40 → 0xC0 status 00)",
    )
    assert isinstance(reply, fr.SocketCreateResponse)
    return reply.socket_id


def listen(xbee: XBeeSession, socket_id: int, port: int, frame_id: int | None = None, requirement: str = "") -> None:
    fid = xbee.next_frame_id() if frame_id is None else frame_id
    xbee.request(
        fr.SocketBindListen(fid, socket_id, port),
        Expect(fr.SocketListenResponse, frame_id=fid, socket_id=socket_id, status=SocketListenStatus.SUCCESS),
        requirement=requirement or f"precondition: the socket listens on port {port} (0x46 → 0xC6 status 00)",
    )


def open_listener(xbee: XBeeSession, port: int) -> int:
    sid = create_tcp(xbee)
    listen(xbee, sid, port)
    return sid


def presents_on_data(xbee: XBeeSession) -> bool:
    """Cat 1 variants present a new client only once it has sent data (seed note)."""
    return bool(xbee.profile.get("present_connection", "on-connect") == "on-data")


def accept(
    xbee: XBeeSession,
    peer: Peer,
    listener: int,
    port: int,
    source_port: int = 0,
    first_data: bytes = b"hello",
    requirement: str = "",
) -> tuple[TcpClient, fr.SocketNewIPv4Client]:
    """Connect a peer and read the 0xCC that presents it (sending data first on Cat 1)."""
    client = peer.connect(port, source_port=source_port)
    if presents_on_data(xbee):
        client.send(first_data)
    frame = xbee.expect(
        Expect(
            fr.SocketNewIPv4Client,
            socket_id=listener,
            client_socket_id=not_equal(listener),
            remote_address=client.local[0],
            remote_port=client.local[1],
        ),
        within=xbee.profile.deadlines.indication,
        requirement=requirement or "precondition: a peer's connection is presented (0xCC)",
    )
    assert isinstance(frame, fr.SocketNewIPv4Client)
    if presents_on_data(xbee):
        receive(xbee, frame.client_socket_id, first_data, "precondition: the client's first data arrives (0xCD)")
    return client, frame


def receive(xbee: XBeeSession, socket_id: int, payload: bytes, requirement: str = "") -> list[fr.SocketReceive]:
    """Collect 0xCD frames on ``socket_id`` until ``payload`` has arrived whole and in order."""
    limit = int(xbee.profile.get("max_payload", 1500))
    got = bytearray()
    frames: list[fr.SocketReceive] = []
    req = requirement or xbee.requirement or "the peer's bytes arrive as Socket Receive (0xCD) frames"
    while len(got) < len(payload):
        frame = xbee.expect(
            Expect(fr.SocketReceive, frame_id=0, socket_id=socket_id, status=0, payload=ANY),
            within=xbee.profile.deadlines.indication,
            requirement=req,
        )
        assert isinstance(frame, fr.SocketReceive)
        frames.append(frame)
        got += frame.payload
        if len(frame.payload) > limit:
            raise ConformanceFailure(req, [f"payload of at most {limit} bytes"], [f"{len(frame.payload)} bytes"])
    if bytes(got) != payload:
        first = next(
            (i for i, (a, b) in enumerate(zip(got, payload, strict=False)) if a != b),
            min(len(got), len(payload)),
        )
        raise ConformanceFailure(
            req,
            [f"{len(payload)} bytes: {show_bytes(payload)}"],
            [f"{len(got)} bytes: {show_bytes(bytes(got))}"],
            [f"payload differs from byte {first}"],
        )
    return frames


def connection_lost(xbee: XBeeSession, client_id: int, requirement: str = "") -> fr.SocketStatus:
    frame = xbee.expect(
        Expect(fr.SocketStatus, socket_id=client_id, status=SocketStatusCode.CONNECTION_LOST),
        within=xbee.profile.deadlines.indication,
        requirement=requirement or xbee.requirement or "the peer's close is reported as Socket Status 0x07",
    )
    assert isinstance(frame, fr.SocketStatus)
    return frame
