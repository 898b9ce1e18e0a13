"""XBEE-LISTEN: Digi's "Extended Socket example: TCP Listener" (seed 000), one case per documented step.

Byte for byte where the seed's bytes do not depend on the run; field for field where they do
(the peer's address and source port). Parametrized over API mode, frame IDs, ports, payloads and
clients instead of copied.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import pytest

from sockconf.data.vectors.xbee import XBEE_LISTENER as SEED
from sockconf.data.vectors.xbee import XBEE_LISTENER_PAYLOAD, XBEE_LISTENER_PORT
from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.expect import Expect, not_equal
from sockconf.harness.peer import Peer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import (
    Protocol,
    SocketCloseStatus,
    SocketCreateStatus,
    SocketListenStatus,
)
from sockconf.suites.xbee.exchange import (
    accept,
    connection_lost,
    create_tcp,
    open_listener,
    pattern,
    presents_on_data,
    receive,
    socket_limit,
    usable_sockets,
)

# Frame IDs that need escaping in AP=2 (0x11 0x13 0x7D 0x7E), the ends of the range, and 0.
FIRST_ID = "XBEE-SILENT-FIRST-SOCKET-ID"
CAT1_PRESENTATION = "XBEE-SILENT-CAT1-PRESENTATION"
FRAME_IDS = [0x01, 0x11, 0x13, 0x7D, 0x7E, 0xFF, 0x00]
# The seed's port, ports whose bytes need escaping in AP=2, and the ends of the range.
PORTS = [XBEE_LISTENER_PORT, 0x7E7D, 0x1113, 1024, 65535]


@case(
    "XBEE-LISTEN-01",
    "Socket Create (0x40, TCP) is answered by 0xC0 with its frame ID, status 00 and a socket ID",
    verifies=(
        "XBEE-SEED-STEP-1",
        "XBEE-SEED-STEP-1-FRAME-TYPE",
        "XBEE-SEED-STEP-1-FRAME-ID",
        "XBEE-SEED-STEP-1-PROTOCOL",
        "XBEE-SEED-STEP-2",
        "XBEE-SEED-STEP-2-TEXT",
        "XBEE-SEED-STEP-2-FRAME-TYPE",
        "XBEE-SEED-STEP-2-FRAME-ID",
        "XBEE-SEED-STEP-2-STATUS",
        "XBEE-SPEC-CREATE-0x40",
        "XBEE-SPEC-ECHO",
    ),
)
@pytest.mark.parametrize("frame_id", FRAME_IDS, ids=[f"fid{f:02X}" for f in FRAME_IDS])
def test_create(xbee: XBeeSession, api_mode: int, frame_id: int) -> None:
    if frame_id == 1:
        xbee.send_raw(xbee.wire(SEED["create"]), note="the seed's Socket Create: 7E 00 03 40 01 01 BD")
    else:
        xbee.send(fr.SocketCreate(frame_id, Protocol.TCP))
    # 0x40 is answered even with frame ID 0 (spec §1).
    xbee.expect(
        Expect(
            fr.SocketCreateResponse,
            frame_id=frame_id,
            socket_id=not_equal(0xFF),
            status=SocketCreateStatus.SUCCESS,
        )
    )


@case(
    "XBEE-LISTEN-02",
    "the Socket Create Response for socket 0 is byte for byte 7E 00 04 C0 01 00 00 3E",
    verifies=(
        "XBEE-SEED-STEP-1-BYTES",
        "XBEE-SEED-STEP-2-TEXT",
        "XBEE-SEED-STEP-2-SOCKET-ID",
        "XBEE-SEED-STEP-2-BYTES",
    ),
)
def test_create_response_bytes(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int) -> None:
    xbee.send_raw(xbee.wire(SEED["create"]), note="the seed's Socket Create")
    reply = xbee.expect(Expect(fr.SocketCreateResponse, frame_id=1, status=SocketCreateStatus.SUCCESS))
    assert isinstance(reply, fr.SocketCreateResponse)
    # Which ID a module allocates first is a silent point; the seed "assumes zero".
    if reply.socket_id != 0:
        silent.observed(request, FIRST_ID, "one", f"first socket ID is {reply.socket_id:02X}, the seed shows 00")
        return
    silent.observed(request, FIRST_ID, "zero")
    xbee.expect_bytes(xbee.wire(SEED["create_response"]), xbee.requirement)


@case(
    "XBEE-LISTEN-03",
    "Socket Bind/Listen (0x46) is answered by 0xC6 status 00 and the port accepts TCP connections",
    verifies=(
        "XBEE-SEED-INTRO",
        "XBEE-SEED-STEP-3",
        "XBEE-SEED-STEP-3-TEXT",
        "XBEE-SEED-STEP-3-FRAME-TYPE",
        "XBEE-SEED-STEP-3-FRAME-ID",
        "XBEE-SEED-STEP-3-SOCKET-ID",
        "XBEE-SEED-STEP-3-SOURCE-PORT",
        "XBEE-SEED-STEP-4",
        "XBEE-SEED-STEP-4-TEXT",
        "XBEE-SEED-STEP-4-FRAME-TYPE",
        "XBEE-SEED-STEP-4-FRAME-ID",
        "XBEE-SEED-STEP-4-STATUS",
        "XBEE-SPEC-LISTEN-0x46",
    ),
)
@pytest.mark.parametrize("port", PORTS, ids=[f"port{p}" for p in PORTS])
@pytest.mark.parametrize("frame_id", [0x01, 0x7E, 0x00], ids=["fid01", "fid7E", "fid00"])
def test_listen(xbee: XBeeSession, peer: Peer, api_mode: int, port: int, frame_id: int) -> None:
    sid = create_tcp(xbee, frame_id=1)
    if (sid, port, frame_id) == (0, XBEE_LISTENER_PORT, 1):
        (listen,) = xbee.send_raw(xbee.wire(SEED["listen"]), note="the seed's Bind/Listen: 7E 00 05 46 01 00 27 11 80")
    else:
        listen = xbee.exchange(fr.SocketBindListen(frame_id, sid, port))
    if frame_id:
        listen.expect(
            Expect(fr.SocketListenResponse, frame_id=frame_id, socket_id=sid, status=SocketListenStatus.SUCCESS)
        )
    else:
        # Frame ID 0 suppresses the 0xC6 (spec §1): an AT query behind it is the barrier.
        xbee.expect_no_reply(listen, "with frame ID 0, Bind/Listen sends no 0xC6")
    peer.connect(port)


@case(
    "XBEE-LISTEN-04",
    "the Socket Listen Response for socket 0 is byte for byte 7E 00 04 C6 01 00 00 38",
    verifies=("XBEE-SEED-STEP-3-BYTES", "XBEE-SEED-STEP-4-SOCKET-ID", "XBEE-SEED-STEP-4-BYTES"),
)
def test_listen_response_bytes(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int) -> None:
    sid = create_tcp(xbee, frame_id=1)
    if sid != 0:
        silent.observed(request, FIRST_ID, "one", f"first socket ID is {sid:02X}, the seed shows 00")
        xbee.request(
            fr.SocketBindListen(1, sid, XBEE_LISTENER_PORT),
            Expect(fr.SocketListenResponse, frame_id=1, socket_id=sid, status=SocketListenStatus.SUCCESS),
        )
        return
    xbee.send_raw(xbee.wire(SEED["listen"]), note="the seed's Bind/Listen")
    xbee.expect(Expect(fr.SocketListenResponse, frame_id=1, socket_id=0, status=SocketListenStatus.SUCCESS))
    xbee.expect_bytes(xbee.wire(SEED["listen_response"]), xbee.requirement)


@case(
    "XBEE-LISTEN-05",
    "a connection to the listener is presented by 0xCC: listener ID, a new client ID, the peer's own IPv4 and port",
    verifies=(
        "XBEE-SEED-STEP-5",
        "XBEE-SEED-STEP-5-TEXT-2",
        "XBEE-SEED-STEP-5-NC",
        "XBEE-SEED-STEP-6-TEXT",
        "XBEE-SEED-STEP-6-FRAME-TYPE",
        "XBEE-SEED-STEP-6-SOCKET-ID",
        "XBEE-SEED-STEP-6-CLIENT-SOCKET-ID",
        "XBEE-SEED-STEP-6-REMOTE-ADDRESS",
        "XBEE-SEED-STEP-6-REMOTE-PORT",
        "XBEE-SEED-STEP-6-BYTES",
        "XBEE-SEED-NOTE-3",
        "XBEE-SPEC-ACCEPT",
        "XBEE-SPEC-CAT1",
    ),
)
@pytest.mark.parametrize("clients", ["1", "2", "max"])
@pytest.mark.parametrize("source", ["ephemeral", "fixed"], ids=["src-ephemeral", "src-fixed"])
def test_new_client(
    request: pytest.FixtureRequest, xbee: XBeeSession, peer: Peer, api_mode: int, clients: str, source: str
) -> None:
    # The most clients the listener can have: one socket is the listener (Cat 1: 6 TCP sockets); fewer where
    # the module has fewer than its profile names (learnt once, and recorded).
    limit = (usable_sockets(xbee, Protocol.TCP) if clients == "max" else socket_limit(xbee.profile, Protocol.TCP)) - 1
    listener = open_listener(xbee, XBEE_LISTENER_PORT)
    count = limit if clients == "max" else min(int(clients), limit)
    # "fixed": the peer binds its source port, as the seed's `nc -p 10001` does (other ports here,
    # since on one host the listener holds 10001).
    sources = [XBEE_LISTENER_PORT + 1 + n if source == "fixed" else 0 for n in range(count)]
    frames: list[fr.SocketNewIPv4Client] = []
    if presents_on_data(xbee):
        # Cat 1: nothing is presented before a peer sends (seed note).
        peers = [peer.connect(XBEE_LISTENER_PORT, source_port=sp) for sp in sources]
        first_requirement = ""
        if len(peers) > 1:
            # The last peer to connect sends first: that order is the barrier, not a quiet window. A module
            # takes connections in the order they completed (a listen backlog is first in, first out), so
            # before it can present the last peer it has accepted every other one, and a module that presents
            # on connect has presented those first, however late: their 0xCC comes ahead of the last peer's
            # and fails the expect below (a window only catches one that presents within the window).
            peers = [peers[-1], *peers[:-1]]
            first_requirement = (
                "a Cat 1 module presents a client only after it has sent data: after the last peer to connect "
                "sent first, the first 0xCC presents that peer, none of the others"
            )
        else:
            # One peer has no other to be ordered against: watch the line for the quiet window.
            xbee.expect_quiet(
                fr.SocketNewIPv4Client,
                xbee.profile.deadlines.quiet,
                "a Cat 1 module presents a client only after it has sent data",
            )
        within = xbee.profile.deadlines.indication
        late: list[int] = []  # clients whose 0xCC came after their first 0xCD
        for n, client in enumerate(peers):
            client.send(b"x")
            # How soon after the data the 0xCC comes is a silent point: look at what arrived ahead of it.
            ahead: list[fr.SocketReceive] = []
            if xbee.arrives(fr.SocketNewIPv4Client, within):
                for event in xbee.inbox:
                    if isinstance(event, fr.SocketNewIPv4Client):
                        break
                    if isinstance(event, fr.SocketReceive):
                        ahead.append(event)
            frame = xbee.expect(
                Expect(
                    fr.SocketNewIPv4Client,
                    socket_id=listener,
                    client_socket_id=not_equal(listener),
                    remote_address=client.local[0],
                    remote_port=client.local[1],
                ),
                within=within,  # at once when it arrived above; otherwise the wait that fails
                requirement=first_requirement if n == 0 else "",
            )
            assert isinstance(frame, fr.SocketNewIPv4Client)
            if any(e.socket_id == frame.client_socket_id for e in ahead):
                late.append(frame.client_socket_id)
            receive(xbee, frame.client_socket_id, b"x")
            frames.append(frame)
        if late:
            shown = " ".join(f"{c:02X}" for c in late)
            silent.observed(request, CAT1_PRESENTATION, "later", f"0xCC after the first 0xCD for client(s) {shown}")
        else:
            silent.observed(request, CAT1_PRESENTATION, "with-data", "each 0xCC came before its client's first 0xCD")
    else:
        frames = [accept(xbee, peer, listener, XBEE_LISTENER_PORT, source_port=sp)[1] for sp in sources]
    ids = [f.client_socket_id for f in frames]
    assert len(set(ids)) == len(ids) and listener not in ids, (
        f"client socket IDs must be distinct and differ from the listener's {listener:02X}: got {ids}"
    )


@case(
    "XBEE-LISTEN-06",
    "the peer's bytes arrive as 0xCD: frame ID 00, the client's socket ID, status 00, payload whole and in order",
    verifies=(
        "XBEE-SEED-INTRO",
        "XBEE-SEED-STEP-5-NC",
        "XBEE-SEED-STEP-7",
        "XBEE-SEED-STEP-7-TEXT",
        "XBEE-SEED-STEP-7-FRAME-TYPE",
        "XBEE-SEED-STEP-7-SOCKET-ID",
        "XBEE-SEED-STEP-7-STATUS",
        "XBEE-SEED-STEP-7-PAYLOAD",
        "XBEE-SEED-STEP-7-BYTES",
        "XBEE-SPEC-UNSOLICITED-FRAME-ID",
        "XBEE-SEED-NOTE-3",
    ),
)
@pytest.mark.parametrize(
    "size", [0, 1, 255, 1499, 1500, 4000], ids=["seed", "1B", "255B", "1499B", "1500B", "4000B-split"]
)
def test_receive(xbee: XBeeSession, peer: Peer, api_mode: int, size: int) -> None:
    listener = open_listener(xbee, XBEE_LISTENER_PORT)
    payload = XBEE_LISTENER_PAYLOAD if size == 0 else pattern(size)
    client, new = accept(xbee, peer, listener, XBEE_LISTENER_PORT)
    client.send(payload)
    frames = receive(xbee, new.client_socket_id, payload)
    if size == 0 and new.client_socket_id == 1 and len(frames) == 1:
        xbee.expect_bytes(xbee.wire(SEED["receive"]), "Hello XBee! arrives as the seed's 0xCD bytes")


@case(
    "XBEE-LISTEN-07",
    "when the peer closes, 0xCF reports 07 (connection lost) for the client and its ID is freed (0x43 on it: 20)",
    verifies=(
        "XBEE-SEED-STEP-8",
        "XBEE-SEED-STEP-8-TEXT-1",
        "XBEE-SEED-STEP-8-FRAME-TYPE",
        "XBEE-SEED-STEP-8-SOCKET-ID",
        "XBEE-SEED-STEP-8-STATUS",
        "XBEE-SEED-STEP-8-BYTES",
        "XBEE-SEED-STEP-8-TEXT-2",
        "XBEE-SPEC-PEER-CLOSES",
        "XBEE-SPEC-SOCKET-STATUS-FATAL",
    ),
)
def test_connection_lost(xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    listener = open_listener(xbee, XBEE_LISTENER_PORT)
    client, new = accept(xbee, peer, listener, XBEE_LISTENER_PORT)
    client.close()
    connection_lost(xbee, new.client_socket_id)
    if new.client_socket_id == 1:
        xbee.expect_bytes(xbee.wire(SEED["connection_lost"]), "connection lost is the seed's 7E 00 03 CF 01 07 28")
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketClose(fid, new.client_socket_id),
        Expect(
            fr.SocketCloseResponse,
            frame_id=fid,
            socket_id=new.client_socket_id,
            status=SocketCloseStatus.BAD_SOCKET_ID,
        ),
        requirement="after 0xCF the client socket ID is freed: closing it answers 20 (bad socket ID)",
    )
