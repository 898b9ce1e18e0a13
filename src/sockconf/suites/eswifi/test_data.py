"""ESWIFI-DATA: the bytes R0 and S3 carry (spec §1, §2): binary payloads of 1 to 1460 bytes of every
byte value, and reads larger than R1 split across R0 calls with nothing lost or reordered.

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

import pytest

from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness.cases import case
from sockconf.harness.eswifi import ESWiFiSession
from sockconf.harness.peer import Peer
from sockconf.suites.eswifi.exchange import accept, open_server, pattern, read_exactly, write

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
