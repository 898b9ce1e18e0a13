"""ESPAT-SEND: sending (AT+CIPSEND, AT+CIPSENDEX): OK and the prompt, exactly <length> data bytes of any
value, Recv <n> bytes and SEND OK, the length limit, input beyond the length, and sends that cannot be made."""

from __future__ import annotations

import time

from sockconf.data.vectors.espat import ESPAT_PEER_DATA
from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, describe_event
from sockconf.harness.espat.session import leading_blank_lines
from sockconf.harness.peer import Peer, TcpClient
from sockconf.protocol.espat import Busy, Final, Ipd, RecvCount
from sockconf.suites.espat.exchange import (
    accept,
    check_sent,
    closed_by_dut,
    first_difference,
    open_server,
    pattern,
    receive,
    send,
)


def served(espat: EspAtSession, peer: Peer) -> tuple[int, TcpClient]:
    open_server(espat)
    return accept(espat, peer)


def expect_peer_gets(espat: EspAtSession, client: TcpClient, data: bytes, requirement: str) -> None:
    """The peer receives exactly ``data``."""
    got = client.recv_exactly(len(data), espat.deadlines[1], requirement)
    if got != data:
        espat.fail(
            requirement,
            [repr(data)],
            [repr(got)],
            [f"the peer got other bytes from byte {first_difference(data, got)}"],
        )


@case(
    "ESPAT-SEND-01",
    "AT+CIPSEND=<link ID>,<length> is answered OK, a blank line and >; the <length> bytes written then go to the "
    "peer; Recv <length> bytes and SEND OK follow",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSEND-02",
        "ESPAT-DOC-TCPIP-CIPSEND-04",
        "ESPAT-DOC-TCPIP-CIPSEND-05",
        "ESPAT-DOC-TCPIP-CIPSEND-07",
        "ESPAT-DOC-TCPIP-CIPSEND-09",
        "ESPAT-DOC-MSG-PROMPT",
        "ESPAT-DOC-MSG-RECV",
        "ESPAT-DOC-MSG-RESP-SENDOK",
        "ESPAT-DOC-EX-SRV-03",
        "ESPAT-DOC-EX-CLI-02",
    ),
)
def test_send(espat: EspAtSession, peer: Peer) -> None:
    link, client = served(espat, peer)
    response, sent = espat.send_data(link, ESPAT_PEER_DATA, requirement=espat.requirement)
    if sent is None:
        espat.fail(espat.requirement, ["OK, a blank line, then >"], response.shown(), ["the send was refused"])
    assert sent is not None
    check_sent(espat, sent, len(ESPAT_PEER_DATA), espat.requirement)
    expect_peer_gets(espat, client, ESPAT_PEER_DATA, espat.requirement)
    first = sent.lines[0] if sent.lines else sent.final
    assert first is not None
    # The prompt's own bytes (ESPAT-SILENT-PROMPT-FORM): what comes right after ">".
    if first.raw.startswith(b" "):
        prompt = "crlf-gt-space"
    else:
        prompt = "gt-line" if leading_blank_lines(first.raw) >= 2 else "crlf-gt"
    espat.on_observed("ESPAT-SILENT-PROMPT-FORM", prompt, f"after > came {first.raw[:6]!r}")
    recv = [e for e in sent.lines if isinstance(e, RecvCount)]
    espat.on_observed("ESPAT-SILENT-RECV-LINE", "present" if recv else "absent", "" if recv else "SEND OK alone")
    after = sent.finished - sent.started
    timing = "immediate" if after <= espat.deadlines[2] else "delayed"
    espat.on_observed("ESPAT-SILENT-SENDOK-TIMING", timing, f"SEND OK {after:.3f} s after the data")


@case(
    "ESPAT-SEND-02",
    "the data after > are not escaped: 1024 bytes of every value (commas, quotes, backslashes, CR, LF, >) reach "
    "the peer unchanged",
    verifies=("ESPAT-DOC-IDX-SYNTAX-04", "ESPAT-DOC-TCPIP-CIPSEND-05"),
)
def test_binary_data(espat: EspAtSession, peer: Peer) -> None:
    link, client = served(espat, peer)
    payload = pattern(1024, start=3) + b'\\,"\\\\0+++'
    send(espat, link, payload, client, espat.requirement)


@case(
    "ESPAT-SEND-03",
    "AT+CIPSEND and AT+CIPSENDEX take <length> up to the documented maximum (8192; 2048 on ESP8266 firmware), "
    "a send of the maximum reaches the peer whole, and one byte more is refused (ERROR, no >)",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSEND-01",
        "ESPAT-DOC-TCPIP-CIPSEND-08",
        "ESPAT-DOC-TCPIP-CIPSENDEX-05",
        "ESPAT-DOC-V21-SENDMAX-01",
    ),
)
def test_length_limit(espat: EspAtSession, peer: Peer) -> None:
    link, client = served(espat, peer)
    largest = espat.max_send
    send(espat, link, pattern(largest, start=11), client, f"AT+CIPSEND={link},{largest} sends {largest} bytes")
    for extended in (False, True):
        name = "AT+CIPSENDEX" if extended else "AT+CIPSEND"
        req = f"{name}={link},{largest + 1} (beyond the maximum) is answered ERROR, without >"
        response, sent = espat.send_data(link, b"x" * (largest + 1), requirement=req, extended=extended)
        if sent is not None or response.word != "ERROR":
            espat.fail(req, ["ERROR"], response.shown(), ["the length beyond the maximum was taken"])


@case(
    "ESPAT-SEND-04",
    "bytes beyond <length> are not sent: the peer gets the first <length> bytes, SEND OK follows, and the module "
    "answers AT afterwards",
    verifies=("ESPAT-DOC-EX-CLI-03", "ESPAT-DOC-EX-CLI-04"),
)
def test_surplus(espat: EspAtSession, peer: Peer) -> None:
    link, client = served(espat, peer)
    surplus = b"zz\r\nyy\r\n"
    response, sent = espat.send_data(link, ESPAT_PEER_DATA, wire=ESPAT_PEER_DATA + surplus)
    if sent is None:
        espat.fail(espat.requirement, ["OK, then >"], response.shown(), ["the send was refused"])
    assert sent is not None
    espat.expect_final(sent, ("SEND OK",), espat.requirement)
    got = client.recv_exactly(len(ESPAT_PEER_DATA), espat.deadlines[1], espat.requirement)
    # The surplus may also be read as command lines after SEND OK: their answers arrive within the quiet window
    # (by then surplus bytes sent to the peer would have arrived there too).
    deadline = time.monotonic() + espat.deadlines[2]
    while time.monotonic() < deadline:
        espat.watch(deadline - time.monotonic())
    _, more = closed_by_dut(client, 0.0)
    if got != ESPAT_PEER_DATA or more:
        espat.fail(
            espat.requirement, [repr(ESPAT_PEER_DATA)], [repr(got + more)], ["not exactly the first <length> bytes"]
        )
    later = list(espat.answers)
    espat.answers.clear()
    busy = [e for e in [*sent.lines, *later] if isinstance(e, Busy)]
    errors = [e for e in later if isinstance(e, Final) and e.word == "ERROR"]
    others = [e for e in [*sent.lines, *later] if not isinstance(e, Busy | RecvCount) and e not in errors]
    if others or (busy and errors) or (not busy and not errors):
        espat.fail(
            espat.requirement,
            ["busy p... for the surplus", "an ERROR per surplus line after SEND OK"],
            [describe_event(e) for e in [*sent.lines, *later]] or ["nothing for the surplus"],
            ["the surplus drew another answer"],
        )
    choice = "as-command" if errors else "busy-dropped" if len(busy) == 1 else "busy-per-line"
    espat.on_observed("ESPAT-SILENT-CIPSEND-EXTRA", choice, f"{len(busy)} busy p..., {len(errors)} ERROR")
    espat.ok(requirement="after the surplus the module answers AT with OK")


@case(
    "ESPAT-SEND-05",
    "AT+CIPSEND on a link ID that is not open (never opened, or closed) is answered ERROR, without >",
    verifies=("ESPAT-DOC-TCPIP-CIPSEND-06", "ESPAT-DOC-MSG-RESP-ERROR"),
)
def test_send_without_link(espat: EspAtSession, peer: Peer) -> None:
    link, _ = served(espat, peer)
    unused = (link + 1) % 5
    for target, when in ((unused, "never opened"), (link, "closed by AT+CIPCLOSE")):
        if target == link:
            espat.ok("+CIPCLOSE", link, requirement="AT+CIPCLOSE=<id> is answered with OK")
        req = f"AT+CIPSEND on a link ID {when} is answered ERROR without >"
        response, sent = espat.send_data(target, ESPAT_PEER_DATA, requirement=req)
        if sent is not None or response.word != "ERROR":
            espat.fail(req, ["ERROR"], response.shown(), ["the send was taken"])


@case(
    "ESPAT-SEND-06",
    "AT+CIPSEND on a link whose peer closed while passive data wait unread (CLOSED not yet reported) ends with "
    "ERROR, or > and SEND FAIL (or SEND OK) after the data; the data that waited stay readable",
    verifies=("ESPAT-DOC-MSG-RESP-SENDFAIL", "ESPAT-DOC-TCPIP-CIPSEND-06"),
)
def test_send_on_closed_peer(espat: EspAtSession, peer: Peer) -> None:
    link, client = served(espat, peer)
    espat.set_passive(link, True)
    client.send(b"bye")
    espat.report(lambda e: isinstance(e, Ipd) and e.link == link and e.passive, f"+IPD,{link},3", espat.requirement)
    client.close()
    # The module sees the close at once on a real network too; the quiet window lets it.
    espat.watch(espat.deadlines[2])
    req = espat.requirement
    response, sent = espat.send_data(link, ESPAT_PEER_DATA, requirement=req)
    if sent is None:
        espat.expect_final(response, ("ERROR",), req)
        invalid = response.texts() == ["link is not valid"]
        if response.texts() and not invalid:
            espat.fail(req, ["ERROR", "link is not valid, then ERROR"], response.shown(), ["other lines"])
        choice = "link-invalid" if invalid else "error"
    else:
        # In passive mode the module may not have read the peer's FIN yet: the data then go to the stack.
        espat.expect_final(sent, ("SEND FAIL", "SEND OK", "ERROR"), req)
        choice = "send-ok" if sent.word == "SEND OK" else "prompt-then-fail"
    espat.on_observed("ESPAT-SILENT-SEND-ON-DEAD-LINK", choice, f"AT+CIPSEND after the peer closed: {choice}")
    espat.ok("+CIPRECVDATA", link, 100, requirement="the data that waited can still be read")
    espat.link_report(link, "CLOSED", "once the data are read the link is reported CLOSED")


@case(
    "ESPAT-SEND-07",
    "AT+CIPSENDEX ends its data at \\0 (0x5c 0x30) before <length>; \\<any> stands for <any> and \\\\0 sends \\0",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSENDEX-01",
        "ESPAT-DOC-TCPIP-CIPSENDEX-02",
        "ESPAT-DOC-TCPIP-CIPSENDEX-03",
        "ESPAT-DOC-TCPIP-CIPSENDEX-04",
    ),
)
def test_sendex(espat: EspAtSession, peer: Peer) -> None:
    link, client = served(espat, peer)
    cases = (
        (b"abc\\0", b"abc", 100),  # ended by \0
        (b"a\\bc\\0", b"abc", 100),  # \b stands for b
        (b"x\\\\0y\\0", b"x\\0y", 100),  # \\0 sends \0
        (b"xyz", b"xyz", 3),  # the length reached
    )
    counts = []
    for wire, payload, length in cases:
        req = f"AT+CIPSENDEX={link},{length} with {wire!r} sends {payload!r}"
        response, sent = espat.send_data(link, payload, requirement=req, extended=True, wire=wire, length=length)
        if sent is None:
            espat.fail(req, ["OK, then >"], response.shown(), ["refused"])
        assert sent is not None
        espat.expect_final(sent, ("SEND OK",), req)
        expect_peer_gets(espat, client, payload, req)
        recv = [e.count for e in sent.lines if isinstance(e, RecvCount)]
        counts.append((recv[0] if recv else None, len(payload), len(wire)))
    early = [c for c in counts[:3] if c[0] is not None]
    if any(n not in (sent_n, raw_n) for n, sent_n, raw_n in early):
        espat.fail(espat.requirement, ["Recv <bytes sent> or Recv <bytes received>"], [str(counts)], ["another count"])
    choice = "raw" if early and all(n == raw_n for n, _, raw_n in early) else "payload"
    espat.on_observed("ESPAT-SILENT-CIPSENDEX-COUNT", choice, f"(Recv, sent, received): {counts}")


@case(
    "ESPAT-SEND-08",
    "fewer bytes than <length> are not sent: the transmission starts only when the data reach <length>",
    verifies=("ESPAT-DOC-TCPIP-CIPSEND-05",),
)
def test_short_data_wait(espat: EspAtSession, peer: Peer) -> None:
    link, client = served(espat, peer)
    whole = b"0123456789"
    req = espat.requirement
    prompt = espat.at("+CIPSEND", link, len(whole), prompt=True, finals=("ERROR",), requirement=req)
    if prompt.prompt is None:
        espat.fail(req, ["OK, then >"], prompt.shown(), ["refused"])
    espat.send_raw(whole[:4], "4 of the 10 data bytes", check_strays=False)
    early, data = closed_by_dut(client, espat.deadlines[2])
    espat.pump_available()
    answered = list(espat.answers)
    if data or early or answered:
        espat.fail(req, ["nothing until the 10th byte"], [repr(data), *(describe_event(e) for e in answered)],
                   ["the module sent or answered before <length> bytes arrived"])  # fmt: skip
    started = espat.send_raw(whole[4:], "the other 6 data bytes", check_strays=False)
    sent = espat.collect("<data>", started, espat.deadlines[1], ("SEND OK", "SEND FAIL", "ERROR"), requirement=req)
    check_sent(espat, sent, len(whole), req)
    expect_peer_gets(espat, client, whole, req)


@case(
    "ESPAT-SEND-09",
    "data from the peer while a send waits for its data are not lost: +IPD comes, before or after SEND OK",
    verifies=("ESPAT-DOC-MSG-IPD", "ESPAT-DOC-MSG-RESP-SENDOK"),
)
def test_data_during_send(espat: EspAtSession, peer: Peer) -> None:
    link, client = served(espat, peer)
    req = espat.requirement
    prompt = espat.at("+CIPSEND", link, 4, prompt=True, finals=("ERROR",), requirement=req)
    if prompt.prompt is None:
        espat.fail(req, ["OK, then >"], prompt.shown(), ["refused"])
    client.send(b"in")
    espat.watch(espat.deadlines[2])  # the peer's data reach the module while it waits for the host's
    started = espat.send_raw(ESPAT_PEER_DATA, "4 data bytes", check_strays=False)
    sent = espat.collect("<data>", started, espat.deadlines[1], ("SEND OK", "SEND FAIL", "ERROR"), requirement=req)
    check_sent(espat, sent, 4, req)
    (event,) = receive(espat, link, b"in", "the peer's data arrive as +IPD")
    expect_peer_gets(espat, client, ESPAT_PEER_DATA, req)
    assert sent.final is not None
    inside = espat.came_before(event, sent.final)
    detail = "+IPD came before SEND OK" if inside else "+IPD came after SEND OK"
    espat.on_observed("ESPAT-SILENT-URC-PLACEMENT", "anywhere-line" if inside else "between-replies", detail)
