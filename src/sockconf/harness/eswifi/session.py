"""eS-WiFi host session: the suite's side of the AT link, over any driver.

It sends commands, reads everything the module says with the binary-safe ``ReplyReader``, keeps
the module's messages (``[TCP SVR] Accepted …``) in their own inbox, and waits for each expected
reply until a deadline (never a fixed sleep). Where the profile says the module holds its messages
for ``MR`` (``[device] async_messages = "mr"``: an SPI-attached module, which speaks only when its
host clocks a reply), a wait for a message polls ``MR`` every ``mr_poll`` seconds until the message
or the same deadline, and a message written between replies is a failure of the case that checks it.
Replies are compared with ``Expect`` templates over the codec's events (``Reply(data=b"1", ok=True)``);
a mismatch raises ``ConformanceFailure`` with the requirement, every acceptable alternative, what arrived
(decoded and as bytes), a field diff and the last bytes from the module. Bytes outside any reply fail
the case at once.
"""

from __future__ import annotations

import ipaddress
import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence

import pytest

from sockconf.core.trace import NOTE, RX
from sockconf.drivers.base import Driver
from sockconf.harness.expect import ANY, Check, ConformanceFailure, Expect, NoAnswer, show_bytes
from sockconf.protocol.eswifi import (
    ACCEPTED_PREFIX,
    EOMA,
    KILLED,
    MULTI_ACCEPT_SETUP,
    SOMA,
    WAITING,
    AsyncMessage,
    ErrorReply,
    Event,
    Prompt,
    Reply,
    ReplyReader,
    Unsolicited,
    command,
    mr_messages,
    s3,
)
from sockconf.protocol.profile import Profile

LOST = b"-1"
ACCEPTED_PORT = "ESWIFI-CONTRA-ACCEPTED-PORT"
NEITHER_SIDE = "neither"
# C?, fields counted from 0: SSID, password, security, DHCP, IP version, IP address (the sixth field), ...
C_ADDRESS_FIELD = 5
# The query behind a resynchronisation (see ``resync``).
RESYNC_BARRIER = "CS"
MR_POLL = 0.05  # s between two MR polls, unless the profile says ([device] mr_poll)
# Most MR polls that empty the module's queue at a case's start: more held messages than this is a
# module whose queue never empties (its MR keeps answering messages).
MR_DRAIN = 32
MESSAGE_PROMPT = "ESWIFI-SILENT-MESSAGE-PROMPT"

# Expected forms, shared by the cases.
ANY_REPLY = (Expect(Reply), Expect(ErrorReply))
SERVER_COMMANDS = frozenset({"P5", "P7"})  # replies a module may write the next client's Accepted inside
AN_ERROR = Expect(ErrorReply, reason=ANY, usage=ANY)
LOST_WITH_OK = Expect(Reply, data=LOST, ok=True)
LOST_WITHOUT_OK = Expect(Reply, data=LOST, ok=False)


def data_is(expected: bytes) -> Check:
    """Reply data equal to ``expected``, shown as text in the report."""
    return Check(_preview(expected), lambda got: got == expected)


def ok_with(data: bytes | Check = ANY) -> Expect:
    """A success reply: ``\\r\\n`` + data + ``\\r\\nOK\\r\\n> ``."""
    return Expect(Reply, data=data_is(data) if isinstance(data, bytes) else data, ok=True)


def _preview(data: bytes, limit: int = 64) -> str:
    text = repr(bytes(data[:limit]))
    return text if len(data) <= limit else f"{text}… ({len(data)} bytes)"


def describe_event(event: Event) -> str:
    """An event for the report: what it is and the bytes it was."""
    return f"{event.describe()} as {show_bytes(event.raw, 64)}"


def first_difference(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


class Texts:
    """The module's server messages as the profile gives them (seed texts by default)."""

    def __init__(self, profile: Profile) -> None:
        texts = profile.get("messages", {})
        self.setup = str(texts.get("multi_accept_setup", MULTI_ACCEPT_SETUP))
        self.waiting = str(texts.get("waiting", WAITING))
        self.killed = str(texts.get("killed", KILLED))
        self.accepted = str(texts.get("accepted_prefix", ACCEPTED_PREFIX))


class ESWiFiSession:
    def __init__(self, driver: Driver, profile: Profile) -> None:
        self.driver = driver
        self.profile = profile
        self.reader = ReplyReader()
        self.replies: deque[Event] = deque()  # everything but messages, in arrival order
        self.messages: deque[AsyncMessage] = deque()
        # Arrival order of every event by id(): whether a message came before or after a reply.
        self._arrivals = itertools.count()
        self.arrival: dict[int, float] = {}
        self.requirement = ""
        spi = str(profile.get("bus", "uart")) == "spi"
        # The module holds its messages for MR (an SPI module) instead of writing them unprompted.
        self.held_for_mr = str(profile.get("async_messages", "mr" if spi else "unprompted")) == "mr"
        self.mr_poll = float(profile.get("mr_poll", MR_POLL))
        self.stray: set[int] = set()  # ids of messages a module that holds them for MR wrote unprompted
        self.via_mr: set[int] = set()  # ids of messages an MR reply carried
        self.seen: set[tuple[str, str]] = set()  # silent-point choices recorded in this case
        # Replies are paired with commands in order (the module answers each line before it reads the next);
        # a whole reply that comes while none is outstanding belongs to the command sent last: the answers to
        # bad input (any number) or, after a good command, a second answer, judged before the next command
        # goes out and never taken as the answer to a later one.
        self.last_command = ""
        self.absorbing = False  # bad input or the case setup: replies of any count are taken in order
        self.extras: list[tuple[str, Unsolicited]] = []
        self.gave_up_on = ""  # the command whose answer ``settle`` stopped waiting for (a late one is dropped)
        self._after_message = False  # the last event taken was a message (a prompt may follow it)
        # The profile's socket count, and the module's: learnt once per DUT (learn_sockets), it may be fewer
        # (the seed: "If you only have 1 socket you can ignore this command").
        self.profile_sockets = int(profile.get("sockets", 4))
        self.sockets = self.profile_sockets
        self.sockets_learnt = False
        self.read_size = int(profile.get("read_packet_size", 1460))
        self.max_s3 = int(profile.get("max_s3", 1460))
        self.texts = Texts(profile)
        self.selected: int | None = None
        self.changed_read_size: set[int] = set()
        # Per-socket settings a case changed, and the value the reset puts back: (socket, name) -> value.
        self.changed: dict[tuple[int, str], object] = {}
        self.defaults: dict[str, object] = {
            "R1": self.read_size,
            "R2": int(profile.get("read_timeout_default", 0)),
            "S1": int(profile.get("write_packet_size", self.max_s3)),
            "S2": int(profile.get("write_timeout_default", 0)),
        }
        # Where an UNCONFIRMED deviation goes (the fixture points it at sockconf.harness.cases.unconfirmed).
        self.on_unconfirmed: Callable[[str, str], None] = _raise_unconfirmed
        # Where the DUT's choice on a silent point goes (the fixture points it at sockconf.harness.silent.observed).
        self.on_observed: Callable[[str, str, str], None] = _raise_observed
        # Which statement of an unresolved contradiction the DUT followed, "a", "b" or "neither" (a FAIL); the
        # fixture points it at sockconf.harness.contradictions.observed.
        self.on_contradiction: Callable[[str, str, str], None] = _raise_contradiction

    @property
    def deadlines(self) -> tuple[float, float, float]:
        d = self.profile.deadlines
        return d.reply, d.indication, d.quiet

    # ------------------------------------------------------------------ sending

    def send(self, raw: bytes, note: str) -> None:
        """Write one command's bytes; its reply is now expected.

        What has arrived is taken in first, so that a second answer to the command before is attributed to
        that command (and judged, see ``judge_extras``) rather than read as this one's."""
        self._before_write(note)
        self.reader.command_sent()
        self.driver.write(raw)
        self.driver.trace.record(NOTE, text=f"→ {note}")

    def send_bad(self, raw: bytes, note: str, replies: int) -> None:
        """Write bytes that are not one well-formed command; the module may answer them up to ``replies`` times.

        Bad input has no documented reply count (a line cut short has none of its own, an over-long one
        may be answered once per piece the module made of it), so the reader is told to expect up to
        ``replies`` answers; ``settle`` forgets the ones that did not come. More answers than that are taken
        in order too, until ``settle``: no count is a limit.
        """
        self._before_write(note)
        self.absorbing = True
        for _ in range(replies):
            self.reader.command_sent()
        self.driver.write(raw)
        self.driver.trace.record(NOTE, text=f"→ {note}")

    def _before_write(self, note: str) -> None:
        """Take in what has arrived and judge any second answer to the command before; ``note`` is sent next."""
        self.pump_available()
        self.judge_extras()
        self.last_command = note
        self.gave_up_on = ""

    def settle(self) -> None:
        """After bad input: forget replies still expected, if nothing is pending (see ``send_bad``)."""
        self.pump_available()
        if not self.reader.pending and not self.replies:
            if self.reader.outstanding:
                self.gave_up_on = self.last_command
            self.reader.reset()
        self.absorbing = False

    def resync(self, replies: int) -> list[ErrorReply]:
        """After bad input, as a careful host driver does: a bare CR ends whatever line the module may
        still hold; then a query (``CS``, connection status: answered ``0`` or ``1`` with OK, changes
        nothing) is the barrier. The module reads its input in order and answers each line before the
        next, so every answer the bad input still draws comes before the barrier's: the drain is complete
        when that answer arrives, without waiting out a quiet window (and an answer later than any window
        cannot leak into the next exchange). ``replies``: how many answers the bad input may still draw.
        The error replies drained; anything but the error form before the barrier's answer fails, and so
        does a barrier not answered within the reply deadline."""
        self.send_bad(b"\r", "bare CR: end whatever line the bad input left open", replies + 1)
        self.command(RESYNC_BARRIER)
        self.driver.trace.record(NOTE, text=f"({RESYNC_BARRIER}: the barrier behind the bad input's answers)")
        errors: list[ErrorReply] = []
        while True:
            event = self.reply_or_none(self.deadlines[0])
            if event is None:
                self.fail(
                    f"after bad input and a bare CR only error replies come, then {RESYNC_BARRIER} is answered",
                    [f"{AN_ERROR} (any number), then {ok_with(b'0')} or {ok_with(b'1')}"],
                    [f"{len(errors)} error repl(ies), then nothing"],
                    [f"{RESYNC_BARRIER} not answered within {self.deadlines[0]:g} s"],
                )
            assert event is not None  # fail() raised otherwise
            if isinstance(event, Reply) and event.ok and event.data.strip() in (b"0", b"1"):
                break  # the barrier's answer: everything the bad input drew came before it
            if not isinstance(event, ErrorReply):
                self.fail(
                    "after bad input and a bare CR only error replies may come",
                    [str(AN_ERROR)],
                    [describe_event(event)],
                    ["not the error form"],
                )
            assert isinstance(event, ErrorReply)
            errors.append(event)
        self.settle()
        return errors

    def command(self, name: str, *params: object) -> None:
        raw = command(name, *params)
        self.send(raw, raw[:-1].decode("ascii"))
        if name == "P0" and len(params) == 1:
            self.selected = None  # known once the module said OK (see select)

    def send_s3(self, payload: bytes) -> None:
        self.send(s3(payload), f"S3={len(payload)} + {len(payload)} byte(s) {_preview(payload, 24)}")

    # ------------------------------------------------------------------ receiving

    def _pump(self, deadline: float) -> bool:
        """Read once (until data or the deadline); False if nothing came."""
        data = self.driver.read(deadline)
        if not data:
            return False
        self._take(self.reader.feed(data))
        return True

    def _take(self, events: Sequence[Event]) -> None:
        for event in events:
            self.arrival[id(event)] = next(self._arrivals)
            after_message, self._after_message = self._after_message, isinstance(event, AsyncMessage)
            if isinstance(event, Unsolicited):
                if self.absorbing:  # one more answer to bad input, or a late one the setup's barrier sorts out
                    self.arrival[id(event.reply)] = self.arrival[id(event)]
                    self.driver.trace.record(NOTE, text=f"← {event.reply.describe()}")
                    self.replies.append(event.reply)
                elif self.gave_up_on and self.gave_up_on == self.last_command:
                    # The case judged that answer's absence within its own window already.
                    late = f"(a late answer to {self.last_command}, no longer waited for: {event.reply.describe()})"
                    self.driver.trace.record(NOTE, text=late)
                else:
                    self.driver.trace.record(NOTE, text=f"← another answer to {self.last_command}: {event.describe()}")
                    self.extras.append((self.last_command, event))
                continue
            if isinstance(event, Prompt) and after_message:
                self.driver.trace.record(NOTE, text="← the prompt '> ' again, after the message")
                self._record(MESSAGE_PROMPT, "prompt", "an unprompted message followed by the prompt '> '")
                continue
            self.driver.trace.record(NOTE, text=f"← {event.describe()}")
            if isinstance(event, AsyncMessage):
                self.messages.append(event)
                if self.held_for_mr:
                    self.stray.add(id(event))
            else:
                self.replies.append(event)

    def _record(self, point: str, choice: str, detail: str) -> None:
        """A silent-point choice met while reading: recorded in the case, only traced outside one."""
        if self.on_observed is _raise_observed:
            self.driver.trace.record(NOTE, text=f"({point}: {choice}, outside a case)")
        else:
            self.observe_once(point, choice, detail)

    def judge_extras(self) -> None:
        """A good command is answered once: its reply ends with the prompt, which says the module is ready
        for the next command. Another whole reply before the next command went out FAILs, naming the
        command it answered again."""
        if not self.extras:
            return
        extras, self.extras = self.extras, []
        sent = extras[0][0]
        self.fail(
            f"{sent} is answered by one reply: the prompt '> ' that ends it says the module is ready for "
            "the next command",
            [f"one reply to {sent}, then nothing until the next command"],
            [describe_event(event) for _, event in extras],
            [f"{len(extras)} more repl{'y' if len(extras) == 1 else 'ies'} to {sent} after its own had ended"],
        )

    def fail(self, requirement: str, expected: Sequence[str], actual: Sequence[str], diff: Sequence[str]) -> None:
        raise ConformanceFailure(
            requirement or self.requirement,
            list(expected),
            list(actual),
            list(diff),
            self.driver.trace.last_received(),
        )

    def reply(self, *alternatives: Expect, requirement: str = "", within: float | None = None) -> Reply | ErrorReply:
        """The next reply; it must match one alternative (default: a success reply with any data)."""
        alternatives = alternatives or (ok_with(),)
        timeout = self.deadlines[0] if within is None else within
        started = time.monotonic()
        deadline = self.driver.after_line(timeout)  # from when the command has reached the module
        while True:
            if self.replies:
                event = self.replies.popleft()
                if not isinstance(event, Reply | ErrorReply):
                    self.fail(
                        requirement,
                        [str(a) for a in alternatives],
                        [describe_event(event)],
                        ["bytes that are not a reply in the documented framing"],
                    )
                assert isinstance(event, Reply | ErrorReply)
                diffs = [a.diff(event) for a in alternatives]
                if not all(diffs):
                    return event
                self.fail(requirement, [str(a) for a in alternatives], [describe_event(event)], min(diffs, key=len))
            if time.monotonic() >= deadline:
                self._take(self.reader.flush())
                if self.replies:
                    continue  # what was pending, now as Incomplete/Garbage: reported above
                received = any(e.direction == RX and e.t >= started for e in self.driver.trace.entries)
                # Nothing came: is the module still there at all? One that answers a probe broke this
                # exchange (FAIL); one that answers nothing makes the case INCONCLUSIVE.
                cls = ConformanceFailure if received or self._alive() else NoAnswer
                raise cls(
                    requirement or self.requirement,
                    [str(a) for a in alternatives],
                    [],
                    [f"no reply within {timeout:g} s"],
                    self.driver.trace.last_received(),
                )
            self._pump(deadline)

    def reply_or_none(self, within: float) -> Reply | ErrorReply | Event | None:
        """The next reply, or None when none arrives within ``within`` s of the last written byte reaching the
        module (no liveness probe: the caller judges)."""
        deadline = self.driver.after_line(within)
        while not self.replies:
            if time.monotonic() >= deadline:
                return None
            self._pump(deadline)
        return self.replies.popleft()

    def _alive(self) -> bool:
        """Liveness probe: ``CS`` (connection status), which the module must answer within the reply deadline."""
        self.command("CS")
        self.driver.trace.record(NOTE, text="(liveness probe after a missing reply)")
        deadline = self.driver.after_line(self.deadlines[0])
        while not self.replies and time.monotonic() < deadline:
            self._pump(deadline)
        return bool(self.replies)

    def ok(self, name: str, *params: object, data: bytes | Check = ANY, requirement: str = "") -> Reply:
        """Send a command; it must be answered with OK (and ``data`` when given)."""
        self.command(name, *params)
        if name in SERVER_COMMANDS:
            # The reply's data is checked without the Accepted lines a module wrote inside it.
            reply = self.accepted_taken_out(self.reply(ok_with(), requirement=requirement))
            diff = ok_with(data).diff(reply)
            if diff:
                self.fail(requirement, [str(ok_with(data))], [describe_event(reply)], diff)
        else:
            reply = self.reply(ok_with(data), requirement=requirement)
        assert isinstance(reply, Reply)
        return reply

    def accepted_taken_out(self, reply: Reply | ErrorReply) -> Reply | ErrorReply:
        """A server command's reply with the Accepted lines inside its data (a UART module may write a message
        between a reply's parts, ESWIFI-SILENT-MESSAGE-PLACE) taken out as messages that came just before it."""
        prefix = self.texts.accepted.encode("utf-8")
        if not isinstance(reply, Reply) or prefix not in reply.data:
            return reply
        lines = reply.data.split(b"\r\n")
        inside = [line for line in lines if line.startswith(prefix)]
        if not inside:
            return reply
        raw = reply.raw
        for line in inside:
            raw = raw.replace(line + b"\r\n", b"", 1)  # the reply's own bytes, as if the message came before it
        rest = Reply(b"\r\n".join(line for line in lines if not line.startswith(prefix)), reply.ok, raw=raw)
        order = self.arrival.get(id(reply), 0)
        self.arrival[id(rest)] = order
        for line in inside:
            message = AsyncMessage(line.decode("utf-8", "replace"), raw=line + b"\r\n")
            self.arrival[id(message)] = order - 0.5
            self.messages.append(message)
            self.driver.trace.record(NOTE, text=f"(inside the reply) {message.describe()}")
        self.observe_once(
            "ESWIFI-SILENT-MESSAGE-PLACE", "anywhere", f"{len(inside)} Accepted line(s) inside a server command's reply"
        )
        return rest

    def error(self, raw: bytes, note: str, requirement: str = "") -> ErrorReply:
        """Send bad bytes; they must be answered with ``ERROR: …`` [``Usage: …``] and the prompt."""
        self.send(raw, note)
        reply = self.reply(AN_ERROR, requirement=requirement)
        assert isinstance(reply, ErrorReply)
        self.on_observed(
            "ESWIFI-SILENT-ERROR-TEXTS", "terse" if reply.usage is None else "with-usage", f"ERROR: {reply.reason}"
        )
        return reply

    def expect_bytes(self, event: Event, expected: bytes, requirement: str) -> None:
        """An event's wire bytes must equal ``expected`` exactly."""
        if event.raw != expected:
            self.fail(
                requirement,
                [show_bytes(expected, 96) + f" {expected!r}"],
                [show_bytes(event.raw, 96) + f" {event.raw!r}"],
                [f"bytes differ from byte {first_difference(expected, event.raw)}"],
            )

    # ------------------------------------------------------------------ messages

    def observe_once(self, point: str, choice: str, detail: str = "") -> None:
        """Record the DUT's choice on a silent point, once per case and choice."""
        if (point, choice) not in self.seen:
            self.seen.add((point, choice))
            self.on_observed(point, choice, detail)

    def poll_mr(self, requirement: str = "", record: bool = True) -> list[AsyncMessage]:
        """One ``MR``: the messages its reply carries (``[SOMA]<message>[EOMA]`` each), now in the inbox.
        Its form is recorded (ESWIFI-SILENT-MR-EMPTY, -MR-FORM) unless ``record`` is False."""
        req = (
            requirement or "MR is answered with OK and its messages as [SOMA]<message>[EOMA] (ISM4343 data sheet p.17)"
        )
        self.command("MR")
        reply = self.reply(ok_with(), requirement=req)
        assert isinstance(reply, Reply)
        texts = mr_messages(reply.data)
        if texts is None:
            self.fail(
                req,
                [f"{SOMA}<message>{EOMA} (one block per message), {SOMA}{EOMA} when none is held"],
                [describe_event(reply)],
                ["the data is not [SOMA]...[EOMA] blocks"],
            )
        assert texts is not None
        if not record:
            pass
        elif not texts:
            choice = "markers" if reply.data else "no-markers"
            self.observe_once("ESWIFI-SILENT-MR-EMPTY", choice, "" if reply.data else "MR with nothing held: no data")
        elif len(texts) > 1:
            self.observe_once("ESWIFI-SILENT-MR-FORM", "batched", f"one MR answered {len(texts)} messages")
        found = []
        for text in texts:
            raw = reply.raw if len(texts) == 1 else f"{SOMA}{text}{EOMA}".encode("utf-8", "backslashreplace")
            message = AsyncMessage(text, raw=raw)
            self.arrival[id(message)] = self.arrival.get(id(reply), next(self._arrivals))
            self.via_mr.add(id(message))
            self.messages.append(message)
            found.append(message)
        return found

    def _await_messages(self, deadline: float, requirement: str) -> None:
        """Wait for the module to say more, until ``deadline``: one MR and then up to the poll period
        (a module that holds its messages), or whatever arrives (one that writes them unprompted)."""
        if not self.held_for_mr:
            self._pump(deadline)
            return
        if self.poll_mr(requirement):
            return
        self._pump(min(deadline, time.monotonic() + self.mr_poll))

    def poll_messages(self, requirement: str = "", record: bool = True) -> None:
        """Take in every message the module has for the host now, without waiting for more."""
        self.pump_available()
        if not self.held_for_mr:
            return
        for _ in range(MR_DRAIN):
            if not self.poll_mr(requirement, record):
                return
        self.fail(
            requirement or "MR empties the module's queue of messages",
            [f"{SOMA}{EOMA} after at most {MR_DRAIN} MR"],
            [f"{MR_DRAIN} MR replies each with a message"],
            ["the module's messages never run out"],
        )

    def messages_where(
        self, wanted: Callable[[AsyncMessage], bool], count: int, requirement: str
    ) -> list[AsyncMessage]:
        """The first ``count`` messages in the inbox for which ``wanted`` holds, waited for until the indication
        deadline (returns as soon as there are ``count``; fewer only when the deadline passed)."""
        deadline = time.monotonic() + self.deadlines[1]
        self.poll_messages(requirement)
        while True:
            found = [m for m in self.messages if wanted(m)]
            if len(found) >= count or time.monotonic() >= deadline:
                return found[:count]
            self._await_messages(deadline, requirement)

    def _check_delivered(self, message: AsyncMessage, requirement: str) -> None:
        """A module that holds its messages for MR must not write one between replies."""
        if id(message) in self.stray:
            self.fail(
                requirement,
                [
                    f"the message in an MR reply, {SOMA}{message.text}{EOMA}: an SPI module speaks only when its "
                    "host clocks a reply, and holds its messages for MR (ISM4343 data sheet p.17)"
                ],
                [describe_event(message)],
                ["the message was written between replies, unprompted"],
            )

    def accepted(
        self,
        host: str,
        port: int,
        requirement: str = "",
        within: float | None = None,
        server_port: int | None = None,
        judged: bool = False,
    ) -> AsyncMessage:
        """The next ``[TCP SVR] Accepted`` message; it must name ``host:port``, the client's address and source port.

        Given the server's own ``server_port``, a message naming that port instead passes too: which port the
        message names is a contradiction the documents leave unresolved (ESWIFI-CONTRA-ACCEPTED-PORT). A case
        that judges it (``judged``) records which the DUT followed; a port that is neither FAILs, quoting both.
        """
        timeout = self.deadlines[1] if within is None else within
        deadline = time.monotonic() + timeout
        ports = [port] if server_port is None else [server_port, port]
        expected = " or ".join(f"{self.texts.accepted}{host}:{p}" for p in ports)
        while True:
            for i, msg in enumerate(self.messages):
                if msg.text.startswith(self.texts.accepted):
                    del self.messages[i]
                    self._check_delivered(msg, requirement)
                    got = msg.accepted
                    if server_port is not None and got is not None and got[0] == host:
                        side = "a" if got[1] == port else "b" if got[1] == server_port else NEITHER_SIDE
                        if judged or side == NEITHER_SIDE:
                            said = f"the client's source port is {port}, the server's {server_port}"
                            self.on_contradiction(ACCEPTED_PORT, side, f"{describe_event(msg)}: {said}")
                        return msg
                    if got == (host, port):
                        return msg
                    diff = (
                        [f"not an <ip>:<port> after {self.texts.accepted!r}"]
                        if got is None
                        else [
                            f"{name}: expected {want}, got {have}"
                            for name, want, have in (
                                ("ip", host, got[0]),
                                ("port", " or ".join(str(p) for p in ports), got[1]),
                            )
                            if (have != want if name == "ip" else have not in ports)
                        ]
                    )
                    self.fail(requirement, [repr(expected)], [describe_event(msg)], diff)
            if time.monotonic() >= deadline:
                others = [describe_event(m) for m in self.messages]
                self.fail(requirement, [repr(expected)], others, [f"no Accepted message within {timeout:g} s"])
            self._await_messages(deadline, requirement)

    def accepted_each(self, clients: list[tuple[str, int, int]], requirement: str) -> list[AsyncMessage]:
        """An Accepted message for each of ``clients`` (host, source port, server port), in any order: the
        clients of different servers arrive at once, and which is announced first is the module's business."""
        deadline = time.monotonic() + self.deadlines[1]
        waiting = list(clients)
        found: list[AsyncMessage] = []
        while waiting:
            for msg in [m for m in self.messages if m.text.startswith(self.texts.accepted)]:
                got = msg.accepted
                match = next((c for c in waiting if got is not None and got[0] == c[0] and got[1] in c[1:]), None)
                if match is None:
                    continue
                self.messages.remove(msg)
                self._check_delivered(msg, requirement)
                waiting.remove(match)
                found.append(msg)
            if not waiting:
                break
            if time.monotonic() >= deadline:
                self.fail(
                    requirement,
                    [f"{self.texts.accepted}{h}:{p} or :{s}" for h, p, s in waiting],
                    [describe_event(m) for m in self.messages] or ["no more Accepted messages"],
                    [f"{len(waiting)} client(s) not announced within {self.deadlines[1]:g} s"],
                )
            self._await_messages(deadline, requirement)
        return found

    def no_accepted(self, within: float, requirement: str) -> None:
        """Watch the module for ``within`` seconds: no Accepted message may arrive (an absence check)."""
        deadline = time.monotonic() + within
        while True:
            stray = [m for m in self.messages if m.text.startswith(self.texts.accepted)]
            if stray:
                self.fail(
                    requirement,
                    ["no Accepted message"],
                    [describe_event(m) for m in stray],
                    ["a client was announced that must still wait"],
                )
            if time.monotonic() >= deadline:
                return
            self._await_messages(deadline, requirement)

    def watch(self, within: float) -> None:
        """Take in what the module says for up to ``within`` seconds (returns early once it said something)."""
        self._pump(time.monotonic() + within)

    def idle_line(self, seconds: float) -> None:
        """Keep the host's side of the line idle for ``seconds`` (a stimulus: an idle gap the module may
        time a partial line out in), taking in whatever the module says meanwhile, as it arrives."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self._pump(until)

    def came_before(self, message: AsyncMessage, reply: Event) -> bool:
        """Whether ``message`` arrived before ``reply``."""
        return self.arrival.get(id(message), -1) < self.arrival.get(id(reply), -1)

    def pump_available(self) -> None:
        """Take in whatever has already arrived, without waiting."""
        while self._pump(time.monotonic()):
            pass

    # ------------------------------------------------------------------ socket helpers

    def select(self, number: int, requirement: str = "") -> None:
        """``P0=<number>``, answered with OK; NOT APPLICABLE where the module has fewer sockets than that needs."""
        if self.selected == number:
            return
        if number >= self.sockets:
            pytest.skip(
                f"NOT APPLICABLE: the module has {self.sockets} socket(s) (P0=0-{self.sockets - 1}; its profile names "
                f"{self.profile_sockets}); this needs socket {number}"
            )
        self.ok("P0", number, requirement=requirement or f"precondition: P0={number} selects socket {number}")
        self.selected = number

    def set_read_size(self, size: int, requirement: str = "") -> None:
        self.ok("R1", size, requirement=requirement or f"precondition: R1={size} sets the read packet size")
        if self.selected is not None:
            self.changed_read_size.add(self.selected)

    def change(self, name: str, value: object, requirement: str = "") -> Reply:
        """Set a per-socket setting (``R1``, ``R2``, ``S1``, ``S2``) on the selected socket; the reset puts it back."""
        reply = self.ok(name, value, requirement=requirement or f"precondition: {name}={value} is answered with OK")
        if self.selected is not None and name in self.defaults:
            self.changed[(self.selected, name)] = self.defaults[name]
        return reply

    def lost_reply(self, reply: Reply | ErrorReply, requirement: str) -> None:
        """A ``-1`` reply: with OK (the seed's form) or without (ESWIFI-SILENT-LOST-TAIL), recorded."""
        assert isinstance(reply, Reply) and reply.lost
        if reply.ok:
            self.on_observed("ESWIFI-SILENT-LOST-TAIL", "with-ok", "")
        else:
            self.on_observed("ESWIFI-SILENT-LOST-TAIL", "without-ok", "-1 came without OK; the seed shows -1 then OK")

    # ------------------------------------------------------------------ case setup

    def drain(self) -> None:
        """Forget every byte and event received so far."""
        self.pump_available()
        for sent, event in self.extras:
            self.driver.trace.record(NOTE, text=f"(left over: another answer to {sent}: {event.describe()})")
        self.extras.clear()
        self.absorbing = False
        self.reader.reset()
        self.replies.clear()
        self.messages.clear()
        self.arrival.clear()
        self.stray.clear()
        self.via_mr.clear()

    def settle_start(self, quiet: float, within: float) -> bytes:
        """Read until the module has been quiet for ``quiet`` s (at most ``within`` s): what it said, forgotten.

        For the start of a session: a module that has just powered on writes its cursor (and a UART
        module may write more), which is no reply to anything the suite sends."""
        deadline = time.monotonic() + within
        heard = bytearray()
        while (now := time.monotonic()) < deadline:
            data = self.driver.read(min(deadline, now + quiet))
            if not data:
                break
            heard += data
        self.reader.reset()
        self.replies.clear()
        self.messages.clear()
        return bytes(heard)

    def learn_sockets(self) -> None:
        """How many sockets the module has, once per DUT: ``P0=<n>`` from the profile's last socket downward
        until one is answered with OK (the error form means the module has fewer)."""
        if self.sockets_learnt:
            return
        requirement = "P0=<n> (learning the module's socket count) is answered with OK or the error form"
        count = 1
        for number in range(self.profile_sockets - 1, 0, -1):
            self.command("P0", number)
            reply = self.reply(ok_with(), AN_ERROR, requirement=requirement)
            if isinstance(reply, Reply):
                count = number + 1
                break
        self.sockets = count
        self.sockets_learnt = True
        self.selected = None
        self.driver.trace.record(
            NOTE, text=f"the module has {count} socket(s); its profile names {self.profile_sockets}"
        )

    def reset(self) -> None:
        """Stop server and client on every socket (``P5=0``, ``P6=0``), restore changed settings, select socket 0
        behind a barrier (see ``barrier``): nothing the module says for the setup or before it reaches the case."""
        self.drain()
        if not self.sockets_learnt:
            self.barrier()  # what the socket count is learnt from must be the module's answers to it
        self.absorbing = True  # the replies are taken in order; the barrier sorts out any that came late
        self.learn_sockets()
        requirement = "before each case, P0=<n>, P5=0 and P6=0 (stop server and client) are answered on every socket"
        for number in range(self.sockets):
            self.command("P0", number)
            self.reply(*ANY_REPLY, requirement=requirement)
            if number in self.changed_read_size:
                self.command("R1", self.read_size)
                self.reply(*ANY_REPLY, requirement=requirement)
            self.command("P5", 0)
            self.reply(*ANY_REPLY, requirement=requirement)
            self.command("P6", 0)  # a TCP or UDP client (P6=1) of a transport case
            self.reply(*ANY_REPLY, requirement=requirement)
            for (changed, name), value in sorted(self.changed.items()):
                if changed == number:
                    self.command(name, value)
                    self.reply(*ANY_REPLY, requirement=requirement)
        self.changed_read_size.clear()
        self.changed.clear()
        self.selected = None
        self.barrier()
        if self.held_for_mr:
            # Messages the module still holds from before (the previous case's, or P5=0's) are no
            # news of this case: MR until none is left.
            self.poll_messages("before each case, MR empties the module's queue of messages", record=False)
        self.replies.clear()
        self.messages.clear()
        self.stray.clear()
        self.via_mr.clear()
        self.seen.clear()

    def barrier(self) -> None:
        """End the setup with ``P0=0`` and then a bare ``P0``, answered ``0``.

        The module answers its lines in order, so every reply before the bare ``P0``'s answer belongs to an
        earlier command: the one just before it is ``P0=0``'s (which must be OK), and any before that are
        late answers from before (traced, never handed to the case). No quiet window is needed."""
        requirement = "before each case, P0=0 is answered with OK and a bare P0 then reads the selected socket, 0"
        self.absorbing = True
        self.command("P0", 0)
        taken: list[Event] = [self.reply(*ANY_REPLY, requirement=requirement)]
        self.command("P0")
        while True:
            event = self.reply_or_none(self.deadlines[0])
            if event is None:
                self.fail(
                    requirement,
                    [str(ok_with(b"0"))],
                    [describe_event(taken[-1])],
                    [f"no reply '0' to the bare P0 within {self.deadlines[0]:g} s"],
                )
            assert event is not None
            if isinstance(event, Reply) and event.ok and event.data.strip() == b"0":
                break
            taken.append(event)
        *leftovers, selected = taken
        for event in [*leftovers, selected]:
            if not isinstance(event, Reply | ErrorReply):
                self.fail(
                    requirement,
                    [str(ok_with())],
                    [describe_event(event)],
                    ["bytes that are not a reply in the documented framing"],
                )
        if not (isinstance(selected, Reply) and selected.ok):
            self.fail(requirement, [str(ok_with())], [describe_event(selected)], ["P0=0 not answered with OK"])
        for event in leftovers:
            late = f"(a late answer, taken out of step before the barrier: {event.describe()})"
            self.driver.trace.record(NOTE, text=late)
        self.absorbing = False
        self.selected = 0

    def module_address(self) -> str | None:
        """The module's IPv4 address from ``C?`` (network settings), if it shows one.

        ``C?`` field 5 is the IP address as ST's es_wifi.c and stm32duino's ISM43362 driver read it;
        ``P?`` field 1 is not used (its meaning is a silent point, ESWIFI-SILENT-P-FIELD1).
        """
        self.command("C?")
        reply = self.reply(*ANY_REPLY, requirement="C? (network settings) is answered")
        if not isinstance(reply, Reply) or not reply.ok:
            return None
        fields = reply.data.decode("ascii", "replace").split(",")
        if len(fields) <= C_ADDRESS_FIELD:
            return None
        try:
            address = ipaddress.IPv4Address(fields[C_ADDRESS_FIELD].strip())
        except ValueError:
            return None
        return None if address.is_unspecified else str(address)


def _raise_observed(point: str, choice: str, detail: str) -> None:
    raise ConformanceFailure(f"{point}: {choice}", note=f"a silent point met outside a case: {detail}")


def _raise_contradiction(contradiction: str, side: str, detail: str) -> None:
    raise ConformanceFailure(f"{contradiction}: {side}", note=f"a contradiction met outside a case: {detail}")


def _raise_unconfirmed(requirement: str, finding: str) -> None:
    raise ConformanceFailure(requirement, note=f"UNCONFIRMED deviation outside a case: {finding}")
