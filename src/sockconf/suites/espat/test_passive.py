"""ESPAT-PASSIVE: passive receive (AT+CIPRECVTYPE from v3.3, AT+CIPRECVMODE before): data wait in the module,
+IPD,<id>,<len> announces them, AT+CIPRECVLEN? counts them and AT+CIPRECVDATA reads them; a peer's close is
reported once they are read."""

from __future__ import annotations

import time

from sockconf.data.vectors.espat import ESPAT_PASSIVE_NOTICE, ESPAT_PASSIVE_RECVDATA, ESPAT_PASSIVE_RECVLEN
from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, Response, describe_event
from sockconf.harness.peer import Peer, TcpClient
from sockconf.protocol.espat import Ipd, LinkReport, RecvData
from sockconf.suites.espat.exchange import LINKS, UDP_PORT, accept, connect, open_server, pattern, udp_link


def notice(espat: EspAtSession, link: int | None, length: int, requirement: str) -> Ipd:
    """The passive notice ``+IPD,[<id>,]<len>`` (no data) announcing ``length`` bytes."""
    name = f"+IPD,{length}" if link is None else f"+IPD,{link},{length}"
    event = espat.report(lambda e: isinstance(e, Ipd) and e.link == link, name, requirement)
    assert isinstance(event, Ipd)
    if not event.passive or event.length != length:
        espat.fail(requirement, [name], [describe_event(event)], ["not the passive notice of the bytes waiting"])
    return event


def read(espat: EspAtSession, link: int | None, length: int, expected: bytes, requirement: str) -> Response:
    """AT+CIPRECVDATA=[<id>,]<len>: +CIPRECVDATA:<n>,<data> with the ``expected`` bytes, then OK."""
    params = [length] if link is None else [link, length]
    response = espat.ok("+CIPRECVDATA", *params, requirement=requirement)
    data = [e for e in response.lines if isinstance(e, RecvData)]
    if len(data) != 1 or data[0].data != expected or data[0].length != len(expected):
        espat.fail(
            requirement,
            [f"+CIPRECVDATA:{len(expected)},{expected!r}", "OK"],
            response.shown(),
            ["not the bytes waiting (at most <len>)"],
        )
    return response


def recvlen(espat: EspAtSession, requirement: str) -> list[str]:
    """AT+CIPRECVLEN?'s fields."""
    return espat.query("CIPRECVLEN", requirement)[0].split(",")


def served_passive(espat: EspAtSession, peer: Peer) -> tuple[int, TcpClient]:
    open_server(espat)
    link, client = accept(espat, peer)
    espat.set_passive(link, True)
    return link, client


@case(
    "ESPAT-PASSIVE-01",
    "the receive mode command the profile's firmware documents sets passive mode, and its query shows mode 1 "
    "for the link",
    verifies=(
        "ESPAT-DOC-TCPIP-RECVTYPE-01",
        "ESPAT-DOC-TCPIP-RECVTYPE-02",
        "ESPAT-DOC-V32-RECVMODE-01",
        "ESPAT-DOC-V32-RECVMODE-02",
    ),
)
def test_set_passive(espat: EspAtSession, peer: Peer) -> None:
    link, _ = served_passive(espat, peer)
    name = espat.recv_command
    values = espat.query(name, f"AT+{name}? is answered +{name}:... and OK")
    if name == "CIPRECVTYPE":
        mine = [v for v in values if v.split(",")[0].strip() == str(link)]
        if [v.split(",")[-1].strip() for v in mine] != ["1"]:
            espat.fail(espat.requirement, [f"+CIPRECVTYPE:{link},1"], values, ["the link is not shown passive"])
        old = espat.at("+CIPRECVMODE?", requirement="AT+CIPRECVMODE? (the name before v3.3) is answered")
        espat.expect_final(old, ("OK", "ERROR"), "a command's last message is OK or ERROR")
        choice = "accepted" if old.word == "OK" else "refused"
        espat.on_observed("ESPAT-SILENT-RECVMODE-NAME", choice, f"AT+CIPRECVMODE?: {' / '.join(old.shown())}")
    elif values != ["1"]:
        espat.fail(espat.requirement, ["+CIPRECVMODE:1"], values, ["not passive"])


@case(
    "ESPAT-PASSIVE-02",
    "in passive mode a client's data wait: +IPD,<id>,<len> announces them, AT+CIPRECVLEN? shows <len> in the "
    "link's field, AT+CIPRECVDATA=<id>,<more than len> returns +CIPRECVDATA:<len>,<data> then OK",
    verifies=(
        "ESPAT-DOC-MSG-IPD-02",
        "ESPAT-DOC-TCPIP-RECVTYPE-07",
        "ESPAT-DOC-TCPIP-RECVTYPE-09",
        "ESPAT-DOC-TCPIP-RECVTYPE-11",
        "ESPAT-DOC-TCPIP-RECVDATA-01",
        "ESPAT-DOC-TCPIP-RECVDATA-02",
        "ESPAT-DOC-TCPIP-RECVDATA-04",
        "ESPAT-DOC-TCPIP-RECVDATA-09",
        "ESPAT-DOC-TCPIP-RECVLEN-01",
        "ESPAT-DOC-TCPIP-RECVLEN-02",
    ),
)
def test_read(espat: EspAtSession, peer: Peer) -> None:
    link, client = served_passive(espat, peer)
    data = b"\r\nOK\r\n+IPD,0,4:" + pattern(300)
    client.send(data)
    notice(espat, link, len(data), "the data are announced +IPD,<id>,<len> (no data)")
    fields = recvlen(espat, "AT+CIPRECVLEN? shows the bytes waiting in the link's field")
    if len(fields) <= link or fields[link] != str(len(data)):
        espat.fail(espat.requirement, [f"field {link}: {len(data)}"], [",".join(fields)], ["not the bytes waiting"])
    read(espat, link, 2048, data, "AT+CIPRECVDATA=<id>,2048 returns the bytes waiting")
    fields = recvlen(espat, "AT+CIPRECVLEN? shows nothing left in the link's field")
    if len(fields) <= link or fields[link] not in ("0", ""):
        espat.fail(espat.requirement, [f"field {link}: 0"], [",".join(fields)], ["bytes left after reading them all"])


@case(
    "ESPAT-PASSIVE-03",
    "while an +IPD is not read no further +IPD comes; a read of part of the data leaves the rest for the next read",
    verifies=("ESPAT-DOC-TCPIP-RECVTYPE-12",),
)
def test_one_notice_until_read(espat: EspAtSession, peer: Peer) -> None:
    link, client = served_passive(espat, peer)
    client.send(b"abcdef")
    notice(espat, link, 6, "the first data are announced")
    client.send(b"ghij")
    espat.no_report(lambda e: isinstance(e, Ipd) and e.link == link, "a second +IPD before the read",
                    espat.deadlines[2], espat.requirement)  # fmt: skip
    fields = recvlen(espat, "AT+CIPRECVLEN? shows every byte waiting")
    if fields[link] != "10":
        espat.fail(espat.requirement, [f"field {link}: 10"], [",".join(fields)], ["not the total waiting"])
    read(espat, link, 4, b"abcd", "AT+CIPRECVDATA=<id>,4 returns the first 4 bytes")
    # What announces the rest (ESPAT-SILENT-PASSIVE-IPD-REPEAT): a new +IPD at once, one when new data arrive, or none.
    repeat = espat.take_report(lambda e: isinstance(e, Ipd) and e.link == link)
    if repeat is None:
        espat.watch(espat.deadlines[2])
        repeat = espat.take_report(lambda e: isinstance(e, Ipd) and e.link == link)
    if repeat is not None:
        assert isinstance(repeat, Ipd)
        if repeat.length != 6 or not repeat.passive:
            espat.fail(espat.requirement, [f"+IPD,{link},6 (the rest)"], [describe_event(repeat)], ["not the rest"])
        choice = "repeat-rest"
    else:
        client.send(b"k")
        espat.watch(espat.deadlines[2])
        later = espat.take_report(lambda e: isinstance(e, Ipd) and e.link == link)
        if later is not None and (not isinstance(later, Ipd) or later.length != 7):
            espat.fail(espat.requirement, [f"+IPD,{link},7 (all waiting)"], [describe_event(later)], ["not the total"])
        choice = "on-new-data" if later is not None else "once"
    espat.on_observed("ESPAT-SILENT-PASSIVE-IPD-REPEAT", choice, "after reading 4 of 10 bytes")
    rest = b"efghij" if choice == "repeat-rest" else b"efghijk"
    read(espat, link, 100, rest, "the next AT+CIPRECVDATA returns the rest")


@case(
    "ESPAT-PASSIVE-04",
    "AT+CIPRECVDATA is refused (ERROR) on a link in active mode, and in passive mode when nothing waits",
    verifies=("ESPAT-DOC-TCPIP-RECVDATA-06", "ESPAT-DOC-TCPIP-RECVDATA-07"),
)
def test_read_refused(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    link, _ = accept(espat, peer)
    espat.error("+CIPRECVDATA", link, 10, requirement="AT+CIPRECVDATA in active mode is answered ERROR")
    espat.set_passive(link, True)
    espat.error("+CIPRECVDATA", link, 10, requirement="AT+CIPRECVDATA with nothing to read is answered ERROR")


@case(
    "ESPAT-PASSIVE-05",
    "when the peer closes with data unread, the data stay readable and <id>,CLOSED comes only once they are read",
    verifies=("ESPAT-DOC-TCPIP-RECVTYPE-13", "ESPAT-DOC-TCPIP-RECVTYPE-14"),
)
def test_closed_after_reading(espat: EspAtSession, peer: Peer) -> None:
    link, client = served_passive(espat, peer)
    client.send(b"last words")
    notice(espat, link, 10, "the data are announced")
    client.close()
    espat.no_report(lambda e: isinstance(e, LinkReport) and e.link == link, f"{link},CLOSED before the data are read",
                    espat.deadlines[2], espat.requirement)  # fmt: skip
    response = read(espat, link, 100, b"last words", "the data are still read after the peer closed")
    closed = espat.link_report(link, "CLOSED", "once the data are read the link is reported CLOSED")
    assert response.final is not None
    before = espat.came_before(closed, response.final)
    espat.on_observed("ESPAT-SILENT-PASSIVE-CLOSED-PLACE", "before-ok" if before else "after-ok", "")


@case(
    "ESPAT-PASSIVE-06",
    "every link set passive at once (AT+CIPRECVTYPE=5,1; AT+CIPRECVMODE=1): AT+CIPRECVLEN? shows each open "
    "link's bytes in its own field",
    verifies=(
        "ESPAT-DOC-TCPIP-RECVTYPE-04",
        "ESPAT-DOC-TCPIP-RECVTYPE-15",
        "ESPAT-DOC-TCPIP-RECVLEN-01",
        "ESPAT-DOC-TCPIP-RECVLEN-02",
        "ESPAT-DOC-TCPIP-RECVLEN-03",
    ),
)
def test_lengths_per_link(espat: EspAtSession, peer: Peer) -> None:
    open_server(espat)
    clients = dict(accept(espat, peer) for _ in range(2))
    espat.set_passive(None, True, requirement="every link is set passive at once")
    for n, (link, client) in enumerate(clients.items(), start=3):
        client.send(b"x" * n)
        notice(espat, link, n, "each link's data are announced")
    fields = recvlen(espat, espat.requirement)
    for n, link in enumerate(clients, start=3):
        if len(fields) <= link or fields[link] != str(n):
            espat.fail(espat.requirement, [f"field {link}: {n}"], [",".join(fields)], ["not each link's bytes"])
    idle = {fields[i] for i in range(min(len(fields), LINKS)) if i not in clients}
    names = {"": "empty", "0": "zero", "-1": "minus-one"}
    if len(fields) < LINKS or len(idle) != 1 or not idle <= set(names):
        espat.fail(espat.requirement, ["one field per link, idle links alike (empty, 0 or -1)"], [",".join(fields)],
                   ["fields missing or idle links shown otherwise"])  # fmt: skip
    espat.on_observed("ESPAT-SILENT-RECVLEN-IDLE-FIELD", names[idle.pop()], f"+CIPRECVLEN:{','.join(fields)}")


@case(
    "ESPAT-PASSIVE-07",
    "single connection in passive mode, as the documents' example: +IPD,4, +CIPRECVLEN:4, AT+CIPRECVDATA=4 "
    "returns +CIPRECVDATA:4,test",
    verifies=(
        "ESPAT-DOC-EX-PASSIVE-01",
        "ESPAT-DOC-EX-PASSIVE-02",
        "ESPAT-DOC-EX-PASSIVE-03",
        "ESPAT-DOC-MSG-IPD-01",
        "ESPAT-DOC-TCPIP-RECVTYPE-03",
        "ESPAT-DOC-TCPIP-RECVTYPE-10",
    ),
)
def test_single_connection(espat: EspAtSession, peer: Peer) -> None:
    espat.set_mux(0)
    out = connect(espat, peer, None)
    espat.set_passive(None, True)
    out.client.send(b"test")
    event = notice(espat, None, 4, "the data are announced +IPD,4")
    if event.raw.strip(b"\r\n") != ESPAT_PASSIVE_NOTICE:
        espat.fail(espat.requirement, [repr(ESPAT_PASSIVE_NOTICE)], [describe_event(event)], ["other bytes"])
    fields = recvlen(espat, "AT+CIPRECVLEN? shows 4")
    if fields[0] != "4":
        espat.fail(espat.requirement, [repr(ESPAT_PASSIVE_RECVLEN)], [",".join(fields)], ["not 4 in the first field"])
    response = read(espat, None, 4, b"test", "AT+CIPRECVDATA=4 returns +CIPRECVDATA:4,test")
    (data,) = [e for e in response.lines if isinstance(e, RecvData)]
    if data.raw.lstrip(b"\r\n") != ESPAT_PASSIVE_RECVDATA:
        espat.fail(espat.requirement, [repr(ESPAT_PASSIVE_RECVDATA)], [describe_event(data)], ["other bytes"])


@case(
    "ESPAT-PASSIVE-08",
    'with AT+CIPDINFO=1 the read shows the sender: +CIPRECVDATA:<len>,"<remote IP>",<remote port>,<data>',
    verifies=("ESPAT-DOC-TCPIP-RECVDATA-03", "ESPAT-DOC-TCPIP-CIPDINFO-04"),
)
def test_read_with_sender(espat: EspAtSession, peer: Peer) -> None:
    link, client = served_passive(espat, peer)
    espat.change("+CIPDINFO", 1, restore=(0,), requirement="AT+CIPDINFO=1 is answered with OK")
    espat.reader.dinfo = True
    try:
        client.send(b"who")
        notice(espat, link, 3, "the data are announced")
        response = read(espat, link, 10, b"who", "AT+CIPRECVDATA returns the data with their sender")
    finally:
        espat.reader.dinfo = None
    (data,) = [e for e in response.lines if isinstance(e, RecvData)]
    if data.remote != (client.local[0], client.local[1]):
        espat.fail(espat.requirement, [f'+CIPRECVDATA:3,"{client.local[0]}",{client.local[1]},who'],
                   [describe_event(data)], [f"remote: {data.remote}"])  # fmt: skip


@case(
    "ESPAT-PASSIVE-09",
    "a passive UDP link keeps every datagram: reads return them whole, one by one or joined",
    verifies=("ESPAT-DOC-TCPIP-RECVTYPE-07",),
)
def test_udp_datagrams(espat: EspAtSession, peer: Peer) -> None:
    udp, _ = udp_link(espat, peer, 4, UDP_PORT, 0)
    espat.set_passive(4, True)
    udp.send_to(b"one", UDP_PORT)
    notice(espat, 4, 3, "the datagram is announced")
    udp.send_to(b"three", UDP_PORT)
    deadline = time.monotonic() + espat.deadlines[1]
    while time.monotonic() < deadline and recvlen(espat, "AT+CIPRECVLEN? is answered")[4] != "8":
        espat.watch(min(0.05, max(0.0, deadline - time.monotonic())))
    first = read_any(espat, 4)
    if first == b"onethree":
        choice = "concatenated"
    elif first == b"one":
        if read_any(espat, 4) != b"three":
            espat.fail(espat.requirement, ["three"], ["another second read"], ["a datagram lost"])
        choice = "per-datagram"
    else:
        espat.fail(espat.requirement, ["onethree", "one, then three"], [repr(first)], ["datagrams lost or mixed"])
    espat.on_observed("ESPAT-SILENT-UDP-PASSIVE-BOUNDARIES", choice, f"the first read returned {first!r}")


def read_any(espat: EspAtSession, link: int) -> bytes:
    response = espat.ok("+CIPRECVDATA", link, 100, requirement="AT+CIPRECVDATA returns what waits")
    data = [e for e in response.lines if isinstance(e, RecvData)]
    return data[0].data if data else b""
