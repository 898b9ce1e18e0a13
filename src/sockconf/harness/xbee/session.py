"""XBee host session: the suite's side of the API-mode link, over any driver.

It encodes requests, decodes everything the DUT sends into an inbox, and waits for expected frames
until a deadline (never a fixed sleep). Waiting picks the first frame of the expected type and then
compares every field, so a wrong frame ID shows as ``frame_id: expected 01, got 02`` rather than
as a silent timeout. Anything the DUT sends that is not a good frame fails the case at once.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Sequence

from sockconf.core.trace import NOTE, RX
from sockconf.drivers.base import Driver
from sockconf.harness.expect import ConformanceFailure, Expect, NoAnswer, describe, show_bytes
from sockconf.protocol.profile import Profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import DecodeEvent, Decoder, Event, encode, frame_bytes
from sockconf.protocol.xbee.status import ATCommandStatus


class XBeeSession:
    def __init__(self, driver: Driver, profile: Profile) -> None:
        self.driver = driver
        self.profile = profile
        self.api_mode = int(profile.get("api_mode", 1))
        self.decoder = Decoder(self.api_mode, keep_raw=True)
        self.inbox: deque[Event] = deque()
        self.raw: dict[int, bytes] = {}  # id(frame) -> its wire bytes, for byte-exact checks
        self.last_raw = b""
        self._frame_ids = itertools.cycle(range(1, 256))
        self.requirement = ""
        self.silent_resets = 0
        self.one_frame_at_a_time = False  # set once a case setup lost the frame sent right behind another
        self.frame_ids_unreliable = False  # set once a case setup's AT query was answered with another frame ID

    # ------------------------------------------------------------------ sending

    def next_frame_id(self) -> int:
        return next(self._frame_ids)

    def send(self, frame: fr.Frame) -> bytes:
        raw = encode(frame, self.api_mode)
        self.driver.write(raw)
        self.driver.trace.record(NOTE, text=f"→ {describe(frame)}")
        return raw

    def send_raw(self, raw: bytes, note: str = "") -> None:
        self.driver.write(raw)
        if note:
            self.driver.trace.record(NOTE, text=f"→ {note}")

    def wire(self, frame_data_or_seed: bytes) -> bytes:
        """The seed's AP=1 bytes as they must appear on this link (escaped when AP=2)."""
        return frame_bytes(frame_data_or_seed[3:-1], self.api_mode)

    # ------------------------------------------------------------------ receiving

    def _pump(self, deadline: float) -> bool:
        """Read once (until data or the deadline); False if nothing came."""
        data = self.driver.read(deadline)
        if not data:
            return False
        events = self.decoder.feed(data)
        raws = iter(self.decoder.raw_of_last_feed)
        for event in events:
            if isinstance(event, fr.Frame):
                self.raw[id(event)] = next(raws, b"")
            self.driver.trace.record(NOTE, text=f"← {describe(event)}")
            self.inbox.append(event)
        return True

    def _fail(self, requirement: str, alternatives: Sequence[Expect], actual: list[str], diff: list[str]) -> None:
        raise ConformanceFailure(
            requirement or self.requirement,
            [str(a) for a in alternatives],
            actual,
            diff,
            self.driver.trace.last_received(),
        )

    def expect(self, *alternatives: Expect, within: float | None = None, requirement: str = "") -> fr.Frame:
        """Wait for the first frame of an expected type; it must match one alternative exactly."""
        timeout = self.profile.deadlines.reply if within is None else within
        started = time.monotonic()
        deadline = started + timeout
        while True:
            for i, event in enumerate(self.inbox):
                if isinstance(event, DecodeEvent):
                    del self.inbox[i]
                    self._fail(
                        requirement,
                        alternatives,
                        [f"bytes that are not a good frame: {show_bytes(event.raw)}"],
                        [event.describe()],
                    )
                if any(a.kind_matches(event) for a in alternatives):
                    del self.inbox[i]
                    assert isinstance(event, fr.Frame)
                    self.last_raw = self.raw.pop(id(event), b"")
                    canonical = encode(event, self.api_mode)
                    if self.last_raw and self.last_raw != canonical:
                        # Decodable but not as the spec frames it (e.g. a byte left unescaped in AP=2).
                        self._fail(
                            requirement,
                            alternatives,
                            [f"{describe(event)} as {show_bytes(self.last_raw)}"],
                            [f"framing (AP={self.api_mode}): expected the bytes {show_bytes(canonical)}"],
                        )
                    diffs = [a.diff(event) for a in alternatives]
                    if not all(diffs):
                        return event
                    best = min(diffs, key=len)
                    self._fail(requirement, alternatives, [describe(event)], best)
            if time.monotonic() >= deadline:
                others = [describe(e) for e in self.inbox]
                received = any(e.direction == RX and e.t >= started for e in self.driver.trace.entries)
                # Nothing came: is the DUT still there at all? A DUT that answers a probe broke this
                # exchange (FAIL); one that answers nothing makes the case INCONCLUSIVE.
                cls = ConformanceFailure if received or others or self.alive() else NoAnswer
                raise cls(
                    requirement or self.requirement,
                    [str(a) for a in alternatives],
                    others,
                    [f"no such frame within {timeout:g} s"],
                    self.driver.trace.last_received(),
                )
            self._pump(deadline)

    def take(self, deadline: float) -> list[Event]:
        """Every event no one has taken yet, in the order it arrived; when there is none, one more read
        first (until data or the deadline). For a host imitation that handles each frame itself."""
        if not self.inbox:
            self._pump(deadline)
        events = list(self.inbox)
        self.inbox.clear()
        for event in events:
            self.raw.pop(id(event), None)
        return events

    def alive(self) -> bool:
        """Liveness probe: an AT query (AP) the DUT must answer within the reply deadline."""
        fid = self.next_frame_id()
        self.send(fr.ATCommand(fid, b"AP"))
        self.driver.trace.record(NOTE, text="(liveness probe after a missing frame)")
        deadline = time.monotonic() + self.profile.deadlines.reply
        while time.monotonic() < deadline:
            if any(isinstance(e, fr.ATCommandResponse) for e in self.inbox):
                return True
            self._pump(deadline)
        return any(isinstance(e, fr.ATCommandResponse) for e in self.inbox)

    def expect_nothing_before(self, barrier: fr.Frame, barrier_reply: Expect, unwanted: type, requirement: str) -> None:
        """Check that no ``unwanted`` frame arrives, using a request/reply as the barrier (no fixed wait)."""
        self.send(barrier)
        self.expect(barrier_reply, requirement=requirement)
        stray = [e for e in self.inbox if isinstance(e, unwanted)]
        if stray:
            raise ConformanceFailure(
                requirement,
                [f"no {unwanted.__name__} before the reply to {describe(barrier)}"],
                [describe(e) for e in stray],
                ["an unexpected frame arrived"],
                self.driver.trace.last_received(),
            )

    def request(self, frame: fr.Frame, reply: Expect, requirement: str = "") -> fr.Frame:
        self.send(frame)
        return self.expect(reply, requirement=requirement)

    def drain(self) -> None:
        self.inbox.clear()
        self.raw.clear()

    def expect_quiet(self, unwanted: type, within: float, requirement: str) -> None:
        """Watch the line for ``within`` seconds: no ``unwanted`` frame may arrive (an absence check)."""
        deadline = time.monotonic() + within
        while True:
            stray = [e for e in self.inbox if isinstance(e, unwanted)]
            if stray:
                raise ConformanceFailure(
                    requirement,
                    [f"no {unwanted.NAME if hasattr(unwanted, 'NAME') else unwanted.__name__} yet"],
                    [describe(e) for e in stray],
                    ["it arrived too early"],
                    self.driver.trace.last_received(),
                )
            if time.monotonic() >= deadline:
                return
            self._pump(deadline)

    def arrives(self, kind: type, within: float) -> bool:
        """Whether a frame of ``kind`` arrives before the deadline; it stays in the inbox for ``expect``.

        For the few waits whose timeout is not a failure by itself (a detail the spec leaves UNCONFIRMED).
        """
        deadline = time.monotonic() + within
        while not any(isinstance(e, kind) for e in self.inbox):
            if time.monotonic() >= deadline:
                return False
            self._pump(deadline)
        return True

    def expect_bytes(self, expected: bytes, requirement: str) -> None:
        """The last expected frame's wire bytes must equal ``expected`` exactly."""
        if self.last_raw != expected:
            diff = [f"bytes differ from byte {_first_difference(expected, self.last_raw)}"]
            raise ConformanceFailure(
                requirement,
                [show_bytes(expected)],
                [show_bytes(self.last_raw)],
                diff,
                self.driver.trace.last_received(),
            )

    # ------------------------------------------------------------------ case setup

    def at(self, command: bytes, parameter: bytes = b"") -> fr.ATCommandResponse:
        """An AT command the suite itself needs (setup, identity): the frame ID is not checked here."""
        reply = self.request(
            fr.ATCommand(self.next_frame_id(), command, parameter),
            Expect(fr.ATCommandResponse, command=command, status=ATCommandStatus.OK),
            requirement=f"AT{command.decode()} is answered with status OK",
        )
        assert isinstance(reply, fr.ATCommandResponse)
        return reply

    def query(self, command: bytes, within: float) -> fr.ATCommandResponse | None:
        """Ask an AT setting; its reply (whatever its status), or None when none came within ``within`` s."""
        self.send(fr.ATCommand(self.next_frame_id(), command))
        deadline = time.monotonic() + within
        while True:
            for i, event in enumerate(self.inbox):
                if isinstance(event, fr.ATCommandResponse) and event.command == command:
                    del self.inbox[i]
                    return event
            if time.monotonic() >= deadline:
                return None
            self._pump(deadline)

    def assume_api_mode(self, mode: int) -> None:
        """Speak ``mode`` from now on without telling the module (the module is found to be in it)."""
        self.api_mode = mode
        self.decoder.set_api_mode(mode)

    def set_api_mode(self, mode: int) -> None:
        if mode == self.api_mode:
            return
        self.at(b"AP", bytes((mode,)))
        self.api_mode = mode
        self.decoder.set_api_mode(mode)

    def reset(self) -> None:
        """Close every socket (0x43 FF) and forget what arrived before: each case starts clean."""
        # Any 0xC3 will do as the acknowledgement: checking it is the cases' job, not the setup's,
        # so a DUT that garbles frame IDs fails the cases that check them instead of every setup.
        # Whether 0x43 FF is answered at all is a silent point (XBEE-SILENT-CLOSE-ALL-REPLY), so an AT
        # query behind it is the barrier: once that is answered, the close has been handled.
        # Both frames normally go out back to back. After a setup that lost the query, the session
        # sends the query only once the close is answered (or its reply deadline passed): a DUT that
        # handles one frame per UART read then still gets clean setups, and the cases that send
        # several frames in one write are the ones that catch it.
        self.drain()  # what the previous case left unread is not this case's
        self.send(fr.SocketClose(self.next_frame_id(), 0xFF))
        if self.one_frame_at_a_time:
            self.arrives(fr.SocketCloseResponse, within=self.profile.deadlines.reply)
        fid = self.next_frame_id()
        self.send(fr.ATCommand(fid, b"AP"))
        try:
            self._setup_answer(fid)
        except ConformanceFailure:
            self.one_frame_at_a_time = True
            raise
        finally:
            self.drain()

    def _setup_answer(self, fid: int) -> None:
        """Wait for the answer to the case setup's AT query (frame ``fid``).

        A late answer to an earlier query (a liveness probe, a case's own barrier) must not stand in
        for it, or that query's real answer would arrive inside the case; so the frame ID is matched.
        A DUT that does not echo frame IDs (a bug the frame-ID cases catch) shows itself by an answer
        with another ID and none with this one by the deadline: that answer is taken, and from then on
        any answer is.
        """
        deadline = time.monotonic() + self.profile.deadlines.reply
        another = False
        while True:
            for i, event in enumerate(self.inbox):
                if isinstance(event, fr.ATCommandResponse):
                    if event.frame_id == fid or self.frame_ids_unreliable:
                        del self.inbox[i]
                        return
                    another = True
            if time.monotonic() >= deadline:
                break
            self._pump(deadline)
        if another:
            self.frame_ids_unreliable = True
            return
        self.expect(
            Expect(fr.ATCommandResponse, frame_id=fid),
            within=0.0,
            requirement="before each case, Socket Close 0xFF (close all) and an AT query behind it are handled",
        )


def _first_difference(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))
