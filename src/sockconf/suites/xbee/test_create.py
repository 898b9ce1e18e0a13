"""XBEE-CREATE: Socket Create (0x40 → 0xC0, spec §2, §3.1, §4): protocols, bad protocol, the socket limit, ID reuse.

The limits come from the profile (``max_sockets``, and ``max_<protocol>_sockets`` where a variant caps a
protocol: Cat 1 has 6 of each, the older LTE-M 4 TLS).

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import pytest

from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.expect import ConformanceFailure, Expect
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import Protocol, SocketCreateStatus
from sockconf.suites.xbee.exchange import close, create, require, socket_limit

SOCKET_LIMIT = "XBEE-SILENT-TLS-SOCKET-LIMIT"
PROTOCOLS = [pytest.param(p, id=p.name) for p in Protocol]


def _fill(xbee: XBeeSession, mix: str) -> tuple[list[int], Protocol]:
    """Create sockets until the limit ``mix`` names is reached: (their IDs, the protocol one more would be)."""
    profile = xbee.profile
    if mix != "total":
        protocol = Protocol[mix]
        return [create(xbee, protocol) for _ in range(socket_limit(profile, protocol))], protocol
    # The total limit: fill it round-robin within each protocol's own cap, then ask for one that has room left.
    room = {p: socket_limit(profile, p) for p in Protocol}
    total = socket_limit(profile)
    if sum(room.values()) <= total:
        pytest.skip(f"NOT APPLICABLE: {profile.name}'s per-protocol limits are reached before its total of {total}")
    ids: list[int] = []
    order = [Protocol.TCP, Protocol.UDP, Protocol.TLS]
    while len(ids) < total:
        for p in order:
            if room[p] and len(ids) < total:
                ids.append(create(xbee, p))
                room[p] -= 1
    return ids, next(p for p in order if room[p])


@case(
    "XBEE-CREATE-01",
    "Socket Create for UDP, TCP and TLS is answered by 0xC0: frame ID, status 00, a socket ID",
    verifies=("XBEE-SPEC-CREATE-0x40", "XBEE-SPEC-CREATE-STATUS"),
)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_create_each_protocol(xbee: XBeeSession, api_mode: int, protocol: Protocol) -> None:
    if protocol == Protocol.UDP:
        require(xbee, "udp")
    create(xbee, protocol, requirement=xbee.requirement)


@case(
    "XBEE-CREATE-02",
    "Socket Create with an undefined protocol is answered by 0xC0 status 7B (invalid protocol), socket ID FF",
    kind="negative",
    verifies=("XBEE-SPEC-CREATE-0x40", "XBEE-SPEC-CREATE-STATUS"),
)
@pytest.mark.parametrize("protocol", [0x02, 0x03, 0x05, 0x7E, 0xFF], ids=lambda p: f"proto{p:02X}")
def test_invalid_protocol(xbee: XBeeSession, protocol: int) -> None:
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketCreate(fid, protocol),
        Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.INVALID_PROTOCOL),
    )


@case(
    "XBEE-CREATE-03",
    "at the profile's socket limit (total or per protocol) Socket Create answers 0xC0 status 32, socket ID FF",
    kind="negative",
    verifies=("XBEE-SPEC-CREATE-STATUS", "XBEE-SPEC-SOCKET-LIMIT"),
)
@pytest.mark.parametrize("mix", ["TCP", "UDP", "TLS", "total"])
def test_no_free_socket(request: pytest.FixtureRequest, xbee: XBeeSession, mix: str) -> None:
    if mix in ("UDP", "total"):
        require(xbee, "udp")
    opened, protocol = _fill(xbee, mix)
    # A limit the profile takes from an UNCONFIRMED source may be higher on the DUT: one more socket is
    # then a recorded choice (NON-STRICT), never a FAIL.
    keys = ["max_sockets"] if mix == "total" else ["max_sockets", f"max_{protocol.name.lower()}_sockets"]
    unconfirmed = [k for k in keys if k in xbee.profile.unconfirmed]
    fid = xbee.next_frame_id()
    refused = Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR)
    allowed = [Expect(fr.SocketCreateResponse, frame_id=fid, status=SocketCreateStatus.SUCCESS)] if unconfirmed else []
    xbee.send(fr.SocketCreate(fid, protocol))
    reply = xbee.expect(refused, *allowed, requirement=xbee.requirement)
    assert isinstance(reply, fr.SocketCreateResponse)
    if reply.status == SocketCreateStatus.SUCCESS:
        figures = "; ".join(f"{k} = {xbee.profile.get(k)}: {xbee.profile.unconfirmed[k]}" for k in unconfirmed)
        found = f"one more {protocol.name} socket opened ({figures})"
        if mix == "TLS":
            choice, more = _tls_limit(xbee, len(opened) + 1)
            found += f"; {more}"
        else:
            choice = "other"  # the total, or a protocol the profile caps only by the total, goes further
        silent.observed(request, SOCKET_LIMIT, choice, found)
    elif unconfirmed:
        silent.observed(request, SOCKET_LIMIT, "profile")


# How many sockets XBEE-CREATE-03 opens at most while it looks for a DUT's own TLS limit.
PROBE_LIMIT = 32


def _tls_limit(xbee: XBeeSession, opened: int) -> tuple[str, str]:
    """With ``opened`` TLS sockets open beyond the profile's TLS cap: which choice the DUT made, and what showed it.

    "total": TLS sockets go up to the profile's total and then no socket of any protocol is free (no
    separate TLS cap); "other": TLS stops short of the total (a TCP socket still opens), or the total
    itself differs from the profile's.
    """
    total = socket_limit(xbee.profile)
    while opened < PROBE_LIMIT:
        fid = xbee.next_frame_id()
        xbee.send(fr.SocketCreate(fid, Protocol.TLS))
        reply = xbee.expect(
            Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR),
            Expect(fr.SocketCreateResponse, frame_id=fid, status=SocketCreateStatus.SUCCESS),
            requirement=xbee.requirement,
        )
        assert isinstance(reply, fr.SocketCreateResponse)
        if reply.status != SocketCreateStatus.SUCCESS:
            break
        opened += 1
    else:
        return "other", f"{opened} TLS sockets opened without a refusal (the profile's total is {total})"
    fid = xbee.next_frame_id()
    xbee.send(fr.SocketCreate(fid, Protocol.TCP))
    reply = xbee.expect(
        Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR),
        Expect(fr.SocketCreateResponse, frame_id=fid, status=SocketCreateStatus.SUCCESS),
        requirement=xbee.requirement,
    )
    assert isinstance(reply, fr.SocketCreateResponse)
    if reply.status == SocketCreateStatus.SUCCESS:
        return "other", f"the DUT caps TLS at {opened} sockets, and a TCP socket still opens beyond them"
    if opened == total:
        return "total", f"TLS sockets go up to the total of {total}, then no socket of any protocol opens"
    return "other", f"TLS sockets go up to a total of {opened}, not the profile's {total}"


@case(
    "XBEE-CREATE-04",
    "every open socket has its own socket ID: no ID is handed out while it is in use",
    verifies=("XBEE-SPEC-SOCKET-IDS",),
)
def test_ids_distinct(xbee: XBeeSession) -> None:
    mix = "total" if xbee.profile.has("udp") and _total_reached_first(xbee) else "TCP"
    ids, _ = _fill(xbee, mix)
    if len(set(ids)) != len(ids):
        raise ConformanceFailure(
            xbee.requirement,
            [f"{len(ids)} distinct socket IDs"],
            [" ".join(f"{i:02X}" for i in ids)],
            ["a socket ID was handed out while it was in use"],
        )


def _total_reached_first(xbee: XBeeSession) -> bool:
    return sum(socket_limit(xbee.profile, p) for p in Protocol) > socket_limit(xbee.profile)


@case(
    "XBEE-CREATE-05",
    "a socket ID freed by Socket Close is reusable: at the limit, after one 0x43 the next 0x40 succeeds",
    verifies=("XBEE-SPEC-SOCKET-IDS", "XBEE-SPEC-SOCKET-LIMIT", "XBEE-SPEC-CLOSE-0x43"),
)
def test_freed_id_is_reusable(xbee: XBeeSession) -> None:
    ids, _ = _fill(xbee, "TCP")
    fid = xbee.next_frame_id()
    xbee.request(
        fr.SocketCreate(fid, Protocol.TCP),
        Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR),
        requirement="precondition: at the limit, one more socket is refused (0xC0 status 32)",
    )
    close(xbee, ids[0])
    new = create(xbee, Protocol.TCP, requirement=xbee.requirement)
    if new in ids[1:]:
        raise ConformanceFailure(
            xbee.requirement,
            [f"a socket ID other than the open {' '.join(f'{i:02X}' for i in ids[1:])}"],
            [f"socket ID {new:02X}"],
            ["the new socket got an ID that is still in use"],
        )
