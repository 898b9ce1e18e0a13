"""XBEE-AT: AT Command frames (0x08, 0x09 → 0x88; spec §2, §4 "identity", §6 what host libraries expect).

Every reply must echo the frame ID and the command. Settings a case changes (NI) are put back afterwards:
the module outlives the case.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from sockconf.core.trace import NOTE
from sockconf.harness import contradictions, silent
from sockconf.harness.cases import case
from sockconf.harness.expect import Check, ConformanceFailure, Expect, not_equal
from sockconf.harness.peer import Peer
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import ATCommandStatus, Protocol
from sockconf.suites.xbee.exchange import accept, create, error_status, listen, on_field, open_listener

# First bytes of HV that Digi's host libraries take for a cellular module (xbee-python's HardwareVersion).
CELLULAR_HV = frozenset({0x40, 0x44, *range(0x46, 0x4F), 0x54})
LISTEN_PORT = 10051
SI_PORT = 10052
NI_UNSET = "XBEE-SILENT-NI-UNSET"
SI_EMPTY = "XBEE-SILENT-SI-EMPTY-LIST"
HV_CODE = "XBEE-SILENT-HV-CODE"
READ_ONLY_STATUS = "XBEE-SILENT-AT-READ-ONLY-STATUS"


def _bytes(n: int) -> Check:
    return Check(f"{n} bytes", lambda v: len(v) == n)


NOT_EMPTY = Check("not empty", lambda v: len(v) > 0)
ANY_VALUE = Check("any value", lambda v: True)
IMEI = Check("15 ASCII digits", lambda v: len(v) == 15 and v.isdigit())

# What each identity query must return (spec §4 "identity", §6); AP depends on the mode the case runs in.
MY_FORMAT = "XBEE-CONTRA-MY-FORMAT"
IDENTITY: dict[str, Callable[[XBeeSession], object]] = {
    "AP": lambda xbee: bytes((xbee.api_mode,)),
    "MY": lambda xbee: _bytes(4),
    "VR": lambda xbee: NOT_EMPTY,
    "HV": lambda xbee: NOT_EMPTY,
    "SH": lambda xbee: _bytes(4),
    "SL": lambda xbee: _bytes(4),
    "NI": lambda xbee: ANY_VALUE,  # empty on a module whose NI was never set: XBEE-SILENT-NI-UNSET
    "IM": lambda xbee: IMEI,
    "AI": lambda xbee: b"\x00",  # 00 = registered to the cell network
}


def _query(xbee: XBeeSession, command: bytes, queue: bool = False, requirement: str = "") -> bytes:
    fid = xbee.next_frame_id()
    frame = fr.ATCommandQueue(fid, command) if queue else fr.ATCommand(fid, command)
    reply = xbee.request(
        frame,
        Expect(fr.ATCommandResponse, frame_id=fid, command=command, status=ATCommandStatus.OK),
        requirement=requirement,
    )
    assert isinstance(reply, fr.ATCommandResponse)
    return reply.value


def _set(xbee: XBeeSession, command: bytes, value: bytes, queue: bool = False, requirement: str = "") -> None:
    fid = xbee.next_frame_id()
    frame = fr.ATCommandQueue(fid, command, value) if queue else fr.ATCommand(fid, command, value)
    xbee.request(
        frame,
        Expect(fr.ATCommandResponse, frame_id=fid, command=command, status=ATCommandStatus.OK, value=b""),
        requirement=requirement,
    )


@contextmanager
def restored(xbee: XBeeSession, command: bytes) -> Iterator[bytes]:
    """The setting's value now; it is put back afterwards (the module outlives the case).

    An empty value cannot be put back by a frame (an AT frame without a parameter is a query): the
    change then lasts until the module restarts (it was not written with WR), and the trace says so.
    """
    original = _query(xbee, command, requirement=f"precondition: AT{command.decode()} can be queried")

    def put_back() -> None:
        if original:
            xbee.at(command, original)
        else:
            xbee.driver.trace.record(NOTE, text=f"AT{command.decode()} was empty: no frame can set it back")

    try:
        yield original
    except BaseException:
        with contextlib.suppress(ConformanceFailure):  # the case's own failure is the one to report
            put_back()
        raise
    put_back()


@case(
    "XBEE-AT-01",
    "an AT query (0x08, no parameter) is answered 0x88: frame ID, command, status 00 and the value "
    "(AP 01/02, MY/SH/SL 4 bytes, AI 00, IM 15 digits, ...)",
    verifies=("XBEE-SEED-STEP-5-ATMY", "XBEE-SPEC-AT-0x08", "XBEE-SPEC-AT-0x88", "XBEE-SPEC-IDENTITY"),
)
@pytest.mark.parametrize("command", sorted(IDENTITY))
def test_query(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int, command: str) -> None:
    fid = xbee.next_frame_id()
    with contradictions.settled(MY_FORMAT, when=on_field("value")) if command == "MY" else contextlib.nullcontext():
        reply = xbee.request(
            fr.ATCommand(fid, command.encode()),
            Expect(
                fr.ATCommandResponse,
                frame_id=fid,
                command=command.encode(),
                status=ATCommandStatus.OK,
                value=IDENTITY[command](xbee),
            ),
        )
    assert isinstance(reply, fr.ATCommandResponse)
    if command == "NI" and not reply.value:
        silent.observed(request, NI_UNSET, "empty", "NI answered no value")
    if command == "HV":
        code = reply.value[0]
        known = code in CELLULAR_HV
        detail = f"HV {reply.value.hex().upper()}: {code:02X} is {'a' if known else 'no'} cellular hardware code "
        detail += "Digi's libraries know" + ("" if known else " (newer modules may have new codes)")
        silent.observed(request, HV_CODE, "known" if known else "new-code", detail)
    xbee.record_reply_count()


@case(
    "XBEE-AT-02",
    "an AT set (0x08 with a parameter) is answered 0x88 status 00 without a value; a query then returns the new value",
    verifies=("XBEE-SPEC-AT-0x08", "XBEE-SPEC-AT-0x88"),
)
def test_set(xbee: XBeeSession, api_mode: int) -> None:
    value = b"sockconf \x7e\x7d set"
    with restored(xbee, b"NI"):
        _set(xbee, b"NI", value)
        got = _query(xbee, b"NI", requirement="a query after the set returns the new value")
    if got != value:
        raise ConformanceFailure(xbee.requirement, [f"NI {value!r}"], [f"NI {got!r}"], ["the set did not apply"])


@case(
    "XBEE-AT-03",
    "a queued set (0x09) is answered 0x88 status 00 but applied only by AC, sent in a 0x08 or a 0x09 frame: "
    "a 0x09 query still answers the old value before it",
    verifies=("XBEE-SPEC-AT-0x09", "XBEE-SPEC-AT-0x88", "XBEE-SPEC-AC-EITHER-FRAME"),
)
@pytest.mark.parametrize("ac_queued", [False, True], ids=["AC-0x08", "AC-0x09"])
def test_queue_then_apply(xbee: XBeeSession, api_mode: int, ac_queued: bool) -> None:
    value = b"sockconf queued"
    with restored(xbee, b"NI") as node_identifier:
        _set(xbee, b"NI", value, queue=True)
        before = _query(xbee, b"NI", queue=True, requirement="a queued set is not applied before AC")
        _set(xbee, b"AC", b"", queue=ac_queued, requirement="AC (apply changes) is answered 0x88 status 00")
        # A 0x09 query: only the AC may have applied the queued set.
        after = _query(xbee, b"NI", queue=True, requirement="after AC the queued value applies")
    if (before, after) != (node_identifier, value):
        raise ConformanceFailure(
            xbee.requirement,
            [f"NI {node_identifier!r} before AC, {value!r} after"],
            [f"NI {before!r} before AC, {after!r} after"],
            ["the queued value applied too early" if before != node_identifier else "AC did not apply it"],
        )


@case(
    "XBEE-AT-04",
    "an AT command the module does not have is answered 0x88 status 02 (invalid command)",
    kind="negative",
    verifies=("XBEE-SPEC-AT-0x88",),
)
@pytest.mark.parametrize("queue", [False, True], ids=["0x08", "0x09"])
@pytest.mark.parametrize("command", [b"ZZ", b"Q9"], ids=lambda c: c.decode())
def test_invalid_command(xbee: XBeeSession, command: bytes, queue: bool) -> None:
    fid = xbee.next_frame_id()
    frame = fr.ATCommandQueue(fid, command) if queue else fr.ATCommand(fid, command)
    xbee.request(
        frame, Expect(fr.ATCommandResponse, frame_id=fid, command=command, status=ATCommandStatus.INVALID_COMMAND)
    )


BAD_PARAMETERS = {"AP-FF": (b"AP", b"\xff"), "NI-21-chars": (b"NI", b"N" * 21)}


@case(
    "XBEE-AT-05",
    "an AT set with a value out of range is answered 0x88 status 03 (invalid parameter) and changes nothing",
    kind="negative",
    verifies=("XBEE-SPEC-AT-0x88",),
)
@pytest.mark.parametrize("bad", sorted(BAD_PARAMETERS))
def test_invalid_parameter(xbee: XBeeSession, bad: str) -> None:
    command, value = BAD_PARAMETERS[bad]
    before = _query(xbee, command, requirement=f"precondition: AT{command.decode()} can be queried")
    fid = xbee.next_frame_id()
    xbee.request(
        fr.ATCommand(fid, command, value),
        Expect(fr.ATCommandResponse, frame_id=fid, command=command, status=ATCommandStatus.INVALID_PARAMETER),
    )
    after = _query(xbee, command, requirement="a refused set changes nothing")
    if after != before:
        raise ConformanceFailure(
            xbee.requirement, [f"AT{command.decode()} {before!r}"], [f"{after!r}"], ["a refused set changed it"]
        )


@case(
    "XBEE-AT-06",
    "setting the read-only MY is refused with an error status (likely 01 ERROR; UNCONFIRMED) and MY keeps its value",
    kind="negative",
    verifies=("XBEE-SPEC-AT-0x88", "XBEE-SPEC-IDENTITY"),
)
def test_read_only(request: pytest.FixtureRequest, xbee: XBeeSession) -> None:
    before = _query(xbee, b"MY", requirement="precondition: MY can be queried")
    fid = xbee.next_frame_id()
    reply = xbee.request(
        fr.ATCommand(fid, b"MY", bytes((10, 1, 2, 3))),
        Expect(fr.ATCommandResponse, frame_id=fid, command=b"MY", status=not_equal(ATCommandStatus.OK)),
    )
    error_status(
        request,
        xbee,
        reply,
        ATCommandStatus.ERROR,
        "ATMY set",
        READ_ONLY_STATUS,
        {
            int(ATCommandStatus.INVALID_COMMAND): "invalid-command",
            int(ATCommandStatus.INVALID_PARAMETER): "invalid-parameter",
        },
    )
    after = _query(xbee, b"MY", requirement="a refused set changes nothing")
    if after != before:
        raise ConformanceFailure(xbee.requirement, [f"MY {before.hex()}"], [f"MY {after.hex()}"], ["MY changed"])


@case(
    "XBEE-AT-07",
    "MY is the module's IPv4 address as 4 bytes: the peer reaches a listener of the module at that address",
    verifies=("XBEE-SEED-STEP-5-TEXT-1", "XBEE-SEED-STEP-5-ATMY", "XBEE-SPEC-IDENTITY"),
)
def test_my_is_reachable(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int) -> None:
    fid = xbee.next_frame_id()
    with contradictions.settled(MY_FORMAT, when=on_field("value")):
        reply = xbee.request(
            fr.ATCommand(fid, b"MY"),
            Expect(fr.ATCommandResponse, frame_id=fid, command=b"MY", status=ATCommandStatus.OK, value=_bytes(4)),
        )
    assert isinstance(reply, fr.ATCommandResponse)
    address = str(ipaddress.IPv4Address(reply.value))
    given = request.config.getoption("dut_host")
    if given and given != address:
        pytest.skip(f"NOT APPLICABLE: the DUT is reached at --dut-host {given}, not at its MY {address} (NAT)")
    listener = open_listener(xbee, LISTEN_PORT)
    peer = Peer(address, xbee.driver.trace, request.config.getoption("peer_bind"), xbee.profile.deadlines.indication)
    try:
        accept(xbee, peer, listener, LISTEN_PORT, requirement=f"a connection to MY ({address}) is presented (0xCC)")
    finally:
        peer.close_all()


def _hex_id(field: bytes) -> int | None:
    """A socket ID as SI prints it: hex digits, with or without 0x (the guide's example shows 0x00)."""
    text = field.decode("ascii", "replace").strip()
    digits = text[2:] if text.lower().startswith("0x") else text
    try:
        return int(digits, 16) if digits else None
    except ValueError:
        return None


def _port(field: bytes, port: int) -> bool:
    """Whether an SI port field names ``port``: the guide does not say decimal or hex, so either."""
    text = field.decode("ascii", "replace").strip()
    return text in (str(port), f"0x{port:X}", f"0x{port:04X}", f"0x{port:x}", f"0x{port:04x}")


def _si_lines(xbee: XBeeSession, value: bytes, what: str) -> list[bytes]:
    """The CR-terminated lines of an SI answer, which ends with one more CR."""
    if not value.endswith(b"\r\r"):
        raise ConformanceFailure(
            xbee.requirement,
            [f"{what}: lines each ended by a CR, then one more CR"],
            [repr(value)],
            ["the answer does not end with CR CR"],
        )
    return value[:-2].split(b"\r")


@case(
    "XBEE-AT-08",
    "SI answers text: without a parameter the open sockets' IDs in hex, a CR after each and one more at the end; "
    "with a socket ID its six fields (ID, state, protocol, local port, remote port, remote address) likewise",
    verifies=("XBEE-SPEC-SI-TEXT", "XBEE-SPEC-AT-0x88"),
)
def test_socket_info(request: pytest.FixtureRequest, xbee: XBeeSession, api_mode: int) -> None:
    none = _query(xbee, b"SI", requirement="SI with no socket open is answered 0x88 status 00")
    if none == b"\r":
        silent.observed(request, SI_EMPTY, "cr")
    elif none == b"":
        silent.observed(request, SI_EMPTY, "empty", "SI with no socket open answered no value")
    else:
        raise ConformanceFailure(
            xbee.requirement,
            ["no socket ID (every socket was closed before the case): the closing CR alone, or no value"],
            [repr(none)],
            ["SI lists a socket that is not open"],
        )
    tcp = create(xbee, Protocol.TCP)
    udp = create(xbee, Protocol.UDP)
    listen(xbee, udp, SI_PORT, requirement=f"precondition: the UDP socket binds port {SI_PORT}")
    listing = _si_lines(xbee, _query(xbee, b"SI"), "SI without a parameter")
    ids = [_hex_id(line) for line in listing]
    if ids != sorted({tcp, udp}):
        raise ConformanceFailure(
            xbee.requirement,
            [f"the open sockets' IDs in ascending order: {', '.join(f'{i:02X}' for i in sorted({tcp, udp}))}"],
            [repr(b"\r".join(listing))],
            ["the listed IDs differ"],
        )
    fid = xbee.next_frame_id()
    reply = xbee.request(
        fr.ATCommand(fid, b"SI", bytes((udp,))),
        Expect(fr.ATCommandResponse, frame_id=fid, command=b"SI", status=ATCommandStatus.OK),
        requirement=f"SI {udp:02X} (a bound UDP socket) is answered 0x88 status 00",
    )
    assert isinstance(reply, fr.ATCommandResponse)
    fields = _si_lines(xbee, reply.value, f"SI {udp:02X}")
    problems = []
    if len(fields) != 6:
        problems.append(f"{len(fields)} fields, not 6")
    else:
        if _hex_id(fields[0]) != udp:
            problems.append(f"ID {fields[0]!r}, not {udp:02X}")
        if not _port(fields[3], SI_PORT):
            problems.append(f"LOCAL_PORT {fields[3]!r}, not the bound {SI_PORT}")
        if fields[5].strip() != b"0.0.0.0":
            problems.append(f"REMOTE_ADDRESS {fields[5]!r}, not 0.0.0.0 (the socket is not connected)")
    if problems:
        raise ConformanceFailure(
            xbee.requirement,
            [f"ID<CR>STATE<CR>PROTOCOL<CR>LOCAL_PORT<CR>REMOTE_PORT<CR>REMOTE_ADDRESS<CR><CR> for socket {udp:02X}"],
            [repr(reply.value)],
            problems,
        )
