"""ESWIFI-HOST-ZEPHYR: the module driven exactly as Zephyr's eswifi offload driver (SPI bus) drives it.

Zephyr (zephyrproject-rtos/zephyr, ``drivers/wifi/eswifi/``) offloads BSD sockets to the module: a
server socket is bound, listens and accepts (``P5=1`` is sent by accept, and the connection is known
only from an ``MR`` message naming the bound port); a client socket stops whatever may still run on
the module socket before it connects. Every reply goes through ``eswifi_at_cmd_rsp`` (it must begin
``\\r\\n`` and hold ``\\r\\nOK\\r\\n>`` after byte 1); an ``S3`` is sent with one byte more than its payload
and its reply is never read. The rules are in ``suites/eswifi/hosts.py``, the facts and their sources
in docs/host-stacks.md. The verdict is not a verdict on conformance to Inventek's documents.
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
    reset_stand_in,
    zephyr_accepted_port,
    zephyr_join_address,
    zephyr_message,
    zephyr_rsp,
)
from sockconf.suites.eswifi.test_station import network

PORT = ESWIFI_SEED_PORT
BACKLOG = 1
MR_PERIOD = 1.0  # s: eswifi_spi_poll_thread's MR period
READ_PERIOD = 0.1  # s: eswifi_off_read_work's period while nothing came
SEND_TAIL = b"\n"  # the byte after the payload: in the driver's buffer; here the bridge's pad (module drops it)
HEX_AT = (0, 3, 6, 9, 12, 15)  # eswifi_get_mac_addr: where it reads the six hex numbers


def _facts(*names: str) -> tuple[str, ...]:
    return tuple(f"ESWIFI-HOST-ZEPHYR-{n}" for n in names)


COMMON = _facts("RSP", "INIT", "JOIN", "SOCKET")


def _command(run: HostStackRun, wire: Wire, function: str, line: str, within: float | None = None) -> bytes:
    """One command whose reply must pass eswifi_at_cmd_rsp; its data."""
    with run.step(f"{function}: {line}"):
        raw = wire.exchange(line, within=within)
        data = zephyr_rsp(raw)
        run.needs(
            data is not None,
            "a reply beginning \\r\\n, of 9 bytes or more, holding \\r\\nOK\\r\\n> after byte 1",
            raw,
            function="eswifi_at_cmd_rsp",
        )
    assert data is not None
    return data


def _start(run: HostStackRun, eswifi: ESWiFiSession, peer: Peer) -> Wire:
    """The interface's init (Z5), the offload init (C4=1, PR=0) and the join (C1, C2, C3, C0)."""
    wire = Wire(run, eswifi)
    ssid, passphrase, security = network(eswifi)
    data = _command(run, wire, "eswifi_get_mac_addr", "Z5")
    with run.step("eswifi_get_mac_addr: six hex numbers"):
        text = data.decode("ascii", "replace")
        ok = len(text) >= 16 and all(re.fullmatch(r"[0-9A-Fa-f]{2}", text[i : i + 2]) for i in HEX_AT)
        need = "16 characters or more: six hex numbers at offsets 0, 3, 6, 9, 12 and 15"
        run.needs(ok, need, data, function="eswifi_get_mac_addr")
    with run.step("eswifi_offload_init: C4=1, PR=0 (their replies are not judged)"):
        wire.exchange("C4=1")
        wire.exchange("PR=0")
    for line in (f"C1={ssid}", f"C2={passphrase}", f"C3={security}"):
        _command(run, wire, "eswifi_connect", line)
    data = _command(run, wire, "eswifi_connect", "C0", within=eswifi.profile.deadlines.join)
    with run.step("eswifi_connect: the address in C0's data"):
        got = zephyr_join_address(data, ssid)
        run.needs(
            got == peer.dut_host,
            f"C0's data to hold the SSID {ssid!r}, one separator and the module's address {peer.dut_host} "
            "(else the interface gets no address)",
            data,
            function="eswifi_connect",
        )
    return wire


def _accept(run: HostStackRun, wire: Wire, client: TcpClient, bound: int) -> None:
    """eswifi_spi_poll_thread's MR until a message accepts the connection on the socket bound to ``bound``."""
    within = wire.eswifi.profile.deadlines.indication
    period = min(MR_PERIOD, within / 4)
    deadline = time.monotonic() + within
    seen: list[str] = []
    with run.step("eswifi_spi_poll_thread: MR until [TCP SVR] Accepted <ip>:<bound port>"):
        while True:
            raw = wire.exchange("MR")
            data = zephyr_rsp(raw)
            run.needs(data is not None, "an MR reply that passes its reply test", raw, function="eswifi_at_cmd_rsp")
            assert data is not None
            message = zephyr_message(data)
            # Data that does not begin [SOMA] is logged as malformed and ignored (eswifi_spi_read_msg).
            if message:
                seen.append(message)
                got = zephyr_accepted_port(message)
                if got is not None and got[1] == bound:
                    run.needs(
                        got[0] == client.local[0],
                        f"the client's address {client.local[0]} in the Accepted message",
                        message,
                        function="eswifi_offload_async_msg",
                    )
                    return
            run.needs(
                time.monotonic() < deadline,
                f"an Accepted message naming the bound port {bound} within {within:g} s (a message naming another "
                "port matches no socket and is dropped)",
                "; ".join(seen) or "no message",
                function="eswifi_offload_async_msg",
            )
            wire.sleep(period)


def _read(run: HostStackRun, wire: Wire, expected: bytes) -> None:
    """eswifi_off_read_work: P0, R1=1460, R2=30, R0 every 100 ms until data; it must be ``expected``."""
    within = wire.eswifi.profile.deadlines.indication
    deadline = time.monotonic() + within
    got = b""
    while True:
        for line in ("P0=0", "R1=1460", "R2=30"):
            _command(run, wire, "__read_data", line)
        with run.step("__read_data: R0"):
            raw = wire.exchange("R0")
            data = zephyr_rsp(raw)
            run.needs(
                data is not None,
                "a reply that passes eswifi_at_cmd_rsp (else the socket is stopped and reads end of file)",
                raw,
                function="eswifi_at_cmd_rsp",
            )
            assert data is not None
            got += data
            if len(got) >= len(expected):
                run.needs(got == expected, f"the peer's {len(expected)} byte(s) {expected[:40]!r}", got)
                return
            run.needs(time.monotonic() < deadline, f"the peer's bytes within {within:g} s", got)
        wire.sleep(READ_PERIOD)


def _read_lost(run: HostStackRun, wire: Wire, stop: str) -> None:
    """After the peer closed: R0 fails the reply test, and the driver stops the socket (``stop``)."""
    within = wire.eswifi.profile.deadlines.indication
    deadline = time.monotonic() + within
    while True:
        for line in ("P0=0", "R1=1460", "R2=30"):
            _command(run, wire, "__read_data", line)
        with run.step("__read_data: R0 after the peer closed"):
            raw = wire.exchange("R0")
            data = zephyr_rsp(raw)
            if data is None:
                break
            run.needs(
                not data,
                "a reply without OK once the peer has closed (with OK its data goes to the application)",
                raw,
                function="eswifi_at_cmd_rsp",
            )
            run.needs(time.monotonic() < deadline, f"the connection's end within {within:g} s", raw)
        wire.sleep(READ_PERIOD)
    _command(run, wire, "__stop_socket", stop)


def _send(run: HostStackRun, wire: Wire, data: bytes, to: TcpClient) -> None:
    """__eswifi_off_send_pkt: P0, then S3=<n> with the payload and one byte more; its reply is not read."""
    _command(run, wire, "eswifi_socket_send", "P0=0")
    with run.step(f"eswifi_socket_send: S3={len(data)} (reply not read)"):
        wire.exchange(f"S3={len(data)}", data + SEND_TAIL)
    with run.step("the peer receives exactly what eswifi_socket_send sent"):
        got = to.recv_exactly(len(data), wire.eswifi.profile.deadlines.indication, "the peer receives S3's payload")
        run.needs(got == data, f"the {len(data)} byte(s) sent", got)


@case(
    "ESWIFI-HOST-ZEPHYR-01",
    "a server socket: Z5, C4=1, PR=0, join (the address from C0's data); P0/P1, P2 (bind), P8 (listen), P5=1 "
    "(accept); MR until Accepted names the bound port; R0 polling; S3 with one byte more; P0, P0, P5=0",
    kind="host-stack",
    stack="zephyr",
    verifies=(*COMMON, *_facts("MR", "READ", "SEND", "CLOSE")),
)
def test_server_socket(host_stack: HostStackRun, eswifi: ESWiFiSession, peer: Peer) -> None:
    run = host_stack
    with reset_stand_in(run, eswifi, "eswifi_reset"):
        wire = _start(run, eswifi, peer)
    for line in ("P0=0", "P1=0"):
        _command(run, wire, "__eswifi_socket_new", line)
    for line in ("P0=0", f"P2={PORT}"):
        _command(run, wire, "__eswifi_bind", line)
    for line in ("P0=0", f"P8={BACKLOG}"):
        _command(run, wire, "__eswifi_listen", line)
    for line in ("P0=0", "P5=1"):
        _command(run, wire, "__eswifi_accept", line)
    client = peer.connect(PORT)
    _accept(run, wire, client, PORT)
    hello = b"hello Zephyr server"
    client.send(hello)
    _read(run, wire, hello)
    _send(run, wire, b"hello from the module", client)
    for line in ("P0=0", "P0=0"):
        _command(run, wire, "__eswifi_socket_free", line)
    _command(run, wire, "__stop_socket", "P5=0")


@case(
    "ESWIFI-HOST-ZEPHYR-02",
    "a client socket: Z5, C4=1, PR=0, join; P0/P1; P0, P6=0, P5=0, P2=0 (stops with nothing running, each "
    "answered OK), P3, P4, P6=1; S3 with one byte more; R0 polling; the peer's close ends it (no OK), P6=0",
    kind="host-stack",
    stack="zephyr",
    verifies=(*COMMON, *_facts("CLIENT", "READ", "SEND", "CLOSE")),
)
def test_client_socket(host_stack: HostStackRun, eswifi: ESWiFiSession, peer: Peer) -> None:
    run = host_stack
    with reset_stand_in(run, eswifi, "eswifi_reset"):
        wire = _start(run, eswifi, peer)
    for line in ("P0=0", "P1=0"):
        _command(run, wire, "__eswifi_socket_new", line)
    server = peer.tcp_server()
    for line in ("P0=0", "P6=0", "P5=0", "P2=0", f"P3={server.address}", f"P4={server.port}", "P6=1"):
        _command(run, wire, "__eswifi_off_start_client", line)
    with run.step("the peer's server accepts the connection"):
        conn = server.accept(eswifi.profile.deadlines.indication, "the module's connection reaches the peer")
    _send(run, wire, b"hello from Zephyr", conn)
    back = b"hello from the peer"
    conn.send(back)
    _read(run, wire, back)
    conn.close()
    _read_lost(run, wire, "P6=0")
    for line in ("P0=0", "P0=0"):
        _command(run, wire, "__eswifi_socket_free", line)
