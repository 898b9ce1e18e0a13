"""eS-WiFi module -> host (spec §1): reply builders (device side) and the host-side ``ReplyReader``.

Wire forms, as this project fixes them:

- success ``\\r\\n`` + data + ``\\r\\nOK\\r\\n> `` (no data: ``\\r\\n\\r\\nOK\\r\\n> ``);
- error ``\\r\\nERROR: <reason>\\r\\nUsage: <syntax>\\r\\n> `` (the Usage line may be absent), no OK;
- lost connection (R0/S3) ``\\r\\n-1\\r\\nOK\\r\\n> `` or, error-style, ``\\r\\n-1\\r\\n> ``;
- the prompt after a reset ``\\r\\n> `` (an SPI module's pre-padded: ``\\x15\\x15\\r\\n> ``);
- an unprompted message ``[...]\\r\\n``, possibly with one ``\\r\\n`` in front, possibly followed by the
  prompt ``> `` again (the seed's transcript offers it after an Accepted line).

``ReplyReader.feed`` turns module bytes, in any chunking, into events; it never raises on wire
input. Every event's ``raw`` is exactly the bytes it consumed, in order, so the ``raw`` of all
events joined is the input (``flush`` included).

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from sockconf.protocol.eswifi.messages import ACCEPTED_PREFIX, parse_accepted

CRLF = b"\r\n"
TERMINATOR = b"\r\nOK\r\n> "
PROMPT_TAIL = b"\r\n> "
RESET_PROMPT = b"\r\n> "
# The prompt alone, re-offered after an unprompted message.
PROMPT = b"> "
# The cursor an SPI module offers after reset: the prompt pre-padded with two 0x15 to whole 16-bit
# words (Inventek ISM4343 data sheet p.16, "15 15 0A 0D 20 3E" as clocked, low byte first).
SPI_CURSOR = b"\x15\x15" + RESET_PROMPT
LOST = b"-1"
# Longest unprompted message or garbage run looked at before giving up on it.
MAX_LINE = 512
# Longest reply data waited for (R0 returns at most 1460 bytes; scan and info replies are a few KB).
MAX_REPLY_DATA = 65536
# Longest error reply data (reason and usage lines).
MAX_ERROR_DATA = 1024

_ACCEPTED = ACCEPTED_PREFIX.encode("ascii")
_CRLF_ACCEPTED = CRLF + _ACCEPTED
_OK_TAIL = TERMINATOR[len(CRLF) :]
_ERROR = b"ERROR"
_LOST_HEAD = LOST + CRLF


# --------------------------------------------------------------------------- builders (device side)


def _line_bytes(value: str, what: str) -> bytes:
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} must be ASCII: {value!r}") from exc
    if b"\r" in raw or b"\n" in raw:
        raise ValueError(f"{what} must be a single line: {value!r}")
    return raw


def ok_reply(data: bytes = b"") -> bytes:
    """``\\r\\n`` + data + ``\\r\\nOK\\r\\n> ``. Data containing the terminator cannot be read back."""
    return CRLF + bytes(data) + TERMINATOR


def error_reply(reason: str, usage: str | None = None) -> bytes:
    """``\\r\\nERROR: <reason>`` [``\\r\\nUsage: <usage>``] ``\\r\\n> `` (no OK)."""
    out = CRLF + b"ERROR: " + _line_bytes(reason, "reason")
    if usage is not None:
        out += CRLF + b"Usage: " + _line_bytes(usage, "usage")
    return out + PROMPT_TAIL


def lost_reply(with_ok: bool = True) -> bytes:
    """R0/S3 on a lost connection: ``\\r\\n-1\\r\\nOK\\r\\n> `` or, error-style, ``\\r\\n-1\\r\\n> ``."""
    return CRLF + LOST + (TERMINATOR if with_ok else PROMPT_TAIL)


def async_line(text: str, *, leading_crlf: bool = False) -> bytes:
    """An unprompted message line: ``text`` + ``\\r\\n`` (``\\r\\n`` in front too if asked), UTF-8.

    ``text`` must start with ``[`` (that is how a host tells it from a reply). It may hold characters
    beyond ASCII (the seed prints an ellipsis character), which go out as UTF-8.
    """
    raw = text.encode("utf-8")
    if b"\r" in raw or b"\n" in raw:
        raise ValueError(f"message must be a single line: {text!r}")
    if not raw.startswith(b"["):
        raise ValueError(f"an unprompted message starts with '[': {text!r}")
    return (CRLF if leading_crlf else b"") + raw + CRLF


# --------------------------------------------------------------------------- host-side events


def _preview(data: bytes, limit: int = 48) -> str:
    text = repr(bytes(data[:limit]))
    return text if len(data) <= limit else f"{text}... ({len(data)} bytes)"


def _text(data: bytes) -> str:
    return data.decode("ascii", "backslashreplace")


@dataclass(frozen=True, slots=True)
class ReplyEvent:
    """Base of every host-side event. ``raw`` is exactly the bytes the event consumed."""

    raw: bytes = field(kw_only=True)

    def describe(self) -> str:  # pragma: no cover - every subclass overrides
        return type(self).__name__


@dataclass(frozen=True, slots=True)
class Reply(ReplyEvent):
    """A reply to a command: its data, and whether it ended with ``OK``.

    ``ok`` is False only for the error-style lost-connection reply ``\\r\\n-1\\r\\n> ``.
    """

    data: bytes
    ok: bool

    @property
    def lost(self) -> bool:
        """R0/S3's ``-1``: the client has gone."""
        return self.data == LOST

    def describe(self) -> str:
        if self.lost:
            return "lost connection (-1)" + ("" if self.ok else " without OK")
        tail = "OK" if self.ok else "no OK"
        return f"reply, {len(self.data)} byte(s) {_preview(self.data)}, {tail}"


@dataclass(frozen=True, slots=True)
class ErrorReply(ReplyEvent):
    """``ERROR: <reason>`` with the optional ``Usage: <syntax>`` line (None when absent)."""

    reason: str
    usage: str | None = None

    def describe(self) -> str:
        return f"ERROR: {self.reason}" + ("" if self.usage is None else f" (Usage: {self.usage})")


@dataclass(frozen=True, slots=True)
class ResetPrompt(ReplyEvent):
    """``\\r\\n> `` with no reply outstanding: the module (re)started."""

    def describe(self) -> str:
        return "prompt (module reset)"


@dataclass(frozen=True, slots=True)
class Prompt(ReplyEvent):
    """``> `` with no ``\\r\\n`` in front, outside any reply: the prompt offered again (after a message)."""

    def describe(self) -> str:
        return "prompt '> ' on its own"


@dataclass(frozen=True, slots=True)
class Unsolicited(ReplyEvent):
    """A whole reply (``reply``) that came while no command was outstanding: a second answer to the
    command before, or a late one; ``raw`` is the reply's."""

    reply: Reply | ErrorReply

    def describe(self) -> str:
        return f"{self.reply.describe()}, with no command outstanding"


@dataclass(frozen=True, slots=True)
class AsyncMessage(ReplyEvent):
    """An unprompted ``[...]`` line; ``text`` is without CR LF."""

    text: str

    @property
    def accepted(self) -> tuple[str, int] | None:
        """(ip, port) of ``[TCP SVR] Accepted <ip>:<port>``; None for any other message."""
        return parse_accepted(self.text)

    def describe(self) -> str:
        return f"message {self.text}"


@dataclass(frozen=True, slots=True)
class Garbage(ReplyEvent):
    """Bytes that fit no form; the reader resumes at the next ``\\r\\n`` or ``[``."""

    def describe(self) -> str:
        return f"{len(self.raw)} byte(s) outside any reply: {_preview(self.raw)}"


@dataclass(frozen=True, slots=True)
class Incomplete(ReplyEvent):
    """What ``flush`` found pending: a reply, message or prompt that had begun and not ended."""

    reason: str

    def describe(self) -> str:
        return f"incomplete ({self.reason}): {_preview(self.raw)}"


Event: TypeAlias = Reply | ErrorReply | ResetPrompt | Prompt | Unsolicited | AsyncMessage | Garbage | Incomplete


def _partial(buf: bytes | bytearray, pattern: bytes) -> bool:
    """``buf`` is a proper prefix of ``pattern``: more bytes could still make it match."""
    return len(buf) < len(pattern) and pattern.startswith(bytes(buf))


def _parse_error(data: bytes) -> tuple[str, str | None]:
    """(reason, usage) from ``ERROR: <reason>`` [``\\r\\nUsage: <usage>``] (further lines: reason)."""
    first, *rest = _text(data).split("\r\n")
    reason = first[len("ERROR") :].removeprefix(":").removeprefix(" ")
    if rest and rest[0].startswith("Usage:"):
        return reason, "\r\n".join(rest).removeprefix("Usage:").removeprefix(" ")
    return "\r\n".join([reason, *rest]), None


# --------------------------------------------------------------------------- host-side reader


class ReplyReader:
    """Host-side streaming reader: ``feed(bytes) -> [Event]``.

    Call ``command_sent()`` when a command goes out (before its reply can arrive); the reader counts
    the replies outstanding. Replies always begin with ``\\r\\n``; messages begin with ``[``
    (optionally after one ``\\r\\n``).

    - No reply outstanding: ``\\r\\n> `` is a ``ResetPrompt``, ``[...]\\r\\n`` and
      ``\\r\\n[...]\\r\\n`` are ``AsyncMessage``, a bare ``> `` is a ``Prompt``; any other
      ``\\r\\n`` starts a reply read as below, which comes out as ``Unsolicited`` (the session
      attributes it to the command before); anything else is ``Garbage``.
    - A bare ``> `` where a reply could start (before its ``\\r\\n``) is a ``Prompt``.
    - A reply outstanding: ``[...]\\r\\n`` is still an ``AsyncMessage``; ``\\r\\n`` starts the
      reply. The reply ends at the FIRST ``\\r\\nOK\\r\\n> `` from its start, so its data may
      hold CR, LF, ``>`` and ``OK`` in any other arrangement. Error forms are told by the
      data's start: data beginning ``ERROR`` ends at the first ``\\r\\n> `` (an ``ErrorReply``), and
      data ``-1`` followed by ``\\r\\n> `` is ``Reply(b"-1", ok=False)``.
    - Lines starting ``[TCP SVR] Accepted `` at the start of a reply's data (before any other data)
      are taken out and emitted as ``AsyncMessage`` before the reply; the reply's ``raw`` is then
      what follows them. Accepted lines later in the data stay data.

    Ambiguities, resolved as stated:

    - Data containing the exact terminator ``\\r\\nOK\\r\\n> `` cannot be read: the reply ends at
      its first occurrence and the rest is read as what follows (normally garbage). This includes
      data beginning ``OK\\r\\n> ``: with the reply's leading ``\\r\\n`` that is a terminator, so
      ``\\r\\nOK\\r\\n> `` alone is read as a reply without data (what a terse firmware sends).
    - Data beginning ``ERROR``, ``-1\\r\\n> `` or ``[TCP SVR] Accepted `` is read as the error form,
      the error-style lost reply, or a message respectively.
    - After a ``\\r\\n[TCP SVR] Accepted ...\\r\\n`` while a reply is outstanding, the reader cannot
      tell a message sent between replies (the reply then follows with its own ``\\r\\n``) from one
      at the start of the reply's data (the data follows directly). A following ``\\r\\n`` is taken
      as the start of the reply (so data after the message that itself begins ``\\r\\n`` loses that
      ``\\r\\n``); ``OK\\r\\n> `` ends the reply with empty data; anything else, a bracketed
      line included, is the reply's data.
    - A message with a leading ``\\r\\n`` other than ``Accepted`` cannot be told from a reply while
      one is outstanding: it is read as the reply's data.

    Limits: a message or garbage run is looked at for ``MAX_LINE`` bytes, reply data for
    ``MAX_REPLY_DATA`` bytes (error data ``MAX_ERROR_DATA``); beyond that the bytes are ``Garbage``.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._outstanding = 0
        # The current reply's leading \r\n went with an extracted Accepted line: its data starts here.
        self._in_data = False
        # Where the search for the terminator resumes (everything before it was searched already).
        self._scan = 0

    @property
    def outstanding(self) -> int:
        """Replies expected: commands sent and not yet answered."""
        return self._outstanding

    @property
    def pending(self) -> bytes:
        """Bytes received and not yet part of any event."""
        return bytes(self._buf)

    def command_sent(self) -> None:
        """A command went out: one more reply is expected."""
        self._outstanding += 1
        self._scan = 0

    def reset(self) -> None:
        """Forget pending bytes and outstanding replies (e.g. after resetting the module)."""
        self._buf.clear()
        self._outstanding = 0
        self._in_data = False
        self._scan = 0

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        out: list[Event] = []
        while self._buf and self._step(out, final=False):
            pass
        return out

    def flush(self) -> list[Event]:
        """The line went idle: pending bytes become ``Incomplete`` (or ``Garbage`` if they fit no form).

        An ``Incomplete`` reply counts as that command's answer (``outstanding`` drops by one);
        a partial message or prompt does not.
        """
        out: list[Event] = []
        while self._buf and self._step(out, final=True):
            pass
        return out

    # -- internals: each step consumes one event from the head of the buffer, or returns False to
    # wait for more bytes. A decision is taken only once the bytes it depends on are all there, so
    # the events do not depend on how the input was chunked. With final=True no step waits.

    def _consume(self, n: int) -> bytes:
        raw = bytes(self._buf[:n])
        del self._buf[:n]
        self._scan = 0
        return raw

    def _finish(self, out: list[Event], event: Event) -> bool:
        if self._outstanding == 0 and isinstance(event, Reply | ErrorReply):
            event = Unsolicited(event, raw=event.raw)
        out.append(event)
        self._outstanding = max(0, self._outstanding - 1)
        self._in_data = False
        return True

    def _wait_or_incomplete(self, out: list[Event], final: bool, reason: str, reply: bool) -> bool:
        if not final:
            return False
        event = Incomplete(reason, raw=self._consume(len(self._buf)))
        if reply:
            return self._finish(out, event)
        out.append(event)
        return True

    def _step(self, out: list[Event], final: bool) -> bool:
        if self._outstanding == 0:
            return self._idle(out, final)
        if self._in_data:
            return self._data_start(out, final)
        return self._reply_start(out, final)

    def _idle(self, out: list[Event], final: bool) -> bool:
        buf = self._buf
        if buf.startswith(RESET_PROMPT):
            out.append(ResetPrompt(raw=self._consume(len(RESET_PROMPT))))
            return True
        if buf.startswith(b"["):
            return self._message(out, final, 0, reply=False)
        if buf.startswith(b"\r\n["):
            return self._message(out, final, 2, reply=False)
        if buf.startswith(PROMPT):
            out.append(Prompt(raw=self._consume(len(PROMPT))))
            return True
        if _partial(buf, RESET_PROMPT) or _partial(buf, PROMPT):  # \r, \r\n, \r\n> (\r\n can become \r\n[), >
            return self._wait_or_incomplete(out, final, "prompt or message cut short", reply=False)
        if buf.startswith(CRLF):  # a reply with no command outstanding (Unsolicited once whole)
            return self._body(out, final, 2)
        return self._garbage(out, final)

    def _reply_start(self, out: list[Event], final: bool) -> bool:
        buf = self._buf
        if buf.startswith(b"["):
            return self._message(out, final, 0, reply=False)
        if buf.startswith(TERMINATOR):  # the first terminator, right away: a reply without data
            return self._finish(out, Reply(b"", True, raw=self._consume(len(TERMINATOR))))
        if buf.startswith(PROMPT):
            out.append(Prompt(raw=self._consume(len(PROMPT))))
            return True
        if not final and _partial(buf, PROMPT):
            return False
        if buf.startswith(CRLF):
            if buf.startswith(_ACCEPTED, 2):
                return self._extract(out, final, 2)
            if not final and _partial(buf[2 : 2 + len(_ACCEPTED)], _ACCEPTED):
                return False
            return self._body(out, final, 2)
        if _partial(buf, CRLF):
            return self._wait_or_incomplete(out, final, "reply cut short", reply=False)
        return self._garbage(out, final)

    def _data_start(self, out: list[Event], final: bool) -> bool:
        buf = self._buf
        if buf.startswith(_ACCEPTED):
            return self._extract(out, final, 0)
        if buf.startswith(_CRLF_ACCEPTED):
            return self._extract(out, final, 2)
        for tail in (_OK_TAIL, TERMINATOR):
            if buf.startswith(tail):
                return self._finish(out, Reply(b"", True, raw=self._consume(len(tail))))
        if not final and any(_partial(buf, p) for p in (_ACCEPTED, _CRLF_ACCEPTED, _OK_TAIL, TERMINATOR)):
            return False
        return self._body(out, final, 2 if buf.startswith(CRLF) else 0)

    def _message(self, out: list[Event], final: bool, start: int, reply: bool) -> bool:
        """A ``[...]\\r\\n`` line whose ``[`` is at ``start``."""
        buf = self._buf
        bound = start + MAX_LINE + len(CRLF)
        end = buf.find(CRLF, start + 1, bound)
        if end >= 0:
            raw = self._consume(end + len(CRLF))
            out.append(AsyncMessage(raw[start:end].decode("utf-8", "backslashreplace"), raw=raw))
            return True
        if len(buf) >= bound:
            return self._garbage(out, final)
        return self._wait_or_incomplete(out, final, "message not ended by CR LF", reply)

    def _extract(self, out: list[Event], final: bool, start: int) -> bool:
        """An Accepted line at the start of a reply's data: a message, and the data starts after it."""
        before = len(out)
        progressed = self._message(out, final, start, reply=self._in_data)
        if len(out) > before and isinstance(out[-1], AsyncMessage):
            self._in_data = True
        return progressed

    def _body(self, out: list[Event], final: bool, d: int) -> bool:
        """A reply whose data starts at offset ``d`` (``raw`` starts at 0)."""
        buf = self._buf
        head = bytes(buf[d : d + len(TERMINATOR)])
        if head.startswith(_LOST_HEAD):
            after = bytes(buf[d + len(LOST) : d + len(LOST) + len(TERMINATOR)])
            for tail, ok in ((TERMINATOR, True), (PROMPT_TAIL, False)):
                if after.startswith(tail):
                    raw = self._consume(d + len(LOST) + len(tail))
                    return self._finish(out, Reply(LOST, ok, raw=raw))
            if not final and (_partial(after, TERMINATOR) or _partial(after, PROMPT_TAIL)):
                return False
        elif not final and _partial(head, _LOST_HEAD):
            return False
        if head.startswith(_ERROR):
            return self._error(out, final, d)
        if not final and _partial(head, _ERROR):
            return False
        limit = d + MAX_REPLY_DATA + len(TERMINATOR)
        end = buf.find(TERMINATOR, max(d, self._scan), limit)
        if end >= 0:
            raw = self._consume(end + len(TERMINATOR))
            return self._finish(out, Reply(raw[d:end], True, raw=raw))
        if len(buf) >= limit:
            return self._overflow(out, d + MAX_REPLY_DATA)
        self._scan = max(d, len(buf) - len(TERMINATOR) + 1)
        return self._wait_or_incomplete(out, final, "reply not ended by OK and the prompt", reply=True)

    def _error(self, out: list[Event], final: bool, d: int) -> bool:
        buf = self._buf
        limit = d + MAX_ERROR_DATA + len(PROMPT_TAIL)
        end = buf.find(PROMPT_TAIL, d, limit)
        if end >= 0:
            raw = self._consume(end + len(PROMPT_TAIL))
            reason, usage = _parse_error(raw[d:end])
            return self._finish(out, ErrorReply(reason, usage, raw=raw))
        if len(buf) >= limit:
            return self._overflow(out, d + MAX_ERROR_DATA)
        return self._wait_or_incomplete(out, final, "error reply not ended by the prompt", reply=True)

    def _overflow(self, out: list[Event], n: int) -> bool:
        """Reply data too long to be one: garbage; the reply is still expected."""
        out.append(Garbage(raw=self._consume(n)))
        self._in_data = False
        return True

    def _garbage(self, out: list[Event], final: bool) -> bool:
        """Skip to the next ``\\r\\n`` or ``[`` after the first byte (at most ``MAX_LINE`` bytes)."""
        buf = self._buf
        hits = [i for i in (buf.find(b"[", 1, MAX_LINE + 1), buf.find(CRLF, 1, MAX_LINE + 2)) if i >= 0]
        if hits:
            cut = min(hits)
        elif len(buf) >= MAX_LINE + len(CRLF):
            cut = MAX_LINE
        elif final:
            cut = len(buf)
        else:
            return False
        out.append(Garbage(raw=self._consume(cut)))
        return True
