"""ESPAT-CLOSE: closing links (AT+CIPCLOSE): <link ID>,CLOSED then OK, link 5 for all of them, a link that is
not open, and a peer that closes first."""

from __future__ import annotations

import pytest

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, describe_event
from sockconf.harness.peer import Peer, TcpClient
from sockconf.protocol.espat import LinkReport
from sockconf.suites.espat.exchange import accept, cipstate, connect, expect_closed, open_server
from sockconf.suites.espat.test_servers import close_all_choice, wait_closed_reports

SIDES = [pytest.param("server", id="server-client"), pytest.param("client", id="client-link")]


def open_link(espat: EspAtSession, peer: Peer, side: str) -> tuple[int, TcpClient]:
    """A link the module's server accepted, or one the module opened (link 3)."""
    if side == "server":
        open_server(espat)
        return accept(espat, peer)
    out = connect(espat, peer, 3)
    return 3, out.client


@case(
    "ESPAT-CLOSE-01",
    "AT+CIPCLOSE=<link ID> closes the connection: <link ID>,CLOSED then OK; the link is gone from AT+CIPSTATE?",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPCLOSE-01",
        "ESPAT-DOC-TCPIP-CIPCLOSE-02",
        "ESPAT-DOC-EX-SRV-05",
        "ESPAT-DOC-MSG-CLOSED",
    ),
)
@pytest.mark.parametrize("side", SIDES)
def test_close(espat: EspAtSession, peer: Peer, side: str) -> None:
    link, client = open_link(espat, peer, side)
    response = espat.ok("+CIPCLOSE", link, requirement=espat.requirement)
    closed = espat.take_report(lambda e: isinstance(e, LinkReport) and e.link == link and e.state == "CLOSED")
    if closed is None or response.final is None or not espat.came_before(closed, response.final):
        espat.fail(
            espat.requirement,
            [f"{link},CLOSED, then OK"],
            [*response.shown(), *(describe_event(e) for e in espat.inbox)],
            [f"no {link},CLOSED before the OK"],
        )
    expect_closed(espat, client, "AT+CIPCLOSE closes the TCP connection")
    if any(s.link == link for s in cipstate(espat)):
        espat.fail(espat.requirement, [f"no +CIPSTATE:{link},..."], ["the link is still shown"], ["not closed"])


@case(
    "ESPAT-CLOSE-02",
    "AT+CIPCLOSE=5 closes every link, the server's clients and the module's own",
    verifies=("ESPAT-DOC-TCPIP-CIPCLOSE-04",),
)
def test_close_all(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    served = [accept(espat, peer) for _ in range(2)]
    free = next(i for i in range(5) if i not in {link for link, _ in served})
    own = connect(espat, peer, free)
    links = [link for link, _ in served] + [free]
    response = espat.ok("+CIPCLOSE", 5, requirement="AT+CIPCLOSE=5 is answered with OK")
    for client in [c for _, c in served] + [own.client]:
        expect_closed(espat, client, "AT+CIPCLOSE=5 closes every connection")
    wait_closed_reports(espat, links)
    choice = close_all_choice(espat, links, response.final)
    espat.on_observed("ESPAT-SILENT-CLOSE-ALL-REPORT", choice, "AT+CIPCLOSE=5 with three links")
    left = cipstate(espat)
    if left:
        espat.fail(espat.requirement, ["no +CIPSTATE line"], [str(s) for s in left], ["links left open"])


@case(
    "ESPAT-CLOSE-03",
    "AT+CIPCLOSE on a link that is not open ends with OK or ERROR and disturbs no other link",
    verifies=("ESPAT-DOC-MSG-RESP-01",),
)
def test_close_unconnected(espat: EspAtSession, peer: Peer) -> None:
    out = connect(espat, peer, 0)
    response = espat.at("+CIPCLOSE", 2, requirement="AT+CIPCLOSE=2 (not open) is answered")
    espat.expect_final(response, ("OK", "ERROR"), "a command's last message is OK or ERROR")
    texts = response.texts()
    if response.word == "OK":
        choice = "ok"
    elif texts in ([], ["link is not valid"], ["UNLINK"]):
        choice = {"link is not valid": "link-invalid", "UNLINK": "unlink"}.get(texts[0] if texts else "", "error")
    else:
        espat.fail(espat.requirement, ["ERROR", "link is not valid / UNLINK, then ERROR", "OK"], response.shown(),
                   ["other lines"])  # fmt: skip
    espat.on_observed("ESPAT-SILENT-CIPCLOSE-UNCONNECTED", choice, f"AT+CIPCLOSE on a closed link: {response.shown()}")
    states = cipstate(espat)
    if [s.link for s in states] != [0]:
        espat.fail(espat.requirement, ["link 0 still open, alone"], [str(s) for s in states], ["other links changed"])
    del out


@case(
    "ESPAT-CLOSE-04",
    "a connection the peer closes is reported <link ID>,CLOSED; the link is gone and a send on it is refused",
    verifies=("ESPAT-DOC-MSG-CLOSED", "ESPAT-DOC-TCPIP-CIPSEND-06"),
)
@pytest.mark.parametrize("side", SIDES)
def test_peer_closes(espat: EspAtSession, peer: Peer, side: str) -> None:
    link, client = open_link(espat, peer, side)
    client.close()
    espat.link_report(link, "CLOSED", espat.requirement)
    if any(s.link == link for s in cipstate(espat)):
        espat.fail(espat.requirement, [f"no +CIPSTATE:{link},..."], ["the link is still shown"], ["not closed"])
    espat.error("+CIPSEND", link, 4, requirement="AT+CIPSEND on a closed link is answered ERROR")
