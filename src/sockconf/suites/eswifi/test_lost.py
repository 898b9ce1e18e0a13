"""ESWIFI-LOST: a client that has gone (spec §3, "Lost connection"): R0 still returns what it sent,
then -1; S3 answers -1; the module keeps answering and the server moves on.

The -1 reply's tail is UNCONFIRMED: ``\\r\\n-1\\r\\nOK\\r\\n> `` (the seed's) and ``\\r\\n-1\\r\\n> ``
are both accepted by default, and the seed's form is required under pytest's ``--strict``.

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

import pytest

from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness.cases import case
from sockconf.harness.eswifi import LOST_WITH_OK, LOST_WITHOUT_OK, ESWiFiSession, ok_with
from sockconf.harness.peer import Peer
from sockconf.protocol.eswifi import Reply
from sockconf.suites.eswifi.exchange import (
    MULTI,
    SINGLE,
    abort,
    accept,
    accepted,
    client_data,
    expect_closed,
    expect_lost_r0,
    expect_lost_s3,
    next_client,
    open_server,
    read_exactly,
    write,
)

PORT = ESWIFI_SEED_PORT
MODES = [pytest.param(MULTI, id="P5=11"), pytest.param(SINGLE, id="P5=1")]


@case(
    "ESWIFI-LOST-01",
    "after the client closes, R0 returns what it had sent, then -1; S3 answers -1 (with OK under --strict)",
    verifies=("ESWIFI-SEED-R0", "ESWIFI-SEED-S3", "ESWIFI-SPEC-LOST"),
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["close", "close-after-data", "reset"])
def test_lost_connection(eswifi: ESWiFiSession, peer: Peer, mode: int, how: str) -> None:
    open_server(eswifi, PORT, mode)
    client = accept(eswifi, peer, PORT)
    if how == "close-after-data":
        client.send(b"last words")  # TCP delivers them before the FIN
    if how == "reset":
        abort(client)
    else:
        client.close()
    if how == "close-after-data":
        read_exactly(eswifi, b"last words", requirement="R0 still returns what the client sent before closing")
    expect_lost_r0(eswifi, "R0 answers -1 once the client has gone and nothing is left")
    expect_lost_s3(eswifi, b"too late", "S3 answers -1 once the client has gone")


@case(
    "ESWIFI-LOST-02",
    "a lost client does not stall the module: -1 stays -1, other commands are answered, P5=10 serves the next client",
    verifies=("ESWIFI-SPEC-LOST", "ESWIFI-SEED-P5-10"),
)
def test_lost_client_then_next(eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT, MULTI)
    first = accept(eswifi, peer, PORT)
    second = peer.connect(PORT)
    second.send(client_data(2))
    first.close()
    expect_lost_r0(eswifi, "R0 answers -1 once the client has gone")
    eswifi.command("R0")
    reply = eswifi.reply(LOST_WITH_OK, LOST_WITHOUT_OK, requirement="R0 keeps answering -1 for the lost client")
    eswifi.ok("P0", 0, data=b"", requirement="the module still answers other commands (P0=0 → OK)")
    expect_lost_s3(eswifi, b"x", "S3 answers -1 for the lost client")
    next_client(eswifi, requirement="P5=10 after a lost client is answered with OK")
    accepted(eswifi, second, "after P5=10 the next client is announced by Accepted")
    read_exactly(eswifi, client_data(2), requirement="R0 returns the next client's bytes")
    write(eswifi, second, b"welcome", requirement="S3 reaches the next client")
    assert isinstance(reply, Reply) and reply.lost
    eswifi.command("R0")
    eswifi.reply(ok_with(b""), requirement="R0 on the next client answers empty data, not -1")
    next_client(eswifi)
    expect_closed(eswifi, second, "P5=10 closes the next client too")
