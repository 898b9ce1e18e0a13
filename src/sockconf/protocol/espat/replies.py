"""ESP-AT module -> host (spec §3, §9-§16): reply builders (device side) and the host-side reader.

Wire forms, as the documents show them:

- a final result is a line with a CR-LF in front: ``\\r\\nOK\\r\\n`` (6 bytes), ``\\r\\nERROR\\r\\n``,
  ``\\r\\nSEND OK\\r\\n``, ``\\r\\nSEND FAIL\\r\\n``;
- information responses ``+<NAME>:<value>\\r\\n`` precede the final result;
- reports come at any time between replies: ``<id>,CONNECT``, ``<id>,CLOSED`` (``CONNECT`` and
  ``CLOSED`` with one connection), ``ready``, ``WIFI CONNECTED``, ``busy p...``, ...;
- ``+IPD,[<id>,]<len>[,"<ip>",<port>]:<data>`` carries exactly ``<len>`` raw bytes; in passive
  mode ``+IPD,[<id>,]<len>`` is a line of its own;
- ``+CIPRECVDATA:<len>,[<"ip">,<port>,]<data>`` carries exactly ``<len>`` raw bytes (the AT 1.7
  form ``+CIPRECVDATA,<len>:<data>`` is read too);
- the send prompt ``>`` starts a line and ends nothing: the module waits for the data.

``ResponseReader.feed`` turns module bytes, in any chunking, into events and never raises on wire
input. Every event's ``raw`` is exactly the bytes it consumed, in order: the blank-line bytes
(CR, LF) in front of an event, and a space right after a prompt, belong to that event's ``raw``,
so the ``raw`` of all events joined is the input (``flush`` included).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

CRLF = b"\r\n"
FINAL_WORDS = ("OK", "ERROR", "SEND OK", "SEND FAIL")
PROMPT = b">"
IPD = b"+IPD,"
RECV_DATA = b"+CIPRECVDATA"
# Longest line, +IPD header or +CIPRECVDATA header looked at before giving up on it (garbage).
MAX_LINE = 1024
MAX_HEADER = 96
# Longest payload one +IPD or +CIPRECVDATA may announce (the reader waits for all of it).
MAX_PAYLOAD = 1 << 20

_RECV = re.compile(r"Recv (\d+) bytes")
_LINK = re.compile(r"(?:(\d+),)?(CONNECT FAIL|CONNECT|CLOSED)")
_BLANK = frozenset(b"\r\n")


# --------------------------------------------------------------------------- builders (device side)


def _ascii(text: str, what: str) -> bytes:
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} must be ASCII: {text!r}") from exc
    if b"\r" in raw or b"\n" in raw:
        raise ValueError(f"{what} must be a single line: {text!r}")
    return raw


def final(word: str) -> bytes:
    """``\\r\\n<word>\\r\\n`` for OK, ERROR, SEND OK, SEND FAIL."""
    if word not in FINAL_WORDS:
        raise ValueError(f"not a final result: {word!r}")
    return CRLF + word.encode("ascii") + CRLF


def line(text: str) -> bytes:
    """An information line or report: ``text`` + CR-LF."""
    return _ascii(text, "a line") + CRLF


def ipd_header(length: int, link: int | None = None, remote: tuple[str, int] | None = None) -> bytes:
    """``+IPD,[<link>,]<length>[,"<ip>",<port>]`` (no ``:``): the passive notice, or the active header's head."""
    if length < 0 or (link is not None and link < 0):
        raise ValueError("+IPD numbers are not negative")
    fields = ([] if link is None else [str(link)]) + [str(length)]
    if remote is not None:
        fields += [f'"{remote[0]}"', str(remote[1])]
    return b"+IPD," + _ascii(",".join(fields), "+IPD fields")


def ipd(data: bytes, link: int | None = None, remote: tuple[str, int] | None = None) -> bytes:
    """``+IPD,[<link>,]<len>[,"<ip>",<port>]:<data>`` (active mode)."""
    return ipd_header(len(data), link, remote) + b":" + bytes(data)


def recv_data(data: bytes, remote: tuple[str, int] | None = None) -> bytes:
    """``+CIPRECVDATA:<len>,[<"ip">,<port>,]<data>`` (no CR-LF: the final result's own comes next)."""
    head = f"+CIPRECVDATA:{len(data)},"
    if remote is not None:
        head += f'"{remote[0]}",{remote[1]},'
    return _ascii(head, "+CIPRECVDATA header") + bytes(data)


# --------------------------------------------------------------------------- host-side events


def _preview(data: bytes, limit: int = 48) -> str:
    text = repr(bytes(data[:limit]))
    return text if len(data) <= limit else f"{text}... ({len(data)} bytes)"


@dataclass(frozen=True, slots=True)
class ResponseEvent:
    """Base of every host-side event. ``raw`` is exactly the bytes the event consumed."""

    raw: bytes = field(kw_only=True)

    def describe(self) -> str:  # pragma: no cover - every subclass overrides
        return type(self).__name__


@dataclass(frozen=True, slots=True)
class Final(ResponseEvent):
    """A final result: ``OK``, ``ERROR``, ``SEND OK`` or ``SEND FAIL``."""

    word: str

    def describe(self) -> str:
        return self.word


@dataclass(frozen=True, slots=True)
class Info(ResponseEvent):
    """An information response ``+<name>:<value>`` (``value`` as sent, quotes included)."""

    name: str
    value: str

    def describe(self) -> str:
        return f"+{self.name}:{self.value}"


@dataclass(frozen=True, slots=True)
class Line(ResponseEvent):
    """Any other text line: an echo, ``ready``, ``WIFI GOT IP``, ``no change``, ``AT version:...``."""

    text: str

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Busy(ResponseEvent):
    """``busy p...`` (or another ``busy`` text): the module is still executing a command."""

    text: str

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class RecvCount(ResponseEvent):
    """``Recv <n> bytes``: the data of a send arrived whole."""

    count: int

    def describe(self) -> str:
        return f"Recv {self.count} bytes"


@dataclass(frozen=True, slots=True)
class LinkReport(ResponseEvent):
    """``<id>,CONNECT``, ``<id>,CLOSED``, ``<id>,CONNECT FAIL`` (``link`` None: the one-connection form)."""

    link: int | None
    state: str

    def describe(self) -> str:
        return self.state if self.link is None else f"{self.link},{self.state}"


@dataclass(frozen=True, slots=True)
class Prompt(ResponseEvent):
    """The send prompt ``>``."""

    def describe(self) -> str:
        return ">"


@dataclass(frozen=True, slots=True)
class Ipd(ResponseEvent):
    """``+IPD``: received data (active mode, ``data``) or the passive notice (``data`` None)."""

    link: int | None
    length: int
    data: bytes | None = None
    remote: tuple[str, int] | None = None

    @property
    def passive(self) -> bool:
        return self.data is None

    def describe(self) -> str:
        head = ipd_header(self.length, self.link, self.remote).decode("ascii")
        return head if self.data is None else f"{head}:{_preview(self.data)}"


@dataclass(frozen=True, slots=True)
class RecvData(ResponseEvent):
    """``+CIPRECVDATA``: data read in passive mode."""

    length: int
    data: bytes
    remote: tuple[str, int] | None = None

    def describe(self) -> str:
        where = "" if self.remote is None else f' from "{self.remote[0]}",{self.remote[1]}'
        return f"+CIPRECVDATA:{self.length}{where} {_preview(self.data)}"


@dataclass(frozen=True, slots=True)
class Garbage(ResponseEvent):
    """Bytes that fit no form (not printable, a broken header, an over-long line)."""

    def describe(self) -> str:
        return f"{len(self.raw)} byte(s) outside any form: {_preview(self.raw)}"


@dataclass(frozen=True, slots=True)
class Incomplete(ResponseEvent):
    """What ``flush`` found pending: a line, header or payload that had begun and not ended."""

    reason: str

    def describe(self) -> str:
        return f"incomplete ({self.reason}): {_preview(self.raw)}"


@dataclass(frozen=True, slots=True)
class Blank(ResponseEvent):
    """Blank-line bytes that ``flush`` found with nothing after them."""

    def describe(self) -> str:
        return "blank line(s)"


Event: TypeAlias = (
    Final | Info | Line | Busy | RecvCount | LinkReport | Prompt | Ipd | RecvData | Garbage | Incomplete | Blank
)


def classify(text: str, raw: bytes) -> Event:
    """The event for one text line (``text`` without its line end, ``raw`` with everything it consumed)."""
    if text in FINAL_WORDS:
        return Final(text, raw=raw)
    if text.startswith("busy "):
        return Busy(text, raw=raw)
    match = _RECV.fullmatch(text)
    if match:
        return RecvCount(int(match.group(1)), raw=raw)
    match = _LINK.fullmatch(text)
    if match:
        return LinkReport(None if match.group(1) is None else int(match.group(1)), match.group(2), raw=raw)
    if text.startswith("+") and ":" in text:
        name, _, value = text[1:].partition(":")
        return Info(name, value, raw=raw)
    return Line(text, raw=raw)


def _address(text: str) -> tuple[str, int] | None:
    """``"<ip>",<port>`` (quotes optional) as (ip, port); None when it is not one."""
    host, sep, port = text.rpartition(",")
    host = host.strip('"') if host.startswith('"') == host.endswith('"') else ""
    if not sep or not port.isdigit() or len(port) > 5 or int(port) > 0xFFFF:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return host, int(port)


def parse_ipd_fields(fields: str, active: bool) -> tuple[int | None, int, tuple[str, int] | None] | None:
    """(link, length, remote) from the text between ``+IPD,`` and ``:`` (or the line end); None if malformed."""
    parts = fields.split(",", 2) if active else fields.split(",")
    link: int | None = None
    remote: tuple[str, int] | None = None
    if not active:
        if len(parts) > 2 or not all(p.isdigit() and len(p) <= 9 for p in parts):
            return None
        if len(parts) == 2:
            return int(parts[0]), int(parts[1]), None
        return None, int(parts[0]), None
    # Active: <len> | <id>,<len> | <len>,"ip",port | <id>,<len>,"ip",port (the ip may hold ':' in IPv6).
    head = fields.split(",")
    numbers: list[int] = []
    for part in head:
        if part.isdigit() and len(part) <= 9 and len(numbers) < 2:
            numbers.append(int(part))
        else:
            break
    rest = ",".join(head[len(numbers) :])
    if rest:
        remote = _address(rest)
        if remote is None or not numbers:
            return None
        if len(numbers) == 2:
            link, length = numbers
        elif len(numbers) == 1 and len(head) - len(numbers) == 2:
            (length,) = numbers
        else:
            return None
        return link, length, remote
    if len(numbers) == 2:
        return numbers[0], numbers[1], None
    if len(numbers) == 1:
        return None, numbers[0], None
    return None


class ResponseReader:
    """Host-side streaming reader: ``feed(bytes) -> [Event]``, ``flush() -> [Event]``.

    Line ends: CR-LF, a lone LF, or a lone CR that something other than LF follows (an echo
    ``AT\\r`` with a reply right after it). Blank lines belong to the next event. At the start of a
    line: ``>`` is a ``Prompt`` at once (the module then waits: no line end follows); ``+IPD,`` and
    ``+CIPRECVDATA`` are read by their announced length, so their data may hold any bytes. Every
    other line is classified by its text (``classify``). ``dinfo`` tells the reader whether
    ``+CIPRECVDATA`` carries the sender's address (the host knows from ``AT+CIPDINFO``; None: it is
    taken as an address when a quoted IP address and a port come first).

    Limits: a line or header is looked at for ``MAX_LINE`` / ``MAX_HEADER`` bytes, a payload may
    announce up to ``MAX_PAYLOAD`` bytes; beyond that the bytes are ``Garbage``.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._after_prompt = False  # a space right after the prompt belongs to the next event
        self.dinfo: bool | None = None

    @property
    def pending(self) -> bytes:
        """Bytes received and not yet part of any event."""
        return bytes(self._buf)

    def reset(self) -> None:
        self._buf.clear()
        self._after_prompt = False

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        out: list[Event] = []
        while self._buf and self._step(out, final=False):
            pass
        return out

    def flush(self) -> list[Event]:
        """The line went idle: pending bytes become ``Incomplete``, ``Garbage`` or ``Blank``."""
        out: list[Event] = []
        while self._buf and self._step(out, final=True):
            pass
        return out

    # -- internals: each step consumes one event from the head of the buffer, or returns False to wait
    # for more bytes. A decision is taken only once the bytes it depends on are all there, so the events
    # do not depend on how the input was chunked. With final=True no step waits.

    def _take(self, n: int) -> bytes:
        raw = bytes(self._buf[:n])
        del self._buf[:n]
        self._after_prompt = False  # the bytes right after a prompt went with this event
        return raw

    def _lead(self) -> int:
        """How many blank-line bytes (and a space right after a prompt) start the buffer."""
        buf = self._buf
        i = 0
        if self._after_prompt and buf[:1] == b" ":
            i = 1
        while i < len(buf) and buf[i] in _BLANK:
            i += 1
        return i

    def _step(self, out: list[Event], final: bool) -> bool:
        buf = self._buf
        lead = self._lead()
        if lead == len(buf):
            if not final:
                return False
            out.append(Blank(raw=self._take(lead)))
            return True
        start = buf[lead : lead + len(RECV_DATA)]
        if buf[lead] == PROMPT[0]:
            out.append(Prompt(raw=self._take(lead + 1)))
            self._after_prompt = True
            return True
        if start.startswith(IPD):
            return self._ipd(out, lead, final)
        if start.startswith(RECV_DATA):
            return self._recv_data(out, lead, final)
        if (
            not final
            and (IPD.startswith(bytes(start[: len(IPD)])) or RECV_DATA.startswith(bytes(start)))
            and len(buf) - lead < len(RECV_DATA)
        ):
            return False  # could still become +IPD, or +CIPRECVDATA
        return self._line(out, lead, final)

    def _line_end(self, start: int, limit: int) -> tuple[int, int] | None:
        """(end of the text, end of the line end) of the line from ``start``; None: not ended yet.

        A CR that is the last byte so far could still be followed by LF: not ended yet."""
        buf = self._buf
        for i in range(start, min(len(buf), limit)):
            if buf[i] == 0x0A:
                return i, i + 1
            if buf[i] == 0x0D:
                if i + 1 >= len(buf):
                    return None
                return i, i + 2 if buf[i + 1] == 0x0A else i + 1
        return None

    def _line(self, out: list[Event], lead: int, final: bool) -> bool:
        buf = self._buf
        found = self._line_end(lead, lead + MAX_LINE + 2)
        if found is None:
            if len(buf) - lead > MAX_LINE + 1:
                out.append(Garbage(raw=self._take(lead + MAX_LINE)))
                return True
            if not final:
                return False
            ends_in_cr = buf.endswith(b"\r")
            text_end = len(buf) - 1 if ends_in_cr else len(buf)
            if not ends_in_cr:
                out.append(Incomplete("line not ended", raw=self._take(len(buf))))
                return True
            found = (text_end, len(buf))
        text_end, end = found
        text = bytes(buf[lead:text_end])
        raw = self._take(end)
        if not all(0x20 <= b <= 0x7E or b == 0x09 for b in text):
            out.append(Garbage(raw=raw))
        else:
            out.append(classify(text.decode("ascii"), raw))
        return True

    def _payload(
        self, out: list[Event], data_at: int, length: int, final: bool, make: Callable[[bytes, bytes], Event]
    ) -> bool:
        """Wait for ``length`` payload bytes at ``data_at``, then emit ``make(raw, data)``."""
        if len(self._buf) < data_at + length:
            if not final:
                return False
            out.append(Incomplete(f"{length}-byte payload cut short", raw=self._take(len(self._buf))))
            return True
        raw = self._take(data_at + length)
        out.append(make(raw, raw[data_at:]))
        return True

    def _ipd(self, out: list[Event], lead: int, final: bool) -> bool:
        buf = self._buf
        head = lead + len(IPD)
        limit = min(len(buf), head + MAX_HEADER)
        quoted = False
        for i in range(head, limit):
            byte = buf[i]
            if byte == 0x22:
                quoted = not quoted
            elif byte == 0x3A and not quoted:  # ':' outside quotes: active mode, data follows
                parsed = parse_ipd_fields(bytes(buf[head:i]).decode("ascii", "replace"), active=True)
                if parsed is None or parsed[1] > MAX_PAYLOAD:
                    out.append(Garbage(raw=self._take(i + 1)))
                    return True
                length = parsed[1]

                def make(raw: bytes, data: bytes, head: tuple[int | None, int, Any] = parsed) -> Event:
                    return Ipd(head[0], head[1], data, head[2], raw=raw)

                return self._payload(out, i + 1, length, final, make)
            elif byte in _BLANK and not quoted:  # the passive notice is a line of its own
                found = self._line_end(lead, limit + 2)
                if found is None and not final:
                    return False
                text_end, end = found if found is not None else (i, i + 1)
                raw = self._take(end)
                parsed = parse_ipd_fields(raw[len(IPD) + lead : text_end].decode("ascii", "replace"), active=False)
                if parsed is None:
                    out.append(Garbage(raw=raw))
                else:
                    out.append(Ipd(parsed[0], parsed[1], None, None, raw=raw))
                return True
        if len(buf) - head >= MAX_HEADER:
            out.append(Garbage(raw=self._take(head + MAX_HEADER)))
            return True
        if not final:
            return False
        out.append(Incomplete("+IPD header not ended", raw=self._take(len(buf))))
        return True

    def _recv_data(self, out: list[Event], lead: int, final: bool) -> bool:
        buf = self._buf
        head = lead + len(RECV_DATA)
        window = bytes(buf[head : head + MAX_HEADER])
        # +CIPRECVDATA:<len>,[<"ip">,<port>,]<data>   or, AT 1.7: +CIPRECVDATA,<len>:<data>
        match = re.match(rb"([:,])(\d{1,10})([,:])", window)
        if match is None:
            if len(window) >= 13 or final:
                return self._line(out, lead, final)  # not the data form: a line like any other
            return False
        length = int(match.group(2))
        if match.group(1) + match.group(3) not in (b":,", b",:") or length > MAX_PAYLOAD:
            return self._line(out, lead, final)
        data_at = head + match.end()
        if match.group(1) == b":" and self.dinfo is not False:
            rest = bytes(buf[data_at : data_at + MAX_HEADER])
            address = re.match(rb'"([0-9A-Fa-f.:]{2,45})",(\d{1,5}),', rest)
            if address is None and self.dinfo is True:
                if len(rest) < MAX_HEADER and not final:
                    return False
                out.append(Garbage(raw=self._take(data_at)))
                return True
            partial = re.match(rb'"[0-9A-Fa-f.:]{0,45}("(,\d{0,5})?)?$', rest)
            if address is None and partial and len(rest) < MAX_HEADER and not final:
                return False  # could still become "<ip>",<port>,
            if address is not None:
                remote = _address(address.group(0)[:-1].decode("ascii"))
                if remote is not None:
                    at = data_at + address.end()
                    return self._payload(
                        out, at, length, final, lambda raw, data: RecvData(length, data, remote, raw=raw)
                    )
        return self._payload(out, data_at, length, final, lambda raw, data: RecvData(length, data, None, raw=raw))
