"""Typed XBee Cellular API frames (spec §2): one immutable class per frame type.

A frame knows its frame data (type byte first) and nothing of framing, escaping or I/O:
``to_data()`` builds the frame data, ``from_data()`` parses it and raises ``FrameFormatError``
when the data is too short or malformed for the type. ``parse_frame_data`` dispatches by type
and keeps unknown types as ``UnknownFrame`` so nothing a device sends is lost.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

from sockconf.protocol.xbee.status import (
    AddressType,
    ATCommandStatus,
    ModemStatusCode,
    Protocol,
    SocketCloseStatus,
    SocketConnectStatus,
    SocketCreateStatus,
    SocketListenStatus,
    SocketOptionStatus,
    SocketStatusCode,
    TransmitStatusCode,
    coerce,
)


class FrameFormatError(ValueError):
    """Frame data that cannot be a frame of its type (too short, bad field)."""


def _ip(raw: bytes) -> str:
    return socket.inet_ntoa(raw)


def _ip_bytes(address: str) -> bytes:
    try:
        return socket.inet_pton(socket.AF_INET, address)
    except (OSError, ValueError) as exc:
        raise FrameFormatError(f"not an IPv4 address: {address!r}") from exc


def _need(data: bytes, n: int, name: str) -> None:
    if len(data) < n:
        raise FrameFormatError(f"{name}: {len(data)} bytes of frame data, at least {n} needed")


def _exact(data: bytes, n: int, name: str) -> None:
    """Fixed-layout frames: extra bytes are a deviation to report, not to drop silently."""
    if len(data) != n:
        raise FrameFormatError(f"{name}: {len(data)} bytes of frame data, exactly {n} expected")


@dataclass(frozen=True, slots=True)
class Frame:
    """Base of every typed frame."""

    FRAME_TYPE: ClassVar[int] = -1
    NAME: ClassVar[str] = "Frame"

    def to_data(self) -> bytes:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @classmethod
    def from_data(cls, data: bytes) -> Frame:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @classmethod
    def _make(cls, *values: Any) -> Self:
        """``cls(*values)``, given every field in order: what ``from_data`` builds its frame with.

        Frame classes with up to four fields get a faster one from ``_maker`` (below).
        """
        return cls(*values)

    def field_items(self) -> list[tuple[str, object]]:
        """(name, value) of every field, in frame order: what reports and diffs show."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True)
class ATCommand(Frame):
    """0x08 AT Command: no parameter is a query, a parameter is a set."""

    frame_id: int
    command: bytes
    parameter: bytes = b""
    FRAME_TYPE: ClassVar[int] = 0x08
    NAME: ClassVar[str] = "AT Command"

    def to_data(self) -> bytes:
        return bytes((self.FRAME_TYPE, self.frame_id)) + self.command + self.parameter

    @classmethod
    def from_data(cls, data: bytes) -> ATCommand:
        _need(data, 4, cls.NAME)
        return cls._make(data[1], bytes(data[2:4]), bytes(data[4:]))


@dataclass(frozen=True, slots=True)
class ATCommandQueue(ATCommand):
    """0x09 AT Command - Queue Parameter Value: a set waits for the next 0x08 or AC."""

    FRAME_TYPE: ClassVar[int] = 0x09
    NAME: ClassVar[str] = "AT Command - Queue Parameter Value"


@dataclass(frozen=True, slots=True)
class SocketCreate(Frame):
    """0x40 Socket Create. Always answered, even with frame ID 0."""

    frame_id: int
    protocol: Protocol | int
    FRAME_TYPE: ClassVar[int] = 0x40
    NAME: ClassVar[str] = "Socket Create"

    def to_data(self) -> bytes:
        return bytes((0x40, self.frame_id, self.protocol))

    @classmethod
    def from_data(cls, data: bytes) -> SocketCreate:
        _exact(data, 3, cls.NAME)
        return cls._make(data[1], coerce(Protocol, data[2]))


@dataclass(frozen=True, slots=True)
class SocketOption(Frame):
    """0x41 Socket Option Request: no option data is a query."""

    frame_id: int
    socket_id: int
    option_id: int
    option_data: bytes = b""
    FRAME_TYPE: ClassVar[int] = 0x41
    NAME: ClassVar[str] = "Socket Option Request"

    def to_data(self) -> bytes:
        return bytes((0x41, self.frame_id, self.socket_id, self.option_id)) + self.option_data

    @classmethod
    def from_data(cls, data: bytes) -> SocketOption:
        _need(data, 4, cls.NAME)
        return cls._make(data[1], data[2], data[3], bytes(data[4:]))


@dataclass(frozen=True, slots=True)
class SocketConnect(Frame):
    """0x42 Socket Connect; ``address`` is 4 raw bytes (IPV4) or ASCII text (STRING)."""

    frame_id: int
    socket_id: int
    dest_port: int
    address_type: AddressType | int
    address: bytes
    FRAME_TYPE: ClassVar[int] = 0x42
    NAME: ClassVar[str] = "Socket Connect"

    def to_data(self) -> bytes:
        return (
            bytes((0x42, self.frame_id, self.socket_id))
            + self.dest_port.to_bytes(2, "big")
            + bytes((self.address_type,))
            + self.address
        )

    @classmethod
    def from_data(cls, data: bytes) -> SocketConnect:
        _need(data, 6, cls.NAME)
        return cls._make(
            data[1], data[2], int.from_bytes(data[3:5], "big"), coerce(AddressType, data[5]), bytes(data[6:])
        )


@dataclass(frozen=True, slots=True)
class SocketClose(Frame):
    """0x43 Socket Close; socket ID 0xFF closes every socket."""

    frame_id: int
    socket_id: int
    FRAME_TYPE: ClassVar[int] = 0x43
    NAME: ClassVar[str] = "Socket Close"

    def to_data(self) -> bytes:
        return bytes((0x43, self.frame_id, self.socket_id))

    @classmethod
    def from_data(cls, data: bytes) -> SocketClose:
        _exact(data, 3, cls.NAME)
        return cls._make(data[1], data[2])


@dataclass(frozen=True, slots=True)
class SocketSend(Frame):
    """0x44 Socket Send on a connected socket."""

    frame_id: int
    socket_id: int
    payload: bytes
    tx_options: int = 0
    FRAME_TYPE: ClassVar[int] = 0x44
    NAME: ClassVar[str] = "Socket Send"

    def to_data(self) -> bytes:
        return bytes((0x44, self.frame_id, self.socket_id, self.tx_options)) + self.payload

    @classmethod
    def from_data(cls, data: bytes) -> SocketSend:
        _need(data, 4, cls.NAME)
        return cls._make(data[1], data[2], bytes(data[4:]), data[3])


@dataclass(frozen=True, slots=True)
class SocketSendTo(Frame):
    """0x45 Socket SendTo (UDP)."""

    frame_id: int
    socket_id: int
    dest_address: str
    dest_port: int
    payload: bytes
    tx_options: int = 0
    FRAME_TYPE: ClassVar[int] = 0x45
    NAME: ClassVar[str] = "Socket SendTo"

    def to_data(self) -> bytes:
        return (
            bytes((0x45, self.frame_id, self.socket_id))
            + _ip_bytes(self.dest_address)
            + self.dest_port.to_bytes(2, "big")
            + bytes((self.tx_options,))
            + self.payload
        )

    @classmethod
    def from_data(cls, data: bytes) -> SocketSendTo:
        _need(data, 10, cls.NAME)
        return cls._make(data[1], data[2], _ip(data[3:7]), int.from_bytes(data[7:9], "big"), bytes(data[10:]), data[9])


@dataclass(frozen=True, slots=True)
class SocketBindListen(Frame):
    """0x46 Socket Bind/Listen: TCP/TLS listen, UDP bind."""

    frame_id: int
    socket_id: int
    source_port: int
    FRAME_TYPE: ClassVar[int] = 0x46
    NAME: ClassVar[str] = "Socket Bind/Listen"

    def to_data(self) -> bytes:
        return bytes((0x46, self.frame_id, self.socket_id)) + self.source_port.to_bytes(2, "big")

    @classmethod
    def from_data(cls, data: bytes) -> SocketBindListen:
        _exact(data, 5, cls.NAME)
        return cls._make(data[1], data[2], int.from_bytes(data[3:5], "big"))


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True, slots=True)
class ATCommandResponse(Frame):
    """0x88 AT Command Response; ``value`` only for queries."""

    frame_id: int
    command: bytes
    status: ATCommandStatus | int
    value: bytes = b""
    FRAME_TYPE: ClassVar[int] = 0x88
    NAME: ClassVar[str] = "AT Command Response"

    def to_data(self) -> bytes:
        return bytes((0x88, self.frame_id)) + self.command + bytes((self.status,)) + self.value

    @classmethod
    def from_data(cls, data: bytes) -> ATCommandResponse:
        _need(data, 5, cls.NAME)
        return cls._make(data[1], bytes(data[2:4]), coerce(ATCommandStatus, data[4]), bytes(data[5:]))


@dataclass(frozen=True, slots=True)
class TransmitStatus(Frame):
    """0x89 TX Status."""

    frame_id: int
    status: TransmitStatusCode | int
    FRAME_TYPE: ClassVar[int] = 0x89
    NAME: ClassVar[str] = "TX Status"

    def to_data(self) -> bytes:
        return bytes((0x89, self.frame_id, self.status))

    @classmethod
    def from_data(cls, data: bytes) -> TransmitStatus:
        _exact(data, 3, cls.NAME)
        return cls._make(data[1], coerce(TransmitStatusCode, data[2]))


@dataclass(frozen=True, slots=True)
class ModemStatus(Frame):
    """0x8A Modem Status: no frame ID."""

    status: ModemStatusCode | int
    FRAME_TYPE: ClassVar[int] = 0x8A
    NAME: ClassVar[str] = "Modem Status"

    def to_data(self) -> bytes:
        return bytes((0x8A, self.status))

    @classmethod
    def from_data(cls, data: bytes) -> ModemStatus:
        _exact(data, 2, cls.NAME)
        return cls._make(coerce(ModemStatusCode, data[1]))


@dataclass(frozen=True, slots=True)
class SocketCreateResponse(Frame):
    """0xC0 Socket Create Response; socket ID 0xFF on failure."""

    frame_id: int
    socket_id: int
    status: SocketCreateStatus | int
    FRAME_TYPE: ClassVar[int] = 0xC0
    NAME: ClassVar[str] = "Socket Create Response"

    def to_data(self) -> bytes:
        return bytes((self.FRAME_TYPE, self.frame_id, self.socket_id, self.status))

    @classmethod
    def from_data(cls, data: bytes) -> SocketCreateResponse:
        _exact(data, 4, cls.NAME)
        return cls._make(data[1], data[2], coerce(SocketCreateStatus, data[3]))


@dataclass(frozen=True, slots=True)
class SocketOptionResponse(Frame):
    """0xC1 Socket Option Response; ``option_data`` only for queries."""

    frame_id: int
    socket_id: int
    option_id: int
    status: SocketOptionStatus | int
    option_data: bytes = b""
    FRAME_TYPE: ClassVar[int] = 0xC1
    NAME: ClassVar[str] = "Socket Option Response"

    def to_data(self) -> bytes:
        return bytes((0xC1, self.frame_id, self.socket_id, self.option_id, self.status)) + self.option_data

    @classmethod
    def from_data(cls, data: bytes) -> SocketOptionResponse:
        _need(data, 5, cls.NAME)
        return cls._make(data[1], data[2], data[3], coerce(SocketOptionStatus, data[4]), bytes(data[5:]))


@dataclass(frozen=True, slots=True)
class SocketConnectResponse(Frame):
    """0xC2 Socket Connect Response: ``CONNECT_STARTED`` means wait for 0xCF."""

    frame_id: int
    socket_id: int
    status: SocketConnectStatus | int
    FRAME_TYPE: ClassVar[int] = 0xC2
    NAME: ClassVar[str] = "Socket Connect Response"

    def to_data(self) -> bytes:
        return bytes((self.FRAME_TYPE, self.frame_id, self.socket_id, self.status))

    @classmethod
    def from_data(cls, data: bytes) -> SocketConnectResponse:
        _exact(data, 4, cls.NAME)
        return cls._make(data[1], data[2], coerce(SocketConnectStatus, data[3]))


@dataclass(frozen=True, slots=True)
class SocketCloseResponse(Frame):
    """0xC3 Socket Close Response."""

    frame_id: int
    socket_id: int
    status: SocketCloseStatus | int
    FRAME_TYPE: ClassVar[int] = 0xC3
    NAME: ClassVar[str] = "Socket Close Response"

    def to_data(self) -> bytes:
        return bytes((self.FRAME_TYPE, self.frame_id, self.socket_id, self.status))

    @classmethod
    def from_data(cls, data: bytes) -> SocketCloseResponse:
        _exact(data, 4, cls.NAME)
        return cls._make(data[1], data[2], coerce(SocketCloseStatus, data[3]))


@dataclass(frozen=True, slots=True)
class SocketListenResponse(Frame):
    """0xC6 Socket Listen Response."""

    frame_id: int
    socket_id: int
    status: SocketListenStatus | int
    FRAME_TYPE: ClassVar[int] = 0xC6
    NAME: ClassVar[str] = "Socket Listen Response"

    def to_data(self) -> bytes:
        return bytes((self.FRAME_TYPE, self.frame_id, self.socket_id, self.status))

    @classmethod
    def from_data(cls, data: bytes) -> SocketListenResponse:
        _exact(data, 4, cls.NAME)
        return cls._make(data[1], data[2], coerce(SocketListenStatus, data[3]))


@dataclass(frozen=True, slots=True)
class SocketNewIPv4Client(Frame):
    """0xCC Socket New IPv4 Client: no frame ID."""

    socket_id: int
    client_socket_id: int
    remote_address: str
    remote_port: int
    FRAME_TYPE: ClassVar[int] = 0xCC
    NAME: ClassVar[str] = "Socket New IPv4 Client"

    def to_data(self) -> bytes:
        return (
            bytes((0xCC, self.socket_id, self.client_socket_id))
            + _ip_bytes(self.remote_address)
            + self.remote_port.to_bytes(2, "big")
        )

    @classmethod
    def from_data(cls, data: bytes) -> SocketNewIPv4Client:
        _exact(data, 9, cls.NAME)
        return cls._make(data[1], data[2], _ip(data[3:7]), int.from_bytes(data[7:9], "big"))


@dataclass(frozen=True, slots=True)
class SocketReceive(Frame):
    """0xCD Socket Receive: frame ID is 0 in Digi's bytes; status reserved (0)."""

    frame_id: int
    socket_id: int
    status: int
    payload: bytes
    FRAME_TYPE: ClassVar[int] = 0xCD
    NAME: ClassVar[str] = "Socket Receive"

    def to_data(self) -> bytes:
        return bytes((0xCD, self.frame_id, self.socket_id, self.status)) + self.payload

    @classmethod
    def from_data(cls, data: bytes) -> SocketReceive:
        _need(data, 4, cls.NAME)
        return cls._make(data[1], data[2], data[3], bytes(data[4:]))


@dataclass(frozen=True, slots=True)
class SocketReceiveFrom(Frame):
    """0xCE Socket Receive From (UDP)."""

    frame_id: int
    socket_id: int
    source_address: str
    source_port: int
    status: int
    payload: bytes
    FRAME_TYPE: ClassVar[int] = 0xCE
    NAME: ClassVar[str] = "Socket Receive From"

    def to_data(self) -> bytes:
        return (
            bytes((0xCE, self.frame_id, self.socket_id))
            + _ip_bytes(self.source_address)
            + self.source_port.to_bytes(2, "big")
            + bytes((self.status,))
            + self.payload
        )

    @classmethod
    def from_data(cls, data: bytes) -> SocketReceiveFrom:
        _need(data, 10, cls.NAME)
        return cls._make(data[1], data[2], _ip(data[3:7]), int.from_bytes(data[7:9], "big"), data[9], bytes(data[10:]))


@dataclass(frozen=True, slots=True)
class SocketStatus(Frame):
    """0xCF Socket Status: no frame ID; any status but CONNECTED frees the socket ID."""

    socket_id: int
    status: SocketStatusCode | int
    FRAME_TYPE: ClassVar[int] = 0xCF
    NAME: ClassVar[str] = "Socket Status"

    def to_data(self) -> bytes:
        return bytes((0xCF, self.socket_id, self.status))

    @classmethod
    def from_data(cls, data: bytes) -> SocketStatus:
        _exact(data, 3, cls.NAME)
        return cls._make(data[1], coerce(SocketStatusCode, data[2]))


@dataclass(frozen=True, slots=True)
class UnknownFrame(Frame):
    """A frame whose type this codec does not know; kept whole."""

    frame_type: int
    data: bytes
    NAME: ClassVar[str] = "Unknown frame"

    def to_data(self) -> bytes:
        return bytes((self.frame_type,)) + self.data


def _maker(cls: type[Frame]) -> Callable[..., Frame] | None:
    """A function doing what ``cls(*values)`` does given every field in order, with less work.

    The ``__init__`` a frozen dataclass generates sets each field through ``object.__setattr__``,
    which ends at the field's slot descriptor; this calls the descriptors' ``__set__`` directly on a
    bare instance. Same fields, same values, same order; nothing else runs (no frame class has a
    ``__post_init__``), and a call with the wrong number of values fails as ``cls(...)`` would.
    None for more than four fields: those frames are rare, ``cls(...)`` does for them.
    """
    new = object.__new__
    setters = [getattr(cls, f.name).__set__ for f in fields(cls)]
    if len(setters) == 1:
        (s0,) = setters

        def make1(v0: object) -> Frame:
            frame = new(cls)
            s0(frame, v0)
            return frame

        return make1
    if len(setters) == 2:
        s0, s1 = setters

        def make2(v0: object, v1: object) -> Frame:
            frame = new(cls)
            s0(frame, v0)
            s1(frame, v1)
            return frame

        return make2
    if len(setters) == 3:
        s0, s1, s2 = setters

        def make3(v0: object, v1: object, v2: object) -> Frame:
            frame = new(cls)
            s0(frame, v0)
            s1(frame, v1)
            s2(frame, v2)
            return frame

        return make3
    if len(setters) == 4:
        s0, s1, s2, s3 = setters

        def make4(v0: object, v1: object, v2: object, v3: object) -> Frame:
            frame = new(cls)
            s0(frame, v0)
            s1(frame, v1)
            s2(frame, v2)
            s3(frame, v3)
            return frame

        return make4
    return None


FRAME_CLASSES: dict[int, type[Frame]] = {
    cls.FRAME_TYPE: cls
    for cls in (
        ATCommand,
        ATCommandQueue,
        SocketCreate,
        SocketOption,
        SocketConnect,
        SocketClose,
        SocketSend,
        SocketSendTo,
        SocketBindListen,
        ATCommandResponse,
        TransmitStatus,
        ModemStatus,
        SocketCreateResponse,
        SocketOptionResponse,
        SocketConnectResponse,
        SocketCloseResponse,
        SocketListenResponse,
        SocketNewIPv4Client,
        SocketReceive,
        SocketReceiveFrom,
        SocketStatus,
    )
}


def _install_makers() -> None:
    """Frames are decoded at the rate of the stream: each class with a faster ``_make`` gets it."""
    cls: type[Frame]
    for cls in (*FRAME_CLASSES.values(), UnknownFrame):
        if (fast := _maker(cls)) is not None:
            cls._make = staticmethod(fast)  # type: ignore[method-assign]


_install_makers()


def parse_frame_data(data: bytes) -> Frame:
    """Typed frame for frame data (type byte first); raises ``FrameFormatError``."""
    if not data:
        raise FrameFormatError("empty frame data")
    cls = FRAME_CLASSES.get(data[0])
    if cls is None:
        return UnknownFrame._make(data[0], bytes(data[1:]))
    return cls.from_data(data)
