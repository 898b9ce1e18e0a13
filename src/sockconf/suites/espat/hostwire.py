"""The AT link as a host driver sees it: raw bytes, read and written by the driver's own rules.

The ESPAT-HOST cases bypass the session's strict reader (``harness.espat.EspAtSession``): a host
driver takes what its own parser takes and drops the rest, so each imitation (``suites/espat/zephyr.py``,
``suites/espat/wifiespat.py``) reads the module's bytes from here and judges them itself.
"""

from __future__ import annotations

import time

from sockconf.core.trace import NOTE
from sockconf.harness.espat import EspAtSession
from sockconf.harness.expect import NoAnswer


class Wire:
    """The module's bytes, buffered as they arrive, and what the host writes."""

    def __init__(self, espat: EspAtSession) -> None:
        espat.drain()  # nothing the session read before belongs to the host's flow
        self.espat = espat
        self.driver = espat.driver
        self.buf = bytearray()
        self.seen = bytearray()  # what the module sent since the last write, for the verdict

    def write(self, raw: bytes, note: str, probe: bool = False) -> None:
        """Write ``raw``; a driver's ``probe`` (not a new request) keeps what came before it in view."""
        self.driver.trace.record(NOTE, text=f"→ {note}")
        if not probe:
            self.seen.clear()
        self.driver.write(raw)

    def command(self, text: str) -> None:
        """A command line as every one of these drivers ends it: with CR-LF."""
        self.write(text.encode("ascii") + b"\r\n", text)

    def fill(self, deadline: float) -> bool:
        """Read once, until data or ``deadline``; False when nothing came."""
        data = self.driver.read(deadline)
        if not data:
            return False
        self.buf += data
        self.seen += data
        return True

    def take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def exactly(self, n: int, deadline: float) -> bytes | None:
        """``n`` bytes, or None when they are not all there by ``deadline``."""
        while len(self.buf) < n:
            if time.monotonic() >= deadline:
                return None
            self.fill(deadline)
        return self.take(n)

    def shown(self) -> bytes:
        """What the module sent since the last write (at most its last 200 bytes)."""
        return bytes(self.seen[-200:]) or b""

    def answers_at_all(self, need: str) -> None:
        """Before a missing answer is called a break: a module that sent nothing since the last write and
        does not answer ``AT`` either gives no verdict (NoAnswer: INCONCLUSIVE), as elsewhere in the suite."""
        if self.seen:
            return
        self.driver.trace.record(NOTE, text="(liveness probe after a missing answer)")
        self.driver.write(b"AT\r\n")
        deadline = time.monotonic() + self.espat.profile.deadlines.reply
        got = bytearray()
        while time.monotonic() < deadline:
            got += self.driver.read(deadline)
            if any(word in got for word in (b"OK", b"ERROR", b"busy")):
                self.buf += got  # the host's parser sees the answer to the probe as well
                return
        raise NoAnswer(need, [need], ["nothing, and no answer to AT either"], ["the module is silent"], b"")

    def restore_after(self, name: str, *params: object) -> None:
        """A setting the driver changed: the session's reset sets ``AT<name>=params`` before the next case."""
        self.espat.changed.setdefault(name, params)
