"""eS-WiFi host -> module commands (spec §1, §2): encoding, and the device-side streaming reader.

A command is two characters, optionally ``=`` and comma-separated parameters, ended by ``\\r``.
``S3=<n>\\r`` is followed by exactly ``n`` raw bytes (any values, CR and LF included) and no
terminator. The module does not echo.

``command``/``s3`` build the bytes a host sends. ``CommandReader`` is the module's side (the
emulator's): ``feed(bytes)`` turns host bytes, in any chunking, into ``Command`` and ``BadLine``
events and never raises on wire input.

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

CR = 0x0D
LF = 0x0A
# The longest command line (without its CR) the reader waits for. Real commands are far shorter
# (the longest, an SSID or a password, are under 100 bytes); anything longer is junk.
MAX_LINE = 512
# The largest S3 count the codec accepts. The documented limit (1460, spec §2) belongs to the
# device model, which answers an over-limit count with an error; the codec only has to frame it.
MAX_S3_COUNT = 0xFFFF

_NAME_FORBIDDEN = frozenset("=, ")


def _check_name(name: str) -> None:
    if len(name) != 2 or not all(0x21 <= ord(c) <= 0x7E and c not in _NAME_FORBIDDEN for c in name):
        raise ValueError(f"a command name is two printable ASCII characters, not {name!r}")


def _param_text(param: object) -> str:
    if isinstance(param, int):  # bool and IntEnum included: the wire wants the number
        return str(int(param))
    if isinstance(param, bytes | bytearray):
        return bytes(param).decode("ascii")
    return str(param)


def command(name: str, *params: object) -> bytes:
    """Wire bytes of a command line: ``command("PK", 1, 3000) == b"PK=1,3000\\r"``.

    Parameters are written with ``str`` (integers and booleans as decimal numbers). Raises
    ``ValueError`` for a name that is not two characters or a parameter that is not one ASCII line.
    """
    _check_name(name)
    line = name if not params else name + "=" + ",".join(_param_text(p) for p in params)
    try:
        raw = line.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError(f"command parameters must be ASCII: {line!r}") from exc
    if b"\r" in raw or b"\n" in raw:
        raise ValueError(f"command parameters must not contain CR or LF: {line!r}")
    return raw + b"\r"


def s3(payload: bytes) -> bytes:
    """``S3=<n>\\r`` followed by the ``n`` payload bytes: ``s3(b"2") == b"S3=1\\r2"``."""
    return command("S3", len(payload)) + bytes(payload)


def s0(payload: bytes) -> bytes:
    """``S0\\r`` followed by the payload, whose length the host set before with ``S1=<n>``."""
    return command("S0") + bytes(payload)


# --------------------------------------------------------------------------- device-side events


@dataclass(frozen=True, slots=True)
class Command:
    """One command line as the module received it.

    ``params`` are the comma-separated texts after ``=`` exactly as sent (``()`` for a bare name,
    ``("",)`` for ``XX=``). For ``S3``, ``params`` is the count as sent and ``payload`` holds the
    bytes that followed; ``raw`` is the line (with its CR) plus the payload.
    """

    name: str
    params: tuple[str, ...]
    raw: bytes
    payload: bytes = b""

    def describe(self) -> str:
        text = self.name if not self.params else f"{self.name}={','.join(self.params)}"
        if self.name == "S3":
            text += f" + {len(self.payload)} payload byte(s) {_preview(self.payload)}"
        return text


@dataclass(frozen=True, slots=True)
class BadLine:
    """Bytes that are not a command: too long, malformed, not ASCII, or cut short by ``flush``."""

    raw: bytes
    reason: str

    def describe(self) -> str:
        return f"bad line ({self.reason}): {_preview(self.raw)}"


CommandEvent: TypeAlias = Command | BadLine


def _preview(data: bytes, limit: int = 48) -> str:
    text = repr(bytes(data[:limit]))
    return text if len(data) <= limit else f"{text}... ({len(data)} bytes)"


class CommandReader:
    """Device-side streaming reader: ``feed(bytes) -> [Command | BadLine]``.

    A line ends at ``\\r``; one ``\\n`` right after that ``\\r`` is tolerated and dropped (it belongs
    to no event). After ``S3=<n>\\r`` the next ``n`` bytes are payload whatever they are, so a
    ``\\n`` there is payload too (hosts send the data right after the CR); one ``\\n`` right after
    the payload is dropped the same way (the pad an SPI host's bus layer adds to an odd-length write,
    inside the same command phase: Inventek ISM4343 data sheet p.15). A line with no ``\\r``
    within ``MAX_LINE`` bytes is reported in ``BadLine`` pieces of ``MAX_LINE`` bytes, the last one
    ending at the next ``\\r``, which resynchronises. The name is case-sensitive: only ``S3``
    (not ``s3``) takes a payload.

    ``S0\\r`` (no parameters) is followed by ``s0_length`` payload bytes: the write packet size
    the module holds from ``S1=<n>``, which the device sets here (0: ``S0`` takes no payload). The
    length in force when the ``S0`` line is read applies; hosts wait for ``S1``'s answer first.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.s0_length = 0
        # The payload being read: command name, count as sent, line raw, count.
        self._s3: tuple[str, str, bytes, int] | None = None
        self._after_cr = False
        self._overlong = False
        # Whether one \n right after a payload is dropped (the SPI pad); False: it starts the next line.
        self.drop_pad_after_payload = True

    @property
    def pending(self) -> bytes:
        """Bytes received and not yet part of any event (a partial line or S3 payload)."""
        return bytes(self._buf)

    @property
    def awaiting_payload(self) -> int:
        """How many S3 payload bytes are still expected (0 when reading lines)."""
        return 0 if self._s3 is None else self._s3[3] - len(self._buf)

    def feed(self, data: bytes) -> list[CommandEvent]:
        self._buf += data
        out: list[CommandEvent] = []
        while self._buf and self._step(out):
            pass
        return out

    def unread(self, data: bytes) -> None:
        """Put ``data`` back in front of the bytes not yet read (a partial line the caller took out)."""
        self._buf[:0] = data

    def flush(self) -> list[CommandEvent]:
        """The line went idle: report a partial line or an incomplete S3 payload as ``BadLine``."""
        out: list[CommandEvent] = []
        if self._s3 is not None:
            name, _, line_raw, count = self._s3
            got = len(self._buf)
            out.append(BadLine(line_raw + self._take(got), f"{name} payload cut short: {got} of {count} byte(s)"))
            self._s3 = None
        elif self._buf:
            reason = "over-long line not ended by CR" if self._overlong else "line not ended by CR"
            out.append(BadLine(self._take(len(self._buf)), reason))
        self._overlong = False
        return out

    # -- internals

    def _take(self, n: int) -> bytes:
        raw = bytes(self._buf[:n])
        del self._buf[:n]
        return raw

    def _step(self, out: list[CommandEvent]) -> bool:
        buf = self._buf
        if self._s3 is not None:
            name, count_text, line_raw, count = self._s3
            if len(buf) < count:
                return False
            payload = self._take(count)
            self._s3 = None
            self._after_cr = self.drop_pad_after_payload  # a pad \n may follow the payload, as after a CR
            out.append(Command(name, (count_text,) if count_text else (), line_raw + payload, payload))
            return True
        if self._after_cr:
            self._after_cr = False
            if buf[0] == LF:
                del buf[0]
                return True
        cr = buf.find(CR, 0, MAX_LINE + 1)
        if cr < 0:
            if len(buf) <= MAX_LINE:
                return False
            reason = "over-long line continues" if self._overlong else f"line longer than {MAX_LINE} bytes"
            out.append(BadLine(self._take(MAX_LINE), reason))
            self._overlong = True
            return True
        raw = self._take(cr + 1)
        self._after_cr = True
        if self._overlong:
            self._overlong = False
            out.append(BadLine(raw, "end of an over-long line"))
            return True
        event = self._parse(raw)
        if event is not None:
            out.append(event)
        return True

    def _parse(self, raw: bytes) -> CommandEvent | None:
        """The event for one complete line (with its CR); None when an S3 payload follows."""
        line = raw[:-1]
        if not line:
            return BadLine(raw, "empty line")
        if not all(0x20 <= b <= 0x7E for b in line):
            return BadLine(raw, "not printable ASCII")
        text = line.decode("ascii")
        name, rest = text[:2], text[2:]
        if len(name) < 2 or any(c in _NAME_FORBIDDEN for c in name):
            return BadLine(raw, "not a two-character command name")
        if rest and not rest.startswith("="):
            return BadLine(raw, f"expected '=' or CR after the command name {name!r}")
        params = tuple(rest[1:].split(",")) if rest else ()
        if name == "S0" and not params and self.s0_length > 0:
            self._s3 = (name, "", raw, self.s0_length)
            self._after_cr = False  # the payload starts right after the CR
            return None
        if name != "S3":
            return Command(name, params, raw)
        if len(params) != 1 or not params[0].isdigit():
            return BadLine(raw, "S3 needs one decimal byte count")
        count = int(params[0])
        if count > MAX_S3_COUNT:
            return BadLine(raw, f"S3 count {count} above {MAX_S3_COUNT}")
        if count == 0:
            return Command(name, params, raw, b"")
        self._s3 = (name, params[0], raw, count)
        self._after_cr = False  # the payload starts right after the CR
        return None
