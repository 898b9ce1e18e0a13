"""Identify an XBee on a port without changing a setting: API-frame AT queries ``VR``, ``HV``, ``AP``.

Sans-IO: ``REQUESTS`` are the bytes to send (AP=1 framing first; then AP=2 framing, which differs
where a byte needs escaping), ``parse`` reads what came back (``None`` until the three answers are
there), ``suggest`` picks the profile that matches what the module reported. The port scan
(``sockconf scan``) and ``--profile auto`` carry the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sockconf.protocol.profile import Profile
from sockconf.protocol.xbee.frames import ATCommand, ATCommandResponse
from sockconf.protocol.xbee.framing import Decoder, encode

QUERIES = (b"VR", b"HV", b"AP")
_FRAMES = [ATCommand(frame_id=i, command=c) for i, c in enumerate(QUERIES, 0x51)]
REQUESTS = tuple(dict.fromkeys(b"".join(encode(f, mode) for f in _FRAMES) for mode in (1, 2)))


def parse(data: bytes) -> dict[str, str] | None:
    """``firmware``, ``hardware`` and ``api_mode`` once the module answered all three queries."""
    for mode in (1, 2):
        answers: dict[bytes, ATCommandResponse] = {}
        for event in Decoder(mode).feed(data):
            if isinstance(event, ATCommandResponse) and event.command in QUERIES:
                answers[event.command] = event
        if len(answers) == len(QUERIES):
            ap = answers[b"AP"].value
            return {
                "firmware": answers[b"VR"].value.hex().upper(),
                "hardware": answers[b"HV"].value.hex().upper(),
                "api_mode": str(int.from_bytes(ap, "big")) if ap else "?",
            }
    return None


def suggest(found: dict[str, str], profiles: Sequence[Profile]) -> str | None:
    """The profile with the module's hardware version (and firmware, if several), else None."""
    same_hw = [p for p in profiles if str(p.get("HV", "")).upper() == found.get("hardware")]
    same_fw = [p for p in same_hw if str(p.get("VR", "")).upper() == found.get("firmware")]
    best = same_fw or same_hw
    return best[0].name if best else None
