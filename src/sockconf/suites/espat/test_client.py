"""ESPAT-CLI: TCP connections the module opens (AT+CIPSTART, AT+CIPSTARTEX): in multiple and single connection
mode, refused, on a link ID in use or out of range, with an omitted parameter, with a timeout."""

from __future__ import annotations

import time

import pytest

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, describe_event
from sockconf.harness.peer import Peer
from sockconf.protocol.espat import LinkReport, Raw
from sockconf.suites.espat.exchange import (
    black_hole,
    cipstate,
    connect,
    expect_connect_before,
    receive,
    send,
)


@case(
    "ESPAT-CLI-01",
    'AT+CIPSTART=<link ID>,"TCP","<ip>",<port> connects: <link ID>,CONNECT then OK; data go both ways; '
    "AT+CIPSTATE? shows the link as the module's client (<tetype> 0) with its remote and local ports",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSTART-02",
        "ESPAT-DOC-TCPIP-CIPSTART-04",
        "ESPAT-DOC-TCPIP-CIPSTART-05",
        "ESPAT-DOC-TCPIP-CIPSTART-06",
        "ESPAT-DOC-TCPIP-CIPSTART-07",
        "ESPAT-DOC-TCPIP-CIPSTATE-01",
        "ESPAT-DOC-TCPIP-CIPSTATE-03",
        "ESPAT-DOC-TCPIP-CIPSTATE-04",
    ),
)
@pytest.mark.parametrize("link", [0, 4], ids=["link-0", "link-4"])
def test_connect(espat: EspAtSession, peer: Peer, link: int) -> None:
    out = connect(espat, peer, link, requirement=espat.requirement)
    send(espat, link, b"from module", out.client)
    out.client.send(b"from peer")
    receive(espat, link, b"from peer", "the peer's data arrive as +IPD,<link ID>,...")
    state = next((s for s in cipstate(espat) if s.link == link), None)
    host, port = out.client.local
    want = (link, "TCP", host, port, out.client.remote[1], 0)
    if state is None or tuple(state) != want:
        espat.fail(
            espat.requirement,
            [f'+CIPSTATE:{link},"TCP","{host}",{port},{out.client.remote[1]},0'],
            [str(state)],
            ["the link is not shown as the module's client to the peer"],
        )


@case(
    "ESPAT-CLI-02",
    'in single connection mode AT+CIPSTART="TCP","<ip>",<port> is answered CONNECT then OK; AT+CIPSEND=<length> '
    "sends; AT+CIPCLOSE is answered CLOSED then OK",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSTART-01",
        "ESPAT-DOC-TCPIP-CIPSTART-03",
        "ESPAT-DOC-TCPIP-CIPSTART-11",
        "ESPAT-DOC-EX-CLI-01",
        "ESPAT-DOC-TCPIP-CIPCLOSE-03",
        "ESPAT-DOC-MSG-CONNECT",
        "ESPAT-DOC-MSG-CLOSED",
    ),
)
def test_single_connection(espat: EspAtSession, peer: Peer) -> None:
    espat.set_mux(0)
    out = connect(espat, peer, None, requirement=espat.requirement)
    send(espat, None, b"test", out.client, "AT+CIPSEND=4 sends in single connection mode")
    response = espat.ok("+CIPCLOSE", requirement="AT+CIPCLOSE is answered CLOSED then OK")
    closed = espat.take_report(lambda e: isinstance(e, LinkReport) and e.link is None and e.state == "CLOSED")
    if closed is None or response.final is None or not espat.came_before(closed, response.final):
        espat.fail("AT+CIPCLOSE answers CLOSED, then OK", ["CLOSED", "OK"], response.shown(), ["no CLOSED before OK"])


@case(
    "ESPAT-CLI-03",
    "AT+CIPSTART to a port where nothing listens ends with ERROR; the link ID stays free",
    verifies=("ESPAT-DOC-MSG-RESP-ERROR",),
)
def test_refused(espat: EspAtSession, peer: Peer) -> None:
    port = peer.unused_port()
    response = espat.at("+CIPSTART", 1, "TCP", peer.address, port, within=espat.deadlines[1])
    espat.expect_final(response, ("ERROR",), espat.requirement)
    texts = [describe_event(e) for e in response.lines]
    report = espat.take_report(lambda e: isinstance(e, LinkReport) and e.link == 1 and e.state != "CONNECT")
    connected = espat.take_report(lambda e: isinstance(e, LinkReport) and e.state == "CONNECT")
    if connected is not None or texts:
        espat.fail(espat.requirement, ["ERROR (maybe after 1,CLOSED or 1,CONNECT FAIL)"],
                   [*response.shown(), describe_event(connected) if connected else ""], ["other lines"])  # fmt: skip
    state = report.state if isinstance(report, LinkReport) else ""
    choice = {"": "error", "CLOSED": "closed-error"}.get(state, "connect-fail")
    espat.on_observed("ESPAT-SILENT-CIPSTART-REFUSED", choice, f"a refused AT+CIPSTART: {response.shown()}")
    if cipstate(espat):
        espat.fail(espat.requirement, ["no link open"], ["a link is shown"], ["the refused link was kept"])


@case(
    "ESPAT-CLI-04",
    "AT+CIPSTART on a link ID in use ends with ERROR and leaves that link working",
    verifies=("ESPAT-DOC-MSG-RESP-ERROR",),
)
def test_link_in_use(espat: EspAtSession, peer: Peer) -> None:
    out = connect(espat, peer, 2)
    server = peer.tcp_server()
    response = espat.at("+CIPSTART", 2, "TCP", server.address, server.port, within=espat.deadlines[1])
    espat.expect_final(response, ("ERROR",), espat.requirement)
    texts = response.texts()
    known = {
        "ALREADY CONNECTED": "already-connected",
        "ALREADY CONNECTTED": "typo",
        "ALREADY CONNECT": "already-connect",
    }
    if texts and (len(texts) > 1 or texts[0] not in known):
        espat.fail(espat.requirement, ["ALREADY CONNECTED, then ERROR", "ERROR"], response.shown(), ["other lines"])
    espat.on_observed("ESPAT-SILENT-CIPSTART-LINK-IN-USE", known[texts[0]] if texts else "error", " / ".join(texts))
    send(espat, 2, b"still mine", out.client, "the link in use keeps working")


@case(
    "ESPAT-CLI-05",
    "AT+CIPSTART takes link IDs 0-4: link ID 5 is refused and no connection is made",
    verifies=("ESPAT-DOC-TCPIP-CIPSTART-06",),
)
def test_link_id_range(espat: EspAtSession, peer: Peer) -> None:
    server = peer.tcp_server()
    espat.error("+CIPSTART", 5, "TCP", server.address, server.port, requirement="AT+CIPSTART=5,... is answered ERROR")
    server.sock.settimeout(espat.deadlines[2])
    try:
        conn, _ = server.sock.accept()
    except TimeoutError:
        return
    conn.close()
    espat.fail(espat.requirement, ["no connection for link ID 5"], ["the module connected"], ["link 5 was used"])


@case(
    "ESPAT-CLI-06",
    "AT+CIPSTARTEX (no link ID) connects on a free link ID of the module's choice: <id>,CONNECT then OK",
    verifies=("ESPAT-DOC-TCPIP-CIPSTARTEX-01",),
)
def test_startex(espat: EspAtSession, peer: Peer) -> None:
    connect(espat, peer, 0)
    server = peer.tcp_server()
    response = espat.at("+CIPSTARTEX", "TCP", server.address, server.port, within=espat.deadlines[1])
    espat.expect_final(response, ("OK",), espat.requirement)
    event = espat.take_report(lambda e: isinstance(e, LinkReport) and e.state == "CONNECT")
    if not isinstance(event, LinkReport) or event.link is None or not 1 <= event.link <= 4:
        espat.fail(espat.requirement, ["<id>,CONNECT with a free ID (1-4: 0 is in use)"], response.shown(), ["none"])
    assert isinstance(event, LinkReport) and event.link is not None
    if not espat.came_before(event, response.final):
        espat.fail(espat.requirement, ["<id>,CONNECT, then OK"], response.shown(), ["CONNECT after OK"])
    espat.on_observed(
        "ESPAT-SILENT-STARTEX-ID", "lowest-free" if event.link == 1 else "other-free", f"link {event.link} (0 in use)"
    )
    client = server.accept(espat.deadlines[1], espat.requirement)
    send(espat, event.link, b"auto", client, "the link AT+CIPSTARTEX reported carries data")


@case(
    "ESPAT-CLI-07",
    'an omitted parameter followed by another keeps its comma: AT+CIPSTART=<id>,"TCP","<ip>",<port>,,"<local IP>" '
    "(keep-alive omitted, the station's own address given) connects",
    verifies=("ESPAT-DOC-IDX-SYNTAX-02", "ESPAT-DOC-TCPIP-CIPSTART-02"),
)
def test_omitted_parameter(espat: EspAtSession, peer: Peer) -> None:
    local = espat.station_address()
    if local is None:
        espat.fail(espat.requirement, ['+CIPSTA:ip:"<ip>"'], ["no address"], ["AT+CIPSTA? shows no address"])
    server = peer.tcp_server()
    response = espat.at("+CIPSTART", 1, "TCP", server.address, server.port, Raw(""), local, within=espat.deadlines[1])
    espat.expect_final(response, ("OK",), espat.requirement)
    expect_connect_before(espat, response, 1, espat.requirement)
    client = server.accept(espat.deadlines[1], espat.requirement)
    send(espat, 1, b"bound", client, "the link carries data")


@case(
    "ESPAT-CLI-08",
    "AT+CIPSTART's <timeout> bounds the command: a connection that gets no answer ends with ERROR within it",
    verifies=("ESPAT-DOC-TCPIP-CIPSTART-09",),
)
def test_connect_timeout(espat: EspAtSession, peer: Peer) -> None:
    if not espat.has("cipstart-timeout"):
        pytest.skip("NOT APPLICABLE: the profile's firmware has no <timeout> parameter of AT+CIPSTART (v4.x)")
    with black_hole(peer) as (host, port, _):
        started = time.monotonic()
        response = espat.at("+CIPSTART", 0, "TCP", host, port, Raw(""), Raw(""), 500, within=espat.deadlines[1])
        took = time.monotonic() - started
    espat.expect_final(response, ("ERROR",), espat.requirement)
    if took > 0.5 + espat.deadlines[0]:
        espat.fail(espat.requirement, ["ERROR about 0.5 s after the command"], [f"after {took:.2f} s"], ["too late"])
