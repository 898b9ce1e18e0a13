"""harness/collect.py, family-neutral: events routed to the request they belong to, kept there after the
answer was taken, and a collection that ends at its first sufficient evidence (never a fixed wait)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sockconf.harness.collect import Collector, collect


@dataclass
class Line:
    """A fake clock and a line that delivers scripted events at given times (what ``pump`` reads)."""

    collector: Collector[str]
    script: list[tuple[float, str]] = field(default_factory=list)  # (when, event), in time order
    now: float = 0.0
    pumps: list[float] = field(default_factory=list)  # the ``until`` of every read

    def clock(self) -> float:
        return self.now

    def pump(self, until: float) -> bool:
        self.pumps.append(until)
        if self.script and self.script[0][0] <= until:
            when, event = self.script.pop(0)
            self.now = max(self.now, when)
            self.collector.route(event)
            return True
        self.now = until
        return False


def line(script: list[tuple[float, str]]) -> Line:
    box: list[Line] = []
    collector: Collector[str] = Collector(clock=lambda: box[0].now, tag_of=lambda e: e[0])
    box.append(Line(collector, list(script)))
    return box[0]


def test_an_event_goes_to_the_oldest_open_key_it_belongs_to_and_stays_there():
    ln = line([])
    a = ln.collector.open("a", lambda e: e.startswith("1"), within=2.0, tag="1")
    b = ln.collector.open("b", lambda e: e.startswith("1"), within=2.0, tag="1")
    c = ln.collector.open("c", lambda e: e.startswith("2"), within=2.0, tag="2")
    assert ln.collector.route("1 first") is a and ln.collector.route("1 again") is a
    assert ln.collector.route("2 x") is c and ln.collector.route("3 y") is None
    a.take(a.events[0])
    assert a.untaken() == ["1 again"] and b.events == []  # a second reply is a's, never b's


def test_a_key_closes_at_its_deadline_and_nothing_is_attributed_to_it_after():
    ln = line([])
    closed: list[str] = []
    ln.collector.on_expire = lambda key: closed.append(key.label)
    a = ln.collector.open("a", lambda e: True, within=1.0, tag="1")
    ln.now = 1.0
    assert ln.collector.route("1 late") is None and closed == ["a"] and a.events == []


def test_enough_ends_a_collection_at_once():
    ln = line([(0.1, "1 reply"), (0.2, "1 more")])
    key = ln.collector.open("k", lambda e: e.startswith("1"), within=2.0, tag="1")
    got = collect(key, ln.pump, deadline=2.0, quiet=0.5, enough=lambda ev: len(ev) >= 1, clock=ln.clock)
    assert got == ["1 reply"] and ln.now == 0.1


def test_a_barrier_answer_and_the_quiet_window_end_a_collection_of_unknown_count():
    ln = line([(0.1, "1 a"), (0.2, "1 b"), (0.25, "2 barrier"), (0.4, "1 c"), (2.0, "1 too late")])
    key = ln.collector.open("k", lambda e: e.startswith("1"), within=3.0, tag="1")
    barrier = ln.collector.open("b", lambda e: e.startswith("2"), within=3.0, tag="2")
    got = collect(key, ln.pump, deadline=3.0, quiet=0.3, barrier=barrier, clock=ln.clock)
    # The reply after the barrier's answer came within the window, and the window runs on from it.
    assert got == ["1 a", "1 b", "1 c"]
    assert abs(ln.now - 0.7) < 1e-9
    assert ln.collector.overtakes and ln.collector.overtakes[0].late is key


def test_with_replies_in_order_the_barrier_alone_ends_it():
    ln = line([(0.1, "1 a"), (0.2, "2 barrier"), (5.0, "1 never waited for")])
    key = ln.collector.open("k", lambda e: e.startswith("1"), within=9.0, tag="1")
    barrier = ln.collector.open("b", lambda e: e.startswith("2"), within=9.0, tag="2")
    assert collect(key, ln.pump, deadline=9.0, quiet=0.0, barrier=barrier, clock=ln.clock) == ["1 a"]
    assert ln.now == 0.2 and key.superseded == 0.2


def test_without_a_barrier_the_quiet_window_after_the_last_event_ends_it():
    ln = line([(0.1, "1 a"), (0.3, "1 b")])
    key = ln.collector.open("k", lambda e: e.startswith("1"), within=9.0, tag="1")
    assert collect(key, ln.pump, deadline=9.0, quiet=0.5, clock=ln.clock) == ["1 a", "1 b"]
    assert abs(ln.now - 0.8) < 1e-9


def test_nothing_came_ends_at_the_deadline():
    ln = line([])
    key = ln.collector.open("k", lambda e: True, within=1.0, tag="1")
    assert collect(key, ln.pump, deadline=1.0, quiet=0.1, clock=ln.clock) == [] and ln.now == 1.0


def test_a_key_is_complete_once_a_later_one_was_answered():
    ln = line([])
    a = ln.collector.open("a", lambda e: e.startswith("1"), within=9.0, tag="1")
    b = ln.collector.open("b", lambda e: e.startswith("2"), within=9.0, tag="2")
    assert Collector.complete_at(a, 0.25) is None
    ln.now = 0.5
    ln.collector.route("2 answer")
    assert Collector.complete_at(a, 0.25) == 0.75 and Collector.complete_at(b, 0.25) is None
