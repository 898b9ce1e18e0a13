"""Reply deadlines count from when the written bytes have reached the DUT: a write on a paced or serial line
takes its line time after the call returns (10 bits a byte), so a deadline after a long write includes it."""

from __future__ import annotations

import time

from sockconf.drivers.base import Driver, DriverConfig
from sockconf.drivers.emulator import EmulatorDriver
from sockconf.protocol.profile import load_profile


class Line(Driver):
    name = "line"

    def __init__(self, baud: int | None) -> None:
        super().__init__(DriverConfig(profile=load_profile("ism43362")))
        self.baud = baud

    @property
    def line_baud(self) -> int | None:
        return self.baud

    def open(self) -> None:
        pass

    def _send(self, data: bytes) -> None:
        pass

    def _recv(self, timeout: float) -> bytes | None:
        return b""

    def _close(self) -> None:
        pass


def test_a_write_on_a_paced_line_moves_the_reply_deadline_by_its_line_time():
    line = Line(9600)
    assert line.line_time(960) == 1.0  # 9600 bits
    before = time.monotonic()
    line.write(b"x" * 960)
    line.write(b"y" * 96)  # queued behind the first: its line time adds to it
    deadline = line.after_line(2.0)
    assert deadline >= before + 1.0 + 0.1 + 2.0


def test_without_line_time_the_deadline_counts_from_now():
    line = Line(None)
    line.write(b"x" * 100_000)
    assert line.line_time(100_000) == 0.0
    assert line.line_free == 0.0
    before = time.monotonic()
    assert before + 2.0 <= line.after_line(2.0) <= time.monotonic() + 2.0


def test_the_emulator_has_line_time_only_when_paced():
    profile = load_profile("ism43362")
    assert EmulatorDriver(DriverConfig(profile=profile, options={"pace": 9600})).line_baud == 9600
    assert EmulatorDriver(DriverConfig(profile=profile)).line_baud is None
