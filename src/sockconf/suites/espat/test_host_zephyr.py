"""ESPAT-HOST-ZEPHYR: the module driven exactly as Zephyr's ``drivers/wifi/esp_at`` drives it (AT 2.1
command set), judged by what that driver's handlers need.

Each case is a Zephyr product: the driver's start-up commands, then one flow (start-up after a restart
with the address queries, a TCP client with active receive, a TCP client with passive receive).
``suites/espat/zephyr.py`` re-states the driver's rules (which lines its handlers take, what they
ignore, its timeouts); docs/host-stacks-espat.md lists them with their sources. The verdict says
whether such a product works with this firmware, or where it breaks: it is not a verdict on
conformance to Espressif's documents (those are the other ESPAT cases).
"""

from __future__ import annotations

import re

import pytest

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession
from sockconf.harness.hoststack import HostStackRun
from sockconf.harness.peer import Peer
from sockconf.suites.espat.exchange import pattern
from sockconf.suites.espat.zephyr import ZephyrEspAt


def _facts(*names: str) -> tuple[str, ...]:
    return tuple(f"ESPAT-HOST-ZEPHYR-{n}" for n in names)


LINES = _facts("LINES")


@pytest.fixture
def zephyr(host_stack: HostStackRun, espat: EspAtSession) -> ZephyrEspAt:
    """The driver of a product (``host_stack`` first: NOT APPLICABLE before any setup)."""
    return ZephyrEspAt(host_stack, espat)


@case(
    "ESPAT-HOST-ZEPHYR-01",
    "start-up after a restart: AT+RST and ready within 3 s, the start-up commands each answered OK, "
    "WIFI GOT IP, then AT+CIPSTA? and AT+CWJAP? answered as on_cmd_cipsta and on_cmd_cwjap read them",
    kind="host-stack",
    stack="zephyr",
    verifies=(*LINES, *_facts("RESET", "INIT", "ADDRESS")),
)
def test_start_up(zephyr: ZephyrEspAt, espat: EspAtSession) -> None:
    run = zephyr.run
    if zephyr.autoconn != "1":
        pytest.skip(
            "NOT APPLICABLE: AT+CWAUTOCONN? does not show 1, so the module would not join its access point "
            "again after a restart (Zephyr joins with AT+CWJAP, whose password the suite does not have)"
        )
    with run.step("esp_reset: AT+RST"):
        zephyr.reset()
    zephyr.start()
    with run.step("on_cmd_got_ip: WIFI GOT IP"):
        zephyr.wait_for(lambda: zephyr.got_ip, "WIFI GOT IP", espat.profile.deadlines.join, "esp.c on_cmd_got_ip")
    with run.step("esp_ip_addr_work: AT+CIPSTA? (on_cmd_cipsta)"):
        lines = zephyr.command("AT+CIPSTA?", lines=("+CIPSTA:",))
        fields = dict(line.removeprefix("+CIPSTA:").split(":", 1) for line in lines if line.count(":") >= 2)
        dotted = re.compile(r'"\d{1,3}(\.\d{1,3}){3}"')
        run.needs(
            all(dotted.fullmatch(fields.get(k, "")) for k in ("ip", "gateway", "netmask")),
            '+CIPSTA:ip:"a.b.c.d", +CIPSTA:gateway:"a.b.c.d" and +CIPSTA:netmask:"a.b.c.d" before OK',
            zephyr.wire.shown(),
        )
    with run.step("esp_mgmt_iface_status_work: AT+CWJAP? (on_cmd_cwjap)"):
        lines = zephyr.command("AT+CWJAP?", lines=("+CWJAP:",))
        run.needs(
            len(lines) == 1
            and re.match(r'\+CWJAP:".*","([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}",\d+,-?\d+', lines[0]) is not None,
            '+CWJAP:"<ssid>","<bssid>",<channel>,<rssi>... before OK',
            zephyr.wire.shown(),
        )


@case(
    "ESPAT-HOST-ZEPHYR-02",
    'TCP client, active receive: AT+CIPSTART=<lowest free>,"TCP",...,7200, AT+CIPSEND with its > and SEND OK, '
    "+IPD,<d>,<len>: with exactly <len> bytes, AT+CIPCLOSE; then the peer's close as <d>,CLOSED",
    kind="host-stack",
    stack="zephyr",
    verifies=(*LINES, *_facts("INIT", "CONNECT", "SEND", "IPD", "CLOSE")),
)
def test_tcp_client_active(zephyr: ZephyrEspAt, espat: EspAtSession, peer: Peer) -> None:
    run, within = zephyr.run, espat.profile.deadlines.indication
    zephyr.start()
    server = peer.tcp_server()
    link = zephyr.socket_for(set())
    with run.step("_sock_connect: AT+CIPSTART"):
        zephyr.connect(link, server.address, server.port)
    with run.step("the peer's server accepts the connection"):
        conn = server.accept(within, "the module's connection reaches the peer")
    out = pattern(1460)
    with run.step("esp_socket_send_one_pkt: AT+CIPSEND"):
        zephyr.send(link, out)
    with run.step("the peer receives what was sent"):
        conn.recv_exactly(len(out), within, "the peer receives every byte AT+CIPSEND took, in order")
    back = b"from the peer \r\n+IPD,1,3:OK\r\n"  # lines inside the data must stay data
    conn.send(back)
    with run.step("on_cmd_ipd: +IPD,<link>,<len>:<data>"):
        zephyr.wait_for(
            lambda: len(zephyr.received[link]) >= len(back), f"the peer's {len(back)} bytes", within, "on_cmd_ipd"
        )
        run.needs(
            bytes(zephyr.received[link]) == back,
            f"the peer's bytes {back!r} on link {link}",
            bytes(zephyr.received[link]),
        )
    with run.step("esp_socket_close: AT+CIPCLOSE"):
        zephyr.close(link)
    link = zephyr.socket_for(set())
    with run.step("_sock_connect: AT+CIPSTART (again)"):
        zephyr.connect(link, server.address, server.port)
    with run.step("the peer's server accepts the connection"):
        again = server.accept(within, "the module's connection reaches the peer")
    again.close()
    with run.step("on_cmd_closed: <link>,CLOSED"):
        zephyr.wait_for(
            lambda: link in zephyr.closed, f"{link},CLOSED after the peer closed", within, "esp.c on_cmd_closed"
        )


@case(
    "ESPAT-HOST-ZEPHYR-03",
    "TCP client, passive receive (WIFI_ESP_AT_PASSIVE_MODE): AT+CIPRECVMODE=1 at start-up, one "
    "AT+CIPRECVDATA=<link>,2048 per +IPD,<link>,<len> notice until 3000 bytes are read, each answered "
    "+CIPRECVDATA:<n>,<data> then OK",
    kind="host-stack",
    stack="zephyr",
    verifies=(*LINES, *_facts("INIT", "CONNECT", "PASSIVE", "CLOSE")),
)
def test_tcp_client_passive(zephyr: ZephyrEspAt, espat: EspAtSession, peer: Peer) -> None:
    run, within = zephyr.run, espat.profile.deadlines.indication
    zephyr.start(passive=True)
    server = peer.tcp_server()
    link = zephyr.socket_for(set())
    with run.step("_sock_connect: AT+CIPSTART"):
        zephyr.connect(link, server.address, server.port)
    with run.step("the peer's server accepts the connection"):
        conn = server.accept(within, "the module's connection reaches the peer")
    back = pattern(3000)
    conn.send(back)
    with run.step("esp_recvdata_work: AT+CIPRECVDATA per +IPD notice"):
        got = zephyr.read_passive(link, len(back))
        run.needs(got == back, f"the peer's {len(back)} bytes, in order", got[:64])
    with run.step("esp_socket_close: AT+CIPCLOSE"):
        zephyr.close(link)
