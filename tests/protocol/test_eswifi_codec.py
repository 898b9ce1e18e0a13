"""Self-tests of the eS-WiFi AT codec (protocol/eswifi): command encoding, reply builders, the
host-side ReplyReader and the device-side CommandReader, including the seed's exchange.

Known answers are written out by hand from the wire format (spec §1, §3), not computed by the
code under test.

``spec §N``: section N of docs/spec/eswifi-servers.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sockconf.protocol.eswifi import (
    ACCEPTED_PREFIX,
    KILLED,
    MULTI_ACCEPT_SETUP,
    RESET_PROMPT,
    TERMINATOR,
    WAITING,
    AsyncMessage,
    BadLine,
    Command,
    CommandEvent,
    CommandReader,
    ErrorReply,
    Event,
    Garbage,
    Incomplete,
    Prompt,
    Reply,
    ReplyReader,
    ResetPrompt,
    Unsolicited,
    accepted_line,
    async_line,
    command,
    error_reply,
    lost_reply,
    mr_messages,
    ok_reply,
    parse_accepted,
    s3,
)

# Hypothesis budgets: enough to find edge cases, small enough for a few seconds in all.
QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ACCEPTED_1 = b"[TCP SVR] Accepted 192.168.10.100:34489"


def split(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given offsets (out-of-range and duplicate cuts ignored)."""
    points = sorted({c for c in cuts if 0 < c < len(data)})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def draw_chunks(data: st.DataObject, wire: bytes) -> list[bytes]:
    """Hypothesis-chosen chunking of ``wire``: a few cuts, or one byte at a time."""
    if data.draw(st.booleans(), label="one byte at a time"):
        return [wire[i : i + 1] for i in range(len(wire))]
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=24), label="cuts")
    return split(wire, cuts)


def read_replies(chunks: Sequence[bytes], outstanding: int = 1, flush: bool = True) -> list[Event]:
    reader = ReplyReader()
    for _ in range(outstanding):
        reader.command_sent()
    events: list[Event] = []
    for chunk in chunks:
        events += reader.feed(chunk)
    if flush:
        events += reader.flush()
    return events


def read_commands(chunks: Sequence[bytes], flush: bool = True) -> list[CommandEvent]:
    reader = CommandReader()
    events: list[CommandEvent] = []
    for chunk in chunks:
        events += reader.feed(chunk)
    if flush:
        events += reader.flush()
    return events


# Byte runs that stress the framing: CR, LF, the prompt, OK, partial terminators, error starts.
TRICKY = (
    b"\r",
    b"\n",
    b"\r\n",
    b">",
    b"> ",
    b" ",
    b"OK",
    b"\r\nOK",
    b"\r\nOK\r\n",
    b"\r\nOK\r\n>",
    b"\r\n> ",
    b"-1",
    b"ERROR",
    b"[",
    b"[TCP SVR] Accepted ",
    b"\x00",
    b"\xff",
)
tricky_bytes = st.lists(st.sampled_from(TRICKY) | st.binary(max_size=12), max_size=120).map(b"".join)
payloads = (tricky_bytes | st.binary(max_size=1460)).map(lambda b: b[:1460])


def readable(payload: bytes) -> bytes:
    """``payload`` changed (shortened, or prefixed with ``x``) so that ``ok_reply`` of it is unambiguous.

    Excluded by the wire format (ReplyReader docstring): the terminator anywhere in ``\\r\\n`` + data,
    and data beginning ``ERROR``, ``-1\\r\\n> `` or ``[TCP SVR] Accepted ``.
    """
    while TERMINATOR in b"\r\n" + payload:
        payload = (b"\r\n" + payload).replace(TERMINATOR, b"\r\nOK\r\n>", 1)[2:]
    if payload.startswith((b"ERROR", b"-1\r\n> ", ACCEPTED_PREFIX.encode())):
        payload = b"x" + payload
    return payload


# --------------------------------------------------------------------------- encoding (host side)


@pytest.mark.parametrize(
    ("built", "wire"),
    [
        (command("P2", 5024), b"P2=5024\r"),
        (command("R0"), b"R0\r"),
        (command("PK", 1, 3000), b"PK=1,3000\r"),
        (command("PK", True, 3000), b"PK=1,3000\r"),
        (command("P1", 0), b"P1=0\r"),
        (command("P3", "192.168.10.100"), b"P3=192.168.10.100\r"),
        (command("P5", 11), b"P5=11\r"),
        (command("P?"), b"P?\r"),
        (command("C1", b"net"), b"C1=net\r"),
        (s3(b"2"), b"S3=1\r2"),
        (s3(b""), b"S3=0\r"),
        (s3(b"\r\nOK\r\n> "), b"S3=8\r\r\nOK\r\n> "),
    ],
)
def test_command_known_answers(built: bytes, wire: bytes) -> None:
    assert built == wire


@pytest.mark.parametrize(
    ("name", "params"),
    [("P", ()), ("PKX", ()), ("P=", ()), ("P ", ()), ("", ()), ("P3", ("a\rb",)), ("C1", ("caf\u00e9",))],
)
def test_command_rejects_what_it_cannot_write(name: str, params: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        command(name, *params)


# --------------------------------------------------------------------------- builders (device side)


@pytest.mark.parametrize(
    ("built", "wire"),
    [
        (ok_reply(), b"\r\n\r\nOK\r\n> "),
        (ok_reply(b"1"), b"\r\n1\r\nOK\r\n> "),
        (ok_reply(b"a\r\nb"), b"\r\na\r\nb\r\nOK\r\n> "),
        (
            error_reply("Unknown Error", "P2=<port>"),
            b"\r\nERROR: Unknown Error\r\nUsage: P2=<port>\r\n> ",
        ),
        (error_reply("Unknown Error"), b"\r\nERROR: Unknown Error\r\n> "),
        (lost_reply(), b"\r\n-1\r\nOK\r\n> "),
        (lost_reply(with_ok=False), b"\r\n-1\r\n> "),
        (async_line(KILLED), b"[TCP TSK] Killed\r\n"),
        (
            async_line(accepted_line("127.0.0.2", 40000)),
            b"[TCP SVR] Accepted 127.0.0.2:40000\r\n",
        ),
        (
            async_line(accepted_line("127.0.0.2", 40000), leading_crlf=True),
            b"\r\n[TCP SVR] Accepted 127.0.0.2:40000\r\n",
        ),
        (RESET_PROMPT, b"\r\n> "),
        (TERMINATOR, b"\r\nOK\r\n> "),
    ],
)
def test_builder_known_answers(built: bytes, wire: bytes) -> None:
    assert built == wire


def test_seed_message_texts() -> None:
    assert MULTI_ACCEPT_SETUP == "[TCP TSK] Multi-Accept Setup"
    assert WAITING == "[TCP SVR] Waiting on connection ..."
    assert KILLED == "[TCP TSK] Killed"
    assert ACCEPTED_PREFIX == "[TCP SVR] Accepted "
    assert accepted_line("192.168.10.100", 34489) == "[TCP SVR] Accepted 192.168.10.100:34489"


@pytest.mark.parametrize(
    "build",
    [
        lambda: async_line("TCP SVR without a bracket"),
        lambda: async_line("[two\r\nlines]"),
        lambda: error_reply("two\r\nlines"),
        lambda: error_reply("ok", "usage\n"),
        lambda: error_reply("caf\u00e9"),
        lambda: accepted_line("host.example", 1),
        lambda: accepted_line("10.0.0.1", 70000),
    ],
)
def test_builders_reject_unreadable_input(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("[TCP SVR] Accepted 192.168.10.100:34489", ("192.168.10.100", 34489)),
        ("[TCP SVR] Accepted 127.0.0.2:40000 ", ("127.0.0.2", 40000)),
        ("[TCP SVR] Accepted 127.0.0.2:65536", None),
        ("[TCP SVR] Accepted 127.0.0.2:", None),
        ("[TCP SVR] Accepted 127.0.0.2", None),
        ("[TCP SVR] Accepted 300.0.0.2:1", None),
        ("[TCP SVR] Accepted 127.0.0.2:x1", None),
        ("[TCP SVR] Waiting on connection ...", None),
        ("[TCP TSK] Killed", None),
    ],
)
def test_accepted_parsing(text: str, parsed: tuple[str, int] | None) -> None:
    assert parse_accepted(text) == parsed
    assert AsyncMessage(text, raw=text.encode() + b"\r\n").accepted == parsed


# --------------------------------------------------------------------------- ReplyReader: known answers

ReplyCase = tuple[bytes, int, list[Event]]

REPLY_CASES: dict[str, ReplyCase] = {
    "ok with data": (b"\r\n1\r\nOK\r\n> ", 1, [Reply(b"1", True, raw=b"\r\n1\r\nOK\r\n> ")]),
    "ok without data": (b"\r\n\r\nOK\r\n> ", 1, [Reply(b"", True, raw=b"\r\n\r\nOK\r\n> ")]),
    "terse ok without data": (b"\r\nOK\r\n> ", 1, [Reply(b"", True, raw=b"\r\nOK\r\n> ")]),
    "error with usage": (
        b"\r\nERROR: Unknown Error\r\nUsage: P2=<port>\r\n> ",
        1,
        [ErrorReply("Unknown Error", "P2=<port>", raw=b"\r\nERROR: Unknown Error\r\nUsage: P2=<port>\r\n> ")],
    ),
    "error without usage": (
        b"\r\nERROR: Unknown Error\r\n> ",
        1,
        [ErrorReply("Unknown Error", None, raw=b"\r\nERROR: Unknown Error\r\n> ")],
    ),
    "bare ERROR": (b"\r\nERROR\r\n> ", 1, [ErrorReply("", None, raw=b"\r\nERROR\r\n> ")]),
    "lost, seed form with OK": (b"\r\n-1\r\nOK\r\n> ", 1, [Reply(b"-1", True, raw=b"\r\n-1\r\nOK\r\n> ")]),
    "lost, error form without OK": (b"\r\n-1\r\n> ", 1, [Reply(b"-1", False, raw=b"\r\n-1\r\n> ")]),
    "data starting -1 is data": (
        b"\r\n-12\r\n> x\r\nOK\r\n> ",
        1,
        [Reply(b"-12\r\n> x", True, raw=b"\r\n-12\r\n> x\r\nOK\r\n> ")],
    ),
    "data with CR, LF, prompt and OK": (
        b"\r\nOK\r\n>\r\n> \r\nOK\r\nOK> \r\n\r\nOK\r\n> ",
        1,
        [
            Reply(
                b"OK\r\n>\r\n> \r\nOK\r\nOK> \r\n",
                True,
                raw=b"\r\nOK\r\n>\r\n> \r\nOK\r\nOK> \r\n\r\nOK\r\n> ",
            )
        ],
    ),
    "reset prompt": (b"\r\n> ", 0, [ResetPrompt(raw=b"\r\n> ")]),
    "message between replies": (
        b"[TCP SVR] Accepted 127.0.0.2:40000\r\n",
        0,
        [AsyncMessage("[TCP SVR] Accepted 127.0.0.2:40000", raw=b"[TCP SVR] Accepted 127.0.0.2:40000\r\n")],
    ),
    "message with a CR LF in front": (
        b"\r\n[TCP TSK] Killed\r\n",
        0,
        [AsyncMessage("[TCP TSK] Killed", raw=b"\r\n[TCP TSK] Killed\r\n")],
    ),
    "message while a reply is outstanding": (
        b"[TCP SVR] Accepted 1.2.3.4:5\r\n\r\nhi\r\nOK\r\n> ",
        1,
        [
            AsyncMessage("[TCP SVR] Accepted 1.2.3.4:5", raw=b"[TCP SVR] Accepted 1.2.3.4:5\r\n"),
            Reply(b"hi", True, raw=b"\r\nhi\r\nOK\r\n> "),
        ],
    ),
    "accepted with CR LF, then the reply": (
        b"\r\n[TCP SVR] Accepted 1.2.3.4:5\r\n\r\nhi\r\nOK\r\n> ",
        1,
        [
            AsyncMessage("[TCP SVR] Accepted 1.2.3.4:5", raw=b"\r\n[TCP SVR] Accepted 1.2.3.4:5\r\n"),
            Reply(b"hi", True, raw=b"\r\nhi\r\nOK\r\n> "),
        ],
    ),
    "accepted at the start of the reply's data": (
        b"\r\n[TCP SVR] Accepted 1.2.3.4:5\r\n[TCP SVR] Accepted 1.2.3.4:6\r\nhi\r\nOK\r\n> ",
        1,
        [
            AsyncMessage("[TCP SVR] Accepted 1.2.3.4:5", raw=b"\r\n[TCP SVR] Accepted 1.2.3.4:5\r\n"),
            AsyncMessage("[TCP SVR] Accepted 1.2.3.4:6", raw=b"[TCP SVR] Accepted 1.2.3.4:6\r\n"),
            Reply(b"hi", True, raw=b"hi\r\nOK\r\n> "),
        ],
    ),
    "accepted is the reply's whole data": (
        b"\r\n[TCP SVR] Accepted 1.2.3.4:5\r\nOK\r\n> ",
        1,
        [
            AsyncMessage("[TCP SVR] Accepted 1.2.3.4:5", raw=b"\r\n[TCP SVR] Accepted 1.2.3.4:5\r\n"),
            Reply(b"", True, raw=b"OK\r\n> "),
        ],
    ),
    "accepted, then an error reply": (
        b"\r\n[TCP SVR] Accepted 1.2.3.4:5\r\n\r\nERROR: x\r\n> ",
        1,
        [
            AsyncMessage("[TCP SVR] Accepted 1.2.3.4:5", raw=b"\r\n[TCP SVR] Accepted 1.2.3.4:5\r\n"),
            ErrorReply("x", None, raw=b"\r\nERROR: x\r\n> "),
        ],
    ),
    "accepted later in the data stays data": (
        b"\r\n[TCP SVR] Waiting on connection ...\r\n[TCP SVR] Accepted 1.2.3.4:5\r\nOK\r\n> ",
        1,
        [
            Reply(
                b"[TCP SVR] Waiting on connection ...\r\n[TCP SVR] Accepted 1.2.3.4:5",
                True,
                raw=b"\r\n[TCP SVR] Waiting on connection ...\r\n[TCP SVR] Accepted 1.2.3.4:5\r\nOK\r\n> ",
            )
        ],
    ),
    "garbage, then a prompt": (b"xyz\r\n> ", 0, [Garbage(raw=b"xyz"), ResetPrompt(raw=b"\r\n> ")]),
    "garbage, then a reply": (
        b"\x00junk\r\n1\r\nOK\r\n> ",
        1,
        [Garbage(raw=b"\x00junk"), Reply(b"1", True, raw=b"\r\n1\r\nOK\r\n> ")],
    ),
    "garbage, then a message": (
        b"xy[TCP TSK] Killed\r\n",
        0,
        [Garbage(raw=b"xy"), AsyncMessage("[TCP TSK] Killed", raw=b"[TCP TSK] Killed\r\n")],
    ),
    "a reply with nothing outstanding is unsolicited": (
        b"\r\n1\r\nOK\r\n> ",
        0,
        [Unsolicited(Reply(b"1", True, raw=b"\r\n1\r\nOK\r\n> "), raw=b"\r\n1\r\nOK\r\n> ")],
    ),
    "an error reply with nothing outstanding is unsolicited": (
        b"\r\nERROR: x\r\n> ",
        0,
        [Unsolicited(ErrorReply("x", None, raw=b"\r\nERROR: x\r\n> "), raw=b"\r\nERROR: x\r\n> ")],
    ),
    "a second reply after the one outstanding is unsolicited": (
        b"\r\n3\r\nOK\r\n> \r\n\r\nOK\r\n> ",
        1,
        [
            Reply(b"3", True, raw=b"\r\n3\r\nOK\r\n> "),
            Unsolicited(Reply(b"", True, raw=b"\r\n\r\nOK\r\n> "), raw=b"\r\n\r\nOK\r\n> "),
        ],
    ),
    "the prompt offered again after a message, idle": (
        b"[TCP SVR] Accepted 1.2.3.4:5\r\n> ",
        0,
        [AsyncMessage("[TCP SVR] Accepted 1.2.3.4:5", raw=b"[TCP SVR] Accepted 1.2.3.4:5\r\n"), Prompt(raw=b"> ")],
    ),
    "the prompt offered again after a message, before a reply": (
        b"[TCP SVR] Accepted 1.2.3.4:5\r\n> \r\n1\r\nOK\r\n> ",
        1,
        [
            AsyncMessage("[TCP SVR] Accepted 1.2.3.4:5", raw=b"[TCP SVR] Accepted 1.2.3.4:5\r\n"),
            Prompt(raw=b"> "),
            Reply(b"1", True, raw=b"\r\n1\r\nOK\r\n> "),
        ],
    ),
}


@pytest.mark.parametrize(("wire", "outstanding", "expected"), REPLY_CASES.values(), ids=REPLY_CASES.keys())
def test_reply_reader_known_answers(wire: bytes, outstanding: int, expected: list[Event]) -> None:
    assert read_replies([wire], outstanding) == expected
    assert read_replies([wire[i : i + 1] for i in range(len(wire))], outstanding) == expected


def test_reply_reader_counts_outstanding_replies() -> None:
    reader = ReplyReader()
    reader.command_sent()
    reader.command_sent()
    assert reader.outstanding == 2
    assert reader.feed(b"\r\n\r\nOK\r\n> \r\nERROR: x\r\n") == [Reply(b"", True, raw=b"\r\n\r\nOK\r\n> ")]
    assert reader.outstanding == 1
    assert reader.pending == b"\r\nERROR: x\r\n"
    assert reader.feed(b"> \r\n> ") == [
        ErrorReply("x", None, raw=b"\r\nERROR: x\r\n> "),
        ResetPrompt(raw=b"\r\n> "),
    ]
    assert reader.outstanding == 0


def test_reply_data_with_the_terminator_ends_at_its_first_occurrence() -> None:
    """The one unavoidable ambiguity: the reply ends at the first ``\\r\\nOK\\r\\n> ``."""
    events = read_replies([b"\r\na\r\nOK\r\n> b\r\nOK\r\n> "])
    assert events[0] == Reply(b"a", True, raw=b"\r\na\r\nOK\r\n> ")
    assert not any(isinstance(e, Reply) for e in events[1:])
    assert b"".join(e.raw for e in events) == b"\r\na\r\nOK\r\n> b\r\nOK\r\n> "


@pytest.mark.parametrize(
    ("wire", "outstanding", "expected", "left"),
    [
        (
            b"\r\npartial data",
            1,
            [Incomplete("reply not ended by OK and the prompt", raw=b"\r\npartial data")],
            0,
        ),
        (
            b"\r\nERROR: x\r\n",
            1,
            [Incomplete("error reply not ended by the prompt", raw=b"\r\nERROR: x\r\n")],
            0,
        ),
        (b"\r\n-1\r\n", 1, [Incomplete("reply not ended by OK and the prompt", raw=b"\r\n-1\r\n")], 0),
        (b"[TCP SVR] Acc", 1, [Incomplete("message not ended by CR LF", raw=b"[TCP SVR] Acc")], 1),
        (b"\r\n>", 0, [Incomplete("prompt or message cut short", raw=b"\r\n>")], 0),
        (b"\r\n[TCP", 0, [Incomplete("message not ended by CR LF", raw=b"\r\n[TCP")], 0),
        (b"junk", 0, [Garbage(raw=b"junk")], 0),
        (b"junk\r", 1, [Garbage(raw=b"junk\r")], 1),
    ],
)
def test_reply_reader_flush(wire: bytes, outstanding: int, expected: list[Event], left: int) -> None:
    reader = ReplyReader()
    for _ in range(outstanding):
        reader.command_sent()
    assert reader.feed(wire) == []
    assert reader.flush() == expected
    assert reader.pending == b""
    assert reader.outstanding == left
    assert reader.flush() == []


def test_reply_reader_gives_up_on_an_overlong_message_and_resyncs() -> None:
    # Over MAX_LINE (512) bytes without CR LF: garbage in pieces; the CR LF starts the reply.
    wire = b"[" + b"x" * 600 + b"\r\n1\r\nOK\r\n> "
    events = read_replies([wire])
    assert events == [
        Garbage(raw=b"[" + b"x" * 511),
        Garbage(raw=b"x" * 89),
        Reply(b"1", True, raw=b"\r\n1\r\nOK\r\n> "),
    ]


@pytest.mark.parametrize(
    ("wire", "first_garbage"),
    [
        (b"\r\n" + b"x" * 70000, 2 + 65536),  # MAX_REPLY_DATA without a terminator
        (b"\r\nERROR: " + b"e" * 2000, 2 + 1024),  # MAX_ERROR_DATA without the prompt
    ],
    ids=["reply data", "error data"],
)
def test_reply_reader_gives_up_on_overlong_replies_and_resyncs(wire: bytes, first_garbage: int) -> None:
    reader = ReplyReader()
    reader.command_sent()
    events = [e for i in range(0, len(wire), 1000) for e in reader.feed(wire[i : i + 1000])]
    events += reader.flush()
    assert events == read_replies([wire])
    assert events[0] == Garbage(raw=wire[:first_garbage])
    assert all(isinstance(e, Garbage | Incomplete) for e in events)
    assert b"".join(e.raw for e in events) == wire
    assert reader.outstanding == 1  # still waiting for the reply
    assert reader.feed(ok_reply(b"1")) == [Reply(b"1", True, raw=b"\r\n1\r\nOK\r\n> ")]


def test_reply_reader_reset() -> None:
    reader = ReplyReader()
    reader.command_sent()
    reader.feed(b"\r\nhalf")
    reader.reset()
    assert (reader.outstanding, reader.pending) == (0, b"")
    assert reader.feed(RESET_PROMPT) == [ResetPrompt(raw=b"\r\n> ")]


def test_every_event_describes_itself() -> None:
    events: list[Event | CommandEvent] = [
        Reply(b"1", True, raw=b""),
        Reply(b"-1", False, raw=b""),
        Reply(b"x" * 100, True, raw=b""),
        ErrorReply("Unknown Error", "P2=<port>", raw=b""),
        ErrorReply("Unknown Error", None, raw=b""),
        ResetPrompt(raw=b""),
        Prompt(raw=b""),
        Unsolicited(Reply(b"1", True, raw=b""), raw=b""),
        AsyncMessage("[TCP TSK] Killed", raw=b""),
        Garbage(raw=b"\x00"),
        Incomplete("cut", raw=b"\r\n"),
        Command("P2", ("5024",), b"P2=5024\r"),
        Command("S3", ("1",), b"S3=1\r2", b"2"),
        BadLine(b"\xff\r", "not printable ASCII"),
    ]
    for event in events:
        assert isinstance(event.describe(), str)
        assert event.describe()
    assert Reply(b"-1", False, raw=b"").lost
    assert not Reply(b"1", True, raw=b"").lost


# --------------------------------------------------------------------------- the seed's exchange (spec §3)

# (host bytes, module bytes after them) in the seed's order; module texts with ASCII dots.
SEED_EXCHANGE: list[tuple[bytes, bytes]] = [
    (b"PK=1,3000\r", b"\r\n\r\nOK\r\n> "),
    (b"P1=0\r", b"\r\n\r\nOK\r\n> "),
    (b"P2=5024\r", b"\r\n\r\nOK\r\n> "),
    (b"P8=6\r", b"\r\n\r\nOK\r\n> "),
    (
        b"P5=11\r",
        b"\r\n[TCP TSK] Multi-Accept Setup\r\n[TCP SVR] Waiting on connection ...\r\nOK\r\n> "
        b"[TCP SVR] Accepted 192.168.10.100:34489\r\n",
    ),
    (b"R0\r", b"\r\nData from 192.168.10.100\r\nOK\r\n> "),
    (b"S3=1\r1", b"\r\n1\r\nOK\r\n> "),
    (
        b"P5=10\r",
        b"\r\n[TCP SVR] Waiting on connection ...\r\nOK\r\n> [TCP SVR] Accepted 192.168.10.100:34504\r\n",
    ),
    (b"R0\r", b"\r\nData from 192.168.10.100\r\nOK\r\n> "),
    (b"S3=1\r2", b"\r\n1\r\nOK\r\n> "),
    (b"P5=0\r", b"\r\n[TCP TSK] Killed\r\nOK\r\n> "),
]

SEED_COMMANDS = [
    Command("PK", ("1", "3000"), b"PK=1,3000\r"),
    Command("P1", ("0",), b"P1=0\r"),
    Command("P2", ("5024",), b"P2=5024\r"),
    Command("P8", ("6",), b"P8=6\r"),
    Command("P5", ("11",), b"P5=11\r"),
    Command("R0", (), b"R0\r"),
    Command("S3", ("1",), b"S3=1\r1", b"1"),
    Command("P5", ("10",), b"P5=10\r"),
    Command("R0", (), b"R0\r"),
    Command("S3", ("1",), b"S3=1\r2", b"2"),
    Command("P5", ("0",), b"P5=0\r"),
]

OK_EMPTY = Reply(b"", True, raw=b"\r\n\r\nOK\r\n> ")
SEED_REPLIES: list[list[Event]] = [
    [OK_EMPTY],
    [OK_EMPTY],
    [OK_EMPTY],
    [OK_EMPTY],
    [
        Reply(
            b"[TCP TSK] Multi-Accept Setup\r\n[TCP SVR] Waiting on connection ...",
            True,
            raw=b"\r\n[TCP TSK] Multi-Accept Setup\r\n[TCP SVR] Waiting on connection ...\r\nOK\r\n> ",
        ),
        AsyncMessage(ACCEPTED_1.decode(), raw=ACCEPTED_1 + b"\r\n"),
    ],
    [Reply(b"Data from 192.168.10.100", True, raw=b"\r\nData from 192.168.10.100\r\nOK\r\n> ")],
    [Reply(b"1", True, raw=b"\r\n1\r\nOK\r\n> ")],
    [
        Reply(
            b"[TCP SVR] Waiting on connection ...",
            True,
            raw=b"\r\n[TCP SVR] Waiting on connection ...\r\nOK\r\n> ",
        ),
        AsyncMessage(
            "[TCP SVR] Accepted 192.168.10.100:34504",
            raw=b"[TCP SVR] Accepted 192.168.10.100:34504\r\n",
        ),
    ],
    [Reply(b"Data from 192.168.10.100", True, raw=b"\r\nData from 192.168.10.100\r\nOK\r\n> ")],
    [Reply(b"1", True, raw=b"\r\n1\r\nOK\r\n> ")],
    [Reply(b"[TCP TSK] Killed", True, raw=b"\r\n[TCP TSK] Killed\r\nOK\r\n> ")],
]


def test_seed_exchange_host_side() -> None:
    reader = ReplyReader()
    for (_, answer), expected in zip(SEED_EXCHANGE, SEED_REPLIES, strict=True):
        reader.command_sent()
        assert reader.feed(answer) == expected
        assert reader.outstanding == 0
    accepted = SEED_REPLIES[4][1]
    assert isinstance(accepted, AsyncMessage)
    assert accepted.accepted == ("192.168.10.100", 34489)


def test_seed_exchange_device_side() -> None:
    wire = b"".join(host for host, _ in SEED_EXCHANGE)
    assert read_commands([wire]) == SEED_COMMANDS
    assert read_commands([wire[i : i + 1] for i in range(len(wire))]) == SEED_COMMANDS


def test_seed_exchange_as_built_by_the_codec() -> None:
    """The builders produce the seed's bytes (device side) and the encoders the host's."""
    built_host = [
        command("PK", 1, 3000),
        command("P1", 0),
        command("P2", 5024),
        command("P8", 6),
        command("P5", 11),
        command("R0"),
        s3(b"1"),
        command("P5", 10),
        command("R0"),
        s3(b"2"),
        command("P5", 0),
    ]
    built_module = [
        ok_reply(),
        ok_reply(),
        ok_reply(),
        ok_reply(),
        ok_reply(f"{MULTI_ACCEPT_SETUP}\r\n{WAITING}".encode()) + async_line(accepted_line("192.168.10.100", 34489)),
        ok_reply(b"Data from 192.168.10.100"),
        ok_reply(b"1"),
        ok_reply(WAITING.encode()) + async_line(accepted_line("192.168.10.100", 34504)),
        ok_reply(b"Data from 192.168.10.100"),
        ok_reply(b"1"),
        ok_reply(KILLED.encode()),
    ]
    assert list(zip(built_host, built_module, strict=True)) == SEED_EXCHANGE


# --------------------------------------------------------------------------- CommandReader: known answers

COMMAND_CASES: dict[str, tuple[bytes, list[CommandEvent]]] = {
    "set": (b"P2=5024\r", [Command("P2", ("5024",), b"P2=5024\r")]),
    "bare": (b"P0\r", [Command("P0", (), b"P0\r")]),
    "query": (b"P?\r", [Command("P?", (), b"P?\r")]),
    "two params": (b"PK=1,3000\r", [Command("PK", ("1", "3000"), b"PK=1,3000\r")]),
    "empty param": (b"C1=\r", [Command("C1", ("",), b"C1=\r")]),
    "LF after CR tolerated": (
        b"P1=0\r\nP0\r\n",
        [Command("P1", ("0",), b"P1=0\r"), Command("P0", (), b"P0\r")],
    ),
    "S3 payload with CR and LF": (
        b"S3=5\r\r\nOK\rR0\r",
        [Command("S3", ("5",), b"S3=5\r\r\nOK\r", b"\r\nOK\r"), Command("R0", (), b"R0\r")],
    ),
    "S3 payload LF is payload": (b"S3=1\r\n", [Command("S3", ("1",), b"S3=1\r\n", b"\n")]),
    # The \n an SPI host pads an odd-length write with (ISM4343 data sheet p.15) belongs to no event.
    "LF after an S3 payload is the pad": (
        b"S3=3\rabc\nP0\r",
        [Command("S3", ("3",), b"S3=3\rabc", b"abc"), Command("P0", (), b"P0\r")],
    ),
    "only one LF after a payload is the pad": (
        b"S3=1\rz\n\nP0\r",
        [Command("S3", ("1",), b"S3=1\rz", b"z"), BadLine(b"\nP0\r", "not printable ASCII")],
    ),
    "S3 zero-padded count": (b"S3=0002\rab", [Command("S3", ("0002",), b"S3=0002\rab", b"ab")]),
    "S3 zero": (b"S3=0\rR0\r", [Command("S3", ("0",), b"S3=0\r", b""), Command("R0", (), b"R0\r")]),
    "S3 above 1460 is the model's business": (
        b"S3=1461\r" + b"z" * 1461,
        [Command("S3", ("1461",), b"S3=1461\r" + b"z" * 1461, b"z" * 1461)],
    ),
    "S3 negative": (
        b"S3=-1\rP0\r",
        [BadLine(b"S3=-1\r", "S3 needs one decimal byte count"), Command("P0", (), b"P0\r")],
    ),
    "S3 not a number": (b"S3=ab\r", [BadLine(b"S3=ab\r", "S3 needs one decimal byte count")]),
    "S3 without count": (b"S3\r", [BadLine(b"S3\r", "S3 needs one decimal byte count")]),
    "S3 two counts": (b"S3=1,2\r", [BadLine(b"S3=1,2\r", "S3 needs one decimal byte count")]),
    "S3 count too big": (b"S3=65536\r", [BadLine(b"S3=65536\r", "S3 count 65536 above 65535")]),
    "three-character name": (b"P22\r", [BadLine(b"P22\r", "expected '=' or CR after the command name 'P2'")]),
    "one-character name": (b"P\r", [BadLine(b"P\r", "not a two-character command name")]),
    "name with =": (b"P=1\r", [BadLine(b"P=1\r", "not a two-character command name")]),
    "empty line": (b"\r", [BadLine(b"\r", "empty line")]),
    "non-ASCII junk": (
        b"\xffP2=1\rP0\r",
        [BadLine(b"\xffP2=1\r", "not printable ASCII"), Command("P0", (), b"P0\r")],
    ),
    "stray LF": (b"\nP0\r", [BadLine(b"\nP0\r", "not printable ASCII")]),
    "over-long line resyncs after the next CR": (
        b"A" * 600 + b"\rP0\r",
        [
            BadLine(b"A" * 512, "line longer than 512 bytes"),
            BadLine(b"A" * 88 + b"\r", "end of an over-long line"),
            Command("P0", (), b"P0\r"),
        ],
    ),
    "512 bytes is not over-long": (
        b"C1=" + b"n" * 509 + b"\r",
        [Command("C1", ("n" * 509,), b"C1=" + b"n" * 509 + b"\r")],
    ),
}


@pytest.mark.parametrize(("wire", "expected"), COMMAND_CASES.values(), ids=COMMAND_CASES.keys())
def test_command_reader_known_answers(wire: bytes, expected: list[CommandEvent]) -> None:
    assert read_commands([wire]) == expected
    assert read_commands([wire[i : i + 1] for i in range(len(wire))]) == expected


def test_command_reader_waits_for_the_whole_payload() -> None:
    reader = CommandReader()
    assert reader.feed(b"S3=3\r") == []
    assert reader.awaiting_payload == 3
    assert reader.feed(b"\r\n") == []
    assert reader.pending == b"\r\n"
    assert reader.feed(b"!") == [Command("S3", ("3",), b"S3=3\r\r\n!", b"\r\n!")]
    assert reader.awaiting_payload == 0


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (b"S3=5\rab", [BadLine(b"S3=5\rab", "S3 payload cut short: 2 of 5 byte(s)")]),
        (b"S3=5\r", [BadLine(b"S3=5\r", "S3 payload cut short: 0 of 5 byte(s)")]),
        (b"P2=50", [BadLine(b"P2=50", "line not ended by CR")]),
        (
            b"B" * 520,
            [
                BadLine(b"B" * 512, "line longer than 512 bytes"),
                BadLine(b"B" * 8, "over-long line not ended by CR"),
            ],
        ),
    ],
)
def test_command_reader_flush(wire: bytes, expected: list[CommandEvent]) -> None:
    reader = CommandReader()
    events = reader.feed(wire)
    events += reader.flush()
    assert events == expected
    assert reader.pending == b""
    assert reader.flush() == []
    assert reader.feed(b"P0\r") == [Command("P0", (), b"P0\r")]


# --------------------------------------------------------------------------- properties


@THOROUGH
@given(payload=payloads.map(readable), data=st.data())
def test_any_payload_round_trips_through_ok_reply(payload: bytes, data: st.DataObject) -> None:
    wire = ok_reply(payload)
    assert read_replies(draw_chunks(data, wire)) == [Reply(payload, True, raw=wire)]


@THOROUGH
@given(payload=payloads, data=st.data())
def test_any_payload_round_trips_through_s3(payload: bytes, data: st.DataObject) -> None:
    wire = s3(payload) + b"R0\r"
    assert read_commands(draw_chunks(data, wire)) == [
        Command("S3", (str(len(payload)),), s3(payload), payload),
        Command("R0", (), b"R0\r"),
    ]


reasons = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
message_texts = reasons.map(lambda t: "[" + t)
ips = st.tuples(*[st.integers(0, 255)] * 4).map(lambda q: ".".join(map(str, q)))
ports = st.integers(0, 65535)

# One element of a module's output while replies are outstanding: (kind, wire, expected events).
Element = tuple[str, bytes, list[Event]]


@st.composite
def elements(draw: st.DrawFn) -> Element:
    kind = draw(st.sampled_from(["reply", "error", "lost", "message", "accepted"]))
    if kind == "reply":
        payload = draw(payloads.map(readable))
        wire = ok_reply(payload)
        return kind, wire, [Reply(payload, True, raw=wire)]
    if kind == "error":
        reason, usage = draw(reasons), draw(st.none() | reasons)
        wire = error_reply(reason, usage)
        return kind, wire, [ErrorReply(reason, usage, raw=wire)]
    if kind == "lost":
        with_ok = draw(st.booleans())
        wire = lost_reply(with_ok)
        return kind, wire, [Reply(b"-1", with_ok, raw=wire)]
    if kind == "message":
        text = draw(message_texts)
        wire = async_line(text)
        return kind, wire, [AsyncMessage(text, raw=wire)]
    text = accepted_line(draw(ips), draw(ports))
    wire = async_line(text, leading_crlf=draw(st.booleans()))
    return kind, wire, [AsyncMessage(text, raw=wire)]


@st.composite
def streams(draw: st.DrawFn) -> tuple[int, bytes, list[Event]]:
    """Mixed replies and messages, then (no reply outstanding) prompts and messages of any form."""
    body = draw(st.lists(elements(), max_size=12))
    replies = sum(kind in ("reply", "error", "lost") for kind, _, _ in body)
    wire, expected = b"", []
    last_reply = max((i for i, (k, _, _) in enumerate(body) if k in ("reply", "error", "lost")), default=-1)
    follows_accepted_crlf = False
    for i, (kind, chunk, events) in enumerate(body):
        if kind == "message" and follows_accepted_crlf and i < last_reply:
            # Ambiguous by the wire format (ReplyReader docstring): it would be the reply's data.
            continue
        wire += chunk
        expected += events
        # The reader is at the start of a reply's data after an Accepted line with CR LF, and stays
        # there through further Accepted lines.
        follows_accepted_crlf = kind == "accepted" and (follows_accepted_crlf or chunk.startswith(b"\r\n"))
    for _ in range(draw(st.integers(0, 3))):
        text = draw(message_texts)
        tail = draw(st.sampled_from(["prompt", "message", "message with CR LF"]))
        if tail == "prompt":
            wire += RESET_PROMPT
            expected.append(ResetPrompt(raw=RESET_PROMPT))
        else:
            line = async_line(text, leading_crlf=tail == "message with CR LF")
            wire += line
            expected.append(AsyncMessage(text, raw=line))
    return replies, wire, expected


@THOROUGH
@given(stream=streams(), data=st.data())
def test_any_chunking_of_a_mixed_stream_gives_the_same_events(
    stream: tuple[int, bytes, list[Event]], data: st.DataObject
) -> None:
    replies, wire, expected = stream
    assert read_replies([wire], replies) == expected
    assert read_replies(draw_chunks(data, wire), replies) == expected


junk = st.lists(st.sampled_from(TRICKY) | st.binary(max_size=40), max_size=60).map(b"".join)


@THOROUGH
@given(wire=junk | st.binary(max_size=2000), outstanding=st.integers(0, 3), data=st.data())
def test_reply_reader_never_raises_is_chunking_independent_and_resyncs(
    wire: bytes, outstanding: int, data: st.DataObject
) -> None:
    whole = read_replies([wire], outstanding)
    assert read_replies(draw_chunks(data, wire), outstanding) == whole
    assert b"".join(e.raw for e in whole) == wire

    reader = ReplyReader()
    for _ in range(outstanding):
        reader.command_sent()
    reader.feed(wire)
    reader.flush()
    assert reader.pending == b""
    reader.command_sent()
    assert reader.feed(ok_reply(b"hello")) == [Reply(b"hello", True, raw=ok_reply(b"hello"))]


@THOROUGH
@given(wire=junk | st.binary(max_size=2000), data=st.data())
def test_command_reader_never_raises_is_chunking_independent_and_resyncs(wire: bytes, data: st.DataObject) -> None:
    whole = read_commands([wire])
    assert read_commands(draw_chunks(data, wire)) == whole

    reader = CommandReader()
    reader.feed(wire)
    reader.flush()
    assert reader.pending == b""
    assert reader.feed(b"P2=5024\r") == [Command("P2", ("5024",), b"P2=5024\r")]
    assert reader.feed(s3(b"2")) == [Command("S3", ("1",), b"S3=1\r2", b"2")]


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (b"[SOMA][EOMA]", []),
        (b"", []),
        (b"[SOMA][TCP SVR] Accepted 10.0.0.9:5024[EOMA]", ["[TCP SVR] Accepted 10.0.0.9:5024"]),
        (b"[SOMA]one[EOMA][SOMA]two[EOMA]", ["one", "two"]),
        (b"[SOMA]one", None),
        (b"[TCP SVR] Accepted 10.0.0.9:5024", None),
        (b"[SOMA]one[EOMA] trailing", None),
    ],
)
def test_mr_reply_data_as_messages(data, messages):
    # ISM4343 data sheet p.17: MR's messages between [SOMA] and [EOMA].
    assert mr_messages(data) == messages


def test_a_message_beyond_ascii_goes_out_as_utf8_and_reads_back():
    # The seed prints an ellipsis character after "Waiting on connection".
    text = "[TCP SVR] Waiting on connection \u2026"
    wire = async_line(text)
    assert wire == b"[TCP SVR] Waiting on connection \xe2\x80\xa6\r\n"
    assert ReplyReader().feed(wire) == [AsyncMessage(text, raw=wire)]
