"""The echo family's host side: send one line, read the reply up to the prompt, within the profile's deadline."""

from __future__ import annotations

import time

import pytest

from sockconf.drivers.base import Driver
from sockconf.harness.expect import ConformanceFailure, NoAnswer
from sockconf.harness.host import FamilyHost


class EchoSession:
    def __init__(self, driver: Driver, deadline: float) -> None:
        self.driver = driver
        self.deadline = deadline
        self.requirement = ""

    def command(self, line: bytes) -> bytes:
        """The reply to ``line`` (everything up to the prompt)."""
        self.driver.write(line + b"\r")
        buf = b""
        until = time.monotonic() + self.deadline
        while not buf.endswith(b"> ") and time.monotonic() < until:
            buf += self.driver.read(until)
        if not buf:
            raise NoAnswer(self.requirement, [f"a reply to {line!r}"], ["nothing"], ["no reply"])
        if not buf.endswith(b"> "):
            raise ConformanceFailure(self.requirement, ["a reply ending in the prompt"], [repr(buf)], ["no prompt"])
        return buf


class EchoHost(FamilyHost):
    hint = "not an echo module?"
    identified_by = "module"

    def open_session(self) -> EchoSession:
        return EchoSession(self.link.driver, self.link.profile.deadlines.reply)

    def reset(self, request: pytest.FixtureRequest) -> None:
        self.session.command(b"EC=")

    def dut_address(self) -> str | None:
        return None

    def identify(self) -> dict[str, str]:
        return {"module": "echo"}
