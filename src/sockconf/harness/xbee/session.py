"""XBee host session: the suite's side of the API-mode link, over any driver.

It encodes requests, decodes everything the DUT sends, and waits for expected frames until a
deadline (never a fixed sleep). Anything the DUT sends that is not a good frame fails the case at once.

Replies are matched to their request, never taken in order (``sockconf.harness.collect``). Every
request sent opens a key: a reply belongs to the open request with its frame ID whose reply type it
is (0x40 → 0xC0, 0x43 → 0xC3, 0x08/0x09 → 0x88, ...), also one that comes late or a second time, and
such a reply is never handed to a later request. A request stays open for the reply deadline after
it went out; its frame ID is lent again sooner only once it is complete (a request sent after it has
been answered, and the settle window passed: ``settle_window``). Frames the module sends of its own
(0x8A, 0xCC, 0xCD, 0xCE, 0xCF) carry no request's frame ID: they wait in ``inbox`` and a step picks
the one for its socket, never merely the first.

A step compares every field of the reply it takes, so a wrong field shows as a diff
(``frame_id: expected 01, got 02``) rather than as a silent timeout: when no reply with the request's
frame ID comes, a frame of the expected type that belongs to no open request stands in for it.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from sockconf.core.trace import NOTE, RX
from sockconf.drivers.base import Driver
from sockconf.harness import silent
from sockconf.harness.collect import Collector, Key, collect
from sockconf.harness.expect import ConformanceFailure, Expect, NoAnswer, describe, show_bytes
from sockconf.protocol.profile import Profile
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import DecodeEvent, Decoder, Event, encode, frame_bytes
from sockconf.protocol.xbee.status import ATCommandStatus, SocketCloseStatus, SocketCreateStatus, SocketStatusCode

if TYPE_CHECKING:
    import pytest

# What answers each request: a reply belongs to the open request with its frame ID whose reply type it is.
REPLY_TYPES: dict[type[fr.Frame], tuple[type[fr.Frame], ...]] = {
    fr.SocketCreate: (fr.SocketCreateResponse,),
    fr.SocketOption: (fr.SocketOptionResponse,),
    fr.SocketConnect: (fr.SocketConnectResponse,),
    fr.SocketClose: (fr.SocketCloseResponse,),
    fr.SocketSend: (fr.TransmitStatus,),
    fr.SocketSendTo: (fr.TransmitStatus,),
    fr.SocketBindListen: (fr.SocketListenResponse,),
    fr.ATCommand: (fr.ATCommandResponse,),
    fr.ATCommandQueue: (fr.ATCommandResponse,),
}
REPLIES: tuple[type[fr.Frame], ...] = tuple(dict.fromkeys(k for kinds in REPLY_TYPES.values() for k in kinds))
# Frame IDs the cases send as they stand in Digi's examples: the allocator leaves them to those cases.
FIXED_FRAME_IDS = frozenset({0x01})

REPLY_ORDER = "XBEE-SILENT-REPLY-ORDER"
REPLY_COUNT = "XBEE-SILENT-REPLY-COUNT"
SETUP = "setup"


@dataclass(eq=False)
class Arrival:
    """A frame as it came: its wire bytes and its place among every frame the session decoded."""

    frame: fr.Frame
    raw: bytes
    n: int


def _frame_id_of(arrival: Arrival) -> int | None:
    """What a frame is routed by: the frame ID of a reply (None for frames no request draws)."""
    return getattr(arrival.frame, "frame_id", None) if type(arrival.frame) in REPLIES else None


def _label(frame: fr.Frame) -> str:
    fid = getattr(frame, "frame_id", 0)
    sid = getattr(frame, "socket_id", None)
    command = getattr(frame, "command", b"")
    parts = [f"frame {fid:02X}"]
    if isinstance(sid, int):
        parts.append(f"socket {sid:02X}")
    if command:
        parts.append(f"AT{command.decode('ascii', 'replace')}")
    return f"0x{frame.FRAME_TYPE:02X} {frame.NAME} ({', '.join(parts)})"


class Exchange:
    """A request and every reply that belongs to it (its frame ID, a reply type of the request).

    ``expect`` takes the next one and compares it field by field; ``collect`` gathers replies of
    unknown count; ``replies`` is everything attributed so far, late ones included.
    """

    def __init__(
        self,
        session: XBeeSession,
        frame: fr.Frame,
        key: Key[Arrival],
        since: int,
        frame_id: int,
        kinds: tuple[type[fr.Frame], ...],
    ) -> None:
        self.session = session
        self.frame = frame
        self.key = key
        self.since = since  # arrivals numbered above this came after the request went out
        self.frame_id = frame_id
        self.kinds = kinds  # the reply types that belong to it

    @property
    def replies(self) -> list[fr.Frame]:
        return [a.frame for a in self.key.events]

    @property
    def label(self) -> str:
        return self.key.label

    def expect(self, *alternatives: Expect, within: float | None = None, requirement: str = "") -> fr.Frame:
        """The next reply to this request; it must match one alternative exactly."""
        return self.session._wait(alternatives, within, requirement, [self.key], self.since)

    def collect(
        self, *, barrier: Exchange | None = None, enough: int | None = None, within: float | None = None
    ) -> list[fr.Frame]:
        """Every reply to this request until the first sufficient evidence (``harness.collect.collect``):
        ``enough`` replies, or the ``barrier`` answered and the session's quiet window passed, or the
        deadline (the reply deadline unless ``within``). The key stays open: later replies still come here."""
        session = self.session
        session._raise_pending()
        timeout = session.profile.deadlines.reply if within is None else within
        collect(
            self.key,
            session._pump,
            deadline=session.driver.after_line(timeout),
            quiet=session.settle_window(),
            enough=(lambda events: len(events) >= enough) if enough is not None else None,
            barrier=barrier.key if barrier is not None else None,
        )
        session._raise_pending()
        return self.replies


class XBeeSession:
    def __init__(self, driver: Driver, profile: Profile) -> None:
        self.driver = driver
        self.profile = profile
        self.api_mode = int(profile.get("api_mode", 1))
        self.decoder = Decoder(self.api_mode, keep_raw=True)
        self.inbox: deque[Event] = deque()  # frames no request owns (unsolicited, strays) and bad bytes
        self._arrived: dict[int, Arrival] = {}  # id(frame in inbox) -> how it came
        self._numbers = itertools.count(1)
        self.arrivals = 0  # frames decoded so far
        self.last_raw = b""
        self._frame_ids = itertools.cycle(range(1, 256))
        self.collector: Collector[Arrival] = Collector(tag_of=_frame_id_of)
        self.collector.on_expire = self._forget
        self._exchanges: dict[int, Exchange] = {}  # key seq -> its exchange
        self._case_of: dict[int, object] = {}  # key seq -> the case that opened it
        self._collecting: set[int] = set()  # keys whose replies have no known count (0x43 FF)
        self._judged: dict[int, int] = {}  # key seq -> how many of its extra replies were looked at
        self._pending: ConformanceFailure | None = None
        self._observed: set[tuple[int, str, str]] = set()  # (case, point, choice) already recorded
        self._closed: deque[Key[Arrival]] = deque(maxlen=32)  # the keys closed last (a diff may need them)
        self.requirement = ""
        self.case: pytest.FixtureRequest | None = None  # the running case (the silent points it meets)
        self.silent_resets = 0
        self.one_frame_at_a_time = False  # set once a case setup lost the frame sent right behind another
        self.frame_ids_unreliable = False  # set once a case setup's AT query was answered with another frame ID
        # The sockets the module should hold now (socket ID -> protocol), from the replies steps took,
        # and the arrival number from which frames about each ID are about its current life.
        self.sockets: dict[int, int] = {}
        self.allocated: dict[int, int] = {}
        # Socket limits found lower than the profile's (protocol or None for the total -> sockets).
        self.found_limits: dict[int | None, int] = {}

    # ------------------------------------------------------------------ sending

    def next_frame_id(self) -> int:
        """A frame ID no open request still waits on (and none of the fixed IDs Digi's examples use).

        A request whose replies are all in (``complete``) lends its ID; ``open`` closes it first. A fast host
        sends more requests within one reply deadline than there are frame IDs.
        """
        while True:
            now = time.monotonic()
            for _ in range(255):
                fid = next(self._frame_ids)
                if fid not in FIXED_FRAME_IDS and all(self._complete(k, now) for k in self.collector.tagged(fid)):
                    return fid
            # Every ID is in use: until one is free.
            self._pump(min(k.until for k in self.collector.open_keys() if not self._complete(k, now)))

    def _complete(self, key: Key[Arrival], now: float) -> bool:
        """Whether everything that belongs to ``key`` has come: a request sent after it has been answered
        (and the settle window passed)."""
        complete = self.collector.complete_at(key, self.settle_window())
        return complete is not None and now >= complete

    def send(self, frame: fr.Frame, owner: str = "", attribute: bool = True) -> Exchange | None:
        """Send a frame; a request opens its key (its replies are attributed to it from now on), unless
        ``attribute`` is False: then its replies stay in the inbox for whoever ``take``s them."""
        exchange = self.open(frame, owner) if attribute else None
        kinds = REPLY_TYPES.get(type(frame))
        if not attribute and kinds is not None:
            # Its replies must reach the inbox: an open key that would take them (an earlier request with
            # this frame ID, answered already) ends now.
            fid = int(getattr(frame, "frame_id", 0))
            for other in self.collector.tagged(fid):
                if set(self._exchanges[other.seq].kinds) & set(kinds):
                    self.collector.close(other)
        raw = encode(frame, self.api_mode)
        self.driver.write(raw)
        self.driver.trace.record(NOTE, text=f"→ {describe(frame)}")
        return exchange

    def exchange(self, frame: fr.Frame, owner: str = "") -> Exchange:
        """Send a request and return its exchange."""
        exchange = self.send(frame, owner)
        if exchange is None:
            raise ValueError(f"{describe(frame)} is not a request")
        return exchange

    def send_raw(self, raw: bytes, note: str = "", requests: Iterable[fr.Frame] | None = None) -> list[Exchange]:
        """Write bytes as they are; the requests among them open their keys.

        ``requests``: the request frames the bytes carry; by default every whole request frame they decode to.
        """
        found = requests if requests is not None else self._requests_in(raw)
        exchanges = [e for e in (self.open(f) for f in found) if e is not None]
        self.driver.write(raw)
        if note:
            self.driver.trace.record(NOTE, text=f"→ {note}")
        return exchanges

    def _requests_in(self, raw: bytes) -> list[fr.Frame]:
        return [e for e in Decoder(self.api_mode).feed(raw) if isinstance(e, fr.Frame) and type(e) in REPLY_TYPES]

    def wire(self, frame_data_or_seed: bytes) -> bytes:
        """The seed's AP=1 bytes as they must appear on this link (escaped when AP=2)."""
        return frame_bytes(frame_data_or_seed[3:-1], self.api_mode)

    def open(self, frame: fr.Frame, owner: str = "") -> Exchange | None:
        """Open the key of a request about to be sent (None for a frame that is no request).

        A request with frame ID 0 opens one too: its reply is suppressed, and one that comes anyway
        (frame ID 0, a reply type of it) is attributed to it. A request that would share a frame ID and a
        reply type with an open one first lets that one settle, so no reply can be attributed to both.
        """
        kinds = REPLY_TYPES.get(type(frame))
        if kinds is None:
            return None
        fid = int(getattr(frame, "frame_id", 0))
        self._take_over(fid, kinds)

        def belongs(arrival: Arrival) -> bool:
            return type(arrival.frame) in kinds and getattr(arrival.frame, "frame_id", None) == fid

        key = self.collector.open(_label(frame), belongs, self.profile.deadlines.reply, owner, tag=fid)
        exchange = Exchange(self, frame, key, self.arrivals, fid, kinds)
        self._exchanges[key.seq] = exchange
        self._case_of[key.seq] = self.case
        if isinstance(frame, fr.SocketClose) and frame.socket_id == 0xFF:
            self._collecting.add(key.seq)  # how many frames answer a close-all is not documented
            self.sockets.clear()
        if isinstance(frame, fr.ATCommand) and frame.command == b"FR":
            self.sockets.clear()  # a restart loses every socket
        return exchange

    def watch(self, frame_id: int, label: str, kinds: Sequence[type[fr.Frame]] = REPLIES) -> Exchange:
        """A key for a frame sent as bad input (no request the session can decode): every reply-type frame
        with its frame ID is attributed to it."""

        self._take_over(frame_id, tuple(kinds))

        def belongs(arrival: Arrival) -> bool:
            return type(arrival.frame) in kinds and getattr(arrival.frame, "frame_id", None) == frame_id

        key = self.collector.open(label, belongs, self.profile.deadlines.reply, tag=frame_id)
        exchange = Exchange(self, fr.UnknownFrame(0, bytes((frame_id,))), key, self.arrivals, frame_id, tuple(kinds))
        self._exchanges[key.seq] = exchange
        self._case_of[key.seq] = self.case
        return exchange

    def _take_over(self, frame_id: int, kinds: tuple[type[fr.Frame], ...]) -> None:
        """Before a key takes ``frame_id`` for ``kinds``: the open keys that would share a reply with it end,
        so no reply can be attributed to both (an earlier one lets its replies come first: ``_settle``)."""
        for other in self.collector.tagged(frame_id):
            if not set(self._exchanges[other.seq].kinds) & set(kinds):
                continue
            if frame_id == 0 and self._case_of.get(other.seq) is not self.case:
                self.collector.close(other)  # frame ID 0 draws no reply: an earlier case's has nothing to wait for
                continue
            self._settle(other)

    def _settle(self, key: Key[Arrival]) -> None:
        """Let an open request end before another takes its frame ID: once a request sent after it has been
        answered (and the settle window passed), everything of it has come; else its deadline."""
        while not self._complete(key, time.monotonic()) and time.monotonic() < key.until:
            complete = self.collector.complete_at(key, self.settle_window())
            self._pump(key.until if complete is None else min(key.until, complete))
        self.collector.close(key)

    def _forget(self, key: Key[Arrival]) -> None:
        self._closed.append(key)
        for table in (self._exchanges, self._case_of, self._judged):
            table.pop(key.seq, None)
        self._collecting.discard(key.seq)

    # ------------------------------------------------------------------ receiving

    def _pump(self, deadline: float) -> bool:
        """Read once (until data or the deadline); attribute what came. False if nothing came."""
        data = self.driver.read(deadline)
        if not data:
            return False
        events = self.decoder.feed(data)
        raws = iter(self.decoder.raw_of_last_feed)
        for event in events:
            if isinstance(event, fr.Frame):
                self.arrivals = next(self._numbers)
                arrival = Arrival(event, next(raws, b""), self.arrivals)
                key = self.collector.route(arrival)
                if key is not None:
                    self._attributed(key, arrival)
                    continue
                self._arrived[id(event)] = arrival
            self.driver.trace.record(NOTE, text=f"← {describe(event)}")
            self.inbox.append(event)
        return True

    def _attributed(self, key: Key[Arrival], arrival: Arrival) -> None:
        """Trace a reply attributed to its request (a second row says whose, where that is not plain: a late,
        repeated or overtaking reply, one to the case setup), and judge one beyond the answer a step took."""
        self.driver.trace.record(NOTE, text=f"← {describe(arrival.frame)}")
        overtook = [o for o in self.collector.overtakes if o.late is key and o.at == key.last_at]
        why = ""
        if key.owner == SETUP:
            earlier = self._case_of.get(key.seq) is not self.case
            why = f"a late reply to an earlier case setup's {key.label}" if earlier else f"the case setup's {key.label}"
        elif self._case_of.get(key.seq) is not self.case:
            why = f"a late reply to an earlier case's {key.label}"
        if len(key.events) > 1:
            why = f"another reply to {why or key.label}"
        if overtook:
            why = f"{why or key.label}, after the reply to {overtook[0].earlier_reply_of.label} sent after it"
        if why:
            self.driver.trace.record(NOTE, text=f"(that frame belongs to {why})")
        self._judge_extra(key)

    def _judge_extra(self, key: Key[Arrival]) -> None:
        """A reply beyond the one a step took: the same answer again is recorded (XBEE-SILENT-REPLY-COUNT);
        a different one contradicts the answer and fails the case at its next step."""
        mine = self._case_of.get(key.seq) is self.case
        if key.owner == SETUP or key.seq in self._collecting or key.taken == 0 or not mine:
            return
        judged = self._judged.get(key.seq, key.taken)
        answer = key.events[0].frame
        for arrival in key.events[judged:]:
            if arrival.frame == answer:
                detail = f"{describe(answer)} came {len(key.events)} times for {key.label}"
                self.observe(REPLY_COUNT, "repeated", detail, key)
            elif self._pending is None:
                self._pending = ConformanceFailure(
                    f"a request is answered once (or by the same answer again): {key.label}",
                    [describe(answer)],
                    [describe(a.frame) for a in key.events],
                    ["a second reply with the request's frame ID contradicts the first"],
                    self.driver.trace.last_received(),
                )
        self._judged[key.seq] = len(key.events)

    def _raise_pending(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            raise pending

    def observe(self, point: str, choice: str, detail: str, key: Key[Arrival] | None = None) -> None:
        """Record a silent-point choice for the running case (only for its own requests when ``key`` is given)."""
        if self.case is None or (key is not None and self._case_of.get(key.seq) is not self.case):
            return
        seen = (id(self.case), point, choice)
        if seen in self._observed:
            return  # once per case: the report counts cases, not replies
        self._observed.add(seen)
        silent.observed(self.case, point, choice, detail)

    def settle_window(self) -> float:
        """How long to watch after a barrier is answered for replies that still belong before it.

        Replies in order (the registry's default on XBEE-SILENT-REPLY-ORDER): the barrier's answer proves
        everything sent before it was answered, and no wait adds anything. Once the DUT has answered a
        request after a request sent behind it (every case setup sends 0x43 FF and an AT query back to
        back), the profile's quiet window after the barrier bounds how far behind a reply may come.
        """
        return self.profile.deadlines.quiet if self.reorders else 0.0

    @property
    def reorders(self) -> bool:
        return bool(self.collector.overtakes)

    def record_reply_order(self, exchanges: Sequence[Exchange]) -> None:
        """XBEE-SILENT-REPLY-ORDER from the requests of one case step: did any reply overtake another?"""
        overtakes = self.collector.overtaken([e.key for e in exchanges])
        if overtakes:
            o = overtakes[0]
            shown = f"{o.late.label} was answered after {o.earlier_reply_of.label}, which was sent after it"
            self.observe(REPLY_ORDER, "by-frame-id", shown)
        else:
            self.observe(REPLY_ORDER, "in-order", f"{len(exchanges)} requests answered in the order they were sent")

    def record_reply_count(self) -> None:
        """XBEE-SILENT-REPLY-COUNT for the requests the running case made (once everything sent before a
        barrier is in): the same reply more than once, or one frame each."""
        mine = [
            self._exchanges[k.seq]
            for k in self.collector.open_keys()
            if self._case_of.get(k.seq) is self.case and k.owner != SETUP and k.seq not in self._collecting
        ]
        exchanges = [e for e in mine if type(e.frame) in REPLY_TYPES]
        self.settled()
        again = [e for e in exchanges if len(e.replies) > 1 and all(r == e.replies[0] for r in e.replies)]
        if again:
            e = again[0]
            self.observe(REPLY_COUNT, "repeated", f"{describe(e.replies[0])} came {len(e.replies)} times for {e.label}")
        else:
            self.observe(REPLY_COUNT, "once", f"{len(exchanges)} request(s) answered by one frame each")

    def _fail(self, requirement: str, alternatives: Sequence[Expect], actual: list[str], diff: list[str]) -> NoReturn:
        raise ConformanceFailure(
            requirement or self.requirement,
            [str(a) for a in alternatives],
            actual,
            diff,
            self.driver.trace.last_received(),
        )

    def expect(self, *alternatives: Expect, within: float | None = None, requirement: str = "") -> fr.Frame:
        """Wait for a frame that matches one alternative exactly (see the module's docstring).

        Alternatives naming a frame ID wait for the reply of the open request with that frame ID;
        otherwise the frame is looked for among those no request owns.
        """
        keys: list[Key[Arrival]] = []
        for a in alternatives:
            fid = a.fields.get("frame_id")
            if a.cls in REPLIES and isinstance(fid, int):
                keys += [k for k in self._keys_for(fid, a.cls) if k not in keys]
        since = min((self._exchanges[k.seq].since for k in keys), default=None)
        return self._wait(alternatives, within, requirement, keys, since)

    def _keys_for(self, frame_id: int, kind: type) -> list[Key[Arrival]]:
        return [k for k in self.collector.tagged(frame_id) if kind in self._exchanges[k.seq].kinds]

    def _wait(
        self,
        alternatives: Sequence[Expect],
        within: float | None,
        requirement: str,
        keys: list[Key[Arrival]],
        since: int | None,
    ) -> fr.Frame:
        timeout = self.profile.deadlines.reply if within is None else within
        started = time.monotonic()
        deadline = self.driver.after_line(timeout)  # from when the request has reached the module
        for key in keys:
            key.extend(deadline)
        kinds = tuple(dict.fromkeys(a.cls for a in alternatives))
        while True:
            self._raise_pending()
            self._bad_bytes(alternatives, requirement)
            for key in keys:
                for arrival in key.untaken():
                    if type(arrival.frame) in kinds:
                        key.take(arrival)
                        self._judge_extra(key)
                        return self._judge(arrival, alternatives, requirement, key)
            found = self._from_inbox(alternatives, kinds, keys, since)
            if found is not None:
                return self._judge(found, alternatives, requirement)
            if time.monotonic() >= deadline:
                return self._missing(alternatives, kinds, keys, since, timeout, started, requirement)
            self._pump(deadline)

    def take(self, deadline: float) -> list[Event]:
        """Every event no request owns and no one has taken yet, in the order it arrived; when there is
        none, one more read first (until data or the deadline). For a host imitation that handles each
        frame itself (its requests sent with ``send(frame, attribute=False)``)."""
        if not self.inbox:
            self._pump(deadline)
        events = list(self.inbox)
        self.inbox.clear()
        for event in events:
            self._arrived.pop(id(event), None)
        return events

    def _bad_bytes(self, alternatives: Sequence[Expect], requirement: str) -> None:
        for event in self.inbox:
            if isinstance(event, DecodeEvent):
                self.inbox.remove(event)
                self._fail(
                    requirement,
                    alternatives,
                    [f"bytes that are not a good frame: {show_bytes(event.raw)}"],
                    [event.describe()],
                )

    def _stale(self, frame: Event, arrival: Arrival) -> bool:
        """A 0xCF about a socket ID that arrived before the ID was handed out again: the end of its previous
        life. (Data may come before its socket is presented: a Cat 1 client's 0xCD ahead of its 0xCC.)"""
        sid = getattr(frame, "socket_id", None)
        return isinstance(frame, fr.SocketStatus) and isinstance(sid, int) and arrival.n < self.allocated.get(sid, 0)

    def _from_inbox(
        self,
        alternatives: Sequence[Expect],
        kinds: tuple[type, ...],
        keys: list[Key[Arrival]],
        since: int | None,
    ) -> Arrival | None:
        """A frame no request owns that is the one wanted: a full match, else one that is ours by what it
        is about (its socket; for a reply, a reply of the type that came after the request and belongs to
        no open request, i.e. carries a frame ID nobody asked with)."""
        candidates = [(e, self._arrived[id(e)]) for e in self.inbox if type(e) in kinds and id(e) in self._arrived]
        candidates = [(e, a) for e, a in candidates if not self._stale(e, a)]
        for event, arrival in candidates:
            if type(event) in REPLIES and keys and since is not None and arrival.n <= since:
                continue  # from before the request: not its reply
            if any(not a.diff(event) for a in alternatives):
                return self._take(event)
        for event, arrival in candidates:
            if type(event) in REPLIES:
                if not keys or (since is not None and arrival.n > since):
                    return self._take(event)
                continue
            wanted = {a.fields.get("socket_id") for a in alternatives if type(event) is a.cls}
            sid = getattr(event, "socket_id", None)
            if sid is None or sid in wanted or not any(isinstance(w, int) for w in wanted):
                return self._take(event)
        return None

    def _take(self, event: Event) -> Arrival:
        self.inbox.remove(event)
        return self._arrived.pop(id(event))

    def _judge(
        self, arrival: Arrival, alternatives: Sequence[Expect], requirement: str, key: Key[Arrival] | None = None
    ) -> fr.Frame:
        event = arrival.frame
        self.last_raw = arrival.raw
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
            self._track(event, arrival, key)
            return event
        best = min(diffs, key=len)
        self._fail(requirement, alternatives, [describe(event)], best)

    def _missing(
        self,
        alternatives: Sequence[Expect],
        kinds: tuple[type, ...],
        keys: list[Key[Arrival]],
        since: int | None,
        timeout: float,
        started: float,
        requirement: str,
    ) -> fr.Frame:
        """Nothing matched by the deadline: the closest frame of the type shows the diff, else a timeout."""
        stand_ins = [self._arrived[id(e)] for e in self.inbox if type(e) in kinds and id(e) in self._arrived]
        if keys:
            # A reply attributed to another request that came after this one (a frame ID off by one may
            # be another open request's) is the likelier answer to show than none.
            mine = {id(k) for k in keys}
            others_open = self.collector.open_keys(lambda k: id(k) not in mine)  # first: it closes the expired
            for key in [*self._closed, *others_open]:
                stand_ins += [a for a in key.untaken() if type(a.frame) in kinds and (since is None or a.n > since)]
        if stand_ins:
            best = min(stand_ins, key=lambda a: min(len(x.diff(a.frame)) for x in alternatives))
            if id(best.frame) in self._arrived:
                self._take(best.frame)
            return self._judge(best, alternatives, requirement)
        others = [describe(e) for e in self.inbox]
        sent = min([started, *(k.opened for k in keys)])  # anything since the request went out
        received = any(e.direction == RX and e.t >= sent for e in self.driver.trace.entries)
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

    def _track(self, frame: fr.Frame, arrival: Arrival, key: Key[Arrival] | None) -> None:
        """Keep ``sockets`` as the module should hold them, from the replies steps take."""
        if isinstance(frame, fr.SocketCreateResponse) and frame.status == SocketCreateStatus.SUCCESS:
            request = self._exchanges[key.seq].frame if key is not None and key.seq in self._exchanges else None
            protocol = request.protocol if isinstance(request, fr.SocketCreate) else -1
            self.sockets[frame.socket_id] = int(protocol)
            self.allocated[frame.socket_id] = arrival.n
        elif isinstance(frame, fr.SocketNewIPv4Client):
            self.sockets[frame.client_socket_id] = 1  # TCP
            self.allocated[frame.client_socket_id] = arrival.n
        elif (isinstance(frame, fr.SocketCloseResponse) and frame.status == SocketCloseStatus.SUCCESS) or (
            isinstance(frame, fr.SocketStatus) and frame.status != SocketStatusCode.CONNECTED
        ):
            self.sockets.pop(frame.socket_id, None)

    def alive(self) -> bool:
        """Liveness probe: an AT query (AP) the DUT must answer within the reply deadline (its answer is its own)."""
        probe = self.exchange(fr.ATCommand(self.next_frame_id(), b"AP"))
        self.driver.trace.record(NOTE, text="(liveness probe after a missing frame)")
        if probe.collect(enough=1):
            return True
        return any(isinstance(e, fr.ATCommandResponse) for e in self.inbox)  # answered, with another frame ID

    def barrier(self) -> Exchange:
        """An AT query (AP) whose answer proves that everything sent before it was handled (in order)."""
        return self.exchange(fr.ATCommand(self.next_frame_id(), b"AP"))

    def expect_barrier(self, barrier: Exchange, requirement: str = "") -> None:
        barrier.expect(
            Expect(
                fr.ATCommandResponse,
                frame_id=barrier.frame_id,
                command=b"AP",
                status=ATCommandStatus.OK,
                value=bytes((self.api_mode,)),
            ),
            requirement=requirement,
        )

    def settled(self, requirement: str = "") -> Exchange:
        """Send a barrier and wait until everything sent before it has been answered: its answer, and
        (for a DUT whose replies overtake one another) the quiet window after it."""
        barrier = self.barrier()
        self.expect_barrier(barrier, requirement)
        self.settle(barrier)
        return barrier

    def settle(self, barrier: Exchange) -> None:
        """After a barrier's answer: the settle window (``settle_window``), for replies that belong before it."""
        window = self.settle_window()
        if window and barrier.key.first_at is not None:
            until = barrier.key.first_at + window
            while time.monotonic() < until:
                self._pump(until)
        self._raise_pending()

    def expect_no_reply(self, exchange: Exchange, requirement: str) -> None:
        """The request drew no reply (frame ID 0 suppresses it): nothing is attributed to it once everything
        sent before a barrier has been answered (``settled``), and no frame of its reply type belongs to nobody."""
        self.settled(requirement)
        kinds = REPLY_TYPES.get(type(exchange.frame), REPLIES)
        stray = exchange.replies + [
            e
            for e in self.inbox
            if type(e) in kinds and id(e) in self._arrived and self._arrived[id(e)].n > exchange.since
        ]
        if stray:
            raise ConformanceFailure(
                requirement,
                [f"no reply to {exchange.label}"],
                [describe(e) for e in stray],
                ["an unexpected frame arrived"],
                self.driver.trace.last_received(),
            )

    def expect_nothing_before(self, barrier: fr.Frame, barrier_reply: Expect, unwanted: type, requirement: str) -> None:
        """No ``unwanted`` frame that no request owns arrives before the settled barrier (see ``settled``)."""
        since = self.arrivals
        exchange = self.exchange(barrier)
        exchange.expect(barrier_reply, requirement=requirement)
        self.settle(exchange)
        stray = [e for e in self.inbox if isinstance(e, unwanted) and self._arrived_after(e, since)]
        if stray:
            raise ConformanceFailure(
                requirement,
                [f"no {unwanted.__name__} before the reply to {describe(barrier)}"],
                [describe(e) for e in stray],
                ["an unexpected frame arrived"],
                self.driver.trace.last_received(),
            )

    def _arrived_after(self, event: Event, since: int) -> bool:
        arrival = self._arrived.get(id(event))
        return arrival is None or arrival.n > since

    def request(self, frame: fr.Frame, reply: Expect, requirement: str = "") -> fr.Frame:
        return self.exchange(frame).expect(reply, requirement=requirement)

    def drain(self) -> None:
        """Forget the frames no request owns (open requests keep collecting their own replies)."""
        self.inbox.clear()
        self._arrived.clear()

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

    def arrives(self, what: type | Expect | Exchange, within: float) -> bool:
        """Whether ``what`` arrives before the deadline (it stays where it is for ``expect``): a frame of a
        type no request owns, a frame matching an ``Expect`` (among its request's replies or the rest), or
        a reply to an exchange.

        For the few waits whose timeout is not a failure by itself (a detail the spec leaves UNCONFIRMED).
        """
        deadline = time.monotonic() + within

        def seen() -> bool:
            if isinstance(what, Exchange):
                return bool(what.key.untaken())
            if isinstance(what, Expect):
                owned = [a.frame for k in self.collector.open_keys() for a in k.untaken()]
                return any(what.matches(e) for e in [*owned, *self.inbox])
            return any(isinstance(e, what) for e in self.inbox)

        while not seen():
            if time.monotonic() >= deadline:
                return False
            self._pump(deadline)
        return True

    def unowned(self, kinds: tuple[type, ...] = REPLIES, since: int = 0) -> list[fr.Frame]:
        """Frames of ``kinds`` that no request owns and that arrived after arrival number ``since``."""
        return [
            e
            for e in self.inbox
            if isinstance(e, fr.Frame)
            and type(e) in kinds
            and id(e) in self._arrived
            and self._arrived[id(e)].n > since
        ]

    def about(self, socket_id: int, kind: type[fr.Frame] = fr.SocketStatus, since: int = 0) -> list[fr.Frame]:
        """Unsolicited frames of ``kind`` about ``socket_id`` waiting in the inbox (arrived after ``since``)."""
        return [f for f in self.unowned((kind,), since) if getattr(f, "socket_id", None) == socket_id]

    def consume(self, frames: Iterable[fr.Frame]) -> None:
        """Take frames out of the inbox: a step has judged them."""
        for frame in frames:
            if frame in self.inbox:
                self._take(frame)

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
        """An AT command the suite itself needs (setup, identity): its reply, or (from a DUT that does not
        echo frame IDs, which the frame-ID cases catch) a reply with the command that belongs to no request
        and came after it. The frame ID is not checked here."""
        reply = self.exchange(fr.ATCommand(self.next_frame_id(), command, parameter)).expect(
            Expect(fr.ATCommandResponse, command=command, status=ATCommandStatus.OK),
            requirement=f"AT{command.decode()} is answered with status OK",
        )
        assert isinstance(reply, fr.ATCommandResponse)
        return reply

    def query(self, command: bytes, within: float) -> fr.ATCommandResponse | None:
        """Ask an AT setting; its reply (whatever its status), or None when none came within ``within`` s.

        The reply is the one with the query's frame ID; a DUT that answers with another frame ID is taken
        at its word once the deadline has passed (the preflight asks this before any case checks frame IDs).
        """
        exchange = self.exchange(fr.ATCommand(self.next_frame_id(), command))
        replies = exchange.collect(enough=1, within=within)
        if replies:
            exchange.key.take(exchange.key.events[0])
            reply = replies[0]
            return reply if isinstance(reply, fr.ATCommandResponse) and reply.command == command else None
        for event in list(self.inbox):
            if isinstance(event, fr.ATCommandResponse) and event.command == command:
                self._take(event)
                return event
        return None

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
        # How many frames answer 0x43 FF (if any) is a silent point (XBEE-SILENT-CLOSE-ALL-REPLY), so an AT
        # query behind it is the barrier. The close stays open for its reply deadline: replies to it that
        # come after the barrier's answer are attributed to it, never to the case.
        # Both frames normally go out back to back. After a setup that lost the query, the session
        # sends the query only once the close is answered (or its reply deadline passed): a DUT that
        # handles one frame per UART read then still gets clean setups, and the cases that send
        # several frames in one write are the ones that catch it.
        self.drain()  # what the previous case left unread is not this case's
        self._observed = {o for o in self._observed if o[0] == id(self.case)}
        self._pending = None  # a contradiction the previous case met after its last step is not this case's
        close = self.exchange(fr.SocketClose(self.next_frame_id(), 0xFF), owner=SETUP)
        if self.one_frame_at_a_time:
            close.collect(enough=1)
        query = self.exchange(fr.ATCommand(self.next_frame_id(), b"AP"), owner=SETUP)
        try:
            self._setup_answer(query)
        except ConformanceFailure:
            self.one_frame_at_a_time = True
            raise
        finally:
            self.drain()

    def _setup_answer(self, query: Exchange) -> None:
        """Wait for the answer to the case setup's AT query.

        A late answer to an earlier query (a liveness probe, a case's own barrier) is attributed to
        that query, so it cannot stand in for this one. A DUT that does not echo frame IDs (a bug the
        frame-ID cases catch) shows itself by an answer with another ID and none with this one by the
        deadline: that answer is taken, and from then on any answer is.
        """
        deadline = self.driver.after_line(self.profile.deadlines.reply)
        while True:
            if query.key.events:
                query.key.take(query.key.events[0])
                return
            other = next((e for e in self.inbox if isinstance(e, fr.ATCommandResponse)), None)
            if other is not None and self.frame_ids_unreliable:
                self._take(other)
                return
            if time.monotonic() >= deadline:
                break
            self._pump(deadline)
        if any(isinstance(e, fr.ATCommandResponse) for e in self.inbox):
            self.frame_ids_unreliable = True
            return
        query.expect(
            Expect(fr.ATCommandResponse, frame_id=query.frame_id),
            within=0.0,
            requirement="before each case, Socket Close 0xFF (close all) and an AT query behind it are handled",
        )


def _first_difference(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))
