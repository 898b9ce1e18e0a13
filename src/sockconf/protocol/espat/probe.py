"""Identify an ESP-AT module on a port without changing a setting: the ``AT+GMR`` query.

Sans-IO: ``REQUESTS`` are the bytes to send (a CR-LF first ends any line an earlier probe left
half-typed, which the module answers with ERROR), ``parse`` reads what came back (``None`` until
the ``AT+GMR`` reply is whole: its ``AT version:`` line and the final OK), ``suggest`` picks the
profile for the same chip and AT version. Echo may be on: the echoed command line is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sockconf.protocol.espat.replies import Final, Line, ResponseReader
from sockconf.protocol.profile import Profile

REQUESTS = (b"\r\nAT+GMR\r\n",)
# "AT version:2.2.0.0-dev(ca41ec4 - ESP32 - Sep 16 2020 11:28:17)" (Basic doc, AT+GMR example).
_AT_VERSION = re.compile(r"AT version:\s*([^(\s]+)\s*(?:\(([^)]*)\))?")


def parse(data: bytes) -> dict[str, str] | None:
    """``firmware`` (the AT version), ``hardware`` (the chip) and the version lines, once AT+GMR is answered."""
    reader = ResponseReader()
    events = reader.feed(data)
    found: dict[str, str] = {}
    for event in events:
        if isinstance(event, Line):
            text = event.text.strip()
            match = _AT_VERSION.match(text)
            if match:
                found = {"firmware": match.group(1), "hardware": "", "at_version": text}
                parts = [p.strip() for p in (match.group(2) or "").split(" - ")]
                if len(parts) >= 2:
                    found["hardware"] = parts[1]
            elif found and text.startswith("SDK version:"):
                found["sdk_version"] = text.removeprefix("SDK version:")
            elif found and text.startswith("Bin version:"):
                found["bin_version"] = text.removeprefix("Bin version:")
        elif isinstance(event, Final) and event.word == "OK" and found:
            return found
    return None


def suggest(found: dict[str, str], profiles: Sequence[Profile]) -> str | None:
    """The profile for the same chip (and AT major version, if several), else None."""
    chip = found.get("hardware", "").upper()
    major = found.get("firmware", "").split(".")[0]
    same_chip = [p for p in profiles if str(p.get("chip", "")).upper() == chip and chip]
    same_major = [p for p in same_chip if str(p.get("at_version", "")).split(".")[0] == major]
    best = same_major or same_chip
    return best[0].name if best else None
