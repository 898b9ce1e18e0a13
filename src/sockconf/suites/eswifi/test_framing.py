"""ESWIFI-FRAMING: bytes that do not frame as commands (spec §1, §2): an over-long line, a line whose
``\\r`` went missing, binary junk, and ``S3`` announcing more or fewer bytes than follow. Each gets the
reaction the command grammar implies (or a NON-STRICT finding where the vendor material is silent),
and the module answers the next good command afterwards.

Decisions on what the spec leaves open (UNCONFIRMED):

- An over-long line may be answered with any number of error replies (one per piece of the module's
  line buffer) or none (ESWIFI-SILENT-LONG-LINE-ANSWERS); a success reply to it is a FAIL. The count
  given to ``send_bad`` is no limit: every error reply before the probe's answer is taken.
- A line without ``\\r`` runs into the next command (the module cannot know it ended): the merged line
  is one bad line, answered with the error form. How firmware parses a parameter with trailing
  characters, or whether it gives up an idle partial line, is silent (ESWIFI-SILENT-MERGED-LINE): OK with
  the leading number's effect, or an error for the partial line and OK for the next, are recorded
  NON-STRICT; no reply at all is a FAIL (a line ended by ``\\r`` is always answered).
- Binary junk ended by ``\\r`` is answered with the error form; no reply is a recorded NON-STRICT choice
  (ESWIFI-SILENT-JUNK-LINE).
- ``S3=<n>`` followed by fewer than ``n`` bytes: the module waits for the rest (more bytes within its
  payload timeout complete the write). How long it waits (ESWIFI-SILENT-S3-PAYLOAD-TIMEOUT) is silent
  and no documented setting governs it, so the case waits up to the longest registered value and records
  what it measured against the profile's ``s3_payload_timeout``. Its answer then
  (ESWIFI-SILENT-S3-CUT-SHORT-ANSWER) is expected to be the error form with nothing sent; sending the
  bytes that did arrive (answered with their count) or answering nothing are recorded NON-STRICT
  choices; a client that receives anything but whole bytes the module counted is a FAIL.
- ``S3=<n>`` followed by more than ``n`` bytes: exactly ``n`` are written (answered ``n``), and the rest
  start the next command line, which is answered with the error form.

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

import time

import pytest

from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.eswifi import AN_ERROR, ESWiFiSession, ok_with
from sockconf.harness.expect import ConformanceFailure, NoAnswer, show_bytes
from sockconf.harness.peer import Peer, TcpClient
from sockconf.protocol.eswifi import ErrorReply, Reply
from sockconf.suites.eswifi.exchange import accept, open_server, write
from sockconf.suites.eswifi.transport import nothing_more

PORT = ESWIFI_SEED_PORT
NEG = "negative"
PROBE_SOCKET = 2  # selected before the bad input (the module's last socket where it has fewer)
TIMEOUT = "ESWIFI-SILENT-S3-PAYLOAD-TIMEOUT"
ANSWER = "ESWIFI-SILENT-S3-CUT-SHORT-ANSWER"
MERGED_LINE = "ESWIFI-SILENT-MERGED-LINE"
PARTIAL_LINE_GAP = 0.2  # s, the least idle gap after a line cut short (the quiet window where it is longer)
JUNK_LINE = "ESWIFI-SILENT-JUNK-LINE"
LONG_LINE = "ESWIFI-SILENT-LONG-LINE-ANSWERS"
PAYLOAD_PAD = "ESWIFI-SILENT-UART-PAYLOAD-PAD"


def probe_socket(eswifi: ESWiFiSession) -> int:
    """The socket selected before bad input, whose selection the probe (bare P0) must still read."""
    return min(PROBE_SOCKET, eswifi.sockets - 1)


def _replies_at_most(raw: bytes) -> int:
    # How many answers bad input draws from a module whose line buffer holds 64 bytes or more; a module
    # may send more (the session takes them in order until the probe's answer).
    return 1 + len(raw) // 64


def _no_answer(exc: NoAnswer, requirement: str) -> ConformanceFailure:
    """A module that went silent after bad input broke the requirement (FAIL, not INCONCLUSIVE)."""
    return ConformanceFailure(
        requirement, exc.expected, ["no reply to the command after the bad input"], exc.diff, exc.last_bytes
    )


def errors_then_probe(eswifi: ESWiFiSession, requirement: str) -> list[ErrorReply]:
    """Send the probe (bare ``P0``) after bad input: every reply before its answer must be an error form,
    and the probe is answered with the socket selected before the bad input. The error replies."""
    eswifi.command("P0")
    errors: list[ErrorReply] = []
    while True:
        try:
            reply = eswifi.reply(AN_ERROR, ok_with(str(probe_socket(eswifi)).encode("ascii")), requirement=requirement)
        except NoAnswer as exc:
            raise _no_answer(exc, requirement) from None
        if isinstance(reply, ErrorReply):
            errors.append(reply)
            continue
        eswifi.settle()
        return errors


def still_works(eswifi: ESWiFiSession, requirement: str) -> None:
    """The module answers good commands normally: ``P0=<n>`` → OK, bare ``P0`` → ``<n>`` (the probe socket)."""
    try:
        eswifi.ok("P0", probe_socket(eswifi), data=b"", requirement=requirement)
        eswifi.ok("P0", data=str(probe_socket(eswifi)).encode("ascii"), requirement=requirement)
    except NoAnswer as exc:
        raise _no_answer(exc, requirement) from None
    eswifi.selected = probe_socket(eswifi)


def write_after(eswifi: ESWiFiSession, client: TcpClient, requirement: str) -> None:
    """A good S3 still works, and the client's next bytes are exactly its payload (nothing leaked before)."""
    try:
        write(eswifi, client, b"after the bad S3 \x00\r\n>", requirement=requirement)
    except NoAnswer as exc:
        raise _no_answer(exc, requirement) from None


# ---------------------------------------------------------------------- lines


@case(
    "ESWIFI-FRAMING-01",
    "an over-long line (600 bytes, then CR) is answered with the error form or not at all, and the module "
    "answers the next command",
    kind=NEG,
    verifies=("ESWIFI-SPEC-COMMAND", "ESWIFI-SPEC-ERROR"),
)
def test_overlong_line(eswifi: ESWiFiSession) -> None:
    eswifi.select(probe_socket(eswifi))
    line = b"P3=" + b"9" * 597 + b"\r"
    eswifi.send_bad(line, f"over-long line: {len(line) - 1} bytes, then CR", _replies_at_most(line))
    errors = errors_then_probe(
        eswifi, "after an over-long line: only error replies, then P0 is answered with the selected socket"
    )
    choice = "none" if not errors else "few" if len(errors) <= _replies_at_most(line) else "many"
    eswifi.on_observed(LONG_LINE, choice, f"{len(errors)} error repl{'y' if len(errors) == 1 else 'ies'}")
    still_works(eswifi, "after an over-long line the module answers P0=<n> and P0 normally")


@case(
    "ESWIFI-FRAMING-02",
    "a line whose CR is missing runs into the next command: the merged line is answered with the error form "
    "(or read by its leading number, or the idle partial line given up: ESWIFI-SILENT-MERGED-LINE), and a "
    "later good command is answered normally",
    kind=NEG,
    verifies=("ESWIFI-SPEC-COMMAND", "ESWIFI-SPEC-ERROR"),
)
def test_missing_cr(eswifi: ESWiFiSession) -> None:
    first, second = 1, 0  # P0=1 (CR lost) then P0=0: sockets any module with two of them has
    eswifi.select(probe_socket(eswifi))
    # Up to one answer to the partial line itself (a module that gives up an idle partial line).
    eswifi.send_bad(f"P0={first}".encode("ascii"), f"P0={first} without its CR", replies=1)
    # An idle gap: a module that gives up a partial line within it answers that line on its own.
    eswifi.idle_line(max(eswifi.deadlines[2], PARTIAL_LINE_GAP))
    eswifi.command("P0", second)
    requirement = (
        f"the merged line P0={first}P0={second} is answered with the error form, or read as P0={first} (its "
        f"leading number), or the idle P0={first} is answered with the error form and P0={second} with OK"
    )
    try:
        reply = eswifi.reply(AN_ERROR, ok_with(b""), requirement=requirement)
    except NoAnswer as exc:
        raise _no_answer(exc, requirement) from None
    if isinstance(reply, Reply):
        # Read by its leading number: the bare P0 shows which socket the line selected.
        shown = eswifi.ok("P0", requirement="P0 (the selected socket) is answered with OK").data
        detail = f"P0={first}P0={second} answered OK; P0 then shows {shown.decode('ascii', 'replace')!r}"
        if shown.strip() == str(first).encode("ascii"):
            eswifi.on_observed(MERGED_LINE, "leading-value", detail)
        else:
            eswifi.on_unconfirmed(requirement, f"{detail}, not the leading number {first}")
    else:
        second_reply = eswifi.reply_or_none(eswifi.deadlines[2])
        if second_reply is None:
            eswifi.on_observed(MERGED_LINE, "error", f"ERROR: {reply.reason}")
        elif isinstance(second_reply, Reply) and second_reply.ok and not second_reply.data:
            eswifi.on_observed(MERGED_LINE, "partial-line-timeout", f"ERROR: {reply.reason}, then OK")
        else:
            eswifi.fail(
                requirement,
                ["one error reply", f"an error reply, then OK to P0={second}"],
                [f"an error reply, then {second_reply.describe()}"],
                ["a second reply that is not P0's OK"],
            )
    eswifi.settle()
    eswifi.selected = None
    still_works(eswifi, "after a line without CR the module answers P0=<n> and P0 normally")


BINARY_JUNK = [
    b"\x00\xff\xfe\x00\x01\x7f\x80\r",
    bytes(range(0x80, 0x100)) + b"\r",
]


@case(
    "ESWIFI-FRAMING-03",
    "binary junk (NUL, 0xFF, non-ASCII bytes) ended by CR is answered with the error form, and the module "
    "answers the next command",
    kind=NEG,
    verifies=("ESWIFI-SPEC-ERROR",),
)
def test_binary_junk(eswifi: ESWiFiSession) -> None:
    for junk in BINARY_JUNK:
        eswifi.select(probe_socket(eswifi))
        eswifi.send_bad(junk, f"binary junk: {show_bytes(junk, 24)}", _replies_at_most(junk))
        requirement = "after binary junk: error replies only, then P0 is answered with the selected socket"
        errors = errors_then_probe(eswifi, requirement)
        detail = f"binary junk {show_bytes(junk, 24)}: {len(errors)} error repl{'y' if len(errors) == 1 else 'ies'}"
        eswifi.observe_once(JUNK_LINE, "error" if errors else "ignored", detail)
        still_works(eswifi, "after binary junk the module answers P0=<n> and P0 normally")


# ---------------------------------------------------------------------- S3 counts


@case(
    "ESWIFI-FRAMING-04",
    "S3=10 followed by only 4 bytes: after its payload timeout the module answers with the error form, "
    "sends the client nothing, and keeps working",
    kind=NEG,
    verifies=("ESWIFI-SPEC-S3", "ESWIFI-SPEC-ERROR"),
)
def test_s3_payload_cut_short(request: pytest.FixtureRequest, eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    part = b"abcd"
    # How long the module waits for the rest is a silent point: wait up to the longest registered value
    # (no documented setting governs it), and record what was measured.
    timing = silent.point(TIMEOUT)
    expected = float(eswifi.profile.get("s3_payload_timeout", 1.0))
    within = timing.longest + eswifi.deadlines[0]
    started = time.monotonic()
    eswifi.send(b"S3=10\r" + part, "S3=10 + 4 byte(s) b'abcd', then nothing")
    requirement = eswifi.requirement
    reply = eswifi.reply_or_none(within)
    took = time.monotonic() - started
    sent = b""
    if reply is None:
        silent.observed(request, ANSWER, "silent", f"no reply within {within:g} s (longest payload timeout + reply)")
    elif isinstance(reply, Reply) and reply.ok and reply.data.isdigit() and int(reply.data) <= len(part):
        sent = part[: int(reply.data)]
        silent.observed(request, ANSWER, "sends-partial", f"answered {reply.data!r} with OK")
    elif isinstance(reply, ErrorReply):
        silent.observed(request, ANSWER, "error")
    else:
        eswifi.fail(
            requirement,
            [str(AN_ERROR), f"(UNCONFIRMED) a count of at most {len(part)} with OK", "(UNCONFIRMED) no reply"],
            [f"{reply.describe()} as {show_bytes(reply.raw, 64)}"],
            ["not an answer a cut-short S3 can have"],
        )
    if reply is not None:
        choice = "short" if took < 0.6 * expected else "profile" if took <= expected + eswifi.deadlines[0] else "long"
        silent.observed(request, TIMEOUT, choice, f"answered {took:.2f} s after the cut-short payload")
    eswifi.settle()
    if sent:
        got = client.recv_exactly(len(sent), within=eswifi.deadlines[1], requirement=requirement)
        if got != sent:
            eswifi.fail(requirement, [show_bytes(sent)], [show_bytes(got)], ["the client received other bytes"])
    write_after(eswifi, client, "after a cut-short S3 a good S3 is answered and only its bytes reach the client")


@case(
    "ESWIFI-FRAMING-05",
    "S3=2 followed by 4 bytes writes exactly 2 (answered 2); the 2 extra bytes start the next line, which is "
    "answered with the error form, and the module keeps working",
    kind=NEG,
    verifies=("ESWIFI-SPEC-S3", "ESWIFI-SPEC-ERROR"),
)
def test_s3_payload_too_long(eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    eswifi.send(b"S3=2\rhiQQ", "S3=2 + 4 byte(s) b'hiQQ'")
    eswifi.reply(ok_with(b"2"), requirement="S3=2 followed by 4 bytes is answered 2 (its count) with OK")
    got = client.recv_exactly(2, within=eswifi.deadlines[1], requirement="the client receives the 2 bytes of S3=2")
    if got != b"hi":
        eswifi.fail(eswifi.requirement, [show_bytes(b"hi")], [show_bytes(got)], ["the client received other bytes"])
    # The extra "QQ" plus the next command make the line "QQCS": no command.
    eswifi.command("CS")
    requirement = "the bytes after S3's count run into the next command (QQCS), which is answered with the error form"
    try:
        eswifi.reply(AN_ERROR, requirement=requirement)
    except NoAnswer as exc:
        raise _no_answer(exc, requirement) from None
    write_after(
        eswifi, client, "after an S3 with extra bytes a good S3 works and the extra bytes never reach the client"
    )


@case(
    "ESWIFI-FRAMING-06",
    "S3=10 whose payload arrives in two writes (4 bytes, then 6) waits for the rest: answered 10, the client "
    "receives all 10 bytes",
    verifies=("ESWIFI-SPEC-S3",),
)
def test_s3_payload_in_two_writes(eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    payload = b"abcd\r\nOK> "
    eswifi.send(b"S3=10\r" + payload[:4], "S3=10 + the first 4 byte(s)")
    eswifi.send_bad(payload[4:], "the other 6 payload byte(s)", replies=0)
    eswifi.reply(ok_with(b"10"), requirement=eswifi.requirement)
    got = client.recv_exactly(len(payload), within=eswifi.deadlines[1], requirement=eswifi.requirement)
    if got != payload:
        eswifi.fail(eswifi.requirement, [show_bytes(payload)], [show_bytes(got)], ["the client received other bytes"])


@case(
    "ESWIFI-FRAMING-07",
    "a \\n after a command's \\r (Mbed's delimiter, an SPI host's pad) draws no reply of its own, nor does the "
    "\\n an SPI host pads an odd-length S3 payload with (on UART ESWIFI-SILENT-UART-PAYLOAD-PAD, recorded)",
    kind=NEG,
    verifies=("ESWIFI-SPEC-COMMAND", "ESWIFI-SPEC-SPI-FRAMING"),
)
def test_line_feed_after_a_command_or_a_payload(eswifi: ESWiFiSession, peer: Peer) -> None:
    n = probe_socket(eswifi)
    eswifi.send(f"P0={n}\r\n".encode("ascii"), f"P0={n} ended by CR LF")
    eswifi.reply(ok_with(b""), requirement=f"P0={n}\\r\\n is answered once, with OK (the \\n is tolerated)")
    eswifi.send(b"P0\r\n", "P0 ended by CR LF")
    eswifi.reply(ok_with(str(n).encode("ascii")), requirement="P0\\r\\n is answered once, with the selected socket")
    eswifi.selected = n
    open_server(eswifi, PORT, socket_number=n)
    client = accept(eswifi, peer, PORT)
    payload = b"odd"
    eswifi.send(b"S3=0003\r" + payload + b"\n", "S3=0003 + 3 byte(s) and the SPI pad \\n")
    eswifi.reply(ok_with(b"3"), requirement="an odd-length S3 payload followed by its pad \\n is answered 3")
    eswifi.command("P0")
    requirement = "the pad \\n after an S3 payload is dropped: the next command (P0) is answered normally"
    reply = eswifi.reply(ok_with(str(n).encode("ascii")), AN_ERROR, requirement=requirement)
    if isinstance(reply, ErrorReply):
        if str(eswifi.profile.get("bus", "uart")) == "spi":
            eswifi.fail(
                requirement,
                [f"P0 answered {n}: on SPI the pad belongs to the S3 command phase (ISM4343 data sheet p.15)"],
                [reply.describe()],
                ["the pad \\n was read as the start of the next command"],
            )
        eswifi.on_observed(PAYLOAD_PAD, "next-line", f"P0 after the payload's \\n: ERROR: {reply.reason}")
        eswifi.resync(1)
    elif str(eswifi.profile.get("bus", "uart")) != "spi":
        eswifi.on_observed(PAYLOAD_PAD, "dropped", "P0 after the payload's \\n answered normally")
    got = client.recv_exactly(len(payload), within=eswifi.deadlines[1], requirement=requirement)
    if got != payload:
        eswifi.fail(requirement, [show_bytes(payload)], [show_bytes(got)], ["the client received other bytes"])
    nothing_more(eswifi, client, "the pad \\n never reaches the client")
