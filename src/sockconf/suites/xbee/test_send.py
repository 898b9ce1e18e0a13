"""XBEE-SEND: Socket Send (0x44 → 0x89, spec §1 payload limit and frame ID 0, §3.2, §4 "send on listener").

Sent on both kinds of connected TCP socket: one the DUT connected (0x42) and one a listener accepted (0xCC).
What counts is what reaches the peer: the bytes, whole and in order.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import pytest

from sockconf.harness.cases import case
from sockconf.harness.expect import ConformanceFailure, Expect, not_equal, show_bytes
from sockconf.harness.peer import Peer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import encode
from sockconf.protocol.xbee.status import TransmitStatusCode
from sockconf.suites.xbee.exchange import (
    connection_to,
    create_tcp,
    error_status,
    open_listener,
    pattern,
    payload_limit,
    send,
)

LISTEN_PORT = 10021
VIA = ["connect", "accept"]


@case(
    "XBEE-SEND-01",
    "Socket Send of 1 to 1500 bytes is answered 0x89 status 00 with its frame ID, and the bytes reach the peer whole",
    verifies=("XBEE-SPEC-SEND-0x44", "XBEE-SPEC-MAX-PAYLOAD", "XBEE-SPEC-TX-STATUS", "XBEE-SPEC-ECHO"),
)
@pytest.mark.parametrize("size", [1, 255, 1500], ids=lambda n: f"{n}B")
@pytest.mark.parametrize("via", VIA)
def test_send(xbee: XBeeSession, peer: Peer, api_mode: int, via: str, size: int) -> None:
    sid, conn = connection_to(xbee, peer, via, LISTEN_PORT)
    payload = pattern(size)
    send(xbee, sid, payload, requirement=xbee.requirement)
    got = conn.recv_exactly(size, xbee.profile.deadlines.indication, xbee.requirement)
    if got != payload:
        raise ConformanceFailure(xbee.requirement, [show_bytes(payload)], [show_bytes(got)], ["payload differs"])


@case(
    "XBEE-SEND-02",
    "Socket Sends written back to back are each answered 0x89 00 with their own frame ID, and their bytes reach "
    "the peer in order",
    verifies=("XBEE-SPEC-SEND-0x44", "XBEE-SPEC-ECHO"),
)
@pytest.mark.parametrize("via", VIA)
def test_sends_in_order(xbee: XBeeSession, peer: Peer, api_mode: int, via: str) -> None:
    sid, conn = connection_to(xbee, peer, via, LISTEN_PORT)
    payloads = [f"[{n:02d}:".encode() + pattern(n * 7) + b"]" for n in range(12)]
    fids = [xbee.next_frame_id() for _ in payloads]
    frames = [fr.SocketSend(f, sid, p) for f, p in zip(fids, payloads, strict=True)]
    sent = xbee.send_raw(
        b"".join(encode(f, xbee.api_mode) for f in frames),
        note=f"{len(frames)} Socket Sends in one write",
        requests=frames,
    )
    # Each 0x89 is taken by its frame ID: the order of the replies is not documented (XBEE-SILENT-REPLY-ORDER);
    # the order that counts is that of the bytes at the peer.
    for fid, exchange in zip(fids, sent, strict=True):
        exchange.expect(Expect(fr.TransmitStatus, frame_id=fid, status=TransmitStatusCode.SUCCESS))
    xbee.record_reply_order(sent)
    expected = b"".join(payloads)
    got = conn.recv_exactly(len(expected), xbee.profile.deadlines.indication, xbee.requirement)
    if got != expected:
        first = next(i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b)
        raise ConformanceFailure(
            xbee.requirement,
            [show_bytes(expected[first:])],
            [show_bytes(got[first:])],
            [f"the bytes at the peer differ from byte {first}"],
        )


@case(
    "XBEE-SEND-03",
    "Socket Send of one byte more than the payload limit (1501) is answered 0x89 status 74 and sends nothing",
    kind="negative",
    verifies=("XBEE-SPEC-MAX-PAYLOAD", "XBEE-SPEC-TX-STATUS"),
)
@pytest.mark.parametrize("via", VIA)
def test_too_long(xbee: XBeeSession, peer: Peer, api_mode: int, via: str) -> None:
    sid, conn = connection_to(xbee, peer, via, LISTEN_PORT)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketSend(fid, sid, pattern(payload_limit(xbee.profile) + 1)),
        Expect(fr.TransmitStatus, frame_id=fid, status=TransmitStatusCode.MESSAGE_TOO_LONG),
    )
    # What reaches the peer first must be the next send, not any part of the refused one.
    marker = b"after the refused send"
    send(xbee, sid, marker)
    got = conn.recv_exactly(len(marker), xbee.profile.deadlines.indication, xbee.requirement)
    if got != marker:
        raise ConformanceFailure(
            xbee.requirement,
            [f"only the next send at the peer: {show_bytes(marker)}"],
            [show_bytes(got)],
            ["bytes of the refused send reached the peer"],
        )


SEND_NOT_CONNECTED = "XBEE-SILENT-SEND-ON-LISTENER"


@case(
    "XBEE-SEND-04",
    "Socket Send on a socket that is not connected (listening, or only created) answers 0x89 with an error "
    "(code UNCONFIRMED; likely 87)",
    kind="negative",
    verifies=("XBEE-SPEC-SEND-NOT-CONNECTED", "XBEE-SPEC-TX-STATUS"),
)
@pytest.mark.parametrize("state", ["listening", "created"])
def test_not_connected(request: pytest.FixtureRequest, xbee: XBeeSession, state: str) -> None:
    sid = open_listener(xbee, LISTEN_PORT) if state == "listening" else create_tcp(xbee)
    fid = xbee.next_frame_id()
    reply = xbee.request(
        fr.SocketSend(fid, sid, b"nobody to send to"),
        Expect(fr.TransmitStatus, frame_id=fid, status=not_equal(TransmitStatusCode.SUCCESS)),
    )
    error_status(
        request, xbee, reply, TransmitStatusCode.SOCKET_NOT_CONNECTED, f"0x44 on a {state}", SEND_NOT_CONNECTED
    )


@case(
    "XBEE-SEND-05",
    "Socket Send on a socket ID that was never created answers 0x89 status 20 (connection not found)",
    kind="negative",
    verifies=("XBEE-SPEC-TX-STATUS",),
)
@pytest.mark.parametrize("socket_id", [0x00, 0x07, 0xFE], ids=lambda s: f"sock{s:02X}")
def test_unknown_socket(xbee: XBeeSession, socket_id: int) -> None:
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketSend(fid, socket_id, b"x"),
        Expect(fr.TransmitStatus, frame_id=fid, status=TransmitStatusCode.CONNECTION_NOT_FOUND),
    )


@case(
    "XBEE-SEND-06",
    "with frame ID 0, Socket Send sends no 0x89, and the bytes still reach the peer",
    verifies=("XBEE-SPEC-FRAME-ID-0", "XBEE-SPEC-SEND-0x44"),
)
@pytest.mark.parametrize("via", VIA)
def test_frame_id_zero(xbee: XBeeSession, peer: Peer, api_mode: int, via: str) -> None:
    sid, conn = connection_to(xbee, peer, via, LISTEN_PORT)
    payload = b"sent with frame ID 0 \x7e\x7d"
    suppressed = xbee.exchange(fr.SocketSend(0, sid, payload))
    xbee.expect_no_reply(suppressed, xbee.requirement)
    got = conn.recv_exactly(len(payload), xbee.profile.deadlines.indication, xbee.requirement)
    if got != payload:
        raise ConformanceFailure(xbee.requirement, [show_bytes(payload)], [show_bytes(got)], ["payload differs"])
