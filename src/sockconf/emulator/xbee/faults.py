"""The XBee fault hooks (``XBeeFault``) and the family's fault profiles (``PROFILES``).

``XBeeFault`` names the points where the model lets a fault act: the decoded UART input, the
outgoing frames, their wire bytes, timing and number of copies, the frames that follow a frame, the
frames that answer 0x43 FF and a frame type the module does not take, whether an idle line ends a
frame, the network actions, socket ID allocation and which sockets a reset frees. Its hooks change
nothing; each profile overrides the hooks its bug needs, or only the profile settings
(``FaultSpec.overrides``). A model gets a fresh hook object per instance, so the hooks that count or
arm (``goes-silent``, ``drops-frame-after-bad-input``) keep their state per model.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, cast

from sockconf.emulator.faults import FaultSpec
from sockconf.emulator.net import Action, Close, CloseUdp, Send, SendTo, StopListening
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import ESCAPED_BYTES, DecodeEvent, Event, checksum, encode
from sockconf.protocol.xbee.status import (
    ATCommandStatus,
    SocketCloseStatus,
    SocketConnectStatus,
    SocketCreateStatus,
    SocketListenStatus,
    SocketStatusCode,
    TransmitStatusCode,
)


class XBeeFault:
    """Hook points of the XBee model; the defaults change nothing."""

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        """What the module makes of the frames and decode events of one UART read (or idle flush)."""
        return events

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        """The frame about to be sent, possibly altered; None drops it."""
        return frame

    def wire_out(self, raw: bytes, frame: fr.Frame) -> bytes:
        """The encoded bytes about to go on the UART."""
        return raw

    def delay(self, frame: fr.Frame) -> float:
        """Seconds the frame is held back before it goes on the UART (0: at once)."""
        return 0.0

    def net_out(self, action: Action) -> Action | None:
        """A network action about to be carried out, possibly altered; None drops it."""
        return action

    def socket_id(self, free: int, in_use: Sequence[int]) -> int:
        """The ID a new socket gets; ``free`` is the lowest unused one, ``in_use`` the IDs taken."""
        return free

    def reset_frees(self, socket_ids: Sequence[int]) -> Sequence[int]:
        """The sockets a module reset (FR) closes: every one of them."""
        return socket_ids

    def close_all_replies(self, frame_id: int, closed: Sequence[int]) -> Sequence[fr.Frame]:
        """The frames that answer 0x43 with socket ID FF (``closed``: the IDs it closed): one 0xC3 FF 00."""
        return [fr.SocketCloseResponse(frame_id, 0xFF, SocketCloseStatus.SUCCESS)]

    def copies(self, frame: fr.Frame) -> int:
        """How many times the frame goes out (once)."""
        return 1

    def frames_after(self, frame: fr.Frame) -> Sequence[fr.Frame]:
        """Frames the module sends of its own right after ``frame`` has gone out (none)."""
        return ()

    def idle_flush(self, api_mode: int) -> bool:
        """Whether a frame still incomplete when the UART goes idle is given up (AP=1 needs that to resync)."""
        return True

    def unhandled(self, frame: fr.Frame) -> Sequence[fr.Frame]:
        """What answers a frame of a type the module does not take (nothing)."""
        return ()


def _swap16(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


def rewrite(
    kinds: type | tuple[type, ...],
    field: str | None,
    change: Callable[[Any], Any] = lambda value: value,
    when: Callable[[Any], bool] = lambda frame: True,
) -> type[XBeeFault]:
    """A hook class for the faults that change one field of some outgoing frames: each frame of
    ``kinds`` for which ``when(frame)`` holds goes out with ``field`` set to ``change(old value)``,
    or not at all when ``field`` is None."""

    class Rewrite(XBeeFault):
        def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
            if not isinstance(frame, kinds) or not when(frame):
                return frame
            if field is None:
                return None
            changed: fr.Frame = replace(cast(Any, frame), **{field: change(getattr(frame, field))})
            return changed

    return Rewrite


class _ChecksumOffByOne(XBeeFault):
    def wire_out(self, raw: bytes, frame: fr.Frame) -> bytes:
        if frame.FRAME_TYPE in (0xC0, 0xC6, 0xCD):
            return raw[:-1] + bytes(((raw[-1] + 1) & 0xFF,))
        return raw


class _FrameIdNotEchoed(XBeeFault):
    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        fid = getattr(frame, "frame_id", None)
        if fid and frame.FRAME_TYPE in (0xC0, 0xC6, 0xC3, 0xC2, 0x89, 0x88, 0xC1):
            return replace(cast(Any, frame), frame_id=(fid % 255) + 1)  # type: ignore[no-any-return]
        return frame


class _NoEscaping(XBeeFault):
    def wire_out(self, raw: bytes, frame: fr.Frame) -> bytes:
        return encode(frame, 1)


class _GoesSilent(XBeeFault):
    """A module that hangs after a while: it stops sending anything at all."""

    def __init__(self) -> None:
        self.after = 60  # frames still sent

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        self.after -= 1
        return frame if self.after >= 0 else None


# -- faults of the wider socket surface (XBEE-CONNECT, -SEND, -UDP, -CLOSE, -OPT, -AT, -CREATE, -LISTEN, -FRAMING)


class _LateConnectResponse(XBeeFault):
    def delay(self, frame: fr.Frame) -> float:
        # Beyond every profile's 2 s reply deadline (and the 0xCF 00 overtakes it).
        return 2.5 if isinstance(frame, fr.SocketConnectResponse) else 0.0


class _SendDropsLastByte(XBeeFault):
    def net_out(self, action: Action) -> Action | None:
        if isinstance(action, Send | SendTo) and len(action.data) > 1:
            return replace(action, data=action.data[:-1])
        return action


class _CloseLeavesSocketsOpen(XBeeFault):
    def net_out(self, action: Action) -> Action | None:
        return None if isinstance(action, Close | StopListening | CloseUdp) else action


class _ReusesOpenSocketId(XBeeFault):
    def socket_id(self, free: int, in_use: Sequence[int]) -> int:
        return in_use[0] if in_use else free


class _DropsFrameAfterBadInput(XBeeFault):
    """A parser whose error path resynchronises one frame late."""

    def __init__(self) -> None:
        self.armed = False  # bad input seen: the next good frame is lost

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        kept: list[Event] = []
        for event in events:
            if isinstance(event, DecodeEvent | fr.UnknownFrame):
                self.armed = True
            elif self.armed:
                self.armed = False
                continue
            kept.append(event)
        return kept


class _ChecksumNotUnescaped(XBeeFault):
    """Compares the checksum byte as it came (7D 5E) instead of unescaped: such frames are dropped."""

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        if api_mode != 2:
            return events
        return [e for e in events if not (isinstance(e, fr.Frame) and checksum(e.to_data()) in ESCAPED_BYTES)]


class _OneFramePerRead(XBeeFault):
    """Handles one frame per UART read and drops the rest of the buffer."""

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        first = next((i for i, e in enumerate(events) if isinstance(e, fr.Frame)), None)
        return [e for i, e in enumerate(events) if not isinstance(e, fr.Frame) or i == first]


# -- faults a host library trips over (XBEE-HOST-DIGI; docs/host-stacks.md "What breaks it")


class _DataFrameIdOfRequest(XBeeFault):
    """Fills the frame-ID byte of received data (0xCD, 0xCE) from the last request it took, not 00."""

    def __init__(self) -> None:
        self.last = 0

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        for event in events:
            fid = getattr(event, "frame_id", 0)
            if isinstance(event, fr.Frame) and fid:
                self.last = fid
        return events

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketReceive | fr.SocketReceiveFrom):
            return replace(frame, frame_id=self.last)
        return frame


class _QueuedQueryNoValue(XBeeFault):
    """Takes every 0x09 frame for a queued set: a query in one is answered OK without its value."""

    def __init__(self) -> None:
        self.queries: set[int] = set()  # frame IDs of 0x09 queries waiting for their answer

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        for event in events:
            if type(event) is fr.ATCommandQueue and not event.parameter and event.frame_id:
                self.queries.add(event.frame_id)
        return events

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.ATCommandResponse) and frame.frame_id in self.queries:
            self.queries.discard(frame.frame_id)
            if frame.status == ATCommandStatus.OK:
                return replace(frame, value=b"")
        return frame


# -- faults of a module reset (XBEE-MODEM)


class _SocketsSurviveReset(XBeeFault):
    """FR restarts only the XBee application: the cellular component keeps its sockets (IDs and ports)."""

    def reset_frees(self, socket_ids: Sequence[int]) -> Sequence[int]:
        return []


class _SettingsWrittenAtOnce(XBeeFault):
    """Writes every AT set to non-volatile memory at once, as if WR followed it: nothing reverts on a reset."""

    def events_in(self, events: list[Event], api_mode: int) -> list[Event]:
        kept: list[Event] = []
        for event in events:
            kept.append(event)
            if type(event) is fr.ATCommand and event.parameter:
                kept.append(fr.ATCommand(0, b"WR"))  # frame ID 0: no reply of its own
        return kept


PROFILES: tuple[FaultSpec[XBeeFault], ...] = (
    FaultSpec("checksum-off-by-one", "0xC0/0xC6/0xCD go out with checksum + 1", _ChecksumOffByOne),
    FaultSpec("frame-id-not-echoed", "responses carry the request's frame ID + 1", _FrameIdNotEchoed),
    FaultSpec(
        "receive-nonzero-frame-id",
        "0xCD carries frame ID 01 instead of 00 (as the seed's table shows)",
        rewrite(fr.SocketReceive, "frame_id", lambda _: 0x01),
        follows=("XBEE-CONTRA-RECEIVE-FRAME-ID", "a"),
    ),
    FaultSpec(
        "receive-drops-trailing-newline",
        "0xCD drops the newline that ends the peer's data (as the seed's payload table shows 'Hello XBee!')",
        rewrite(fr.SocketReceive, "payload", lambda p: p[:-1], when=lambda f: f.payload.endswith(b"\n")),
        follows=("XBEE-CONTRA-RECEIVE-PAYLOAD", "a"),
    ),
    FaultSpec(
        "my-as-text",
        "MY answers the address as dotted-quad text in API mode (as ATMY prints it in Command mode)",
        rewrite(
            fr.ATCommandResponse,
            "value",
            lambda v: str(ipaddress.IPv4Address(v)).encode("ascii"),
            when=lambda f: f.command == b"MY" and len(f.value) == 4,
        ),
        follows=("XBEE-CONTRA-MY-FORMAT", "a"),
    ),
    FaultSpec(
        "no-status-on-peer-close",
        "no 0xCF when the peer closes",
        rewrite(fr.SocketStatus, None, when=lambda f: f.status == SocketStatusCode.CONNECTION_LOST),
    ),
    FaultSpec(
        "wrong-status-on-peer-close",
        "0xCF 03 instead of 07 when the peer closes",
        rewrite(
            fr.SocketStatus,
            "status",
            lambda _: SocketStatusCode.TRANSPORT_CLOSED,
            when=lambda f: f.status == SocketStatusCode.CONNECTION_LOST,
        ),
    ),
    FaultSpec(
        "socket-id-not-echoed",
        "0xC6/0xC3 carry another socket ID than the request's",
        rewrite((fr.SocketListenResponse, fr.SocketCloseResponse), "socket_id", lambda s: s ^ 0x01),
    ),
    FaultSpec(
        "port-byte-swapped",
        "0xCC carries the remote port little-endian",
        rewrite(fr.SocketNewIPv4Client, "remote_port", _swap16),
    ),
    FaultSpec(
        "address-reversed",
        "0xCC carries the remote IPv4 bytes reversed",
        rewrite(fr.SocketNewIPv4Client, "remote_address", lambda a: ".".join(reversed(a.split(".")))),
    ),
    FaultSpec(
        "payload-truncated",
        "0xCD loses the last byte of each payload",
        rewrite(fr.SocketReceive, "payload", lambda p: p[:-1], when=lambda f: len(f.payload) > 1),
    ),
    FaultSpec("no-escaping", "frames go out unescaped even in AP=2", _NoEscaping),
    FaultSpec(
        "cat1-presents-on-connect",
        "a Cat 1 module that presents 0xCC before any data",
        XBeeFault,
        overrides={"present_connection": "on-connect"},
    ),
    FaultSpec("goes-silent", "answers normally, then (after 60 frames) sends nothing more", _GoesSilent),
    FaultSpec(
        "presents-on-data",
        "an LTE-M module that waits for data before presenting 0xCC",
        XBeeFault,
        overrides={"present_connection": "on-data"},
    ),
    FaultSpec(
        "no-status-after-connect",
        "0xC2 00 but never the 0xCF 00 once connected",
        rewrite(fr.SocketStatus, None, when=lambda f: f.status == SocketStatusCode.CONNECTED),
    ),
    FaultSpec(
        "connect-always-started",
        "0xC2 answers 00 whatever is wrong with the request",
        rewrite(
            fr.SocketConnectResponse,
            "status",
            lambda _: SocketConnectStatus.CONNECT_STARTED,
            when=lambda f: f.status != SocketConnectStatus.CONNECT_STARTED,
        ),
    ),
    FaultSpec(
        "refused-reported-as-timeout",
        "a refused connect is reported as 0xCF 04, not 02",
        rewrite(
            fr.SocketStatus,
            "status",
            lambda _: SocketStatusCode.TIMED_OUT,
            when=lambda f: f.status == SocketStatusCode.CONNECTION_REFUSED,
        ),
    ),
    FaultSpec("late-connect-response", "0xC2 goes out 2.5 s late, after the 0xCF", _LateConnectResponse),
    FaultSpec("send-drops-last-byte", "0x44/0x45 payloads lose their last byte on the network", _SendDropsLastByte),
    FaultSpec(
        "payload-limit-off-by-one",
        "a 1500-byte 0x44/0x45 is refused with 74 (the length check is off by one)",
        XBeeFault,
        overrides={"max_payload": 1499},
    ),
    FaultSpec(
        "tx-status-always-success",
        "0x89 reports 00 even when nothing was sent",
        rewrite(
            fr.TransmitStatus,
            "status",
            lambda _: TransmitStatusCode.SUCCESS,
            when=lambda f: f.status != TransmitStatusCode.SUCCESS,
        ),
    ),
    FaultSpec(
        "receive-from-port-swapped",
        "0xCE carries the source port little-endian",
        rewrite(fr.SocketReceiveFrom, "source_port", _swap16),
    ),
    FaultSpec(
        "close-leaves-sockets-open",
        "0x43 frees the socket ID but leaves the port/connection open",
        _CloseLeavesSocketsOpen,
    ),
    FaultSpec(
        "option-not-stored",
        "a TLS profile set by 0x41 is answered 00 but queries return 00",
        rewrite(fr.SocketOptionResponse, "option_data", lambda _: b"\x00", when=lambda f: bool(f.option_data)),
    ),
    FaultSpec(
        "at-errors-reported-ok",
        "0x88 answers 00 (OK) to bad commands and parameters",
        rewrite(
            fr.ATCommandResponse,
            "status",
            lambda _: ATCommandStatus.OK,
            when=lambda f: f.status != ATCommandStatus.OK,
        ),
    ),
    FaultSpec(
        "create-failure-socket-id",
        "a failed 0xC0 carries socket ID 00 instead of FF",
        rewrite(
            fr.SocketCreateResponse,
            "socket_id",
            lambda _: 0x00,
            when=lambda f: f.status != SocketCreateStatus.SUCCESS,
        ),
    ),
    FaultSpec("reuses-open-socket-id", "a new socket gets an ID that is still in use", _ReusesOpenSocketId),
    FaultSpec(
        "fewer-sockets-than-documented",
        "4 sockets in all, fewer than a Cat 1 module's documented 10 (on an LTE-M profile, whose figure is "
        "UNCONFIRMED, a defensible module: NON-STRICT)",
        XBeeFault,
        overrides={"max_sockets": 4},
    ),
    FaultSpec(
        "listen-twice-accepted",
        "0x46 on a listening/bound socket answers 00, not 03",
        rewrite(
            fr.SocketListenResponse,
            "status",
            lambda _: SocketListenStatus.SUCCESS,
            when=lambda f: f.status == SocketListenStatus.ALREADY_BOUND_OR_LISTENING,
        ),
    ),
    FaultSpec(
        "drops-frame-after-bad-input",
        "after garbage, a bad checksum, a cut frame or an unknown frame type, the next good frame is lost",
        _DropsFrameAfterBadInput,
    ),
    FaultSpec(
        "checksum-not-unescaped", "in AP=2, a frame whose checksum byte is escaped is dropped", _ChecksumNotUnescaped
    ),
    FaultSpec("one-frame-per-read", "only the first frame of each UART read is handled", _OneFramePerRead),
    FaultSpec(
        "no-modem-status-after-reset", "FR restarts the module but no 0x8A follows", rewrite(fr.ModemStatus, None)
    ),
    FaultSpec(
        "sockets-survive-reset",
        "FR leaves every socket open: old IDs stay valid, listeners keep listening",
        _SocketsSurviveReset,
    ),
    FaultSpec(
        "reset-without-ok",
        "FR restarts the module before its 0x88 OK goes out",
        rewrite(fr.ATCommandResponse, None, when=lambda f: f.command == b"FR"),
    ),
    FaultSpec(
        "hv-code-unknown",
        "HV answers 6001, a hardware code Digi's libraries do not list (a module newer than the library)",
        rewrite(fr.ATCommandResponse, "value", lambda _: b"\x60\x01", when=lambda f: f.command == b"HV" and f.value),
    ),
    FaultSpec(
        "si-ids-without-0x",
        "SI prints socket IDs as bare hex digits (01), not as the guide's example does (0x01)",
        rewrite(fr.ATCommandResponse, "value", lambda v: v.replace(b"0x", b""), when=lambda f: f.command == b"SI"),
    ),
    FaultSpec(
        "data-frame-id-of-request",
        "0xCD/0xCE carry the frame ID of the last request the module took, not 00",
        _DataFrameIdOfRequest,
    ),
    FaultSpec(
        "queued-query-no-value",
        "a query in a 0x09 frame is answered 0x88 OK without its value (taken for a queued set)",
        _QueuedQueryNoValue,
    ),
    FaultSpec(
        "settings-written-at-once",
        "every AT set is written at once (as if WR followed): FR reverts nothing",
        _SettingsWrittenAtOnce,
    ),
)
