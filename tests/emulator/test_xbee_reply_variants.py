"""The XBee model's conformant variants where the documents give no count or order of replies, and the ones
that were findings before the registry: each does what its silent-point choice says, and nothing else."""

from __future__ import annotations

from sockconf.emulator import build_model
from sockconf.emulator.net import BindUdp, SendTo, SerialOut, StartTimer, TimerFired
from sockconf.protocol.profile import load_profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import encode
from sockconf.protocol.xbee.status import (
    ATCommandStatus,
    ModemStatusCode,
    Protocol,
    SocketCloseStatus,
    SocketCreateStatus,
    SocketStatusCode,
    TransmitStatusCode,
)
from tests.emulator.test_xbee_model import Harness

OK = SocketCloseStatus.SUCCESS


def variant(*names: str, profile: str = "xbee3-lte-m", fault: str | None = None) -> Harness:
    h = Harness(profile)
    h.model = build_model(load_profile(profile), fault=fault, variant=list(names))
    return h


def two_sockets(h: Harness) -> list[int]:
    return [h.send(fr.SocketCreate(fid, 1))[0].socket_id for fid in (1, 2)]


def test_close_all_is_answered_once_with_socket_ff_by_default():
    h = Harness()
    two_sockets(h)
    assert h.send(fr.SocketClose(9, 0xFF)) == [fr.SocketCloseResponse(9, 0xFF, OK)]


def test_close_all_reply_per_socket():
    h = variant("close-all-reply-per-socket")
    a, b = two_sockets(h)
    assert h.send(fr.SocketClose(9, 0xFF)) == [fr.SocketCloseResponse(9, a, OK), fr.SocketCloseResponse(9, b, OK)]
    assert h.send(fr.SocketClose(10, 0xFF)) == [fr.SocketCloseResponse(10, 0xFF, OK)]  # nothing open


def test_close_all_reply_late_goes_out_after_the_next_reply():
    h = variant("close-all-reply-late")
    two_sockets(h)
    both = encode(fr.SocketClose(9, 0xFF)) + encode(fr.ATCommand(10, b"AP"))
    assert h.frames(h.model.serial_in(both)) == [
        fr.ATCommandResponse(10, b"AP", ATCommandStatus.OK, b"\x01"),
        fr.SocketCloseResponse(9, 0xFF, OK),
    ]
    assert h.send(fr.SocketClose(11, 0xFF)) == []  # held until the module sends something else
    assert h.send(fr.ATCommand(12, b"AP"))[1] == fr.SocketCloseResponse(11, 0xFF, OK)


def test_replies_repeated_sends_each_reply_twice_and_nothing_else():
    h = variant("replies-repeated")
    reply = fr.SocketCreateResponse(1, 0, SocketCreateStatus.SUCCESS)
    assert h.send(fr.SocketCreate(1, 1)) == [reply, reply]
    assert h.send(fr.SocketSend(0, 0, b"x")) == []  # frame ID 0: no reply, so none twice


def test_host_close_reports_status_after_the_close_reply():
    h = variant("host-close-reports-status")
    sid, _ = h.listener()
    (other,) = [f.socket_id for f in h.send(fr.SocketCreate(3, 1))]
    assert h.send(fr.SocketClose(4, sid)) == [
        fr.SocketCloseResponse(4, sid, OK),
        fr.SocketStatus(sid, SocketStatusCode.LISTENER_CLOSED),
    ]
    assert h.send(fr.SocketClose(5, other))[1] == fr.SocketStatus(other, SocketStatusCode.TRANSPORT_CLOSED)
    assert h.send(fr.SocketClose(6, other)) == [fr.SocketCloseResponse(6, other, SocketCloseStatus.BAD_SOCKET_ID)]
    assert h.send(fr.SocketClose(7, 0xFF)) == [fr.SocketCloseResponse(7, 0xFF, OK)]  # a close-all: no 0xCF


def test_modem_status_unprompted_follows_ap_queries():
    h = variant("modem-status-unprompted")
    assert h.send(fr.ATCommand(1, b"AP"))[1:] == [fr.ModemStatus(ModemStatusCode.REGISTERED)]
    assert len(h.send(fr.ATCommand(2, b"VR"))) == 1


def test_bad_checksum_acted_on():
    bad = bytearray(encode(fr.SocketCreate(1, 1)))
    bad[-1] ^= 0xFF
    assert Harness().frames(Harness().model.serial_in(bytes(bad))) == []
    h = variant("bad-checksum-acted-on")
    assert [type(f) for f in h.frames(h.model.serial_in(bytes(bad)))] == [fr.SocketCreateResponse]


def test_ap1_no_idle_timeout_keeps_collecting_a_cut_frame():
    cut = b"\x7e\x01\x00\x44\x5a\x00\x00cut"
    for name, answered in ((None, True), ("ap1-no-idle-timeout", False)):
        h = variant(name) if name else Harness()
        actions = h.model.serial_in(cut + encode(fr.ATCommand(2, b"AP")))
        assert any(isinstance(a, StartTimer) and a.key == "uart-idle" for a in actions)
        assert bool(h.net(TimerFired("uart-idle"))) is answered


def test_unknown_frame_type_answered_with_its_frame_id():
    unknown = fr.UnknownFrame(0x55, b"\x5a\x01")
    assert Harness().send(unknown) == []
    assert variant("unknown-type-answered").send(unknown) == [
        fr.TransmitStatus(0x5A, TransmitStatusCode.INVALID_FRAME_VALUES)
    ]


def test_sendto_unbound_auto_binds_and_sends():
    h = variant("sendto-unbound-auto-binds")
    (created,) = h.send(fr.SocketCreate(1, 0))
    assert h.send(fr.SocketSendTo(2, created.socket_id, "127.0.0.1", 9, b"x")) == [
        fr.TransmitStatus(2, TransmitStatusCode.SUCCESS)
    ]
    bind, send = h.actions
    assert isinstance(bind, BindUdp) and bind.port == 0 and isinstance(send, SendTo) and send.key == bind.key


def test_socket_limits_lower_only_lowers_unconfirmed_figures():
    lte = variant("socket-limits-lower").model
    assert (lte.max_sockets, lte.protocol_limits[Protocol.TLS]) == (3, 1)  # LTE-M: 6 and 4 TLS, both UNCONFIRMED
    cat1 = variant("socket-limits-lower", profile="xbee-cat1").model
    assert (cat1.max_sockets, cat1.protocol_limits[Protocol.TLS]) == (10, 6)  # documented: unchanged


def test_a_held_frame_is_encoded_in_the_api_mode_it_goes_out_in_and_lost_by_a_reset():
    h = variant(fault="late-connect-response")
    (created,) = h.send(fr.SocketCreate(0x11, 1))
    actions = h.model.serial_in(encode(fr.SocketConnect(0x11, created.socket_id, 80, 0, bytes((127, 0, 0, 1)))))
    (timer,) = [a for a in actions if isinstance(a, StartTimer) and a.key.startswith("held-")]
    h.send(fr.ATCommand(3, b"AP", b"\x02"))
    (out,) = [a for a in h.model.net_in(TimerFired(timer.key)) if isinstance(a, SerialOut)]
    assert out.data == encode(fr.SocketConnectResponse(0x11, created.socket_id, 0), 2)  # 11 escaped: AP=2 now
    actions = h.model.serial_in(encode(fr.SocketConnect(0x12, created.socket_id, 80, 0, bytes((127, 0, 0, 1))), 2))
    (timer,) = [a for a in actions if isinstance(a, StartTimer) and a.key.startswith("held-")]
    h.model.serial_in(encode(fr.ATCommand(4, b"FR"), 2))
    assert not any(isinstance(a, SerialOut) for a in h.model.net_in(TimerFired(timer.key)))
