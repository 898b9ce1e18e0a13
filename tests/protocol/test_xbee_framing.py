"""Self-tests of XBee API framing (protocol/xbee/framing.py): checksum, AP=2 escaping, encode and
the streaming Decoder (chunking, garbage, bad checksums, truncated/malformed/unknown frames).

Known answers are computed by hand in the comments (spec §1), not by the code under test.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sockconf.data.vectors.xbee import XBEE_LISTENER
from sockconf.protocol.xbee import (
    BadChecksum,
    DecodeEvent,
    Decoder,
    Frame,
    Garbage,
    Malformed,
    Truncated,
    checksum,
    encode,
    escape,
    frame_bytes,
    parse_frame_data,
    unescape,
)
from sockconf.protocol.xbee.frames import (
    ATCommand,
    SocketBindListen,
    SocketClose,
    SocketCreate,
    SocketNewIPv4Client,
    SocketSend,
    UnknownFrame,
)
from sockconf.protocol.xbee.status import Protocol
from tests.protocol.test_xbee_frames import SEED_FRAMES, any_frame

# Hypothesis budgets: enough to find edge cases, small enough for a few seconds in all.
QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CREATE_TCP = SocketCreate(frame_id=1, protocol=Protocol.TCP)
CREATE_TCP_WIRE = bytes.fromhex("7E 00 03 40 01 01 BD")  # same in AP=1 and AP=2: nothing to escape

api_modes = st.sampled_from((1, 2))
no_delimiter = st.binary(max_size=24).map(lambda b: b.replace(b"\x7e", b""))


def split(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given offsets (out-of-range and duplicate cuts ignored)."""
    points = sorted({c for c in cuts if 0 < c < len(data)})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def feed_all(decoder: Decoder, chunks: Sequence[bytes]) -> list[Frame | DecodeEvent]:
    events: list[Frame | DecodeEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events


def frames_only(events: Iterable[object]) -> list[Frame]:
    return [e for e in events if isinstance(e, Frame)]


def draw_chunks(data: st.DataObject, wire: bytes) -> list[bytes]:
    """Hypothesis-chosen chunking of ``wire``: a few cuts, or one byte at a time."""
    if data.draw(st.booleans(), label="one byte at a time"):
        return [wire[i : i + 1] for i in range(len(wire))]
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=24), label="cuts")
    return split(wire, cuts)


# --------------------------------------------------------------------------- checksum (spec §1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # 40 01 01: 0x40 + 0x01 + 0x01 = 0x42; 0xFF - 0x42 = 0xBD (seed "create")
        ("40 01 01", 0xBD),
        # C0 01 00 00: 0xC1; 0xFF - 0xC1 = 0x3E (seed "create response")
        ("C0 01 00 00", 0x3E),
        # CC 00 01 0A 0A 4A 9D 27 11: 0xCC+0x01+0x0A+0x0A+0x4A+0x9D+0x27+0x11 = 0x200; low 0x00 -> 0xFF
        ("CC 00 01 0A 0A 4A 9D 27 11", 0xFF),
        # CD 00 01 00 "Hello XBee!\n": 0xCE + 931 (payload) = 1137 = 0x471; 0xFF - 0x71 = 0x8E
        ("CD 00 01 00 48 65 6C 6C 6F 20 58 42 65 65 21 0A", 0x8E),
        # 23 11: 0x34; 0xFF - 0x34 = 0xCB (Digi's escaping example)
        ("23 11", 0xCB),
        # FF FF: 0x1FE, low byte 0xFE; 0xFF - 0xFE = 0x01 (only the low byte counts)
        ("FF FF", 0x01),
        # nothing: 0xFF - 0 = 0xFF
        ("", 0xFF),
    ],
)
def test_checksum_known_answers(data: str, expected: int) -> None:
    assert checksum(bytes.fromhex(data)) == expected


@given(st.binary(max_size=300))
def test_checksum_satisfies_the_receiver_rule(data: bytes) -> None:
    # spec §1: a receiver adds frame data + checksum and expects low byte 0xFF
    assert 0 <= checksum(data) <= 0xFF
    assert (sum(data) + checksum(data)) & 0xFF == 0xFF


@pytest.mark.parametrize("n", [255, 256, 257, 511, 512, 513, 1500, 4096, 65536, 70000])
@pytest.mark.parametrize("fill", [0x00, 0x01, 0x7F, 0xFF])
def test_checksum_of_long_data_at_the_piece_boundaries(n: int, fill: int) -> None:
    # The checksum is taken 256 bytes at a time (zlib.adler32 per piece): the piece edges and the
    # largest sums (all FF) must give the plain rule's answer, for bytes and bytearray alike.
    data = bytes([fill]) * n
    expected = 0xFF - (sum(data) & 0xFF)
    assert checksum(data) == checksum(bytearray(data)) == checksum(memoryview(data)) == expected


@given(st.binary(min_size=200, max_size=3000))
def test_checksum_of_any_long_data_follows_the_rule(data: bytes) -> None:
    assert checksum(data) == 0xFF - (sum(data) & 0xFF)


# --------------------------------------------------------------------------- AP=2 escaping (spec §1)


def test_escape_known_answers() -> None:
    # each of 7E 7D 11 13 -> 7D, byte ^ 0x20: 5E 5D 31 33
    assert escape(bytes.fromhex("7E 7D 11 13")) == bytes.fromhex("7D 5E 7D 5D 7D 31 7D 33")
    # the escaped forms themselves and their neighbours are left alone
    assert escape(bytes.fromhex("00 20 5E 5D 31 33 7F 7C 10 12 14 FF")) == bytes.fromhex(
        "00 20 5E 5D 31 33 7F 7C 10 12 14 FF"
    )
    assert escape(b"") == b""
    assert escape(bytes.fromhex("41 7D 42")) == bytes.fromhex("41 7D 5D 42")


def test_unescape_known_answers() -> None:
    assert unescape(bytes.fromhex("7D 5E 7D 5D 7D 31 7D 33")) == bytes.fromhex("7E 7D 11 13")
    assert unescape(bytes.fromhex("41 7D 5D 42")) == bytes.fromhex("41 7D 42")
    assert unescape(b"") == b""
    # documented: a trailing lone escape byte is dropped
    assert unescape(bytes.fromhex("41 7D")) == b"A"


@given(st.binary(max_size=200))
def test_unescape_inverts_escape(data: bytes) -> None:
    escaped = escape(data)
    assert unescape(escaped) == data
    assert not any(b in escaped for b in (0x7E, 0x11, 0x13))
    assert len(escaped) == len(data) + sum(data.count(b) for b in (0x7E, 0x7D, 0x11, 0x13))


def test_unescape_agrees_with_decoder_on_escaped_escape_byte() -> None:
    # 7D 7D -> 0x7D ^ 0x20 = 0x5D; then 5D is literal: 5D 5D (as Decoder(2) reads it)
    assert unescape(bytes.fromhex("7D 7D 5D")) == bytes.fromhex("5D 5D")


# (frame data, AP=1 wire, AP=2 wire), every checksum and escape worked by hand
ESCAPING_KNOWN_ANSWERS = [
    pytest.param(
        # Digi's own example: data 23 11, checksum 0xFF - 0x34 = 0xCB; the 0x11 becomes 7D 31
        "23 11",
        "7E 00 02 23 11 CB",
        "7E 00 02 23 7D 31 CB",
        id="digi-example-xon-in-data",
    ),
    pytest.param(
        # Seed "new client": port 10001 = 27 11, so AP=2 escapes the 0x11 of the port
        "CC 00 01 0A 0A 4A 9D 27 11",
        "7E 00 09 CC 00 01 0A 0A 4A 9D 27 11 FF",
        "7E 00 09 CC 00 01 0A 0A 4A 9D 27 7D 31 FF",
        id="seed-new-client",
    ),
    pytest.param(
        # Seed "listen": 46 01 00 27 11, checksum 0xFF - 0x7F = 0x80
        "46 01 00 27 11",
        "7E 00 05 46 01 00 27 11 80",
        "7E 00 05 46 01 00 27 7D 31 80",
        id="seed-listen",
    ),
    pytest.param(
        # ATCommand frame 0x7E, "NI", parameter 7D 11 13 "ABCDEFGHI" "V": 17 = 0x11 bytes of data.
        # sum: 08+7E+4E+49 = 0x11D; +7D+11+13 = 0x1BE; +41..49 (9 * 0x45 = 0x26D) = 0x42B; +56 = 0x481
        # checksum 0xFF - 0x81 = 0x7E. So length (00 11), data (7E, 7D, 11, 13) and checksum (7E)
        # all need escaping: 00 7D 31 | 08 7D 5E 4E 49 7D 5D 7D 31 7D 33 41..49 56 | 7D 5E
        "08 7E 4E 49 7D 11 13 41 42 43 44 45 46 47 48 49 56",
        "7E 00 11 08 7E 4E 49 7D 11 13 41 42 43 44 45 46 47 48 49 56 7E",
        "7E 00 7D 31 08 7D 5E 4E 49 7D 5D 7D 31 7D 33 41 42 43 44 45 46 47 48 49 56 7D 5E",
        id="length-data-checksum-all-escaped",
    ),
    pytest.param(
        # 43 01 3E: sum 0x82, checksum 0x7D -> 7D 5D
        "43 01 3E",
        "7E 00 03 43 01 3E 7D",
        "7E 00 03 43 01 3E 7D 5D",
        id="checksum-7D",
    ),
    pytest.param(
        # 43 AA 01: sum 0xEE, checksum 0x11 -> 7D 31
        "43 AA 01",
        "7E 00 03 43 AA 01 11",
        "7E 00 03 43 AA 01 7D 31",
        id="checksum-11",
    ),
    pytest.param(
        # 43 A8 01: sum 0xEC, checksum 0x13 -> 7D 33
        "43 A8 01",
        "7E 00 03 43 A8 01 13",
        "7E 00 03 43 A8 01 7D 33",
        id="checksum-13",
    ),
    pytest.param(
        # 43 02 3F: sum 0x84, checksum 0x7B: nothing to escape, AP=2 equals AP=1
        "43 02 3F",
        "7E 00 03 43 02 3F 7B",
        "7E 00 03 43 02 3F 7B",
        id="nothing-to-escape",
    ),
]


@pytest.mark.parametrize(("data", "ap1", "ap2"), ESCAPING_KNOWN_ANSWERS)
def test_frame_bytes_known_answers(data: str, ap1: str, ap2: str) -> None:
    frame_data = bytes.fromhex(data)
    assert frame_bytes(frame_data, 1) == bytes.fromhex(ap1)
    assert frame_bytes(frame_data, 2) == bytes.fromhex(ap2)
    assert frame_bytes(frame_data) == bytes.fromhex(ap1)  # AP=1 is the default


@pytest.mark.parametrize(("data", "ap1", "ap2"), ESCAPING_KNOWN_ANSWERS)
def test_decoder_known_answers(data: str, ap1: str, ap2: str) -> None:
    for mode, wire in ((1, ap1), (2, ap2)):
        decoder = Decoder(mode)
        (frame,) = decoder.feed(bytes.fromhex(wire))
        assert isinstance(frame, Frame)
        assert frame.to_data() == bytes.fromhex(data)
        assert encode(frame, mode) == bytes.fromhex(wire)
        assert decoder.pending == b""


def test_typed_frame_with_everything_escaped() -> None:
    frame = ATCommand(frame_id=0x7E, command=b"NI", parameter=b"\x7d\x11\x13ABCDEFGHIV")
    assert encode(frame, 2) == bytes.fromhex(
        "7E 00 7D 31 08 7D 5E 4E 49 7D 5D 7D 31 7D 33 41 42 43 44 45 46 47 48 49 56 7D 5E"
    )
    assert Decoder(2).feed(encode(frame, 2)) == [frame]


@pytest.mark.parametrize(
    ("length", "escaped_length"),
    [
        (0x011, "00 7D 31"),
        (0x013, "00 7D 33"),
        (0x07D, "00 7D 5D"),
        (0x07E, "00 7D 5E"),
        (0x511, "05 7D 31"),
        (0x57E, "05 7D 5E"),
        (0x5E0, "05 E0"),  # 0x44 header (4) + the maximum 1500-byte payload
    ],
)
def test_length_bytes_are_escaped(length: int, escaped_length: str) -> None:
    frame = SocketSend(frame_id=1, socket_id=1, payload=b"A" * (length - 4))
    wire = encode(frame, 2)
    assert wire[1:].startswith(bytes.fromhex(escaped_length))
    assert encode(frame, 1)[1:3] == length.to_bytes(2, "big")
    assert Decoder(2).feed(wire) == [frame]
    assert Decoder(1).feed(encode(frame, 1)) == [frame]


def test_maximum_payload_of_delimiters() -> None:
    # 1500 x 0x7E: data 44 01 01 00 + payload, length 1504 = 05 E0 (not escaped);
    # sum = 0x46 + 1500 * 0x7E = 70 + 189000 = 189070 = 738 * 256 + 0x8E -> checksum 0x71
    frame = SocketSend(frame_id=1, socket_id=1, payload=b"\x7e" * 1500)
    wire = encode(frame, 2)
    assert wire == bytes.fromhex("7E 05 E0 44 01 01 00") + b"\x7d\x5e" * 1500 + b"\x71"
    assert len(wire) == 3008
    assert encode(frame, 1) == bytes.fromhex("7E 05 E0 44 01 01 00") + b"\x7e" * 1500 + b"\x71"
    assert Decoder(2).feed(wire) == [frame]
    assert Decoder(1).feed(encode(frame, 1)) == [frame]


# --------------------------------------------------------------------------- round trips


@QUICK
@given(any_frame(), api_modes)
def test_encode_decode_round_trip(frame: Frame, mode: int) -> None:
    wire = encode(frame, mode)
    decoder = Decoder(mode)
    events = decoder.feed(wire)
    assert events == [frame]
    assert type(events[0]) is type(frame)
    assert decoder.pending == b""
    assert decoder.flush() == []


@QUICK
@given(any_frame())
def test_ap2_wire_is_ap1_wire_escaped(frame: Frame) -> None:
    ap1, ap2 = encode(frame, 1), encode(frame, 2)
    assert ap1[0] == ap2[0] == 0x7E
    assert (sum(ap1[3:]) & 0xFF) == 0xFF  # data + checksum
    assert int.from_bytes(ap1[1:3], "big") == len(ap1) - 4 == len(frame.to_data())
    assert unescape(ap2[1:]) == ap1[1:]
    # after the delimiter: no 7E, 11, 13, and every 7D introduces one escaped byte
    body = ap2[1:]
    assert not any(b in body for b in (0x7E, 0x11, 0x13))
    i = body.find(0x7D)
    while i >= 0:
        assert body[i + 1] in (0x5E, 0x5D, 0x31, 0x33)
        i = body.find(0x7D, i + 2)


@THOROUGH
@given(st.lists(any_frame(max_payload=300), min_size=1, max_size=5), api_modes, st.data())
def test_any_chunking_yields_the_same_frames(frames: list[Frame], mode: int, data: st.DataObject) -> None:
    wire = b"".join(encode(f, mode) for f in frames)
    chunks = draw_chunks(data, wire)
    decoder = Decoder(mode)
    assert feed_all(decoder, chunks) == frames
    assert decoder.pending == b""
    assert Decoder(mode).feed(wire) == frames


@pytest.mark.parametrize("mode", [1, 2])
def test_one_byte_writes_of_the_seed_stream(mode: int) -> None:
    expected = [SEED_FRAMES[name] for name in XBEE_LISTENER]
    wire = b"".join(encode(f, mode) for f in expected)
    if mode == 1:
        assert wire == b"".join(XBEE_LISTENER.values())
    decoder = Decoder(mode)
    assert feed_all(decoder, [wire[i : i + 1] for i in range(len(wire))]) == expected
    assert decoder.pending == b""


@THOROUGH
@given(st.lists(any_frame(max_payload=300), min_size=1, max_size=5), st.data(), api_modes)
def test_garbage_between_frames(frames: list[Frame], data: st.DataObject, mode: int) -> None:
    garbage = data.draw(st.lists(no_delimiter, min_size=len(frames) + 1, max_size=len(frames) + 1))
    wire = garbage[0] + b"".join(encode(f, mode) + g for f, g in zip(frames, garbage[1:], strict=True))

    # one feed: exactly one Garbage event per nonempty run, in place
    expected: list[object] = [Garbage(garbage[0])] if garbage[0] else []
    for f, g in zip(frames, garbage[1:], strict=True):
        expected += [f, Garbage(g)] if g else [f]
    assert Decoder(mode).feed(wire) == expected

    # any chunking: the same frames; runs may be reported in pieces, but all of them, and nothing else
    decoder = Decoder(mode)
    events = feed_all(decoder, draw_chunks(data, wire)) + decoder.flush()
    assert frames_only(events) == frames
    assert all(isinstance(e, Frame | Garbage) for e in events)
    assert b"".join(e.raw for e in events if isinstance(e, Garbage)) == b"".join(garbage)


# --------------------------------------------------------------------------- never raises, resyncs


def _encoded(args: tuple[Frame, int]) -> bytes:
    return encode(*args)


def _prefix(args: tuple[Frame, int, int]) -> bytes:
    frame, mode, n = args
    return encode(frame, mode)[:n]


def _corrupted(args: tuple[Frame, int, int, int]) -> bytes:
    frame, mode, at, xor = args
    wire = bytearray(encode(frame, mode))
    wire[at % len(wire)] ^= xor
    return bytes(wire)


junk_piece = st.one_of(
    st.binary(max_size=64),
    st.lists(st.sampled_from((0x7E, 0x7D, 0x11, 0x13, 0x00, 0xFF, 0x10, 0x5E)), max_size=32).map(bytes),
    st.tuples(any_frame(max_payload=40), api_modes).map(_encoded),
    st.tuples(any_frame(max_payload=40), api_modes, st.integers(0, 60)).map(_prefix),
    st.tuples(any_frame(max_payload=40), api_modes, st.integers(0, 99), st.integers(1, 255)).map(_corrupted),
)
junk = st.lists(junk_piece, max_size=8).map(b"".join)


@THOROUGH
@given(junk, api_modes, st.data())
def test_decoder_never_raises_and_resyncs_after_flush(noise: bytes, mode: int, data: st.DataObject) -> None:
    decoder = Decoder(mode)
    events = feed_all(decoder, draw_chunks(data, noise)) + decoder.flush()
    assert all(isinstance(e, Frame | DecodeEvent) for e in events)
    assert decoder.pending == b""
    frame = data.draw(any_frame(max_payload=100), label="frame")
    assert decoder.feed(encode(frame, mode)) == [frame]


@QUICK
@given(st.binary(max_size=300), api_modes, st.data())
def test_decoder_never_raises_on_arbitrary_bytes(noise: bytes, mode: int, data: st.DataObject) -> None:
    decoder = Decoder(mode)
    events = feed_all(decoder, draw_chunks(data, noise)) + decoder.flush()
    assert all(isinstance(e, Frame | DecodeEvent) for e in events)
    assert decoder.pending == b""
    assert decoder.feed(CREATE_TCP_WIRE) == [CREATE_TCP]


@THOROUGH
@given(junk, st.data())
def test_ap2_resyncs_on_the_next_delimiter_without_flush(noise: bytes, data: st.DataObject) -> None:
    # With escaping, 0x7E only ever starts a frame, so a good frame right after any junk is
    # decoded at once.
    frame = data.draw(any_frame(max_payload=100), label="frame")
    decoder = Decoder(2)
    events = feed_all(decoder, draw_chunks(data, noise + encode(frame, 2)))
    assert events
    assert events[-1] == frame
    assert decoder.pending == b""


@THOROUGH
@given(junk, st.data())
def test_ap1_every_byte_is_accounted_for_once(noise: bytes, data: st.DataObject) -> None:
    # DecodeEvent.raw is "exactly what was consumed": walking the events (plus flush) over the
    # input must consume it exactly, nothing lost, nothing reported twice.
    decoder = Decoder(1)
    events = feed_all(decoder, draw_chunks(data, noise)) + decoder.flush()
    pos = 0
    for event in events:
        if isinstance(event, DecodeEvent):
            assert noise.startswith(event.raw, pos), (pos, event)
            pos += len(event.raw)
        else:
            # a frame: 7E, length (2, big-endian), data, checksum
            assert noise[pos] == 0x7E
            length = int.from_bytes(noise[pos + 1 : pos + 3], "big")
            assert parse_frame_data(noise[pos + 3 : pos + 3 + length]) == event
            pos += length + 4
    assert pos == len(noise)


# --------------------------------------------------------------------------- bad input, by example


@pytest.mark.parametrize("mode", [1, 2])
def test_bad_checksum_then_good_frame(mode: int) -> None:
    bad = bytes.fromhex("7E 00 03 40 01 01 BC")  # checksum should be BD
    decoder = Decoder(mode)
    events = decoder.feed(bad + CREATE_TCP_WIRE)
    assert events == [
        BadChecksum(raw=bad, frame_data=bytes.fromhex("40 01 01"), expected=0xBD, actual=0xBC),
        CREATE_TCP,
    ]
    assert events[0].describe() == "checksum: expected BD, got BC"  # type: ignore[union-attr]


def test_bad_escaped_checksum_ap2() -> None:
    # Digi's example 23 11 with checksum 7E (sent as 7D 5E) instead of CB
    bad = bytes.fromhex("7E 00 02 23 7D 31 7D 5E")
    events = Decoder(2).feed(bad + CREATE_TCP_WIRE)
    assert events == [
        BadChecksum(raw=bad, frame_data=bytes.fromhex("23 11"), expected=0xCB, actual=0x7E),
        CREATE_TCP,
    ]


def test_truncated_then_good_frame_ap2_at_once() -> None:
    cut = bytes.fromhex("7E 00 05 46 01")  # a listen frame cut after its frame ID
    decoder = Decoder(2)
    events = decoder.feed(cut + CREATE_TCP_WIRE)
    assert len(events) == 2
    assert isinstance(events[0], Truncated)
    assert events[0].raw == cut
    assert events[0].describe().startswith("truncated frame (")
    assert events[1] == CREATE_TCP
    assert decoder.flush() == []


def test_truncated_then_good_frame_ap1_after_flush() -> None:
    # declared length 0x20 is longer than everything that follows: AP=1 cannot tell a cut frame
    # from one still arriving, so it waits; flush() (idle line) reports the cut and the frame.
    cut = bytes.fromhex("7E 00 20 46 01")
    decoder = Decoder(1)
    assert decoder.feed(cut + CREATE_TCP_WIRE) == []
    assert decoder.pending == cut + CREATE_TCP_WIRE
    events = decoder.flush()
    assert len(events) == 2
    assert isinstance(events[0], Truncated)
    assert events[0].raw == cut
    assert events[1] == CREATE_TCP
    assert decoder.pending == b""


def test_truncated_frame_swallowing_the_next_one_ap1() -> None:
    # AP=1 limitation (as Digi's host libraries): a cut frame whose declared length is covered by
    # the following bytes takes them as its own; the checksum fails, the rest is garbage, and the
    # decoder is back in step for the frame after.
    cut = bytes.fromhex("7E 00 05 46 01")
    events = Decoder(1).feed(cut + CREATE_TCP_WIRE + CREATE_TCP_WIRE)
    assert [type(e) for e in events] == [BadChecksum, Garbage, SocketCreate]
    assert events[0].raw == cut + CREATE_TCP_WIRE[:4]  # type: ignore[union-attr]
    assert events[1].raw == CREATE_TCP_WIRE[4:]  # type: ignore[union-attr]
    assert events[2] == CREATE_TCP


def test_flush_reports_a_pending_partial_frame() -> None:
    for mode in (1, 2):
        decoder = Decoder(mode)
        assert decoder.feed(CREATE_TCP_WIRE[:5]) == []
        assert decoder.pending == CREATE_TCP_WIRE[:5]
        (event,) = decoder.flush()
        assert isinstance(event, Truncated)
        assert event.raw == CREATE_TCP_WIRE[:5]
        assert decoder.pending == b""
        assert decoder.flush() == []


@pytest.mark.parametrize(
    ("header", "length"),
    [("7E 00 00", 0), ("7E 10 01", 0x1001), ("7E FF FF", 0xFFFF)],
    ids=["zero", "just-over-4096", "ffff"],
)
@pytest.mark.parametrize("mode", [1, 2])
def test_impossible_length_is_truncated_and_resyncs(header: str, length: int, mode: int) -> None:
    decoder = Decoder(mode)
    events = decoder.feed(bytes.fromhex(header) + CREATE_TCP_WIRE)
    assert isinstance(events[0], Truncated)
    assert str(length) in events[0].reason
    assert events[-1] == CREATE_TCP
    # nothing else but the length bytes, reported once (as garbage in AP=1)
    rest = events[1:-1]
    assert all(isinstance(e, Garbage) for e in rest)
    raws = b"".join(e.raw for e in events[:-1])  # type: ignore[union-attr]
    assert raws == bytes.fromhex(header)
    assert decoder.pending == b""


@pytest.mark.parametrize("mode", [1, 2])
def test_stray_delimiter_before_a_frame(mode: int) -> None:
    # AP=1 reads 7E 00 as length 0x7E00 (impossible); AP=2 sees a new frame begin at once.
    # Either way only the stray 7E is dropped.
    events = Decoder(mode).feed(b"\x7e" + CREATE_TCP_WIRE)
    assert len(events) == 2
    assert isinstance(events[0], Truncated)
    assert events[0].raw == b"\x7e"
    assert events[1] == CREATE_TCP


def test_maximum_length_is_waited_for() -> None:
    decoder = Decoder(1)
    assert decoder.feed(bytes.fromhex("7E 10 00 CD")) == []  # 4096 bytes of data may follow
    assert decoder.pending == bytes.fromhex("7E 10 00 CD")


@pytest.mark.parametrize(
    ("wire", "frame_data"),
    [
        # C0 01: create response without socket ID and status; sum 0xC1 -> checksum 0x3E
        ("7E 00 02 C0 01 3E", "C0 01"),
        # CC 00 01: new client without address and port; sum 0xCD -> checksum 0x32
        ("7E 00 03 CC 00 01 32", "CC 00 01"),
        # 8A alone: modem status without a status; checksum 0xFF - 0x8A = 0x75
        ("7E 00 01 8A 75", "8A"),
    ],
)
@pytest.mark.parametrize("mode", [1, 2])
def test_frame_too_short_for_its_type_is_malformed(wire: str, frame_data: str, mode: int) -> None:
    raw = bytes.fromhex(wire)
    events = Decoder(mode).feed(raw + CREATE_TCP_WIRE)
    assert len(events) == 2
    bad = events[0]
    assert isinstance(bad, Malformed)
    assert bad.raw == raw
    assert bad.frame_data == bytes.fromhex(frame_data)
    assert bad.reason
    assert bad.describe() == f"malformed frame: {bad.reason}"
    assert events[1] == CREATE_TCP


@pytest.mark.parametrize("mode", [1, 2])
def test_unknown_frame_type(mode: int) -> None:
    # 99 01 02: sum 0x9C -> checksum 0x63
    wire = bytes.fromhex("7E 00 03 99 01 02 63")
    events = Decoder(mode).feed(wire + CREATE_TCP_WIRE)
    assert events == [UnknownFrame(frame_type=0x99, data=b"\x01\x02"), CREATE_TCP]
    assert encode(events[0], mode) == wire  # type: ignore[arg-type]


def test_garbage_before_a_frame() -> None:
    events = Decoder(1).feed(b"AT\r\n" + CREATE_TCP_WIRE + b"\x00")
    assert events == [Garbage(b"AT\r\n"), CREATE_TCP, Garbage(b"\x00")]
    assert events[0].describe() == "4 byte(s) outside any frame"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- decoder API


@pytest.mark.parametrize("mode", [0, 3, -1])
def test_only_api_modes_1_and_2(mode: int) -> None:
    with pytest.raises(ValueError):
        Decoder(mode)
    with pytest.raises(ValueError):
        Decoder(1).set_api_mode(mode)


def test_default_api_mode_is_1() -> None:
    assert Decoder().api_mode == 1


def test_switching_api_mode_between_frames() -> None:
    # AT command "AP" answered, host switches to AP=2: the next frame arrives escaped
    listen = SocketBindListen(frame_id=1, socket_id=0, source_port=10001)
    decoder = Decoder(1)
    assert decoder.feed(encode(listen, 1)) == [listen]
    decoder.set_api_mode(2)
    assert decoder.api_mode == 2
    assert decoder.feed(bytes.fromhex("7E 00 05 46 01 00 27 7D 31 80")) == [listen]


def test_new_client_seed_in_ap2() -> None:
    client = SocketNewIPv4Client(socket_id=0, client_socket_id=1, remote_address="10.10.74.157", remote_port=10001)
    escaped = bytes.fromhex("7E 00 09 CC 00 01 0A 0A 4A 9D 27 7D 31 FF")
    assert encode(client, 2) == escaped
    assert Decoder(2).feed(escaped) == [client]
    # the same escaped bytes read as AP=1 are a different (bad-checksum) frame, not the client
    assert not frames_only(Decoder(1).feed(escaped))


def test_socket_close_checksum_7d_round_trip() -> None:
    frame = SocketClose(frame_id=0x01, socket_id=0x3E)
    assert encode(frame, 2) == bytes.fromhex("7E 00 03 43 01 3E 7D 5D")
    assert Decoder(2).feed(bytes.fromhex("7E 00 03 43 01 3E 7D 5D")) == [frame]
