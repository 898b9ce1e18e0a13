"""The ESP-AT model without sockets: command bytes and network events in, UART bytes and network actions out.
Expected wire bytes are written out by hand from the documents (docs/spec/espat-tcpip.md)."""

from __future__ import annotations

from dataclasses import replace

from sockconf.emulator import build_model
from sockconf.emulator.espat.model import EspAtModel
from sockconf.emulator.net import (
    Accepted,
    Action,
    BindResult,
    BindUdp,
    CancelTimer,
    Close,
    CloseUdp,
    Connect,
    ConnectResult,
    Datagram,
    Listen,
    ListenResult,
    NetEvent,
    PeerClosed,
    Received,
    Send,
    SendTo,
    SerialOut,
    StartTimer,
    StopListening,
    TimerFired,
)
from sockconf.protocol.espat import Final, Ipd, ResponseReader
from sockconf.protocol.profile import load_profile

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


class Harness:
    """Feeds the model and splits what it does into UART bytes, network actions and timers."""

    def __init__(self, profile: str = "esp32-at", fault: str | None = None, **overrides: object) -> None:
        loaded = load_profile(profile)
        if overrides:
            loaded = replace(loaded, device={**loaded.device, **overrides})
        self.model: EspAtModel = build_model(loaded, host_ip="10.0.0.7", fault=fault)  # type: ignore[assignment]
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

    def ready(self, mux: int = 1) -> None:
        """Echo off and the connection mode set, as every case starts."""
        assert self.send(b"ATE0\r\n") == b"ATE0\r\r\n" + OK  # echo was on: ATE0 itself comes back
        assert self.send(f"AT+CIPMUX={mux}\r\n".encode()) == OK

    def server(self, port: int = 8080, maxconn: int = 5) -> int:
        assert self.send(f"AT+CIPSERVERMAXCONN={maxconn}\r\n".encode()) == OK
        assert self.send(f"AT+CIPSERVER=1,{port}\r\n".encode()) == b""  # waits for the listener
        (listen,) = self.net_actions
        assert isinstance(listen, Listen) and listen.port == port
        assert self.net(ListenResult(listen.key)) == OK
        return listen.key

    def client(self, listener: int, host: str = "10.0.0.9", port: int = 40000) -> tuple[int, bytes]:
        self.next_key += 1
        return self.next_key, self.net(Accepted(listener, self.next_key, host, port))


# --------------------------------------------------------------------------- the documents' exchanges


def test_basic_commands() -> None:
    h = Harness()
    assert h.send(b"AT\r\n") == b"AT\r\r\n" + OK  # echo is on after power-on
    assert h.send(b"ATE0\r\n") == b"ATE0\r\r\n" + OK
    assert h.send(b"AT\r\n") == OK
    assert h.send(b"AT+GMR\r\n") == (
        b"AT version:4.1.1.0(sockconf - ESP32 - Jan  1 2025 00:00:00)\r\nSDK version:v5.0.8\r\n"
        b"compile time(sockconf):Jan  1 2025 00:00:00\r\nBin version:v4.1.1.0(WROOM-32)\r\n" + OK
    )
    assert h.send(b"AT+FAKE\r\n") == ERROR
    assert h.send(b"AT+SYSLOG=1\r\n") == OK
    assert h.send(b"AT+FAKE\r\n") == b"ERR CODE:0x01090000\r\n" + ERROR  # the Basic doc's example
    assert h.send(b"AT+CIPMUX\r\n") == b"ERR CODE:0x010c0000\r\n" + ERROR  # a known command, not this type


def test_tcp_server_example() -> None:
    """TCP-IP_AT_Examples.rst, "TCP server in multiple connections", byte for byte."""
    h = Harness()
    h.ready()
    listener = h.server()
    key, out = h.client(listener)
    assert out == b"0,CONNECT\r\n"
    assert h.net(Received(key, b"test")) == b"\r\n+IPD,0,4:test"
    assert h.send(b"AT+CIPSEND=0,4\r\n") == OK + b"\r\n>"
    assert h.send(b"test") == b"\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n"
    assert h.net_actions == [Send(key, b"test")]
    assert h.send(b"AT+CIPCLOSE=0\r\n") == b"0,CLOSED\r\n" + OK
    assert h.net_actions == [Close(key)]


def test_queries_show_information_lines_then_ok() -> None:
    h = Harness()
    h.ready()
    assert h.send(b"AT+CIPMUX?\r\n") == b"+CIPMUX:1\r\n" + OK
    assert h.send(b"AT+CIPDINFO?\r\n") == b"+CIPDINFO:false\r\n" + OK
    assert h.send(b"AT+CIPSERVERMAXCONN?\r\n") == b"+CIPSERVERMAXCONN:5\r\n" + OK
    assert h.send(b"AT+CIPSTO?\r\n") == b"+CIPSTO:180\r\n" + OK
    assert h.send(b"AT+CIPSTATE?\r\n") == OK
    assert h.send(b"AT+CIPSERVER?\r\n") == b"+CIPSERVER:0\r\n" + OK
    assert h.send(b"AT+CWJAP?\r\n") == b'+CWJAP:"sockconf","02:00:00:00:00:01",6,-45,0,1,3,0,1\r\n' + OK
    assert h.send(b"AT+CIPSTA?\r\n") == (
        b'+CIPSTA:ip:"10.0.0.7"\r\n+CIPSTA:gateway:"127.0.0.1"\r\n+CIPSTA:netmask:"255.0.0.0"\r\n' + OK
    )


def test_cipmux_rules() -> None:
    h = Harness()
    h.ready()
    h.server()
    assert h.send(b"AT+CIPMUX=0\r\n") == ERROR  # a server runs
    assert h.send(b"AT+CIPSERVER=0\r\n") == OK
    assert h.send(b"AT+CIPMUX=0\r\n") == OK
    assert h.send(b"AT+CIPMODE=1\r\n") == OK
    assert h.send(b"AT+CIPMUX=1\r\n") == ERROR  # needs the normal transmission mode
    assert h.send(b"AT+CIPSERVER=1,8080\r\n") == ERROR  # a server needs multiple connections


def test_server_delete_keeps_or_closes_clients() -> None:
    h = Harness()
    h.ready()
    listener = h.server()
    a, _ = h.client(listener)
    b, _ = h.client(listener, port=40001)
    assert h.send(b"AT+CIPSERVER=0\r\n") == OK
    assert h.net_actions == [StopListening(listener)]
    assert h.send(b"AT+CIPSERVER=0\r\n") == b"no change\r\n" + OK
    h.server(port=9000)
    assert h.send(b"AT+CIPSERVER=0,1\r\n") == b"0,CLOSED\r\n1,CLOSED\r\n" + OK
    assert Close(a) in h.net_actions and Close(b) in h.net_actions


def test_link_ids_and_the_limit() -> None:
    h = Harness()
    h.ready()
    listener = h.server(maxconn=2)
    assert h.client(listener)[1] == b"0,CONNECT\r\n"
    assert h.client(listener)[1] == b"1,CONNECT\r\n"
    key, out = h.client(listener)
    assert out == b"" and h.net_actions == [Close(key)]  # beyond AT+CIPSERVERMAXCONN: closed, not reported


def test_client_link_connects_and_reports_its_local_port() -> None:
    h = Harness()
    h.ready()
    assert h.send(b'AT+CIPSTART=3,"TCP","10.0.0.2",80\r\n') == b""
    (connect,) = h.net_actions
    assert connect == Connect(connect.key, "10.0.0.2", 80)  # type: ignore[union-attr]
    assert h.send(b"AT\r\n") == b"busy p...\r\n"  # the command is still running
    assert h.net(ConnectResult(connect.key, local_port=51000)) == b"3,CONNECT\r\n" + OK  # type: ignore[union-attr]
    assert h.send(b"AT+CIPSTATE?\r\n") == b'+CIPSTATE:3,"TCP","10.0.0.2",80,51000,0\r\n' + OK
    assert h.send(b'AT+CIPSTART=3,"TCP","10.0.0.2",80\r\n') == b"ALREADY CONNECTED\r\n" + ERROR
    assert h.send(b'AT+CIPSTART=5,"TCP","10.0.0.2",80\r\n') == ERROR
    assert h.send(b'AT+CIPSTART=2,TCP,"10.0.0.2",80\r\n') == ERROR  # the type is a string: quoted


def test_refused_connection_and_timeout() -> None:
    h = Harness()
    h.ready()
    h.send(b'AT+CIPSTART=0,"TCP","10.0.0.2",81\r\n')
    (connect,) = h.net_actions
    assert h.net(ConnectResult(connect.key, "refused")) == ERROR  # type: ignore[union-attr]
    h.send(b'AT+CIPSTART=0,"TCP","10.0.0.2",81,,,300\r\n')
    (connect,) = h.net_actions
    assert StartTimer("cipstart-timeout", 0.3) in h.timers
    assert h.net(TimerFired("cipstart-timeout")) == ERROR
    h.net(ConnectResult(connect.key, local_port=5))  # type: ignore[union-attr]
    assert h.net_actions == [Close(connect.key)]  # type: ignore[union-attr]  # too late: closed


def test_single_connection_forms() -> None:
    h = Harness()
    h.ready(mux=0)
    h.send(b'AT+CIPSTART="TCP","10.0.0.2",80\r\n')
    (connect,) = h.net_actions
    assert h.net(ConnectResult(connect.key, local_port=4)) == b"CONNECT\r\n" + OK  # type: ignore[union-attr]
    assert h.net(Received(connect.key, b"test")) == b"\r\n+IPD,4:test"  # type: ignore[union-attr]
    assert h.send(b"AT+CIPDINFO=1\r\n") == OK
    assert h.net(Received(connect.key, b"x")) == b'\r\n+IPD,1,"10.0.0.2",80:x'  # type: ignore[union-attr]
    assert h.send(b"AT+CIPSEND=4\r\n") == OK + b"\r\n>"
    assert h.send(b"test") == b"\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n"
    assert h.send(b"AT+CIPCLOSE\r\n") == b"CLOSED\r\n" + OK


def test_send_limits_and_surplus() -> None:
    h = Harness()
    h.ready()
    listener = h.server()
    key, _ = h.client(listener)
    assert h.send(b"AT+CIPSEND=0,8193\r\n") == ERROR
    assert h.send(b"AT+CIPSEND=1,4\r\n") == ERROR  # link 1 is not open
    assert h.send(b"AT+CIPSEND=0,8192\r\n") == OK + b"\r\n>"
    assert h.send(b"x" * 8192) == b"\r\nRecv 8192 bytes\r\n\r\nSEND OK\r\n"
    assert h.send(b"AT+CIPSEND=0,2\r\n") == OK + b"\r\n>"
    assert h.send(b"okzz\r\n") == b"busy p...\r\n\r\nRecv 2 bytes\r\n\r\nSEND OK\r\n"
    assert h.net_actions == [Send(key, b"ok")]
    small = Harness("esp8266-at")
    small.ready()
    small.server()
    assert small.send(b"AT+CIPSEND=0,2049\r\n") == ERROR


def test_sendex_ends_at_backslash_zero() -> None:
    h = Harness()
    h.ready()
    listener = h.server()
    key, _ = h.client(listener)
    assert h.send(b"AT+CIPSENDEX=0,100\r\n") == OK + b"\r\n>"
    assert h.send(b"a\\bc\\0") == b"\r\nRecv 3 bytes\r\n\r\nSEND OK\r\n"
    assert h.net_actions == [Send(key, b"abc")]


def test_peer_close_and_cipclose_all() -> None:
    h = Harness()
    h.ready()
    listener = h.server()
    a, _ = h.client(listener)
    b, _ = h.client(listener, port=40001)
    assert h.net(PeerClosed(a)) == b"0,CLOSED\r\n"
    assert h.send(b"AT+CIPCLOSE=0\r\n") == ERROR  # no longer open
    assert h.send(b"AT+CIPCLOSE=5\r\n") == b"1,CLOSED\r\n" + OK
    assert Close(b) in h.net_actions


def test_passive_receive() -> None:
    h = Harness()
    h.ready()
    listener = h.server()
    key, _ = h.client(listener)
    assert h.send(b"AT+CIPRECVDATA=0,10\r\n") == ERROR  # active mode
    assert h.send(b"AT+CIPRECVTYPE=0,1\r\n") == OK
    assert h.send(b"AT+CIPRECVDATA=0,10\r\n") == ERROR  # nothing to read
    assert h.net(Received(key, b"abcdef")) == b"\r\n+IPD,0,6\r\n"
    assert h.net(Received(key, b"gh")) == b""  # not read yet: no second notice
    assert h.send(b"AT+CIPRECVLEN?\r\n") == b"+CIPRECVLEN:8,-1,-1,-1,-1\r\n" + OK
    assert h.send(b"AT+CIPRECVDATA=0,3\r\n") == b"+CIPRECVDATA:3,abc" + OK + b"\r\n+IPD,0,5\r\n"
    assert h.net(PeerClosed(key)) == b""  # data wait: CLOSED once they are read
    assert h.send(b"AT+CIPRECVDATA=0,100\r\n") == b"+CIPRECVDATA:5,defgh" + OK + b"0,CLOSED\r\n"
    assert (
        h.send(b"AT+CIPRECVTYPE?\r\n")
        == b"".join(f"+CIPRECVTYPE:{i},{int(i == 0)}\r\n".encode() for i in range(5)) + OK
    )


def test_passive_receive_with_the_old_name_on_esp8266() -> None:
    h = Harness("esp8266-at")
    h.ready()
    assert h.send(b"AT+CIPRECVTYPE=5,1\r\n") == ERROR  # no such command before v3.3
    assert h.send(b"AT+CIPRECVMODE=1\r\n") == OK
    assert h.send(b"AT+CIPRECVMODE?\r\n") == b"+CIPRECVMODE:1\r\n" + OK
    listener = h.server()
    key, _ = h.client(listener)
    assert h.net(Received(key, b"hi")) == b"\r\n+IPD,0,2\r\n"


def test_udp_link_modes() -> None:
    h = Harness()
    h.ready()
    assert h.send(b'AT+CIPSTART=4,"UDP","10.0.0.2",8080,1112,2\r\n') == b""
    (bind,) = h.net_actions
    assert bind == BindUdp(bind.key, 1112)  # type: ignore[union-attr]
    assert h.net(BindResult(bind.key, local_port=1112)) == b"4,CONNECT\r\n" + OK  # type: ignore[union-attr]
    assert h.net(Datagram(bind.key, "10.0.0.3", 7, b"test")) == b"\r\n+IPD,4,4:test"  # type: ignore[union-attr]
    h.send(b"AT+CIPSEND=4,2\r\n")
    h.send(b"hi")
    assert h.net_actions == [SendTo(bind.key, "10.0.0.3", 7, b"hi")]  # type: ignore[union-attr]  # mode 2: the sender
    h.send(b'AT+CIPSEND=4,2,"10.0.0.5",9\r\n')
    h.send(b"yo")
    assert h.net_actions == [SendTo(bind.key, "10.0.0.5", 9, b"yo")]  # type: ignore[union-attr]
    assert h.send(b"AT+CIPCLOSE=4\r\n") == b"4,CLOSED\r\n" + OK
    assert h.net_actions == [CloseUdp(bind.key)]  # type: ignore[union-attr]


def test_server_timeout_closes_an_idle_client() -> None:
    h = Harness()
    h.ready()
    assert h.send(b"AT+CIPSTO=1\r\n") == OK
    listener = h.server()
    key, _ = h.client(listener)
    assert StartTimer("sto-0", 1.0) in h.timers
    h.net(Received(key, b"."))
    assert StartTimer("sto-0", 1.0) in h.timers  # traffic restarts it
    assert h.net(TimerFired("sto-0")) == b"0,CLOSED\r\n"
    assert h.net_actions == [Close(key)]


def test_restart_says_ready_and_restores_the_defaults() -> None:
    h = Harness()
    h.ready()
    assert h.send(b"AT+RST\r\n") == OK
    assert StartTimer("ready", 0.02) in h.timers  # the profile's boot_seconds
    assert h.send(b"AT\r\n") == b""  # restarting: input is lost
    assert h.net(TimerFired("ready")) == b"\r\nready\r\n"
    assert h.net(TimerFired("rejoin")) == b"WIFI CONNECTED\r\nWIFI GOT IP\r\n"
    assert h.send(b"AT+CIPMUX?\r\n") == b"AT+CIPMUX?\r\r\n+CIPMUX:0\r\n" + OK  # echo on, single connection


def test_no_ap_state_is_refused_until_it_joins() -> None:
    from sockconf.emulator import build_model as build

    model = build(load_profile("esp32-at"), host_ip="10.0.0.7", state="no-ap", ready_after=5)
    timers = [a for a in model.power_on() if isinstance(a, StartTimer)]
    assert timers and timers[0].seconds == 5
    out = b"".join(a.data for a in model.serial_in(b"ATE0\r\nAT+CWJAP?\r\n") if isinstance(a, SerialOut))
    assert out.endswith(b"No AP\r\n" + OK)
    out = b"".join(a.data for a in model.serial_in(b"AT+CIPSTA?\r\n") if isinstance(a, SerialOut))
    assert b'+CIPSTA:ip:"0.0.0.0"' in out
    out = b"".join(a.data for a in model.net_in(TimerFired(timers[0].key)) if isinstance(a, SerialOut))
    assert out == b"WIFI CONNECTED\r\nWIFI GOT IP\r\n"


def test_every_reply_reads_back_with_the_codec() -> None:
    h = Harness()
    reader = ResponseReader()
    wire = b""
    for text in (b"AT", b"ATE0", b"AT+GMR", b"AT+CIPMUX=1", b"AT+CIFSR", b"AT+CIPSTATE?", b"AT+FAKE", b"AT+CWMODE?"):
        wire += h.send(text + b"\r\n")
    events = reader.feed(wire) + reader.flush()
    assert sum(isinstance(e, Final) for e in events) == 8
    assert b"".join(e.raw for e in events) == wire


def test_ipd_chunks_a_burst() -> None:
    h = Harness()
    h.ready()
    key, _ = h.client(h.server())
    reader = ResponseReader()
    events = reader.feed(h.net(Received(key, bytes(6000))))
    assert [e.length for e in events if isinstance(e, Ipd)] == [2920, 2920, 160]
