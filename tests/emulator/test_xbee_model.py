"""The XBee model without sockets: requests in, frames and network actions out (spec §2-§4).

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import pytest

from sockconf.emulator import build_model
from sockconf.emulator.net import (
    Accepted,
    BindResult,
    BindUdp,
    CancelTimer,
    Close,
    CloseUdp,
    Datagram,
    Listen,
    ListenResult,
    PeerClosed,
    Received,
    SendTo,
    SerialOut,
    StartTimer,
    StopListening,
    TimerFired,
)
from sockconf.emulator.xbee.model import XBeeModel
from sockconf.protocol.profile import load_profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import Decoder, encode
from sockconf.protocol.xbee.status import (
    ATCommandStatus,
    ModemStatusCode,
    SocketCloseStatus,
    SocketCreateStatus,
    SocketListenStatus,
    SocketStatusCode,
    TransmitStatusCode,
)


class Harness:
    def __init__(self, profile: str = "xbee3-lte-m") -> None:
        self.model = XBeeModel(load_profile(profile))
        self.actions: list[object] = []

    def frames(self, actions) -> list[fr.Frame]:
        self.actions = [a for a in actions if not isinstance(a, SerialOut | StartTimer | CancelTimer)]
        dec = Decoder(self.model.api_mode)
        out: list[fr.Frame] = []
        for a in actions:
            if isinstance(a, SerialOut):
                out += [e for e in dec.feed(a.data) if isinstance(e, fr.Frame)]
        return out

    def send(self, frame: fr.Frame) -> list[fr.Frame]:
        return self.frames(self.model.serial_in(encode(frame, self.model.api_mode)))

    def net(self, event) -> list[fr.Frame]:
        return self.frames(self.model.net_in(event))

    def listener(self, port: int = 10001) -> tuple[int, int]:
        (reply,) = self.send(fr.SocketCreate(1, 1))
        sid = reply.socket_id
        assert self.send(fr.SocketBindListen(2, sid, port)) == []
        (listen,) = self.actions
        assert isinstance(listen, Listen) and listen.port == port
        assert self.net(ListenResult(listen.key)) == [fr.SocketListenResponse(2, sid, SocketListenStatus.SUCCESS)]
        return sid, listen.key


def test_seed_create_is_answered_with_socket_0():
    h = Harness()
    assert h.send(fr.SocketCreate(1, 1)) == [fr.SocketCreateResponse(1, 0, SocketCreateStatus.SUCCESS)]


def test_invalid_protocol_answers_7B_with_socket_FF():
    assert Harness().send(fr.SocketCreate(5, 0x02)) == [
        fr.SocketCreateResponse(5, 0xFF, SocketCreateStatus.INVALID_PROTOCOL)
    ]


def test_socket_limit_answers_resource_error():
    h = Harness()
    for i in range(6):
        assert h.send(fr.SocketCreate(i + 1, 1))[0].status == SocketCreateStatus.SUCCESS
    assert h.send(fr.SocketCreate(9, 1)) == [fr.SocketCreateResponse(9, 0xFF, SocketCreateStatus.RESOURCE_ERROR)]


def test_listen_errors():
    h = Harness()
    assert h.send(fr.SocketBindListen(3, 7, 10001)) == [
        fr.SocketListenResponse(3, 7, SocketListenStatus.INVALID_SOCKET_ID)
    ]
    sid, _ = h.listener()
    assert h.send(fr.SocketBindListen(4, sid, 10002)) == [
        fr.SocketListenResponse(4, sid, SocketListenStatus.ALREADY_BOUND_OR_LISTENING)
    ]
    (c,) = h.send(fr.SocketCreate(5, 1))
    assert h.send(fr.SocketBindListen(6, c.socket_id, 0)) == [
        fr.SocketListenResponse(6, c.socket_id, SocketListenStatus.INVALID_PORT)
    ]


def test_port_in_use_answers_error():
    h = Harness()
    (reply,) = h.send(fr.SocketCreate(1, 1))
    h.send(fr.SocketBindListen(2, reply.socket_id, 10001))
    (listen,) = h.actions
    assert h.net(ListenResult(listen.key, "address in use")) == [
        fr.SocketListenResponse(2, reply.socket_id, SocketListenStatus.ERROR)
    ]


def test_frame_id_zero_suppresses_listen_response_but_not_create():
    h = Harness()
    (reply,) = h.send(fr.SocketCreate(0, 1))
    assert reply == fr.SocketCreateResponse(0, 0, SocketCreateStatus.SUCCESS)
    h.send(fr.SocketBindListen(0, 0, 10001))
    (listen,) = h.actions
    assert h.net(ListenResult(listen.key)) == []


def test_accept_receive_close_on_connect_profile():
    h = Harness()
    sid, key = h.listener()
    assert h.net(Accepted(key, 100, "10.10.74.157", 10001)) == [fr.SocketNewIPv4Client(sid, 1, "10.10.74.157", 10001)]
    assert h.net(Received(100, b"Hello XBee!\n")) == [fr.SocketReceive(0, 1, 0, b"Hello XBee!\n")]
    assert h.net(PeerClosed(100)) == [fr.SocketStatus(1, SocketStatusCode.CONNECTION_LOST)]
    assert h.send(fr.SocketClose(7, 1)) == [fr.SocketCloseResponse(7, 1, SocketCloseStatus.BAD_SOCKET_ID)]


def test_cat1_presents_only_with_data_and_splits_long_data():
    h = Harness("xbee-cat1")
    sid, key = h.listener()
    assert h.net(Accepted(key, 100, "127.0.0.1", 40000)) == []
    data = bytes(range(256)) * 12  # 3072 bytes: 1500 + 1500 + 72
    actions = h.model.net_in(Received(100, data))
    # The 0xCC goes out at once; the data follows after the profile's present_gap, not in the same write.
    (timer,) = [a for a in actions if isinstance(a, StartTimer)]
    assert timer.seconds == 0.1
    assert h.frames(actions) == [fr.SocketNewIPv4Client(sid, 1, "127.0.0.1", 40000)]
    assert h.net(Received(100, b"more")) == []  # held behind the first data
    frames = h.net(TimerFired(timer.key))
    assert [len(f.payload) for f in frames] == [1500, 1500, 76]
    assert b"".join(f.payload for f in frames) == data + b"more"
    assert all(f.frame_id == 0 and f.socket_id == 1 for f in frames)
    assert h.net(Received(100, b"later")) == [fr.SocketReceive(0, 1, 0, b"later")]  # at once from now on


def test_cat1_data_held_behind_the_0xCC_goes_out_before_the_peer_close():
    h = Harness("xbee-cat1")
    sid, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    assert h.net(Received(100, b"x")) == [fr.SocketNewIPv4Client(sid, 1, "127.0.0.1", 40000)]
    assert h.net(PeerClosed(100)) == [
        fr.SocketReceive(0, 1, 0, b"x"),
        fr.SocketStatus(1, SocketStatusCode.CONNECTION_LOST),
    ]


def test_cat1_data_held_for_a_client_the_host_closed_is_dropped():
    h = Harness("xbee-cat1")
    _, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    (timer,) = [a for a in h.model.net_in(Received(100, b"x")) if isinstance(a, StartTimer)]
    assert h.send(fr.SocketClose(3, 1)) == [fr.SocketCloseResponse(3, 1, SocketCloseStatus.SUCCESS)]
    assert h.net(TimerFired(timer.key)) == []


def test_cat1_client_closing_before_data_is_never_shown():
    h = Harness("xbee-cat1")
    _, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    assert h.net(PeerClosed(100)) == []


def test_no_free_socket_drops_the_connection():
    h = Harness()
    _, key = h.listener()
    for i in range(5):
        h.net(Accepted(key, 100 + i, "127.0.0.1", 40000 + i))
    assert h.net(Accepted(key, 200, "127.0.0.1", 41000)) == []
    assert h.actions == [Close(200)]


def test_close_all_releases_network_objects():
    h = Harness()
    _, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    assert h.send(fr.SocketClose(9, 0xFF)) == [fr.SocketCloseResponse(9, 0xFF, SocketCloseStatus.SUCCESS)]
    assert set(map(type, h.actions)) == {StopListening, Close}
    assert h.model.sockets == {}


def test_send_statuses():
    h = Harness()
    sid, key = h.listener()
    assert h.send(fr.SocketSend(1, 9, b"x")) == [fr.TransmitStatus(1, TransmitStatusCode.CONNECTION_NOT_FOUND)]
    assert h.send(fr.SocketSend(2, sid, b"x")) == [fr.TransmitStatus(2, TransmitStatusCode.SOCKET_NOT_CONNECTED)]
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    assert h.send(fr.SocketSend(3, 1, b"x" * 1501)) == [fr.TransmitStatus(3, TransmitStatusCode.MESSAGE_TOO_LONG)]
    assert h.send(fr.SocketSend(4, 1, b"hi")) == [fr.TransmitStatus(4, TransmitStatusCode.SUCCESS)]


@pytest.mark.parametrize(
    ("command", "status", "value"),
    [
        (b"MY", ATCommandStatus.OK, bytes([127, 0, 0, 1])),
        (b"AP", ATCommandStatus.OK, b"\x01"),
        (b"AI", ATCommandStatus.OK, b"\x00"),
        (b"ZZ", ATCommandStatus.INVALID_COMMAND, b""),
    ],
)
def test_at_queries(command, status, value):
    assert Harness().send(fr.ATCommand(1, command)) == [fr.ATCommandResponse(1, command, status, value)]


def test_at_ap_switches_mode_after_the_reply_and_rejects_bad_values():
    h = Harness()
    assert h.send(fr.ATCommand(1, b"AP", b"\x05")) == [
        fr.ATCommandResponse(1, b"AP", ATCommandStatus.INVALID_PARAMETER)
    ]
    assert h.send(fr.ATCommand(2, b"AP", b"\x02")) == [fr.ATCommandResponse(2, b"AP", ATCommandStatus.OK)]
    assert h.model.api_mode == 2
    assert h.send(fr.SocketCreate(0x7E, 1)) == [fr.SocketCreateResponse(0x7E, 0, SocketCreateStatus.SUCCESS)]


def test_queued_at_applies_on_ac():
    h = Harness()
    assert h.send(fr.ATCommandQueue(1, b"NI", b"bench")) == [fr.ATCommandResponse(1, b"NI", ATCommandStatus.OK)]
    assert h.send(fr.ATCommandQueue(2, b"NI"))[0].value == b"sockconf emulator"  # a 0x09 query: not yet
    h.send(fr.ATCommand(3, b"AC"))
    assert h.send(fr.ATCommand(4, b"NI"))[0].value == b"bench"


def test_queued_at_applies_on_ac_in_a_0x09_frame_too():
    h = Harness()
    h.send(fr.ATCommandQueue(1, b"NI", b"bench"))
    assert h.send(fr.ATCommandQueue(2, b"AC")) == [fr.ATCommandResponse(2, b"AC", ATCommandStatus.OK)]
    assert h.send(fr.ATCommandQueue(3, b"NI"))[0].value == b"bench"


def test_queued_at_applies_on_the_next_0x08_of_any_kind():
    h = Harness()
    h.send(fr.ATCommandQueue(1, b"NI", b"bench"))
    assert h.send(fr.ATCommand(2, b"NI"))[0].value == b"bench"


def test_bad_checksum_is_not_answered_and_the_next_frame_is():
    h = Harness()
    bad = bytearray(encode(fr.SocketCreate(1, 1)))
    bad[-1] ^= 0xFF
    good = encode(fr.SocketCreate(2, 1))
    assert h.frames(h.model.serial_in(bytes(bad) + good)) == [fr.SocketCreateResponse(2, 0, SocketCreateStatus.SUCCESS)]


# --------------------------------------------------------------------------- the wider surface and its hooks


def test_cat1_caps_each_protocol_at_6_of_its_10_sockets():
    h = Harness("xbee-cat1")
    for i in range(6):
        assert h.send(fr.SocketCreate(i + 1, 1))[0].status == SocketCreateStatus.SUCCESS
    assert h.send(fr.SocketCreate(7, 1)) == [fr.SocketCreateResponse(7, 0xFF, SocketCreateStatus.RESOURCE_ERROR)]
    assert h.send(fr.SocketCreate(8, 0))[0].status == SocketCreateStatus.SUCCESS  # UDP has room of its own


def test_lte_m_allows_4_tls_sockets():
    h = Harness()
    for i in range(4):
        assert h.send(fr.SocketCreate(i + 1, 4))[0].status == SocketCreateStatus.SUCCESS
    assert h.send(fr.SocketCreate(5, 4))[0].status == SocketCreateStatus.RESOURCE_ERROR
    assert h.send(fr.SocketCreate(6, 1))[0].status == SocketCreateStatus.SUCCESS


def test_udp_bind_receive_from_and_send_to_statuses():
    h = Harness()
    (reply,) = h.send(fr.SocketCreate(1, 0))
    sid = reply.socket_id
    assert h.send(fr.SocketSendTo(2, sid, "127.0.0.1", 9, b"x")) == [
        fr.TransmitStatus(2, TransmitStatusCode.SOCKET_NOT_BOUND)
    ]
    h.send(fr.SocketBindListen(3, sid, 0x1234))
    (bind,) = h.actions
    assert isinstance(bind, BindUdp) and bind.port == 0x1234
    assert h.net(BindResult(bind.key)) == [fr.SocketListenResponse(3, sid, SocketListenStatus.SUCCESS)]
    assert h.net(Datagram(bind.key, "10.0.0.9", 4000, b"hi")) == [
        fr.SocketReceiveFrom(0, sid, "10.0.0.9", 4000, 0, b"hi")
    ]
    assert h.send(fr.SocketSendTo(4, sid, "127.0.0.1", 0, b"x")) == [
        fr.TransmitStatus(4, TransmitStatusCode.INVALID_UDP_PORT)
    ]
    assert h.send(fr.SocketSendTo(5, sid, "127.0.0.1", 9, b"x")) == [fr.TransmitStatus(5, TransmitStatusCode.SUCCESS)]
    assert h.actions == [SendTo(bind.key, "127.0.0.1", 9, b"x")]


def test_si_answers_text_as_digi_documents_it():
    h = Harness()
    assert h.send(fr.ATCommand(1, b"SI")) == [fr.ATCommandResponse(1, b"SI", ATCommandStatus.OK, b"\r")]
    tcp = h.send(fr.SocketCreate(2, 1))[0].socket_id
    udp = h.send(fr.SocketCreate(3, 0))[0].socket_id
    h.send(fr.SocketBindListen(4, udp, 10002))
    (bind,) = h.actions
    h.net(BindResult(bind.key))
    assert h.send(fr.ATCommand(5, b"SI"))[0].value == b"0x00\r0x01\r\r"
    assert h.send(fr.ATCommand(6, b"SI", bytes((udp,))))[0].value == b"0x01\rBound\rUDP\r10002\r0\r0.0.0.0\r\r"
    assert h.send(fr.ATCommandQueue(7, b"SI", bytes((tcp,))))[0].value == b"0x00\rAllocated\rTCP\r0\r0\r0.0.0.0\r\r"


def test_si_empty_list_variant_answers_no_value():
    h = variant("si-empty-list-empty")
    assert h.send(fr.ATCommand(1, b"SI")) == [fr.ATCommandResponse(1, b"SI", ATCommandStatus.OK, b"")]
    h.send(fr.SocketCreate(2, 1))
    assert h.send(fr.ATCommand(3, b"SI"))[0].value == b"0x00\r\r"


def test_sendto_unbound_variant_binds_a_port_the_stack_picks_and_sends():
    h = variant("sendto-unbound-auto-binds")
    (reply,) = h.send(fr.SocketCreate(1, 0))
    sid = reply.socket_id
    assert h.send(fr.SocketSendTo(2, sid, "127.0.0.1", 9, b"x")) == [fr.TransmitStatus(2, TransmitStatusCode.SUCCESS)]
    bind, send = h.actions
    assert isinstance(bind, BindUdp) and bind.port == 0
    assert send == SendTo(bind.key, "127.0.0.1", 9, b"x")
    assert h.net(BindResult(bind.key)) == []  # no 0x46 was asked: no 0xC6
    assert h.send(fr.SocketSendTo(3, sid, "127.0.0.1", 9, b"y")) == [fr.TransmitStatus(3, TransmitStatusCode.SUCCESS)]
    assert h.actions == [SendTo(bind.key, "127.0.0.1", 9, b"y")]


def test_ni_unset_variant_answers_an_empty_ni():
    h = variant("ni-unset-empty")
    assert h.send(fr.ATCommand(1, b"NI")) == [fr.ATCommandResponse(1, b"NI", ATCommandStatus.OK, b"")]


def faulty(fault: str, profile: str = "xbee3-lte-m") -> Harness:
    h = Harness(profile)
    h.model = build_model(load_profile(profile), fault=fault)
    return h


def test_a_held_frame_goes_out_when_its_timer_fires():
    h = faulty("late-connect-response")
    (reply,) = h.send(fr.SocketCreate(1, 1))
    actions = h.model.serial_in(encode(fr.SocketConnect(2, reply.socket_id, 80, 0, bytes((127, 0, 0, 1)))))
    (timer,) = [a for a in actions if isinstance(a, StartTimer) and a.key != "uart-idle"]
    assert not any(isinstance(a, SerialOut) for a in actions)
    assert h.net(TimerFired(timer.key)) == [fr.SocketConnectResponse(2, reply.socket_id, 0)]


def test_network_actions_pass_through_the_fault():
    h = faulty("close-leaves-sockets-open")
    sid, _ = h.listener()
    assert h.send(fr.SocketClose(3, sid)) == [fr.SocketCloseResponse(3, sid, SocketCloseStatus.SUCCESS)]
    assert h.actions == []  # the listener is never stopped


def test_decoded_input_passes_through_the_fault():
    bad = bytearray(encode(fr.SocketCreate(1, 1)))
    bad[-1] ^= 0xFF
    good = encode(fr.ATCommand(2, b"AP"))
    h = faulty("drops-frame-after-bad-input")
    assert h.frames(h.model.serial_in(bytes(bad) + good)) == []
    assert len(h.frames(h.model.serial_in(good))) == 1  # only the one frame after the bad input is lost


def test_socket_ids_pass_through_the_fault():
    h = faulty("reuses-open-socket-id")
    assert h.send(fr.SocketCreate(1, 1))[0].socket_id == 0
    assert h.send(fr.SocketCreate(2, 1))[0].socket_id == 0  # still in use


# --------------------------------------------------------------------------- FR (force reset) and WR (write)


def _reset(h: Harness, frame_id: int = 7) -> tuple[list[object], list[fr.Frame]]:
    """FR over 0x08: (the actions it caused, the frames of the boot once the reset timer fires)."""
    actions = h.model.serial_in(encode(fr.ATCommand(frame_id, b"FR"), h.model.api_mode))
    (timer,) = [a for a in actions if isinstance(a, StartTimer) and a.key == "reset"]
    return actions, h.net(TimerFired(timer.key))


def test_fr_answers_ok_then_announces_the_restart_and_registration():
    h = Harness()
    actions, boot = _reset(h)
    replies = [e for a in actions if isinstance(a, SerialOut) for e in Decoder(1).feed(a.data)]
    assert replies == [fr.ATCommandResponse(7, b"FR", ATCommandStatus.OK)]
    assert boot == [fr.ModemStatus(ModemStatusCode.WATCHDOG_RESET), fr.ModemStatus(ModemStatusCode.REGISTERED)]
    assert h.send(fr.ATCommand(8, b"AI")) == [fr.ATCommandResponse(8, b"AI", ATCommandStatus.OK, b"\x00")]


def test_fr_with_frame_id_0_still_resets():
    h = Harness()
    actions, boot = _reset(h, frame_id=0)
    assert not any(isinstance(a, SerialOut) for a in actions)
    assert [f.status for f in boot] == [ModemStatusCode.WATCHDOG_RESET, ModemStatusCode.REGISTERED]


def test_fr_closes_every_socket_without_socket_status():
    h = Harness()
    sid, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    (udp,) = h.send(fr.SocketCreate(3, 0))
    h.send(fr.SocketBindListen(4, udp.socket_id, 0x1234))
    (bind,) = h.actions
    h.net(BindResult(bind.key))
    actions, boot = _reset(h)
    released = [a for a in actions if isinstance(a, StopListening | Close | CloseUdp)]
    assert set(released) == {StopListening(key), Close(100), CloseUdp(bind.key)}
    assert not any(isinstance(f, fr.SocketStatus) for f in boot)  # the host learns of the reset from 0x8A
    assert h.model.sockets == {} and h.model.by_key == {}
    assert h.send(fr.SocketClose(9, sid)) == [fr.SocketCloseResponse(9, sid, SocketCloseStatus.BAD_SOCKET_ID)]
    assert h.net(Received(100, b"late")) == [] and h.actions == [Close(100)]  # a straggler is not delivered


def test_the_uart_is_not_read_while_the_module_restarts():
    h = Harness()
    after = encode(fr.ATCommand(8, b"AP"))
    actions = h.model.serial_in(encode(fr.ATCommand(7, b"FR")) + after)  # a frame right behind the FR is lost
    replies = [e for a in actions if isinstance(a, SerialOut) for e in Decoder(1).feed(a.data)]
    assert replies == [fr.ATCommandResponse(7, b"FR", ATCommandStatus.OK)]
    assert h.model.serial_in(after) == []  # and so is one sent before the 0x8A
    h.net(TimerFired("reset"))
    assert h.send(fr.ATCommand(9, b"AP")) == [fr.ATCommandResponse(9, b"AP", ATCommandStatus.OK, b"\x01")]


def test_fr_reverts_settings_not_written_and_drops_queued_ones():
    h = Harness()
    h.send(fr.ATCommand(1, b"NI", b"unsaved"))
    h.send(fr.ATCommandQueue(2, b"NI", b"queued"))
    _reset(h)
    assert h.send(fr.ATCommand(3, b"NI"))[0].value == b"sockconf emulator"
    assert h.model.queued_at == {}


def test_wr_stores_the_settings_a_reset_comes_back_with():
    h = Harness()
    h.send(fr.ATCommand(1, b"NI", b"written"))
    assert h.send(fr.ATCommand(2, b"WR")) == [fr.ATCommandResponse(2, b"WR", ATCommandStatus.OK)]
    h.send(fr.ATCommand(3, b"NI", b"not written"))
    _reset(h)
    assert h.send(fr.ATCommand(4, b"NI"))[0].value == b"written"


def test_fr_comes_back_in_the_stored_api_mode():
    h = Harness()
    h.send(fr.ATCommand(1, b"AP", b"\x02"))
    assert h.model.api_mode == 2
    actions, boot = _reset(h, frame_id=0x7E)
    # The OK goes out in the mode FR came in (AP=2: the frame ID 7E is escaped), the 0x8A in the stored AP=1.
    (ok,) = [a.data for a in actions if isinstance(a, SerialOut)]
    assert ok == encode(fr.ATCommandResponse(0x7E, b"FR", ATCommandStatus.OK), 2)
    assert h.model.api_mode == 1 and boot[0] == fr.ModemStatus(ModemStatusCode.WATCHDOG_RESET)
    # Written with WR, AP=2 survives the next reset.
    h.send(fr.ATCommand(2, b"AP", b"\x02"))
    h.send(fr.ATCommand(3, b"WR"))
    _reset(h)
    assert h.model.api_mode == 2


def test_reset_faults_use_their_hooks():
    h = faulty("sockets-survive-reset")
    sid, _ = h.listener()
    actions, _ = _reset(h)
    assert not any(isinstance(a, StopListening) for a in actions) and sid in h.model.sockets
    h = faulty("no-modem-status-after-reset")
    assert _reset(h)[1] == []
    h = faulty("settings-written-at-once")
    h.send(fr.ATCommand(1, b"NI", b"unsaved"))
    _reset(h)
    assert h.send(fr.ATCommand(2, b"NI"))[0].value == b"unsaved"


# --------------------------------------------------------------------------- conformant variants (silent points)


def variant(name: str, profile: str = "xbee3-lte-m") -> Harness:
    h = Harness(profile)
    h.model = build_model(load_profile(profile), variant=[name])
    return h


def test_socket_limits_cat1_figures_variant_allows_10_sockets_6_of_each():
    h = variant("socket-limits-cat1-figures")
    statuses = [h.send(fr.SocketCreate(i + 1, 4))[0].status for i in range(7)]
    assert statuses == [SocketCreateStatus.SUCCESS] * 6 + [SocketCreateStatus.RESOURCE_ERROR]
    statuses = [h.send(fr.SocketCreate(i + 10, 1))[0].status for i in range(5)]
    assert statuses == [SocketCreateStatus.SUCCESS] * 4 + [SocketCreateStatus.RESOURCE_ERROR]


def test_port0_any_port_variant_listens_on_a_port_the_stack_picks():
    h = variant("port0-any-port")
    (c,) = h.send(fr.SocketCreate(1, 1))
    assert h.send(fr.SocketBindListen(2, c.socket_id, 0)) == []
    (listen,) = h.actions
    assert isinstance(listen, Listen) and listen.port == 0
    assert h.net(ListenResult(listen.key)) == [fr.SocketListenResponse(2, c.socket_id, SocketListenStatus.SUCCESS)]


def test_tls_listen_status_variant_answers_86():
    for h, status in ((Harness(), 0x02), (variant("tls-listen-status-86"), 0x86)):
        (c,) = h.send(fr.SocketCreate(1, 4))
        assert h.send(fr.SocketBindListen(2, c.socket_id, 10001)) == [fr.SocketListenResponse(2, c.socket_id, status)]
        assert h.actions == []


def test_close_all_reply_variant_answers_with_socket_id_00():
    h = variant("close-all-reply-id-00")
    sid, _ = h.listener()
    assert h.send(fr.SocketClose(9, 0xFF)) == [fr.SocketCloseResponse(9, 0x00, SocketCloseStatus.SUCCESS)]
    assert h.model.sockets == {}
    assert h.send(fr.SocketClose(3, sid)) == [fr.SocketCloseResponse(3, sid, SocketCloseStatus.BAD_SOCKET_ID)]


@pytest.mark.parametrize("closes_clients", [False, True], ids=["kept", "closed"])
def test_closing_a_listener_keeps_or_closes_its_clients(closes_clients):
    h = variant("listener-close-closes-clients") if closes_clients else Harness()
    sid, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    frames = h.send(fr.SocketClose(3, sid))
    assert frames[0] == fr.SocketCloseResponse(3, sid, SocketCloseStatus.SUCCESS)
    if closes_clients:
        assert frames[1:] == [fr.SocketStatus(1, SocketStatusCode.LISTENER_CLOSED)]
        assert set(h.actions) == {StopListening(key), Close(100)}
        assert h.model.sockets == {}
    else:
        assert frames[1:] == [] and h.actions == [StopListening(key)]
        assert h.net(Received(100, b"x")) == [fr.SocketReceive(0, 1, 0, b"x")]


def test_cat1_presents_after_data_variant_sends_the_data_first_and_the_0xCC_on_a_timer():
    h = variant("cat1-presents-after-data", "xbee-cat1")
    sid, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    actions = h.model.net_in(Received(100, b"x"))
    (timer,) = [a for a in actions if isinstance(a, StartTimer)]
    assert timer.seconds == 0.25
    assert h.frames(actions) == [fr.SocketReceive(0, 1, 0, b"x")]
    assert h.net(Received(100, b"y")) == [fr.SocketReceive(0, 1, 0, b"y")]  # no second timer
    assert h.net(TimerFired(timer.key)) == [fr.SocketNewIPv4Client(sid, 1, "127.0.0.1", 40000)]
    assert h.net(TimerFired(timer.key)) == []  # presented once


def test_cat1_presents_after_data_variant_presents_before_a_peer_close():
    h = variant("cat1-presents-after-data", "xbee-cat1")
    sid, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    h.net(Received(100, b"x"))
    assert h.net(PeerClosed(100)) == [
        fr.SocketNewIPv4Client(sid, 1, "127.0.0.1", 40000),
        fr.SocketStatus(1, SocketStatusCode.CONNECTION_LOST),
    ]


def test_cat1_presents_after_data_variant_timer_of_a_closed_client_presents_no_one():
    h = variant("cat1-presents-after-data", "xbee-cat1")
    _, key = h.listener()
    h.net(Accepted(key, 100, "127.0.0.1", 40000))
    (timer,) = [a for a in h.model.net_in(Received(100, b"x")) if isinstance(a, StartTimer)]
    h.send(fr.SocketClose(3, 1))
    h.net(Accepted(key, 101, "127.0.0.1", 40001))  # gets socket ID 01 again, has sent nothing yet
    assert h.net(TimerFired(timer.key)) == []
    assert h.net(Received(101, b"y")) == [fr.SocketReceive(0, 1, 0, b"y")]
