"""ESPAT-UDP: UDP transmission (AT+CIPSTART "UDP"): the module's local port, where it sends (<mode> 0, 1, 2,
or the host and port AT+CIPSEND names), datagrams as +IPD."""

from __future__ import annotations

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession
from sockconf.harness.peer import Peer, UdpPeer
from sockconf.protocol.espat import LinkReport
from sockconf.suites.espat.exchange import UDP_PORT, cipstate, receive, udp_link

LINK = 4  # the examples' UDP link


def send_to(espat: EspAtSession, udp: UdpPeer, link: int, payload: bytes, where: str) -> tuple[bytes, tuple[str, int]]:
    """AT+CIPSEND=<link>,<len> on the UDP link; the datagram as ``udp`` receives it, and its source."""
    response, sent = espat.send_data(link, payload, requirement=f"AT+CIPSEND on the UDP link sends to {where}")
    if sent is None:
        espat.fail(espat.requirement, ["OK, then >"], response.shown(), ["refused"])
    assert sent is not None
    espat.expect_final(sent, ("SEND OK",), espat.requirement)
    return udp.recv_from(espat.deadlines[1], f"the datagram reaches {where}")


def expect_datagram(
    espat: EspAtSession, got: tuple[bytes, tuple[str, int]], payload: bytes, port: int, where: str
) -> None:
    data, source = got
    if data != payload or source[1] != port:
        espat.fail(
            f"the UDP link sends to {where}, from its local port",
            [f"{payload!r} from port {port}"],
            [f"{data!r} from {source[0]}:{source[1]}"],
            ["another datagram or source port"],
        )


@case(
    "ESPAT-UDP-01",
    'AT+CIPSTART=<link ID>,"UDP","<ip>",<port>,<local port>,0 is answered <link ID>,CONNECT and OK; datagrams to '
    "the local port arrive as +IPD; AT+CIPSEND sends to the remote host; AT+CIPCLOSE is answered <link ID>,CLOSED",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSTART-UDP-01",
        "ESPAT-DOC-TCPIP-CIPSTART-UDP-02",
        "ESPAT-DOC-TCPIP-CIPSTART-UDP-03",
        "ESPAT-DOC-EX-UDP-01",
        "ESPAT-DOC-EX-UDP-02",
        "ESPAT-DOC-EX-UDP-04",
        "ESPAT-DOC-EX-UDP-05",
        "ESPAT-DOC-TCPIP-CIPSTATE-03",
    ),
)
def test_fixed_remote(espat: EspAtSession, peer: Peer) -> None:
    udp, _ = udp_link(espat, peer, LINK, UDP_PORT, 0)
    other = peer.udp_socket()
    udp.send_to(b"test", UDP_PORT)
    receive(espat, LINK, b"test", "a datagram to the local port arrives as +IPD,4,4:test")
    other.send_to(b"else", UDP_PORT)
    receive(espat, LINK, b"else", "a datagram from another sender arrives too")
    expect_datagram(espat, send_to(espat, udp, LINK, b"back", "the remote host"), b"back", UDP_PORT, "its remote host")
    states = [s for s in cipstate(espat) if s.link == LINK]
    want = (LINK, "UDP", udp.local[0], udp.local[1], UDP_PORT, 0)
    if [tuple(s) for s in states] != [want]:
        espat.fail(espat.requirement, [f'+CIPSTATE:{LINK},"UDP","{udp.local[0]}",{udp.local[1]},{UDP_PORT},0'],
                   [str(s) for s in states], ["not the UDP link"])  # fmt: skip
    response = espat.ok("+CIPCLOSE", LINK, requirement="AT+CIPCLOSE=<link ID> closes the UDP link")
    closed = espat.take_report(lambda e: isinstance(e, LinkReport) and e.link == LINK and e.state == "CLOSED")
    if closed is None or response.final is None or not espat.came_before(closed, response.final):
        espat.fail(espat.requirement, [f"{LINK},CLOSED, then OK"], response.shown(), ["no CLOSED before OK"])


@case(
    "ESPAT-UDP-02",
    "with <mode> 2 the remote host and port follow every sender: AT+CIPSEND answers the last one",
    verifies=("ESPAT-DOC-TCPIP-CIPSTART-UDP-05", "ESPAT-DOC-EX-UDP-06", "ESPAT-DOC-TCPIP-CIPSTART-UDP-07"),
)
def test_remote_follows_sender(espat: EspAtSession, peer: Peer) -> None:
    first, _ = udp_link(espat, peer, LINK, UDP_PORT, 2)
    second = peer.udp_socket()
    for sender in (second, first):
        sender.send_to(b"hi", UDP_PORT)
        receive(espat, LINK, b"hi", "the datagram arrives as +IPD")
        got = send_to(espat, sender, LINK, b"you", "the last sender")
        expect_datagram(espat, got, b"you", UDP_PORT, "the last sender")


@case(
    "ESPAT-UDP-03",
    "with <mode> 1 the remote changes once, to the first sender other than the one set; later senders change nothing",
    verifies=("ESPAT-DOC-TCPIP-CIPSTART-UDP-04",),
)
def test_remote_changes_once(espat: EspAtSession, peer: Peer) -> None:
    initial, _ = udp_link(espat, peer, LINK, UDP_PORT, 1)
    second, third = peer.udp_socket(), peer.udp_socket()
    second.send_to(b"2nd", UDP_PORT)
    receive(espat, LINK, b"2nd", "the datagram arrives as +IPD")
    expect_datagram(espat, send_to(espat, second, LINK, b"a", "the first other sender"), b"a", UDP_PORT, "it")
    third.send_to(b"3rd", UDP_PORT)
    receive(espat, LINK, b"3rd", "the datagram arrives as +IPD")
    expect_datagram(espat, send_to(espat, second, LINK, b"b", "still the first other sender"), b"b", UDP_PORT, "it")
    del initial


@case(
    "ESPAT-UDP-04",
    'AT+CIPSEND=<link ID>,<length>,"<host>",<port> sends one datagram to that host and port; the link\'s own '
    "remote stays for the next send",
    verifies=("ESPAT-DOC-TCPIP-CIPSEND-03", "ESPAT-DOC-EX-UDP-07"),
)
def test_send_elsewhere(espat: EspAtSession, peer: Peer) -> None:
    udp, _ = udp_link(espat, peer, LINK, UDP_PORT, 0)
    elsewhere = peer.udp_socket()
    host, port = elsewhere.local
    response, sent = espat.send_data(LINK, b"there", to=(host, port), requirement=espat.requirement)
    if sent is None:
        espat.fail(espat.requirement, ["OK, then >"], response.shown(), ["refused"])
    assert sent is not None
    espat.expect_final(sent, ("SEND OK",), espat.requirement)
    expect_datagram(
        espat, elsewhere.recv_from(espat.deadlines[1], espat.requirement), b"there", UDP_PORT, "the host named"
    )
    expect_datagram(espat, send_to(espat, udp, LINK, b"home", "the link's remote"), b"home", UDP_PORT, "its remote")


@case(
    "ESPAT-UDP-05",
    "without <local port> the link takes a port of its own: AT+CIPSTATE? shows it and datagrams to it arrive",
    verifies=("ESPAT-DOC-EX-UDP-03",),
)
def test_random_local_port(espat: EspAtSession, peer: Peer) -> None:
    udp, _ = udp_link(espat, peer, LINK, local_port=None)
    states = [s for s in cipstate(espat) if s.link == LINK]
    if len(states) != 1 or not 0 < states[0].local_port <= 0xFFFF:
        espat.fail(espat.requirement, [f'+CIPSTATE:{LINK},"UDP",...,<local port>,0'], [str(s) for s in states],
                   ["no local port shown"])  # fmt: skip
    udp.send_to(b"found you", states[0].local_port)
    receive(espat, LINK, b"found you", "a datagram to the port shown arrives as +IPD")
