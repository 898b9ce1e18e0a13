"""The eS-WiFi model without sockets: command bytes and network events in, UART bytes and network
actions out (spec §1-§3). Expected wire bytes are written out by hand from the spec and the seed.

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from sockconf.emulator import build_model, fault_names
from sockconf.emulator.eswifi import FAULTS
from sockconf.emulator.eswifi.core import S3_PAYLOAD_TIMEOUT
from sockconf.emulator.eswifi.model import ESWiFiModel
from sockconf.emulator.net import (
    Accepted,
    Action,
    CancelTimer,
    Close,
    Listen,
    ListenResult,
    NetEvent,
    PeerClosed,
    Received,
    Send,
    SerialOut,
    StartTimer,
    StopListening,
    TimerFired,
)
from sockconf.protocol.eswifi import ErrorReply, Reply, ReplyReader
from sockconf.protocol.profile import load_profile

OK = b"\r\n\r\nOK\r\n> "
SETUP = b"\r\n[TCP TSK] Multi-Accept Setup\r\n[TCP SVR] Waiting on connection ...\r\nOK\r\n> "
WAITING = b"\r\n[TCP SVR] Waiting on connection ...\r\nOK\r\n> "
KILLED = b"\r\n[TCP TSK] Killed\r\nOK\r\n> "
LOST = b"\r\n-1\r\nOK\r\n> "


def ok(data: bytes) -> bytes:
    return b"\r\n" + data + b"\r\nOK\r\n> "


def accepted(host: str, port: int) -> bytes:
    return f"[TCP SVR] Accepted {host}:{port}\r\n".encode()


class Harness:
    """Feeds the model and splits what it does into UART bytes and network actions."""

    def __init__(self, fault: str | None = None, **overrides: object) -> None:
        profile = load_profile("ism43362")
        if overrides:
            profile = replace(profile, device={**profile.device, **overrides})
        self.model: ESWiFiModel = build_model(profile, host_ip="10.0.0.7", fault=fault)
        self.net_actions: list[Action] = []
        self.timers: list[Action] = []
        self.next_key = 100

    def _split(self, actions: list[Action]) -> bytes:
        self.net_actions = [a for a in actions if not isinstance(a, SerialOut | StartTimer | CancelTimer)]
        self.timers = [a for a in actions if isinstance(a, StartTimer | CancelTimer)]
        return b"".join(a.data for a in actions if isinstance(a, SerialOut))

    def send(self, data: bytes) -> bytes:
        return self._split(self.model.serial_in(data))

    def net(self, event: NetEvent) -> bytes:
        return self._split(self.model.net_in(event))

    def server(self, mode: int = 11, port: int = 5024, backlog: int = 6, socket: int = 0) -> int:
        """Configure and start a server; the listener key."""
        assert self.send(f"P0={socket}\rPK=1,3000\rP1=0\rP2={port}\rP8={backlog}\r".encode()) == OK * 5
        assert self.send(f"P5={mode}\r".encode()) == b""  # waits for the listener
        (listen,) = self.net_actions
        assert isinstance(listen, Listen) and listen.port == port
        assert self.net(ListenResult(listen.key)) == (SETUP if mode == 11 else OK)
        return listen.key

    def connect(self, listener: int, host: str = "10.0.0.9", port: int = 40000) -> tuple[int, bytes]:
        self.next_key += 1
        return self.next_key, self.net(Accepted(listener, self.next_key, host, port))


# --------------------------------------------------------------------------- the seed's exchange


def test_seed_exchange_byte_for_byte():
    h = Harness()
    assert h.send(b"PK=1,3000\r") == OK
    assert h.send(b"P1=0\r") == OK
    assert h.send(b"P2=5024\r") == OK
    assert h.send(b"P8=6\r") == OK
    assert h.send(b"P5=11\r") == b""
    (listen,) = h.net_actions
    assert listen == Listen(listen.key, 5024, backlog=7, keepalive_ms=3000)  # PK=1,3000
    assert h.net(ListenResult(listen.key)) == SETUP
    assert h.net(Accepted(listen.key, 7, "192.168.10.100", 34489)) == accepted("192.168.10.100", 34489)
    assert h.net(Received(7, b"Data from 192.168.10.100")) == b""
    assert h.send(b"R0\r") == ok(b"Data from 192.168.10.100")
    assert h.send(b"S3=1\r1") == ok(b"1")
    assert h.net_actions == [Send(7, b"1")]
    h.net(Accepted(listen.key, 8, "192.168.10.100", 34504))
    h.net(Received(8, b"Data from 192.168.10.100"))
    assert h.send(b"P5=10\r") == WAITING + accepted("192.168.10.100", 34504)
    assert h.net_actions == [Close(7)]
    assert h.send(b"R0\r") == ok(b"Data from 192.168.10.100")
    assert h.send(b"S3=1\r2") == ok(b"1")
    assert h.net_actions == [Send(8, b"2")]
    assert h.send(b"P5=0\r") == KILLED
    assert h.net_actions == [Close(8), StopListening(listen.key)]


def test_every_reply_reads_back_with_the_codec():
    h = Harness()
    reader = ReplyReader()
    wire = b""
    for line in (b"P0\r", b"P?\r", b"CS\r", b"MR\r", b"I?\r", b"R1\r", b"PK\r", b"P0=7\r", b"R0\r"):
        reader.command_sent()
        wire += h.send(line)
    events = reader.feed(wire)
    assert [type(e) for e in events] == [Reply] * 7 + [ErrorReply, Reply]
    assert events[0].data == b"0"
    assert events[1].data == b"0,10.0.0.7,0,0.0.0.0,0,0,0,6,0,0"
    assert events[2].data == b"1"
    assert events[3].data == b"[SOMA][EOMA]"
    assert events[5].data == b"1460"
    assert events[6].data == b"0,0"
    assert events[8].lost  # R0 with no server on the socket


# --------------------------------------------------------------------------- sockets and servers


@pytest.mark.parametrize(
    ("pk", "expected"), [(b"PK=1,3000\r", 3000), (b"PK=1,500\r", 500), (b"PK=0,3000\r", 0), (b"", 0)]
)
def test_keepalive_setting_reaches_the_listener(pk, expected):
    """PK decides whether the clients a server accepts get keep-alive probes (the runner sets them)."""
    h = Harness()
    assert h.send(pk + b"P1=0\rP2=5024\r") == OK * (3 if pk else 2)
    h.send(b"P5=11\r")
    (listen,) = h.net_actions
    assert isinstance(listen, Listen) and listen.keepalive_ms == expected


def test_client_lost_to_keepalive_reads_as_lost():
    """The runner reports a peer whose keep-alive probes went unanswered as PeerClosed (no RST)."""
    h = Harness()
    listener = h.server(mode=1)
    key, _ = h.connect(listener)
    h.net(PeerClosed(key, reset=False))
    assert h.send(b"R0\r") == LOST


def test_each_socket_keeps_its_own_settings():
    h = Harness()
    h.send(b"P0=0\rP1=0\rP2=5024\rP8=2\rPK=1,3000\r")
    h.send(b"P0=3\rP1=1\rP2=6000\rP8=5\rPK=0,0\r")
    assert h.send(b"P0=0\rP?\r") == OK + ok(b"0,10.0.0.7,5024,0.0.0.0,0,0,0,2,0,0")
    assert h.send(b"PK\r") == ok(b"1,3000")
    assert h.send(b"P0=3\rP?\r") == OK + ok(b"1,10.0.0.7,6000,0.0.0.0,0,0,0,5,0,0")
    assert h.send(b"PK\r") == ok(b"0,0")


def test_two_servers_at_once_read_and_write_their_own_clients():
    h = Harness()
    a = h.server(port=5024, socket=0)
    b = h.server(port=5025, socket=1)
    assert a != b
    ka, _ = h.connect(a, port=1111)
    kb, _ = h.connect(b, port=2222)
    h.net(Received(ka, b"for 0"))
    h.net(Received(kb, b"for 1"))
    assert h.send(b"R0\r") == ok(b"for 1")  # socket 1 is selected
    assert h.send(b"P0=0\rR0\r") == OK + ok(b"for 0")
    h.send(b"S3=2\rhi")
    assert h.net_actions == [Send(ka, b"hi")]
    assert h.send(b"P5=0\r") == KILLED
    assert h.net_actions == [Close(ka), StopListening(a)]
    assert h.send(b"P0=1\rP?\r") == OK + ok(b"0,10.0.0.7,5025,10.0.0.9,2222,1,0,6,1,0")


def test_multi_accept_serves_in_arrival_order_and_buffers_waiting_clients():
    h = Harness()
    listener = h.server(backlog=6)
    keys = []
    for n in range(7):
        key, out = h.connect(listener, port=40000 + n)
        assert out == (accepted("10.0.0.9", 40000) if n == 0 else b"")  # only the first is current
        h.net(Received(key, f"client {n}".encode()))
        keys.append(key)
    for n, key in enumerate(keys):
        assert h.send(b"R0\r") == ok(f"client {n}".encode())
        assert h.send(b"R0\r") == OK  # nothing more waits
        nxt = accepted("10.0.0.9", 40000 + n + 1) if n < 6 else b""
        assert h.send(b"P5=10\r") == WAITING + nxt
        assert h.net_actions == [Close(key)]
    assert h.send(b"R0\r") == OK  # waiting on a connection


def test_a_client_beyond_the_backlog_is_closed_at_once():
    h = Harness()
    listener = h.server(backlog=1)
    h.connect(listener, port=1)
    h.connect(listener, port=2)
    assert h.net_actions == []
    key, out = h.connect(listener, port=3)
    assert out == b"" and h.net_actions == [Close(key)]


def test_next_client_arriving_later_is_announced_when_it_connects():
    h = Harness()
    listener = h.server()
    first, _ = h.connect(listener, port=1)
    assert h.send(b"P5=10\r") == WAITING
    assert h.net_actions == [Close(first)]
    _, out = h.connect(listener, port=2)
    assert out == accepted("10.0.0.9", 2)


def test_stop_closes_listener_current_and_waiting_clients():
    h = Harness()
    listener = h.server()
    k1, _ = h.connect(listener, port=1)
    k2, _ = h.connect(listener, port=2)
    assert h.send(b"P5=0\r") == KILLED
    assert h.net_actions == [Close(k1), Close(k2), StopListening(listener)]
    assert h.send(b"P5=0\r") == OK  # nothing running any more: no Killed
    assert h.net_actions == []
    assert h.net(Accepted(listener, 99, "10.0.0.9", 5)) == b""  # a late connection is closed
    assert h.net_actions == [Close(99)]


def test_single_server_serves_one_client_until_stopped():
    h = Harness()
    listener = h.server(mode=1, backlog=1)
    k1, out = h.connect(listener, port=1)
    assert out == accepted("10.0.0.9", 1)
    k2, out = h.connect(listener, port=2)
    assert out == b""
    h.net(Received(k2, b"later"))
    assert h.send(b"R0\r") == OK
    assert h.send(b"P5=10\r").startswith(b"\r\nERROR: ")  # not a multi-accept server
    h.net(PeerClosed(k1))
    assert h.send(b"R0\r") == LOST  # the single server does not move on by itself
    assert h.send(b"P5=0\r") == KILLED
    assert h.net_actions == [Close(k1), Close(k2), StopListening(listener)]


def test_commands_wait_while_a_listener_is_being_opened():
    h = Harness()
    assert h.send(b"P2=5024\rP5=11\rP0\rCS\r") == OK
    (listen,) = h.net_actions
    assert h.net(ListenResult(listen.key)) == SETUP + ok(b"0") + ok(b"1")


def test_a_port_that_cannot_be_opened_is_an_error_and_the_socket_stays_idle():
    h = Harness()
    h.send(b"P2=80\rP5=1\r")
    (listen,) = h.net_actions
    assert h.net(ListenResult(listen.key, "Permission denied")).startswith(b"\r\nERROR: ")
    assert h.send(b"R0\r") == LOST
    assert h.send(b"P5=0\r") == OK


# --------------------------------------------------------------------------- R0 and S3


def test_r0_returns_at_most_r1_bytes_and_keeps_the_rest():
    h = Harness()
    listener = h.server()
    key, _ = h.connect(listener)
    assert h.send(b"R1=4\r") == OK
    h.net(Received(key, b"0123456789"))
    assert [h.send(b"R0\r") for _ in range(4)] == [ok(b"0123"), ok(b"4567"), ok(b"89"), OK]


def test_r0_returns_buffered_bytes_after_the_client_left_then_minus_one():
    h = Harness()
    listener = h.server()
    key, _ = h.connect(listener)
    h.net(Received(key, b"last"))
    h.net(PeerClosed(key))
    assert h.send(b"R0\r") == ok(b"last")
    assert h.send(b"R0\r") == LOST
    assert h.send(b"R0\r") == LOST
    assert h.send(b"S3=1\rx") == LOST
    assert h.net_actions == []


def test_lost_reply_without_ok_when_the_profile_says_so():
    h = Harness(lost_reply_ok=False)
    listener = h.server()
    key, _ = h.connect(listener)
    h.net(PeerClosed(key))
    assert h.send(b"R0\r") == b"\r\n-1\r\n> "


def test_s3_is_binary_safe():
    h = Harness()
    listener = h.server()
    key, _ = h.connect(listener)
    payload = bytes(range(256)) * 5 + b"\r\nOK\r\n> "
    assert h.send(b"S3=%d\r" % len(payload) + payload) == ok(b"%d" % len(payload))
    assert h.net_actions == [Send(key, payload)]


def test_s3_payload_cut_short_is_given_up_after_a_timeout():
    h = Harness()
    h.server()
    assert h.send(b"S3=5\rab") == b""
    assert h.timers == [StartTimer("s3-payload", S3_PAYLOAD_TIMEOUT)]
    assert h.net(TimerFired("s3-payload")).startswith(b"\r\nERROR: ")
    assert h.send(b"P0\r") == ok(b"0")


def test_s3_payload_arriving_in_pieces_cancels_the_timer():
    h = Harness()
    listener = h.server()
    key, _ = h.connect(listener)
    h.send(b"S3=3\ra")
    assert h.send(b"bc") == ok(b"3")
    assert h.timers == [CancelTimer("s3-payload")]
    assert h.net_actions == [Send(key, b"abc")]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "line",
    [
        b"P0=4\r",
        b"P0=x\r",
        b"P1=9\r",
        b"P2=abc\r",
        b"P2=65536\r",
        b"P3=1.2.3\r",
        b"P8=7\r",
        b"P8=-1\r",
        b"P5=2\r",
        b"PK=2,3000\r",
        b"PK=1\r",
        b"R1=0\r",
        b"R1=1461\r",
        b"R2=30001\r",
        b"S3=0\r",
        b"S3=1461\r" + bytes(1461),
        b"S3=x\r",
        b"QQ\r",
        b"\r",
        b"\xff\xfe\r",
        b"P6=1\r",
    ],
)
def test_bad_input_is_answered_with_error_and_the_module_still_answers(line):
    h = Harness()
    h.send(b"P0=2\r")
    reader = ReplyReader()
    reader.command_sent()
    (event,) = reader.feed(h.send(line))
    assert isinstance(event, ErrorReply)
    assert h.net_actions == []
    assert h.send(b"P0\r") == ok(b"2")  # still answering, selection unchanged


def error_of(raw: bytes) -> tuple[str, str | None]:
    """The reason and usage line of the one error reply in ``raw``."""
    reader = ReplyReader()
    reader.command_sent()
    (event,) = reader.feed(raw)
    assert isinstance(event, ErrorReply), raw
    return event.reason, event.usage


@pytest.mark.parametrize(
    ("name", "initial", "lowest", "highest", "refused", "reason", "usage"),
    [
        ("P1", b"0", b"0", b"3", b"4", "Invalid protocol", "P1=<0/1/2/3>"),
        ("P2", b"0", b"0", b"65535", b"65536", "Invalid port", "P2=<0-65535>"),
        ("P3", b"0.0.0.0", b"0.0.0.0", b"255.255.255.255", b"256.0.0.1", "Invalid IP address", "P3=<a.b.c.d>"),
        ("P4", b"0", b"0", b"65535", b"65536", "Invalid port", "P4=<0-65535>"),
        ("P8", b"6", b"0", b"6", b"7", "Invalid backlog", "P8=<0-6>"),
        ("R1", b"1460", b"1", b"1460", b"0", "Invalid packet size", "R1=<1-1460>"),
        ("R2", b"0", b"0", b"30000", b"30001", "Invalid timeout", "R2=<0-30000>"),
        ("S2", b"0", b"0", b"30000", b"30001", "Invalid timeout", "S2=<0-30000>"),
    ],
)
def test_each_socket_setting_reads_sets_and_refuses(name, initial, lowest, highest, refused, reason, usage):
    h = Harness()
    h.send(b"P0=1\r")
    key = name.encode()
    assert h.send(key + b"\r") == ok(initial)
    for value in (lowest, highest):
        assert h.send(key + b"=" + value + b"\r") == OK
        assert h.send(key + b"\r") == ok(value)
    assert error_of(h.send(key + b"=" + refused + b"\r")) == (reason, usage)
    assert h.send(key + b"\r") == ok(highest)  # a refused value changes nothing
    assert h.send(b"P0=0\r" + key + b"\r") == OK + ok(initial)  # the setting is the selected socket's


def test_the_socket_selection_reads_sets_and_refuses():
    h = Harness()
    assert h.send(b"P0\r") == ok(b"0")
    assert h.send(b"P0=3\rP0\r") == OK + ok(b"3")
    assert error_of(h.send(b"P0=4\r")) == ("Invalid socket", "P0=<0-3>")
    assert h.send(b"P0\r") == ok(b"3")


def test_p5_on_a_running_server_is_an_error():
    h = Harness()
    h.server()
    assert h.send(b"P5=11\r").startswith(b"\r\nERROR: ")


# --------------------------------------------------------------------------- faults


def test_faults_are_registered_for_the_family():
    assert len(fault_names("eswifi")) >= 10
    assert fault_names("eswifi") == sorted(FAULTS)
    for name in fault_names("eswifi"):
        assert FAULTS[name].name == name


@pytest.mark.parametrize(
    ("fault", "commands", "clean", "broken"),
    [
        ("no-ok", b"P2=5024\r", OK, b"\r\n\r\n> "),
        ("wrong-prompt", b"R0\r", LOST, b"\r\n-1\r\nOK\r\n>"),
        ("deaf-after-error", b"QQ\rP0\r", None, None),
    ],
)
def test_reply_faults(fault, commands, clean, broken):
    if clean is None:
        assert Harness().send(commands).endswith(ok(b"0"))
        assert not Harness(fault).send(commands).endswith(ok(b"0"))
        return
    assert Harness().send(commands) == clean
    assert Harness(fault).send(commands) == broken


def test_multi_accept_no_ok_fault():
    h = Harness("multi-accept-no-ok")
    h.send(b"P2=5024\rP5=11\r")
    (listen,) = h.net_actions
    assert h.net(ListenResult(listen.key)) == SETUP.replace(b"\r\nOK\r\n> ", b"\r\n> ")


def test_server_faults():
    h = Harness("no-accepted-line")
    _, out = h.connect(h.server())
    assert out == b""

    h = Harness("accepted-port-byte-swapped")
    _, out = h.connect(h.server(port=5024), port=0x1234)
    assert out == accepted("10.0.0.9", 0x3412)

    h = Harness("next-keeps-client")
    listener = h.server()
    key, _ = h.connect(listener)
    h.send(b"P5=10\r")
    assert h.net_actions == []
    h.send(b"P5=0\r")
    assert Close(key) in h.net_actions

    h = Harness("lifo-backlog")
    listener = h.server()
    for port in (1, 2, 3):
        h.connect(listener, port=port)
    assert h.send(b"P5=10\r") == WAITING + accepted("10.0.0.9", 3)

    h = Harness("listener-left-open")
    listener = h.server()
    h.send(b"P5=0\r")
    assert StopListening(listener) not in h.net_actions


def test_data_faults():
    h = Harness("wrong-s3-count")
    h.connect(h.server())
    assert h.send(b"S3=2\rab") == ok(b"1")

    h = Harness("s3-over-limit-accepted")
    h.connect(h.server())
    assert h.send(b"S3=1461\r" + bytes(1461)) == ok(b"1461")

    h = Harness("r0-no-lost")
    key, _ = h.connect(h.server())
    h.net(PeerClosed(key))
    assert h.send(b"R0\r") == OK

    h = Harness("lost-while-connected")
    h.connect(h.server())
    assert h.send(b"R0\r") == LOST

    h = Harness("r0-loses-data")
    key, _ = h.connect(h.server())
    h.send(b"R1=2\r")
    h.net(Received(key, b"abcd"))
    assert [h.send(b"R0\r") for _ in range(2)] == [ok(b"ab"), OK]


def test_shutdown_closes_everything():
    h = Harness()
    listener = h.server()
    key, _ = h.connect(listener)
    actions = h.model.shutdown()
    assert Close(key) in actions and StopListening(listener) in actions
