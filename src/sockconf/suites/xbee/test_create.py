"""XBEE-CREATE: Socket Create (0x40 → 0xC0, spec §2, §3.1, §4): protocols, bad protocol, the socket limit, ID reuse.

The limits come from the profile (``max_sockets``, and ``max_<protocol>_sockets`` where a variant caps a
protocol: Cat 1 has 6 of each, the older LTE-M 4 TLS).

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.expect import ConformanceFailure, Expect, describe, not_equal
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import Protocol, SocketCreateStatus
from sockconf.suites.xbee.exchange import close, create, limit_keys, require, socket_limit

SOCKET_LIMIT = "XBEE-SILENT-TLS-SOCKET-LIMIT"
PROTOCOLS = [pytest.param(p, id=p.name) for p in Protocol]


@dataclass
class Fill:
    """Sockets created towards a limit: their IDs, the protocol one more would be, and the 0xC0 32 that
    stopped the fill before the profile's figure (a module with fewer sockets), if one did."""

    ids: list[int]
    protocol: Protocol
    refused: fr.SocketCreateResponse | None = None


def _create(xbee: XBeeSession, protocol: Protocol) -> fr.SocketCreateResponse:
    """0x40 → 0xC0: a new socket, or refused for want of one (32, socket ID FF)."""
    fid = xbee.next_frame_id()
    reply = xbee.exchange(fr.SocketCreate(fid, protocol)).expect(
        Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=not_equal(0xFF), status=SocketCreateStatus.SUCCESS),
        Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR),
        requirement=f"a {protocol.name} socket is created, or refused for want of one (0xC0 status 32, socket ID FF)",
    )
    assert isinstance(reply, fr.SocketCreateResponse)
    return reply


def _fill(xbee: XBeeSession, mix: str) -> Fill:
    """Create sockets until the limit ``mix`` names is reached, or the module refuses one before it."""
    profile = xbee.profile
    fill = Fill([], Protocol.TCP)
    if mix != "total":
        fill.protocol = Protocol[mix]
        for _ in range(socket_limit(profile, fill.protocol)):
            reply = _create(xbee, fill.protocol)
            if reply.status != SocketCreateStatus.SUCCESS:
                fill.refused = reply
                return fill
            fill.ids.append(reply.socket_id)
        return fill
    # The total limit: fill it round-robin within each protocol's own cap, then ask for one that has room left.
    room = {p: socket_limit(profile, p) for p in Protocol}
    total = socket_limit(profile)
    if sum(room.values()) <= total:
        pytest.skip(f"NOT APPLICABLE: {profile.name}'s per-protocol limits are reached before its total of {total}")
    order = [Protocol.TCP, Protocol.UDP, Protocol.TLS]
    while len(fill.ids) < total:
        for p in order:
            if room[p] and len(fill.ids) < total:
                reply = _create(xbee, p)
                if reply.status != SocketCreateStatus.SUCCESS:
                    fill.protocol, fill.refused = p, reply
                    return fill
                fill.ids.append(reply.socket_id)
                room[p] -= 1
    fill.protocol = next(p for p in order if room[p])
    return fill


def _fewer(xbee: XBeeSession, fill: Fill, mix: str, judge: bool) -> None:
    """A fill refused before the profile's figure: the module has fewer sockets than its profile names.

    Where the profile takes the figure from an UNCONFIRMED source, that is a recorded choice (NON-STRICT);
    where the documents give it, ``judge`` makes it this case's FAIL (XBEE-CREATE-03 judges the limit).
    """
    assert fill.refused is not None
    protocol = None if mix == "total" else fill.protocol
    figure = socket_limit(xbee.profile, protocol)
    what = "sockets" if protocol is None else f"{protocol.name} sockets"
    found = f"0xC0 32 after {len(fill.ids)} {what}; the profile names {figure}"
    xbee.found_limits[fill.protocol] = min(len(fill.ids), xbee.found_limits.get(fill.protocol, len(fill.ids)))
    unconfirmed = [k for k in limit_keys(protocol) if k in xbee.profile.unconfirmed]
    if unconfirmed:
        figures = "; ".join(f"{k} = {xbee.profile.get(k)}: {xbee.profile.unconfirmed[k]}" for k in unconfirmed)
        xbee.observe(SOCKET_LIMIT, "other", f"{found} ({figures})")
    elif judge:
        raise ConformanceFailure(
            xbee.requirement,
            [f"{figure} {what} open before Socket Create answers 32 (the documents' figure)"],
            [f"refused after {len(fill.ids)}: {describe(fill.refused)}"],
            ["the module refused a socket before the documented limit"],
        )


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
    xbee.record_reply_count()


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
    fill = _fill(xbee, mix)
    if fill.refused is not None:  # refused as documented (status 32, socket ID FF), only sooner
        _fewer(xbee, fill, mix, judge=True)
        return
    opened, protocol = fill.ids, fill.protocol
    # A limit the profile takes from an UNCONFIRMED source may be higher on the DUT: one more socket is
    # then a recorded choice (NON-STRICT), never a FAIL.
    keys = limit_keys(None if mix == "total" else protocol)
    unconfirmed = [k for k in keys if k in xbee.profile.unconfirmed]
    fid = xbee.next_frame_id()
    refused = Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR)
    allowed = [Expect(fr.SocketCreateResponse, frame_id=fid, status=SocketCreateStatus.SUCCESS)] if unconfirmed else []
    reply = xbee.exchange(fr.SocketCreate(fid, protocol)).expect(refused, *allowed, requirement=xbee.requirement)
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
    fill = _fill(xbee, mix)
    if fill.refused is not None:
        _fewer(xbee, fill, mix, judge=False)  # the IDs it did hand out are checked all the same
    ids = fill.ids
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
    fill = _fill(xbee, "TCP")
    ids = fill.ids
    if fill.refused is not None:
        _fewer(xbee, fill, "TCP", judge=False)  # the module's own limit is the one to free a socket at
    else:
        fid = xbee.next_frame_id()
        xbee.exchange(fr.SocketCreate(fid, Protocol.TCP)).expect(
            Expect(fr.SocketCreateResponse, frame_id=fid, socket_id=0xFF, status=SocketCreateStatus.RESOURCE_ERROR),
            requirement="precondition: at the limit, one more socket is refused (0xC0 status 32)",
        )
    if not ids:
        raise ConformanceFailure(
            "precondition: a TCP socket can be created", ["0xC0 status 00"], [describe(fill.refused)], ["no socket"]
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
