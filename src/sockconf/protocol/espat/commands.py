"""ESP-AT host -> module commands (spec §3): building command lines, and the device-side reader.

A command line is ``AT``, ``AT<basic>`` (``ATE0``) or ``AT+<NAME>`` with ``?`` (query), ``=?`` (test),
``=<parameters>`` (set) or nothing (execute), ended by CR-LF. Parameters are separated by commas;
a string is in double quotes, inside which ``\\\\``, ``\\,`` and ``\\"`` are escapes and ``\\<any>``
stands for ``<any>``; an omitted parameter followed by others keeps its comma. After ``AT+CIPSEND``
(or ``AT+CIPSENDEX``) has been answered with the prompt, the next ``<length>`` bytes are data, not
a line.

``command`` builds the bytes a host sends. ``CommandReader`` is the module's side (the emulator's):
``feed(bytes)`` buffers host bytes, ``next()`` hands out one ``CommandLine``, ``BadLine`` or ``Data``
at a time, so the module can switch the reader to data mode (``expect_data``) right after the
command that asks for data, before the bytes behind it are read. It never raises on wire input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

CRLF = b"\r\n"
# The documented limit of a command line ("The length of each AT command should be no more than 256
# bytes"). The reader hands longer lines to the module whole (up to MAX_READ), which decides.
MAX_COMMAND = 256
# The longest line the reader waits for; a line without CR-LF within this many bytes is reported in
# BadLine pieces, the last one ending at the next CR-LF.
MAX_READ = 4096

_NAME = re.compile(r"[A-Z0-9_]+")
_BASIC = re.compile(r"[A-Z&][A-Z0-9]*")


class Kind(Enum):
    """The four command types of the vendor's "AT Command Types" table."""

    TEST = "test"  # AT+<NAME>=?
    QUERY = "query"  # AT+<NAME>?
    SET = "set"  # AT+<NAME>=<...>
    EXECUTE = "execute"  # AT+<NAME>, AT, ATE0


class _Omitted:
    def __repr__(self) -> str:
        return "OMIT"


OMIT = _Omitted()  # an omitted parameter that other parameters follow: only its comma is written


class Raw(str):
    """A parameter written exactly as given: no quotes, no escapes (e.g. an unquoted string, on purpose)."""

    __slots__ = ()


def quote(text: str) -> str:
    """``text`` as a quoted AT string parameter, with ``\\``, ``"`` and ``,`` escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace(",", "\\,")
    return f'"{escaped}"'


def _param_text(param: object) -> str:
    if param is OMIT:
        return ""
    if isinstance(param, Raw):
        return str(param)
    if isinstance(param, bool | int):  # bool and IntEnum included: the wire wants the number
        return str(int(param))
    if isinstance(param, str):
        return quote(param)
    raise ValueError(f"an AT parameter is an int, a str, Raw or OMIT, not {param!r}")


def command(name: str = "", *params: object) -> bytes:
    """Wire bytes of a command line.

    ``command()`` is ``AT``; ``command("E0")`` is ``ATE0``; ``command("+CIPMUX?")`` a query,
    ``command("+CIPMUX=?")`` a test, ``command("+CIPMUX", 1)`` the set ``AT+CIPMUX=1``,
    ``command("+CIPSTART", 0, "TCP", "10.0.0.2", 80)`` quotes the strings. Integers are written as
    decimal numbers, strings quoted and escaped, ``Raw`` as given, ``OMIT`` as nothing between commas.
    Raises ``ValueError`` for what cannot be one ASCII command line.
    """
    text = "AT" + name
    if params:
        if name.endswith("?") or not name.startswith("+"):
            raise ValueError(f"parameters go with a set command AT+<NAME>=..., not {text!r}")
        text += "=" + ",".join(_param_text(p) for p in params)
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError(f"a command line is ASCII: {text!r}") from exc
    if b"\r" in raw or b"\n" in raw:
        raise ValueError(f"a command line holds no CR or LF: {text!r}")
    return raw + CRLF


# --------------------------------------------------------------------------- device-side events


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter as sent: its text (escapes resolved inside quotes) and whether it was quoted."""

    text: str
    quoted: bool = False

    @property
    def omitted(self) -> bool:
        return not self.quoted and self.text == ""

    def number(self, low: int, high: int) -> int | None:
        """The parameter as a decimal integer within [low, high]; None otherwise (quoted, empty, junk)."""
        if self.quoted or not re.fullmatch(r"-?[0-9]{1,10}", self.text):
            return None
        value = int(self.text)
        return value if low <= value <= high else None


@dataclass(frozen=True, slots=True)
class CommandLine:
    """One command line as the module received it (``raw`` with its CR-LF).

    ``name`` is the extended name (``CIPMUX``) or, for a basic command, its letters (``E0``; ``""``
    for ``AT``); ``basic`` tells which. ``params`` is empty for every kind but SET.
    """

    name: str
    kind: Kind
    params: tuple[Param, ...]
    raw: bytes
    basic: bool = False

    @property
    def text(self) -> str:
        """The line without its CR-LF."""
        return self.raw[:-2].decode("ascii", "replace")

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a command the module can parse; ``reason`` in the vendor's error-code words."""

    raw: bytes
    reason: str
    code: int  # the subcategory of AT+SYSLOG's error code (0x02 no terminator, 0x03 no AT, 0x08 parse fail)

    def describe(self) -> str:
        return f"bad line ({self.reason}): {_preview(self.raw)}"


@dataclass(frozen=True, slots=True)
class Data:
    """The data after the send prompt: ``payload`` as it goes to the network, ``raw`` as it came.

    ``ended_early``: ``AT+CIPSENDEX``'s data ended at ``\\0`` before reaching its length.
    """

    payload: bytes
    raw: bytes
    ended_early: bool = False

    def describe(self) -> str:
        return f"data, {len(self.payload)} byte(s) {_preview(self.payload)}"


CommandEvent: TypeAlias = CommandLine | BadLine | Data

# AT+SYSLOG's error subcategories the reader can tell (Basic doc, "AT+SYSLOG").
NO_TERMINATOR = 0x02
NO_AT = 0x03
PARSE_FAIL = 0x08


def _preview(data: bytes, limit: int = 48) -> str:
    text = repr(bytes(data[:limit]))
    return text if len(data) <= limit else f"{text}... ({len(data)} bytes)"


def parse_params(text: str) -> tuple[Param, ...] | None:
    """The parameters of a set command (the text after ``=``); None when the quoting is broken."""
    params: list[Param] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            i += 1
            value: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(text[i])
                i += 1
            if i >= n:
                return None  # no closing quote
            i += 1
            if i < n and text[i] != ",":
                return None  # junk after the closing quote
            params.append(Param("".join(value), quoted=True))
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            piece = text[i:end]
            if '"' in piece:
                return None
            params.append(Param(piece))
            i = end
        if i >= n:
            return tuple(params)
        i += 1  # the comma
        if i >= n:
            params.append(Param(""))
            return tuple(params)


def parse_line(raw: bytes) -> CommandLine | BadLine:
    """The event for one complete line (``raw`` ends with CR-LF)."""
    line = raw[:-2]
    if not all(0x20 <= b <= 0x7E for b in line):
        return BadLine(raw, "not printable ASCII", PARSE_FAIL)
    text = line.decode("ascii")
    if not text.startswith("AT"):
        return BadLine(raw, "starting AT not found", NO_AT)
    rest = text[2:]
    if not rest:
        return CommandLine("", Kind.EXECUTE, (), raw, basic=True)
    if not rest.startswith("+"):
        if _BASIC.fullmatch(rest):
            return CommandLine(rest, Kind.EXECUTE, (), raw, basic=True)
        return BadLine(raw, "not a command", PARSE_FAIL)
    match = _NAME.match(rest, 1)
    if match is None:
        return BadLine(raw, "no command name after AT+", PARSE_FAIL)
    name, tail = match.group(), rest[match.end() :]
    if tail == "":
        return CommandLine(name, Kind.EXECUTE, (), raw)
    if tail == "?":
        return CommandLine(name, Kind.QUERY, (), raw)
    if tail == "=?":
        return CommandLine(name, Kind.TEST, (), raw)
    if not tail.startswith("="):
        return BadLine(raw, f"expected ?, =? or = after AT+{name}", PARSE_FAIL)
    params = parse_params(tail[1:])
    if params is None:
        return BadLine(raw, "broken quoting in the parameters", PARSE_FAIL)
    return CommandLine(name, Kind.SET, params, raw)


class CommandReader:
    """Device-side reader: ``feed(bytes)`` buffers, ``next()`` returns one event or None (need more bytes).

    A line ends at CR-LF. After ``expect_data(n)`` the next ``n`` bytes are ``Data`` whatever they
    are; with ``escapes`` (``AT+CIPSENDEX``) a backslash takes the next byte literally and
    ``\\0`` ends the data early, and ``n`` counts the bytes after unescaping. A line with no CR-LF
    within ``MAX_READ`` bytes is reported in ``BadLine`` pieces, the last ending at the next CR-LF.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._data: tuple[int, bool] | None = None  # (length, escapes) while reading data
        self._overlong = False

    @property
    def pending(self) -> bytes:
        """Bytes received and not yet part of any event."""
        return bytes(self._buf)

    @property
    def in_data(self) -> bool:
        return self._data is not None

    def feed(self, data: bytes) -> None:
        self._buf += data

    def expect_data(self, length: int, escapes: bool = False) -> None:
        """The next ``length`` bytes (after unescaping, with ``escapes``) are data."""
        self._data = (length, escapes)

    def cancel_data(self) -> None:
        self._data = None

    def drop(self, n: int | None = None) -> bytes:
        """Take ``n`` pending bytes (all when None) out unread; what was taken."""
        n = len(self._buf) if n is None else n
        taken = bytes(self._buf[:n])
        del self._buf[:n]
        return taken

    def next(self) -> CommandEvent | None:
        if self._data is not None:
            return self._next_data(*self._data)
        buf = self._buf
        end = buf.find(CRLF, 0, MAX_READ + 2)
        if end < 0:
            if len(buf) <= MAX_READ + 1:
                return None
            piece = self.drop(MAX_READ)
            reason = "over-long line continues" if self._overlong else f"line longer than {MAX_READ} bytes"
            self._overlong = True
            return BadLine(piece, reason, PARSE_FAIL)
        raw = self.drop(end + 2)
        if self._overlong:
            self._overlong = False
            return BadLine(raw, "end of an over-long line", PARSE_FAIL)
        return parse_line(raw)

    def flush(self) -> list[CommandEvent]:
        """The line went idle: a partial line is a ``BadLine`` (no terminator); partial data stays."""
        if self._data is not None or not self._buf:
            return []
        self._overlong = False
        return [BadLine(self.drop(), "terminator not found (CR-LF expected)", NO_TERMINATOR)]

    def _next_data(self, length: int, escapes: bool) -> Data | None:
        buf = self._buf
        if not escapes:
            if len(buf) < length:
                return None
            self._data = None
            raw = self.drop(length)
            return Data(raw, raw)
        payload = bytearray()
        i = 0
        while len(payload) < length:
            if i >= len(buf):
                return None
            byte = buf[i]
            if byte == 0x5C:  # backslash
                if i + 1 >= len(buf):
                    return None
                following = buf[i + 1]
                if following == 0x30:  # "\0": the data ends here
                    self._data = None
                    raw = self.drop(i + 2)
                    return Data(bytes(payload), raw, ended_early=True)
                payload.append(following)
                i += 2
                continue
            payload.append(byte)
            i += 1
        self._data = None
        return Data(bytes(payload), self.drop(i))
