"""ESWIFI-MA: Inventek's "Multi-Connection Server - AT Commands" (seed 001), one case per documented step.

Byte for byte where the seed's bytes do not depend on the run; the Accepted line is checked field
for field (the peer's address and source port). The server messages' wording is UNCONFIRMED: a
different text is a NON-STRICT finding, a missing OK or prompt a FAIL.
"""

from __future__ import annotations

import contextlib

import pytest

from sockconf.data.vectors.eswifi import (
    ESWIFI_ACCEPTED_LINE,
    ESWIFI_SEED_KEEPALIVE,
    ESWIFI_SEED_PEER_DATA,
    ESWIFI_SEED_PORT,
)
from sockconf.data.vectors.eswifi import ESWIFI_MULTI_ACCEPT as SEED
from sockconf.harness import contradictions
from sockconf.harness.cases import case
from sockconf.harness.eswifi import AN_ERROR, LOST_WITH_OK, LOST_WITHOUT_OK, ESWiFiSession, ok_with
from sockconf.harness.peer import Peer
from sockconf.protocol.eswifi import TERMINATOR, ErrorReply, Reply
from sockconf.suites.eswifi.exchange import (
    EXTRA_CRLF,
    PK_REPLY,
    PROMPT_BEFORE_OK,
    PROMPT_SPACE,
    RESPONSE_FORM,
    abort,
    accept,
    accepted,
    configure,
    expect_closed,
    expect_lost_r0,
    expect_lost_s3,
    open_server,
    read_exactly,
    reply_form,
    seed_text,
    start,
    stop,
)

PORT = ESWIFI_SEED_PORT
KILLED = "ESWIFI-CONTRA-P5-0-KILLED"
S3_ROW = "ESWIFI-CONTRA-S3-ROW-PAYLOAD"
ONE_AT_A_TIME = "ESWIFI-CONTRA-MULTI-VS-ONE-AT-A-TIME"
R0_NO_CLIENT = "ESWIFI-SILENT-R0-NO-CLIENT"
PK_UNIT = "ESWIFI-SILENT-PK-UNIT"
# PK's time for the second look, when PK=1,3000 brought no probe: 2 s if read as seconds.
SHORT_KEEPALIVE_S = 2
SOCKETS = [pytest.param(n, id=f"P0={n}") for n in range(4)]


def seed_data(step: str) -> bytes:
    """The data of the seed's reply to ``step`` (between the leading CR LF and the OK)."""
    return SEED[step][1][len(b"\r\n") : -len(TERMINATOR)]


def send_seed(eswifi: ESWiFiSession, step: str) -> bytes:
    """Send the seed's host bytes of ``step``; the module's documented answer is returned."""
    host, answer = SEED[step]
    eswifi.send(host, f"the seed's {host!r}")
    return answer


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(
            "keepalive",
            marks=case(
                "ESWIFI-MA-01",
                "PK=1,3000 (TCP keep-alive) is answered with OK",
                verifies=(
                    "ESWIFI-SEED-MA",
                    "ESWIFI-SEED-PK-1-3000",
                    "ESWIFI-SEED-SEQ-PK",
                    "ESWIFI-SEED-SEQ-P0",
                    "ESWIFI-SEED-SETUP",
                    "ESWIFI-SEED-SETUP-P0",
                    "ESWIFI-SEED-FUNC-SETSOCKETOPTS",
                    "ESWIFI-SPEC-SUCCESS",
                ),
            ),
            id="PK",
        ),
        pytest.param(
            "protocol",
            marks=case(
                "ESWIFI-MA-02",
                "P1=0 (protocol TCP) is answered with OK",
                verifies=(
                    "ESWIFI-SEED-MA",
                    "ESWIFI-SEED-P1-0",
                    "ESWIFI-SEED-SEQ-P1",
                    "ESWIFI-SEED-SEQ-P0",
                    "ESWIFI-SEED-SETUP",
                    "ESWIFI-SEED-SETUP-P0",
                    "ESWIFI-SEED-SETUP-P1",
                    "ESWIFI-SPEC-SUCCESS",
                ),
            ),
            id="P1",
        ),
        pytest.param(
            "port",
            marks=case(
                "ESWIFI-MA-03",
                "P2=5024 (local port) is answered with OK",
                verifies=(
                    "ESWIFI-SEED-MA",
                    "ESWIFI-SEED-P2-5024",
                    "ESWIFI-SEED-SEQ-P2",
                    "ESWIFI-SEED-SEQ-P0",
                    "ESWIFI-SEED-SETUP",
                    "ESWIFI-SEED-SETUP-P0",
                    "ESWIFI-SEED-SETUP-P2",
                    "ESWIFI-SPEC-SUCCESS",
                ),
            ),
            id="P2",
        ),
        pytest.param(
            "backlog",
            marks=case(
                "ESWIFI-MA-04",
                "P8=6 (listen backlog) is answered with OK",
                verifies=(
                    "ESWIFI-SEED-MA",
                    "ESWIFI-SEED-P8-6",
                    "ESWIFI-SEED-SEQ-P8",
                    "ESWIFI-SEED-SEQ-P0",
                    "ESWIFI-SEED-SETUP",
                    "ESWIFI-SEED-SETUP-P0",
                    "ESWIFI-SEED-SETUP-P8",
                    "ESWIFI-SPEC-SUCCESS",
                ),
            ),
            id="P8",
        ),
    ],
)
@pytest.mark.parametrize("socket_number", SOCKETS)
def test_setting(eswifi: ESWiFiSession, step: str, socket_number: int) -> None:
    eswifi.select(socket_number)  # NOT APPLICABLE beyond the module's sockets (ESWIFI-SOCK-01 judges the count)
    answer = send_seed(eswifi, step)
    forms = (RESPONSE_FORM, PROMPT_SPACE, EXTRA_CRLF, *((PK_REPLY,) if step == "keepalive" else ()))
    with reply_form(*forms):
        reply = eswifi.reply(ok_with(b""))
        eswifi.expect_bytes(reply, answer, f"{eswifi.requirement}: the bytes \\r\\n\\r\\nOK\\r\\n> ")


@case(
    "ESWIFI-MA-01",
    "PK=1,3000 starts TCP keep-alive: a client the server then accepts is probed once idle "
    "(after 3 s if the time is in ms; in s, as PK=1,2 then shows, is UNCONFIRMED, recorded)",
    verifies=("ESWIFI-SEED-PK-1-3000", "ESWIFI-SEED-SEQ-PK", "ESWIFI-SPEC-PK"),
)
def test_keepalive_unit(eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    if client.segments_in() is None:
        pytest.skip("NOT APPLICABLE: this host's TCP stack does not show the segments a connection received")
    _, indication, _ = eswifi.deadlines
    # Read as ms, PK=1,3000 probes an idle client after 3 s; read as s, after 3000 s, beyond any wait.
    seed_ms = ESWIFI_SEED_KEEPALIVE[1] / 1000
    took = client.first_probe(seed_ms + indication, "an idle client gets nothing from the module but probes")
    if took is not None:
        eswifi.on_observed(PK_UNIT, "ms", f"an idle client was probed {took:.1f} s into the watch (PK=1,3000)")
        return
    # No probe where ms would give one: a time in seconds shows with a short one.
    stop(eswifi)
    client.close()
    configure(eswifi, PORT, keepalive=(1, SHORT_KEEPALIVE_S))
    start(eswifi)
    client = accept(eswifi, peer, PORT)
    took = client.first_probe(SHORT_KEEPALIVE_S + indication, "an idle client gets nothing but probes")
    eswifi.ok("PK", *ESWIFI_SEED_KEEPALIVE, requirement="PK=1,3000 is answered with OK")
    if took is None:
        eswifi.on_observed(
            PK_UNIT,
            "not-observed",
            f"no keep-alive probe of an idle client after PK=1,3000 (within {seed_ms + indication:g} s) nor after "
            f"PK=1,{SHORT_KEEPALIVE_S} (within {SHORT_KEEPALIVE_S + indication:g} s)",
        )
        return
    eswifi.on_observed(
        PK_UNIT,
        "s",
        f"no probe within {seed_ms + indication:g} s after PK=1,3000; after PK=1,{SHORT_KEEPALIVE_S} an idle client "
        f"was probed {took:.1f} s into the watch",
    )


@case(
    "ESWIFI-MA-05",
    "P5=11 answers [TCP TSK] Multi-Accept Setup, [TCP SVR] Waiting on connection ... and OK; the port then accepts",
    verifies=(
        "ESWIFI-SEED-MA",
        "ESWIFI-SEED-P5-11",
        "ESWIFI-SEED-SEQ-P5-11",
        "ESWIFI-SEED-FUNC-BIND",
        "ESWIFI-SEED-FUNC-LISTEN",
        "ESWIFI-SPEC-P5",
    ),
)
@pytest.mark.parametrize(
    ("socket_number", "port"),
    [(0, PORT), (3, PORT), (0, 1024), (1, 65535)],
    ids=["P0=0-5024", "P0=3-5024", "P0=0-1024", "P0=1-65535"],
)
def test_start_multi_accept(eswifi: ESWiFiSession, peer: Peer, socket_number: int, port: int) -> None:
    configure(eswifi, port, socket_number=socket_number)
    answer = send_seed(eswifi, "start")
    reply = eswifi.reply(ok_with())
    assert isinstance(reply, Reply)
    seed_text(eswifi, reply, [eswifi.texts.setup, eswifi.texts.waiting], eswifi.requirement)
    if reply.data == seed_data("start"):
        eswifi.expect_bytes(reply, answer, eswifi.requirement)
    peer.connect(port)


@case(
    "ESWIFI-MA-06",
    "a connecting client is announced by [TCP SVR] Accepted <its ip>:<port>: unprompted on UART, in an MR reply "
    "([SOMA]...[EOMA]) on a module that holds its messages (SPI); the port is the client's source port (the seed) "
    "or the server's own (Inventek's ISM4343 data sheet, Zephyr's reading): the documents disagree, either passes, "
    "recorded",
    verifies=(
        "ESWIFI-SEED-SEQ-ACCEPT-1",
        "ESWIFI-SEED-SEQ-ACCEPT-2",
        "ESWIFI-SEED-FUNC-ACCEPT",
        "ESWIFI-SPEC-ASYNC",
        "ESWIFI-SPEC-ACCEPTED",
        "ESWIFI-SPEC-MR",
        "ESWIFI-SPEC-SPI-MESSAGES",
        "ESWIFI-HOSTS-ACCEPTED-PORT",
        "ESWIFI-DS-ACCEPTED-SERVER-PORT",
    ),
)
@pytest.mark.parametrize("socket_number", [0, 2], ids=["P0=0", "P0=2"])
def test_accept(eswifi: ESWiFiSession, peer: Peer, socket_number: int) -> None:
    open_server(eswifi, PORT, socket_number=socket_number)
    if eswifi.held_for_mr:
        # Before any client: nothing is held, and MR says so (its form recorded: ESWIFI-SILENT-MR-EMPTY).
        early = eswifi.poll_mr("MR before any client is answered with OK")
        announced = [m.text for m in early if m.text.startswith(eswifi.texts.accepted)]
        if announced:
            eswifi.fail(eswifi.requirement, ["no Accepted before a client connects"], announced, ["a stray Accepted"])
    client = peer.connect(PORT)
    message = accepted(eswifi, client, eswifi.requirement, judged=True)
    shown = message.accepted
    assert shown is not None
    line = ESWIFI_ACCEPTED_LINE.format(ip=shown[0], port=shown[1]).encode("ascii")
    if message.raw.startswith(b"\r\n[SOMA]") or message.raw.startswith(b"[SOMA]"):
        # One message per MR: the whole reply is \r\n[SOMA]<message>[EOMA]\r\nOK\r\n>  (ISM4343 data sheet p.15).
        block = b"[SOMA]" + line[: -len(b"\r\n")] + b"[EOMA]"
        expected = b"\r\n" + block + TERMINATOR if message.raw.startswith(b"\r\n") else block
        eswifi.expect_bytes(message, expected, f"{eswifi.requirement}, as {expected!r}")
    elif message.raw not in (line, b"\r\n" + line):
        eswifi.expect_bytes(message, line, f"{eswifi.requirement}, as the line {line!r} (a CR LF before it allowed)")


@case(
    "ESWIFI-MA-07",
    "R0 answers the current client's bytes then OK, empty data when nothing waits, -1 once the client has gone; "
    "before any client it answers empty data or -1 (UNCONFIRMED, recorded) and the server still serves",
    verifies=(
        "ESWIFI-SEED-R0",
        "ESWIFI-SEED-SEQ-R0-1",
        "ESWIFI-SEED-SEQ-R0-2",
        "ESWIFI-SEED-FUNC-RECV",
        "ESWIFI-SPEC-R0",
        "ESWIFI-SPEC-LOST",
    ),
)
@pytest.mark.parametrize("state", ["no-client", "data", "nothing-waiting", "client-closed", "client-reset"])
def test_read(eswifi: ESWiFiSession, peer: Peer, state: str) -> None:
    with reply_form(RESPONSE_FORM, PROMPT_SPACE):
        read(eswifi, peer, state)


def read(eswifi: ESWiFiSession, peer: Peer, state: str) -> None:
    open_server(eswifi, PORT)
    if state == "no-client":
        read_before_client(eswifi)
    client = accept(eswifi, peer, PORT)
    if state == "no-client":
        client.send(ESWIFI_SEED_PEER_DATA)
        read_exactly(eswifi, ESWIFI_SEED_PEER_DATA, requirement="after an R0 before any client, R0 reads the client")
    if state == "data":
        client.send(ESWIFI_SEED_PEER_DATA)
        replies = read_exactly(eswifi, ESWIFI_SEED_PEER_DATA, requirement=eswifi.requirement)
        if len(replies) == 1:
            eswifi.expect_bytes(replies[0], SEED["read"][1], "the seed's R0 reply, byte for byte")
    elif state == "no-client":
        return
    elif state == "nothing-waiting":
        send_seed(eswifi, "read")
        reply = eswifi.reply(ok_with(b""), requirement="R0 with nothing waiting answers empty data then OK")
        eswifi.expect_bytes(reply, b"\r\n\r\nOK\r\n> ", "R0 with nothing waiting answers \\r\\n\\r\\nOK\\r\\n> ")
    else:
        if state == "client-closed":
            client.close()
        else:
            abort(client)
        reply = expect_lost_r0(eswifi, "R0 answers -1 once the client has gone")
        if reply.ok:
            eswifi.expect_bytes(reply, SEED["lost"][1], "R0's -1 reply is \\r\\n-1\\r\\nOK\\r\\n> ")


def read_before_client(eswifi: ESWiFiSession) -> None:
    """R0 on a server no client has reached yet: empty data, or -1 (ESWIFI-SILENT-R0-NO-CLIENT), recorded."""
    eswifi.command("R0")
    reply = eswifi.reply(
        ok_with(b""),
        LOST_WITH_OK,
        LOST_WITHOUT_OK,
        requirement="R0 before any client is answered with empty data or -1 (the documents say neither)",
    )
    assert isinstance(reply, Reply)
    if reply.lost:
        tail = "with OK" if reply.ok else "without OK"
        eswifi.on_observed(R0_NO_CLIENT, "lost", f"R0 before any client answered -1 {tail}")
    else:
        eswifi.on_observed(R0_NO_CLIENT, "empty", "")


@case(
    "ESWIFI-MA-08",
    "S3=<n> + n bytes answers n then OK and the client receives the bytes; S3 answers -1 once the client has gone",
    verifies=(
        "ESWIFI-SEED-S3",
        "ESWIFI-SEED-SEQ-S3-1",
        "ESWIFI-SEED-SEQ-S3-2",
        "ESWIFI-SEED-FUNC-SEND",
        "ESWIFI-SPEC-S3",
        "ESWIFI-SPEC-LOST",
    ),
)
@pytest.mark.parametrize("state", ["write", "write_next", "client-closed"], ids=["S3=1-1", "S3=1-2", "client-closed"])
def test_write(eswifi: ESWiFiSession, peer: Peer, state: str) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    if state == "client-closed":
        client.close()
        expect_lost_r0(eswifi, "precondition: R0 answers -1 once the client has gone")
        expect_lost_s3(eswifi, b"1", "S3 answers -1 once the client has gone")
        return
    host, answer = SEED[state]
    payload = host[len(b"S3=1\r") :]
    eswifi.send(host, f"the seed's {host!r}")
    with reply_form(RESPONSE_FORM):
        reply = eswifi.reply(ok_with(b"1"))
        eswifi.expect_bytes(reply, answer, "the seed's S3 reply, byte for byte")
    got = client.recv_exactly(1, within=eswifi.deadlines[1], requirement="the client receives the S3 byte")
    if got != payload:
        with contradictions.settled(S3_ROW) if got == b"1" else contextlib.nullcontext():
            eswifi.fail(eswifi.requirement, [repr(payload)], [repr(got)], ["the client received another byte"])


@case(
    "ESWIFI-MA-09",
    "P5=10 answers [TCP SVR] Waiting on connection ... and OK, closes the current client and serves the next one",
    verifies=(
        "ESWIFI-SEED-P5-10",
        "ESWIFI-SEED-SEQ-P5-10",
        "ESWIFI-SEED-SEQ-INTRO",
        "ESWIFI-SEED-SEQ-ACCEPT-2",
        "ESWIFI-SEED-SEQ-S3-2",
        "ESWIFI-SPEC-NEXT-CLIENT",
        "ESWIFI-SPEC-P5",
    ),
)
@pytest.mark.parametrize("next_arrives", ["queued", "later"])
def test_next_client(eswifi: ESWiFiSession, peer: Peer, next_arrives: str) -> None:
    open_server(eswifi, PORT)
    first = accept(eswifi, peer, PORT)
    second = peer.connect(PORT) if next_arrives == "queued" else None
    if second is not None:
        second.send(ESWIFI_SEED_PEER_DATA)
        with contradictions.settled(ONE_AT_A_TIME):
            eswifi.no_accepted(eswifi.deadlines[2], "a client that connects while another is served is not announced")
    answer = send_seed(eswifi, "next")
    with reply_form(PROMPT_BEFORE_OK):
        reply = eswifi.accepted_taken_out(eswifi.reply(ok_with()))
    assert isinstance(reply, Reply)
    seed_text(eswifi, reply, [eswifi.texts.waiting], eswifi.requirement)
    if reply.data == seed_data("next"):
        eswifi.expect_bytes(reply, answer, eswifi.requirement)
    expect_closed(eswifi, first, "P5=10 closes the current client's connection")
    if second is None:
        second = peer.connect(PORT)
        second.send(ESWIFI_SEED_PEER_DATA)
    accepted(eswifi, second, "after P5=10 the next client is announced by Accepted <its ip>:<its port>")
    read_exactly(eswifi, ESWIFI_SEED_PEER_DATA, requirement="R0 then returns the next client's bytes")
    host, answer = SEED["write_next"]
    eswifi.send(host, f"the seed's {host!r}")
    eswifi.expect_bytes(eswifi.reply(ok_with(b"1")), answer, "the seed's S3 reply to the next client")
    got = second.recv_exactly(1, within=eswifi.deadlines[1], requirement="S3 then reaches the next client")
    if got != b"2":
        with contradictions.settled(S3_ROW) if got == b"1" else contextlib.nullcontext():
            eswifi.fail("S3 then reaches the next client", ["b'2'"], [repr(got)], ["the client received another byte"])


@case(
    "ESWIFI-MA-10",
    "P5=0 answers OK, with [TCP TSK] Killed before it (the transcript) or without (the AT table): the documents "
    "disagree, either passes, recorded; it closes the current client, the waiting ones and the port",
    verifies=(
        "ESWIFI-SEED-P5-0",
        "ESWIFI-SEED-SEQ-P5-0",
        "ESWIFI-SEED-FUNC-CLOSE",
        "ESWIFI-SPEC-STOP",
        "ESWIFI-SPEC-P5",
    ),
)
@pytest.mark.parametrize("clients", [0, 1, 3], ids=["no-client", "current", "current+2-waiting"])
def test_stop(eswifi: ESWiFiSession, peer: Peer, clients: int) -> None:
    open_server(eswifi, PORT)
    connected = [accept(eswifi, peer, PORT)] if clients else []
    connected += [peer.connect(PORT) for _ in range(clients - 1)]
    answer = send_seed(eswifi, "stop")
    reply = eswifi.reply(ok_with(), AN_ERROR)
    if isinstance(reply, ErrorReply):
        eswifi.on_contradiction(KILLED, "neither", f"P5=0 was answered with the error form {reply.raw!r}")
    assert isinstance(reply, Reply)
    if not reply.data:
        eswifi.on_contradiction(KILLED, "a", "P5=0 was answered OK with no message")
    else:
        eswifi.on_contradiction(KILLED, "b", f"P5=0 was answered {reply.data!r}, then OK")
        # The message's wording is a silent point of its own.
        seed_text(eswifi, reply, [eswifi.texts.killed], eswifi.requirement)
        if reply.data == seed_data("stop"):
            eswifi.expect_bytes(reply, answer, eswifi.requirement)
    for client in connected:
        expect_closed(eswifi, client, f"P5=0 closes {client.label}'s connection")
    if peer.try_connect(PORT):
        eswifi.fail(
            "after P5=0 the port refuses connections (the listener is closed)",
            ["connection refused"],
            ["a connection was accepted"],
            ["the listener is still open"],
        )
