"""The eS-WiFi host drivers as the ESWIFI-HOST cases drive the module: their bytes and their parsers' rules.

Three drivers ship with the ISM43362: ST's ``es_wifi.c`` (STMicroelectronics/STM32CubeL4,
``Projects/B-L475E-IOT01A/Applications/WiFi/Common/Src/es_wifi.c``), Zephyr's ``drivers/wifi/eswifi/``
and Arm Mbed's ``wifi-ism43362`` (ARMmbed/wifi-ism43362, ``ISM43362/ISM43362.cpp``). Each sends its
commands with its own endings and judges each reply with its own test, not with the suite's general
reader: :class:`Wire` sends a command's bytes exactly as a driver builds them and hands back every byte
the module sent for it (on SPI, one data phase: a message written between replies lands in front of
the next reply); the functions below say what each driver makes of those bytes. docs/host-stacks.md
("eS-WiFi") states each rule with the requirement ID the cases verify and the function it comes from.
Nothing of the drivers is copied: the rules are restated.

The suite reaches the module through a byte stream, so two things of the SPI bus are stood in for: the
driver's reset (every driver pulses the module's reset pin, after which it has left its network; the
suite cannot, so ``CD`` stands in for it) and the end of a command phase (a byte the driver clocks after
an ``S3`` payload, in the same phase, is sent as the bridge's pad ``\\n``, which the module drops).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sockconf.harness.eswifi import ESWiFiSession
from sockconf.harness.eswifi.session import ANY_REPLY
from sockconf.harness.expect import show_bytes
from sockconf.harness.hoststack import HostStackRun
from sockconf.suites.eswifi.test_station import network, rejoined_on_failure

OK_TAIL = b"\r\nOK\r\n> "  # the success ending every driver looks for (ST and Mbed whole, Zephyr without the space)
ZEPHYR_OK = b"\r\nOK\r\n>"
PROMPT_TAIL = b"\r\n> "
PAD = b"\x15"  # the SPI module's fill byte (ISM4343 data sheet p.15)
SOMA, EOMA = b"[SOMA]", b"[EOMA]"
ACCEPTED = "[TCP SVR] Accepted "
SETTINGS = ("R1", "R2", "S1", "S2")  # per-socket settings the session puts back after the case


class Wire:
    """One driver's exchanges over the session: the command as the driver builds it, every byte that answered it."""

    def __init__(self, run: HostStackRun, eswifi: ESWiFiSession, end: bytes = b"\r") -> None:
        self.run = run
        self.eswifi = eswifi
        self.end = end
        self.socket: int | None = None
        eswifi.selected = None  # the session's idea of the selected socket is not kept up here

    def exchange(
        self, line: str, payload: bytes = b"", *, end: bytes | None = None, within: float | None = None
    ) -> bytes:
        """Send ``line`` (ended as the driver ends it) and ``payload``; the bytes of its reply, with any
        message the module wrote since the last reply in front (where an SPI host finds it)."""
        eswifi = self.eswifi
        raw = line.encode("ascii") + (self.end if end is None else end) + payload
        shown = line if not payload else f"{line} + {len(payload)} byte(s)"
        eswifi.send(raw, f"{shown} ({self.run.stack.name})")
        self._remember(line)
        timeout = eswifi.profile.deadlines.reply if within is None else within
        event = eswifi.reply_or_none(timeout)
        if event is None:
            # Nothing came: the session tells a module that stopped answering (INCONCLUSIVE) from one
            # that answers its probe (this exchange broke the driver).
            event = eswifi.reply(*ANY_REPLY, requirement=f"{line} is answered within {timeout:g} s", within=0)
        order = eswifi.arrival.get(id(event), -1)
        before = [m for m in eswifi.messages if eswifi.arrival.get(id(m), -1) < order]
        for message in before:
            eswifi.messages.remove(message)
        return b"".join(m.raw for m in before) + event.raw

    def _remember(self, line: str) -> None:
        name, _, value = line.partition("=")
        if name == "P0" and value.isdigit():
            self.socket = int(value)
        elif name in SETTINGS and self.socket is not None:
            # The driver changes a socket's setting: the session puts it back for the cases after this one.
            self.eswifi.changed.setdefault((self.socket, name), self.eswifi.defaults[name])

    def sleep(self, seconds: float) -> None:
        """The driver's pause between two polls (what the module says meanwhile is taken in)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.eswifi.watch(left)


@contextmanager
def reset_stand_in(run: HostStackRun, eswifi: ESWiFiSession, function: str) -> Iterator[None]:
    """The driver's reset, stood in for by ``CD`` (the module leaves its network, as after a reset); the
    module joins again if the case fails before the driver's own join got it back on the network."""
    network(eswifi)  # NOT APPLICABLE where the profile names no network (the drivers join one)
    with rejoined_on_failure(eswifi):
        with run.step(f"{function} (stand-in: CD, the module off its network as after the reset)"):
            eswifi.ok("CD", requirement="CD (leave the network) is answered with OK")
        yield


def fields_from_2(raw: bytes) -> list[str]:
    """A reply's data as the drivers split it: from byte 2, up to the first CR, at each comma."""
    text = raw[2:].split(b"\r", 1)[0].decode("ascii", "replace")
    return text.split(",")


def strtok(raw: bytes, seps: str = ",") -> list[str]:
    """C's strtok over the text after the leading CR LF up to the next CR: empty fields vanish."""
    text = raw[2:].split(b"\r", 1)[0].decode("ascii", "replace")
    return [t for t in re.split(f"[{re.escape(seps)}]", text) if t]


# ---------------------------------------------------------------- ST es_wifi.c


def st_ok(raw: bytes) -> bool:
    """``AT_ExecuteCommand`` and ``AT_RequestSendData``: OK when the reply holds ``\\r\\nOK\\r\\n> `` (a C string
    search: a NUL byte ends the reply early)."""
    return OK_TAIL in raw.split(b"\0", 1)[0]


def st_receive(raw: bytes) -> tuple[str, bytes]:
    """``AT_RequestReceiveData``: ("ok", data), ("closed", b"") or ("io-error", b"")."""
    if not raw.startswith(b"\r\n"):
        return "io-error", b""
    rest = raw[2:]
    if len(rest) < len(OK_TAIL):
        return "io-error", b""
    rest = rest.rstrip(PAD)
    if rest.endswith(OK_TAIL):
        return "ok", rest[: -len(OK_TAIL)]
    return "closed", b""


def st_no_client(raw: bytes) -> bool:
    """``ES_WIFI_WaitServerConnection``: no client yet while the ``P?`` reply begins ``\\r\\n0,0.0.0.0,``."""
    return raw.startswith(b"\r\n0,0.0.0.0,")


def st_mr(raw: bytes) -> bool:
    """``ES_WIFI_WaitServerConnection``'s ``MR``: with both markers, passes only when the reply holds
    ``Accepted`` or ``[SOMA][EOMA]``; without them it passes."""
    if SOMA in raw and EOMA in raw:
        return b"Accepted" in raw or SOMA + EOMA in raw
    return True


# ---------------------------------------------------------------- Zephyr eswifi


def zephyr_rsp(raw: bytes) -> bytes | None:
    """``eswifi_at_cmd_rsp``: the data, or None when the driver fails the reply (no leading CR LF, under
    9 bytes, or no ``\\r\\nOK\\r\\n>`` found searching back from 8 bytes before the end to byte 1)."""
    if not raw.startswith(b"\r\n") or len(raw) < 9:
        return None
    for i in range(len(raw) - 8, 0, -1):
        if raw[i : i + len(ZEPHYR_OK)] == ZEPHYR_OK:
            return raw[2:i]
    return None


def zephyr_join_address(data: bytes, ssid: str) -> str | None:
    """``eswifi_connect``: the address after the SSID and one separator in ``C0``'s data (None: never set)."""
    text = data.decode("ascii", "replace")
    at = text.find(ssid) if ssid else -1
    if at < 0:
        return None
    parts = text[at + len(ssid) + 1 :].split(".", 3)
    if len(parts) < 4:
        return None
    octets = [_atoi(p) for p in parts]
    return ".".join(str(o) for o in octets)


def zephyr_message(data: bytes) -> str | None:
    """``eswifi_spi_read_msg``: the message of an ``MR`` reply's data ("" for none, None when malformed)."""
    if not data.startswith(SOMA):
        return None
    return data[len(SOMA) : len(data) - len(EOMA)].decode("utf-8", "replace")


def zephyr_accepted_port(message: str) -> tuple[str, int] | None:
    """``eswifi_offload_async_msg``: the address and port of an ``Accepted`` message, read with atoi."""
    if not message.startswith(ACCEPTED):
        return None
    rest = message[len(ACCEPTED) :]
    host, _, port = rest.partition(":")
    octets = host.split(".")
    if len(octets) != 4:
        return None
    return ".".join(str(_atoi(o)) for o in octets), _atoi(port)


def _atoi(text: str) -> int:
    digits = re.match(r"\s*[+-]?\d*", text)
    value = digits.group(0).strip() if digits else ""
    return int(value) if value not in ("", "+", "-") else 0


# ---------------------------------------------------------------- Mbed wifi-ism43362


def mbed_buffer(raw: bytes) -> bytes:
    """``BufferedSpi::read``: the reply without its first word when that is ``\\r\\n``."""
    return raw[2:] if raw.startswith(b"\r\n") else raw


def mbed_lines(buf: bytes) -> list[bytes]:
    return [line for line in re.split(rb"[\r\n]", buf) if line]


def mbed_check_response(raw: bytes) -> str:
    """``ISM43362::check_response``: "" when it passes, else what is wrong. A line ``OK``, then ``>`` and
    one character; after them the pad bytes and one more byte are discarded, and anything left would
    make the next ``R0`` fail (``ATParser::read`` finds bytes still buffered)."""
    buf = mbed_buffer(raw)
    found = re.search(rb"(?:^|[\r\n])OK\r\n", buf)
    if found is None:
        return "no line OK"
    tail = buf[found.end() :]
    if len(tail) < 2 or tail[:1] != b">":
        return "no '>' and one character after the OK line"
    left = tail[2:].lstrip(PAD)[1:]
    if left:
        return f"{len(left)} byte(s) after the prompt, which the next R0 would find buffered"
    return ""


def mbed_receive(raw: bytes) -> tuple[str, bytes]:
    """``ISM43362::check_recv_status``: ("ok", data) or ("closed", b"")."""
    buf = mbed_buffer(raw).rstrip(PAD)
    if buf.startswith(b"OK\r\n> "):
        return "ok", b""
    if buf.endswith(OK_TAIL):
        return "ok", buf[: -len(OK_TAIL)]
    return "closed", b""


def mbed_version(raw: bytes) -> tuple[int, int]:
    """``ISM43362::get_firmware_version``: (fields, version): the first line's strtok fields, and field
    1's digits (a leading C and the dots skipped) as a number."""
    lines = mbed_lines(mbed_buffer(raw))
    tokens = [t for t in lines[0].decode("ascii", "replace").split(",") if t] if lines else []
    if len(tokens) < 2:
        return len(tokens), 0
    digits = "".join(c for c in tokens[1].removeprefix("C") if c.isdigit() or c == ".").replace(".", "")
    return len(tokens), int(digits[:9]) if digits else 0


def mbed_address(raw: bytes) -> tuple[str, bool]:
    """``ISM43362::getIPAddress``: token 5 of ``C?``'s first line by strtok, and whether token 6 exists."""
    lines = mbed_lines(mbed_buffer(raw))
    tokens = [t for t in lines[0].decode("ascii", "replace").split(",") if t] if lines else []
    return (tokens[5] if len(tokens) > 5 else ""), len(tokens) > 6


def show(raw: bytes) -> str:
    return show_bytes(raw, 96)
