"""Identify an eS-WiFi module on a port without changing a setting: the ``I?`` query.

Sans-IO: ``REQUESTS`` are the bytes to send (a lone CR first ends any line a previous probe left
half-typed), ``parse`` reads what came back (``None`` until the ``I?`` reply is whole), ``suggest``
picks the profile whose identity line names the same product.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sockconf.protocol.eswifi.replies import TERMINATOR
from sockconf.protocol.profile import Profile

REQUESTS = (b"\rI?\r",)
# The I? reply: CRLF, "product,firmware,...", then the OK terminator.
_IDENTITY = re.compile(rb"\r\n([^\r\n,]+),([^\r\n,]*)([^\r\n]*)" + re.escape(TERMINATOR))


def parse(data: bytes) -> dict[str, str] | None:
    """``hardware`` (the product) and ``firmware`` once the ``I?`` reply arrived."""
    match = _IDENTITY.search(data)
    if match is None:
        return None
    product, firmware, rest = (g.decode("ascii", "replace").strip() for g in match.groups())
    return {"hardware": product, "firmware": firmware, "identity": f"{product},{firmware}{rest}"}


def suggest(found: dict[str, str], profiles: Sequence[Profile]) -> str | None:
    """The profile whose identity names the same product (and firmware, if several), else None."""

    def fields(p: Profile) -> list[str]:
        return str(p.get("identity", "")).split(",")

    same_hw = [p for p in profiles if fields(p)[0] == found.get("hardware")]
    same_fw = [p for p in same_hw if fields(p)[1:2] == [found.get("firmware")]]
    best = same_fw or same_hw
    return best[0].name if best else None
