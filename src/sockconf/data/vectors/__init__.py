"""The seed documents' bytes as data, one module per family.

Each vector is the hex exactly as the vendor printed it. Cases compare against these byte for
byte where a field does not depend on the run (the peer's address and port do).
"""

from __future__ import annotations


def hexbytes(text: str) -> bytes:
    """``"7E 00 03"`` -> ``b"\\x7e\\x00\\x03"``."""
    return bytes.fromhex(text)
