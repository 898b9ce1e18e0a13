"""ESPAT-NEG: commands that cannot be executed: ERROR (and AT+SYSLOG's ERR CODE), parameters out of range or
badly quoted, and input while a command runs (busy p...)."""

from __future__ import annotations

import time

import pytest

from sockconf.data.vectors.espat import ESPAT_ERR_PROCESSING, ESPAT_ERR_UNSUPPORTED, ESPAT_ERROR
from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, describe_event
from sockconf.harness.peer import Peer
from sockconf.protocol.espat import Busy, Event, Final, Line, Raw, command
from sockconf.suites.espat.exchange import black_hole, info_value


@case(
    "ESPAT-NEG-01",
    "an unknown command is answered with the ERROR system message (exactly \\r\\nERROR\\r\\n); with AT+SYSLOG=1 "
    "ERR CODE:0x01090000 (not supported) comes first, with AT+SYSLOG=0 it does not",
    verifies=(
        "ESPAT-DOC-FMT-ERR-01",
        "ESPAT-DOC-MSG-RESP-ERROR",
        "ESPAT-DOC-MSG-ERRCODE",
        "ESPAT-DOC-BASIC-SYSLOG-01",
        "ESPAT-DOC-BASIC-SYSLOG-02",
        "ESPAT-DOC-BASIC-SYSLOG-03",
        "ESPAT-DOC-BASIC-SYSLOG-04",
        "ESPAT-DOC-BASIC-SYSLOG-05",
    ),
)
def test_unknown_command(espat: EspAtSession) -> None:
    plain = espat.error("+FAKE", requirement="AT+FAKE is answered ERROR")
    assert plain.final is not None
    if plain.lines or plain.final.raw != ESPAT_ERROR:
        espat.fail(espat.requirement, [repr(ESPAT_ERROR)], plain.shown(), ["not the 9-byte ERROR message alone"])
    espat.change("+SYSLOG", 1, restore=(0,), requirement="AT+SYSLOG=1 is answered with OK")
    coded = espat.error("+FAKE", requirement="with AT+SYSLOG=1, AT+FAKE is answered ERR CODE:0x01090000, ERROR")
    if coded.texts() != [ESPAT_ERR_UNSUPPORTED]:
        espat.fail("For example, ... ERR CODE:0x01090000 means the command is not supported.",
                   [ESPAT_ERR_UNSUPPORTED, "ERROR"], coded.shown(), ["no error code line"])  # fmt: skip
    espat.ok("+SYSLOG", 0, requirement="AT+SYSLOG=0 is answered with OK")
    again = espat.error("+FAKE", requirement="with AT+SYSLOG=0, AT+FAKE is answered ERROR alone")
    if again.lines:
        espat.fail("// No `ERR CODE:0x01090000`", ["ERROR alone"], again.shown(), ["an error code with AT+SYSLOG=0"])


@case(
    "ESPAT-NEG-02",
    'a string parameter without its double quotes is refused: AT+CIPSTART=<id>,TCP,"<ip>",<port> is answered '
    "ERROR and no connection is made",
    verifies=("ESPAT-DOC-IDX-SYNTAX-03",),
)
def test_unquoted_string(espat: EspAtSession, peer: Peer) -> None:
    server = peer.tcp_server()
    espat.error("+CIPSTART", 0, Raw("TCP"), server.address, server.port, requirement=espat.requirement)
    server.sock.settimeout(espat.deadlines[2])
    try:
        conn, _ = server.sock.accept()
    except TimeoutError:
        return
    conn.close()
    espat.fail(espat.requirement, ["no connection"], ["the module connected"], ["the unquoted type was taken"])


@case(
    "ESPAT-NEG-03",
    "parameters out of their documented range are refused with ERROR and change nothing "
    "(AT+CIPMUX=2, AT+CIPDINFO=2, AT+CIPSERVERMAXCONN=6, AT+CIPSTO=7201)",
    verifies=("ESPAT-DOC-MSG-RESP-ERROR", "ESPAT-DOC-TCPIP-MAXCONN-02", "ESPAT-DOC-TCPIP-CIPSTO-02"),
)
def test_out_of_range(espat: EspAtSession) -> None:
    for name, bad in (("CIPMUX", 2), ("CIPDINFO", 2), ("CIPSERVERMAXCONN", 6), ("CIPSTO", 7201)):
        before = info_value(espat, name, f"AT+{name}? is answered")
        espat.error(f"+{name}", bad, requirement=f"AT+{name}={bad} is answered ERROR")
        after = info_value(espat, name, f"AT+{name}? is answered")
        if after != before:
            espat.fail(espat.requirement, [f"+{name}:{before}"], [f"+{name}:{after}"], ["the refused value was taken"])


def _until(espat: EspAtSession, kinds: tuple[type, ...], within: float, what: str, requirement: str) -> list[Event]:
    """The events of the module's answers up to and including the first of ``kinds`` (within ``within`` s)."""
    deadline = time.monotonic() + within
    taken: list[Event] = []
    while True:
        while espat.answers:
            event = espat.answers.popleft()
            taken.append(event)
            if isinstance(event, kinds):
                return taken
        if time.monotonic() >= deadline:
            espat.fail(requirement, [what], [describe_event(e) for e in taken] or ["nothing"],
                       [f"not within {within:g} s"])  # fmt: skip
        espat.watch(deadline - time.monotonic())


@case(
    "ESPAT-NEG-04",
    "input while a command runs is not executed: AT and AT+CIPSEND sent while AT+CIPSTART waits for its connection "
    "are answered busy p... (after ERR CODE:0x010b0000 with AT+SYSLOG=1), then the AT+CIPSTART ends",
    verifies=(
        "ESPAT-DOC-MSG-BUSY",
        "ESPAT-DOC-FAQ-BUSY-01",
        "ESPAT-DOC-FAQ-BUSY-02",
        "ESPAT-DOC-FAQ-BUSY-04",
        "ESPAT-DOC-FAQ-BUSY-05",
        "ESPAT-DOC-FAQ-BUSY-06",
        "ESPAT-DOC-BASIC-SYSLOG-06",
    ),
)
@pytest.mark.parametrize("syslog", [0, 1], ids=["SYSLOG=0", "SYSLOG=1"])
def test_busy(espat: EspAtSession, peer: Peer, syslog: int) -> None:
    if syslog:
        espat.change("+SYSLOG", 1, restore=(0,), requirement="AT+SYSLOG=1 is answered with OK")
    req = espat.requirement
    timed = espat.has("cipstart-timeout")
    with black_hole(peer) as (host, port, listener):
        params: list[object] = [0, "TCP", host, port] + ([Raw(""), Raw(""), 500] if timed else [])
        espat.send_raw(command("+CIPSTART", *params), "AT+CIPSTART to a port that answers no SYN")
        for line in (command(), command("+CIPSEND", 0, 4)):
            espat.send_raw(line, f"{line[:-2].decode()} while AT+CIPSTART runs", check_strays=False)
            events = _until(espat, (Busy, Final), espat.deadlines[0], "busy p...", req)
            busy = events[-1]
            if not isinstance(busy, Busy) or busy.text != "busy p...":
                espat.fail(req, ["busy p..."], [describe_event(e) for e in events], ["the input was not refused"])
            lines = [e.text for e in events if isinstance(e, Line)]
            codes = [t for t in lines if t.startswith("ERR CODE:")]
            if syslog and codes != [ESPAT_ERR_PROCESSING]:
                espat.fail("ERR CODE:0x010b0000, busy p... (AT+SYSLOG=1)", [ESPAT_ERR_PROCESSING, "busy p..."],
                           [describe_event(e) for e in events], ["no error code 0x010b0000"])  # fmt: skip
            if not syslog and codes:
                espat.fail("Normally only busy p... is displayed.", ["busy p..."], lines, ["an error code line"])
        if not timed:
            listener.close()  # the next SYN the module retransmits is refused: the AT+CIPSTART ends
        within = espat.deadlines[1] + (0.5 if timed else 1.5)
        events = _until(espat, (Final,), within, "the AT+CIPSTART's final result", req)
    final = events[-1]
    extra = [e for e in events if isinstance(e, Line) and not (syslog and e.text.startswith("ERR CODE:"))]
    if not isinstance(final, Final) or final.word != "ERROR" or extra:
        espat.fail(req, ["ERROR (the connection failed)"], [describe_event(e) for e in events],
                   ["the AT+CIPSTART did not end with ERROR alone"])  # fmt: skip
    espat.inbox.clear()  # a CLOSED or CONNECT FAIL before the ERROR: ESPAT-CLI-03's matter
    espat.ok(requirement="afterwards AT is answered with OK")
