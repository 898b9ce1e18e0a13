"""ESWIFI-SET: the write and read settings: ``S1`` (write packet size) with ``S0`` (write that many bytes),
``S2`` (write timeout), ``R1`` (read packet size), ``R2`` (read timeout); their ranges, their query forms
``S?`` and ``R?``, and what they do to a write or a read.

Sources (docs/spec/eswifi-transport.md §4): Inventek's "How to Send data" page (S1 then S0 and 1-1460 bytes
of payload), ST's es_wifi.c (R1/R2/S2 set before each read or write; ES_WIFI_MAX_SO_TIMEOUT 30000), Zephyr and
Arm's CMSIS-Driver (R1=1460, R2 of 30 ms or 1 ms), the Mbed driver (R1 at most 1200: a silent point). The
field layout of ``R?``/``S?`` is not documented: a case only requires the value it set among the fields.
"""

from __future__ import annotations

import pytest

from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness.cases import case
from sockconf.harness.eswifi import AN_ERROR, ESWiFiSession, ok_with
from sockconf.harness.peer import Peer
from sockconf.protocol.eswifi import Reply, command, s0
from sockconf.suites.eswifi.exchange import accept, open_server, pattern, read_exactly
from sockconf.suites.eswifi.transport import fields, need, silent_choice

PORT = ESWIFI_SEED_PORT
# R2 for the half of ESWIFI-SET-06 where nothing arrives: the R0 then lasts this long, whatever it shows.
EMPTY_WAIT_MS = 200


def shows(eswifi: ESWiFiSession, query: str, value: int, requirement: str) -> None:
    """The query (``R?``/``S?``) is answered with OK and shows ``value`` among its comma-separated fields."""
    reply = eswifi.ok(query, requirement=f"{query} is answered with OK")
    if str(value) not in fields(reply):
        eswifi.fail(
            requirement,
            [f"{query} shows {value} among its fields"],
            [repr(reply.data)],
            [f"{value} is not one of the fields"],
        )


def accepted(eswifi: ESWiFiSession, name: str, value: int, query: str) -> None:
    eswifi.change(name, value, requirement=f"{name}={value} is inside the range and answered with OK")
    shows(eswifi, query, value, f"after {name}={value}, {query} shows {value}")


def refused(eswifi: ESWiFiSession, name: str, text: str, query: str, kept: int) -> None:
    eswifi.error(command(name, text), f"{name}={text}", requirement=f"{name}={text} is refused with the error form")
    shows(eswifi, query, kept, f"a refused {name}={text} changes nothing: {query} still shows {kept}")


@case(
    "ESWIFI-SET-01",
    "R1 takes 1 to 1200 (1460 where the firmware allows it) and refuses 1461 and non-numbers",
    verifies=(
        "ESWIFI-TRANSPORT-R1",
        "ESWIFI-TRANSPORT-QUERIES",
    ),
)
def test_read_size(eswifi: ESWiFiSession) -> None:
    for value in (1, 1200):
        accepted(eswifi, "R1", value, "R?")
    eswifi.command("R1", 1460)
    reply = eswifi.reply(ok_with(b""), AN_ERROR, requirement="R1=1460 is answered (OK or the error form)")
    top = 1460 if isinstance(reply, Reply) else 1200
    silent_choice(eswifi, "ESWIFI-SILENT-R1-MAX", str(top))
    eswifi.change("R1", top)
    for text in ("1461", "99999", "x", ""):
        refused(eswifi, "R1", text, "R?", top)


@case(
    "ESWIFI-SET-02",
    "R2 (read timeout) takes 0 to 30000 ms and refuses 30001 and non-numbers",
    verifies=(
        "ESWIFI-TRANSPORT-R2",
        "ESWIFI-TRANSPORT-QUERIES",
    ),
)
def test_read_timeout(eswifi: ESWiFiSession) -> None:
    for value in (0, 1, 30000):
        accepted(eswifi, "R2", value, "R?")
    for text in ("30001", "x"):
        refused(eswifi, "R2", text, "R?", 30000)


@case(
    "ESWIFI-SET-03",
    "S2 (write timeout) takes 0 to 30000 ms and refuses non-numbers",
    verifies=(
        "ESWIFI-TRANSPORT-S2",
        "ESWIFI-TRANSPORT-QUERIES",
    ),
)
def test_write_timeout(eswifi: ESWiFiSession) -> None:
    for value in (0, 250, 30000):
        accepted(eswifi, "S2", value, "S?")
    refused(eswifi, "S2", "x", "S?", 30000)


@case(
    "ESWIFI-SET-04",
    "S1 (write packet size) takes 1 to 1460 and refuses 0, 1461 and non-numbers",
    verifies=(
        "ESWIFI-TRANSPORT-S1",
        "ESWIFI-TRANSPORT-QUERIES",
    ),
)
def test_write_size(eswifi: ESWiFiSession) -> None:
    need(eswifi, "s0-write")
    for value in (1, eswifi.max_s3):
        accepted(eswifi, "S1", value, "S?")
    for text in ("0", str(eswifi.max_s3 + 1), "x"):
        refused(eswifi, "S1", text, "S?", eswifi.max_s3)


@case(
    "ESWIFI-SET-05",
    "S1=<n> then S0 + n bytes writes exactly those n bytes to the client, any byte values",
    verifies=("ESWIFI-TRANSPORT-S1",),
)
@pytest.mark.parametrize("size", [1, 10, 1460], ids=lambda n: f"{n}B")
def test_s1_s0_write(eswifi: ESWiFiSession, peer: Peer, size: int) -> None:
    need(eswifi, "s0-write")
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    payload = pattern(size, 0x0A)
    eswifi.change("S1", size, requirement=f"S1={size} is answered with OK")
    eswifi.send(s0(payload), f"S0 + {size} byte(s)")
    reply = eswifi.reply(ok_with(str(size).encode("ascii")), ok_with(b""), requirement=eswifi.requirement)
    assert isinstance(reply, Reply)
    silent_choice(eswifi, "ESWIFI-SILENT-S0-REPLY", "count" if reply.data else "empty")
    got = client.recv_exactly(size, within=eswifi.deadlines[1], requirement=eswifi.requirement)
    if got != payload:
        eswifi.fail(eswifi.requirement, [repr(payload[:32])], [repr(got[:32])], ["the client received other bytes"])


@case(
    "ESWIFI-SET-06",
    "with R2=<t> an R0 waits up to t ms: data that arrives meanwhile is its answer; with none it answers empty",
    verifies=(
        "ESWIFI-TRANSPORT-R2",
        "ESWIFI-TRANSPORT-R0",
    ),
)
def test_read_waits_for_r2(eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    wait_ms = 1500
    eswifi.change("R2", wait_ms, requirement=f"R2={wait_ms} is answered with OK")
    within = wait_ms / 1000 + eswifi.deadlines[0]
    eswifi.command("R0")
    client.send(b"arrives while R0 waits")
    first = eswifi.reply(ok_with(), requirement=eswifi.requirement, within=within)
    assert isinstance(first, Reply)
    if not first.data or first.lost:
        eswifi.fail(
            eswifi.requirement,
            ["the bytes the client sent after R0 went out"],
            [repr(first.data)],
            [f"R0 did not wait for data with R2={wait_ms}"],
        )
    rest = b"arrives while R0 waits"[len(first.data) :]
    if rest:
        read_exactly(eswifi, rest, requirement="R0 returns the rest of the bytes")
    # With nothing arriving the wait is the module's own R2 timer running out, so this half runs on a short
    # R2: a long one only lengthens the wait, not what its end shows (the data half above keeps the long one).
    empty_ms = EMPTY_WAIT_MS
    eswifi.change("R2", empty_ms, requirement=f"R2={empty_ms} is answered with OK")
    eswifi.command("R0")
    eswifi.reply(
        ok_with(b""),
        requirement=f"with nothing arriving, R0 answers empty within R2={empty_ms} ms",
        within=empty_ms / 1000 + eswifi.deadlines[0],
    )
