"""The eS-WiFi model as a Wi-Fi station and as an SPI-attached module, without sockets: joining (C1-C4,
C0, CD, CS, C?), Z5, I?, the power-on cursor, messages held for MR, the bus's pad bytes, R0=, P7 and
P? field 1. Expected bytes are written out by hand from the sources named in each test (the host
drivers' parsers, Inventek's ISM4343 data sheet) and the registry's defaults.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from sockconf.emulator import build_model
from sockconf.emulator.executor import Runner, SerialLink
from sockconf.emulator.net import Close, ListenResult, PeerClosed, Received, Send
from sockconf.protocol.profile import load_profile
from tests.emulator.test_eswifi_model import KILLED, OK, SETUP, WAITING, Harness, accepted, ok

SPI = {"profile_name": "ism43362-spi"}
JOINED = b"\r\n[JOIN   ] sockconf,10.0.0.7,0,0\r\nOK\r\n> "
# C?: SSID, passphrase ('none' stands for no passphrase), security, DHCP, IP version, address, mask,
# gateway, DNS 1, DNS 2, join retries, auto-connect, two fields no host reads, status.
C_JOINED = b"sockconf,none,0,1,0,10.0.0.7,255.0.0.0,127.0.0.1,127.0.0.1,0.0.0.0,5,1,0,0,1"
EMPTY_MR = ok(b"[SOMA][EOMA]")


def joined_spi(**overrides: object) -> Harness:
    """The SPI module, joined as ST's es_wifi.c joins an open network (C1, C2 empty, C3=0, C0)."""
    h = Harness(**SPI, **overrides)
    assert h.send(b"C1=sockconf\rC2=\rC3=0\r") == OK * 3
    assert h.send(b"C0\r") == JOINED
    return h


# --------------------------------------------------------------------------- the station


def test_the_uart_module_has_joined_at_power_on():
    h = Harness()
    assert h.send(b"CS\r") == ok(b"1")
    assert h.send(b"C?\r") == ok(C_JOINED)


def test_the_spi_module_joins_the_open_network_and_leaves_it():
    h = Harness(**SPI)
    assert h.send(b"CS\r") == ok(b"0")
    assert h.send(b"C?\r") == ok(b"sockconf,none,0,1,0,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0,5,0,0,0,0")
    assert h.send(b"P2=5024\rP5=1\r").startswith(OK + b"\r\nERROR: ")  # no network, no server
    assert h.net_actions == []
    assert h.send(b"C1=sockconf\rC2=\rC3=0\rC0\r") == OK * 3 + JOINED
    assert h.send(b"CS\r") == ok(b"1")
    assert h.send(b"C?\r") == ok(b"sockconf,none,0,1,0,10.0.0.7,255.0.0.0,127.0.0.1,127.0.0.1,0.0.0.0,5,0,0,0,1")
    assert h.send(b"CD\r") == OK
    assert h.send(b"CS\r") == ok(b"0")


def test_a_secured_network_wants_its_passphrase():
    network = {"ssid": "lab", "passphrase": "secret99", "security": 3}
    h = Harness(**SPI, network=network)
    assert h.send(b"C1=lab\rC2=wrong\rC3=3\r") == OK * 3
    assert h.send(b"C0\r") == b"\r\nERROR: JOIN Failed to join lab\r\n> "
    assert h.send(b"CS\r") == ok(b"0")
    assert h.send(b"C2=secret99\rC0\r") == OK + b"\r\n[JOIN   ] lab,10.0.0.7,0,0\r\nOK\r\n> "
    assert h.send(b"C?\r").startswith(b"\r\nlab,secret99,3,1,0,10.0.0.7,")


def test_another_ssid_is_not_joined():
    h = Harness(**SPI)
    assert h.send(b"C1=elsewhere\rC0\r") == OK + b"\r\nERROR: JOIN Failed to join elsewhere\r\n> "


@pytest.mark.parametrize("line", [b"C1=\r", b"C1=" + b"x" * 33 + b"\r", b"C3=6\r", b"C3=x\r", b"C4=2\r"])
def test_bad_station_settings_are_refused(line):
    assert Harness().send(line).startswith(b"\r\nERROR: ")


def test_c0_on_a_joined_module_is_refused_or_rejoins():
    assert Harness().send(b"C0\r") == b"\r\nERROR: Already connected!\r\n> "
    assert Harness(join_when_joined="rejoin").send(b"C0\r") == JOINED


def test_the_join_reply_without_its_line():
    h = Harness(**SPI, join_reply="bare-ok")
    assert h.send(b"C0\r") == OK
    assert h.send(b"CS\r") == ok(b"1")


def test_c_field1_empty_when_the_profile_says_so():
    assert Harness(c_field1="empty").send(b"C?\r") == ok(C_JOINED.replace(b",none,", b",,"))


def test_mac_and_identity():
    assert Harness().send(b"Z5\r") == ok(b"C4:7F:51:01:12:31")
    full = b"ISM43362-M3G-L44-UART,C3.5.2.5.STM,v3.5.2,v1.4.0.rc1,v8.2.1,120000000,Inventek eS-WiFi"
    assert Harness().send(b"I?\r") == ok(full)
    assert Harness(**SPI).send(b"I?\r") == ok(full.replace(b"-UART,", b"-SPI,"))
    short = Harness(variant=("short-identity",))
    assert short.send(b"I?\r") == ok(b"ISM43362-M3G-L44-UART,C3.5.2.5.STM,Inventek eS-WiFi")


def test_not_joined_state_fails_the_join_until_ready():
    model = build_model(load_profile("ism43362-spi"), host_ip="10.0.0.7", state="not-joined", ready_after=1.0)
    out = b"".join(a.data for a in model.serial_in(b"C0\r") if hasattr(a, "data"))
    assert out.startswith(b"\r\nERROR: JOIN Failed")


# --------------------------------------------------------------------------- power on


def test_power_on_cursor_per_bus():
    # ISM4343 data sheet p.16: the SPI cursor as clocked is 15 15 0A 0D 20 3E, low byte first.
    assert build_model(load_profile("ism43362-spi")).power_on()[0].data == b"\x15\x15\r\n> "  # type: ignore[attr-defined]
    assert build_model(load_profile("ism43362")).power_on()[0].data == b"\r\n> "  # type: ignore[attr-defined]
    banner = build_model(load_profile("ism43362"), variant=["power-on-banner"]).power_on()[0]
    assert banner.data == b"\r\nInventek eS-WiFi ISM43362\r\n> "  # type: ignore[attr-defined]
    spi = build_model(load_profile("ism43362-spi"), variant=["power-on-banner"]).power_on()[0]
    assert spi.data == b"\x15\x15\r\n> "  # type: ignore[attr-defined]


def test_the_first_serial_link_gets_what_the_module_wrote_before_it():
    async def main() -> bytes:
        runner = Runner(build_model(load_profile("ism43362-spi")))
        a, b = socket.socketpair()
        loop = asyncio.get_running_loop()
        await loop.connect_accepted_socket(lambda: SerialLink(runner), a)
        b.setblocking(False)
        data = await asyncio.wait_for(loop.sock_recv(b, 64), 5.0)
        await runner.aclose()
        b.close()
        return data

    assert asyncio.run(main()) == b"\x15\x15\r\n> "


# --------------------------------------------------------------------------- messages held for MR


def test_on_spi_accepted_waits_for_mr_one_per_mr():
    h = joined_spi()
    listener = h.server(port=5024)
    assert h.send(b"MR\r") == EMPTY_MR
    _, out = h.connect(listener, host="10.0.0.9", port=40000)
    assert out == b""  # never written between replies
    h.connect(h.server(port=5025, socket=1), host="10.0.0.9", port=40001)
    assert h.send(b"MR\r") == ok(b"[SOMA][TCP SVR] Accepted 10.0.0.9:5024[EOMA]")
    assert h.send(b"MR\r") == ok(b"[SOMA][TCP SVR] Accepted 10.0.0.9:5025[EOMA]")
    assert h.send(b"MR\r") == EMPTY_MR


def test_mr_batched_and_empty_without_markers():
    h = joined_spi(mr_form="batched", mr_empty="no-markers")
    assert h.send(b"MR\r") == OK
    h.connect(h.server(port=5024), host="10.0.0.9")
    h.connect(h.server(port=5025, socket=1), host="10.0.0.9")
    expected = b"[SOMA][TCP SVR] Accepted 10.0.0.9:5024[EOMA][SOMA][TCP SVR] Accepted 10.0.0.9:5025[EOMA]"
    assert h.send(b"MR\r") == ok(expected)
    assert h.send(b"MR\r") == OK


def test_on_uart_mr_has_nothing_held():
    h = Harness()
    _, out = h.connect(h.server(), port=40000)
    assert out == accepted("10.0.0.9", 5024)
    assert h.send(b"MR\r") == EMPTY_MR


def test_a_fault_writes_messages_between_replies_on_spi():
    h = Harness("spi-unprompted-messages", **SPI)
    h.send(b"C0\r")
    _, out = h.connect(h.server(), port=40000)
    assert out == accepted("10.0.0.9", 5024)


def test_server_texts_as_messages():
    h = Harness(waiting_placement="messages")
    assert h.send(b"P2=5024\rP5=11\r") == OK
    (listen,) = h.net_actions
    assert h.net(ListenResult(listen.key)) == (
        b"[TCP TSK] Multi-Accept Setup\r\n[TCP SVR] Waiting on connection ...\r\n" + OK
    )
    assert h.send(b"P5=10\r") == b"[TCP SVR] Waiting on connection ...\r\n" + OK
    assert h.send(b"P5=0\r") == b"[TCP TSK] Killed\r\n" + OK
    spi = joined_spi(waiting_placement="messages")
    spi.send(b"P2=5024\rP5=11\r")
    (listen,) = spi.net_actions
    assert spi.net(ListenResult(listen.key)) == OK
    assert spi.send(b"MR\r") == ok(b"[SOMA][TCP TSK] Multi-Accept Setup[EOMA]")
    assert spi.send(b"MR\r") == ok(b"[SOMA][TCP SVR] Waiting on connection ...[EOMA]")


def test_server_texts_in_the_replies_by_default():
    h = joined_spi()
    h.server()
    assert h.send(b"P5=10\r") == WAITING
    assert h.send(b"P5=0\r") == KILLED
    assert h.send(b"MR\r") == EMPTY_MR
    assert SETUP.startswith(b"\r\n[TCP TSK] Multi-Accept Setup\r\n")


# --------------------------------------------------------------------------- what hosts send


def test_the_pad_after_an_odd_payload_is_dropped():
    # An SPI host pads an odd-length write with \n inside the same command phase (ISM4343 data sheet p.15).
    h = Harness()
    key, _ = h.connect(h.server())
    assert h.send(b"S3=0003\rabc\n") == ok(b"3")
    assert h.net_actions == [Send(key, b"abc")]
    assert h.send(b"P0\r\n") == ok(b"0")
    assert h.send(b"S3=1\r\n") == ok(b"1")  # a \n that is the payload is sent
    assert h.net_actions == [Send(key, b"\n")]


def test_r0_with_an_empty_parameter():
    h = Harness()
    key, _ = h.connect(h.server())
    h.net(Received(key, b"data"))
    assert h.send(b"R0=\r") == ok(b"data")  # stm32duino's form
    assert h.send(b"R0=5\r").startswith(b"\r\nERROR: ")
    assert Harness(r0_empty_param="refused").send(b"R0=\r").startswith(b"\r\nERROR: ")


# --------------------------------------------------------------------------- P? field 1


@pytest.mark.parametrize(
    ("choice", "idle", "serving"), [("client-ip", b"0.0.0.0", b"10.0.0.9"), ("own-address", b"10.0.0.7", b"10.0.0.7"),
                                    ("unset", b"0.0.0.0", b"0.0.0.0")]
)  # fmt: skip
def test_p_field1(choice, idle, serving):
    h = Harness(p_field1=choice)
    listener = h.server(mode=1, port=80)
    assert h.send(b"P?\r") == ok(b"0," + idle + b",80,0.0.0.0,0,1,0,6,0,0")
    h.connect(listener, port=40000)
    assert h.send(b"P?\r") == ok(b"0," + serving + b",80,10.0.0.9,40000,1,0,6,0,0")


# --------------------------------------------------------------------------- P7


def test_p7_accept_loop_as_st_drives_it():
    # ST's es_wifi.c: P5=1 then P7=1 to start; P7=2, P7=3, then MR until Accepted to stop.
    h = joined_spi()
    listener = h.server(mode=1, port=6000, socket=2, backlog=6)
    assert h.send(b"P7=1\r") == OK
    first, _ = h.connect(listener, port=40001)
    second, _ = h.connect(listener, port=40002)
    assert h.send(b"MR\r") == ok(b"[SOMA][TCP SVR] Accepted 10.0.0.9:6000[EOMA]")
    assert h.send(b"P?\r") == ok(b"0,10.0.0.9,6000,10.0.0.9,40001,1,0,6,1,0")  # field 8: the loop runs
    assert h.send(b"P7=2\r") == OK
    assert h.net_actions == [Close(first)]
    third, _ = h.connect(listener, port=40003)  # held until P7=3 like the second
    assert h.send(b"MR\r") == EMPTY_MR
    assert h.send(b"P7=3\r") == OK
    assert h.send(b"MR\r") == ok(b"[SOMA][TCP SVR] Accepted 10.0.0.9:6000[EOMA]")
    h.net(Received(second, b"from the second"))
    assert h.send(b"R0\r") == ok(b"from the second")
    assert h.send(b"P7=3\r") == OK  # closes the current client and takes the next
    assert h.net_actions == [Close(second)]
    h.net(PeerClosed(third))
    assert h.send(b"R0\r") == b"\r\n-1\r\n> "
    assert h.send(b"P7=0\rP7=2\r").startswith(OK + b"\r\nERROR: ")  # the loop stopped


def test_p7_needs_a_server_and_may_be_refused():
    h = Harness()
    assert h.send(b"P7=1\r").startswith(b"\r\nERROR: ")
    h.server(mode=1)
    assert h.send(b"P7=3\r").startswith(b"\r\nERROR: ")  # no loop yet
    assert h.send(b"P7=9\r").startswith(b"\r\nERROR: ")
    refused = Harness(p7="refused")
    refused.server(mode=1)
    assert refused.send(b"P7=1\r") == b"\r\nERROR: Unknown Command\r\n> "


def test_p7_on_a_multi_accept_server():
    h = Harness()
    listener = h.server(mode=11)
    first, out = h.connect(listener, port=40001)
    assert out == accepted("10.0.0.9", 5024)
    h.connect(listener, port=40002)
    assert h.send(b"P7=3\r") == OK + accepted("10.0.0.9", 5024)
    assert h.net_actions == [Close(first)]
