"""XBee API framing (spec §1): length, checksum, AP=1 and AP=2 escaping, and a streaming decoder.

Sans-IO: ``encode`` turns a typed frame into wire bytes; ``Decoder.feed`` turns wire bytes, in any
chunking, into typed frames and decode events. The decoder never raises on wire input: garbage,
bad checksums, truncated and malformed frames come out as events, and it resynchronises on the
next start delimiter.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.xbee.frames import Frame, FrameFormatError, parse_frame_data

START = 0x7E
ESCAPE = 0x7D
XON = 0x11
XOFF = 0x13
ESCAPED_BYTES = frozenset((START, ESCAPE, XON, XOFF))
# The longest frame data any documented frame has: 0x45 header (10) + a 1500-byte payload,
# with room for a firmware that allows more. A declared length above this is not waited for.
MAX_FRAME_DATA = 4096

# The escaped pairs in the order unescaping replaces them (7D 5D last), each with its byte.
_UNESCAPE_PAIRS = tuple((bytes((ESCAPE, b ^ 0x20)), bytes((b,))) for b in (START, XON, XOFF, ESCAPE))


def _unescape_whole(segment: bytes) -> bytes | None:
    """``segment`` unescaped at C speed when every escape in it is one of the four documented pairs.

    None when it holds anything else (a lone escape byte at the end, an escape of another byte):
    the decoder then takes the general path, which reads those exactly as before.
    """
    escapes = segment.count(b"\x7d")
    if not escapes:
        return segment
    body = segment
    for pair, byte in _UNESCAPE_PAIRS:
        body = body.replace(pair, byte)
    # Each documented pair gives back one byte for its 7D. A 7D that starts no documented pair (one
    # escaping another byte, or escaped itself by a 7D before it) is left in place, so fewer bytes
    # go than there are escapes. 7D 5D goes last so the 7D it leaves is not read again.
    return body if len(segment) - len(body) == escapes else None


def checksum(frame_data: bytes) -> int:
    """``0xFF - (sum(frame data) & 0xFF)``."""
    return 0xFF - (sum(frame_data) & 0xFF)


def escape(body: bytes) -> bytes:
    """AP=2 escaping of everything after the start delimiter."""
    # 7D first, so the 7D of the pairs put in afterwards is not escaped again; the second bytes of
    # the pairs (5D 5E 31 33) are not escaped bytes. Four C-speed passes instead of a loop per byte.
    return (
        body.replace(b"\x7d", b"\x7d\x5d")
        .replace(b"\x7e", b"\x7d\x5e")
        .replace(b"\x11", b"\x7d\x31")
        .replace(b"\x13", b"\x7d\x33")
    )


def unescape(body: bytes) -> bytes:
    """Inverse of ``escape``, read as the decoder reads it; a trailing lone escape byte is dropped."""
    if ESCAPE not in body:
        return body
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
    body = len(frame_data).to_bytes(2, "big") + frame_data + bytes((checksum(frame_data),))
    if api_mode == 2:
        body = escape(body)
    return b"\x7e" + body


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
        self._buf = bytearray()
        # With keep_raw, ``raw_of_last_feed`` holds the wire bytes of each frame (not event) the last
        # ``feed`` returned, in order.
        self.keep_raw = keep_raw
        self.raw_of_last_feed: list[bytes] = []

    @property
    def pending(self) -> bytes:
        """Bytes received and not yet part of any frame or event."""
        return bytes(self._buf)

    def set_api_mode(self, api_mode: int) -> None:
        if api_mode not in (1, 2):
            raise ValueError(f"API mode must be 1 or 2, not {api_mode}")
        self.api_mode = api_mode

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        out: list[Event] = []
        if self.keep_raw:
            self.raw_of_last_feed = []
        if self.api_mode == 1:
            self._decode_plain(out)
        else:
            self._decode_escaped(out)
        return out

    def flush(self) -> list[Event]:
        """Report whatever is pending as truncated/garbage, then decode what follows it."""
        out: list[Event] = []
        self.raw_of_last_feed = []
        while self._buf:
            if self._buf[0] != START:
                self._skip_garbage(out)
                continue
            nxt = self._buf.find(START, 1)
            cut = len(self._buf) if nxt < 0 else nxt
            out.append(Truncated(bytes(self._buf[:cut]), "the line went idle before the frame was complete"))
            del self._buf[:cut]
            raws = self.raw_of_last_feed if self.keep_raw else []
            out.extend(self.feed(b""))
            if self.keep_raw:
                self.raw_of_last_feed = raws + self.raw_of_last_feed
        return out

    # -- internals

    def _skip_garbage(self, out: list[Event]) -> bool:
        """Drop bytes before the first delimiter; False when nothing is left to look at."""
        start = self._buf.find(START)
        if start < 0:
            if self._buf:
                out.append(Garbage(bytes(self._buf)))
                self._buf.clear()
            return False
        if start:
            out.append(Garbage(bytes(self._buf[:start])))
            del self._buf[:start]
        return True

    def _emit(self, out: list[Event], raw: bytes, data: bytes, cs: int) -> None:
        if (sum(data) + cs) & 0xFF != 0xFF:
            out.append(BadChecksum(raw, data, checksum(data), cs))
            return
        try:
            out.append(parse_frame_data(data))
        except FrameFormatError as exc:
            out.append(Malformed(raw, data, str(exc)))
            return
        if self.keep_raw:
            self.raw_of_last_feed.append(raw)

    def _decode_plain(self, out: list[Event]) -> None:
        # Every byte the suite and the emulator read passes here: a frame that starts right at the
        # delimiter (the usual case) costs no call to look for one.
        buf = self._buf
        while buf:
            if buf[0] != START and not self._skip_garbage(out):
                return
            n = len(buf)
            if n < 3:
                return
            length = (buf[1] << 8) | buf[2]
            if length == 0 or length > MAX_FRAME_DATA:
                # Not a frame we could ever complete: report the delimiter and resync after it.
                out.append(Truncated(bytes(buf[:1]), f"impossible length {length}"))
                del buf[:1]
                continue
            total = length + 4
            if n < total:
                return
            raw = bytes(buf[:total])
            del buf[:total]
            self._emit(out, raw, raw[3:-1], raw[-1])

    def _decode_escaped(self, out: list[Event]) -> None:
        buf = self._buf
        while buf:
            if buf[0] != START and not self._skip_garbage(out):
                return
            nxt = buf.find(START, 1)
            segment = bytes(buf[1:]) if nxt < 0 else bytes(buf[1:nxt])
            whole = _unescape_whole(segment)
            if whole is not None and len(whole) >= 2:
                # The usual case, at C speed: the bytes up to the next delimiter are exactly one frame.
                length = (whole[0] << 8) | whole[1]
                if 0 < length <= MAX_FRAME_DATA and len(whole) == length + 3:
                    raw = bytes(buf[: 1 + len(segment)])
                    del buf[: 1 + len(segment)]
                    self._emit(out, raw, whole[2:-1], whole[-1])
                    continue
            body, i = self._unescape_frame(segment)
            if len(body) >= 2:
                length = (body[0] << 8) | body[1]
                if length == 0 or length > MAX_FRAME_DATA:
                    out.append(Truncated(bytes(buf[: 1 + i]), f"impossible length {length}"))
                    del buf[: 1 + i]
                    continue
            need = ((body[0] << 8) | body[1]) + 3 if len(body) >= 2 else 3
            if len(body) < need:
                if nxt < 0:
                    return  # still arriving
                out.append(Truncated(bytes(buf[:nxt]), "a new frame began before this one was complete"))
                del buf[:nxt]
                continue
            raw = bytes(buf[: 1 + i])
            del buf[: 1 + i]
            self._emit(out, raw, bytes(body[2:-1]), body[-1])

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
