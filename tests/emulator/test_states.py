"""Emulator states: a correct module that is not ready yet (not registered, transparent mode, not joined).

Driven without sockets: bytes and timer events in, UART bytes and actions out. Expected answers are
the documented ones (AI codes, 0xC0 status 22, +++ / OK in transparent mode, CS 0/1).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from sockconf.emulator import build_model, state_names
from sockconf.emulator.eswifi import STATES as ESWIFI_STATES
from sockconf.emulator.net import Action, SerialOut, StartTimer, TimerFired
from sockconf.emulator.states import StateSpec, catalogue
from sockconf.emulator.xbee import STATES as XBEE_STATES
from sockconf.protocol.eswifi import ErrorReply, Reply, ReplyReader
from sockconf.protocol.profile import load_profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import Decoder, encode
from tests.helpers import ROOT


def _uart(actions: list[Action]) -> bytes:
    return b"".join(a.data for a in actions if isinstance(a, SerialOut))


def _timers(actions: list[Action]) -> dict[str, float]:
    return {a.key: a.seconds for a in actions if isinstance(a, StartTimer)}


class XBee:
    def __init__(self, state: str | None, ready_after: float | None = None) -> None:
        self.model = build_model(load_profile("xbee3-lte-m"), host_ip="127.0.0.9", state=state, ready_after=ready_after)
        self.decoder = Decoder(1)

    def request(self, frame: fr.Frame) -> list[fr.Frame]:
        return self.frames(self.model.serial_in(encode(frame, 1)))

    def frames(self, actions: list[Action]) -> list[fr.Frame]:
        return [e for e in self.decoder.feed(_uart(actions)) if isinstance(e, fr.Frame)]

    def at(self, command: bytes) -> bytes:
        (reply,) = self.request(fr.ATCommand(1, command))
        assert isinstance(reply, fr.ATCommandResponse) and reply.command == command
        return reply.value

    def create(self) -> fr.SocketCreateResponse:
        (reply,) = self.request(fr.SocketCreate(1, 0x01))
        assert isinstance(reply, fr.SocketCreateResponse)
        return reply


def test_a_ready_xbee_answers_ai_00_and_its_address():
    xbee = XBee(None)
    assert xbee.at(b"AI") == b"\x00"
    assert xbee.at(b"MY") == bytes([127, 0, 0, 9])
    assert xbee.create().status == 0x00


def test_not_registered_xbee_answers_ai_23_no_address_and_refuses_sockets_with_22():
    xbee = XBee("not-registered")
    assert xbee.at(b"AI") == b"\x23"
    assert xbee.at(b"MY") == b"\x00\x00\x00\x00"
    reply = xbee.create()
    assert (reply.socket_id, reply.status) == (0xFF, 0x22)
    assert _timers(xbee.model.power_on()) == {}  # it never registers by itself


def test_not_registered_xbee_registers_on_its_own_timer_and_says_so():
    xbee = XBee("not-registered", ready_after=2.0)
    timers = _timers(xbee.model.power_on())
    assert list(timers.values()) == [2.0]
    assert xbee.at(b"AI") == b"\x23"
    (key,) = timers
    (status,) = xbee.frames(xbee.model.net_in(TimerFired(key)))
    assert isinstance(status, fr.ModemStatus) and status.status == 0x02  # registered
    assert xbee.at(b"AI") == b"\x00"
    assert xbee.at(b"MY") == bytes([127, 0, 0, 9])
    assert xbee.create().status == 0x00


def test_transparent_xbee_ignores_api_frames_and_answers_plus_plus_plus_after_the_guard_time():
    model = build_model(load_profile("xbee3-lte-m"), state="transparent")
    assert _uart(model.serial_in(encode(fr.ATCommand(1, b"AP"), 1))) == b""
    # The frame's bytes ended a quiet line; the guard time passes, then +++, then another guard time.
    idle = [k for k in _timers(model.serial_in(b"")) if "idle" in k]
    for key in idle:
        model.net_in(TimerFired(key))
    actions = model.serial_in(b"+++")
    assert _uart(actions) == b""  # not before the guard time after it
    timers = _timers(actions)
    assert all(seconds == 1.0 for seconds in timers.values())
    answers = b"".join(_uart(model.net_in(TimerFired(key))) for key in timers)
    assert answers == b"OK\r"
    assert _uart(model.serial_in(b"ATAP\r")) == b"0\r"
    assert _uart(model.serial_in(b"ATCN\r")) == b"OK\r"
    assert _uart(model.serial_in(b"ATAP\r")) == b""  # command mode left: data again


def test_transparent_xbee_takes_plus_plus_plus_within_data_as_data():
    model = build_model(load_profile("xbee3-lte-m"), state="transparent")
    actions = model.serial_in(b"hello+++")
    assert not [k for k in _timers(actions) if "escape" in k]
    for key in _timers(actions):
        assert _uart(model.net_in(TimerFired(key))) == b""


class ESWiFi:
    def __init__(self, state: str | None, ready_after: float | None = None) -> None:
        self.model = build_model(load_profile("ism43362"), state=state, ready_after=ready_after)

    def send(self, line: bytes) -> Reply | ErrorReply:
        reader = ReplyReader()
        reader.command_sent()
        (reply,) = reader.feed(_uart(self.model.serial_in(line)))
        assert isinstance(reply, Reply | ErrorReply)
        return reply


def test_not_joined_eswifi_answers_cs_0_and_refuses_servers():
    wifi = ESWiFi("not-joined")
    cs = wifi.send(b"CS\r")
    assert isinstance(cs, Reply) and cs.data == b"0"
    assert wifi.send(b"P?\r").data.split(b",")[1] == b"0.0.0.0"
    for mode in (b"1", b"11"):
        assert isinstance(wifi.send(b"P5=" + mode + b"\r"), ErrorReply)


def test_not_joined_eswifi_joins_on_its_own_timer():
    wifi = ESWiFi("not-joined", ready_after=1.5)
    (key,) = _timers(wifi.model.power_on())
    assert wifi.send(b"CS\r").data == b"0"
    assert _uart(wifi.model.net_in(TimerFired(key))) == b""  # no message: a host learns it from CS
    assert wifi.send(b"CS\r").data == b"1"


def test_a_joined_eswifi_answers_cs_1():
    assert ESWiFi(None).send(b"CS\r").data == b"1"


def test_state_catalogues_and_their_rules():
    assert state_names("xbee") == ["not-registered", "transparent"]
    assert state_names("eswifi") == ["not-joined"]
    assert XBEE_STATES["not-registered"].ends and not XBEE_STATES["transparent"].ends
    assert ESWIFI_STATES["not-joined"].ends
    spec = StateSpec("x", "a state", lambda after: object())
    with pytest.raises(ValueError, match="twice"):
        catalogue("fam", [spec, spec])
    with pytest.raises(ValueError, match="does not end by itself"):
        build_model(load_profile("xbee3-lte-m"), state="transparent", ready_after=1.0)
    with pytest.raises(ValueError, match="no state 'bogus'"):
        build_model(load_profile("xbee3-lte-m"), state="bogus")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockconf", "emulate", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_cli_lists_states_and_refuses_bad_ones_in_one_line():
    listed = _cli("xbee", "--list-states", "-v")
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[0].startswith("not-registered\t")
    assert "--ready-after" in listed.stdout
    for args, message in (
        (("eswifi", "--state", "bogus"), "no state 'bogus' for eswifi"),
        (("xbee", "--state", "transparent", "--ready-after", "2"), "does not end by itself"),
        (("xbee", "--ready-after", "2"), "--ready-after needs a state"),
    ):
        proc = _cli(*args)
        assert proc.returncode == 2
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
