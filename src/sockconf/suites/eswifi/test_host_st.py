"""ESWIFI-HOST-ST: the module driven exactly as ST's es_wifi.c (SPI build) drives it, judged by what that driver needs.

Each case is one of ST's flows for the B-L475E-IOT01A board (STMicroelectronics/STM32CubeL4,
``Projects/B-L475E-IOT01A/Applications/WiFi/``): the HTTP server application, the client application,
and the multi-connection server of the driver's API. Every command is built as ``es_wifi.c`` builds it
(``\\r`` endings, ``I?\\r\\n``, ``S3=%04d``) and every reply judged by the driver's own test
(``suites/eswifi/hosts.py``; the facts, with their sources, in docs/host-stacks.md). The verdict says
whether a product built on ST's driver works with this module, or where it breaks: it is not a verdict
on conformance to Inventek's documents (those are the other ESWIFI cases).
"""

from __future__ import annotations

import re
import time

from sockconf.data.vectors.eswifi import ESWIFI_SEED_PORT
from sockconf.harness.cases import case
from sockconf.harness.eswifi import ESWiFiSession
from sockconf.harness.hoststack import HostStackRun
from sockconf.harness.peer import Peer, TcpClient
from sockconf.suites.eswifi.hosts import (
    Wire,
    fields_from_2,
    reset_stand_in,
    show,
    st_mr,
    st_no_client,
    st_ok,
    st_receive,
    strtok,
)
from sockconf.suites.eswifi.test_station import network

PORT = ESWIFI_SEED_PORT  # the HTTP application's port 80, moved where a test machine may listen
MAC = re.compile(rb"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
FIRMWARE = re.compile(r"C\d+\.\d+\.\d+\.\d+")
WAIT_PAUSE = 0.1  # s: ES_WIFI_WaitServerConnection's pause after each MR and P?
MR_PAUSE = 0.1  # s: ES_WIFI_StopServerMultiConn's pause between two MR
RECEIVE_TIMEOUT = 10000  # ms: the applications' receive and send timeouts (R2, S2)
REQUEST = b"GET / HTTP/1.1\r\nHost: module\r\n\r\n"
PAGE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>ST es_wifi.c</body></html>\r\n"


def _facts(*names: str) -> tuple[str, ...]:
    return tuple(f"ESWIFI-HOST-ST-{n}" for n in names)


COMMON = _facts("COMMANDS", "OK", "INIT", "MAC", "JOIN")


def _command(run: HostStackRun, wire: Wire, function: str, line: str, within: float | None = None) -> bytes:
    """One command of ``function``, which needs the reply to pass AT_ExecuteCommand."""
    with run.step(f"{function}: {line}"):
        raw = wire.exchange(line, within=within)
        run.needs(st_ok(raw), "a reply holding \\r\\nOK\\r\\n> ", raw, function="AT_ExecuteCommand")
    return raw


def _start(run: HostStackRun, eswifi: ESWiFiSession, peer: Peer) -> Wire:
    """WIFI_Init, WIFI_GetMAC_Address, WIFI_Connect and WIFI_GetIP_Address, as both applications begin."""
    wire = Wire(run, eswifi)
    ssid, passphrase, security = network(eswifi)
    with run.step("ES_WIFI_Init: I?\\r\\n"):
        raw = wire.exchange("I?", end=b"\r\n")
        run.needs(st_ok(raw), "a reply holding \\r\\nOK\\r\\n> ", raw, function="AT_ExecuteCommand")
        info = strtok(raw)
        run.needs(
            len(info) >= 7 and bool(FIRMWARE.match(info[1])) and bool(info[6].strip()),
            "seven comma fields from byte 2 (product ID, firmware C<a>.<b>.<c>.<d>, API, stack and RTOS "
            "revisions, CPU clock, product name)",
            raw,
            function="AT_ParseInfo",
        )
    with run.step("ES_WIFI_GetMACAddress: Z5"):
        raw = wire.exchange("Z5")
        run.needs(st_ok(raw), "a reply holding \\r\\nOK\\r\\n> ", raw, function="AT_ExecuteCommand")
        run.needs(bool(MAC.match(raw[2:])), "six hex pairs separated by ':' from byte 2", raw)
    for line in (f"C1={ssid}", f"C2={passphrase}", f"C3={security}", "C0"):
        _command(run, wire, "ES_WIFI_Connect", line, within=eswifi.profile.deadlines.join)
    with run.step("ES_WIFI_GetNetworkSettings: C?"):
        raw = wire.exchange("C?")
        run.needs(st_ok(raw), "a reply holding \\r\\nOK\\r\\n> ", raw, function="AT_ExecuteCommand")
        got = fields_from_2(raw)
        run.needs(
            len(got) > 5 and got[5] == peer.dut_host,
            f"the module's address {peer.dut_host} in comma field 5 from byte 2",
            raw,
            function="AT_ParseConnSettings",
        )
    with run.step("ES_WIFI_IsConnected: CS"):
        raw = wire.exchange("CS")
        run.needs(st_ok(raw) and raw[2:3] == b"1", "a reply holding OK whose byte 2 is 1 (joined)", raw)
    return wire


def _read(run: HostStackRun, wire: Wire, expected: bytes, length: int = 1000) -> None:
    """ES_WIFI_ReceiveData that must hand the application ``expected``."""
    for line in ("P0=0", f"R1={length}", f"R2={RECEIVE_TIMEOUT}"):
        _command(run, wire, "ES_WIFI_ReceiveData", line)
    with run.step("ES_WIFI_ReceiveData: R0"):
        raw = wire.exchange("R0", within=wire.eswifi.profile.deadlines.reply + RECEIVE_TIMEOUT / 1000)
        status, data = st_receive(raw)
        run.needs(
            status == "ok" and data == expected,
            f"a reply beginning \\r\\n and ending \\r\\nOK\\r\\n> around the peer's {len(expected)} byte(s) "
            f"{expected[:40]!r}",
            raw,
            function="AT_RequestReceiveData",
        )


def _read_lost(run: HostStackRun, wire: Wire) -> None:
    """ES_WIFI_ReceiveData after the peer closed: the application must not get data (it ends the connection)."""
    for line in ("P0=0", "R1=1000", f"R2={RECEIVE_TIMEOUT}"):
        _command(run, wire, "ES_WIFI_ReceiveData", line)
    with run.step("ES_WIFI_ReceiveData: R0 after the peer closed"):
        raw = wire.exchange("R0", within=wire.eswifi.profile.deadlines.reply + RECEIVE_TIMEOUT / 1000)
        status, data = st_receive(raw)
        run.needs(
            status != "ok",
            "a reply that does not end \\r\\nOK\\r\\n> (the connection is gone); with OK the application "
            f"is handed {data!r} as data",
            raw,
            function="AT_RequestReceiveData",
        )


def _send(run: HostStackRun, wire: Wire, data: bytes, to: TcpClient) -> None:
    """ES_WIFI_SendData: P0, S2, S3=%04d and the data; the peer receives it."""
    for line in ("P0=0", f"S2={RECEIVE_TIMEOUT}"):
        _command(run, wire, "ES_WIFI_SendData", line)
    with run.step(f"ES_WIFI_SendData: S3={len(data):04d}"):
        raw = wire.exchange(f"S3={len(data):04d}", data)
        run.needs(
            st_ok(raw) and b"-1\r\n" not in raw,
            "a reply holding \\r\\nOK\\r\\n> and no -1\\r\\n",
            raw,
            function="AT_RequestSendData",
        )
    with run.step("the peer receives what ES_WIFI_SendData sent"):
        to.recv_exactly(len(data), wire.eswifi.profile.deadlines.indication, "the peer receives the data S3 sent")


def _wait_none(run: HostStackRun, wire: Wire, loops: int = 3) -> None:
    """ES_WIFI_WaitServerConnection before any client: each P? must say no client."""
    with run.step("ES_WIFI_WaitServerConnection: MR, P? with no client yet"):
        for _ in range(loops):
            raw = wire.exchange("MR")
            run.needs(st_ok(raw), "a reply holding \\r\\nOK\\r\\n> ", raw, function="AT_ExecuteCommand")
            raw = wire.exchange("P?")
            run.needs(st_ok(raw), "a reply holding \\r\\nOK\\r\\n> ", raw, function="AT_ExecuteCommand")
            run.needs(
                st_no_client(raw),
                "P? to begin \\r\\n0,0.0.0.0, while no client has connected (else it takes field 1 for one)",
                raw,
                function="ES_WIFI_WaitServerConnection",
            )
            wire.sleep(WAIT_PAUSE)


def _wait_client(run: HostStackRun, wire: Wire, client: TcpClient, server_port: int) -> None:
    """ES_WIFI_WaitServerConnection, called again and again as the HTTP application does, until it
    returns OK: then P? must name the client (field 1 its address, 4 its port) and the local port (2)."""
    within = wire.eswifi.profile.deadlines.indication
    deadline = time.monotonic() + within
    host, port = client.local[0], client.local[1]
    with run.step("ES_WIFI_WaitServerConnection: MR, P? until a client"):
        while True:
            raw = wire.exchange("MR")
            # A reply that fails either test makes the call return ERROR; the application calls it again.
            if st_ok(raw) and st_mr(raw):
                raw = wire.exchange("P?")
                run.needs(st_ok(raw), "a reply holding \\r\\nOK\\r\\n> ", raw, function="AT_ExecuteCommand")
                if not st_no_client(raw):
                    got = strtok(raw)
                    run.needs(
                        len(got) > 4 and (got[1], got[2], got[4]) == (host, str(server_port), str(port)),
                        f"P? fields 1, 2 and 4 (strtok from byte 2): the client's address {host}, the local port "
                        f"{server_port}, the client's port {port}",
                        show(raw),
                        function="ES_WIFI_WaitServerConnection",
                    )
                    return
            run.needs(
                time.monotonic() < deadline,
                f"P? to show the client that connected within {within:g} s",
                show(raw),
                function="ES_WIFI_WaitServerConnection",
            )
            wire.sleep(WAIT_PAUSE)


@case(
    "ESWIFI-HOST-ST-01",
    "the HTTP server application: init (I?\\r\\n), Z5, join, C?, CS; P0/PK/P1/P8/P2/P5=11; MR+P? until the "
    "client; R0 read; S3=%04d send; P5=10 and the next queued client; P5=0",
    kind="host-stack",
    stack="st",
    verifies=(*COMMON, *_facts("SERVER", "WAIT", "RECEIVE", "SEND", "CLOSE")),
)
def test_http_server(host_stack: HostStackRun, eswifi: ESWiFiSession, peer: Peer) -> None:
    run = host_stack
    with reset_stand_in(run, eswifi, "SPI_WIFI_ResetModule"):
        wire = _start(run, eswifi, peer)
    for line in ("P0=0", "PK=1,3000", "P1=0", "P8=1", f"P2={PORT}", "P5=11"):
        _command(run, wire, "ES_WIFI_StartServerSingleConn", line)
    _wait_none(run, wire)
    first = peer.connect(PORT)
    first.send(REQUEST)
    _wait_client(run, wire, first, PORT)
    _read(run, wire, REQUEST)
    second = peer.connect(PORT)  # waits in the backlog while the first is served
    second.send(REQUEST)
    _send(run, wire, PAGE, first)
    for line in ("P0=0", "P5=10"):
        _command(run, wire, "ES_WIFI_CloseServerConnection", line)
    _wait_client(run, wire, second, PORT)
    _read(run, wire, REQUEST)
    _send(run, wire, PAGE, second)
    for line in ("P0=0", "P5=10"):
        _command(run, wire, "ES_WIFI_CloseServerConnection", line)
    for line in ("P0=0", "P5=0"):
        _command(run, wire, "ES_WIFI_StopServerSingleConn", line)


@case(
    "ESWIFI-HOST-ST-02",
    "the client application: init, join; P0/P1/P2=0/P4/P3/P6=1; R0 read; S3=%04d send; R0 after the peer "
    "closed is no data; P6=0",
    kind="host-stack",
    stack="st",
    verifies=(*COMMON, *_facts("CLIENT", "RECEIVE", "SEND")),
)
def test_client(host_stack: HostStackRun, eswifi: ESWiFiSession, peer: Peer) -> None:
    run = host_stack
    with reset_stand_in(run, eswifi, "SPI_WIFI_ResetModule"):
        wire = _start(run, eswifi, peer)
    server = peer.tcp_server()
    for line in ("P0=0", "P1=0", "P2=0", f"P4={server.port}", f"P3={server.address}", "P6=1"):
        _command(run, wire, "ES_WIFI_StartClientConnection", line)
    with run.step("the peer's server accepts the connection"):
        conn = server.accept(eswifi.profile.deadlines.indication, "the module's connection reaches the peer")
    hello = b"hello ST client\r\n"
    conn.send(hello)
    _read(run, wire, hello)
    _send(run, wire, hello, conn)
    conn.close()
    _read_lost(run, wire)
    for line in ("P0=0", "P6=0"):
        _command(run, wire, "ES_WIFI_StopClientConnection", line)


@case(
    "ESWIFI-HOST-ST-03",
    "the multi-connection server of the driver's API: PK/P0/P1/P2/P8=6/P5=1/P7=1; MR+P? until the client; "
    "R0, S3; P7=2, P7=3 and MR until Accepted; R0 reads the next client; P5=0",
    kind="host-stack",
    stack="st",
    verifies=(*COMMON, *_facts("WAIT", "RECEIVE", "SEND", "CLOSE", "MULTI")),
)
def test_multi_connection_server(host_stack: HostStackRun, eswifi: ESWiFiSession, peer: Peer) -> None:
    run = host_stack
    with reset_stand_in(run, eswifi, "SPI_WIFI_ResetModule"):
        wire = _start(run, eswifi, peer)
    for line in ("PK=1,3000", "P0=0", "P1=0", f"P2={PORT}", "P8=6", "P5=1", "P7=1"):
        _command(run, wire, "ES_WIFI_StartServerMultiConn", line)
    first = peer.connect(PORT)
    first.send(b"first")
    _wait_client(run, wire, first, PORT)
    _read(run, wire, b"first")
    _send(run, wire, b"to the first", first)
    second = peer.connect(PORT)
    second.send(b"second")
    for line in ("P0=0", "P7=2", "P7=3"):
        _command(run, wire, "ES_WIFI_StopServerMultiConn", line)
    within = eswifi.profile.deadlines.indication
    deadline = time.monotonic() + within
    with run.step("ES_WIFI_StopServerMultiConn: MR until Accepted"):
        while True:
            raw = wire.exchange("MR")
            run.needs(st_ok(raw), "a reply holding \\r\\nOK\\r\\n> ", raw, function="AT_ExecuteCommand")
            if b"Accepted" in raw:
                break
            run.needs(
                time.monotonic() < deadline,
                f"an MR reply holding Accepted within {within:g} s (the driver polls without a limit)",
                show(raw),
                function="ES_WIFI_StopServerMultiConn",
            )
            wire.sleep(MR_PAUSE)
    _read(run, wire, b"second")
    _send(run, wire, b"to the second", second)
    for line in ("P0=0", "P5=0"):
        _command(run, wire, "ES_WIFI_StopServerSingleConn", line)
