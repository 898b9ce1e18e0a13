"""The XBee conformant variants (``VARIANTS``): modules that chose differently where the documents are silent.

Each variant names the silent points it takes a non-default choice on (IDs of
``sockconf/data/silent/xbee.toml``) and makes that choice through the profile's settings or the hooks of
``XBeeFault``. No case may FAIL any of them (``sockconf report variants``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, cast

from sockconf.emulator.variants import VariantSpec, all_different
from sockconf.emulator.xbee.faults import XBeeFault
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import BadChecksum, Event
from sockconf.protocol.xbee.status import (
    ATCommandStatus,
    ModemStatusCode,
    SocketCloseStatus,
    SocketConnectStatus,
    SocketListenStatus,
    SocketStatusCode,
    TransmitStatusCode,
)

# Frames that answer a request (they carry its frame ID).
REPLIES = (
    fr.ATCommandResponse,
    fr.TransmitStatus,
    fr.SocketCreateResponse,
    fr.SocketOptionResponse,
    fr.SocketConnectResponse,
    fr.SocketCloseResponse,
    fr.SocketListenResponse,
)


class _Port0StatusError(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketListenResponse) and frame.status == SocketListenStatus.INVALID_PORT:
            return replace(frame, status=SocketListenStatus.ERROR)
        return super().frame_out(frame)


class _CloseAllNoReply(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketCloseResponse) and frame.socket_id == 0xFF:
            return None
        return super().frame_out(frame)


class _CloseAllReplyId00(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketCloseResponse) and frame.socket_id == 0xFF:
            return replace(frame, socket_id=0x00)
        return super().frame_out(frame)


class _NotConnectedStatus20(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.TransmitStatus) and frame.status == TransmitStatusCode.SOCKET_NOT_CONNECTED:
            return replace(frame, status=TransmitStatusCode.CONNECTION_NOT_FOUND)
        return super().frame_out(frame)


class _CloseAllReplyPerSocket(XBeeFault):
    """0x43 FF answered by one 0xC3 per socket it closed (that socket's ID, status 00, the request's frame ID)."""

    def close_all_replies(self, frame_id: int, closed: Sequence[int]) -> Sequence[fr.Frame]:
        replies = [fr.SocketCloseResponse(frame_id, sid, SocketCloseStatus.SUCCESS) for sid in closed]
        return replies or super().close_all_replies(frame_id, closed)


class _CloseAllReplyStatus20(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketCloseResponse) and frame.socket_id == 0xFF:
            return replace(frame, status=SocketCloseStatus.BAD_SOCKET_ID)
        return super().frame_out(frame)


class _CloseAllReplyLate(XBeeFault):
    """The replies to 0x43 FF go out only after the reply to the next request (the AT query a host sends
    behind it): the module answers the close once its connections are down, and the query first."""

    cooperative = True

    def __init__(self) -> None:
        super().__init__()
        self.close_all: set[int] = set()  # frame IDs of the 0x43 FF requests not answered yet
        self.held: list[fr.Frame] = []

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        events = super().events_in(events, api_mode)
        self.close_all |= {e.frame_id for e in events if isinstance(e, fr.SocketClose) and e.socket_id == 0xFF}
        return events

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketCloseResponse) and frame.frame_id in self.close_all:
            self.held.append(frame)
            return None
        return super().frame_out(frame)

    def frames_after(self, frame: fr.Frame) -> Sequence[fr.Frame]:
        more = list(super().frames_after(frame))
        if self.held and not isinstance(frame, fr.SocketCloseResponse):
            self.close_all -= {f.frame_id for f in self.held if isinstance(f, fr.SocketCloseResponse)}
            more += self.held
            self.held = []
        return more


class _RepliesRepeated(XBeeFault):
    """Every reply to a request goes out twice (the same frame again, as a retransmission)."""

    def copies(self, frame: fr.Frame) -> int:
        answered = isinstance(frame, REPLIES) and int(getattr(frame, "frame_id", 0)) != 0
        return 2 if answered else super().copies(frame)


class _HostCloseReportsStatus(XBeeFault):
    """A socket the host closed (0x43 → 0xC3 00) is also reported by 0xCF: 0B for a listener, 03 otherwise."""

    cooperative = True

    def __init__(self) -> None:
        super().__init__()
        self.listeners: set[int] = set()
        self.closing: dict[int, int] = {}  # frame ID -> socket ID of the 0x43 (one socket) not answered yet

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        events = super().events_in(events, api_mode)
        for e in events:
            if isinstance(e, fr.SocketClose) and e.socket_id != 0xFF and e.frame_id:
                self.closing[e.frame_id] = e.socket_id
        return events

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketListenResponse) and frame.status == SocketListenStatus.SUCCESS:
            self.listeners.add(frame.socket_id)
        return super().frame_out(frame)

    def frames_after(self, frame: fr.Frame) -> Sequence[fr.Frame]:
        more = list(super().frames_after(frame))
        if isinstance(frame, fr.SocketCloseResponse) and self.closing.get(frame.frame_id) == frame.socket_id:
            del self.closing[frame.frame_id]
            if frame.status == SocketCloseStatus.SUCCESS:
                listener = frame.socket_id in self.listeners
                self.listeners.discard(frame.socket_id)
                code = SocketStatusCode.LISTENER_CLOSED if listener else SocketStatusCode.TRANSPORT_CLOSED
                more.append(fr.SocketStatus(frame.socket_id, code))
        return more


class _ModemStatusUnprompted(XBeeFault):
    """An unsolicited 0x8A 02 (registered: the module registered again) right after each AT AP query's answer,
    standing for a 0x8A the module may send at any moment."""

    cooperative = True

    def frames_after(self, frame: fr.Frame) -> Sequence[fr.Frame]:
        more = list(super().frames_after(frame))
        if isinstance(frame, fr.ATCommandResponse) and frame.command == b"AP" and frame.value:
            more.append(fr.ModemStatus(ModemStatusCode.REGISTERED))
        return more


class _SocketIdsDescending(XBeeFault):
    """Socket IDs handed out from the top: the highest free ID below 10."""

    def socket_id(self, free: int, in_use: Sequence[int]) -> int:
        return max(i for i in range(0x10) if i not in in_use)


class _BadChecksumActedOn(XBeeFault):
    """A frame whose checksum is wrong is acted on as if it were right."""

    cooperative = True

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        kept: list[Event] = []
        for event in super().events_in(events, api_mode):
            if isinstance(event, BadChecksum):
                with contextlib.suppress(fr.FrameFormatError):
                    kept.append(fr.parse_frame_data(event.frame_data))
                continue
            kept.append(event)
        return kept


class _NoIdleFlush(XBeeFault):
    """AP=1: a frame is never given up for an idle line; it ends when its announced length has come."""

    def idle_flush(self, api_mode: int) -> bool:
        return api_mode != 1


class _UnknownTypeAnswered(XBeeFault):
    """A frame of a type the module does not take is answered 0x89 2C (invalid frame values) with its frame ID."""

    def unhandled(self, frame: fr.Frame) -> Sequence[fr.Frame]:
        data = frame.to_data()
        fid = data[1] if len(data) > 1 else 0
        return [fr.TransmitStatus(fid, TransmitStatusCode.INVALID_FRAME_VALUES)] if fid else []


def _status(kind: type[fr.Frame], old: int, new: int, when: Callable[[Any], bool] = lambda frame: True) -> type:
    """A cooperative hook class: frames of ``kind`` with status ``old`` go out with status ``new``."""

    class Status(XBeeFault):
        cooperative = True

        def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
            if isinstance(frame, kind) and getattr(frame, "status", None) == old and when(frame):
                frame = replace(cast(Any, frame), status=new)
            return super().frame_out(frame)

    Status.__name__ = f"Status{kind.__name__}{old:02X}to{new:02X}"
    return Status


FIRST_ID = "XBEE-SILENT-FIRST-SOCKET-ID"
RESET_STATUS = "XBEE-SILENT-RESET-MODEM-STATUS"
TLS_LIMIT = "XBEE-SILENT-TLS-SOCKET-LIMIT"
PORT0 = "XBEE-SILENT-LISTEN-PORT0-STATUS"
CLOSE_ALL = "XBEE-SILENT-CLOSE-ALL-REPLY"
NOT_CONNECTED = "XBEE-SILENT-SEND-ON-LISTENER"
TLS_LISTEN = "XBEE-SILENT-TLS-LISTEN-STATUS"
LISTENER_CLOSE = "XBEE-SILENT-LISTENER-CLOSE-CLIENTS"
CAT1_PRESENTATION = "XBEE-SILENT-CAT1-PRESENTATION"
SI_EMPTY = "XBEE-SILENT-SI-EMPTY-LIST"
NI_UNSET = "XBEE-SILENT-NI-UNSET"
REPLY_ORDER = "XBEE-SILENT-REPLY-ORDER"
REPLY_COUNT = "XBEE-SILENT-REPLY-COUNT"
HOST_CLOSE_STATUS = "XBEE-SILENT-HOST-CLOSE-STATUS"
UNPROMPTED_MODEM_STATUS = "XBEE-SILENT-UNPROMPTED-MODEM-STATUS"
BAD_CHECKSUM = "XBEE-SILENT-BAD-CHECKSUM"
AP1_CUT_FRAME = "XBEE-SILENT-AP1-CUT-FRAME"
UNKNOWN_FRAME_TYPE = "XBEE-SILENT-UNKNOWN-FRAME-TYPE"
SENDTO_UNBOUND = "XBEE-SILENT-SENDTO-UNBOUND"
HV_CODE = "XBEE-SILENT-HV-CODE"
CONNECT_ON_LISTENER = "XBEE-SILENT-CONNECT-ON-LISTENER-STATUS"
READ_ONLY = "XBEE-SILENT-AT-READ-ONLY-STATUS"
SENDTO_ON_TCP = "XBEE-SILENT-SENDTO-ON-TCP-STATUS"

SINGLE: tuple[VariantSpec, ...] = (
    VariantSpec(
        "first-socket-id-1",
        "socket IDs are handed out from 01, not 00",
        {FIRST_ID: "one"},
        overrides={"first_socket_id": 1},
    ),
    VariantSpec(
        "reset-power-up",
        "after a software reset (FR) the first 0x8A is 00 (power up), not 01 (watchdog reset)",
        {RESET_STATUS: "power-up"},
        overrides={"reset_status": 0},
    ),
    VariantSpec(
        "tls-sockets-unlimited",
        "no per-protocol cap the profile marks UNCONFIRMED (e.g. '4 may be TLS'): every socket may be TLS",
        {TLS_LIMIT: "total"},
        overrides={"lift_unconfirmed_caps": True},
    ),
    VariantSpec(
        "port0-status-error",
        "Bind/Listen on port 0 is answered 0xC6 02 (error), not 01 (invalid port)",
        {PORT0: "other-error"},
        hooks=(_Port0StatusError,),
    ),
    VariantSpec(
        "close-all-reply-per-socket",
        "0x43 with socket ID FF is answered by one 0xC3 per socket it closed (that socket's ID, status 00, the "
        "request's frame ID); with no socket open, by one 0xC3 FF 00",
        {CLOSE_ALL: "per-socket"},
        hooks=(_CloseAllReplyPerSocket,),
    ),
    VariantSpec(
        "send-not-connected-status-20",
        "0x44 on a socket that is not connected answers 0x89 20 (connection not found), not 87",
        {NOT_CONNECTED: "other-error"},
        hooks=(_NotConnectedStatus20,),
    ),
)


# Choices on points where SINGLE or MORE already takes another non-default choice, or that change the same
# frames another way: all-different cannot take both, so these run on their own only.
ALTERNATIVE: tuple[VariantSpec, ...] = (
    VariantSpec(
        "socket-limits-cat1-figures",
        "LTE-M/NB-IoT firmware with the Cat 1 figures: 10 sockets, up to 6 of each protocol (the LTE-M profile: "
        "6, 4 TLS; a Cat 1 profile already has these)",
        # Conflicts with tls-sockets-unlimited ("total") on the same point.
        {TLS_LIMIT: "other"},
        overrides={"max_sockets": 10, "max_udp_sockets": 6, "max_tcp_sockets": 6, "max_tls_sockets": 6},
    ),
    VariantSpec(
        "socket-limits-lower",
        "fewer sockets than the profile's UNCONFIRMED figures: 3 fewer of each (LTE-M: 3 in all, 1 TLS); a "
        "documented figure (Cat 1: 10, 6 of each) is unchanged",
        # Conflicts with tls-sockets-unlimited ("total") on the same point.
        {TLS_LIMIT: "other"},
        overrides={"lower_unconfirmed_caps": 3},
    ),
    VariantSpec(
        "port0-any-port",
        "Bind/Listen on port 0 binds or listens on a port the network stack picks and answers 0xC6 00",
        # Conflicts with port0-status-error ("other-error") on the same point.
        {PORT0: "accepted"},
        overrides={"listen_port_zero": "any-port"},
    ),
    VariantSpec(
        "port0-status-03",
        "Bind/Listen on port 0 is answered 0xC6 03 (already bound: port 0 counts as taken), not 01",
        # Changes the frames port0-status-error changes.
        {PORT0: "other-error"},
        hooks=(
            _status(
                fr.SocketListenResponse, SocketListenStatus.INVALID_PORT, SocketListenStatus.ALREADY_BOUND_OR_LISTENING
            ),
        ),
    ),
    VariantSpec(
        "close-all-no-reply",
        "0x43 with socket ID FF closes every socket but sends no 0xC3",
        # Conflicts with close-all-reply-per-socket ("per-socket") on the same point.
        {CLOSE_ALL: "none"},
        hooks=(_CloseAllNoReply,),
    ),
    VariantSpec(
        "close-all-reply-id-00",
        "0x43 with socket ID FF closes every socket and answers 0xC3 with socket ID 00 (status 00), not FF",
        # Conflicts with close-all-reply-per-socket ("per-socket") on the same point.
        {CLOSE_ALL: "other"},
        hooks=(_CloseAllReplyId00,),
    ),
    VariantSpec(
        "close-all-reply-status-20",
        "0x43 with socket ID FF closes every socket and answers 0xC3 FF 20 (bad socket ID: FF is no socket)",
        # Conflicts with close-all-reply-per-socket ("per-socket") on the same point.
        {CLOSE_ALL: "other"},
        hooks=(_CloseAllReplyStatus20,),
    ),
    VariantSpec(
        "socket-ids-descending",
        "socket IDs are handed out from the top: the highest free ID below 10 (first 0F)",
        # Allocates IDs its own way, over first-socket-id-1's first ID.
        {FIRST_ID: "one"},
        hooks=(_SocketIdsDescending,),
    ),
    VariantSpec(
        "tls-listen-status-01",
        "Bind/Listen on a TLS socket is answered 0xC6 01 (invalid port: no TLS port to listen on), not 02",
        # Conflicts with tls-listen-status-86 on the profile setting.
        {TLS_LISTEN: "other-error"},
        overrides={"tls_listen_status": 0x01},
    ),
    VariantSpec(
        "send-not-connected-status-88",
        "0x44 on a socket that is not connected answers 0x89 88 (socket not bound), not 87",
        # Changes the frames send-not-connected-status-20 changes.
        {NOT_CONNECTED: "other-error"},
        hooks=(
            _status(fr.TransmitStatus, TransmitStatusCode.SOCKET_NOT_CONNECTED, TransmitStatusCode.SOCKET_NOT_BOUND),
        ),
    ),
    VariantSpec(
        "sendto-unbound-status-20",
        "0x45 on a UDP socket that was never bound answers 0x89 20 (connection not found), not 88",
        {SENDTO_UNBOUND: "other-error"},
        hooks=(
            _status(fr.TransmitStatus, TransmitStatusCode.SOCKET_NOT_BOUND, TransmitStatusCode.CONNECTION_NOT_FOUND),
        ),
    ),
    VariantSpec(
        "sendto-unbound-status-87",
        "0x45 on a UDP socket that was never bound answers 0x89 87 (socket not connected), not 88",
        {SENDTO_UNBOUND: "other-error"},
        hooks=(
            _status(fr.TransmitStatus, TransmitStatusCode.SOCKET_NOT_BOUND, TransmitStatusCode.SOCKET_NOT_CONNECTED),
        ),
    ),
    VariantSpec(
        "connect-on-listener-status-20",
        "0x42 on a listening socket answers 0xC2 20 (invalid socket ID), not 05",
        {CONNECT_ON_LISTENER: "other-error"},
        hooks=(_status(fr.SocketConnectResponse, SocketConnectStatus.UNKNOWN, SocketConnectStatus.INVALID_SOCKET_ID),),
    ),
    VariantSpec(
        "my-set-invalid-command",
        "setting the read-only MY answers 0x88 02 (invalid command), not 01",
        {READ_ONLY: "invalid-command"},
        hooks=(
            _status(
                fr.ATCommandResponse,
                ATCommandStatus.ERROR,
                ATCommandStatus.INVALID_COMMAND,
                lambda f: f.command == b"MY",
            ),
        ),
    ),
    VariantSpec(
        "sendto-on-tcp-status-20",
        "0x45 on a TCP socket answers 0x89 20 (connection not found: no UDP socket with that ID), not 2C",
        {SENDTO_ON_TCP: "other-error"},
        hooks=(
            _status(
                fr.TransmitStatus, TransmitStatusCode.INVALID_FRAME_VALUES, TransmitStatusCode.CONNECTION_NOT_FOUND
            ),
        ),
    ),
)

# Non-default choices on points SINGLE leaves at their default: all-different takes them too.
MORE: tuple[VariantSpec, ...] = (
    VariantSpec(
        "tls-listen-status-86",
        "Bind/Listen on a TLS socket is answered 0xC6 86 (the TLS error code of 0xC0 and 0x89), not 02",
        {TLS_LISTEN: "other-error"},
        overrides={"tls_listen_status": 0x86},
    ),
    VariantSpec(
        "listener-close-closes-clients",
        "closing a listener (0x43) closes its accepted clients too: after the 0xC3, 0xCF 0B for each",
        {LISTENER_CLOSE: "closed"},
        overrides={"listener_closes_clients": True},
    ),
    VariantSpec(
        "cat1-presents-after-data",
        "Cat 1: a client's data goes out as 0xCD at once, its 0xCC follows 0.25 s later (within the indication "
        "deadline); a profile that presents on connect is unchanged",
        {CAT1_PRESENTATION: "later"},
        overrides={"present_delay": 0.25},
    ),
    VariantSpec(
        "si-empty-list-empty",
        "SI with no socket open answers no value, not the list's closing CR",
        {SI_EMPTY: "empty"},
        overrides={"si_empty_list": "empty"},
    ),
    VariantSpec(
        "ni-unset-empty",
        "a module whose NI was never set answers NI with no value",
        {NI_UNSET: "empty"},
        overrides={"NI": ""},
    ),
    VariantSpec(
        "close-all-reply-late",
        "the replies to 0x43 with socket ID FF go out only after the reply to the next request (the AT query a "
        "host sends behind it)",
        {REPLY_ORDER: "by-frame-id"},
        hooks=(_CloseAllReplyLate,),
    ),
    VariantSpec(
        "replies-repeated",
        "every reply to a request goes out twice: the same frame again, with the request's frame ID",
        {REPLY_COUNT: "repeated"},
        hooks=(_RepliesRepeated,),
    ),
    VariantSpec(
        "host-close-reports-status",
        "a socket the host closes (0x43, answered 0xC3 00) is also reported by 0xCF: 0B for a listener, 03 otherwise",
        {HOST_CLOSE_STATUS: "status"},
        hooks=(_HostCloseReportsStatus,),
    ),
    VariantSpec(
        "modem-status-unprompted",
        "the module sends 0x8A frames of its own at any moment (here: 0x8A 02 right after each AT AP query's answer)",
        {UNPROMPTED_MODEM_STATUS: "any-time"},
        hooks=(_ModemStatusUnprompted,),
    ),
    VariantSpec(
        "bad-checksum-acted-on",
        "a frame whose checksum is wrong is acted on as if it were right",
        {BAD_CHECKSUM: "acted-on"},
        hooks=(_BadChecksumActedOn,),
    ),
    VariantSpec(
        "ap1-no-idle-timeout",
        "AP=1: a frame is never given up because the line went idle; the bytes after a cut frame complete it",
        {AP1_CUT_FRAME: "swallowed"},
        hooks=(_NoIdleFlush,),
    ),
    VariantSpec(
        "unknown-type-answered",
        "a frame of a type the module does not take is answered 0x89 2C (invalid frame values) with its frame ID",
        {UNKNOWN_FRAME_TYPE: "answered"},
        hooks=(_UnknownTypeAnswered,),
    ),
    VariantSpec(
        "sendto-unbound-auto-binds",
        "0x45 on a UDP socket that was never bound binds a port the network stack picks and sends (0x89 00)",
        {SENDTO_UNBOUND: "auto-bind"},
        overrides={"sendto_unbound": "auto-bind"},
    ),
    VariantSpec(
        "hv-new-code",
        "HV starts with a code Digi's libraries do not know (5A01): a newer cellular module",
        {HV_CODE: "new-code"},
        overrides={"HV": "5A01"},
    ),
    VariantSpec(
        "connect-on-listener-status-04",
        "0x42 on a listening socket answers 0xC2 04 (already connected: the socket is in use), not 05",
        {CONNECT_ON_LISTENER: "other-error"},
        hooks=(_status(fr.SocketConnectResponse, SocketConnectStatus.UNKNOWN, SocketConnectStatus.ALREADY_CONNECTED),),
    ),
    VariantSpec(
        "my-set-invalid-parameter",
        "setting the read-only MY answers 0x88 03 (invalid parameter), not 01",
        {READ_ONLY: "invalid-parameter"},
        hooks=(
            _status(
                fr.ATCommandResponse,
                ATCommandStatus.ERROR,
                ATCommandStatus.INVALID_PARAMETER,
                lambda f: f.command == b"MY",
            ),
        ),
    ),
    VariantSpec(
        "sendto-on-tcp-status-87",
        "0x45 on a TCP socket answers 0x89 87 (socket not connected), not 2C",
        {SENDTO_ON_TCP: "other-error"},
        hooks=(
            _status(
                fr.TransmitStatus, TransmitStatusCode.INVALID_FRAME_VALUES, TransmitStatusCode.SOCKET_NOT_CONNECTED
            ),
        ),
    ),
)

VARIANTS: tuple[VariantSpec, ...] = (
    *SINGLE,
    *ALTERNATIVE,
    *MORE,
    all_different("all-different", "every non-default choice at once", (*SINGLE, *MORE)),
)
