"""XBEE-OPT: Socket Option Request (0x41 → 0xC1, spec §2, §3.1): the one option, 00 = TLS profile (1 byte).

No option data is a query (the reply carries the value); one byte is a set (the reply carries none).

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from sockconf.harness.cases import case
from sockconf.harness.expect import Check, Expect
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import Protocol, SocketOptionStatus
from sockconf.suites.xbee.exchange import create, require

TLS_PROFILE = 0x00
ONE_BYTE = Check("one byte", lambda v: len(v) == 1)


def _tls_socket(xbee: XBeeSession) -> int:
    require(xbee, "tls-option")
    return create(xbee, Protocol.TLS)


def _query(xbee: XBeeSession, sid: int, value: Any = ONE_BYTE, requirement: str = "") -> None:
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketOption(fid, sid, TLS_PROFILE),
        Expect(
            fr.SocketOptionResponse,
            frame_id=fid,
            socket_id=sid,
            option_id=TLS_PROFILE,
            status=SocketOptionStatus.SUCCESS,
            option_data=value,
        ),
        requirement=requirement,
    )


@case(
    "XBEE-OPT-01",
    "a TLS profile query (0x41, option 00, no data) is answered 0xC1: frame ID, socket ID, option 00, status 00, "
    "one byte of value",
    verifies=("XBEE-SPEC-OPTION-0x41", "XBEE-SPEC-OPTION-STATUS", "XBEE-SPEC-ECHO"),
)
def test_query(xbee: XBeeSession, api_mode: int) -> None:
    _query(xbee, _tls_socket(xbee))


@case(
    "XBEE-OPT-02",
    "a TLS profile set (0x41, option 00, one byte) is answered 0xC1 status 00 with no data; a query then returns it",
    verifies=("XBEE-SPEC-OPTION-0x41", "XBEE-SPEC-OPTION-STATUS"),
)
@pytest.mark.parametrize("value", [1, 2], ids=lambda v: f"profile{v}")
def test_set(xbee: XBeeSession, api_mode: int, value: int) -> None:
    tls_socket = _tls_socket(xbee)
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketOption(fid, tls_socket, TLS_PROFILE, bytes((value,))),
        Expect(
            fr.SocketOptionResponse,
            frame_id=fid,
            socket_id=tls_socket,
            option_id=TLS_PROFILE,
            status=SocketOptionStatus.SUCCESS,
            option_data=b"",
        ),
    )
    _query(xbee, tls_socket, bytes((value,)), "a query after the set returns the TLS profile that was set")


@case(
    "XBEE-OPT-03",
    "a Socket Option Request on a socket ID that is not open is answered 0xC1 status 20 (bad socket ID)",
    kind="negative",
    verifies=("XBEE-SPEC-OPTION-STATUS",),
)
@pytest.mark.parametrize("data", [b"", b"\x01"], ids=["query", "set"])
@pytest.mark.parametrize("socket_id", [0x00, 0xFE], ids=lambda s: f"sock{s:02X}")
def test_bad_socket(xbee: XBeeSession, socket_id: int, data: bytes) -> None:
    require(xbee, "tls-option")
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketOption(fid, socket_id, TLS_PROFILE, data),
        Expect(fr.SocketOptionResponse, frame_id=fid, socket_id=socket_id, status=SocketOptionStatus.BAD_SOCKET_ID),
    )


BAD_OPTIONS = {
    "option01": (0x01, b""),
    "option7E": (0x7E, b""),
    "optionFF": (0xFF, b"\x01"),
    "value-2-bytes": (TLS_PROFILE, b"\x01\x02"),
}


@case(
    "XBEE-OPT-04",
    "a Socket Option Request for an undefined option, or with a malformed value, is answered 0xC1 status 01 "
    "(invalid parameters)",
    kind="negative",
    verifies=("XBEE-SPEC-OPTION-0x41", "XBEE-SPEC-OPTION-STATUS"),
)
@pytest.mark.parametrize("bad", sorted(BAD_OPTIONS))
def test_bad_option(xbee: XBeeSession, bad: str) -> None:
    tls_socket = _tls_socket(xbee)
    option, data = BAD_OPTIONS[bad]
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketOption(fid, tls_socket, option, data),
        Expect(
            fr.SocketOptionResponse,
            frame_id=fid,
            socket_id=tls_socket,
            option_id=option,
            status=SocketOptionStatus.INVALID_PARAMETERS,
        ),
    )
