"""Texts of the eS-WiFi server messages (spec §3): the seed's bracketed lines and ``Accepted``, and
the ``[SOMA]<message>[EOMA]`` blocks ``MR`` answers them in on SPI.

Only the ``[TCP SVR] Accepted <ip>:<port>`` prefix is firm (every public driver parses it); the
other texts appear only in the seed and are UNCONFIRMED. The seed prints an ellipsis character
after ``Waiting on connection``; the wire text here uses three ASCII dots, as Inventek's ISM4343
data sheet prints it (p.17).

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

import ipaddress

MULTI_ACCEPT_SETUP = "[TCP TSK] Multi-Accept Setup"
WAITING = "[TCP SVR] Waiting on connection ..."
KILLED = "[TCP TSK] Killed"
ACCEPTED_PREFIX = "[TCP SVR] Accepted "
# MR's data: each message between these markers; [SOMA][EOMA] when none waits (ISM4343 data sheet p.17).
SOMA = "[SOMA]"
EOMA = "[EOMA]"


def accepted_line(ip: str, port: int) -> str:
    """``[TCP SVR] Accepted <ip>:<port>`` for a client's IPv4 address and source port."""
    ipaddress.IPv4Address(ip)  # raises ValueError for anything but a dotted-quad IPv4 address
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"not a TCP port: {port}")
    return f"{ACCEPTED_PREFIX}{ip}:{port}"


def parse_accepted(text: str) -> tuple[str, int] | None:
    """(ip, port) from an ``Accepted`` message; None for any other text or a malformed address."""
    if not text.startswith(ACCEPTED_PREFIX):
        return None
    host, sep, port = text[len(ACCEPTED_PREFIX) :].strip().rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()) or len(port) > 5:
        return None
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return None
    number = int(port)
    return (host, number) if number <= 0xFFFF else None


def mr_messages(data: bytes) -> list[str] | None:
    """The messages of an ``MR`` reply's data: one ``[SOMA]<message>[EOMA]`` block each (several blocks
    one after the other allowed), none for ``[SOMA][EOMA]`` or for no data at all; None when the data
    is anything else."""
    text = data.decode("utf-8", "backslashreplace")
    found: list[str] = []
    while text:
        if not text.startswith(SOMA):
            return None
        end = text.find(EOMA, len(SOMA))
        if end < 0:
            return None
        message = text[len(SOMA) : end]
        if message:
            found.append(message)
        text = text[end + len(EOMA) :]
    return found
