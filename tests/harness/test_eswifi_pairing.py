"""eS-WiFi replies of unknown count, with a stand-in module: a late answer never stands in for a later
command's, a second answer is judged as its own command's, and the case setup ends behind a barrier."""

from __future__ import annotations

import pytest

from sockconf.core.trace import NOTE
from sockconf.drivers.base import Driver, DriverConfig
from sockconf.harness.eswifi import AN_ERROR, ESWiFiSession, ok_with
from sockconf.harness.expect import ConformanceFailure
from sockconf.protocol.eswifi import ErrorReply, Reply, error_reply, ok_reply
from sockconf.protocol.profile import Deadlines, Profile

PROFILE = Profile(
    name="stand-in", family="eswifi", description="", device={"sockets": 2}, deadlines=Deadlines(reply=0.2)
)
LATE = ok_reply(b"late answer")


class StandIn(Driver):
    """A stand-in eS-WiFi: ``P0=<n>`` selects (OK), a bare ``P0`` reads the selection, every other line is
    answered with an empty OK. Each write's answers come in one read.

    ``late``: bytes sent just before the answer to the command numbered ``late_at`` (from 0); ``twice``:
    commands whose answer is sent twice; ``errors``: bad lines answered with this many error replies."""

    name = "stand-in"

    def __init__(self, late: bytes = b"", late_at: int = -1, twice: frozenset[str] = frozenset()) -> None:
        super().__init__(DriverConfig(profile=PROFILE))
        self.late, self.late_at, self.twice = late, late_at, twice
        self.selected = 0
        self.lines: list[str] = []
        self.reads: list[bytes] = []

    def open(self) -> None:
        pass

    def _answer(self, line: str) -> bytes:
        name, _, param = line.partition("=")
        if name == "P0" and param:
            self.selected = int(param)
            return ok_reply()
        if name == "P0":
            return ok_reply(str(self.selected).encode())
        if name == "BAD":
            return error_reply("Unknown Error") * int(param)
        if name == "MUTE":
            return b""
        return ok_reply()

    def _send(self, data: bytes) -> None:
        out = b""
        for line in data.decode().split("\r")[:-1]:
            if len(self.lines) == self.late_at:
                out += self.late
            self.lines.append(line)
            answer = self._answer(line)
            out += answer * (2 if line.partition("=")[0] in self.twice else 1)
        self.reads.append(out)

    def _recv(self, timeout: float) -> bytes | None:
        return self.reads.pop(0) if self.reads else b""

    def _close(self) -> None:
        pass


@pytest.mark.parametrize("late_at", [0, 2, 5, 7], ids=lambda n: f"before-answer-{n}")
def test_a_late_answer_during_the_setup_never_reaches_the_case(late_at):
    driver = StandIn(late=LATE, late_at=late_at)
    session = ESWiFiSession(driver, PROFILE)
    session.reset()  # on the first try: no second try hides the late answer
    # The setup ends with P0=0 and a bare P0 answered 0, and nothing is left over for the case.
    assert driver.lines[-2:] == ["P0=0", "P0"]
    assert not session.replies and not session.extras
    # The case's first command gets its own answer.
    assert session.ok("P0", data=b"0", requirement="P0 reads 0").data == b"0"
    # The late answer was read and said so in the trace, not thrown away unseen.
    assert any(e.direction == NOTE and "late answer" in e.text for e in driver.trace.entries)


def test_a_second_answer_is_judged_as_its_own_commands_never_the_next_ones():
    driver = StandIn(twice=frozenset({"P2"}))
    session = ESWiFiSession(driver, PROFILE)
    session.reset()
    session.ok("P2", 5024, requirement="P2=5024 is answered with OK")
    with pytest.raises(ConformanceFailure) as caught:
        session.ok("P0", data=b"0", requirement="P0 reads 0")
    text = str(caught.value)
    assert "P2=5024 is answered by one reply" in text, text
    assert "1 more reply to P2=5024" in text, text
    # P0 was never written: the failure came before it, so no answer of P2 could be taken as P0's.
    assert driver.lines[-1] == "P2=5024"


def test_bad_input_may_draw_more_error_replies_than_counted():
    driver = StandIn()
    session = ESWiFiSession(driver, PROFILE)
    session.reset()
    session.send_bad(b"BAD=5\r", "bad input answered five times", replies=1)
    session.command("P0")  # the probe: every answer before its own belongs to the bad input
    answers = []
    while not answers or isinstance(answers[-1], ErrorReply):
        answers.append(session.reply(AN_ERROR, ok_with(b"0"), requirement="errors, then P0 reads 0"))
    session.settle()
    assert [type(a) for a in answers] == [ErrorReply] * 5 + [Reply]
    assert session.ok("P0", data=b"0", requirement="P0 reads 0").data == b"0"


def test_an_answer_that_comes_after_the_case_stopped_waiting_is_dropped_with_a_trace_note():
    driver = StandIn()
    session = ESWiFiSession(driver, PROFILE)
    session.reset()
    session.send(b"MUTE\r", "MUTE")
    assert session.reply_or_none(0.05) is None  # the case judges the absence within its own window
    session.settle()
    driver.reads.append(ok_reply(b"late"))  # the answer, after the case stopped waiting for it
    assert session.ok("P0", data=b"0", requirement="P0 reads 0").data == b"0"
    assert any(e.direction == NOTE and "late answer to MUTE" in e.text for e in driver.trace.entries)
