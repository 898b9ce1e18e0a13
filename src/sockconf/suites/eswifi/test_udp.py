"""ESWIFI-UDP: UDP (``P1=1``) as a server (``P5=1``: datagrams from any peer) and as a client (``P6=1`` to
``P3``:``P4``); each ``S3`` one datagram, each ``R0`` one datagram; the largest datagram; a datagram longer
than ``R1``.

Sources (docs/spec/eswifi-transport.md §6): ST's es_wifi.c (UDP server by P5, ES_WIFI_SendDataTo /
ES_WIFI_ReceiveDataFrom: one S3 per datagram, one R0 per datagram, the sender from P?), Arm's CMSIS-Driver
(UDP bind as P1=1, P2, P5=1; UDP connect as P3, P4, P6=1; R1=1460). Where a UDP server shows the sender and
what R0 does with a datagram longer than R1 are silent points: every choice is accepted and recorded.
"""

from __future__ import annotations

import pytest

from sockconf.harness.cases import case
from sockconf.harness.eswifi import ESWiFiSession
from sockconf.harness.expect import show_bytes
from sockconf.harness.peer import Peer, UdpPeer
from sockconf.suites.eswifi.exchange import pattern
from sockconf.suites.eswifi.transport import (
    UDP,
    UDP_PORT,
    expect_read,
    fields,
    largest_read_size,
    need,
    read_datagram,
    receive_datagram,
    send_datagram,
    silent_choice,
    udp_client,
    udp_server,
)


@pytest.fixture(autouse=True)
def _udp_feature(eswifi: ESWiFiSession) -> None:
    need(eswifi, "udp")


def client_pair(eswifi: ESWiFiSession, peer: Peer, socket_number: int = 0) -> tuple[UdpPeer, tuple[str, int]]:
    """A UDP client to a peer socket; the first S3 tells the peer the module's address (returned)."""
    udp = peer.udp_socket()
    udp_client(eswifi, udp, socket_number)
    send_datagram(eswifi, b"hello", "S3 on a UDP client is answered with its count")
    source = receive_datagram(eswifi, udp, b"hello", "the peer at P3:P4 receives S3's bytes as one datagram")
    return udp, source


@case(
    "ESWIFI-UDP-01",
    "a UDP server (P1=1, P2, P5=1) receives datagrams from any peer, each R0 one datagram; "
    "P? shows each one's sender (UNCONFIRMED)",
    verifies=(
        "ESWIFI-TRANSPORT-UDP-SERVER",
        "ESWIFI-TRANSPORT-P1",
    ),
)
@pytest.mark.parametrize("socket_number", [pytest.param(0, id="P0=0"), pytest.param(2, id="P0=2")])
def test_udp_server(eswifi: ESWiFiSession, peer: Peer, socket_number: int) -> None:
    udp_server(eswifi, UDP_PORT, socket_number, requirement=eswifi.requirement)
    senders = [peer.udp_socket(), peer.udp_socket()]
    shown_all = True
    for n, sender in enumerate(senders + senders[:1], start=1):
        data = f"datagram {n} from {sender.label}".encode("ascii")
        sender.send_to(data, UDP_PORT)
        expect_read(eswifi, data, f"R0 on the UDP server returns datagram {n} whole, from any peer")
        reply = eswifi.ok("P?", requirement="P? on a UDP server is answered with OK")
        shown = fields(reply)
        want = [sender.local[0], str(sender.local[1])]
        if shown[:1] != [str(UDP)]:
            eswifi.fail("P? on a UDP socket shows protocol 1 (field 1)", ["1"], [repr(reply.data)], ["protocol field"])
        shown_all = shown_all and shown[3:5] == want
    silent_choice(eswifi, "ESWIFI-SILENT-UDP-SENDER", "p-query" if shown_all else "not-shown")
    eswifi.ok("P5", 0, requirement="P5=0 stops the UDP server, answered with OK")


@case(
    "ESWIFI-UDP-02",
    "a UDP client (P1=1, P3, P4, P6=1) sends each S3 to P3:P4 as one datagram and R0 returns the peer's answer",
    verifies=(
        "ESWIFI-TRANSPORT-P6",
        "ESWIFI-TRANSPORT-P3-P4",
        "ESWIFI-TRANSPORT-P1",
    ),
)
@pytest.mark.parametrize("socket_number", [pytest.param(0, id="P0=0"), pytest.param(3, id="P0=3")])
def test_udp_client(eswifi: ESWiFiSession, peer: Peer, socket_number: int) -> None:
    udp, module = client_pair(eswifi, peer, socket_number)
    payload = pattern(300, 0x00)
    udp.send_to(payload, module[1], module[0])
    expect_read(eswifi, payload, "R0 on a UDP client returns the peer's datagram, any byte values")
    eswifi.ok("P6", 0, requirement="P6=0 stops the UDP client, answered with OK")


@case(
    "ESWIFI-UDP-03",
    "datagram boundaries are kept both ways: each S3 is one datagram at the peer, each R0 returns one datagram",
    verifies=(
        "ESWIFI-TRANSPORT-R0",
        "ESWIFI-TRANSPORT-S3",
    ),
)
def test_boundaries(eswifi: ESWiFiSession, peer: Peer) -> None:
    udp, module = client_pair(eswifi, peer)
    for size in (5, 7, 1):
        payload = pattern(size, size)
        send_datagram(eswifi, payload, "S3 on a UDP client is answered with its count")
        receive_datagram(eswifi, udp, payload, f"the peer receives S3's {size} bytes as one datagram")
    sent = [pattern(size, 0x40 + size) for size in (3, 1, 9, 2)]
    for datagram in sent:
        udp.send_to(datagram, module[1], module[0])
    # Round trips through the module after the datagrams went out (one more than there are datagrams,
    # for a module that takes in one datagram per turn): all of them wait there before the first R0,
    # so an R0 that returned more than one would show it.
    for _ in range(len(sent) + 1):
        eswifi.ok("P0", data=b"0", requirement="a bare P0 is answered with the selected socket (0)")
    for n, datagram in enumerate(sent, start=1):
        expect_read(eswifi, datagram, f"R0 returns datagram {n} alone and whole ({len(datagram)} bytes)")


@case(
    "ESWIFI-UDP-04",
    "the largest datagram: S3 of 1460 bytes is one datagram at the peer; a datagram of the largest R1 comes back "
    "whole in one R0",
    verifies=(
        "ESWIFI-TRANSPORT-S3",
        "ESWIFI-TRANSPORT-R1",
    ),
)
def test_largest(eswifi: ESWiFiSession, peer: Peer) -> None:
    udp, module = client_pair(eswifi, peer)
    big = pattern(eswifi.max_s3, 0x11)
    send_datagram(eswifi, big, f"S3 of {len(big)} bytes on a UDP client is answered with its count")
    receive_datagram(eswifi, udp, big, f"the peer receives the {len(big)} bytes as one datagram")
    size = largest_read_size(eswifi, "R1 at its largest is answered")
    back = pattern(size, 0x22)
    udp.send_to(back, module[1], module[0])
    expect_read(eswifi, back, f"R0 with R1={size} returns a {size}-byte datagram whole")


@case(
    "ESWIFI-UDP-05",
    "a datagram longer than R1: R0 returns its first R1 bytes; the rest is dropped or read next (UNCONFIRMED), "
    "and the next datagram follows whole",
    verifies=("ESWIFI-TRANSPORT-R1",),
)
def test_longer_than_r1(eswifi: ESWiFiSession, peer: Peer) -> None:
    udp, module = client_pair(eswifi, peer)
    eswifi.change("R1", 100, requirement="R1=100 is answered with OK")
    long, after = pattern(250, 0x30), b"the next datagram"
    udp.send_to(long, module[1], module[0])
    udp.send_to(after, module[1], module[0])
    expect_read(eswifi, long[:100], "R0 returns the first R1=100 bytes of a 250-byte datagram")
    requirement = "after a datagram longer than R1, R0 returns its rest (split) or the next datagram (truncated)"
    got = read_datagram(eswifi, requirement)
    if got == after:
        silent_choice(eswifi, "ESWIFI-SILENT-UDP-OVERSIZE", "truncated")
        return
    rest = bytearray(got)
    while len(rest) < len(long) - 100 and rest == long[100 : 100 + len(rest)]:
        rest += read_datagram(eswifi, requirement)
    if bytes(rest) != long[100:]:
        eswifi.fail(
            requirement,
            [show_bytes(after), f"the remaining 150 bytes: {show_bytes(long[100:])}"],
            [show_bytes(bytes(rest))],
            ["neither the next datagram nor the rest of the long one"],
        )
    silent_choice(eswifi, "ESWIFI-SILENT-UDP-OVERSIZE", "split", "the rest of a long datagram came with the next R0")
    expect_read(eswifi, after, "after the rest of the long datagram, R0 returns the next datagram whole")
