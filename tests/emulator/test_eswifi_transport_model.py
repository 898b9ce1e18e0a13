"""The eS-WiFi model's transport beyond the servers, without sockets: TCP client (P6), UDP server and
client, S1+S0, R0 waiting for R2, R?/S?, and the silent-point choices of the profile. Expected bytes
are written out by hand from docs/spec/eswifi-transport.md.
"""

from __future__ import annotations

from sockconf.emulator.net import (
    BindResult,
    BindUdp,
    CancelTimer,
    Close,
    CloseUdp,
    Connect,
    ConnectResult,
    Datagram,
    PeerClosed,
    Received,
    Send,
    SendTo,
    StartTimer,
    TimerFired,
)
from sockconf.protocol.eswifi import CommandReader, s0
from tests.emulator.test_eswifi_model import LOST, OK, Harness, ok

ERROR_PREFIX = b"\r\nERROR: "


def client(h: Harness, host: str = "10.0.0.9", port: int = 7000) -> int:
    """P1=0, P3, P4, P6=1 and a successful connect; the connection's key."""
    assert h.send(f"P1=0\rP3={host}\rP4={port}\r".encode()) == OK * 3
    assert h.send(b"P6=1\r") == b""  # answered once the connect is done
    (connect,) = h.net_actions
    assert isinstance(connect, Connect) and (connect.host, connect.port) == (host, port)
    assert h.net(ConnectResult(connect.key)) == OK
    return connect.key


def test_tcp_client_data_both_ways_and_close():
    h = Harness()
    key = client(h)
    assert h.send(b"S3=3\rabc") == ok(b"3")
    assert h.net_actions == [Send(key, b"abc")]
    h.net(Received(key, b"xyz"))
    assert h.send(b"R0\r") == ok(b"xyz")
    assert h.send(b"P?\r") == ok(b"0,10.0.0.9,0,10.0.0.9,7000,0,0,6,0,0")  # field 1: the connection's peer
    h.net(PeerClosed(key))
    assert h.send(b"R0\r") == LOST
    assert h.send(b"S3=1\rz") == LOST
    assert h.send(b"P6=0\r") == OK
    assert h.net_actions == [Close(key)]


def test_p6_0_without_client_is_ok_and_p6_needs_a_remote():
    h = Harness()
    assert h.send(b"P6=0\r") == OK
    assert h.send(b"P6=1\r").startswith(ERROR_PREFIX)  # no P3/P4 yet
    assert h.send(b"P6=2\r").startswith(ERROR_PREFIX)


def test_connect_refused_is_an_error_or_ok_then_lost():
    h = Harness()
    h.send(b"P3=10.0.0.9\rP4=1\r")
    h.send(b"P6=1\r")
    (connect,) = h.net_actions
    assert h.net(ConnectResult(connect.key, "refused")).startswith(ERROR_PREFIX)
    lenient = Harness(connect_refused="ok-then-lost")
    lenient.send(b"P3=10.0.0.9\rP4=1\r")
    lenient.send(b"P6=1\r")
    (connect,) = lenient.net_actions
    assert lenient.net(ConnectResult(connect.key, "refused")) == OK
    assert lenient.send(b"S3=1\rx") == LOST
    assert lenient.send(b"R0\r") == LOST


def test_commands_wait_for_the_connect():
    h = Harness()
    h.send(b"P3=10.0.0.9\rP4=7000\r")
    assert h.send(b"P6=1\rP0\r") == b""  # P0 waits behind P6=1
    (connect,) = h.net_actions
    assert h.net(ConnectResult(connect.key)) == OK + ok(b"0")


def test_udp_server_keeps_datagrams_and_shows_the_sender():
    h = Harness()
    assert h.send(b"P1=1\rP2=5030\r") == OK * 2
    assert h.send(b"P5=1\r") == b""
    (bind,) = h.net_actions
    assert bind == BindUdp(bind.key, 5030)
    assert h.net(BindResult(bind.key)) == OK
    h.net(Datagram(bind.key, "10.0.0.9", 4000, b"one"))
    h.net(Datagram(bind.key, "10.0.0.8", 4001, b"two"))
    assert h.send(b"R0\r") == ok(b"one")
    # Field 1: no TCP connection; field 6: a UDP server runs (ST's es_wifi.c names it so).
    assert h.send(b"P?\r") == ok(b"1,0.0.0.0,5030,10.0.0.9,4000,0,1,6,0,0")
    assert h.send(b"R0\r") == ok(b"two")
    assert h.send(b"P?\r") == ok(b"1,0.0.0.0,5030,10.0.0.8,4001,0,1,6,0,0")
    assert h.send(b"R0\r") == ok(b"")
    assert h.send(b"P5=0\r") == OK
    assert h.net_actions == [CloseUdp(bind.key)]


def test_udp_client_one_datagram_per_s3_and_r0_and_oversize_choices():
    for choice, second in (("truncated", b"next"), ("split", b"6789")):
        h = Harness(udp_oversize=choice)
        h.send(b"P1=1\rP2=0\rP3=10.0.0.9\rP4=4000\rR1=6\r")
        h.send(b"P6=1\r")
        (bind,) = h.net_actions
        assert h.net(BindResult(bind.key)) == OK
        assert h.send(b"S3=2\rhi") == ok(b"2")
        assert h.net_actions == [SendTo(bind.key, "10.0.0.9", 4000, b"hi")]
        h.net(Datagram(bind.key, "10.0.0.9", 4000, b"0123456789"))
        h.net(Datagram(bind.key, "10.0.0.9", 4000, b"next"))
        assert h.send(b"R0\r") == ok(b"012345")
        assert h.send(b"R0\r") == ok(second), choice


def test_s1_s0_write_and_its_reply_choices():
    for choice, reply in (("count", ok(b"4")), ("empty", OK)):
        h = Harness(s0_reply=choice)
        key = client(h)
        assert h.send(b"S1=4\r") == OK
        assert h.send(s0(b"\r\nOK")) == reply
        assert h.net_actions == [Send(key, b"\r\nOK")]
    assert Harness().send(b"S1=0\r").startswith(ERROR_PREFIX)
    assert Harness().send(b"S1=1461\r").startswith(ERROR_PREFIX)


def test_r0_waits_for_r2_until_data_or_the_timeout():
    h = Harness()
    key = client(h)
    assert h.send(b"R2=500\r") == OK
    assert h.send(b"R0\r") == b""
    assert h.timers == [StartTimer("r0-read-timeout", 0.5)]
    assert h.net(Received(key, b"late")) == ok(b"late")
    assert h.timers == [CancelTimer("r0-read-timeout")]
    assert h.send(b"R0\r") == b""
    assert h.net(TimerFired("r0-read-timeout")) == ok(b"")


def test_settings_queries():
    h = Harness()
    assert h.send(b"R1=100\rR2=30\rS1=9\rS2=250\r") == OK * 4
    assert h.send(b"R?\r") == ok(b"100,30")
    assert h.send(b"S?\r") == ok(b"9,250")
    assert h.send(b"P0=1\rR?\r") == OK + ok(b"1460,0")  # settings are per socket


def test_tls_without_certificates():
    h = Harness()
    h.send(b"P1=3\rP3=10.0.0.9\rP4=443\r")
    assert h.send(b"P6=1\r").startswith(ERROR_PREFIX)
    assert h.net_actions == []  # nothing is connected
    assert Harness(protocols=[0, 1, 2]).send(b"P1=3\r").startswith(ERROR_PREFIX)


def test_reader_takes_the_s0_payload_of_the_length_set():
    (plain,) = CommandReader().feed(b"S0\r")  # without a length S0 is a plain command
    assert (plain.name, plain.payload) == ("S0", b"")  # type: ignore[union-attr]
    reader = CommandReader()
    reader.s0_length = 3
    (event,) = reader.feed(b"S0\ra\rb")
    assert (event.name, event.payload) == ("S0", b"a\rb")  # type: ignore[union-attr]
    assert reader.feed(b"S0\rab") == []
    assert reader.awaiting_payload == 1
