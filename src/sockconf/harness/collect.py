"""Replies of unknown count: every event that belongs to a request is attributed to that request.

The vendor documents say which reply answers a request, rarely how many frames or lines carry it,
and never in which order the replies to requests in flight at once come. So a session does not take
"the next reply" as the answer: each request it sends opens a :class:`Key` in its :class:`Collector`,
and every event that arrives is routed to the oldest open key it belongs to (``belongs``; for XBee the
same frame ID and a reply type of the request). A key stays open until its deadline, also after a step
has taken its answer, so a reply that comes late or a second time is attributed to its own request
(traced, recorded, judged there) and is never handed to a later one. A family's session decides what
belongs to what; this module knows nothing of frames or lines.

:func:`collect` waits for a key's events until the first sufficient evidence: everything wanted has
come (``enough``), or a barrier request sent after it has been answered and nothing more came for the
key within the quiet window, or (without a barrier) the quiet window passed after its last event, or
the deadline. A collection never waits a fixed time.

The collector also notices replies that overtake one another (a reply to a request that arrives after
a reply to a request sent later): a family records that on its reply-order silent point and widens its
absence checks by the quiet window once it has seen it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

E = TypeVar("E")

Clock = Callable[[], float]


@dataclass(eq=False)
class Key(Generic[E]):
    """One request whose replies are collected: what belongs to it, until when, and what came."""

    label: str  # the request as a failure or a trace names it: "0x43 Socket Close (frame 23, socket FF)"
    belongs: Callable[[E], bool]
    seq: int  # the order the requests were opened in
    opened: float
    until: float  # events after this moment are no longer attributed to the key
    owner: str = ""  # who opened it: "setup" for the case setup's requests, "" for the case's
    events: list[E] = field(default_factory=list)  # every event attributed to it, in arrival order
    times: list[float] = field(default_factory=list)  # when each arrived (monotonic)
    taken: int = 0  # how many of ``events`` a step has consumed as the answer
    superseded: float | None = None  # when a request opened after it got its first event

    @property
    def answered(self) -> bool:
        return bool(self.events)

    @property
    def first_at(self) -> float | None:
        return self.times[0] if self.times else None

    @property
    def last_at(self) -> float | None:
        return self.times[-1] if self.times else None

    def untaken(self) -> list[E]:
        return self.events[self.taken :]

    def take(self, event: E) -> None:
        """A step consumed ``event`` (one of ``untaken()``) as its answer; earlier untaken ones stay."""
        i = next(i for i in range(self.taken, len(self.events)) if self.events[i] is event)
        self.events.insert(self.taken, self.events.pop(i))
        self.times.insert(self.taken, self.times.pop(i))
        self.taken += 1

    def extend(self, until: float) -> None:
        self.until = max(self.until, until)


@dataclass(frozen=True)
class Overtake(Generic[E]):
    """``late`` got an event after ``earlier_reply_of`` (opened after it) had already got one."""

    late: Key[E]
    earlier_reply_of: Key[E]
    at: float


class Collector(Generic[E]):
    """The open requests of one session, and the routing of every arriving event to the one it belongs to.

    ``tag_of`` (optional) narrows the routing: an event is offered only to the keys opened with its tag
    (XBee: the frame ID), so routing costs the same however many requests are open.
    """

    def __init__(self, clock: Clock = time.monotonic, tag_of: Callable[[E], Hashable] | None = None) -> None:
        self.clock = clock
        self.tag_of = tag_of
        self.keys: list[Key[E]] = []  # open keys, oldest first
        self.overtakes: list[Overtake[E]] = []
        self.on_expire: Callable[[Key[E]], None] | None = None
        self._seq = itertools.count(1)
        self._latest_answered: Key[E] | None = None  # the most recently opened key that got an event
        self._tagged: dict[Hashable, list[Key[E]]] = {}
        self._tags: dict[int, Hashable] = {}  # key seq -> its tag
        self._unsuperseded = 0  # keys[:i] have all been superseded (their index moves as keys go)
        self._next_expiry = float("inf")  # no key expires before this

    def open(
        self, label: str, belongs: Callable[[E], bool], within: float, owner: str = "", tag: Hashable = None
    ) -> Key[E]:
        now = self.clock()
        key: Key[E] = Key(label, belongs, next(self._seq), now, now + within, owner)
        self.keys.append(key)
        self._tagged.setdefault(tag, []).append(key)
        self._tags[key.seq] = tag
        self._next_expiry = min(self._next_expiry, key.until)
        return key

    def tagged(self, tag: Hashable) -> list[Key[E]]:
        """The open keys opened with ``tag``, oldest first."""
        self.expire()
        return list(self._tagged.get(tag, ()))

    def route(self, event: E) -> Key[E] | None:
        """The open key ``event`` belongs to (it is added to that key's events), or None."""
        now = self.clock()
        self.expire(now)
        candidates = self.keys if self.tag_of is None else self._tagged.get(self.tag_of(event), ())
        for key in candidates:
            if key.belongs(event):
                if not key.events:
                    self._supersede(key, now)
                key.events.append(event)
                key.times.append(now)
                latest = self._latest_answered
                if latest is not None and latest.seq > key.seq:
                    self.overtakes.append(Overtake(key, latest, now))
                else:
                    self._latest_answered = key
                return key
        return None

    def _supersede(self, answered: Key[E], now: float) -> None:
        """``answered`` got its first event: every key opened before it is superseded from now."""
        i = self._unsuperseded
        while i < len(self.keys) and self.keys[i].seq < answered.seq:
            self.keys[i].superseded = now  # keys are in the order they were opened
            i += 1
        self._unsuperseded = i

    def expire(self, now: float | None = None) -> None:
        """Close the keys whose deadline has passed."""
        now = self.clock() if now is None else now
        if now < self._next_expiry:
            return
        gone = [k for k in self.keys if k.until <= now]
        for key in gone:
            self._drop(key)
        self._next_expiry = min((k.until for k in self.keys), default=float("inf"))

    def close(self, key: Key[E]) -> None:
        """Stop attributing events to ``key`` before its deadline."""
        if key in self.keys:
            self._drop(key)

    def _drop(self, key: Key[E]) -> None:
        i = self.keys.index(key)
        del self.keys[i]
        if i < self._unsuperseded:
            self._unsuperseded -= 1
        tag = self._tags.pop(key.seq, None)
        same = self._tagged.get(tag)
        if same is not None:
            same.remove(key)
            if not same:
                del self._tagged[tag]
        if self.on_expire is not None:
            self.on_expire(key)

    @staticmethod
    def complete_at(key: Key[E], window: float) -> float | None:
        """From when ``key`` has all its events, if replies come in order: a request opened after it was
        answered (plus ``window``, the time a reply may come behind a later one); None while none was."""
        return None if key.superseded is None else key.superseded + window

    def open_keys(self, predicate: Callable[[Key[E]], bool] = lambda key: True) -> list[Key[E]]:
        self.expire()
        return [k for k in self.keys if predicate(k)]

    def overtaken(self, keys: list[Key[E]]) -> list[Overtake[E]]:
        """The overtakes among ``keys`` (both the late key and the one that overtook it)."""
        ids = {id(k) for k in keys}
        return [o for o in self.overtakes if id(o.late) in ids and id(o.earlier_reply_of) in ids]


def collect(
    key: Key[E],
    pump: Callable[[float], object],
    *,
    deadline: float,
    quiet: float,
    enough: Callable[[list[E]], bool] | None = None,
    barrier: Key[E] | None = None,
    clock: Clock = time.monotonic,
) -> list[E]:
    """Wait for the events of ``key`` until the first sufficient evidence; return them all.

    - ``enough(events)`` holds: everything wanted has come;
    - ``barrier`` (the key of a request sent after this one) is answered, and ``quiet`` seconds have
      passed with nothing more for ``key`` (counted from the barrier's answer or ``key``'s last event,
      whichever came later): with replies in order the barrier alone proves the rest, and the quiet
      window bounds how far a reply may come behind it;
    - without a barrier: ``key`` has events and ``quiet`` seconds passed after the last of them;
    - ``deadline`` (monotonic time) passed.

    ``pump(until)`` reads once from the DUT (until data arrives or ``until``) and routes what came.
    """
    key.extend(deadline)
    while True:
        now = clock()
        if enough is not None and enough(key.events):
            return list(key.events)
        settled: float | None = None
        if barrier is not None:
            if barrier.first_at is not None:
                settled = max(barrier.first_at, key.last_at or 0.0) + quiet
        elif key.last_at is not None:
            settled = key.last_at + quiet
        if settled is not None and now >= settled:
            return list(key.events)
        if now >= deadline:
            return list(key.events)
        pump(min(deadline, settled) if settled is not None else deadline)
