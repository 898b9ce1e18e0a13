"""ESWIFI-SRV: the servers around the seed's exchange (spec §3): who is announced, the P5=10 loop
with its backlog, P5=0, the single-connection server, and servers on several sockets at once.

Parametrized over server mode, number of clients, backlog, sockets and ports instead of copied.

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

import pytest

from sockconf.core.trace import NOTE
from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness import contradictions
from sockconf.harness.cases import case
from sockconf.harness.eswifi import AN_ERROR, ESWiFiSession, ok_with
from sockconf.harness.expect import ConformanceFailure, NoAnswer
from sockconf.harness.peer import Peer, TcpClient
from sockconf.protocol.eswifi import ErrorReply
from sockconf.suites.eswifi.exchange import (
    MULTI,
    SINGLE,
    accept,
    accepted,
    client_data,
    closed_by_dut,
    configure,
    connect_or_refused,
    expect_closed,
    open_server,
    read_exactly,
    serve_in_order,
    start,
    stop,
    write,
)
from sockconf.suites.eswifi.transport import fields

PORT = ESWIFI_SEED_PORT
ONE_AT_A_TIME = "ESWIFI-CONTRA-MULTI-VS-ONE-AT-A-TIME"
MODES = [pytest.param(MULTI, id="P5=11"), pytest.param(SINGLE, id="P5=1")]
FATES = ("closed", "refused", "pending", "served")


def refused(eswifi: ESWiFiSession, peer: Peer, port: int, requirement: str) -> None:
    if peer.try_connect(port):
        eswifi.fail(requirement, ["connection refused"], ["a connection was accepted"], ["the listener is still open"])


@case(
    "ESWIFI-SRV-01",
    "the Accepted message names the connecting peer's IPv4 address and a port: its TCP source port (the seed) or "
    "the server's own port (Inventek's ISM4343 data sheet, Zephyr's reading): the documents disagree, either "
    "passes, recorded",
    verifies=(
        "ESWIFI-SEED-SEQ-ACCEPT-1",
        "ESWIFI-SEED-SINGLE-ACCEPT",
        "ESWIFI-SPEC-ACCEPTED",
        "ESWIFI-HOSTS-ACCEPTED-PORT",
        "ESWIFI-DS-ACCEPTED-SERVER-PORT",
    ),
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("source", ["ephemeral", "fixed"], ids=["src-ephemeral", "src-fixed"])
def test_accepted_names_the_peer(eswifi: ESWiFiSession, peer: Peer, mode: int, source: str) -> None:
    open_server(eswifi, PORT, mode)
    # "fixed": the peer binds its source port, so the expected port is known before connecting.
    source_port = 41000 + mode if source == "fixed" else 0
    accept(eswifi, peer, PORT, source_port=source_port, requirement=eswifi.requirement, judged=True)


@case(
    "ESWIFI-SRV-02",
    "with P8=6 the P5=10 loop serves 1 to 7 clients in arrival order: each one's bytes reach R0, "
    "each S3 reaches it, each is closed at P5=10",
    verifies=(
        "ESWIFI-SEED-SEQ-INTRO",
        "ESWIFI-SEED-SEQ-OUTRO",
        "ESWIFI-SEED-P8-6",
        "ESWIFI-SEED-P5-10",
        "ESWIFI-SPEC-NEXT-CLIENT",
        "ESWIFI-SPEC-BACKLOG",
    ),
)
@pytest.mark.parametrize("clients", [1, 2, 6, 7], ids=lambda n: f"{n}-clients")
def test_multi_accept_loop(eswifi: ESWiFiSession, peer: Peer, clients: int) -> None:
    open_server(eswifi, PORT, MULTI, backlog=6)
    connected = [peer.connect(PORT) for _ in range(clients)]
    sent = [client_data(n) for n in range(1, clients + 1)]
    for client, data in zip(connected, sent, strict=True):
        client.send(data)  # the waiting clients' bytes must wait in the module for their turn
    serve_in_order(eswifi, connected, sent)
    stop(eswifi)


def fate_of(eswifi: ESWiFiSession, extra: TcpClient | None) -> str:
    """What a client beyond the backlog saw, once every client before it has been served.

    Its Accepted may follow the last P5=10 late: it is looked for again after the quiet window."""
    if extra is None:
        return "refused"
    host, port = extra.local
    # Every client before it has been announced and served: an Accepted naming the server's own port is
    # its too (which port the message names is ESWIFI-CONTRA-ACCEPTED-PORT).
    names = {(host, port), (host, extra.remote[1])}

    def announced() -> bool:
        # Every client before it has been announced and taken: any Accepted left is the extra one's.
        eswifi.poll_messages()
        return any(m.accepted in names for m in eswifi.messages)

    if announced():
        return "served"
    closed, _ = closed_by_dut(extra, eswifi.deadlines[2])
    if closed:
        return "closed"
    return "served" if announced() else "pending"


@case(
    "ESWIFI-SRV-03",
    "with P8=n, n clients wait behind the current one and are served in order; "
    "what a client beyond the backlog sees is reported (UNCONFIRMED)",
    verifies=("ESWIFI-SEED-SETUP-P8", "ESWIFI-SEED-SINGLE-LISTEN", "ESWIFI-SPEC-P8", "ESWIFI-SPEC-BACKLOG"),
)
@pytest.mark.parametrize("backlog", [1, 6], ids=lambda n: f"P8={n}")
def test_beyond_the_backlog(eswifi: ESWiFiSession, peer: Peer, backlog: int) -> None:
    open_server(eswifi, PORT, MULTI, backlog=backlog)
    within = [peer.connect(PORT) for _ in range(backlog + 1)]  # the current client and P8 waiting
    sent = [client_data(n) for n in range(1, backlog + 2)]
    for client, data in zip(within, sent, strict=True):
        client.send(data)
    extra = connect_or_refused(peer, PORT)
    serve_in_order(eswifi, within, sent)
    fate = fate_of(eswifi, extra)
    expected = str(eswifi.profile.get("beyond_backlog", "closed"))
    eswifi.driver.trace.record(NOTE, text=f"a client beyond P8={backlog}: {fate} (profile: {expected})")
    eswifi.on_observed("ESWIFI-SILENT-BEYOND-BACKLOG", fate, f"a client beyond the backlog (P8={backlog}) was {fate}")
    stop(eswifi)


@case(
    "ESWIFI-SRV-04",
    "after P5=0 a new connection to the port is refused, and the socket can serve again",
    verifies=("ESWIFI-SEED-SINGLE-CLOSE", "ESWIFI-SEED-P5-0", "ESWIFI-SPEC-STOP", "ESWIFI-SPEC-SINGLE"),
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("socket_number", [0, 3], ids=["P0=0", "P0=3"])
def test_refused_after_stop(eswifi: ESWiFiSession, peer: Peer, mode: int, socket_number: int) -> None:
    open_server(eswifi, PORT, mode, socket_number=socket_number)
    client = accept(eswifi, peer, PORT)
    stop(eswifi, requirement="P5=0 is answered with OK")
    expect_closed(eswifi, client, "P5=0 closes the client's connection")
    refused(eswifi, peer, PORT, "after P5=0 a new connection to the port is refused")
    start(eswifi, mode, requirement=f"after P5=0, P5={mode} starts the server again")
    again = accept(eswifi, peer, PORT, requirement="the restarted server announces its client")
    again.send(b"again")
    read_exactly(eswifi, b"again", requirement="the restarted server reads its client")


@case(
    "ESWIFI-SRV-05",
    "P5=1 serves one client (Accepted, R0, S3); a second client waits unannounced; P5=0 closes both and the port",
    verifies=(
        "ESWIFI-SEED-SINGLE",
        "ESWIFI-SEED-SINGLE-OPEN",
        "ESWIFI-SEED-SINGLE-BIND",
        "ESWIFI-SEED-SINGLE-LISTEN",
        "ESWIFI-SEED-SINGLE-ACCEPT",
        "ESWIFI-SEED-SINGLE-SEND",
        "ESWIFI-SEED-SINGLE-RECEIVE",
        "ESWIFI-SEED-SINGLE-CLOSE",
        "ESWIFI-SPEC-SINGLE",
        "ESWIFI-SPEC-BACKLOG",
    ),
)
@pytest.mark.parametrize("second", [False, True], ids=["one-client", "second-waits"])
def test_single_server(eswifi: ESWiFiSession, peer: Peer, second: bool) -> None:
    configure(eswifi, PORT, backlog=1)
    start(eswifi, SINGLE, requirement="P5=1 (single-connection server) is answered with OK")
    first = accept(eswifi, peer, PORT, requirement="P5=1 announces its client by Accepted <ip>:<port>")
    waiting = peer.connect(PORT) if second else None
    if waiting is not None:
        waiting.send(b"not yet")
    first.send(b"single server data")
    read_exactly(eswifi, b"single server data", requirement="R0 returns the served client's bytes only")
    write(eswifi, first, b"to the served client", requirement="S3 reaches the served client")
    if waiting is not None:
        # R0 is the barrier, not a quiet window: the waiting client connected and sent its bytes several
        # round trips ago (R0, S3 and the served client's read since), so an Accepted for it has come before
        # R0's answer, which the session keeps in arrival order; a module that holds its messages for MR
        # hands every one it holds to the MR right after.
        eswifi.ok("R0", data=b"", requirement="R0 returns nothing of the waiting client")
        requirement = "a single server announces no second client while it serves one"
        with contradictions.settled(ONE_AT_A_TIME):
            eswifi.poll_messages(requirement)
            eswifi.no_accepted(0.0, requirement)
    stop(eswifi, requirement="P5=0 is answered with OK")
    expect_closed(eswifi, first, "P5=0 closes the served client's connection")
    if waiting is not None:
        expect_closed(eswifi, waiting, "P5=0 closes the waiting client's connection")
    refused(eswifi, peer, PORT, "after P5=0 a new connection to the port is refused")


@case(
    "ESWIFI-SRV-06",
    "servers on two sockets and ports run at once: each announces its own client, R0/S3 follow P0, "
    "P5=0 on one leaves the other serving",
    verifies=("ESWIFI-SEED-SETUP-P0", "ESWIFI-SEED-SEQ-P0", "ESWIFI-SPEC-P0"),
)
@pytest.mark.parametrize(
    ("sockets", "modes"),
    [((0, 1), (MULTI, MULTI)), ((3, 0), (MULTI, SINGLE)), ((1, 2), (SINGLE, SINGLE))],
    ids=["P0=0,1-multi,multi", "P0=3,0-multi,single", "P0=1,2-single,single"],
)
def test_two_servers(eswifi: ESWiFiSession, peer: Peer, sockets: tuple[int, int], modes: tuple[int, int]) -> None:
    ports = (PORT, PORT + 1)
    for number, port, mode in zip(sockets, ports, modes, strict=True):
        open_server(eswifi, port, mode, socket_number=number)
    # Both clients connect at once: each server announces its own (on SPI both may wait in MR together).
    clients = [peer.connect(port) for port in ports]
    eswifi.accepted_each(
        [(c.local[0], c.local[1], c.remote[1]) for c in clients], "each server announces its own client"
    )
    for n, client in enumerate(clients):
        client.send(f"to socket {sockets[n]}".encode("ascii"))
    for n in (1, 0):
        eswifi.select(sockets[n])
        read_exactly(
            eswifi, f"to socket {sockets[n]}".encode("ascii"), requirement=f"R0 on P0={sockets[n]} reads its client"
        )
        write(eswifi, clients[n], f"from socket {sockets[n]}".encode("ascii"), requirement=f"S3 on P0={sockets[n]}")
    eswifi.select(sockets[0])
    stop(eswifi, requirement=f"P5=0 on P0={sockets[0]} is answered with OK")
    expect_closed(eswifi, clients[0], f"P5=0 on P0={sockets[0]} closes its client")
    refused(eswifi, peer, ports[0], f"after P5=0 on P0={sockets[0]}, port {ports[0]} refuses connections")
    clients[1].send(b"still here")
    eswifi.select(sockets[1])
    read_exactly(eswifi, b"still here", requirement=f"the server on P0={sockets[1]} still serves its client")
    write(eswifi, clients[1], b"still serving", requirement=f"S3 on P0={sockets[1]} still reaches its client")


@case(
    "ESWIFI-SRV-07",
    "each socket keeps its own settings: P? on each shows its own protocol and local port (its first and third fields)",
    verifies=(
        "ESWIFI-SEED-SETUP-P0",
        "ESWIFI-SEED-SETUP-P1",
        "ESWIFI-SEED-SETUP-P2",
        "ESWIFI-SPEC-P?",
        "ESWIFI-TRANSPORT-P?",
    ),
)
def test_settings_per_socket(eswifi: ESWiFiSession) -> None:
    numbers = range(eswifi.sockets)
    settings = {n: (n % 2, 6000 + 11 * n) for n in numbers}
    for n in numbers:
        eswifi.select(n)
        eswifi.ok("P1", settings[n][0], requirement=f"P1={settings[n][0]} on P0={n} is answered with OK")
        eswifi.ok("P2", settings[n][1], requirement=f"P2={settings[n][1]} on P0={n} is answered with OK")
    for n in numbers:
        eswifi.select(n)
        reply = eswifi.ok("P?", requirement=f"P? on P0={n} is answered with OK")
        fields = reply.data.decode("ascii", "replace").split(",")
        got = (fields[0].strip(), fields[2].strip()) if len(fields) > 2 else ("", "")
        want = (str(settings[n][0]), str(settings[n][1]))
        if got != want:
            eswifi.fail(
                eswifi.requirement,
                [f"P? on P0={n}: protocol {want[0]}, local port {want[1]}"],
                [f"{reply.data!r}"],
                [
                    f"{name}: expected {w}, got {g!r}"
                    for name, w, g in zip(("protocol", "port"), want, got, strict=True)
                    if w != g
                ],
            )


@case(
    "ESWIFI-SRV-08",
    "P? on a server shows its port (field 2) and, once a client is served, the client's port (field 4); field 1 "
    "is the client's IP and 0.0.0.0 before one (as ST's es_wifi.c waits for a client), or always the module's "
    "own address or 0.0.0.0 (UNCONFIRMED, recorded)",
    verifies=("ESWIFI-SPEC-P?", "ESWIFI-SPEC-SINGLE"),
)
def test_p_query_on_a_server(eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT, SINGLE, backlog=1)
    idle = fields(eswifi.ok("P?", requirement="P? on a server with no client is answered with OK"))
    client = accept(eswifi, peer, PORT)
    serving = fields(eswifi.ok("P?", requirement="P? on a server with a client is answered with OK"))
    if len(idle) < 5 or len(serving) < 5 or idle[2] != str(PORT) or serving[2] != str(PORT):
        eswifi.fail(
            "P? on a server shows its port in field 2",
            [f"field 2: {PORT}"],
            [f"before a client: {idle}", f"with a client: {serving}"],
            ["the server's port is not in field 2"],
        )
    if serving[4] != str(client.local[1]):
        eswifi.fail(
            "P? shows the served client's port in field 4 (ST's es_wifi.c, stm32duino and Arm's CMSIS-Driver read it)",
            [f"field 4: {client.local[1]}"],
            [f"{serving}"],
            ["not the client's port"],
        )
    own, none = peer.dut_host, "0.0.0.0"
    seen = (idle[1], serving[1])
    if seen == (none, client.local[0]):
        choice = "client-ip"
    elif seen == (own, own):
        choice = "own-address"
    elif seen == (none, none):
        choice = "unset"
    else:
        eswifi.fail(
            eswifi.requirement,
            [f"(client-ip) {none} then {client.local[0]}", f"(own-address) {own} both times", f"(unset) {none} both"],
            [f"field 1: {seen[0]} before a client, {seen[1]} with one"],
            ["field 1 is none of the registered choices"],
        )
    eswifi.observe_once("ESWIFI-SILENT-P-FIELD1", choice, f"field 1: {seen[0]} before a client, {seen[1]} with one")


@case(
    "ESWIFI-LOOP-01",
    "P7 runs a server's accept loop as ST's es_wifi.c drives it: P5=1, P7=1; P7=2 closes the current client; P7=3 "
    "announces the next one, whose bytes R0 then reads (all UNCONFIRMED: a module may refuse P7, recorded)",
    verifies=("ESWIFI-SPEC-P7",),
)
def test_accept_loop(eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT, SINGLE, backlog=6)
    eswifi.command("P7", 1)
    reply = eswifi.reply(ok_with(b""), AN_ERROR, requirement="P7=1 is answered (OK, or the error form)")
    if isinstance(reply, ErrorReply):
        eswifi.observe_once("ESWIFI-SILENT-P7", "refused", f"P7=1: ERROR: {reply.reason}")
        stop(eswifi, requirement="after a refused P7, P5=0 stops the server")
        return
    eswifi.observe_once("ESWIFI-SILENT-P7", "supported")
    # What P7=2 and P7=3 do rests on ST's driver and command names only: a module that does otherwise
    # gets a finding (NON-STRICT), not a FAIL.
    try:
        first = accept(eswifi, peer, PORT, requirement="the accept loop announces its first client")
        first.send(b"first")
        read_exactly(eswifi, b"first", requirement="R0 reads the first client")
        second = peer.connect(PORT)
        second.send(b"second")
        eswifi.ok("P7", 2, requirement="P7=2 (close the current client) is answered with OK")
        expect_closed(eswifi, first, "P7=2 closes the current client's connection")
        eswifi.ok("P7", 3, requirement="P7=3 (next connection) is answered with OK")
        accepted(eswifi, second, "after P7=3 the next client is announced by Accepted")
        read_exactly(eswifi, b"second", requirement="R0 then reads the next client's bytes")
        write(eswifi, second, b"to the second", requirement="S3 then reaches the next client")
        eswifi.ok("P7", 0, requirement="P7=0 (stop the accept loop) is answered with OK")
    except NoAnswer:
        raise
    except ConformanceFailure as exc:
        eswifi.on_unconfirmed(eswifi.requirement, f"P7 did not act as ST's es_wifi.c expects: {exc.render()}")
    stop(eswifi, requirement="P5=0 stops the server after its accept loop")
