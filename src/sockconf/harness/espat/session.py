"""ESP-AT host session: the suite's side of the AT link, over any driver.

It sends command lines, reads everything the module says with the binary-safe ``ResponseReader``,
keeps reports (``<id>,CONNECT``, ``<id>,CLOSED``, ``+IPD``, ``ready``, ``WIFI ...``) in their own inbox
in arrival order, and collects every other line that belongs to a command up to its final result
(``OK``, ``ERROR``, ``SEND OK``, ``SEND FAIL``) or a deadline from the profile, never a fixed sleep. A
line left over from a previous command is never taken as the answer to a later one: before each
command the session takes in what has arrived, and a line that belongs to no command fails the case.
Mismatches raise ``ConformanceFailure`` with the requirement, every acceptable answer, what arrived
(decoded and as bytes) and the last bytes from the module.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sockconf.core.trace import NOTE, RX
from sockconf.drivers.base import Driver
from sockconf.harness import silent
from sockconf.harness.expect import ConformanceFailure, NoAnswer, show_bytes
from sockconf.protocol.espat import (
    Busy,
    Event,
    Final,
    Garbage,
    Info,
    Ipd,
    Line,
    LinkReport,
    Prompt,
    ResponseReader,
    command,
)
from sockconf.protocol.profile import Profile

OK = ("OK",)
RESULTS = ("OK", "ERROR")
SEND_RESULTS = ("SEND OK", "SEND FAIL", "ERROR")
LINKS = 5
# Reports (Messages, "ESP-AT Message Reports (active)") that are no command's answer.
_REPORT_LINES = re.compile(r"ready|WIFI (CONNECTED|GOT IP|DISCONNECT|GOT IPv6 LL|GOT IPv6 GL)|Have \d+ Connections")
SEND_OK_TIMING = "ESPAT-SILENT-SENDOK-TIMING"  # how long SEND OK may take after the data: its registered range


def is_report(event: Event) -> bool:
    """Whether ``event`` is a report that may come at any time (not part of a command's answer)."""
    if isinstance(event, LinkReport | Ipd):
        return True
    if isinstance(event, Info):
        return event.name == "LINK_CONN"
    return isinstance(event, Line) and _REPORT_LINES.fullmatch(event.text) is not None


def describe_event(event: Event) -> str:
    """An event for the report: what it is and the bytes it was."""
    return f"{event.describe()} as {show_bytes(event.raw, 64)}"


@dataclass
class Response:
    """What a command drew: its echo, its lines, its final result, and the reports that came meanwhile."""

    command: str  # the line sent, without CR-LF
    echo: Event | None = None
    lines: list[Event] = field(default_factory=list)  # everything of its own but the echo, prompt and final
    prompt: Prompt | None = None
    final: Final | None = None
    reports: list[Event] = field(default_factory=list)  # reports that arrived before its final result
    started: float = 0.0
    finished: float = 0.0

    @property
    def word(self) -> str:
        return self.final.word if self.final is not None else ""

    def info(self, name: str) -> list[str]:
        """The values of its ``+<name>:`` lines, in order."""
        return [e.value for e in self.lines if isinstance(e, Info) and e.name == name]

    def texts(self) -> list[str]:
        """Its other text lines (not information responses)."""
        return [e.text for e in self.lines if isinstance(e, Line)]

    def shown(self) -> list[str]:
        found = [self.echo] if self.echo is not None else []
        found += [*self.lines, *([self.prompt] if self.prompt else []), *([self.final] if self.final else [])]
        return [describe_event(e) for e in found] or ["nothing"]


class EspAtSession:
    def __init__(self, driver: Driver, profile: Profile) -> None:
        self.driver = driver
        self.profile = profile
        self.reader = ResponseReader()
        self.answers: deque[Event] = deque()  # events that are no report, not yet part of a response
        self.inbox: deque[Event] = deque()  # reports, in arrival order
        self._arrivals = itertools.count()
        self.arrival: dict[int, int] = {}  # id(event) -> arrival order
        self.requirement = ""
        self.mux: int | None = None  # the connection mode the session set (None: not known)
        self.echo: bool | None = None
        self.changed: dict[str, tuple[object, ...]] = {}  # setting -> the parameters that restore it
        self.baseline_needed = True  # after a restart (and at first) the per-case settings are set again
        self.recv_command = str(profile.get("recv_mode_command", "CIPRECVTYPE"))
        self.max_send = int(profile.get("max_send", 8192))
        # Where an UNCONFIRMED deviation goes (the fixture points it at harness.cases.unconfirmed).
        self.on_unconfirmed: Callable[[str, str], None] = _raise_unconfirmed
        # Where the DUT's choice on a silent point goes (the fixture points it at harness.silent.observed).
        self.on_observed: Callable[[str, str, str], None] = _raise_observed

    @property
    def deadlines(self) -> tuple[float, float, float]:
        d = self.profile.deadlines
        return d.reply, d.indication, d.quiet

    def has(self, feature: str) -> bool:
        return self.profile.has(feature)

    # ------------------------------------------------------------------ receiving

    def _pump(self, deadline: float) -> bool:
        """Read once (until data or the deadline); False if nothing came."""
        data = self.driver.read(deadline)
        if not data:
            return False
        self._take(self.reader.feed(data))
        return True

    def _take(self, events: Iterable[Event]) -> None:
        for event in events:
            self.arrival[id(event)] = next(self._arrivals)
            self.driver.trace.record(NOTE, text=f"← {event.describe()}")
            (self.inbox if is_report(event) else self.answers).append(event)

    def pump_available(self) -> None:
        """Take in whatever has already arrived, without waiting."""
        while self._pump(time.monotonic()):
            pass

    def watch(self, within: float) -> None:
        """Take in what the module says for up to ``within`` seconds (returns early once it said something)."""
        self._pump(time.monotonic() + within)

    def came_before(self, a: Event, b: Event | None) -> bool:
        """Whether ``a`` arrived before ``b`` (False when there is no ``b``)."""
        return b is not None and self.arrival.get(id(a), -1) < self.arrival.get(id(b), -1)

    def fail(self, requirement: str, expected: Sequence[str], actual: Sequence[str], diff: Sequence[str]) -> None:
        raise ConformanceFailure(
            requirement or self.requirement,
            list(expected),
            list(actual),
            list(diff),
            self.driver.trace.last_received(),
        )

    # ------------------------------------------------------------------ sending

    def send_raw(self, raw: bytes, note: str, check_strays: bool = True) -> float:
        """Write bytes; first make sure nothing is left over from an earlier command. The write's time."""
        if check_strays:
            self.pump_available()
            if self.answers:
                strays = list(self.answers)
                self.answers.clear()
                self.fail(
                    "every line the module sends belongs to a command, up to its final result, or is a report",
                    ["nothing between a final result and the next command (reports aside)"],
                    [describe_event(e) for e in strays],
                    ["lines after the previous command's final result"],
                )
        self.driver.trace.record(NOTE, text=f"→ {note}")
        started = time.monotonic()
        self.driver.write(raw)
        return started

    def collect(
        self,
        text: str,
        started: float,
        within: float | None = None,
        finals: Sequence[str] = RESULTS,
        prompt: bool = False,
        requirement: str = "",
        busy_ends: bool = False,
    ) -> Response:
        """Every event of the command ``text`` (sent at ``started``) up to one of ``finals`` or, with
        ``prompt``, the send prompt; reports go to the inbox. A missing final result fails (or, when
        the module is silent altogether, is INCONCLUSIVE). ``busy_ends``: ``busy p...`` answers it."""
        timeout = self.deadlines[0] if within is None else within
        deadline = self.driver.after_line(timeout)  # from when the command has reached the module
        response = Response(text, started=started)
        first_report = next(self._arrivals)
        while True:
            while self.answers:
                event = self.answers.popleft()
                if (
                    response.echo is None
                    and not response.lines
                    and response.final is None
                    and isinstance(event, Line | Garbage)
                    and _is_echo(event, text)
                ):
                    response.echo = event
                    continue
                if isinstance(event, Final) and event.word in finals:
                    response.final = event
                elif isinstance(event, Prompt) and prompt:
                    response.prompt = event
                elif isinstance(event, Busy) and busy_ends:
                    response.lines.append(event)
                    response.final = None
                    response.finished = time.monotonic()
                    response.reports = self._reports_since(first_report)
                    return response
                else:
                    response.lines.append(event)
                    continue
                response.finished = time.monotonic()
                response.reports = self._reports_since(first_report)
                return response
            if time.monotonic() >= deadline:
                self._take(self.reader.flush())
                if self.answers:
                    continue  # what was pending, now as Incomplete/Garbage: goes into the response
                received = any(e.direction == RX and e.t >= started for e in self.driver.trace.entries)
                alive = received or self._alive()
                cls = ConformanceFailure if alive else NoAnswer
                wanted = [*finals, *([">"] if prompt else [])]
                raise cls(
                    requirement or self.requirement,
                    [f"{text} answered, up to one of: {', '.join(wanted)}"],
                    Response(text, response.echo, response.lines).shown(),
                    [f"no final result within {timeout:g} s"],
                    self.driver.trace.last_received(),
                )
            self._pump(deadline)

    def _reports_since(self, mark: int) -> list[Event]:
        return [e for e in self.inbox if self.arrival.get(id(e), -1) > mark]

    def _alive(self) -> bool:
        """Liveness probe: ``AT``, which the module must answer within the reply deadline."""
        self.driver.trace.record(NOTE, text="(liveness probe after a missing answer)")
        self.driver.write(command())
        deadline = self.driver.after_line(self.deadlines[0])
        while not any(isinstance(e, Final) for e in self.answers) and time.monotonic() < deadline:
            self._pump(deadline)
        alive = any(isinstance(e, Final | Busy) for e in self.answers)
        self.answers.clear()
        return alive

    def at(
        self,
        name: str = "",
        *params: object,
        within: float | None = None,
        finals: Sequence[str] = RESULTS,
        requirement: str = "",
        prompt: bool = False,
        busy_ends: bool = False,
        check_strays: bool = True,
    ) -> Response:
        """Send ``AT<name>[=params]`` and collect its answer (see ``protocol.espat.command``)."""
        raw = command(name, *params)
        text = raw[:-2].decode("ascii")
        started = self.send_raw(raw, text, check_strays=check_strays)
        return self.collect(text, started, within, finals, prompt, requirement, busy_ends)

    def expect_final(self, response: Response, words: Sequence[str], requirement: str) -> Response:
        """The response's final result must be one of ``words``."""
        if response.word not in words:
            self.fail(
                requirement,
                [f"{response.command} answered with {' or '.join(words)}"],
                response.shown(),
                [f"final result: expected {' or '.join(words)}, got {response.word or 'none'}"],
            )
        return response

    def ok(self, name: str = "", *params: object, requirement: str = "", within: float | None = None) -> Response:
        """Send a command; it must end with OK."""
        req = requirement or f"AT{name} is answered with OK"
        return self.expect_final(self.at(name, *params, requirement=req, within=within), OK, req)

    def error(self, name: str = "", *params: object, requirement: str = "") -> Response:
        """Send a command; it must end with ERROR."""
        req = requirement or f"AT{name} is answered with ERROR"
        return self.expect_final(self.at(name, *params, requirement=req), ("ERROR",), req)

    def query(self, name: str, requirement: str = "") -> list[str]:
        """``AT+<name>?``: OK, and the values of its ``+<name>:`` lines."""
        req = requirement or f"AT+{name}? is answered with +{name}:<value> and OK"
        response = self.ok(f"+{name}?", requirement=req)
        values = response.info(name)
        if not values:
            self.fail(req, [f"+{name}:<value> then OK"], response.shown(), [f"no +{name}: line"])
        return values

    # ------------------------------------------------------------------ reports

    def take_report(self, match: Callable[[Event], bool]) -> Event | None:
        """The first report in the inbox that ``match`` accepts, taken out; None when there is none."""
        for i, event in enumerate(self.inbox):
            if match(event):
                del self.inbox[i]
                return event
        return None

    def report(
        self, match: Callable[[Event], bool], what: str, requirement: str = "", within: float | None = None
    ) -> Event:
        """Wait (up to the indication deadline) for a report ``match`` accepts; take it out of the inbox."""
        timeout = self.deadlines[1] if within is None else within
        deadline = time.monotonic() + timeout
        while True:
            found = self.take_report(match)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                self.fail(
                    requirement,
                    [what],
                    [describe_event(e) for e in self.inbox] or ["no report"],
                    [f"not reported within {timeout:g} s"],
                )
            self._pump(deadline)

    def no_report(self, match: Callable[[Event], bool], what: str, within: float, requirement: str = "") -> None:
        """Watch the line for ``within`` seconds: no report ``match`` accepts may arrive (an absence check)."""
        deadline = time.monotonic() + within
        while True:
            stray = [e for e in self.inbox if match(e)]
            if stray:
                self.fail(requirement, [f"no {what}"], [describe_event(e) for e in stray], [f"{what} came"])
            if time.monotonic() >= deadline:
                return
            self._pump(deadline)

    def link_report(self, link: int | None, state: str, requirement: str = "", within: float | None = None) -> Event:
        """``<link>,<state>`` (``<state>`` alone when ``link`` is None, one connection)."""
        name = state if link is None else f"{link},{state}"
        return self.report(
            lambda e: isinstance(e, LinkReport) and e.link == link and e.state == state, name, requirement, within
        )

    def connected_link(self, requirement: str = "", within: float | None = None) -> int:
        """The link ID of the next ``<id>,CONNECT`` report."""
        event = self.report(
            lambda e: isinstance(e, LinkReport) and e.state == "CONNECT" and e.link is not None,
            "<link ID>,CONNECT",
            requirement,
            within,
        )
        assert isinstance(event, LinkReport) and event.link is not None
        return event.link

    # ------------------------------------------------------------------ sending data

    def send_data(
        self,
        link: int | None,
        payload: bytes,
        to: tuple[str, int] | None = None,
        requirement: str = "",
        extended: bool = False,
        wire: bytes | None = None,
        length: int | None = None,
    ) -> tuple[Response, Response | None]:
        """AT+CIPSEND(EX)=[<link>,]<len>[,"<host>",<port>]: the prompt, ``wire`` (default: ``payload``)
        written, then everything up to SEND OK / SEND FAIL / ERROR. ``(the command's response, the
        data's)``; the second is None when the command was refused (its final result ERROR)."""
        req = requirement or "AT+CIPSEND answers OK and >, takes <length> bytes, then SEND OK"
        params: list[object] = [] if link is None else [link]
        params.append(len(payload) if length is None else length)
        if to is not None:
            params += [to[0], to[1]]
        name = "+CIPSENDEX" if extended else "+CIPSEND"
        response = self.at(name, *params, prompt=True, finals=("ERROR",), requirement=req)
        if response.prompt is None:
            return response, None
        oks = [e for e in response.lines if isinstance(e, Final) and e.word == "OK"]
        if not oks or response.lines[-1] is not oks[-1]:
            self.fail(req, ["OK, a blank line, then >"], response.shown(), ["the prompt without OK right before it"])
        response.lines.remove(oks[-1])
        response.final = oks[-1]
        data = payload if wire is None else wire
        started = self.send_raw(data, f"{len(data)} data byte(s) {show_bytes(data, 24)}", check_strays=False)
        within = self.deadlines[0] + silent.point(SEND_OK_TIMING).longest
        sent = self.collect(f"<{len(data)} bytes>", started, within, SEND_RESULTS, requirement=req)
        return response, sent

    # ------------------------------------------------------------------ case setup

    def drain(self) -> None:
        """Forget every byte and event received so far."""
        self.pump_available()
        self.reader.reset()
        self.answers.clear()
        self.inbox.clear()
        self.arrival.clear()

    def set_mux(self, mode: int, requirement: str = "") -> None:
        self.ok("+CIPMUX", mode, requirement=requirement or f"precondition: AT+CIPMUX={mode} is answered with OK")
        self.mux = mode

    def change(self, name: str, *params: object, restore: Sequence[object], requirement: str = "") -> Response:
        """Set ``AT+<name>=params``; the reset puts ``restore`` back before the next case."""
        response = self.ok(name, *params, requirement=requirement or f"precondition: AT{name} is answered with OK")
        self.changed.setdefault(name, tuple(restore))
        return response

    def set_passive(self, link: int | None, passive: bool, requirement: str = "") -> Response:
        """Passive (or active) receive, with the command the profile's documents name; the reset undoes it."""
        mode = int(passive)
        req = requirement or f"precondition: the receive mode is set to {'passive' if passive else 'active'}"
        if self.recv_command == "CIPRECVTYPE" and self.mux == 1:
            target = 5 if link is None else link
            return self.change("+CIPRECVTYPE", target, mode, restore=(5, 0), requirement=req)
        if self.recv_command == "CIPRECVTYPE":
            return self.change("+CIPRECVTYPE", mode, restore=(0,), requirement=req)
        return self.change("+CIPRECVMODE", mode, restore=(0,), requirement=req)

    def reset(self) -> None:
        """Every case starts alike: echo off, no server, no link, multiple connections, settings restored."""
        self.drain()
        requirement = "before each case: ATE0, AT+CIPSERVER=0,1, AT+CIPCLOSE, AT+CIPMUX=1 are answered"
        self.ok("E0", requirement=requirement)
        self.echo = False
        any_result = ("OK", "ERROR")
        self.at("+CIPSERVER", 0, 1, finals=any_result, requirement=requirement)
        if self.mux != 0:
            self.at("+CIPCLOSE", 5, finals=any_result, requirement=requirement)
        if self.mux != 1:
            self.at("+CIPCLOSE", finals=any_result, requirement=requirement)
        self.inbox.clear()
        if "+CIPMODE" in self.changed:
            self.ok("+CIPMODE", *self.changed.pop("+CIPMODE"), requirement=requirement)
        self.set_mux(1, requirement=requirement)
        for name, params in self.changed.items():
            if name in ("+CIPRECVTYPE",) and len(params) == 1:
                params = (5, *params)  # it was set under AT+CIPMUX=0
            self.ok(name, *params, requirement=requirement)
        self.changed.clear()
        if self.baseline_needed:
            self.ok("+CIPDINFO", 0, requirement="before the first case: AT+CIPDINFO=0 is answered with OK")
            self.ok("+SYSLOG", 0, requirement="before the first case: AT+SYSLOG=0 is answered with OK")
            sysmsg = self.at("+SYSMSG?", requirement="before the first case: AT+SYSMSG? is answered")
            values = sysmsg.info("SYSMSG")
            if values and values[0].strip().isdigit() and int(values[0]) & 2:
                # Detailed connection reports (+LINK_CONN) instead of <id>,CONNECT: back to the simple ones.
                self.ok("+SYSMSG", int(values[0]) & ~2, requirement=requirement)
            self.baseline_needed = False
        self.pump_available()
        self.answers.clear()
        self.inbox.clear()

    def station_address(self) -> str | None:
        """The station's IPv4 address from ``AT+CIPSTA?`` (None when it shows none)."""
        response = self.at("+CIPSTA?", requirement="AT+CIPSTA? is answered")
        for value in response.info("CIPSTA"):
            if value.startswith("ip:"):
                text = value.removeprefix("ip:").strip().strip('"')
                try:
                    address = ipaddress.IPv4Address(text)
                except ValueError:
                    return None
                return None if address.is_unspecified else str(address)
        return None


def _is_echo(event: Event, text: str) -> bool:
    """Whether a line is the echo of the command ``text`` (with or without the CR it was sent with)."""
    got = event.text if isinstance(event, Line) else event.raw.decode("ascii", "replace")
    return got.strip("\r\n") == text


def _raise_observed(point: str, choice: str, detail: str) -> None:
    raise ConformanceFailure(f"{point}: {choice}", note=f"a silent point met outside a case: {detail}")


def _raise_unconfirmed(requirement: str, finding: str) -> None:
    raise ConformanceFailure(requirement, note=f"UNCONFIRMED deviation outside a case: {finding}")


def leading_blank_lines(raw: bytes) -> int:
    """How many CR-LF pairs start ``raw`` (the blank lines in front of an event)."""
    count = 0
    while raw[2 * count : 2 * count + 2] == b"\r\n":
        count += 1
    return count
