"""ESPAT-DATA: receiving in active mode (the default): +IPD in its four forms (AT+CIPMUX, AT+CIPDINFO),
binary data by length, at most 2920 bytes per +IPD, each link's data under its own link ID."""

from __future__ import annotations

import pytest

from sockconf.data.vectors.espat import ESPAT_CLIENT_IPD, ESPAT_PEER_DATA, ESPAT_SERVER_IPD
from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, describe_event
from sockconf.harness.peer import Peer
from sockconf.protocol.espat import Ipd
from sockconf.suites.espat.exchange import accept, connect, info_value, open_server, pattern, receive

# Data that look like the protocol itself: an +IPD header, a final result, the prompt, CR and LF.
LOOKALIKE = b"\r\n+IPD,0,4:test\r\nOK\r\n>\r\n0,CLOSED\r\n" + pattern(256)


def _wire(espat: EspAtSession, event: Ipd) -> bytes:
    """The bytes an +IPD came as, without the blank lines in front of it."""
    return event.raw.lstrip(b"\r\n")


@case(
    "ESPAT-DATA-01",
    "a client's data arrive as +IPD,<link ID>,<len>:<data> (the documents' '+IPD,0,4:test'), any bytes by their count",
    verifies=("ESPAT-DOC-MSG-IPD", "ESPAT-DOC-MSG-IPD-04", "ESPAT-DOC-EX-SRV-04"),
)
def test_ipd(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    link, client = accept(espat, peer)
    client.send(ESPAT_PEER_DATA)
    (event,) = receive(espat, link, ESPAT_PEER_DATA, "the peer's 4 bytes arrive as one +IPD,<id>,4:test")
    expected = ESPAT_SERVER_IPD.replace(b",0,", f",{link},".encode())
    if _wire(espat, event) != expected:
        espat.fail(
            espat.requirement, [repr(expected)], [describe_event(event)], ["other bytes than the documented form"]
        )
    before = event.raw.startswith(b"\r\n")
    # What follows the data: the next answer's blank lines tell whether a CR-LF ended the +IPD.
    after = espat.ok(requirement="AT is answered with OK after the +IPD")
    assert after.final is not None
    trailing = after.final.raw.startswith(b"\r\n\r\n")
    choice = {(True, False): "crlf-before", (False, True): "crlf-after", (True, True): "both"}.get(
        (before, trailing), "none"
    )
    espat.on_observed("ESPAT-SILENT-IPD-FRAMING", choice, f"+IPD as {event.raw!r}")
    client.send(LOOKALIKE)
    receive(espat, link, LOOKALIKE, "data that look like replies arrive whole, read by their count")


@case(
    "ESPAT-DATA-02",
    "a 6000-byte burst arrives in several +IPD, none with more than 2920 bytes, whole and in order",
    verifies=("ESPAT-DOC-TCPIP-RECVTYPE-06",),
)
def test_large_burst(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    link, client = accept(espat, peer)
    burst = pattern(6000, start=7)
    client.send(burst)
    receive(espat, link, burst, espat.requirement, limit=2920)


@case(
    "ESPAT-DATA-03",
    'AT+CIPDINFO=1 makes +IPD show the sender: +IPD,<id>,<len>,"<remote ip>",<remote port>:<data>; '
    "AT+CIPDINFO? shows true / false; AT+CIPDINFO=0 drops the address again",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPDINFO-01",
        "ESPAT-DOC-TCPIP-CIPDINFO-02",
        "ESPAT-DOC-TCPIP-CIPDINFO-03",
        "ESPAT-DOC-TCPIP-CIPDINFO-04",
        "ESPAT-DOC-MSG-IPD-06",
    ),
)
def test_sender_shown(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    link, client = accept(espat, peer)
    for setting, shown, data in ((1, "true", b"with"), (0, "false", b"without")):
        espat.change("+CIPDINFO", setting, restore=(0,), requirement=f"AT+CIPDINFO={setting} is answered with OK")
        value = info_value(espat, "CIPDINFO", "AT+CIPDINFO? is answered +CIPDINFO:true/false and OK")
        if value != shown:
            espat.fail(espat.requirement, [f"+CIPDINFO:{shown}"], [f"+CIPDINFO:{value}"], ["not the mode set"])
        client.send(data)
        (event,) = receive(espat, link, data, f"with AT+CIPDINFO={setting} the data arrive in one +IPD")
        want = (client.local[0], client.local[1]) if setting else None
        if event.remote != want:
            espat.fail(
                espat.requirement,
                [
                    f'+IPD,{link},{len(data)},"{client.local[0]}",{client.local[1]}:...'
                    if setting
                    else f"+IPD,{link},...:"
                ],
                [describe_event(event)],
                [f"remote: expected {want}, got {event.remote}"],
            )


@case(
    "ESPAT-DATA-04",
    "the data of two clients arrive each under its own link ID, in the order each sent them",
    verifies=("ESPAT-DOC-MSG-IPD-04", "ESPAT-DOC-TCPIP-CIPSERVER-12"),
)
def test_two_links(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    (a_link, a), (b_link, b) = accept(espat, peer), accept(espat, peer)
    a.send(b"a1")
    b.send(b"b1")
    a.send(b"a2")
    receive(espat, a_link, b"a1a2", "the first client's data arrive under its link ID, in order")
    receive(espat, b_link, b"b1", "the second client's data arrive under its link ID")


@case(
    "ESPAT-DATA-05",
    'in single connection mode data arrive as +IPD,<len>:<data> ("+IPD,4:test"); with AT+CIPDINFO=1 as '
    '+IPD,<len>,"<remote ip>",<remote port>:<data>',
    verifies=("ESPAT-DOC-MSG-IPD-03", "ESPAT-DOC-MSG-IPD-05", "ESPAT-DOC-EX-CLI-05"),
)
@pytest.mark.parametrize("dinfo", [0, 1], ids=["CIPDINFO=0", "CIPDINFO=1"])
def test_single_connection(espat: EspAtSession, peer: Peer, dinfo: int) -> None:
    espat.set_mux(0)
    if dinfo:
        espat.change("+CIPDINFO", 1, restore=(0,), requirement="AT+CIPDINFO=1 is answered with OK")
    out = connect(espat, peer, None)
    out.client.send(ESPAT_PEER_DATA)
    (event,) = receive(espat, None, ESPAT_PEER_DATA, "the data arrive as one +IPD,4:test")
    host, port = out.client.local
    expected = ESPAT_CLIENT_IPD if not dinfo else f'+IPD,4,"{host}",{port}:test'.encode()
    if _wire(espat, event) != expected:
        espat.fail(espat.requirement, [repr(expected)], [describe_event(event)], ["not the single connection form"])
