"""ESWIFI-DATA: the bytes R0 and S3 carry (spec §1, §2): binary payloads of 1 to 1460 bytes of every
byte value, and reads larger than R1 split across R0 calls with nothing lost or reordered.

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

import time

import pytest

from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness.cases import case
from sockconf.harness.eswifi import AN_ERROR, ESWiFiSession, ok_with
from sockconf.harness.expect import Check, show_bytes
from sockconf.harness.peer import Peer
from sockconf.protocol.eswifi import ErrorReply
from sockconf.suites.eswifi.exchange import NOT_LOST, accept, open_server, pattern, read_exactly, write

PORT = ESWIFI_SEED_PORT
# (size, first byte value): the ends of the S3 range, one and two bytes that are CR, LF, '>' or NUL,
# and sizes of 256 and more, which hold every byte value.
PAYLOADS = [(1, 0x00), (1, 0x0D), (1, 0x3E), (1, 0xFF), (2, 0x0D), (255, 0x01), (256, 0x00), (1459, 0x80), (1460, 0x00)]
PAYLOAD_IDS = [f"{size}B-from-{start:02X}" for size, start in PAYLOADS]


@case(
    "ESWIFI-DATA-01",
    "R0 returns the client's bytes exactly, any byte values, 1 to 1460 bytes",
    verifies=("ESWIFI-SEED-SINGLE-RECEIVE", "ESWIFI-SPEC-R0", "ESWIFI-SPEC-DATA"),
)
@pytest.mark.parametrize(("size", "start"), PAYLOADS, ids=PAYLOAD_IDS)
def test_read_binary(eswifi: ESWiFiSession, peer: Peer, size: int, start: int) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    payload = pattern(size, start)
    client.send(payload)
    read_exactly(eswifi, payload, requirement=eswifi.requirement)


@case(
    "ESWIFI-DATA-02",
    "S3=<n> with n bytes of any values (1 to 1460) answers n and the client receives them exactly",
    verifies=("ESWIFI-SEED-SINGLE-SEND", "ESWIFI-SPEC-S3", "ESWIFI-SPEC-DATA"),
)
@pytest.mark.parametrize(("size", "start"), PAYLOADS, ids=PAYLOAD_IDS)
def test_write_binary(eswifi: ESWiFiSession, peer: Peer, size: int, start: int) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    write(eswifi, client, pattern(size, start), requirement=eswifi.requirement)


@case(
    "ESWIFI-DATA-03",
    "bytes beyond R1 stay buffered: successive R0 calls return them, at most R1 each, nothing lost or reordered",
    verifies=("ESWIFI-SPEC-R1", "ESWIFI-SPEC-R0"),
)
@pytest.mark.parametrize(
    ("read_size", "size"),
    [(None, 4000), (200, 1460), (64, 1000)],
    ids=["R1-default-4000B", "R1=200-1460B", "R1=64-1000B"],
)
def test_read_split_across_r0(eswifi: ESWiFiSession, peer: Peer, read_size: int | None, size: int) -> None:
    open_server(eswifi, PORT)
    if read_size is not None:
        eswifi.set_read_size(read_size)
    client = accept(eswifi, peer, PORT)
    payload = pattern(size, 0x20)
    client.send(payload)
    # read_exactly fails on any R0 above R1, on a missing byte and on bytes out of order.
    read_exactly(eswifi, payload, read_size=read_size, requirement=eswifi.requirement)


@case(
    "ESWIFI-DATA-04",
    "R0= (an empty parameter, as stm32duino's driver sends it) reads like R0, or is refused with the error form "
    "(UNCONFIRMED, recorded), after which R0 reads the bytes",
    verifies=("ESWIFI-SPEC-R0",),
)
def test_read_with_an_empty_parameter(eswifi: ESWiFiSession, peer: Peer) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    payload = b"read with R0="
    client.send(payload)
    deadline = time.monotonic() + eswifi.deadlines[1]
    got = b""
    while len(got) < len(payload):
        eswifi.send(b"R0=\r", "R0= (an empty parameter)")
        reply = eswifi.reply(ok_with(NOT_LOST), AN_ERROR, requirement=eswifi.requirement)
        if isinstance(reply, ErrorReply):
            eswifi.observe_once("ESWIFI-SILENT-R0-EMPTY-PARAM", "refused", f"R0=: ERROR: {reply.reason}")
            read_exactly(eswifi, payload, requirement="after a refused R0=, R0 reads the client's bytes")
            return
        got += reply.data
        if not reply.data and time.monotonic() >= deadline:
            break
    if got != payload:
        eswifi.fail(eswifi.requirement, [show_bytes(payload)], [show_bytes(got)], ["R0= read other bytes"])
    eswifi.observe_once("ESWIFI-SILENT-R0-EMPTY-PARAM", "read")


@case(
    "ESWIFI-DATA-05",
    "S3 with a zero-padded count (S3=0010, the ISM4343 data sheet's form, which ST's es_wifi.c and Arm's "
    "CMSIS-Driver always send) writes that many bytes and answers the count",
    verifies=("ESWIFI-SPEC-S3-PADDED", "ESWIFI-SPEC-S3"),
)
@pytest.mark.parametrize("count", ["0010", "0001", "1460"])
def test_write_with_a_zero_padded_count(eswifi: ESWiFiSession, peer: Peer, count: str) -> None:
    open_server(eswifi, PORT)
    client = accept(eswifi, peer, PORT)
    payload = pattern(int(count), 0x30)
    eswifi.send(f"S3={count}\r".encode("ascii") + payload, f"S3={count} + {len(payload)} byte(s)")
    answered = Check(f"the count {int(count)}", lambda data: data.isdigit() and int(data) == int(count))
    eswifi.reply(ok_with(answered), requirement=eswifi.requirement)
    got = client.recv_exactly(len(payload), within=eswifi.deadlines[1], requirement=eswifi.requirement)
    if got != payload:
        eswifi.fail(eswifi.requirement, [show_bytes(payload)], [show_bytes(got)], ["the client received other bytes"])
