"""Self-tests of the ESP-AT codec (protocol/espat): command building, the device-side CommandReader (lines,
the send data phase, AT+CIPSENDEX escapes), the host-side ResponseReader (finals, information lines,
reports, +IPD and +CIPRECVDATA by length, the prompt, echoes) and the AT+GMR probe.

Known answers are written out by hand from the documents' wire forms (docs/spec/espat-tcpip.md),
not computed by the code under test.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sockconf.data import folder
from sockconf.protocol.espat import (
    OMIT,
    BadLine,
    Blank,
    Busy,
    CommandEvent,
    CommandLine,
    CommandReader,
    Data,
    Event,
    Final,
    Garbage,
    Incomplete,
    Info,
    Ipd,
    Kind,
    Line,
    LinkReport,
    Param,
    Prompt,
    Raw,
    RecvCount,
    RecvData,
    ResponseReader,
    command,
    final,
    ipd,
    line,
    parse_line,
    probe,
    recv_data,
)
from sockconf.protocol.profile import load_profile

QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def split(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(data)})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def read(chunks: Sequence[bytes], flush: bool = True, dinfo: bool | None = None) -> list[Event]:
    reader = ResponseReader()
    reader.dinfo = dinfo
    events: list[Event] = []
    for chunk in chunks:
        events += reader.feed(chunk)
    if flush:
        events += reader.flush()
    return events


def draw_chunks(data: st.DataObject, wire: bytes) -> list[bytes]:
    if data.draw(st.booleans(), label="one byte at a time"):
        return [wire[i : i + 1] for i in range(len(wire))]
    return split(wire, data.draw(st.lists(st.integers(0, len(wire)), max_size=24), label="cuts"))


# --------------------------------------------------------------------------- building command lines


@pytest.mark.parametrize(
    ("built", "wire"),
    [
        (command(), b"AT\r\n"),
        (command("E0"), b"ATE0\r\n"),
        (command("+GMR"), b"AT+GMR\r\n"),
        (command("+CIPMUX?"), b"AT+CIPMUX?\r\n"),
        (command("+CIPMUX=?"), b"AT+CIPMUX=?\r\n"),
        (command("+CIPMUX", 1), b"AT+CIPMUX=1\r\n"),
        (command("+CIPSEND", 0, 4), b"AT+CIPSEND=0,4\r\n"),
        (command("+CIPSTART", "TCP", "192.168.101.110", 1000), b'AT+CIPSTART="TCP","192.168.101.110",1000\r\n'),
        (
            command("+CIPSTART", 4, "UDP", "192.168.3.102", 8080, 1112, 0),
            b'AT+CIPSTART=4,"UDP","192.168.3.102",8080,1112,0\r\n',
        ),
        (command("+CIPSTART", "TCP", "h", 80, OMIT, OMIT, 5000), b'AT+CIPSTART="TCP","h",80,,,5000\r\n'),
        (command("+CWJAP", 'a,b"c\\'), b'AT+CWJAP="a\\,b\\"c\\\\"\r\n'),
        (command("+CIPSTART", 0, Raw("TCP")), b"AT+CIPSTART=0,TCP\r\n"),
        (command("+SYSLOG", True), b"AT+SYSLOG=1\r\n"),
    ],
)
def test_command_known_answers(built: bytes, wire: bytes) -> None:
    assert built == wire


@pytest.mark.parametrize(
    ("name", "params"),
    [("+CIPMUX?", (1,)), ("E0", (1,)), ("+CWJAP", ("é",)), ("+CWJAP", ("a\r\nb",)), ("+X", (1.5,)), ("+X\r", ())],
)
def test_command_refuses_what_it_cannot_write(name: str, params: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        command(name, *params)


# --------------------------------------------------------------------------- the device side


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"AT\r\n", CommandLine("", Kind.EXECUTE, (), b"AT\r\n", basic=True)),
        (b"ATE0\r\n", CommandLine("E0", Kind.EXECUTE, (), b"ATE0\r\n", basic=True)),
        (b"AT+RST\r\n", CommandLine("RST", Kind.EXECUTE, (), b"AT+RST\r\n")),
        (b"AT+CIPMUX?\r\n", CommandLine("CIPMUX", Kind.QUERY, (), b"AT+CIPMUX?\r\n")),
        (b"AT+CIPMUX=?\r\n", CommandLine("CIPMUX", Kind.TEST, (), b"AT+CIPMUX=?\r\n")),
        (
            b'AT+CIPSTART=0,"TCP","a\\,b\\"c",80,,"x"\r\n',
            CommandLine(
                "CIPSTART",
                Kind.SET,
                (Param("0"), Param("TCP", True), Param('a,b"c', True), Param("80"), Param(""), Param("x", True)),
                b'AT+CIPSTART=0,"TCP","a\\,b\\"c",80,,"x"\r\n',
            ),
        ),
        (b"AT+CIPSERVER=1,\r\n", CommandLine("CIPSERVER", Kind.SET, (Param("1"), Param("")), b"AT+CIPSERVER=1,\r\n")),
        (b"at\r\n", BadLine(b"at\r\n", "starting AT not found", 0x03)),
        (b"AT \r\n", BadLine(b"AT \r\n", "not a command", 0x08)),
        (b"AT+\r\n", BadLine(b"AT+\r\n", "no command name after AT+", 0x08)),
        (b'AT+X="a\r\n', BadLine(b'AT+X="a\r\n', "broken quoting in the parameters", 0x08)),
        (b'AT+X="a"b\r\n', BadLine(b'AT+X="a"b\r\n', "broken quoting in the parameters", 0x08)),
        (b"AT+X=\xff\r\n", BadLine(b"AT+X=\xff\r\n", "not printable ASCII", 0x08)),
    ],
)
def test_parse_line_known_answers(raw: bytes, expected: CommandEvent) -> None:
    assert parse_line(raw) == expected


def test_param_numbers() -> None:
    assert Param("42").number(0, 100) == 42
    assert Param("101").number(0, 100) is None
    assert Param("42", quoted=True).number(0, 100) is None
    assert Param("").number(0, 100) is None and Param("").omitted
    assert Param("4x").number(0, 100) is None


def drain(reader: CommandReader) -> list[CommandEvent]:
    out = []
    while (event := reader.next()) is not None:
        out.append(event)
    return out


def test_command_reader_waits_for_crlf_and_hands_out_one_line_at_a_time() -> None:
    reader = CommandReader()
    reader.feed(b"AT\r")
    assert reader.next() is None
    reader.feed(b"\nAT+CIPSEND=0,4\r\ntest")
    assert reader.next() == CommandLine("", Kind.EXECUTE, (), b"AT\r\n", basic=True)
    cipsend = reader.next()
    assert isinstance(cipsend, CommandLine) and cipsend.name == "CIPSEND"
    reader.expect_data(4)  # the module switches to data mode before the bytes behind the line are read
    assert reader.next() == Data(b"test", b"test")
    assert reader.next() is None and reader.pending == b""


def test_data_mode_takes_any_bytes_and_leaves_the_rest() -> None:
    reader = CommandReader()
    reader.expect_data(5)
    reader.feed(b"\r\nAT")
    assert reader.next() is None
    reader.feed(b"\r\nAT\r\n")
    assert reader.next() == Data(b"\r\nAT\r", b"\r\nAT\r")
    assert drain(reader) == [BadLine(b"\nAT\r\n", "not printable ASCII", 0x08)]  # the LF left over


@pytest.mark.parametrize(
    ("wire", "length", "payload", "early", "left"),
    [
        (b"abc\\0tail", 100, b"abc", True, b"tail"),
        (b"a\\bc\\0", 100, b"abc", True, b""),
        (b"x\\\\0y\\0", 100, b"x\\0y", True, b""),
        (b"xyzw", 3, b"xyz", False, b"w"),
        (b"a\\,b", 3, b"a,b", False, b""),
    ],
)
def test_sendex_data_escapes(wire: bytes, length: int, payload: bytes, early: bool, left: bytes) -> None:
    reader = CommandReader()
    reader.expect_data(length, escapes=True)
    reader.feed(wire)
    event = reader.next()
    assert isinstance(event, Data)
    assert (event.payload, event.ended_early, reader.pending) == (payload, early, left)
    assert event.raw + reader.pending == wire


def test_sendex_waits_on_a_backslash_at_the_end() -> None:
    reader = CommandReader()
    reader.expect_data(10, escapes=True)
    reader.feed(b"ab\\")
    assert reader.next() is None
    reader.feed(b"0")
    assert reader.next() == Data(b"ab", b"ab\\0", ended_early=True)


def test_overlong_lines_come_in_pieces_and_resync() -> None:
    reader = CommandReader()
    reader.feed(b"A" * 5000 + b"\r\nAT\r\n")
    events = drain(reader)
    assert [type(e) for e in events] == [BadLine, BadLine, CommandLine]
    assert events[0].raw == b"A" * 4096 and events[1].raw == b"A" * 904 + b"\r\n"  # type: ignore[union-attr]


def test_flush_reports_a_line_without_terminator() -> None:
    reader = CommandReader()
    reader.feed(b"AT")
    assert reader.flush() == [BadLine(b"AT", "terminator not found (CR-LF expected)", 0x02)]
    assert reader.flush() == []


@QUICK
@given(wire=st.binary(max_size=600), data=st.data())
def test_command_reader_never_raises_and_loses_no_byte(wire: bytes, data: st.DataObject) -> None:
    reader = CommandReader()
    consumed = b""
    for chunk in draw_chunks(data, wire):
        reader.feed(chunk)
        consumed += b"".join(e.raw for e in drain(reader))
    consumed += b"".join(e.raw for e in reader.flush())
    assert consumed + reader.pending == wire


# --------------------------------------------------------------------------- the host side: builders


def test_builders_known_answers() -> None:
    assert final("OK") == b"\r\nOK\r\n"
    assert final("SEND FAIL") == b"\r\nSEND FAIL\r\n"
    assert line("0,CONNECT") == b"0,CONNECT\r\n"
    assert ipd(b"test", 0) == b"+IPD,0,4:test"
    assert ipd(b"test") == b"+IPD,4:test"
    assert ipd(b"hi", 1, ("10.0.0.2", 80)) == b'+IPD,1,2,"10.0.0.2",80:hi'
    assert recv_data(b"test") == b"+CIPRECVDATA:4,test"
    assert recv_data(b"ab", ("1.2.3.4", 5)) == b'+CIPRECVDATA:2,"1.2.3.4",5,ab'
    with pytest.raises(ValueError):
        final("DONE")
    with pytest.raises(ValueError):
        line("two\r\nlines")


# --------------------------------------------------------------------------- the host side: the reader


READER_CASES: dict[str, tuple[bytes, list[Event]]] = {
    "ok": (b"\r\nOK\r\n", [Final("OK", raw=b"\r\nOK\r\n")]),
    "error": (b"\r\nERROR\r\n", [Final("ERROR", raw=b"\r\nERROR\r\n")]),
    "info then ok with a blank line": (
        b"+CIPMUX:1\r\n\r\nOK\r\n",
        [Info("CIPMUX", "1", raw=b"+CIPMUX:1\r\n"), Final("OK", raw=b"\r\nOK\r\n")],
    ),
    "info then ok without": (
        b"+CIPMUX:1\r\nOK\r\n",
        [Info("CIPMUX", "1", raw=b"+CIPMUX:1\r\n"), Final("OK", raw=b"OK\r\n")],
    ),
    "echo cr-crlf": (b"AT\r\r\n\r\nOK\r\n", [Line("AT", raw=b"AT\r"), Final("OK", raw=b"\r\n\r\nOK\r\n")]),
    "echo cr-only": (b"AT\r\r\nOK\r\n", [Line("AT", raw=b"AT\r"), Final("OK", raw=b"\r\nOK\r\n")]),
    "echo and report on one CR": (
        b"AT+CIPCLOSE=0\r0,CLOSED\r\n",
        [Line("AT+CIPCLOSE=0", raw=b"AT+CIPCLOSE=0\r"), LinkReport(0, "CLOSED", raw=b"0,CLOSED\r\n")],
    ),
    "links": (
        b"0,CONNECT\r\nCONNECT\r\n4,CLOSED\r\n1,CONNECT FAIL\r\n",
        [
            LinkReport(0, "CONNECT", raw=b"0,CONNECT\r\n"),
            LinkReport(None, "CONNECT", raw=b"CONNECT\r\n"),
            LinkReport(4, "CLOSED", raw=b"4,CLOSED\r\n"),
            LinkReport(1, "CONNECT FAIL", raw=b"1,CONNECT FAIL\r\n"),
        ],
    ),
    "send exchange": (
        b"\r\nOK\r\n\r\n>\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n",
        [
            Final("OK", raw=b"\r\nOK\r\n"),
            Prompt(raw=b"\r\n>"),
            RecvCount(4, raw=b"\r\nRecv 4 bytes\r\n"),
            Final("SEND OK", raw=b"\r\nSEND OK\r\n"),
        ],
    ),
    "prompt with a space": (
        b"\r\n> \r\nSEND OK\r\n",
        [Prompt(raw=b"\r\n>"), Final("SEND OK", raw=b" \r\nSEND OK\r\n")],
    ),
    "busy": (b"busy p...\r\n", [Busy("busy p...", raw=b"busy p...\r\n")]),
    "ipd with link": (b"\r\n+IPD,0,4:test", [Ipd(0, 4, b"test", None, raw=b"\r\n+IPD,0,4:test")]),
    "ipd single": (b"+IPD,4:te\r\n", [Ipd(None, 4, b"te\r\n", None, raw=b"+IPD,4:te\r\n")]),
    "ipd with sender": (
        b'+IPD,3,2,"10.0.0.9",4000:hi',
        [Ipd(3, 2, b"hi", ("10.0.0.9", 4000), raw=b'+IPD,3,2,"10.0.0.9",4000:hi')],
    ),
    "ipd single with sender": (
        b'+IPD,2,"10.0.0.9",4000:hi',
        [Ipd(None, 2, b"hi", ("10.0.0.9", 4000), raw=b'+IPD,2,"10.0.0.9",4000:hi')],
    ),
    "ipd ipv6 sender": (
        b'+IPD,0,1,"fe80::1",80:x',
        [Ipd(0, 1, b"x", ("fe80::1", 80), raw=b'+IPD,0,1,"fe80::1",80:x')],
    ),
    "passive notices": (
        b"\r\n+IPD,0,100\r\n+IPD,4\r\n",
        [Ipd(0, 100, None, None, raw=b"\r\n+IPD,0,100\r\n"), Ipd(None, 4, None, None, raw=b"+IPD,4\r\n")],
    ),
    "recvdata": (
        b"+CIPRECVDATA:4,te\r\n\r\nOK\r\n",
        [RecvData(4, b"te\r\n", None, raw=b"+CIPRECVDATA:4,te\r\n"), Final("OK", raw=b"\r\nOK\r\n")],
    ),
    "recvdata with sender": (
        b'+CIPRECVDATA:2,"1.2.3.4",80,hi\r\nOK\r\n',
        [RecvData(2, b"hi", ("1.2.3.4", 80), raw=b'+CIPRECVDATA:2,"1.2.3.4",80,hi'), Final("OK", raw=b"\r\nOK\r\n")],
    ),
    "recvdata at 1.7": (
        b"+CIPRECVDATA,2:hi\r\nOK\r\n",
        [RecvData(2, b"hi", None, raw=b"+CIPRECVDATA,2:hi"), Final("OK", raw=b"\r\nOK\r\n")],
    ),
    "recvlen is an info line": (
        b"+CIPRECVLEN:100,,,,,\r\n",
        [Info("CIPRECVLEN", "100,,,,,", raw=b"+CIPRECVLEN:100,,,,,\r\n")],
    ),
    "reports and texts": (
        b"\r\nready\r\nWIFI GOT IP\r\nno change\r\nERR CODE:0x01090000\r\n",
        [
            Line("ready", raw=b"\r\nready\r\n"),
            Line("WIFI GOT IP", raw=b"WIFI GOT IP\r\n"),
            Line("no change", raw=b"no change\r\n"),
            Line("ERR CODE:0x01090000", raw=b"ERR CODE:0x01090000\r\n"),
        ],
    ),
    "noise": (b"\xec\x12ets\r\nready\r\n", [Garbage(raw=b"\xec\x12ets\r\n"), Line("ready", raw=b"ready\r\n")]),
    "broken ipd header": (b"+IPD,x,y:ok\r\n", [Garbage(raw=b"+IPD,x,y:"), Line("ok", raw=b"ok\r\n")]),
}


@pytest.mark.parametrize(("wire", "expected"), READER_CASES.values(), ids=READER_CASES.keys())
def test_reader_known_answers(wire: bytes, expected: list[Event]) -> None:
    assert read([wire]) == expected
    assert read([wire[i : i + 1] for i in range(len(wire))]) == expected


def test_reader_gives_the_prompt_before_any_byte_follows_it() -> None:
    reader = ResponseReader()
    assert reader.feed(b"\r\nOK\r\n\r\n>") == [Final("OK", raw=b"\r\nOK\r\n"), Prompt(raw=b"\r\n>")]


def test_reader_waits_for_a_whole_payload_and_says_so_at_flush() -> None:
    reader = ResponseReader()
    assert reader.feed(b"+IPD,0,10:abc") == []
    assert reader.flush() == [Incomplete("10-byte payload cut short", raw=b"+IPD,0,10:abc")]


def test_reader_flush_forms() -> None:
    assert read([b"\r\n"]) == [Blank(raw=b"\r\n")]
    assert read([b"OK"]) == [Incomplete("line not ended", raw=b"OK")]
    assert read([b"OK\r"]) == [Final("OK", raw=b"OK\r")]
    assert read([b"+IP"]) == [Incomplete("line not ended", raw=b"+IP")]


def test_recvdata_whose_data_look_like_an_address_follows_the_hint() -> None:
    wire = b'+CIPRECVDATA:12,"1.2.3.4",5,\r\nOK\r\n'
    taken = read([wire], dinfo=False)
    assert taken[0] == RecvData(12, b'"1.2.3.4",5,', None, raw=b'+CIPRECVDATA:12,"1.2.3.4",5,')
    assert read([b'+CIPRECVDATA:1,"1.2.3.4",5,x\r\nOK\r\n'], dinfo=True)[0] == RecvData(
        1, b"x", ("1.2.3.4", 5), raw=b'+CIPRECVDATA:1,"1.2.3.4",5,x'
    )


def test_overlong_line_is_garbage_and_the_reader_resyncs() -> None:
    events = read([b"Z" * 3000 + b"\r\nOK\r\n"])
    # Looked at 1024 bytes at a time; the CR-LF ends the last piece, and OK is read again after it.
    assert [type(e) for e in events] == [Garbage, Garbage, Line, Final]
    assert events[-1] == Final("OK", raw=b"OK\r\n")
    assert b"".join(e.raw for e in events) == b"Z" * 3000 + b"\r\nOK\r\n"


def test_every_event_describes_itself() -> None:
    events = read([b"".join(w for w, _ in READER_CASES.values()) + b"+IPD,1,5:ab"])
    assert all(isinstance(e.describe(), str) and e.describe() for e in events)


# Streams of whole events in the module's forms: any chunking must give the same events.
PIECES = [
    b"\r\nOK\r\n",
    b"\r\nERROR\r\n",
    b'+CIPSTATE:0,"TCP","10.0.0.2",80,5000,1\r\n',
    b"0,CONNECT\r\n",
    b"3,CLOSED\r\n",
    b"\r\n+IPD,0,6:\r\nOK\r\n",
    b"\r\n+IPD,2,3\r\n",
    b"+CIPRECVDATA:5,>\r\n\r\n\r\nOK\r\n",
    b"\r\nOK\r\n\r\n>",
    b"\r\nRecv 9 bytes\r\n\r\nSEND OK\r\n",
    b"busy p...\r\n",
    b"AT+GMR\r\r\n",
]


@THOROUGH
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=12), data=st.data())
def test_any_chunking_of_a_stream_gives_the_same_events(pieces: list[bytes], data: st.DataObject) -> None:
    wire = b"".join(pieces)
    whole = read([wire])
    assert read(draw_chunks(data, wire)) == whole
    assert b"".join(e.raw for e in whole) == wire
    assert not any(isinstance(e, Garbage | Incomplete) for e in whole)


@THOROUGH
@given(payload=st.binary(max_size=400), link=st.integers(0, 4), data=st.data())
def test_any_payload_round_trips_through_ipd_and_recvdata(payload: bytes, link: int, data: st.DataObject) -> None:
    wire = b"\r\n" + ipd(payload, link) + recv_data(payload) + final("OK")
    events = read(draw_chunks(data, wire), dinfo=False)
    assert events[0] == Ipd(link, len(payload), payload, None, raw=b"\r\n" + ipd(payload, link))
    assert isinstance(events[1], RecvData) and events[1].data == payload
    assert events[2] == Final("OK", raw=b"\r\nOK\r\n")


@THOROUGH
@given(wire=st.binary(max_size=1500), data=st.data())
def test_reader_never_raises_is_chunking_independent_and_loses_no_byte(wire: bytes, data: st.DataObject) -> None:
    whole = read([wire])
    assert b"".join(e.raw for e in whole) == wire
    assert read(draw_chunks(data, wire)) == whole


# --------------------------------------------------------------------------- the probe


GMR = (
    b"AT+GMR\r\r\n"
    b"AT version:4.1.1.0(abc1234 - ESP32 - Jan  1 2025 00:00:00)\r\n"
    b"SDK version:v5.0.8\r\n"
    b"compile time(abc1234):Jan  1 2025 00:00:00\r\n"
    b"Bin version:v4.1.1.0(WROOM-32)\r\n\r\nOK\r\n"
)


def test_probe_waits_for_the_whole_reply_and_reads_it() -> None:
    assert probe.parse(GMR[:-4]) is None
    found = probe.parse(b"\r\nERROR\r\n" + GMR)
    assert found is not None
    assert (found["firmware"], found["hardware"]) == ("4.1.1.0", "ESP32")
    assert found["bin_version"] == "v4.1.1.0(WROOM-32)"
    assert probe.parse(b"\r\nOK\r\n") is None  # an OK with no version line is no AT+GMR answer


def test_probe_suggests_the_profile_of_the_chip() -> None:
    profiles = [load_profile(n, folder("profiles")) for n in ("esp8266-at", "esp32-at")]
    assert probe.suggest({"firmware": "4.1.1.0", "hardware": "ESP32"}, profiles) == "esp32-at"
    assert probe.suggest({"firmware": "2.2.0.0", "hardware": "ESP8266"}, profiles) == "esp8266-at"
    assert probe.suggest({"firmware": "4.1.1.0", "hardware": "ESP32-C3"}, profiles) is None
