"""ESWIFI-NEG: bad parameters and unknown commands (spec §1, §2). Each is answered with the error
form (``ERROR: <reason>``, optionally ``Usage: <syntax>``, the prompt, no OK), changes nothing,
and the module answers the next command normally. What the module does with the bytes after a
refused ``S3=<n>`` header is silent (ESWIFI-SILENT-REFUSED-S3-REST): the case resynchronises as a
careful host does (a bare CR, then the error replies drained up to the answer of a CS sent behind
them) before it judges recovery, and records which the module did. ``P0=4`` is where the seed
contradicts itself (the setup table's sockets 0-3 against the sequence's "Use P0=0-4",
ESWIFI-CONTRA-P0-RANGE): refused, or selecting socket 4, both pass and are recorded; ``P0`` outside
0-4 is outside both and must be refused. A number with text after it (``P2=50x4``) is refused, or
read by its leading number (ESWIFI-SILENT-MERGED-LINE, recorded).

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.eswifi import AN_ERROR, ESWiFiSession, ok_with
from sockconf.harness.expect import ConformanceFailure, NoAnswer
from sockconf.harness.peer import Peer
from sockconf.protocol.eswifi import ErrorReply, Reply, s3
from sockconf.suites.eswifi.exchange import accept, open_server, read_exactly

PORT = ESWIFI_SEED_PORT
NEG = "negative"
REFUSED_REST = "ESWIFI-SILENT-REFUSED-S3-REST"
ERROR_TEXTS = "ESWIFI-SILENT-ERROR-TEXTS"
P0_RANGE = "ESWIFI-CONTRA-P0-RANGE"
MERGED_LINE = "ESWIFI-SILENT-MERGED-LINE"
# A numeric parameter with text after it: an atoi-style parse reads its leading number (a silent point).
TRAILING_TEXT = {b"P2=50x4\r"}


# case ID -> (requirement, the bad inputs it sends); VERIFIES: the documented statements each checks
BAD: dict[str, tuple[str, list[bytes]]] = {
    "ESWIFI-NEG-01": (
        "P0 with a socket outside 0-4 (outside both the table's 0-3 and the sequence's 0-4) is answered with ERROR",
        [b"P0=5\r", b"P0=9\r", b"P0=-1\r", b"P0=x\r"],
    ),
    "ESWIFI-NEG-02": ("P1 with an unknown protocol is answered with ERROR", [b"P1=9\r", b"P1=7\r", b"P1=tcp\r"]),
    "ESWIFI-NEG-03": (
        "P2 with a port that is not a number (or above 65535) is answered with ERROR",
        [b"P2=abc\r", b"P2=\r", b"P2=50x4\r", b"P2=65536\r"],
    ),
    "ESWIFI-NEG-04": (
        "P8 with a backlog outside 0-6 is answered with ERROR",
        [b"P8=7\r", b"P8=99\r", b"P8=-1\r", b"P8=x\r"],
    ),
    "ESWIFI-NEG-05": (
        "S3 with more than 1460 bytes (or none) is answered with ERROR",
        [s3(bytes(1461)), s3(b"\x55" * 2000), b"S3=0\r", b"S3=x\r"],
    ),
    "ESWIFI-NEG-06": ("an unknown command is answered with ERROR", [b"QQ\r", b"YY=1\r", b"@@\r"]),
    "ESWIFI-NEG-07": (
        "P5 with a value other than 0, 1, 10, 11 is answered with ERROR",
        [b"P5=2\r", b"P5=12\r", b"P5=x\r"],
    ),
    "ESWIFI-NEG-08": (
        "PK with an on/off other than 0/1 or a time that is not a number is answered with ERROR",
        [b"PK=2,3000\r", b"PK=1,x\r"],
    ),
}

VERIFIES: dict[str, tuple[str, ...]] = {
    "ESWIFI-NEG-01": ("ESWIFI-SEED-SETUP-P0", "ESWIFI-SEED-SEQ-P0", "ESWIFI-SPEC-P0", "ESWIFI-SPEC-ERROR"),
    "ESWIFI-NEG-02": ("ESWIFI-SEED-SETUP-P1", "ESWIFI-SPEC-P1", "ESWIFI-SPEC-ERROR"),
    "ESWIFI-NEG-03": ("ESWIFI-SPEC-P2", "ESWIFI-SPEC-ERROR"),
    "ESWIFI-NEG-04": ("ESWIFI-SEED-SETUP-P8", "ESWIFI-SEED-SEQ-P8", "ESWIFI-SPEC-P8", "ESWIFI-SPEC-ERROR"),
    "ESWIFI-NEG-05": ("ESWIFI-SPEC-S3", "ESWIFI-SPEC-ERROR"),
    "ESWIFI-NEG-06": ("ESWIFI-SPEC-ERROR",),
    "ESWIFI-NEG-07": ("ESWIFI-SPEC-P5", "ESWIFI-SPEC-ERROR"),
    "ESWIFI-NEG-08": ("ESWIFI-SPEC-PK", "ESWIFI-SPEC-ERROR"),
}


def _label(wire: bytes) -> str:
    line = wire.split(b"\r", 1)[0].decode("ascii", "replace")
    return line if len(wire) <= len(line) + 1 else f"{line}+{len(wire) - len(line) - 1}B"


BAD_INPUT: list[Any] = [
    pytest.param(wire, marks=case(case_id, requirement, kind=NEG, verifies=VERIFIES[case_id]), id=_label(wire))
    for case_id, (requirement, wires) in BAD.items()
    for wire in wires
]


def refuse(request: pytest.FixtureRequest, eswifi: ESWiFiSession, wire: bytes, requirement: str) -> None:
    """Send bad input; it must be answered with the error form. Bytes after a refused ``S3=<n>`` header
    may be dropped as payload or read as command lines (a silent point): resynchronise as a careful
    host does and record which the module did."""
    line, _, rest = wire.partition(b"\r")
    if wire in TRAILING_TEXT:
        # A number with text after it: the error form, or OK from a parser that reads the leading number.
        eswifi.send(wire, f"bad input {_label(wire)!r}")
        reply = eswifi.reply(AN_ERROR, ok_with(b""), requirement=requirement)
        if isinstance(reply, ErrorReply):
            eswifi.on_observed(ERROR_TEXTS, "terse" if reply.usage is None else "with-usage", f"ERROR: {reply.reason}")
        eswifi.observe_once(
            MERGED_LINE,
            "error" if isinstance(reply, ErrorReply) else "leading-value",
            f"{line.decode()!r} answered {'ERROR' if isinstance(reply, ErrorReply) else 'OK'}",
        )
        return
    if not rest:
        eswifi.error(wire, f"bad input {_label(wire)!r}", requirement=requirement)
        return
    more = 1 + len(rest) // 64  # answers the rest can draw if read as lines (one per piece of a line buffer)
    eswifi.send_bad(wire, f"bad input {_label(wire)!r}", 1 + more)
    eswifi.reply(AN_ERROR, requirement=requirement)
    errors = eswifi.resync(more)
    choice = "read-as-commands" if len(errors) > 1 else "dropped"
    silent.observed(
        request, REFUSED_REST, choice, f"{len(errors)} error repl(ies) after a bare CR following {line.decode()!r}"
    )


def probe_socket(eswifi: ESWiFiSession) -> int:
    """The socket selected before bad input: 2, or the module's last where it has fewer sockets."""
    return min(2, eswifi.sockets - 1)


def answers_the_next_command(eswifi: ESWiFiSession) -> None:
    """After bad input the module still answers, and it changed nothing: P0=<n> selects socket n again."""
    n = probe_socket(eswifi)
    try:
        # The module still answers, and the bad command changed nothing: socket n is still selected.
        eswifi.command("P0", n)
        reply = eswifi.reply(
            ok_with(b""), requirement=f"after an error the module answers the next command (P0={n} → OK)"
        )
    except NoAnswer as exc:
        raise ConformanceFailure(
            "after an error the module answers the next command",
            exc.expected,
            ["no reply to the command after the error"],
            exc.diff,
            exc.last_bytes,
        ) from None
    eswifi.expect_bytes(reply, b"\r\n\r\nOK\r\n> ", f"after an error, P0={n} is answered \\r\\n\\r\\nOK\\r\\n> ")
    eswifi.selected = n


@pytest.mark.parametrize("wire", BAD_INPUT)
def test_bad_input_is_refused(request: pytest.FixtureRequest, eswifi: ESWiFiSession, wire: bytes) -> None:
    eswifi.select(probe_socket(eswifi))
    refuse(request, eswifi, wire, eswifi.requirement)
    answers_the_next_command(eswifi)


@case(
    "ESWIFI-NEG-01",
    "P0=4 is refused with ERROR (sockets 0-3, the setup table) or selects socket 4 ('Use P0=0-4', the sequence): "
    "the documents disagree, either passes, recorded; the module then answers P0=<n>",
    kind=NEG,
    verifies=VERIFIES["ESWIFI-NEG-01"],
)
def test_socket_four(eswifi: ESWiFiSession) -> None:
    eswifi.select(probe_socket(eswifi))
    eswifi.command("P0", 4)
    reply = eswifi.reply(ok_with(), AN_ERROR, requirement="P0=4 is answered with OK or with ERROR")
    if isinstance(reply, ErrorReply):
        eswifi.on_observed(ERROR_TEXTS, "terse" if reply.usage is None else "with-usage", f"ERROR: {reply.reason}")
        eswifi.on_contradiction(P0_RANGE, "a", f"P0=4 was refused: ERROR: {reply.reason}")
    elif reply.data:
        eswifi.on_contradiction(P0_RANGE, "neither", f"P0=4 was answered OK with data {reply.data!r}")
    else:
        eswifi.selected = None  # the module says it selected socket 4
        eswifi.command("P0")
        shown = eswifi.reply(ok_with(), requirement="after P0=4 is accepted, a bare P0 is answered with OK")
        assert isinstance(shown, Reply)
        if shown.data.strip() != b"4":
            eswifi.on_contradiction(
                P0_RANGE, "neither", f"P0=4 was answered OK, but a bare P0 then reads {shown.data!r}, not socket 4"
            )
        eswifi.on_contradiction(P0_RANGE, "b", "P0=4 was answered OK, and a bare P0 then reads 4")
    answers_the_next_command(eswifi)


@case(
    "ESWIFI-NEG-09",
    "a refused S3 sends nothing to the client, and a running server keeps serving after errors",
    kind=NEG,
    verifies=("ESWIFI-SPEC-S3", "ESWIFI-SPEC-ERROR"),
)
def test_errors_leave_the_server_running(request: pytest.FixtureRequest, eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    for wire in (s3(b"\x55" * 1461), b"P8=7\r", b"P5=2\r", b"QQ\r"):
        refuse(request, eswifi, wire, f"{_label(wire)} is answered with ERROR")
    client.send(b"still served")
    read_exactly(eswifi, b"still served", requirement="after the errors R0 still reads the client")
    client.sock.settimeout(0.0)
    try:
        leaked = client.sock.recv(4096)
    except BlockingIOError:
        leaked = b""
    if leaked:
        eswifi.fail(eswifi.requirement, ["nothing at the client"], [repr(leaked[:64])], ["a refused S3 was sent"])
