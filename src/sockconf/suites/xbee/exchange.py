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
from sockconf.harness.expect import ANY, ConformanceFailure, Expect, NoAnswer, describe, not_equal, show_bytes
from sockconf.harness.peer import Peer, TcpClient, TcpServer
from sockconf.harness.xbee import XBeeSession
from sockconf.harness.xbee.session import REPLIES
from sockconf.protocol.profile import Profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import (
    AddressType,
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


SOCKET_LIMIT = "XBEE-SILENT-TLS-SOCKET-LIMIT"
HOST_CLOSE_STATUS = "XBEE-SILENT-HOST-CLOSE-STATUS"


def socket_limit(profile: Profile, protocol: Protocol | None = None) -> int:
    """How many sockets the profile allows: in total, or of one protocol (Cat 1: 6 of each)."""
    total = int(profile.get("max_sockets", 6))
    if protocol is None:
        return total
    return min(total, int(profile.get(f"max_{protocol.name.lower()}_sockets", total)))


def limit_keys(protocol: Protocol | None) -> list[str]:
    """The profile settings a limit of ``protocol`` (None: the total) comes from."""
    return ["max_sockets"] if protocol is None else ["max_sockets", f"max_{protocol.name.lower()}_sockets"]


def usable_sockets(xbee: XBeeSession, protocol: Protocol) -> int:
    """How many sockets of ``protocol`` the DUT gives: the profile's figure, or fewer where the DUT has
    shown fewer (learnt once per DUT, by filling up to the profile's figure if no case has yet)."""
    if protocol not in xbee.found_limits:
        _probe_limit(xbee, protocol)
    figure = socket_limit(xbee.profile, protocol)
    found = xbee.found_limits.get(protocol, figure)
    unconfirmed = [k for k in limit_keys(protocol) if k in xbee.profile.unconfirmed]
    if found < figure and unconfirmed:
        detail = f"the module gives {found} {protocol.name} sockets; its profile names {figure} (UNCONFIRMED)"
        xbee.observe(SOCKET_LIMIT, "other", detail)
    return min(figure, found)


def _probe_limit(xbee: XBeeSession, protocol: Protocol) -> None:
    """Create sockets of ``protocol`` up to the profile's figure (a refusal before it is recorded by
    ``create``), then close them again; what the module says about them meanwhile is consumed here."""
    since = xbee.arrivals
    opened: list[int] = []
    try:
        for _ in range(socket_limit(xbee.profile, protocol)):
            opened.append(create(xbee, protocol, requirement="the socket limit: as many sockets as the module gives"))
    except pytest.skip.Exception:
        pass  # fewer than the profile names: ``create`` has recorded it
    else:
        xbee.found_limits.setdefault(protocol, len(opened))
    for sid in opened:
        close(xbee, sid, "the socket limit: a socket opened to find it closes again")
    xbee.settled()
    xbee.consume(f for sid in opened for f in xbee.about(sid, since=since))


def create_refused(xbee: XBeeSession, protocol: Protocol, reply: fr.SocketCreateResponse, requirement: str) -> None:
    """0xC0 32 (no free socket) where the case wanted a socket: NOT APPLICABLE when the module holds fewer
    sockets than its profile names (recorded: a finding where the profile's figure is UNCONFIRMED), a
    FAIL of ``requirement`` otherwise (no socket at all, or one more than the profile allows)."""
    profile = xbee.profile
    held = len(xbee.sockets)
    same = sum(1 for p in xbee.sockets.values() if p == protocol)
    total, own = socket_limit(profile), socket_limit(profile, protocol)
    if not 0 < held < total or same >= own:
        raise ConformanceFailure(
            requirement,
            [f"0xC0 status 00 ({held} socket(s) open, {same} of them {protocol.name}; the profile allows {own})"],
            [describe(reply)],
            ["status: expected 00 SUCCESS, got 32 RESOURCE_ERROR"],
            xbee.driver.trace.last_received(),
        )
    xbee.found_limits[protocol] = min(same, xbee.found_limits.get(protocol, same))
    if held == same:
        xbee.found_limits[None] = min(held, xbee.found_limits.get(None, held))
    what = f"the module refused a {protocol.name} socket (0xC0 32) with {held} open ({same} {protocol.name})"
    figures = f"its profile names {total} in all, {own} {protocol.name}"
    unconfirmed = [k for k in limit_keys(protocol) if k in profile.unconfirmed]
    if unconfirmed:
        xbee.observe(SOCKET_LIMIT, "other", f"{what}; {figures} (UNCONFIRMED: {', '.join(unconfirmed)})")
        why = "fewer sockets than the profile's UNCONFIRMED figure"
    else:
        why = "fewer sockets than the documents name (XBEE-CREATE-03 judges that)"
    pytest.skip(f"NOT APPLICABLE: {what}, {figures}: {why}, and this case needs more")


def payload_limit(profile: Profile) -> int:
    return int(profile.get("max_payload", 1500))


def create(xbee: XBeeSession, protocol: Protocol, frame_id: int | None = None, requirement: str = "") -> int:
    """0x40 → 0xC0 status 00: the new socket's ID (a refusal for want of sockets: ``create_refused``)."""
    fid = xbee.next_frame_id() if frame_id is None else frame_id
    requirement = requirement or f"precondition: a {protocol.name} socket can be created (0x40 → 0xC0 status 00)"
    reply = xbee.exchange(fr.SocketCreate(fid, protocol)).expect(
        Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=not_equal(0xFF), status=SocketCreateStatus.SUCCESS),
        Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR),
        requirement=requirement,
    )
    assert isinstance(reply, fr.SocketCreateResponse)
    if reply.status == SocketCreateStatus.RESOURCE_ERROR:
        create_refused(xbee, protocol, reply, requirement)
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


def strays(xbee: XBeeSession, since: int) -> list[fr.Frame]:
    """Replies that belong to no request (a frame ID nobody asked with) and arrived after arrival ``since``.

    Frames the module sends of its own (0x8A, 0xCC, 0xCD, 0xCE, 0xCF) are no answer to anything.
    """
    return xbee.unowned(REPLIES, since)


def describe_frames(frames: list[fr.Frame]) -> list[str]:
    return [describe(f) for f in frames]


def error_status(
    request: pytest.FixtureRequest,
    xbee: XBeeSession,
    frame: fr.Frame,
    likely: IntEnum,
    what: str,
    point: str,
    choices: dict[int, str] | None = None,
) -> None:
    """Record the code of an error the spec documents but whose code it leaves UNCONFIRMED (silent ``point``).

    The reply was taken with ``status=not_equal(<success>)``, so a success has already FAILed. The likely
    code is the point's default choice; ``choices`` names the choice of other codes; any other code is
    ``other-error`` where the point has that choice, and a FAIL where it names every defensible code.
    """
    status = getattr(frame, "status", None)
    shown = f"{status:02X}" if isinstance(status, int) else repr(status)
    registered = silent.point(point)
    named = {int(likely): registered.default, **(choices or {})}
    choice = named.get(int(status)) if isinstance(status, int) else None
    if choice is None and "other-error" in registered.choices:
        choice = "other-error"
    if choice is None:
        raise ConformanceFailure(
            xbee.requirement,
            [f"one of the codes {registered.id} names: {', '.join(f'{c:02X}' for c in named)}"],
            [describe(frame)],
            [f"status: {shown} is none of them"],
        )
    detail = f"{what}: status {shown} (the likely code is {int(likely):02X} {likely.name})"
    silent.observed(request, point, choice, detail)


UNPROMPTED_MODEM_STATUS = "XBEE-SILENT-UNPROMPTED-MODEM-STATUS"


def unprompted_modem_status(xbee: XBeeSession, since: int) -> None:
    """XBEE-SILENT-UNPROMPTED-MODEM-STATUS: whether 0x8A frames came during a case that changed nothing
    about the module's state (after arrival ``since``)."""
    news = xbee.unowned((fr.ModemStatus,), since)
    if news:
        xbee.observe(UNPROMPTED_MODEM_STATUS, "any-time", f"0x8A without a reset: {', '.join(map(describe, news))}")
    else:
        xbee.observe(UNPROMPTED_MODEM_STATUS, "none", "no 0x8A")


def host_close_status(xbee: XBeeSession, socket_id: int, since: int) -> None:
    """XBEE-SILENT-HOST-CLOSE-STATUS: whether the module also reported a socket the host closed (0x43,
    answered 0xC3 00) by 0xCF, once everything sent before a barrier has been answered. Such 0xCF (any
    status but 00) are consumed here: they answer the close, nothing else."""
    xbee.settled()
    told = [f for f in xbee.about(socket_id, since=since) if getattr(f, "status", 0) != SocketStatusCode.CONNECTED]
    xbee.consume(told)
    if told:
        shown = ", ".join(describe(f) for f in told)
        xbee.observe(HOST_CLOSE_STATUS, "status", f"after 0xC3 00 for socket {socket_id:02X}: {shown}")
    else:
        xbee.observe(HOST_CLOSE_STATUS, "no-status", f"socket {socket_id:02X} closed by the host: the 0xC3 alone")


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
    xbee.exchange(fr.SocketConnect(fid, socket_id, port, by, address)).expect(
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
