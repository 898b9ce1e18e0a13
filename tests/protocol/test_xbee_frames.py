"""Self-tests of the typed XBee frames (protocol/xbee/frames.py) and status tables (status.py).

Expected values are written out by hand from docs/spec/xbee-cellular-sockets.md (§2, §3, §5), never
derived by calling the code under test. The hypothesis strategies for every frame class live here
and are reused by test_xbee_framing.py.
"""

from __future__ import annotations

import dataclasses
import functools
from enum import IntEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockconf.data.vectors.xbee import XBEE_LISTENER, XBEE_UDP_EXAMPLE
from sockconf.protocol.xbee import FRAME_CLASSES, Decoder, Frame, FrameFormatError, encode, parse_frame_data
from sockconf.protocol.xbee.frames import (
    ATCommand,
    ATCommandQueue,
    ATCommandResponse,
    ModemStatus,
    SocketBindListen,
    SocketClose,
    SocketCloseResponse,
    SocketConnect,
    SocketConnectResponse,
    SocketCreate,
    SocketCreateResponse,
    SocketListenResponse,
    SocketNewIPv4Client,
    SocketOption,
    SocketOptionResponse,
    SocketReceive,
    SocketReceiveFrom,
    SocketSend,
    SocketSendTo,
    SocketStatus,
    TransmitStatus,
    UnknownFrame,
)
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
    describe,
)

# --------------------------------------------------------------------------- strategies

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
ipv4 = st.ip_addresses(v=4).map(str)
# The bytes AP=2 must escape; payloads are biased towards them so escaping is exercised often.
SPECIAL_BYTES = (0x7E, 0x7D, 0x11, 0x13)


def payloads(max_size: int = 1500) -> st.SearchStrategy[bytes]:
    """Any bytes up to ``max_size``, often full of 7E 7D 11 13, sometimes near the maximum."""
    biased = st.lists(st.one_of(st.sampled_from(SPECIAL_BYTES), u8), max_size=max_size).map(bytes)
    options = [biased, st.binary(max_size=max_size)]
    if max_size >= 100:
        options.append(st.binary(min_size=max_size - 100, max_size=max_size))
    return st.one_of(*options)


def status(table: type[IntEnum]) -> st.SearchStrategy[int]:
    """A documented code of ``table`` or any byte (undocumented codes must survive too)."""
    return st.one_of(st.sampled_from(table), u8)


def frame_strategies(max_payload: int = 1500) -> dict[type[Frame], st.SearchStrategy[Frame]]:
    """One strategy per typed frame class (FRAME_CLASSES) plus UnknownFrame, valid field ranges."""
    payload = payloads(max_payload)
    small = payloads(32)  # AT parameters/values, option data
    command = st.binary(min_size=2, max_size=2)
    address = st.one_of(
        st.binary(min_size=4, max_size=4),
        st.text("abcdefghijklmnopqrstuvwxyz0123456789.-", max_size=64).map(str.encode),
        small,
    )
    return {
        ATCommand: st.builds(ATCommand, frame_id=u8, command=command, parameter=small),
        ATCommandQueue: st.builds(ATCommandQueue, frame_id=u8, command=command, parameter=small),
        SocketCreate: st.builds(SocketCreate, frame_id=u8, protocol=status(Protocol)),
        SocketOption: st.builds(SocketOption, frame_id=u8, socket_id=u8, option_id=u8, option_data=small),
        SocketConnect: st.builds(
            SocketConnect,
            frame_id=u8,
            socket_id=u8,
            dest_port=u16,
            address_type=status(AddressType),
            address=address,
        ),
        SocketClose: st.builds(SocketClose, frame_id=u8, socket_id=u8),
        SocketSend: st.builds(SocketSend, frame_id=u8, socket_id=u8, payload=payload, tx_options=u8),
        SocketSendTo: st.builds(
            SocketSendTo,
            frame_id=u8,
            socket_id=u8,
            dest_address=ipv4,
            dest_port=u16,
            payload=payload,
            tx_options=u8,
        ),
        SocketBindListen: st.builds(SocketBindListen, frame_id=u8, socket_id=u8, source_port=u16),
        ATCommandResponse: st.builds(
            ATCommandResponse, frame_id=u8, command=command, status=status(ATCommandStatus), value=small
        ),
        TransmitStatus: st.builds(TransmitStatus, frame_id=u8, status=status(TransmitStatusCode)),
        ModemStatus: st.builds(ModemStatus, status=status(ModemStatusCode)),
        SocketCreateResponse: st.builds(
            SocketCreateResponse, frame_id=u8, socket_id=u8, status=status(SocketCreateStatus)
        ),
        SocketOptionResponse: st.builds(
            SocketOptionResponse,
            frame_id=u8,
            socket_id=u8,
            option_id=u8,
            status=status(SocketOptionStatus),
            option_data=small,
        ),
        SocketConnectResponse: st.builds(
            SocketConnectResponse, frame_id=u8, socket_id=u8, status=status(SocketConnectStatus)
        ),
        SocketCloseResponse: st.builds(
            SocketCloseResponse, frame_id=u8, socket_id=u8, status=status(SocketCloseStatus)
        ),
        SocketListenResponse: st.builds(
            SocketListenResponse, frame_id=u8, socket_id=u8, status=status(SocketListenStatus)
        ),
        SocketNewIPv4Client: st.builds(
            SocketNewIPv4Client, socket_id=u8, client_socket_id=u8, remote_address=ipv4, remote_port=u16
        ),
        SocketReceive: st.builds(SocketReceive, frame_id=u8, socket_id=u8, status=u8, payload=payload),
        SocketReceiveFrom: st.builds(
            SocketReceiveFrom,
            frame_id=u8,
            socket_id=u8,
            source_address=ipv4,
            source_port=u16,
            status=u8,
            payload=payload,
        ),
        SocketStatus: st.builds(SocketStatus, socket_id=u8, status=status(SocketStatusCode)),
        UnknownFrame: st.builds(UnknownFrame, frame_type=u8.filter(lambda t: t not in FRAME_CLASSES), data=payload),
    }


@functools.cache
def any_frame(max_payload: int = 1500) -> st.SearchStrategy[Frame]:
    """Any frame of any class (typed or unknown). Cached: building it per example is slow."""
    return st.one_of(*frame_strategies(max_payload).values())


# --------------------------------------------------------------------------- helpers


def assert_same_frame(actual: object, expected: Frame) -> None:
    """Same class, same field values and same field types (an enum member is not a plain int)."""
    assert type(actual) is type(expected), f"{actual!r} is not a {type(expected).__name__}"
    assert isinstance(actual, Frame)
    assert actual.field_items() == expected.field_items()
    for (name, got), (_, want) in zip(actual.field_items(), expected.field_items(), strict=True):
        assert type(got) is type(want), f"{name}: {got!r} ({type(got).__name__}), want {want!r}"


def test_strategies_cover_every_frame_class() -> None:
    assert set(frame_strategies()) == {*FRAME_CLASSES.values(), UnknownFrame}


# --------------------------------------------------------------------------- seed vectors (spec §5)

SEED_FRAMES: dict[str, Frame] = {
    # 7E 00 03 40 01 01 BD: 0x40, frame 1, TCP
    "create": SocketCreate(frame_id=1, protocol=Protocol.TCP),
    # 7E 00 04 C0 01 00 00 3E: 0xC0, frame 1, socket 0, success
    "create_response": SocketCreateResponse(frame_id=1, socket_id=0, status=SocketCreateStatus.SUCCESS),
    # 7E 00 05 46 01 00 27 11 80: 0x46, frame 1, socket 0, port 10001 (0x2711)
    "listen": SocketBindListen(frame_id=1, socket_id=0, source_port=10001),
    # 7E 00 04 C6 01 00 00 38: 0xC6, frame 1, socket 0, success
    "listen_response": SocketListenResponse(frame_id=1, socket_id=0, status=SocketListenStatus.SUCCESS),
    # 7E 00 09 CC 00 01 0A 0A 4A 9D 27 11 FF: listener 0, client 1, 10.10.74.157:10001
    "new_client": SocketNewIPv4Client(
        socket_id=0, client_socket_id=1, remote_address="10.10.74.157", remote_port=10001
    ),
    # 7E 00 10 CD 00 01 00 "Hello XBee!\n" 8E: frame 0 (not the 01 of the seed's table), socket 1
    "receive": SocketReceive(frame_id=0, socket_id=1, status=0, payload=b"Hello XBee!\n"),
    # 7E 00 03 CF 01 07 28: socket 1, connection lost
    "connection_lost": SocketStatus(socket_id=1, status=SocketStatusCode.CONNECTION_LOST),
    # Digi's UDP example
    # 7E 00 03 40 01 00 BE: frame 1, UDP
    "create_udp": SocketCreate(frame_id=1, protocol=Protocol.UDP),
    # 7E 00 05 46 01 00 12 34 72: frame 1, socket 0, port 0x1234
    "bind": SocketBindListen(frame_id=1, socket_id=0, source_port=0x1234),
    # 7E 00 03 89 01 00 75: frame 1, success
    "tx_status_success": TransmitStatus(frame_id=1, status=TransmitStatusCode.SUCCESS),
    # 7E 00 03 43 01 00 BB: frame 1, socket 0
    "close": SocketClose(frame_id=1, socket_id=0),
    # 7E 00 04 C3 01 00 00 3B: frame 1, socket 0, success
    "close_response": SocketCloseResponse(frame_id=1, socket_id=0, status=SocketCloseStatus.SUCCESS),
    # 7E 00 03 CF 00 07 29: socket 0, connection lost
    "connection_lost_socket0": SocketStatus(socket_id=0, status=SocketStatusCode.CONNECTION_LOST),
}
SEED_WIRE: dict[str, bytes] = {**XBEE_LISTENER, **XBEE_UDP_EXAMPLE}


def test_every_seed_vector_has_an_expectation() -> None:
    assert set(SEED_WIRE) == set(SEED_FRAMES)


@pytest.mark.parametrize("name", sorted(SEED_FRAMES))
def test_seed_vector_decodes_to_typed_frame(name: str) -> None:
    decoder = Decoder(1)
    events = decoder.feed(SEED_WIRE[name])
    assert len(events) == 1, events
    assert_same_frame(events[0], SEED_FRAMES[name])
    assert decoder.pending == b""
    assert decoder.flush() == []


@pytest.mark.parametrize("name", sorted(SEED_FRAMES))
def test_seed_frame_reencodes_identically(name: str) -> None:
    assert encode(SEED_FRAMES[name], 1) == SEED_WIRE[name]
    # frame data is what sits between the 2 length bytes and the checksum
    assert SEED_FRAMES[name].to_data() == SEED_WIRE[name][3:-1]


def test_seed_listener_payload_has_trailing_newline() -> None:
    # The seed's payload table omits the newline; its bytes (and the length 0x10) carry it.
    frame = parse_frame_data(XBEE_LISTENER["receive"][3:-1])
    assert isinstance(frame, SocketReceive)
    assert frame.payload == b"Hello XBee!\n"
    assert len(frame.payload) == 12


def test_all_seed_vectors_in_one_stream() -> None:
    names = sorted(SEED_FRAMES)
    events = Decoder(1).feed(b"".join(SEED_WIRE[n] for n in names))
    assert events == [SEED_FRAMES[n] for n in names]


# --------------------------------------------------------------------------- known answers per class

# (frame, frame data written by hand from spec §2)
KNOWN_FRAME_DATA: list[tuple[Frame, str]] = [
    (ATCommand(frame_id=1, command=b"MY"), "08 01 4D 59"),
    (ATCommand(frame_id=2, command=b"AP", parameter=b"\x02"), "08 02 41 50 02"),
    (ATCommandQueue(frame_id=1, command=b"AP"), "09 01 41 50"),
    (ATCommandQueue(frame_id=9, command=b"NI", parameter=b"ab"), "09 09 4E 49 61 62"),
    (SocketCreate(frame_id=7, protocol=Protocol.TLS), "40 07 04"),
    (SocketOption(frame_id=3, socket_id=2, option_id=0), "41 03 02 00"),
    (SocketOption(frame_id=3, socket_id=2, option_id=0, option_data=b"\x01"), "41 03 02 00 01"),
    (
        SocketConnect(
            frame_id=1,
            socket_id=0,
            dest_port=10001,
            address_type=AddressType.IPV4,
            address=bytes((10, 10, 74, 157)),
        ),
        "42 01 00 27 11 00 0A 0A 4A 9D",
    ),
    (
        SocketConnect(frame_id=4, socket_id=5, dest_port=80, address_type=AddressType.STRING, address=b"a.io"),
        "42 04 05 00 50 01 61 2E 69 6F",
    ),
    (SocketClose(frame_id=2, socket_id=0xFF), "43 02 FF"),
    # tx_options comes before the payload on the wire, after it in the dataclass
    (SocketSend(frame_id=1, socket_id=1, payload=b"hi"), "44 01 01 00 68 69"),
    (SocketSend(frame_id=1, socket_id=1, payload=b"", tx_options=0x80), "44 01 01 80"),
    (
        SocketSendTo(frame_id=5, socket_id=0, dest_address="192.168.1.2", dest_port=0x1234, payload=b"~"),
        "45 05 00 C0 A8 01 02 12 34 00 7E",
    ),
    (SocketBindListen(frame_id=0, socket_id=3, source_port=0xFFFF), "46 00 03 FF FF"),
    (
        ATCommandResponse(frame_id=1, command=b"MY", status=ATCommandStatus.OK, value=bytes((10, 0, 0, 1))),
        "88 01 4D 59 00 0A 00 00 01",
    ),
    (
        ATCommandResponse(frame_id=2, command=b"XX", status=ATCommandStatus.INVALID_COMMAND),
        "88 02 58 58 02",
    ),
    (TransmitStatus(frame_id=1, status=TransmitStatusCode.MESSAGE_TOO_LONG), "89 01 74"),
    (ModemStatus(status=ModemStatusCode.REGISTERED), "8A 02"),
    (
        SocketCreateResponse(frame_id=1, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR),
        "C0 01 FF 32",
    ),
    (
        SocketOptionResponse(
            frame_id=3, socket_id=0, option_id=0, status=SocketOptionStatus.SUCCESS, option_data=b"\x01"
        ),
        "C1 03 00 00 00 01",
    ),
    (
        SocketOptionResponse(frame_id=3, socket_id=9, option_id=0, status=SocketOptionStatus.BAD_SOCKET_ID),
        "C1 03 09 00 20",
    ),
    (
        SocketConnectResponse(frame_id=1, socket_id=0, status=SocketConnectStatus.CONNECT_STARTED),
        "C2 01 00 00",
    ),
    (
        SocketConnectResponse(frame_id=1, socket_id=7, status=SocketConnectStatus.INVALID_SOCKET_ID),
        "C2 01 07 20",
    ),
    (
        SocketCloseResponse(frame_id=4, socket_id=3, status=SocketCloseStatus.BAD_SOCKET_ID),
        "C3 04 03 20",
    ),
    (
        SocketListenResponse(frame_id=1, socket_id=0, status=SocketListenStatus.INVALID_PORT),
        "C6 01 00 01",
    ),
    (
        SocketNewIPv4Client(socket_id=2, client_socket_id=3, remote_address="255.0.127.1", remote_port=0),
        "CC 02 03 FF 00 7F 01 00 00",
    ),
    (SocketReceive(frame_id=0, socket_id=1, status=0, payload=b""), "CD 00 01 00"),
    (
        SocketReceiveFrom(
            frame_id=0,
            socket_id=0,
            source_address="10.10.74.157",
            source_port=0x1234,
            status=0,
            payload=b"ping",
        ),
        "CE 00 00 0A 0A 4A 9D 12 34 00 70 69 6E 67",
    ),
    (SocketStatus(socket_id=0, status=SocketStatusCode.CONNECTED), "CF 00 00"),
    (SocketStatus(socket_id=4, status=SocketStatusCode.PDP_CONTEXT_DEACTIVATED), "CF 04 0E"),
    (UnknownFrame(frame_type=0x23, data=b"\x11"), "23 11"),
    (UnknownFrame(frame_type=0xFE, data=b""), "FE"),
]


def test_known_answers_cover_every_frame_class() -> None:
    assert {type(f) for f, _ in KNOWN_FRAME_DATA} >= set(FRAME_CLASSES.values())


@pytest.mark.parametrize(("frame", "data"), KNOWN_FRAME_DATA, ids=lambda v: getattr(v, "NAME", v))
def test_known_frame_data(frame: Frame, data: str) -> None:
    raw = bytes.fromhex(data)
    assert frame.to_data() == raw
    assert_same_frame(parse_frame_data(raw), frame)


def test_frame_types_match_spec() -> None:
    expected: dict[int, type[Frame]] = {
        0x08: ATCommand,
        0x09: ATCommandQueue,
        0x40: SocketCreate,
        0x41: SocketOption,
        0x42: SocketConnect,
        0x43: SocketClose,
        0x44: SocketSend,
        0x45: SocketSendTo,
        0x46: SocketBindListen,
        0x88: ATCommandResponse,
        0x89: TransmitStatus,
        0x8A: ModemStatus,
        0xC0: SocketCreateResponse,
        0xC1: SocketOptionResponse,
        0xC2: SocketConnectResponse,
        0xC3: SocketCloseResponse,
        0xC6: SocketListenResponse,
        0xCC: SocketNewIPv4Client,
        0xCD: SocketReceive,
        0xCE: SocketReceiveFrom,
        0xCF: SocketStatus,
    }
    assert expected == FRAME_CLASSES
    for frame_type, cls in expected.items():
        assert frame_type == cls.FRAME_TYPE


# Shortest frame data (type byte included) of each type, counted from spec §2.
MINIMUM_LENGTH = {
    0x08: 4,  # type, frame ID, command (2)
    0x09: 4,
    0x40: 3,  # type, frame ID, protocol
    0x41: 4,  # type, frame ID, socket ID, option ID
    0x42: 6,  # type, frame ID, socket ID, port (2), address type (address may be empty)
    0x43: 3,
    0x44: 4,  # type, frame ID, socket ID, TX options
    0x45: 10,  # type, frame ID, socket ID, IPv4 (4), port (2), TX options
    0x46: 5,
    0x88: 5,  # type, frame ID, command (2), status
    0x89: 3,
    0x8A: 2,  # type, status: no frame ID
    0xC0: 4,
    0xC1: 5,
    0xC2: 4,
    0xC3: 4,
    0xC6: 4,
    0xCC: 9,  # type, listener, client, IPv4 (4), port (2)
    0xCD: 4,
    0xCE: 10,  # type, frame ID, socket ID, IPv4 (4), port (2), status
    0xCF: 3,
}


@pytest.mark.parametrize("frame_type", sorted(MINIMUM_LENGTH), ids=lambda t: f"0x{t:02X}")
def test_too_short_frame_data_is_rejected(frame_type: int) -> None:
    n = MINIMUM_LENGTH[frame_type]
    filler = bytes(range(1, n))  # nonzero, so no field is mistaken for a default
    frame = parse_frame_data(bytes((frame_type,)) + filler)
    assert type(frame) is FRAME_CLASSES[frame_type]
    for short in range(1, n):
        with pytest.raises(FrameFormatError):
            parse_frame_data(bytes((frame_type,)) + filler[: short - 1])


def test_empty_frame_data_is_rejected() -> None:
    with pytest.raises(FrameFormatError):
        parse_frame_data(b"")


def test_unknown_frame_type_is_kept_whole() -> None:
    frame = parse_frame_data(bytes.fromhex("99 01 02"))
    assert_same_frame(frame, UnknownFrame(frame_type=0x99, data=b"\x01\x02"))
    assert frame.to_data() == bytes.fromhex("99 01 02")


@pytest.mark.parametrize("address", ["10.10.74", "256.1.1.1", "host.example", ""])
def test_address_that_is_not_ipv4_cannot_be_encoded(address: str) -> None:
    with pytest.raises(FrameFormatError):
        SocketSendTo(frame_id=1, socket_id=0, dest_address=address, dest_port=1, payload=b"").to_data()
    with pytest.raises(FrameFormatError):
        SocketNewIPv4Client(socket_id=0, client_socket_id=1, remote_address=address, remote_port=1).to_data()


def test_frames_are_immutable() -> None:
    frame = SocketCreate(frame_id=1, protocol=Protocol.TCP)
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.frame_id = 2  # type: ignore[misc]
    assert hash(frame) == hash(SocketCreate(frame_id=1, protocol=Protocol.TCP))


def test_field_items_are_in_wire_order_with_spec_names() -> None:
    frame = SocketReceiveFrom(frame_id=0, socket_id=1, source_address="1.2.3.4", source_port=5, status=0, payload=b"x")
    assert frame.field_items() == [
        ("frame_id", 0),
        ("socket_id", 1),
        ("source_address", "1.2.3.4"),
        ("source_port", 5),
        ("status", 0),
        ("payload", b"x"),
    ]
    # frames without a frame ID (spec §2: 0x8A, 0xCC, 0xCF)
    assert [n for n, _ in ModemStatus(status=0).field_items()] == ["status"]
    assert [n for n, _ in SocketStatus(socket_id=0, status=0).field_items()] == ["socket_id", "status"]
    assert "frame_id" not in dict(
        SocketNewIPv4Client(socket_id=0, client_socket_id=1, remote_address="1.2.3.4", remote_port=1).field_items()
    )


def test_at_command_and_queue_are_distinct_frames() -> None:
    assert ATCommand(frame_id=1, command=b"AP") != ATCommandQueue(frame_id=1, command=b"AP")
    assert type(parse_frame_data(bytes.fromhex("09 01 41 50"))) is ATCommandQueue


@given(any_frame())
def test_frame_data_round_trips(frame: Frame) -> None:
    data = frame.to_data()
    assert data[0] == (frame.frame_type if isinstance(frame, UnknownFrame) else frame.FRAME_TYPE)
    parsed = parse_frame_data(data)
    assert type(parsed) is type(frame)
    assert parsed == frame
    assert parsed.to_data() == data


# --------------------------------------------------------------------------- status codes (spec §3)

# Codes of each table, copied by hand from spec §2/§3.
SPEC_CODES: list[tuple[type[IntEnum], set[int]]] = [
    (Protocol, {0x00, 0x01, 0x04}),
    (AddressType, {0x00, 0x01}),
    (ATCommandStatus, {0x00, 0x01, 0x02, 0x03}),
    (ModemStatusCode, {0x00, 0x01, 0x02, 0x03}),
    (SocketCreateStatus, {0x00, 0x22, 0x31, 0x32, 0x7B, 0x7E, 0x85, 0x86}),
    (SocketOptionStatus, {0x00, 0x01, 0x02, 0x20}),
    (SocketConnectStatus, {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x20}),
    (SocketCloseStatus, {0x00, 0x20}),
    (SocketListenStatus, {0x00, 0x01, 0x02, 0x03, 0x20}),
    (
        TransmitStatusCode,
        {0x00, 0x20, 0x21, 0x22, 0x2C, 0x31, 0x32, 0x74, 0x76, 0x78, 0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E}
        | {0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x8B},
    ),
    (SocketStatusCode, set(range(0x00, 0x0F))),
]


@pytest.mark.parametrize(("table", "codes"), SPEC_CODES, ids=lambda v: getattr(v, "__name__", ""))
def test_status_tables_match_spec(table: type[IntEnum], codes: set[int]) -> None:
    assert {int(m) for m in table} == codes


@pytest.mark.parametrize(("table", "codes"), SPEC_CODES, ids=lambda v: getattr(v, "__name__", ""))
def test_coerce_keeps_known_as_member_and_unknown_as_int(table: type[IntEnum], codes: set[int]) -> None:
    for value in range(256):
        got = coerce(table, value)
        assert got == value
        if value in codes:
            assert type(got) is table
        else:
            assert type(got) is int


def test_describe() -> None:
    assert describe(SocketConnectStatus.INVALID_SOCKET_ID) == "20 INVALID_SOCKET_ID"
    assert describe(SocketStatusCode.LISTENER_CLOSED) == "0B LISTENER_CLOSED"
    assert describe(TransmitStatusCode.TLS_AUTHENTICATION_ERROR) == "8B TLS_AUTHENTICATION_ERROR"
    assert describe(0x20) == "20"
    assert describe(0x07) == "07"
    assert describe(0xFF) == "FF"
    assert describe(coerce(SocketCreateStatus, 0x20)) == "20"  # 0x20 is not in the 0xC0 table


def test_decoded_status_is_enum_when_known_and_int_when_not() -> None:
    # 0x20 is "invalid socket ID" for 0xC2 but undocumented for 0xC0 (spec §3.1)
    connect = parse_frame_data(bytes.fromhex("C2 01 07 20"))
    assert isinstance(connect, SocketConnectResponse)
    assert connect.status is SocketConnectStatus.INVALID_SOCKET_ID
    create = parse_frame_data(bytes.fromhex("C0 01 FF 20"))
    assert isinstance(create, SocketCreateResponse)
    assert type(create.status) is int
    assert create.status == 0x20
    # an undocumented 0xCF code stays an int and survives re-encoding
    lost = parse_frame_data(bytes.fromhex("CF 01 99"))
    assert isinstance(lost, SocketStatus)
    assert type(lost.status) is int
    assert lost.status == 0x99
    assert lost.to_data() == bytes.fromhex("CF 01 99")
    tls = parse_frame_data(bytes.fromhex("40 01 04"))
    assert isinstance(tls, SocketCreate)
    assert tls.protocol is Protocol.TLS
    assert type(parse_frame_data(bytes.fromhex("40 01 02")).protocol) is int  # type: ignore[attr-defined]


# Frame types whose layout has no variable-length tail (spec §2).
FIXED_LENGTH = {
    0x40: 3,
    0x43: 3,
    0x46: 5,
    0x89: 3,
    0x8A: 2,
    0xC0: 4,
    0xC2: 4,
    0xC3: 4,
    0xC6: 4,
    0xCC: 9,
    0xCF: 3,
}


@given(st.sampled_from(sorted(FRAME_CLASSES)), st.binary(max_size=40))
def test_parse_frame_data_raises_only_frame_format_error(frame_type: int, rest: bytes) -> None:
    data = bytes((frame_type,)) + rest
    try:
        frame = parse_frame_data(data)
    except FrameFormatError:
        too_long = frame_type in FIXED_LENGTH and len(data) > FIXED_LENGTH[frame_type]
        assert len(data) < MINIMUM_LENGTH[frame_type] or too_long
        return
    assert type(frame) is FRAME_CLASSES[frame_type]
    if frame_type in FIXED_LENGTH:
        assert len(data) == FIXED_LENGTH[frame_type]
    assert frame.to_data() == data


@pytest.mark.parametrize("frame_type", sorted(FIXED_LENGTH), ids=lambda t: f"0x{t:02X}")
def test_fixed_length_table_matches_minimum_length(frame_type: int) -> None:
    assert FIXED_LENGTH[frame_type] == MINIMUM_LENGTH[frame_type]


def test_extra_bytes_after_fixed_layout_frame() -> None:
    with pytest.raises(FrameFormatError):
        parse_frame_data(bytes.fromhex("C0 01 00 00 FF"))
