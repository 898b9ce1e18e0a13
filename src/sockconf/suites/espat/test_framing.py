"""ESPAT-FRAMING: the line protocol: a command is executed only once its CR-LF arrives, and input that is no
command (an over-long line, a trailing space) is refused without disturbing what follows."""

from __future__ import annotations

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, describe_event
from sockconf.protocol.espat import Busy


@case(
    "ESPAT-FRAMING-01",
    "AT without its terminator gets no answer; the CR-LF that follows completes it and OK comes",
    verifies=("ESPAT-DOC-FAQ-TERM-01", "ESPAT-DOC-IDX-LINE-03"),
)
def test_terminator(espat: EspAtSession) -> None:
    espat.send_raw(b"AT", "AT without CR-LF")
    espat.watch(espat.deadlines[2])
    if espat.answers:
        espat.fail(espat.requirement, ["no answer before CR-LF"], [describe_event(e) for e in espat.answers],
                   ["answered without the terminator"])  # fmt: skip
    started = espat.send_raw(b"\r\n", "the CR-LF", check_strays=False)
    response = espat.collect("AT", started, requirement=espat.requirement)
    espat.expect_final(response, ("OK",), espat.requirement)


def refused(espat: EspAtSession, raw: bytes, note: str, requirement: str) -> str:
    """Send ``raw``: it must be answered ERROR or busy p..., never OK; the module then answers AT. The answer's kind."""
    started = espat.send_raw(raw, note)
    response = espat.collect(note, started, finals=("OK", "ERROR"), busy_ends=True, requirement=requirement)
    busy = [e for e in response.lines if isinstance(e, Busy)]
    others = [e for e in response.lines if not isinstance(e, Busy) and not e.describe().startswith("ERR CODE")]
    if response.word == "OK" or others:
        espat.fail(requirement, ["ERROR", "busy p..."], response.shown(), ["input that is no command was taken"])
    espat.ok(requirement="afterwards AT is answered with OK")
    return "busy" if busy else "error"


@case(
    "ESPAT-FRAMING-02",
    "a line longer than 256 bytes that is no command is refused (ERROR or busy p...), and the next command is answered",
    verifies=("ESPAT-DOC-MSG-RESP-ERROR",),
)
def test_long_line(espat: EspAtSession) -> None:
    raw = b"AT+" + b"Z" * 300 + b"\r\n"
    choice = refused(espat, raw, f"AT+ZZZ... ({len(raw) - 2} bytes)", espat.requirement)
    espat.on_observed("ESPAT-SILENT-LONG-LINE", choice, f"a {len(raw) - 2}-byte line")


@case(
    "ESPAT-FRAMING-03",
    "a command with an invisible character after it (AT and a space) is answered busy p... or ERROR, never OK",
    verifies=("ESPAT-DOC-FAQ-BUSY-03",),
)
def test_trailing_space(espat: EspAtSession) -> None:
    refused(espat, b"AT \r\n", "AT and a space", espat.requirement)
