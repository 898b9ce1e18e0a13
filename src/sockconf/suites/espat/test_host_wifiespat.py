"""ESPAT-HOST-WIFIESPAT: the module driven exactly as JAndrassy's WiFiEspAT Arduino library (AT 2 build)
drives it, judged by what its reader (``EspAtDrv.cpp`` ``readRX``) needs.

Each case is a sketch: the library's start-up commands, then one flow (the status queries a sketch
makes, a TCP client, a TCP server). The library receives in passive mode: it learns what is waiting
from ``+IPD`` notices and ``AT+CIPRECVLEN?`` and reads it with ``AT+CIPRECVDATA``.
``suites/espat/wifiespat.py`` re-states its rules; docs/host-stacks-espat.md lists them with their
sources. The verdict says whether such a sketch works with this firmware, or where it breaks: it is
not a verdict on conformance to Espressif's documents (those are the other ESPAT cases).
"""

from __future__ import annotations

import time

import pytest

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession
from sockconf.harness.hoststack import HostStackRun
from sockconf.harness.peer import Peer
from sockconf.suites.espat.exchange import info_value
from sockconf.suites.espat.wifiespat import RECVLEN_EVERY, WiFiEspAt

SERVER_PORT = 10071


def _facts(*names: str) -> tuple[str, ...]:
    return tuple(f"ESPAT-HOST-WIFIESPAT-{n}" for n in names)


READRX = _facts("READRX", "INIT")


@pytest.fixture
def wifiespat(host_stack: HostStackRun, espat: EspAtSession) -> WiFiEspAt:
    """The library's driver of a sketch (``host_stack`` first: NOT APPLICABLE before any setup)."""
    return WiFiEspAt(host_stack, espat)


def _wait_for_bytes(lib: WiFiEspAt, link: int, size: int) -> None:
    """availData: while the link shows no bytes, AT+CIPRECVLEN? at most every 500 ms; the count the
    library takes for ``link`` must be ``size`` and no other link may seem to have bytes."""
    run = lib.run
    deadline = time.monotonic() + lib.network_wait
    while True:
        fields = lib.recv_len_query()
        if lib.available[link] or time.monotonic() >= deadline:
            break
        lib.pump(RECVLEN_EVERY)
    others = [i for i in range(len(lib.available)) if i != link and lib.available[i]]
    run.needs(
        lib.available[link] == size and not others,
        f"{size} byte(s) for link {link} and none for the other links, the fields read as recvLenQuery splits "
        "them (with strtok: empty fields merge, so an idle link needs a non-empty field such as -1 or 0)",
        f"+CIPRECVLEN:{','.join(fields)}",
        "EspAtDrv.cpp recvLenQuery",
    )


@case(
    "ESPAT-HOST-WIFIESPAT-01",
    "start-up and status: ATE0, AT+CIPMUX=1, AT+CIPRECVMODE=1, AT+SYSSTORE=0, AT+CWMODE?, then AT+GMR, "
    "AT+CIPSTATUS, AT+CWJAP?, AT+CIPSTA? and AT+CIPSTAMAC? answered as readRX takes them",
    kind="host-stack",
    stack="wifiespat",
    verifies=(*READRX, *_facts("QUERIES")),
)
def test_start_up_and_status(wifiespat: WiFiEspAt) -> None:
    lib, run = wifiespat, wifiespat.run
    lib.init()
    with run.step("firmwareVersion: AT+GMR"):
        lib.wire.command("AT+GMR")
        version = lib.read_rx("AT version:")
        run.needs("(" in version and len(version.split("(")[0]) > len("AT version:"), "AT version:<v>(...)", version)
        lib.read_rx("OK")
    with run.step("staStatus: AT+CIPSTATUS"):
        lib.wire.command("AT+CIPSTATUS")
        status = lib.read_rx("STATUS:")
        run.needs(status[7:8].isdigit(), "STATUS:<digit>", status)
        lib.read_rx("OK")
    with run.step("apQuery: AT+CWJAP?"):
        lib.wire.command("AT+CWJAP?")
        lib.read_rx("+CWJAP:")
        lib.read_rx("OK")
    with run.step("staIpQuery: AT+CIPSTA?"):
        lib.wire.command("AT+CIPSTA?")
        for name in ("ip", "gateway", "netmask"):
            got = lib.read_rx("+CIPSTA:")
            run.needs(got.startswith(f'+CIPSTA:{name}:"'), f'+CIPSTA:{name}:"..." as the next +CIPSTA line', got)
        lib.read_rx("OK")
    with run.step("staMacQuery: AT+CIPSTAMAC?"):
        lib.wire.command("AT+CIPSTAMAC?")
        lib.read_rx('+CIPSTAMAC:"')
        lib.read_rx("OK")


@case(
    "ESPAT-HOST-WIFIESPAT-02",
    "TCP client: AT+CIPSTART on the highest free link, AT+CIPSEND with Recv <n> bytes and SEND OK, the "
    "peer's data found by AT+CIPRECVLEN? and read by AT+CIPRECVDATA, AT+CIPCLOSE",
    kind="host-stack",
    stack="wifiespat",
    verifies=(*READRX, *_facts("CONNECT", "SEND", "RECVLEN", "RECVDATA", "CLOSE")),
)
def test_tcp_client(wifiespat: WiFiEspAt, espat: EspAtSession, peer: Peer) -> None:
    lib, run, within = wifiespat, wifiespat.run, espat.profile.deadlines.indication
    lib.init()
    server = peer.tcp_server()
    link = lib.free_link()
    with run.step("connect: AT+CIPSTART"):
        lib.connect(link, server.address, server.port)
    with run.step("the peer's server accepts the connection"):
        conn = server.accept(within, "the module's connection reaches the peer")
    out = b"GET / HTTP/1.0\r\nHost: sockconf\r\n\r\n"
    with run.step("sendData: AT+CIPSEND"):
        lib.send(link, out)
    with run.step("the peer receives what was sent"):
        conn.recv_exactly(len(out), within, "the peer receives every byte AT+CIPSEND took")
    back = b"HTTP/1.0 200 OK\r\n\r\nfrom the peer\r\nOK\r\n"
    conn.send(back)
    with run.step("availData: AT+CIPRECVLEN? (recvLenQuery)"):
        _wait_for_bytes(lib, link, len(back))
    with run.step("recvData: AT+CIPRECVDATA"):
        got = lib.recv_data(link, 64)
        run.needs(got == back, f"the peer's {len(back)} bytes", got)
    with run.step("close: AT+CIPCLOSE"):
        lib.close(link)


@case(
    "ESPAT-HOST-WIFIESPAT-03",
    "TCP server: AT+CIPSERVERMAXCONN=1, AT+CIPSERVER=1,<port>, AT+CIPSTO=60; the client's <id>,CONNECT, its "
    "data by AT+CIPRECVLEN? and AT+CIPRECVDATA, an answer by AT+CIPSEND, its close as <id>,CLOSED; AT+CIPSERVER=0",
    kind="host-stack",
    stack="wifiespat",
    verifies=(*READRX, *_facts("SERVER", "SEND", "RECVLEN", "RECVDATA", "CLOSE")),
)
def test_tcp_server(wifiespat: WiFiEspAt, espat: EspAtSession, peer: Peer) -> None:
    lib, run, within = wifiespat, wifiespat.run, espat.profile.deadlines.indication
    # What the server's settings were, to be put back by the session before the next case.
    sto = info_value(espat, "CIPSTO", "precondition: AT+CIPSTO? is answered")
    maxconn = info_value(espat, "CIPSERVERMAXCONN", "precondition: AT+CIPSERVERMAXCONN? is answered")
    lib.init()
    with run.step("serverBegin: AT+CIPSERVERMAXCONN=1"):
        lib.simple("AT+CIPSERVERMAXCONN=1")
        lib.wire.restore_after("+CIPSERVERMAXCONN", int(maxconn) if maxconn.isdigit() else 5)
    with run.step(f"serverBegin: AT+CIPSERVER=1,{SERVER_PORT}"):
        lib.simple(f"AT+CIPSERVER=1,{SERVER_PORT}")
    with run.step("serverBegin: AT+CIPSTO=60"):
        lib.simple("AT+CIPSTO=60")
        lib.wire.restore_after("+CIPSTO", int(sto) if sto.isdigit() else 180)
    client = peer.connect(SERVER_PORT)
    with run.step("readRX: <id>,CONNECT (an incoming client)"):
        deadline = time.monotonic() + within
        while "incoming" not in lib.state and time.monotonic() < deadline:
            lib.pump(deadline - time.monotonic())
        run.needs("incoming" in lib.state, f"<id>,CONNECT within {within:g} s", lib.wire.shown())
    link = lib.state.index("incoming")
    hello = b"hello from the peer\r\n"
    client.send(hello)
    with run.step("availData: AT+CIPRECVLEN? (recvLenQuery)"):
        _wait_for_bytes(lib, link, len(hello))
    with run.step("recvData: AT+CIPRECVDATA"):
        got = lib.recv_data(link, 64)
        run.needs(got == hello, f"the peer's {len(hello)} bytes", got)
    answer = b"hello from the sketch\r\n"
    with run.step("sendData: AT+CIPSEND"):
        lib.send(link, answer)
    with run.step("the peer receives what was sent"):
        client.recv_exactly(len(answer), within, "the peer receives every byte AT+CIPSEND took")
    client.close()
    with run.step("readRX: <id>,CLOSED"):
        deadline = time.monotonic() + within
        while lib.state[link] != "free" and time.monotonic() < deadline:
            lib.pump(deadline - time.monotonic())
        run.needs(lib.state[link] == "free", f"{link},CLOSED within {within:g} s", lib.wire.shown())
    with run.step("serverEnd: AT+CIPSERVER=0"):
        lib.simple("AT+CIPSERVER=0")
