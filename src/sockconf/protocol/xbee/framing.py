"""XBee API framing (spec §1): length, checksum, AP=1 and AP=2 escaping, and a streaming decoder.

Sans-IO: ``encode`` turns a typed frame into wire bytes; ``Decoder.feed`` turns wire bytes, in any
chunking, into typed frames and decode events. The decoder never raises on wire input: garbage,
bad checksums, truncated and malformed frames come out as events, and it resynchronises on the
next start delimiter.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, islice
from zlib import adler32

from sockconf.protocol.xbee.frames import Frame, FrameFormatError, SocketReceive, parse_frame_data

# 0xCD Socket Receive is the data stream to the host: the decoders build it as
# SocketReceive.from_data does (frame ID, socket ID, status, then the payload), without the two
# calls to get there. Every other frame type goes through parse_frame_data.
_make_receive = SocketReceive._make

START = 0x7E
ESCAPE = 0x7D
XON = 0x11
XOFF = 0x13
ESCAPED_BYTES = frozenset((START, ESCAPE, XON, XOFF))
# The longest frame data any documented frame has: 0x45 header (10) + a 1500-byte payload,
# with room for a firmware that allows more. A declared length above this is not waited for.
MAX_FRAME_DATA = 4096
_BYTES = tuple(bytes((b,)) for b in range(256))


def _restored_at(parts: list[bytes]) -> Iterator[int]:
    """Where the bytes escaped in AP=2 bytes split at their escape bytes are once the parts are
    joined again: each opens a part after the first, so it sits where the lengths of the parts
    before it add up to."""
    return accumulate(map(len, islice(parts, len(parts) - 1)))


def _join_escaped(parts: list[bytes]) -> tuple[bytes, bytes]:
    """AP=2 bytes split at their escape bytes, joined again: without the escape bytes (``bare``),
    then with the byte each of them escapes restored (``whole``). One step per escape, the rest at
    C speed."""
    bare = b"".join(parts)
    body = bytearray(bare)
    for at in _restored_at(parts):
        body[at] ^= 0x20
    return bare, bytes(body)


def _unescape_whole(segment: bytes) -> bytes | None:
    """``segment`` unescaped (see ``_join_escaped``) when each escape byte in it is followed by the
    byte it escapes.

    None when it holds an escape byte that is escaped itself (7D 7D) or one at either end: the
    decoder then takes the general path, which reads an escaped 7D and an escape at the edge. Otherwise each 7D
    escapes the byte after it, whichever that is, as the general path reads it too.
    """
    parts = segment.split(b"\x7d")
    if b"" in parts:
        return None
    return _join_escaped(parts)[1]


def _sum8(data: bytes) -> int:
    """``sum(data) & 0xFF`` for bytes, without a Python step per byte.

    zlib's Adler-32 of bytes is ``B << 16 | A`` with A = 1 + their sum modulo 65521: exactly 1 + the
    sum for up to 256 bytes (at most 1 + 256 * 255 = 65281), and B << 16 adds nothing to the low
    byte. So the low byte of the Adler-32s of 256-byte pieces, added, less one per piece, is the
    low byte of the sum.
    """
    n = len(data)
    if n <= 256:
        return (adler32(data) - 1) & 0xFF
    total = adler32(data[:256]) - 1
    i = 256
    while i < n:  # (a while loop: cheaper than for over a range, for the few pieces a frame has)
        total += adler32(data[i : i + 256]) - 1
        i += 256
    return total & 0xFF


def checksum(frame_data: bytes) -> int:
    """``0xFF - (sum(frame data) & 0xFF)``."""
    if isinstance(frame_data, bytes | bytearray):
        return 0xFF - _sum8(frame_data)
    return 0xFF - (sum(frame_data) & 0xFF)


def escape(body: bytes) -> bytes:
    """AP=2 escaping of everything after the start delimiter."""
    # 7D first, so the 7D of the pairs put in afterwards is not escaped again; the second bytes of
    # the pairs (5D 5E 31 33) are not escaped bytes. Four C-speed passes instead of a loop per byte,
    # each only when its byte occurs (a memchr).
    if ESCAPE in body:
        body = body.replace(b"\x7d", b"\x7d\x5d")
    if START in body:
        body = body.replace(b"\x7e", b"\x7d\x5e")
    if XON in body:
        body = body.replace(b"\x11", b"\x7d\x31")
    if XOFF in body:
        body = body.replace(b"\x13", b"\x7d\x33")
    return body


def unescape(body: bytes) -> bytes:
    """Inverse of ``escape``, read as the decoder reads it; a trailing lone escape byte is dropped."""
    if ESCAPE not in body:
        return body
    whole = _unescape_whole(bytes(body))
    if whole is not None:
        return whole
    out = bytearray()
    i = 0
    while (j := body.find(b"\x7d", i)) >= 0:
        out += body[i:j]
        if j + 1 < len(body):
            out.append(body[j + 1] ^ 0x20)
        i = j + 2
    out += body[i:]
    return bytes(out)


def frame_bytes(frame_data: bytes, api_mode: int = 1) -> bytes:
    """Wire bytes for raw frame data: delimiter, length, data, checksum (escaped when AP=2)."""
    length = len(frame_data).to_bytes(2, "big")
    cs = _BYTES[checksum(frame_data)]
    if api_mode == 2:
        return b"\x7e" + escape(b"".join((length, frame_data, cs)))
    return b"".join((b"\x7e", length, frame_data, cs))  # the data copied once


def encode(frame: Frame, api_mode: int = 1) -> bytes:
    """Wire bytes for a typed frame."""
    return frame_bytes(frame.to_data(), api_mode)


# --------------------------------------------------------------------------- decode events


@dataclass(frozen=True, slots=True)
class DecodeEvent:
    """Something on the wire that is not a good frame. ``raw`` is exactly what was consumed."""

    raw: bytes

    def describe(self) -> str:  # pragma: no cover - overridden
        return type(self).__name__


@dataclass(frozen=True, slots=True)
class Garbage(DecodeEvent):
    """Bytes skipped while looking for a start delimiter."""

    def describe(self) -> str:
        return f"{len(self.raw)} byte(s) outside any frame"


@dataclass(frozen=True, slots=True)
class BadChecksum(DecodeEvent):
    """A complete frame whose checksum is wrong; it is discarded."""

    frame_data: bytes
    expected: int
    actual: int

    def describe(self) -> str:
        return f"checksum: expected {self.expected:02X}, got {self.actual:02X}"


@dataclass(frozen=True, slots=True)
class Truncated(DecodeEvent):
    """A frame cut short: a new start delimiter, an idle gap or an impossible length came first."""

    reason: str

    def describe(self) -> str:
        return f"truncated frame ({self.reason})"


@dataclass(frozen=True, slots=True)
class Malformed(DecodeEvent):
    """A frame with a good checksum whose data does not fit its frame type."""

    frame_data: bytes
    reason: str

    def describe(self) -> str:
        return f"malformed frame: {self.reason}"


Event = Frame | DecodeEvent


class Decoder:
    """Streaming decoder: ``feed(bytes) -> [Frame | DecodeEvent]``.

    ``flush()`` ends a frame that is still waiting for bytes (for an idle line): with AP=1 a frame
    cut short cannot be told from one still arriving until then. With AP=2 a start delimiter
    never occurs inside a frame, so a cut frame is reported as soon as the next frame begins.
    """

    def __init__(self, api_mode: int = 1, keep_raw: bool = False) -> None:
        if api_mode not in (1, 2):
            raise ValueError(f"API mode must be 1 or 2, not {api_mode}")
        self.api_mode = api_mode
        # Bytes received and not yet part of any frame or event, in the chunks they came in (joined
        # when decoding can go on), their total length, and the total below which it cannot: the
        # frame they begin needs more bytes than that first (0: decode at the next feed).
        self._pending: list[bytes] = []
        self._size = 0
        self._wait = 0
        # With keep_raw, ``raw_of_last_feed`` holds the wire bytes of each frame (not event) the last
        # ``feed`` returned, in order.
        self.keep_raw = keep_raw
        self.raw_of_last_feed: list[bytes] = []

    @property
    def pending(self) -> bytes:
        """Bytes received and not yet part of any frame or event."""
        return b"".join(self._pending)

    def set_api_mode(self, api_mode: int) -> None:
        if api_mode not in (1, 2):
            raise ValueError(f"API mode must be 1 or 2, not {api_mode}")
        self.api_mode = api_mode
        self._wait = 0  # what is pending is read afresh in the new mode

    def feed(self, data: bytes) -> list[Event]:
        if self.keep_raw:
            self.raw_of_last_feed = []
        if type(data) is not bytes:
            data = bytes(memoryview(data))  # any bytes-like object (bytearray, memoryview) is accepted
        size = self._size + len(data)
        if size < self._wait and (self.api_mode == 1 or START not in data):
            # The frame pending is still short of the bytes it needs (and, with AP=2, no delimiter
            # has cut it): decoding would find what it found last time, so keep the bytes for later.
            if data:
                self._pending.append(data)
                self._size = size
            return []
        pending = self._pending
        if pending:
            pending.append(data)
            buf = b"".join(pending)
        else:
            buf = data
        out: list[Event] = []
        used = self._decode_plain(buf, out) if self.api_mode == 1 else self._decode_escaped(buf, out)
        if used < len(buf):
            self._pending = [buf[used:]]
            self._size = len(buf) - used
        else:
            self._pending = []
            self._size = 0
        return out

    def flush(self) -> list[Event]:
        """Report whatever is pending as truncated/garbage, then decode what follows it."""
        out: list[Event] = []
        self.raw_of_last_feed = []
        while self._pending:
            buf = b"".join(self._pending)
            in_frame = buf[0] == START
            cut = buf.find(START, 1 if in_frame else 0)
            if cut < 0:
                cut = len(buf)
            if in_frame:
                out.append(Truncated(buf[:cut], "the line went idle before the frame was complete"))
            else:
                out.append(Garbage(buf[:cut]))
            rest = buf[cut:]
            self._pending = [rest] if rest else []
            self._size = len(rest)
            self._wait = 0
            if not in_frame:
                continue
            raws = self.raw_of_last_feed if self.keep_raw else []
            out.extend(self.feed(b""))
            if self.keep_raw:
                self.raw_of_last_feed = raws + self.raw_of_last_feed
        return out

    # -- internals
    #
    # Both decoders walk ``buf`` (what was pending, then the new bytes) by offset, append what they
    # find to ``out``, set ``_wait`` and return how many bytes they used: the rest stays pending.
    # Each frame found ends as ``_emit`` does: checksum, then the typed frame (or the event saying
    # why there is none). The hot loops have those lines inline, as they run once per frame.

    def _emit(self, out: list[Event], raw: bytes, data: bytes, cs: int) -> None:
        if (_sum8(data) + cs) & 0xFF != 0xFF:
            out.append(BadChecksum(raw, data, checksum(data), cs))
            return
        try:
            out.append(parse_frame_data(data))
        except FrameFormatError as exc:
            out.append(Malformed(raw, data, str(exc)))
            return
        if self.keep_raw:
            self.raw_of_last_feed.append(raw)

    def _decode_plain(self, buf: bytes, out: list[Event]) -> int:
        # Every byte the suite and the emulator read passes here: a frame that starts right at the
        # delimiter (the usual case) costs no call to look for one.
        n = len(buf)
        pos = 0
        while pos < n:
            if buf[pos] != START:
                start = buf.find(START, pos)
                if start < 0:
                    out.append(Garbage(buf[pos:]))
                    pos = n
                    break
                out.append(Garbage(buf[pos:start]))
                pos = start
            if n - pos < 3:
                self._wait = 3
                return pos
            length = (buf[pos + 1] << 8) | buf[pos + 2]
            if length == 0 or length > MAX_FRAME_DATA:
                # Not a frame we could ever complete: report the delimiter and resync after it.
                out.append(Truncated(b"\x7e", f"impossible length {length}"))
                pos += 1
                continue
            end = pos + length + 4
            if end > n:
                self._wait = length + 4
                return pos
            data = buf[pos + 3 : end - 1]
            cs = buf[end - 1]
            if (_sum8(data) + cs) & 0xFF != 0xFF:
                out.append(BadChecksum(buf[pos:end], data, checksum(data), cs))
            else:
                try:
                    if data[0] == 0xCD and len(data) >= 4:
                        out.append(_make_receive(data[1], data[2], data[3], data[4:]))
                    else:
                        out.append(parse_frame_data(data))
                except FrameFormatError as exc:
                    out.append(Malformed(buf[pos:end], data, str(exc)))
                else:
                    if self.keep_raw:
                        self.raw_of_last_feed.append(buf[pos:end])
            pos = end
        self._wait = 0
        return pos

    def _decode_escaped(self, buf: bytes, out: list[Event]) -> int:
        # A start delimiter never occurs inside a frame: what follows each one, up to the next (or
        # to the end so far), is one frame, usually exactly.
        #
        # All of buf is unescaped at once, as _unescape_whole does it: ``bare`` is buf without its
        # escape bytes (so its delimiters are buf's, in the same order) and ``whole`` the same with
        # the escaped bytes restored. What lies between two delimiters in ``whole`` is the segment
        # between them unescaped, unless the segment ends with an escape byte (the delimiter after
        # it was taken as the escaped byte): that segment, and any that is not exactly one frame,
        # goes the general way (_decode_segment), on buf's own bytes. With an escape byte escaped
        # itself (7D 7D) anywhere, ``whole`` is None and the segments are unescaped one by one.
        # Positions below are in ``bare``; ``raw`` gives the one in buf, only needed for what is
        # reported with its bytes.
        whole: bytes | None = buf
        bare = buf
        parts: list[bytes] = []
        restored: list[int] | None = []
        if ESCAPE in buf:
            parts = buf.split(b"\x7d")
            if b"" in parts and b"" in islice(parts, 1, len(parts) - 1):
                whole = None
            else:
                if not parts[-1]:
                    del parts[-1]  # buf ends with an escape byte: its segment goes the general way
                bare, whole = _join_escaped(parts)
                restored = None  # where, in bare: worked out when first needed

        def raw(at: int) -> int:
            # Each restored byte up to ``at`` had its escape byte before it in buf.
            nonlocal restored
            if restored is None:
                restored = list(_restored_at(parts))
            return at + bisect_right(restored, at)

        end_of_bare = len(bare)
        at = bare.find(START)  # the delimiter before the segment at hand
        if at < 0:
            if buf:
                out.append(Garbage(buf))
            self._wait = 0
            return len(buf)
        first = buf.find(START)  # the same delimiter in buf
        if first:
            out.append(Garbage(buf[:first]))
        while True:
            nxt = bare.find(START, at + 1)  # the next delimiter, or the end (then the segment is last)
            if nxt < 0:
                nxt = end_of_bare
            data: bytes | None = None
            if whole is not None:
                # The usual case: the segment unescaped is exactly one frame. (The delimiter after
                # it, restored as an escaped byte, is 5E in whole: the segment ends with an escape.)
                if nxt - at >= 3 and (whole[nxt] == START if nxt < end_of_bare else buf[-1] != ESCAPE):
                    length = (whole[at + 1] << 8) | whole[at + 2]
                    if 0 < length <= MAX_FRAME_DATA and nxt - at == length + 4:
                        data = whole[at + 3 : nxt - 1]
                        cs = whole[nxt - 1]
            else:
                # The usual case, with the segment (bare is buf here) unescaped on its own.
                unescaped = _unescape_whole(buf[at + 1 : nxt])
                if unescaped is not None and len(unescaped) >= 2:
                    length = (unescaped[0] << 8) | unescaped[1]
                    if 0 < length <= MAX_FRAME_DATA and len(unescaped) == length + 3:
                        data = unescaped[2:-1]
                        cs = unescaped[-1]
            if data is not None:
                if (_sum8(data) + cs) & 0xFF != 0xFF:
                    out.append(BadChecksum(buf[raw(at) : raw(nxt)], data, checksum(data), cs))
                else:
                    try:
                        if data[0] == 0xCD and len(data) >= 4:
                            out.append(_make_receive(data[1], data[2], data[3], data[4:]))
                        else:
                            out.append(parse_frame_data(data))
                    except FrameFormatError as exc:
                        out.append(Malformed(buf[raw(at) : raw(nxt)], data, str(exc)))
                    else:
                        if self.keep_raw:
                            self.raw_of_last_feed.append(buf[raw(at) : raw(nxt)])
            elif nxt == end_of_bare:
                # the last segment: its delimiter is buf's last
                if not self._decode_segment(buf, last := buf.rfind(START), len(buf), out):
                    return last  # the frame is still arriving
            else:
                self._decode_segment(buf, raw(at), raw(nxt), out)
            if nxt == end_of_bare:
                break
            at = nxt
        self._wait = 0
        return len(buf)

    def _decode_segment(self, buf: bytes, pos: int, stop: int, out: list[Event]) -> bool:
        """The general way for ``buf[pos:stop]``, a delimiter and what follows up to the next one (or
        the end of buf): an escape at a time. A frame cut short or with bytes after it, an impossible
        length, an escape byte escaped or at the end. False when the frame may still be arriving."""
        body, i = self._unescape_frame(buf[pos + 1 : stop])
        if len(body) >= 2:
            length = (body[0] << 8) | body[1]
            if length == 0 or length > MAX_FRAME_DATA:
                out.append(Truncated(buf[pos : pos + 1 + i], f"impossible length {length}"))
                if pos + 1 + i < stop:
                    out.append(Garbage(buf[pos + 1 + i : stop]))
                return True
        need = ((body[0] << 8) | body[1]) + 3 if len(body) >= 2 else 3
        if len(body) < need:
            if stop == len(buf):
                # Still arriving: each byte to come gives at most one more byte of the frame, and the
                # first two (the length) may already end it.
                self._wait = stop - pos + (need if len(body) >= 2 else 2) - len(body)
                return False
            out.append(Truncated(buf[pos:stop], "a new frame began before this one was complete"))
            return True
        end = pos + 1 + i
        self._emit(out, buf[pos:end], bytes(body[2:-1]), body[-1])
        if end < stop:
            out.append(Garbage(buf[end:stop]))  # bytes after the frame, before the next delimiter
        return True

    @staticmethod
    def _unescape_frame(segment: bytes) -> tuple[bytearray, int]:
        """Unescape one frame from the start of ``segment`` (the bytes after a delimiter).

        Returns the unescaped length + data + checksum (possibly incomplete) and how many raw bytes
        they took. Works a run between escape bytes at a time, so long payloads cost few steps.
        """
        body = bytearray()
        i = 0
        n = len(segment)
        target = 2
        while True:
            if len(body) >= target:
                if target != 2:
                    break
                length = (body[0] << 8) | body[1]
                if length == 0 or length > MAX_FRAME_DATA:
                    break
                target = length + 3
                continue
            j = segment.find(b"\x7d", i)
            stop = n if j < 0 else j
            take = min(stop - i, target - len(body))
            body += segment[i : i + take]
            i += take
            if len(body) >= target or i >= n:
                if len(body) >= target:
                    continue
                break
            if i != j:
                continue
            if i + 1 >= n:
                break  # a lone escape byte: its partner has not arrived yet
            body.append(segment[i + 1] ^ 0x20)
            i += 2
        return body, i
