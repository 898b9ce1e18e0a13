"""ESPAT-SRV: the TCP server (AT+CIPSERVER, AT+CIPSERVERMAXCONN, AT+CIPSTO): creating and deleting it,
the link IDs its clients take, its limits, and the simple and detailed connection reports (AT+SYSMSG)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import time
from collections.abc import Callable

import pytest

from sockconf.data.vectors.espat import ESPAT_DEFAULT_SERVER_PORT
from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, describe_event
from sockconf.harness.peer import Peer, TcpClient
from sockconf.protocol.espat import Event, Info, Line, LinkReport
from sockconf.suites.espat.exchange import (
    LINKS,
    PORT,
    accept,
    cipstate,
    closed_by_dut,
    expect_closed,
    info_value,
    open_server,
    receive,
    still_open,
)


def refused(espat: EspAtSession, peer: Peer, port: int, requirement: str) -> None:
    if peer.try_connect(port):
        espat.fail(requirement, ["connection refused"], ["a connection was accepted"], ["the port still listens"])


def server_query(espat: EspAtSession) -> str | None:
    """AT+CIPSERVER?'s value where the profile's firmware documents the query (None elsewhere)."""
    if not espat.has("cipserver-query"):
        return None
    return info_value(espat, "CIPSERVER", "AT+CIPSERVER? is answered +CIPSERVER:<mode>[,<port>,...] and OK")


def link_ids_choice(ids: list[int]) -> str:
    """ESPAT-SILENT-SERVER-LINK-ID for clients that connected one after another to a module with no link open."""
    if ids == list(range(len(ids))):
        return "lowest-free"
    if ids == list(range(LINKS - 1, LINKS - 1 - len(ids), -1)):
        return "highest-free"
    return "any-free"


@case(
    "ESPAT-SRV-01",
    'AT+CIPSERVER=1,<port>[,"TCP"] creates a TCP server (OK); each client takes its own link ID, reported '
    "<id>,CONNECT; its data arrive as +IPD,<id>,<len>:<data>; AT+CIPSERVER? shows it",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSERVER-01",
        "ESPAT-DOC-TCPIP-CIPSERVER-02",
        "ESPAT-DOC-TCPIP-CIPSERVER-03",
        "ESPAT-DOC-TCPIP-CIPSERVER-09",
        "ESPAT-DOC-TCPIP-CIPSERVER-12",
        "ESPAT-DOC-EX-SRV-01",
        "ESPAT-DOC-MSG-CONNECT",
        "ESPAT-DOC-BASIC-SYSMSG-01",
        "ESPAT-DOC-MSG-IPD-04",
        "ESPAT-DOC-EX-SRV-04",
    ),
)
@pytest.mark.parametrize("kind", [None, "TCP"], ids=["type-omitted", "type-TCP"])
def test_server(espat: EspAtSession, peer: Peer, kind: str | None) -> None:
    if server_query(espat) not in (None, "0"):
        espat.fail(espat.requirement, ["+CIPSERVER:0 with no server"], [str(server_query(espat))], ["a server runs"])
    espat.ok("+CIPSERVERMAXCONN", LINKS, requirement=f"precondition: AT+CIPSERVERMAXCONN={LINKS} is answered OK")
    params: list[object] = [1, PORT] + ([kind] if kind else [])
    espat.ok("+CIPSERVER", *params, requirement='AT+CIPSERVER=1,<port>[,"TCP"] is answered with OK')
    shown = server_query(espat)
    if shown is not None:
        fields = shown.split(",")
        if fields[:3] != ["1", str(PORT), '"TCP"']:
            espat.fail(
                espat.requirement, [f'+CIPSERVER:1,{PORT},"TCP",...'], [f"+CIPSERVER:{shown}"], ["not the server"]
            )
    first, a = accept(espat, peer, requirement="a client of the server is reported <link ID>,CONNECT")
    second, b = accept(espat, peer, requirement="a second client is reported <link ID>,CONNECT")
    if not (0 <= first < LINKS and 0 <= second < LINKS) or first == second:
        espat.fail(espat.requirement, ["two distinct link IDs in 0-4"], [f"{first},CONNECT", f"{second},CONNECT"],
                   ["the clients did not get link IDs of their own"])  # fmt: skip
    espat.on_observed("ESPAT-SILENT-SERVER-LINK-ID", link_ids_choice([first, second]), f"IDs {first}, {second}")
    b.send(b"two")
    receive(espat, second, b"two", "the second client's data arrive as +IPD,<its ID>,3:two")
    a.send(b"test")
    receive(espat, first, b"test", "the first client's data arrive as +IPD,<its ID>,4:test")


def may_listen_on(host: str, port: int) -> bool:
    """Whether a process of this host may listen on ``port`` of ``host`` (a module behind this host's
    loopback is such a process: below 1024 that takes privileges this host may not grant)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except PermissionError:
            return False
        except OSError:
            return True  # in use: the module (or something) listens there; the case will tell which
    return True


@case(
    "ESPAT-SRV-02",
    "AT+CIPSERVER=1 with the port omitted listens on the default port 333",
    verifies=("ESPAT-DOC-TCPIP-CIPSERVER-05", "ESPAT-DOC-EX-SRV-02", "ESPAT-DOC-IDX-SYNTAX-01"),
)
def test_default_port(espat: EspAtSession, peer: Peer) -> None:
    port = ESPAT_DEFAULT_SERVER_PORT
    if (
        ipaddress.IPv4Address(peer.dut_host).is_loopback
        and os.geteuid() != 0
        and not may_listen_on(peer.dut_host, port)
    ):
        pytest.skip(f"NOT APPLICABLE: the DUT is on this host's loopback, where port {port} needs privileges")
    espat.ok("+CIPSERVER", 1, requirement="AT+CIPSERVER=1 (port omitted) is answered with OK")
    shown = server_query(espat)
    if shown is not None and shown.split(",")[:2] != ["1", str(port)]:
        espat.fail(espat.requirement, [f"+CIPSERVER:1,{port},..."], [f"+CIPSERVER:{shown}"], ["not the default port"])
    accept(espat, peer, port, requirement=f"a client connecting to port {port} is reported <id>,CONNECT")


@case(
    "ESPAT-SRV-03",
    "AT+CIPSERVER=0 deletes the server: new connections are refused, existing clients keep working",
    verifies=("ESPAT-DOC-TCPIP-CIPSERVER-04", "ESPAT-DOC-TCPIP-CIPSERVER-06", "ESPAT-DOC-TCPIP-CIPSERVER-07"),
)
def test_delete_keeps_clients(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    link, client = accept(espat, peer)
    espat.ok("+CIPSERVER", 0, requirement="AT+CIPSERVER=0 is answered with OK")
    refused(espat, peer, PORT, "after AT+CIPSERVER=0 the port refuses connections")
    if server_query(espat) not in (None, "0"):
        espat.fail(espat.requirement, ["+CIPSERVER:0"], [str(server_query(espat))], ["the server still shows"])
    espat.no_report(lambda e: isinstance(e, LinkReport) and e.state == "CLOSED", "<id>,CLOSED", 0.0, espat.requirement)
    still_open(espat, client, link, "AT+CIPSERVER=0 keeps the existing connections")


def _closed_report(link: int) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, LinkReport) and e.link == link and e.state == "CLOSED"


def close_all_choice(espat: EspAtSession, links: list[int], final_at: Event | None) -> str:
    """ESPAT-SILENT-CLOSE-ALL-REPORT: where the CLOSED reports of ``links`` came (taken out of the inbox)."""
    reports = [espat.take_report(_closed_report(link)) for link in links]
    if not any(reports):
        return "ok-only"
    if any(r is None for r in reports):
        espat.fail(
            "each closed link is reported <id>,CLOSED",
            [f"{link},CLOSED" for link in links],
            [describe_event(r) for r in reports if r is not None],
            ["some closed links were reported, others not"],
        )
    before = [espat.came_before(r, final_at) for r in reports if r is not None]
    if all(before):
        return "each-before-ok"
    if not any(before):
        return "each-after-ok"
    espat.fail(
        "the CLOSED reports come together, before or after OK",
        ["all before OK", "all after OK"],
        [describe_event(r) for r in reports if r is not None],
        ["some before, some after OK"],
    )
    return ""


def wait_closed_reports(espat: EspAtSession, links: list[int]) -> None:
    """Give reports that follow an OK the quiet window to arrive."""
    deadline = time.monotonic() + espat.deadlines[2]
    while time.monotonic() < deadline:
        got = {e.link for e in espat.inbox if isinstance(e, LinkReport) and e.state == "CLOSED"}
        if set(links) <= got:
            return
        espat.watch(deadline - time.monotonic())


@case(
    "ESPAT-SRV-04",
    "AT+CIPSERVER=0,1 deletes the server and closes every client's connection",
    verifies=("ESPAT-DOC-TCPIP-CIPSERVER-08", "ESPAT-DOC-TCPIP-CIPSERVER-14"),
)
def test_delete_closes_clients(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    clients = [accept(espat, peer) for _ in range(2)]
    response = espat.ok("+CIPSERVER", 0, 1, requirement="AT+CIPSERVER=0,1 is answered with OK")
    for _, client in clients:
        expect_closed(espat, client, "AT+CIPSERVER=0,1 closes every client's connection")
    links = [link for link, _ in clients]
    wait_closed_reports(espat, links)
    choice = close_all_choice(espat, links, response.final)
    espat.on_observed("ESPAT-SILENT-CLOSE-ALL-REPORT", choice, "AT+CIPSERVER=0,1 with two clients")
    refused(espat, peer, PORT, "after AT+CIPSERVER=0,1 the port refuses connections")


@case(
    "ESPAT-SRV-05",
    "under AT+CIPMUX=0 AT+CIPSERVER=1 is refused (ERROR) and nothing listens",
    verifies=("ESPAT-DOC-TCPIP-CIPSERVER-10",),
)
def test_server_needs_multiple_connections(espat: EspAtSession, peer: Peer) -> None:
    espat.set_mux(0)
    espat.error("+CIPSERVER", 1, PORT, requirement="AT+CIPSERVER=1,<port> under AT+CIPMUX=0 is answered ERROR")
    refused(espat, peer, PORT, "a server refused under AT+CIPMUX=0 does not listen")


@case(
    "ESPAT-SRV-06",
    "only one server: AT+CIPSERVER=1 on another port while one runs starts no second server; the first keeps serving",
    verifies=("ESPAT-DOC-TCPIP-CIPSERVER-11",),
)
def test_one_server(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    response = espat.at("+CIPSERVER", 1, PORT + 1, requirement="AT+CIPSERVER=1,<other port> is answered")
    espat.expect_final(response, ("OK", "ERROR"), "AT+CIPSERVER=1,<other port> ends with OK or ERROR")
    if response.word == "OK" and response.texts() != ["no change"]:
        espat.fail(espat.requirement, ["ERROR", "no change, then OK"], response.shown(), ["OK as if a server started"])
    choice = "error" if response.word == "ERROR" else "no-change-ok"
    espat.on_observed("ESPAT-SILENT-SECOND-SERVER", choice, f"AT+CIPSERVER=1,{PORT + 1}: {response.word}")
    refused(espat, peer, PORT + 1, "no second server listens")
    accept(espat, peer, PORT, requirement="the first server still serves")


@case(
    "ESPAT-SRV-07",
    'AT+CIPSERVER=0 with a <"type"> is refused (the type must be omitted when deleting); the server keeps running',
    verifies=("ESPAT-DOC-TCPIP-CIPSERVER-13",),
)
def test_delete_with_type(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    espat.error("+CIPSERVER", 0, 0, "TCP", requirement='AT+CIPSERVER=0,0,"TCP" is answered ERROR')
    accept(espat, peer, PORT, requirement="the server still serves after the refused delete")


def beyond_fate(espat: EspAtSession, peer: Peer, maxconn: int) -> tuple[str, TcpClient | None]:
    """What a client beyond AT+CIPSERVERMAXCONN saw within the quiet window (ESPAT-SILENT-BEYOND-MAXCONN)."""
    try:
        extra = peer.connect(PORT)
    except AssertionError:  # ConformanceFailure: the connection was refused (or not answered)
        return "refused", None
    closed, data = closed_by_dut(extra, espat.deadlines[2])
    if data:
        espat.fail(espat.requirement, ["nothing for a client beyond the limit"], [repr(data)], ["it got data"])
    espat.pump_available()
    connected = [e for e in espat.inbox if isinstance(e, LinkReport) and e.state == "CONNECT"]
    if connected:
        espat.fail(
            "<num>: the maximum number of clients allowed to connect to the TCP/SSL server",
            [f"no {maxconn + 1}th <id>,CONNECT"],
            [describe_event(e) for e in connected],
            ["a client beyond the limit was taken"],
        )
    have = espat.take_report(lambda e: isinstance(e, Line) and e.text.startswith("Have "))
    if have is not None:
        assert isinstance(have, Line)
        if have.text != f"Have {maxconn} Connections":
            espat.fail("Have <xxx> Connections", [f"Have {maxconn} Connections"], [describe_event(have)], ["count"])
        return "closed-with-report", None
    return ("closed", None) if closed else ("pending", extra)


@case(
    "ESPAT-SRV-08",
    "AT+CIPSERVERMAXCONN takes 1-5 (0 and 6 are refused) before the server is created; a server limited to 2 "
    "reports no third client",
    verifies=(
        "ESPAT-DOC-TCPIP-MAXCONN-01",
        "ESPAT-DOC-TCPIP-MAXCONN-02",
        "ESPAT-DOC-TCPIP-MAXCONN-03",
        "ESPAT-DOC-MSG-HAVECONN",
    ),
)
def test_max_connections(espat: EspAtSession, peer: Peer) -> None:
    for bad in (0, 6):
        espat.error("+CIPSERVERMAXCONN", bad, requirement=f"AT+CIPSERVERMAXCONN={bad} (outside 1-5) is answered ERROR")
    for good in (1, 5, 2):
        espat.ok("+CIPSERVERMAXCONN", good, requirement=f"AT+CIPSERVERMAXCONN={good} is answered with OK")
    shown = info_value(espat, "CIPSERVERMAXCONN", "AT+CIPSERVERMAXCONN? is answered +CIPSERVERMAXCONN:<num>")
    if shown != "2":
        espat.fail(espat.requirement, ["+CIPSERVERMAXCONN:2"], [f"+CIPSERVERMAXCONN:{shown}"], ["not the value set"])
    espat.ok("+CIPSERVER", 1, PORT, requirement="AT+CIPSERVER=1,<port> is answered with OK")
    first, _ = accept(espat, peer)
    accept(espat, peer)
    fate, waiting = beyond_fate(espat, peer, 2)
    espat.on_observed("ESPAT-SILENT-BEYOND-MAXCONN", fate, f"a third client with AT+CIPSERVERMAXCONN=2: {fate}")
    if waiting is not None:
        # Left waiting: it may take the place a client leaves (recorded, not required).
        espat.ok("+CIPCLOSE", first, requirement="AT+CIPCLOSE=<id> is answered with OK")
        with contextlib.suppress(AssertionError):
            espat.connected_link(within=espat.deadlines[2])


@case(
    "ESPAT-SRV-09",
    "five clients take the five link IDs 0-4, each once; AT+CIPSTATE? shows each as a server's client "
    "(<tetype> 1) with its address, its port and the server's port",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSERVER-12",
        "ESPAT-DOC-TCPIP-CIPSTART-06",
        "ESPAT-DOC-TCPIP-CIPSTATE-01",
        "ESPAT-DOC-TCPIP-CIPSTATE-05",
    ),
)
def test_five_clients(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat, maxconn=LINKS)
    clients = dict(accept(espat, peer) for _ in range(LINKS))
    ids = sorted(clients)
    if ids != list(range(LINKS)):
        espat.fail(espat.requirement, ["link IDs 0, 1, 2, 3, 4"], [f"link IDs {ids}"], ["not each ID once"])
    order = [e for e in clients]
    espat.on_observed("ESPAT-SILENT-SERVER-LINK-ID", link_ids_choice(order), f"IDs in arrival order {order}")
    states = {s.link: s for s in cipstate(espat)}
    for link, client in clients.items():
        state = states.get(link)
        want = (link, "TCP", client.local[0], client.local[1], PORT, 1)
        if state is None or tuple(state) != want:
            espat.fail(
                espat.requirement,
                [f'+CIPSTATE:{link},"TCP","{client.local[0]}",{client.local[1]},{PORT},1'],
                [str(state) if state else "no line"],
                [f"link {link} is not shown as the server's client from {client.local[0]}:{client.local[1]}"],
            )


@case(
    "ESPAT-SRV-10",
    "AT+CIPSTO takes 0-7200 s (7201 is refused); with AT+CIPSTO=1 a client silent for a second is closed "
    "(<id>,CLOSED) while one whose data keep coming stays",
    verifies=(
        "ESPAT-DOC-TCPIP-CIPSTO-01",
        "ESPAT-DOC-TCPIP-CIPSTO-02",
        "ESPAT-DOC-TCPIP-CIPSTO-03",
        "ESPAT-DOC-TCPIP-CIPSTO-05",
    ),
)
def test_server_timeout(espat: EspAtSession, peer: Peer) -> None:
    before = info_value(espat, "CIPSTO", "AT+CIPSTO? is answered +CIPSTO:<time> and OK")
    restore = int(before) if before.isdigit() else 0
    espat.error("+CIPSTO", 7201, requirement="AT+CIPSTO=7201 (outside 0-7200) is answered ERROR")
    for value in (0, 7200):
        espat.change("+CIPSTO", value, restore=(restore,), requirement=f"AT+CIPSTO={value} is answered with OK")
    open_server(espat)
    espat.ok("+CIPSTO", 1, requirement="AT+CIPSTO=1 is answered with OK")
    quiet_link, quiet = accept(espat, peer)
    busy_link, busy = accept(espat, peer)
    started = time.monotonic()
    limit = 1.0 + espat.deadlines[1]  # the timer's own resolution is not documented: "about" a second
    closed = False
    while time.monotonic() - started < limit and not closed:
        busy.send(b".")  # client-initiated traffic: restarts the busy client's timer
        receive(espat, busy_link, b".", "the busy client's data arrive")
        closed, _ = closed_by_dut(quiet, 0.2)
    if not closed:
        espat.fail(espat.requirement, ["the silent client closed after about 1 s"], ["still open"],
                   [f"not closed within {limit:g} s"])  # fmt: skip
    espat.link_report(quiet_link, "CLOSED", "the closed client is reported <id>,CLOSED")
    gone, _ = closed_by_dut(busy, 0.0)
    if gone:
        espat.fail(espat.requirement, ["the busy client still open"], ["closed"], ["traffic did not restart its timer"])
    still_open(espat, busy, busy_link, "the client whose data kept coming is still served")


@case(
    "ESPAT-SRV-11",
    "with AT+SYSMSG bit 1 set a client is reported +LINK_CONN:<status>,<id>,<type>,<terminal>,<remote ip>,"
    "<remote port>,<local port> instead of <id>,CONNECT",
    verifies=("ESPAT-DOC-BASIC-SYSMSG-02", "ESPAT-DOC-MSG-LINKCONN"),
)
def test_detailed_connection_report(espat: EspAtSession, peer: Peer) -> None:
    shown = info_value(espat, "SYSMSG", "AT+SYSMSG? is answered +SYSMSG:<state> and OK")
    state = int(shown) if shown.isdigit() else 0
    espat.change("+SYSMSG", state | 2, restore=(state,), requirement=f"AT+SYSMSG={state | 2} is answered with OK")
    open_server(espat)
    client = peer.connect(PORT)
    event = espat.report(lambda e: isinstance(e, Info) and e.name == "LINK_CONN", "+LINK_CONN:...", espat.requirement)
    assert isinstance(event, Info)
    fields = [f.strip('"') for f in event.value.split(",")]
    ok = len(fields) == 7 and fields[1].isdigit() and int(fields[1]) < LINKS
    if not ok or fields[4:] != [client.local[0], str(client.local[1]), str(PORT)]:
        espat.fail(
            espat.requirement,
            [f"+LINK_CONN:<status>,<0-4>,<type>,<terminal>,{client.local[0]},{client.local[1]},{PORT}"],
            [describe_event(event)],
            ["not the seven fields naming this client and the server's port"],
        )
    espat.no_report(lambda e: isinstance(e, LinkReport) and e.state == "CONNECT", "<id>,CONNECT", 0.0)


@case(
    "ESPAT-SRV-12",
    "AT+CIPSERVER=0 with no server and AT+CIPSERVER=1 on the port already served change nothing and end with "
    "OK or ERROR; the server keeps serving",
    verifies=("ESPAT-DOC-MSG-RESP-01",),
)
def test_server_no_change(espat: EspAtSession, peer: Peer) -> None:
    choices = []
    for params, when in (((0,), "with no server"), ((1, PORT), "on the port already served")):
        if params[0] == 1:
            open_server(espat)
        response = espat.at("+CIPSERVER", *params, requirement=f"AT+CIPSERVER={params[0]} {when} is answered")
        espat.expect_final(response, ("OK", "ERROR"), "a command's last message is OK or ERROR")
        texts = response.texts()
        if response.word == "ERROR":
            choices.append("error")
        elif texts == ["no change"]:
            choices.append("no-change-ok")
        elif not texts:
            choices.append("ok")
        else:
            espat.fail(espat.requirement, ["OK", "no change, then OK", "ERROR"], response.shown(), ["other lines"])
    for choice in dict.fromkeys(choices):
        espat.on_observed("ESPAT-SILENT-CIPSERVER-NOCHANGE", choice, f"AT+CIPSERVER=0 / =1 again: {', '.join(choices)}")
    accept(espat, peer, PORT, requirement="the server still serves")
