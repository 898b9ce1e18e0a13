"""XBEE-CLOSE: Socket Close (0x43 → 0xC3, spec §2, §3.1, §4 "close listener"; Digi's bytes in §5).

A close is checked where it shows: the socket ID is freed (0x43 on it again answers 20) and the network
side is gone (the port refuses connections, the peer's end of a connection sees it closed).

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import contextlib

import pytest

from sockconf.data.vectors.xbee import XBEE_UDP_EXAMPLE
from sockconf.harness import contradictions, silent
from sockconf.harness.cases import case
from sockconf.harness.expect import ANY, ConformanceFailure, Expect, describe, not_equal
from sockconf.harness.peer import Peer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import Protocol, SocketCloseStatus, SocketStatusCode
from sockconf.protocol.xbee.status import describe as describe_status
from sockconf.suites.xbee.exchange import (
    RECEIVE_FRAME_ID,
    accept,
    close,
    connect_to_peer,
    connection_to,
    create,
    freed,
    host_close_status,
    listen,
    listener_gone,
    on_field,
    open_listener,
    receive,
    require,
    send,
)

PORT = 10041
UDP_PORT = 10042


@case(
    "XBEE-CLOSE-01",
    "Socket Close is answered 0xC3 with its frame ID, the socket ID and status 00 (Digi: 7E 00 04 C3 01 00 00 3B), "
    "and the ID is freed",
    verifies=("XBEE-SPEC-CLOSE-0x43", "XBEE-SPEC-CLOSE-STATUS", "XBEE-SPEC-UDP-EXAMPLE", "XBEE-SPEC-ECHO"),
)
@pytest.mark.parametrize("protocol", [Protocol.TCP, Protocol.UDP], ids=["TCP", "UDP"])
def test_close(xbee: XBeeSession, api_mode: int, protocol: Protocol) -> None:
    if protocol == Protocol.UDP:
        require(xbee, "udp")
    sid = create(xbee, protocol)
    if sid == 0:
        xbee.send_raw(xbee.wire(XBEE_UDP_EXAMPLE["close"]), note="Digi's Socket Close: 7E 00 03 43 01 00 BB")
    else:
        xbee.send(fr.SocketClose(1, sid))
    xbee.expect(Expect(fr.SocketCloseResponse, frame_id=1, socket_id=sid, status=SocketCloseStatus.SUCCESS))
    if sid == 0:
        xbee.expect_bytes(xbee.wire(XBEE_UDP_EXAMPLE["close_response"]), "the 0xC3 is 7E 00 04 C3 01 00 00 3B")
    freed(xbee, sid, "a closed socket's ID is freed: closing it again answers 20 (bad socket ID)")


CLOSE_ALL = "XBEE-SILENT-CLOSE-ALL-REPLY"
REPLY_COUNT = "XBEE-SILENT-REPLY-COUNT"


def _close_all_choice(replies: list[fr.Frame], opened: list[int]) -> tuple[str, str]:
    """The XBEE-SILENT-CLOSE-ALL-REPLY choice the replies to one 0x43 FF make, and what showed it."""
    # The same reply again is XBEE-SILENT-REPLY-COUNT's business (recorded by the case), not another answer.
    pairs = list(dict.fromkeys((f.socket_id, f.status) for f in replies if isinstance(f, fr.SocketCloseResponse)))
    shown = ", ".join(f"{sid:02X} status {status:02X}" for sid, status in pairs) or "no 0xC3"
    ok = SocketCloseStatus.SUCCESS
    if not pairs:
        return "none", shown
    if pairs == [(0xFF, ok)]:
        return "reply-ff", "0xC3 with socket ID FF, status 00"
    if sorted(p for p in pairs if p != (0xFF, ok)) == sorted((sid, ok) for sid in opened):
        return "per-socket", f"one 0xC3 per socket it closed: {shown}"
    return "other", shown


@case(
    "XBEE-CLOSE-02",
    "Socket Close with socket ID FF closes every socket: listeners stop listening, connections close, IDs are freed",
    verifies=("XBEE-SPEC-CLOSE-0x43", "XBEE-SPEC-CLOSE-LISTENER"),
)
def test_close_all(request: pytest.FixtureRequest, xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    listener = open_listener(xbee, PORT)
    client, new = accept(xbee, peer, listener, PORT)
    out, _, conn = connect_to_peer(xbee, peer)
    ids = [listener, new.client_socket_id, out]
    if xbee.profile.has("udp"):
        ids.append(create(xbee, Protocol.UDP))
        listen(xbee, ids[-1], UDP_PORT)
    # How many frames answer 0x43 FF (none, one, one per socket) is a silent point: every 0xC3 with its
    # frame ID is collected until the AT query behind it is answered (and the quiet window passed, for a
    # DUT whose replies overtake one another); ones that come later still reach this request.
    close_all = xbee.exchange(fr.SocketClose(xbee.next_frame_id(), 0xFF))
    query = xbee.barrier()
    close_all.collect(barrier=query)
    xbee.expect_barrier(query)
    within = xbee.profile.deadlines.indication
    for end, what in ((client, "the accepted client"), (conn, "the outgoing connection")):
        if not end.wait_closed(within):
            raise ConformanceFailure(xbee.requirement, [f"{what} is closed at the peer"], ["still open"])
    listener_gone(peer, PORT, xbee.requirement)
    for sid in ids:
        freed(xbee, sid, f"after 0x43 FF socket {sid:02X} is freed: closing it answers 20 (bad socket ID)")
    # Judged from every reply the request drew by now, late ones included.
    strangers = [
        f for f in close_all.replies if isinstance(f, fr.SocketCloseResponse) and f.socket_id not in (*ids, 0xFF)
    ]
    if strangers:
        raise ConformanceFailure(
            "0x43 FF is answered about the sockets it closed (or FF)",
            [f"0xC3 with socket ID FF or one of {' '.join(f'{i:02X}' for i in ids)}"],
            [describe(f) for f in strangers],
            ["a reply about a socket the case never opened"],
        )
    choice, shown = _close_all_choice(close_all.replies, ids)
    silent.observed(request, CLOSE_ALL, choice, shown)
    if len(set(close_all.replies)) < len(close_all.replies):
        shown = f"0x43 FF: the same 0xC3 more than once ({len(close_all.replies)} in all)"
        xbee.observe(REPLY_COUNT, "repeated", shown)
    xbee.record_reply_order([close_all, query])


@case(
    "XBEE-CLOSE-03",
    "after Socket Close on a listener, its port refuses connections",
    verifies=("XBEE-SPEC-CLOSE-0x43", "XBEE-SPEC-CLOSE-LISTENER"),
)
def test_close_listener(xbee: XBeeSession, peer: Peer, api_mode: int) -> None:
    listener = open_listener(xbee, PORT)
    since = xbee.arrivals
    close(xbee, listener, xbee.requirement)
    listener_gone(peer, PORT, xbee.requirement)
    host_close_status(xbee, listener, since)


@case(
    "XBEE-CLOSE-04",
    "Socket Close on a socket ID that is not open is answered 0xC3 status 20 (bad socket ID)",
    kind="negative",
    verifies=("XBEE-SPEC-CLOSE-STATUS",),
)
@pytest.mark.parametrize("socket_id", [0x00, 0x07, 0xFE], ids=lambda s: f"sock{s:02X}")
def test_bad_socket(xbee: XBeeSession, socket_id: int) -> None:
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketClose(fid, socket_id),
        Expect(fr.SocketCloseResponse, frame_id=fid, socket_id=socket_id, status=SocketCloseStatus.BAD_SOCKET_ID),
    )


@case(
    "XBEE-CLOSE-05",
    "Socket Close on a connected socket closes the TCP connection: the peer sees it closed",
    verifies=("XBEE-SPEC-CLOSE-0x43", "XBEE-SPEC-ACCEPT"),
)
@pytest.mark.parametrize("via", ["connect", "accept"])
def test_close_connection(xbee: XBeeSession, peer: Peer, api_mode: int, via: str) -> None:
    sid, conn = connection_to(xbee, peer, via, PORT)
    since = xbee.arrivals
    close(xbee, sid, xbee.requirement)
    if not conn.wait_closed(xbee.profile.deadlines.indication):
        raise ConformanceFailure(xbee.requirement, ["the connection is closed at the peer"], ["still open"])
    host_close_status(xbee, sid, since)


LISTENER_CLOSE = "XBEE-SILENT-LISTENER-CLOSE-CLIENTS"
PROBE = b"still connected?"


@case(
    "XBEE-CLOSE-06",
    "Socket Close on a listener with an accepted client: the port refuses connections, and the client either stays "
    "connected (bytes flow both ways) or is reported closed by 0xCF, its ID freed and the peer's connection closed",
    verifies=("XBEE-SPEC-CLOSE-0x43", "XBEE-SPEC-CLOSE-LISTENER"),
)
def test_close_listener_with_client(
    request: pytest.FixtureRequest, xbee: XBeeSession, peer: Peer, api_mode: int
) -> None:
    listener = open_listener(xbee, PORT)
    client, new = accept(xbee, peer, listener, PORT)
    cid = new.client_socket_id
    since = xbee.arrivals
    close(xbee, listener, xbee.requirement)
    listener_gone(peer, PORT, xbee.requirement)
    # What becomes of the client is a silent point. The peer sends; whichever the module shows first within
    # the indication deadline tells: the bytes (0xCD: the client stayed) or the client's end (0xCF).
    with contextlib.suppress(OSError):  # the module reset the connection already: its 0xCF is what counts
        client.send(PROBE)
    within = xbee.profile.deadlines.indication
    with contradictions.settled(RECEIVE_FRAME_ID, when=on_field("frame_id")):
        first = xbee.expect(
            Expect(fr.SocketReceive, frame_id=0, socket_id=cid, status=0, payload=ANY),
            Expect(fr.SocketStatus, socket_id=cid, status=not_equal(SocketStatusCode.CONNECTED)),
            within=within,
            requirement=f"after its listener is closed, client {cid:02X} either still receives (0xCD) or is "
            "reported closed (0xCF)",
        )
    if isinstance(first, fr.SocketStatus):
        if not client.wait_closed(within):
            raise ConformanceFailure(
                xbee.requirement,
                [f"the peer's connection is closed once 0xCF reports client {cid:02X} closed"],
                [f"still open after {within:g} s"],
            )
        freed(xbee, cid, f"a client reported closed by 0xCF is freed: closing {cid:02X} answers 20 (bad socket ID)")
        # Any status but 00 reports the end; Digi's libraries name 0B (listener closed) for this one.
        named = " (the code Digi's libraries name for it)" if first.status == SocketStatusCode.LISTENER_CLOSED else ""
        shown = f"0xCF {describe_status(first.status)}{named} for client {cid:02X} once its listener was closed"
        silent.observed(request, LISTENER_CLOSE, "closed", shown)
        host_close_status(xbee, listener, since)
        return
    assert isinstance(first, fr.SocketReceive)
    if not PROBE.startswith(first.payload):
        raise ConformanceFailure(xbee.requirement, [f"0xCD with {PROBE!r}"], [f"0xCD with {first.payload!r}"])
    if len(first.payload) < len(PROBE):
        receive(xbee, cid, PROBE[len(first.payload) :])
    send(xbee, cid, PROBE, xbee.requirement)
    client.recv_exactly(len(PROBE), within, "the host's bytes reach the peer of a client whose listener is closed")
    silent.observed(request, LISTENER_CLOSE, "kept", f"client {cid:02X} still sends and receives")
    host_close_status(xbee, listener, since)
