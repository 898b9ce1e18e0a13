"""The XBee session matches every reply to its request, with stand-in modules whose replies come twice,
late, out of order, per socket, or with the wrong frame ID: nothing a request left unread is ever taken
as the answer to a later one, and a DUT that breaks a documented rule still FAILs with a field diff."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import pytest

from sockconf.drivers.base import Driver, DriverConfig
from sockconf.harness.expect import ConformanceFailure, Expect
from sockconf.harness.xbee import XBeeSession
from sockconf.protocol.profile import Deadlines, Profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import Decoder, encode
from sockconf.protocol.xbee.status import (
    ATCommandStatus,
    SocketCloseStatus,
    SocketCreateStatus,
    TransmitStatusCode,
)

PROFILE = Profile(
    name="stand-in",
    family="xbee",
    description="",
    device={"api_mode": 1},
    deadlines=Deadlines(reply=0.5, quiet=0.1),
)
OK = SocketCreateStatus.SUCCESS
Replies = Callable[[fr.Frame], list[fr.Frame]]


def answer(frame: fr.Frame) -> list[fr.Frame]:
    """What a module that follows the documents answers (the few requests these tests send)."""
    fid = getattr(frame, "frame_id", 0)
    if isinstance(frame, fr.SocketCreate):
        return [fr.SocketCreateResponse(fid, 0x00, OK)]  # answered even with frame ID 0 (spec §1)
    if isinstance(frame, fr.SocketClose):
        return [fr.SocketCloseResponse(fid, frame.socket_id, SocketCloseStatus.SUCCESS)] if fid else []
    if isinstance(frame, fr.SocketSend):
        return [fr.TransmitStatus(fid, TransmitStatusCode.SUCCESS)] if fid else []
    if isinstance(frame, fr.ATCommand):
        return [fr.ATCommandResponse(fid, frame.command, ATCommandStatus.OK, b"\x01")] if fid else []
    return []


class StandIn(Driver):
    """A stand-in XBee: each frame written is answered by ``replies(frame)``; a reply ``hold`` says so is
    held back and goes out right after the reply to the next frame (it overtakes nothing else)."""

    name = "stand-in"

    def __init__(self, replies: Replies = answer, hold: Callable[[fr.Frame], bool] = lambda f: False) -> None:
        super().__init__(DriverConfig(profile=PROFILE))
        self.replies = replies
        self.hold = hold
        self.out = b""
        self.held: list[fr.Frame] = []

    def open(self) -> None:
        pass

    def _send(self, data: bytes) -> None:
        for frame in (e for e in Decoder(1).feed(data) if isinstance(e, fr.Frame)):
            now = [r for r in self.replies(frame) if not self.hold(r)]
            later = [r for r in self.replies(frame) if self.hold(r)]
            if now:
                now, self.held = now + self.held, []
            self.held += later
            self.out += b"".join(encode(r, 1) for r in now)

    def _recv(self, timeout: float) -> bytes | None:
        if not self.out:
            time.sleep(min(timeout, 0.01))  # a read that waits for bytes that do not come
            return b""
        data, self.out = self.out, b""
        return data

    def _close(self) -> None:
        pass


def session(
    replies: Replies = answer, hold: Callable[[fr.Frame], bool] = lambda f: False, profile: Profile = PROFILE
) -> XBeeSession:
    return XBeeSession(StandIn(replies, hold), profile)


def created(fid: int) -> Expect:
    return Expect(fr.SocketCreateResponse, frame_id=fid, status=OK)


def test_a_reply_that_comes_twice_is_never_the_answer_to_the_next_request():
    xbee = session(lambda f: answer(f) * 2)
    first = xbee.exchange(fr.SocketCreate(xbee.next_frame_id(), 1))
    first.expect(created(first.frame_id))
    second = xbee.exchange(fr.SocketCreate(xbee.next_frame_id(), 1))
    assert second.expect(created(second.frame_id)).frame_id == second.frame_id  # type: ignore[attr-defined]
    assert len(first.replies) == 2 and not xbee.inbox


def test_a_second_reply_that_contradicts_the_first_fails_the_next_step():
    def twice(frame: fr.Frame) -> list[fr.Frame]:
        fid = getattr(frame, "frame_id", 0)
        if isinstance(frame, fr.SocketCreate):
            return [fr.SocketCreateResponse(fid, 0, OK), fr.SocketCreateResponse(fid, 0xFF, 0x32)]
        return answer(frame)

    xbee = session(twice)
    create = xbee.exchange(fr.SocketCreate(xbee.next_frame_id(), 1))
    create.expect(created(create.frame_id))
    with pytest.raises(ConformanceFailure, match="contradicts the first"):
        xbee.at(b"AP")


def test_a_reply_that_comes_after_a_later_ones_is_attributed_to_its_own_request():
    # The module answers 0x43 only after the AT query sent behind it (the case setup's own pair).
    xbee = session(hold=lambda r: isinstance(r, fr.SocketCloseResponse))
    close = fr.SocketClose(xbee.next_frame_id(), 0xFF)
    query = fr.ATCommand(xbee.next_frame_id(), b"AP")
    sent = xbee.send_raw(encode(close, 1) + encode(query, 1), requests=[close, query])
    sent[1].expect(Expect(fr.ATCommandResponse, frame_id=query.frame_id, command=b"AP"))
    assert sent[0].collect(enough=1) == [fr.SocketCloseResponse(close.frame_id, 0xFF, SocketCloseStatus.SUCCESS)]
    assert xbee.reorders and xbee.settle_window() == PROFILE.deadlines.quiet


def test_the_case_setups_late_close_reply_never_reaches_the_case():
    xbee = session(hold=lambda r: isinstance(r, fr.SocketCloseResponse) and r.socket_id == 0xFF)
    xbee.reset()
    fid = xbee.next_frame_id()
    # The setup's 0xC3 FF comes right after the answer to this request: it is the setup's, not this one's.
    reply = xbee.request(
        fr.SocketClose(fid, 0x07),
        Expect(fr.SocketCloseResponse, frame_id=fid, socket_id=0x07, status=SocketCloseStatus.SUCCESS),
    )
    assert reply == fr.SocketCloseResponse(fid, 0x07, SocketCloseStatus.SUCCESS)
    xbee.settled()
    assert not xbee.unowned() and xbee.reorders


def test_a_dut_that_does_not_echo_the_frame_id_fails_with_a_field_diff_at_once():
    def off_by_one(frame: fr.Frame) -> list[fr.Frame]:
        return [replace(cast(Any, r), frame_id=r.frame_id % 255 + 1) for r in answer(frame)]  # type: ignore[attr-defined]

    xbee = session(off_by_one)
    fid = xbee.next_frame_id()
    started = time.monotonic()
    with pytest.raises(ConformanceFailure) as failed:
        xbee.request(fr.SocketCreate(fid, 1), created(fid))
    assert f"frame_id: expected {fid:02X}, got {fid + 1:02X}" in str(failed.value)
    assert time.monotonic() - started < PROFILE.deadlines.reply / 2  # not a timeout


def test_close_all_collects_a_reply_per_socket_until_the_barrier():
    def per_socket(frame: fr.Frame) -> list[fr.Frame]:
        if isinstance(frame, fr.SocketClose) and frame.socket_id == 0xFF:
            return [fr.SocketCloseResponse(frame.frame_id, sid, SocketCloseStatus.SUCCESS) for sid in (0, 1, 2)]
        return answer(frame)

    xbee = session(per_socket)
    close_all = xbee.exchange(fr.SocketClose(xbee.next_frame_id(), 0xFF))
    barrier = xbee.barrier()
    assert [f.socket_id for f in close_all.collect(barrier=barrier)] == [0, 1, 2]  # type: ignore[attr-defined]
    xbee.expect_barrier(barrier)
    fid = xbee.next_frame_id()
    xbee.request(fr.SocketClose(fid, 0x05), Expect(fr.SocketCloseResponse, frame_id=fid, socket_id=0x05))


def suppressed_reply_answered(frame: fr.Frame) -> list[fr.Frame]:
    """A module that answers a Socket Send with frame ID 0 anyway (a bug)."""
    if isinstance(frame, fr.SocketSend) and frame.frame_id == 0:
        return [fr.TransmitStatus(0, TransmitStatusCode.SUCCESS)]
    return answer(frame)


@pytest.mark.parametrize("reorders", [False, True], ids=["in-order", "reorders"])
def test_a_suppressed_reply_that_comes_anyway_fails_also_behind_the_barrier(reorders):
    # Reordering: the 0x43 FF replies and the bug's 0x89 come after the next reply (its barrier's).
    def hold(reply: fr.Frame) -> bool:
        return reorders and (isinstance(reply, fr.SocketCloseResponse) or getattr(reply, "frame_id", 1) == 0)

    xbee = session(suppressed_reply_answered, hold)
    xbee.reset()  # the setup's pair shows whether replies overtake one another
    assert xbee.reorders is reorders
    suppressed = xbee.exchange(fr.SocketSend(0, 0, b"x"))
    with pytest.raises(ConformanceFailure, match="no reply to 0x44"):
        xbee.expect_no_reply(suppressed, "frame ID 0 suppresses the 0x89")


def test_an_absence_check_on_an_in_order_dut_waits_for_nothing_but_the_barrier():
    xbee = session()
    xbee.reset()
    suppressed = xbee.exchange(fr.SocketSend(0, 0, b"x"))
    started = time.monotonic()
    xbee.expect_no_reply(suppressed, "frame ID 0 suppresses the 0x89")
    assert time.monotonic() - started < PROFILE.deadlines.quiet


def test_more_requests_than_frame_ids_on_an_in_order_dut_reuse_ids_at_once():
    xbee = session()
    started = time.monotonic()
    for _ in range(600):  # each request is complete once the next one is answered
        fid = xbee.next_frame_id()
        xbee.request(fr.ATCommand(fid, b"AP"), Expect(fr.ATCommandResponse, frame_id=fid))
    assert time.monotonic() - started < PROFILE.deadlines.reply * 4


def test_a_frame_id_is_not_lent_while_its_request_may_still_be_answered():
    # Replies overtake one another here (the close's comes after the first AT query's), so a request is
    # complete only a quiet window after a later one was answered: 5 s, longer than this test runs.
    slow = Profile(
        name="stand-in", family="xbee", description="", device={"api_mode": 1}, deadlines=Deadlines(reply=9, quiet=5)
    )
    xbee = session(hold=lambda r: isinstance(r, fr.SocketCloseResponse), profile=slow)
    first = xbee.exchange(fr.SocketClose(xbee.next_frame_id(), 0x03))
    handed_out = []
    for _ in range(250):  # the IDs come round again; each AT query's is free once the next is answered
        fid = xbee.next_frame_id()
        handed_out.append(fid)
        xbee.request(fr.ATCommand(fid, b"AP"), Expect(fr.ATCommandResponse, frame_id=fid))
        if time.monotonic() - first.key.opened > 4:
            pytest.skip("the machine is too slow for this test's 5 s window")
    assert first.frame_id not in handed_out
    assert first.replies == [fr.SocketCloseResponse(first.frame_id, 0x03, SocketCloseStatus.SUCCESS)]
