"""The byte trace: every byte to and from the DUT, and every network action of the peer, timestamped.

Drivers record raw bytes; the layers above add what they decoded (``note``) and what the peer did
(``net``). The report reads entries as plain data and never needs to know the family.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

TX = "host→dut"
RX = "dut→host"
NET = "peer"
NOTE = "decoded"


@dataclass(frozen=True, slots=True)
class TraceEntry:
    t: float  # time.monotonic()
    direction: str  # TX, RX, NET or NOTE
    data: bytes = b""
    text: str = ""


@dataclass
class Trace:
    entries: list[TraceEntry] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)
    limit: int = 20000  # entries kept per case; a soak run must not grow without bound

    def restart(self) -> None:
        """A new case begins: forget what came before, count time from now."""
        self.entries = []
        self.t0 = time.monotonic()

    def record(self, direction: str, data: bytes = b"", text: str = "") -> None:
        if len(self.entries) < self.limit:
            self.entries.append(TraceEntry(time.monotonic(), direction, data, text))

    def last_received(self, n: int = 64) -> bytes:
        """The last ``n`` bytes the DUT sent in this case."""
        tail = b"".join(e.data for e in self.entries if e.direction == RX)
        return tail[-n:]
