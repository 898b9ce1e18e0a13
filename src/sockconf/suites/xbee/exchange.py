"""Steps of the documented exchanges (the seed's TCP listener, connect, send, UDP, close), shared by the cases.

Each step sends the documented request and checks the documented answer; a case runs the steps up
to its own and checks that one in detail. A step that fails while it is only a precondition says so.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum

import pytest

from sockconf.harness import contradictions, silent
from sockconf.harness.cases import unconfirmed
from sockconf.harness.expect import ANY, ConformanceFailure, Expect, NoAnswer, describe, not_equal, show_bytes
from sockconf.harness.peer import Peer, TcpClient, TcpServer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.profile import Profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import (
    AddressType,
    ATCommandStatus,
    Protocol,
    SocketCloseStatus,
    SocketConnectStatus,
    SocketCreateStatus,
    SocketListenStatus,
    SocketStatusCode,
    TransmitStatusCode,
)

# Settled contradictions of the seed's Socket Receive step (sockconf/data/requirements/xbee.toml).
RECEIVE_FRAME_ID = "XBEE-CONTRA-RECEIVE-FRAME-ID"
RECEIVE_PAYLOAD = "XBEE-CONTRA-RECEIVE-PAYLOAD"


def pattern(n: int) -> bytes:
    """``n`` bytes cycling through every byte value (7E 7D 11 13 included)."""
    return (bytes(range(256)) * (n // 256 + 1))[:n]


def require(xbee: XBeeSession, feature: str) -> None:
    """NOT APPLICABLE unless the profile lists ``feature``."""
    if not xbee.profile.has(feature):
        pytest.skip(f"NOT APPLICABLE: profile {xbee.profile.name} lacks the feature {feature!r}")


def socket_limit(profile: Profile, protocol: Protocol | None = None) -> int:
    """How many sockets the profile allows: in total, or of one protocol (Cat 1: 6 of each)."""
    total = int(profile.get("max_sockets", 6))
    if protocol is None:
        return total
    return min(total, int(profile.get(f"max_{protocol.name.lower()}_sockets", total)))


def payload_limit(profile: Profile) -> int:
    return int(profile.get("max_payload", 1500))


def create(xbee: XBeeSession, protocol: Protocol, frame_id: int | None = None, requirement: str = "") -> int:
    fid = xbee.next_frame_id() if frame_id is None else frame_id
    reply = xbee.request(
        fr.SocketCreate(fid, protocol),
        Expect(
            fr.SocketCreateResponse,
            frame_id=fid,
            socket_id=not_equal(0xFF),
            status=SocketCreateStatus.SUCCESS,
        ),
        requirement=requirement or f"precondition: a {protocol.name} socket can be created (0x40 → 0xC0 status 00)",
    )
    assert isinstance(reply, fr.SocketCreateResponse)
    return reply.socket_id


def create_tcp(xbee: XBeeSession, frame_id: int | None = None, requirement: str = "") -> int:
    return create(xbee, Protocol.TCP, frame_id, requirement)


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

    def newline_dropped(_: ConformanceFailure) -> bool:
        # The seed's payload table drops the peer's final newline; a module that does leaves this wait short.
        return bytes(got) + b"\n" == payload

    while len(got) < len(payload):
        with (
            contradictions.settled(RECEIVE_FRAME_ID, when=on_field("frame_id")),
            contradictions.settled(RECEIVE_PAYLOAD, when=newline_dropped),
        ):
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
        with contradictions.settled(RECEIVE_PAYLOAD, when=newline_dropped):
            raise ConformanceFailure(
                req,
                [f"{len(payload)} bytes: {show_bytes(payload)}"],
                [f"{len(got)} bytes: {show_bytes(bytes(got))}"],
                [f"payload differs from byte {first}"],
            )
    return frames


def on_field(name: str) -> Callable[[ConformanceFailure], bool]:
    """Whether a failure's field-level diff names the field ``name``."""
    return lambda exc: any(d.startswith(f"{name}:") for d in exc.diff)


def connection_lost(xbee: XBeeSession, client_id: int, requirement: str = "") -> fr.SocketStatus:
    frame = xbee.expect(
        Expect(fr.SocketStatus, socket_id=client_id, status=SocketStatusCode.CONNECTION_LOST),
        within=xbee.profile.deadlines.indication,
        requirement=requirement or xbee.requirement or "the peer's close is reported as Socket Status 0x07",
    )
    assert isinstance(frame, fr.SocketStatus)
    return frame


# --------------------------------------------------------------------------- barrier and errors


def barrier(xbee: XBeeSession) -> tuple[fr.ATCommand, Expect]:
    """An AT query (AP) and its expected reply: "everything before it has been handled" without a wait."""
    fid = xbee.next_frame_id()
    reply = Expect(
        fr.ATCommandResponse, frame_id=fid, command=b"AP", status=ATCommandStatus.OK, value=bytes((xbee.api_mode,))
    )
    return fr.ATCommand(fid, b"AP"), reply


def strays(xbee: XBeeSession, kind: type = fr.Frame) -> list[fr.Frame]:
    """Frames of ``kind`` that arrived and no step has taken."""
    return [e for e in xbee.inbox if isinstance(e, kind) and isinstance(e, fr.Frame)]


def describe_frames(frames: list[fr.Frame]) -> list[str]:
    return [describe(f) for f in frames]


def error_status(
    request: pytest.FixtureRequest,
    xbee: XBeeSession,
    frame: fr.Frame,
    likely: IntEnum,
    what: str,
    point: str = "",
) -> None:
    """Check the code of an error the spec documents but whose code it leaves UNCONFIRMED.

    The reply was taken with ``status=not_equal(<success>)``, so a success has already FAILed; an error
    other than the likely one is a NON-STRICT finding. ``point``: the silent point this code is (its
    default choice is the likely code, ``other-error`` any other), recorded for the report.
    """
    status = getattr(frame, "status", None)
    shown = f"{status:02X}" if isinstance(status, int) else repr(status)
    if point:
        default = silent.point(point).default
        detail = f"{what}: status {shown} (the likely code is {int(likely):02X} {likely.name})"
        silent.observed(request, point, default if status == likely else "other-error", detail)
        return
    if status != likely:
        unconfirmed(
            request,
            xbee.requirement,
            f"{what}: status {shown}, an error as documented but not the likely {int(likely):02X} {likely.name} "
            f"(the code is UNCONFIRMED in the spec)",
        )


@contextmanager
def answered_after_bad_input(xbee: XBeeSession, what: str) -> Iterator[None]:
    """The DUT answered the case setup; if it answers nothing after ``what``, that is the case's FAIL.

    (Otherwise a DUT that hangs on bad input would only look INCONCLUSIVE.)
    """
    try:
        yield
    except NoAnswer as exc:
        raise ConformanceFailure(
            exc.requirement,
            exc.expected,
            exc.actual,
            exc.diff,
            exc.last_bytes,
            note=f"The DUT answered the case setup and nothing after {what}: it stopped working.",
        ) from None


# --------------------------------------------------------------------------- outgoing connections


def connect(
    xbee: XBeeSession,
    socket_id: int,
    host: str,
    port: int,
    by: AddressType = AddressType.IPV4,
    frame_id: int | None = None,
    requirement: str = "",
) -> None:
    """0x42 → 0xC2 status 00 (connect started) → 0xCF status 00 (connected)."""
    fid = xbee.next_frame_id() if frame_id is None else frame_id
    address = ipaddress.IPv4Address(host).packed if by == AddressType.IPV4 else host.encode("ascii")
    xbee.request(
        fr.SocketConnect(fid, socket_id, port, by, address),
        Expect(fr.SocketConnectResponse, frame_id=fid, socket_id=socket_id, status=SocketConnectStatus.CONNECT_STARTED),
        requirement=requirement or "precondition: Socket Connect (0x42) is started (0xC2 status 00)",
    )
    connected(xbee, socket_id, requirement)


def connected(xbee: XBeeSession, socket_id: int, requirement: str = "") -> None:
    xbee.expect(
        Expect(fr.SocketStatus, socket_id=socket_id, status=SocketStatusCode.CONNECTED),
        within=xbee.profile.deadlines.indication,
        requirement=requirement or "precondition: the connection is reported established (0xCF status 00)",
    )


def connect_to_peer(
    xbee: XBeeSession, peer: Peer, by: AddressType = AddressType.IPV4, requirement: str = ""
) -> tuple[int, TcpServer, TcpClient]:
    """A TCP socket connected to a server on the peer: (socket ID, the server, the peer's end)."""
    server = peer.tcp_server()
    sid = create_tcp(xbee)
    connect(xbee, sid, server.address, server.port, by=by, requirement=requirement)
    conn = server.accept(
        xbee.profile.deadlines.indication,
        requirement or "precondition: the DUT's connection reaches the peer's server",
    )
    return sid, server, conn


def connection_to(xbee: XBeeSession, peer: Peer, via: str, port: int = 0) -> tuple[int, TcpClient]:
    """A connected TCP socket and the peer's end of it: ``via`` "connect" (0x42) or "accept" (a listener's 0xCC)."""
    if via == "connect":
        sid, _, conn = connect_to_peer(xbee, peer)
        return sid, conn
    listener = open_listener(xbee, port)
    client, new = accept(xbee, peer, listener, port)
    return new.client_socket_id, client


# --------------------------------------------------------------------------- send and close


def send(xbee: XBeeSession, socket_id: int, payload: bytes, requirement: str = "") -> None:
    """0x44 → 0x89 status 00."""
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketSend(fid, socket_id, payload),
        Expect(fr.TransmitStatus, frame_id=fid, status=TransmitStatusCode.SUCCESS),
        requirement=requirement or f"precondition: {len(payload)} byte(s) are sent (0x44 → 0x89 status 00)",
    )


def close(xbee: XBeeSession, socket_id: int, requirement: str = "") -> None:
    """0x43 → 0xC3 status 00."""
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketClose(fid, socket_id),
        Expect(fr.SocketCloseResponse, frame_id=fid, socket_id=socket_id, status=SocketCloseStatus.SUCCESS),
        requirement=requirement or f"precondition: socket {socket_id:02X} closes (0x43 → 0xC3 status 00)",
    )


def freed(xbee: XBeeSession, socket_id: int, requirement: str) -> None:
    """The socket ID is no longer allocated: 0x43 on it answers 20 (bad socket ID)."""
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketClose(fid, socket_id),
        Expect(fr.SocketCloseResponse, frame_id=fid, socket_id=socket_id, status=SocketCloseStatus.BAD_SOCKET_ID),
        requirement=requirement,
    )


def listener_gone(peer: Peer, port: int, requirement: str) -> None:
    """Nothing accepts TCP connections on the DUT's ``port`` any more."""
    if peer.try_connect(port):
        raise ConformanceFailure(
            requirement,
            [f"a connection to {peer.dut_host}:{port} is refused"],
            ["the connection was accepted"],
            ["the port still listens"],
        )
