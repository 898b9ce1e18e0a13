"""XBEE-FRAMING: API framing under bad input (spec §1): bad checksum, garbage, cut and over-long frames,
escaped checksums in AP=2, unknown frame types, and frames in odd chunkings.

Each case sends the bad input, then a good request, and expects the documented reaction and a DUT that
still answers. "No answer" is checked with a barrier (a request whose reply proves everything before it
was handled; for a DUT whose replies overtake one another, with the quiet window after it), never with a
fixed wait. Every bad frame carries one frame ID (``BAD_FRAME_ID``): a reply with it answers the bad
frame. A DUT that answered the case setup and nothing after the bad input FAILs here, rather than looking
INCONCLUSIVE.

Where the documents leave the reaction open, the DUT's is recorded on a silent point: a bad checksum
discarded or acted on (cellular: UNCONFIRMED), a frame of an unknown type ignored or answered, and in AP=1,
where a receiver can only tell a cut or over-long frame from one still arriving by an idle gap on the line
(the emulator gives up after 0.1 s), whether the good frame behind it is answered or swallowed. In AP=2 the
next 7E starts a new frame, so a good frame lost there FAILs.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.expect import ConformanceFailure, Expect
from sockconf.harness.xbee import XBeeSession
from sockconf.harness.xbee.session import Exchange
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import ESCAPED_BYTES, checksum, encode, escape
from sockconf.protocol.xbee.status import ATCommandStatus, Protocol, SocketCloseStatus, SocketCreateStatus
from sockconf.suites.xbee.exchange import answered_after_bad_input, describe_frames, strays, unprompted_modem_status

BAD_FRAME_ID = 0x5A  # the frame ID of every bad frame: a reply carrying it means the bad frame was acted on
BAD_CHECKSUM = "XBEE-SILENT-BAD-CHECKSUM"
AP1_CUT_FRAME = "XBEE-SILENT-AP1-CUT-FRAME"
UNKNOWN_FRAME_TYPE = "XBEE-SILENT-UNKNOWN-FRAME-TYPE"


def _wire(body: bytes, api_mode: int) -> bytes:
    """Delimiter + ``body`` (length, data, checksum: any of them possibly wrong), escaped when AP=2."""
    return b"\x7e" + (escape(body) if api_mode == 2 else body)


def _length(n: int) -> bytes:
    return n.to_bytes(2, "big")


def _still_works(xbee: XBeeSession, what: str) -> None:
    """A request of another type than anything pending is answered (stale replies cannot be mistaken for it)."""
    fid = xbee.next_frame_id()
    with answered_after_bad_input(xbee, what):
        xbee.request(
            fr.SocketClose(fid, 0xFE),
            Expect(fr.SocketCloseResponse, frame_id=fid, socket_id=0xFE, status=SocketCloseStatus.BAD_SOCKET_ID),
            requirement=f"after {what} the DUT still answers (0x43 on a closed socket → 0xC3 status 20)",
        )


def _answered(xbee: XBeeSession, bad: Exchange, what: str, requirement: str) -> list[fr.Frame]:
    """Once the DUT has answered a barrier sent after ``what`` (and settled): the frames that answered the
    bad frame (its frame ID). The barrier must be answered: a DUT that hangs on bad input FAILs."""
    with answered_after_bad_input(xbee, what):
        xbee.settled(requirement)
    return bad.replies


BAD_CHECKSUMS = {
    # A Socket Create whose checksum does not match its data: acting on it would answer 0xC0.
    "checksum+1": lambda data: data + bytes(((checksum(data) + 1) & 0xFF,)),
    "checksum-00": lambda data: data + (b"\x01" if checksum(data) == 0 else b"\x00"),
    "data-bit-flipped": lambda data: data[:-1] + bytes((data[-1] ^ 0x04,)) + bytes((checksum(data),)),
}


@case(
    "XBEE-FRAMING-01",
    "a frame with a bad checksum is discarded (no answer; UNCONFIRMED on cellular) and the next good frame is answered",
    kind="negative",
    verifies=("XBEE-SPEC-BAD-CHECKSUM",),
)
@pytest.mark.parametrize("bad", sorted(BAD_CHECKSUMS))
def test_bad_checksum(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int, bad: str) -> None:
    data = fr.SocketCreate(BAD_FRAME_ID, Protocol.TCP).to_data()
    body = _length(len(data)) + BAD_CHECKSUMS[bad](data)
    watch = xbee.watch(BAD_FRAME_ID, f"the Socket Create with a bad checksum ({bad})")
    xbee.send_raw(_wire(body, xbee.api_mode), note=f"Socket Create with a bad checksum ({bad})", requests=())
    answered = _answered(xbee, watch, "a frame with a bad checksum", "the good frame after a bad checksum is answered")
    if answered:
        shown = "; ".join(describe_frames(answered))
        silent.observed(request, BAD_CHECKSUM, "acted-on", f"a frame with a bad checksum ({bad}) was answered: {shown}")
    else:
        silent.observed(request, BAD_CHECKSUM, "discarded", f"no reply to a frame with a bad checksum ({bad})")


GARBAGE = {
    "zeros": b"\x00" * 16,
    "ascii": b"ATAP\r\nhello\r\n",
    "high-bytes": bytes(range(0x80, 0x100)),
    "escape-bytes": b"\x7d\x11\x13\x7d\x5e\x7d",
}


@case(
    "XBEE-FRAMING-02",
    "bytes before a 7E are skipped: garbage then a good frame in one write, and only the good frame is answered",
    kind="negative",
    verifies=("XBEE-SPEC-GARBAGE",),
)
@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_garbage_before_frame(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int, garbage: str) -> None:
    since = xbee.arrivals
    frame = fr.ATCommand(xbee.next_frame_id(), b"AP")
    (query,) = xbee.send_raw(
        GARBAGE[garbage] + encode(frame, xbee.api_mode),
        note=f"garbage ({garbage}), then {frame.NAME}",
        requests=[frame],
    )
    with answered_after_bad_input(xbee, "garbage"):
        xbee.expect_barrier(query)
    xbee.settle(query)
    # A reply no request owns answers the garbage; a 0x8A is the module's own news, no answer.
    answered = strays(xbee, since)
    if answered:
        raise ConformanceFailure(
            xbee.requirement,
            ["only the reply to the good frame"],
            describe_frames(answered),
            ["the garbage was answered"],
        )
    unprompted_modem_status(xbee, since)


def _then_good(request: pytest.FixtureRequest, xbee: XBeeSession, bad: bytes, declared: int, what: str) -> None:
    """``bad`` and a good frame in one write: the good one must be answered (AP=1: UNCONFIRMED, see the module)."""
    frame = fr.ATCommand(xbee.next_frame_id(), b"AP")
    (query,) = xbee.send_raw(bad + encode(frame, xbee.api_mode), note=f"{what}, then {frame.NAME}", requests=[frame])
    if xbee.api_mode == 2:
        with answered_after_bad_input(xbee, what):
            xbee.expect_barrier(query, f"AP=2: the 7E of the next frame ends {what}; that frame is answered")
        return
    # AP=1: the module may need the line to go idle before it gives the cut frame up: the full reply deadline.
    if xbee.arrives(query, xbee.profile.deadlines.reply):
        xbee.expect_barrier(query)
        silent.observed(request, AP1_CUT_FRAME, "idle-timeout", f"the good frame after {what} was answered")
        return
    silent.observed(
        request,
        AP1_CUT_FRAME,
        "swallowed",
        f"the good frame after {what} was not answered within {xbee.profile.deadlines.reply:g} s "
        "(taken as the rest of the cut frame)",
    )
    # Complete whatever frame the module still collects; the surplus zeros are garbage it skips.
    xbee.send_raw(b"\x00" * (declared + 4), note="filler: completes the frame the module may still be collecting")
    _still_works(xbee, what)


@case(
    "XBEE-FRAMING-03",
    "a frame cut short, followed by a good frame: the good frame is answered (AP=1: after an idle gap; UNCONFIRMED)",
    kind="negative",
    verifies=("XBEE-SPEC-FRAME-LAYOUT", "XBEE-SPEC-GARBAGE"),
)
def test_truncated_frame(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int) -> None:
    declared = 0x100  # a Socket Send that announces 256 bytes and stops after a few
    cut = _length(declared) + bytes((0x44, BAD_FRAME_ID, 0x00, 0x00)) + b"cut"
    _then_good(request, xbee, _wire(cut, xbee.api_mode), declared, "a frame cut short")


@case(
    "XBEE-FRAMING-04",
    "a frame whose length exceeds its data, then a good frame: the good frame is answered (AP=1: UNCONFIRMED)",
    kind="negative",
    verifies=("XBEE-SPEC-FRAME-LAYOUT", "XBEE-SPEC-GARBAGE"),
)
def test_length_longer_than_data(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int) -> None:
    data = fr.ATCommand(BAD_FRAME_ID, b"AI").to_data()
    declared = 0x40  # complete with its checksum, but announcing 64 bytes of data
    body = _length(declared) + data + bytes((checksum(data),))
    _then_good(request, xbee, _wire(body, xbee.api_mode), declared, "a frame whose length exceeds its data")


def _frame_id_for(make: Callable[[int], fr.Frame], wanted: int) -> int:
    """The frame ID that gives a frame built by ``make(fid)`` the checksum ``wanted``."""
    for fid in range(1, 256):
        if checksum(make(fid).to_data()) == wanted:
            return fid
    raise AssertionError(f"no frame ID gives checksum {wanted:02X}")


@case(
    "XBEE-FRAMING-05",
    "AP=2: a checksum byte that needs escaping (7E 7D 11 13) is escaped both ways: such a request is answered, "
    "such a reply is escaped",
    verifies=("XBEE-SPEC-FRAME-AP2",),
)
@pytest.mark.parametrize("api_mode", [2], ids=["AP2"])
@pytest.mark.parametrize("value", sorted(ESCAPED_BYTES), ids=lambda b: f"cs{b:02X}")
@pytest.mark.parametrize("side", ["request", "reply"])
def test_escaped_checksum(xbee: XBeeSession, api_mode: int, side: str, value: int) -> None:
    mode = bytes((xbee.api_mode,))

    def query(fid: int) -> fr.ATCommand:
        return fr.ATCommand(fid, b"AP")

    def answer(fid: int) -> fr.ATCommandResponse:
        return fr.ATCommandResponse(fid, b"AP", ATCommandStatus.OK, mode)

    fid = _frame_id_for(query if side == "request" else answer, value)
    raw = encode(query(fid), xbee.api_mode)
    xbee.send_raw(
        raw,
        note=f"AT AP query, frame ID {fid:02X}: {'its' if side == 'request' else 'the reply'} checksum is {value:02X}",
    )
    with answered_after_bad_input(xbee, "a frame with an escaped checksum"):
        xbee.expect(Expect(fr.ATCommandResponse, frame_id=fid, command=b"AP", status=ATCommandStatus.OK, value=mode))
    # expect() has checked the reply's bytes are exactly the AP=2 encoding, escaped checksum included.


UNKNOWN_TYPES = {
    "type00": bytes((0x00, BAD_FRAME_ID, 0x01)),
    "type55": bytes((0x55, BAD_FRAME_ID, 0x01, 0x02, 0x03)),
    "typeEE": bytes((0xEE, BAD_FRAME_ID)),
    "typeC0-a-reply": fr.SocketCreateResponse(BAD_FRAME_ID, 0x00, SocketCreateStatus.SUCCESS).to_data(),
}


@case(
    "XBEE-FRAMING-06",
    "a frame of a type the module does not take is ignored or answered (UNCONFIRMED), and the module still answers "
    "the next frame",
    kind="negative",
    verifies=("XBEE-SPEC-FRAME-LAYOUT",),
)
@pytest.mark.parametrize("kind", sorted(UNKNOWN_TYPES))
def test_unknown_frame_type(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int, kind: str) -> None:
    data = UNKNOWN_TYPES[kind]
    since = xbee.arrivals
    watch = xbee.watch(BAD_FRAME_ID, f"the frame of type {data[0]:02X}")
    xbee.send_raw(
        _wire(_length(len(data)) + data + bytes((checksum(data),)), xbee.api_mode),
        note=f"a frame of type {data[0]:02X}",
        requests=(),
    )
    what = f"a frame of type {data[0]:02X}"
    answered = _answered(xbee, watch, what, f"the good frame after {what} is answered")
    if answered:
        shown = "; ".join(describe_frames(answered))
        silent.observed(request, UNKNOWN_FRAME_TYPE, "answered", f"{what} was answered: {shown}")
    else:
        silent.observed(request, UNKNOWN_FRAME_TYPE, "ignored", f"no reply to {what}")
    unprompted_modem_status(xbee, since)


SPLIT_REQUESTS = {
    # Frame IDs 7E/7D: in AP=2 the escape and its partner go out in separate writes.
    "socket-create": (
        fr.SocketCreate(0x7E, Protocol.TCP),
        Expect(fr.SocketCreateResponse, frame_id=0x7E, status=SocketCreateStatus.SUCCESS),
    ),
    "at-query": (
        fr.ATCommand(0x7D, b"AI"),
        Expect(fr.ATCommandResponse, frame_id=0x7D, command=b"AI", status=ATCommandStatus.OK),
    ),
}


@case(
    "XBEE-FRAMING-07",
    "a frame written one byte at a time is answered like one written whole",
    verifies=("XBEE-SPEC-FRAME-LAYOUT",),
)
@pytest.mark.parametrize("name", sorted(SPLIT_REQUESTS))
def test_one_byte_writes(xbee: XBeeSession, api_mode: int, name: str) -> None:
    frame, reply = SPLIT_REQUESTS[name]
    raw = encode(frame, xbee.api_mode)
    xbee.send_raw(raw[:1], note=f"{frame.NAME} in {len(raw)} one-byte writes", requests=[frame])
    for byte in raw[1:]:
        xbee.send_raw(bytes((byte,)), requests=())
    xbee.expect(reply)


@case(
    "XBEE-FRAMING-08",
    "many frames in one write are each answered, with their own frame IDs",
    verifies=("XBEE-SPEC-FRAME-LAYOUT", "XBEE-SPEC-ECHO"),
)
def test_many_frames_in_one_write(xbee: XBeeSession, api_mode: int) -> None:
    commands = [b"AP", b"AI", b"MY", b"SH", b"SL", b"VR"]
    fids = [xbee.next_frame_id() for _ in range(len(commands) + 3)]
    at_ids, create_ids = fids[: len(commands)], fids[len(commands) :]
    frames: list[fr.Frame] = [fr.ATCommand(f, c) for f, c in zip(at_ids, commands, strict=True)]
    for i, fid in enumerate(create_ids):  # sockets between the queries
        frames.insert(2 * i + 1, fr.SocketCreate(fid, Protocol.TCP))
    sent = xbee.send_raw(
        b"".join(encode(f, xbee.api_mode) for f in frames), note=f"{len(frames)} frames in one write", requests=frames
    )
    # Each reply is taken by its frame ID: their order is not documented (XBEE-SILENT-REPLY-ORDER).
    by_id = {e.frame_id: e for e in sent}
    for fid, command in zip(at_ids, commands, strict=True):
        by_id[fid].expect(Expect(fr.ATCommandResponse, frame_id=fid, command=command, status=ATCommandStatus.OK))
    for fid in create_ids:
        by_id[fid].expect(Expect(fr.SocketCreateResponse, frame_id=fid, status=SocketCreateStatus.SUCCESS))
    xbee.record_reply_order(sent)
