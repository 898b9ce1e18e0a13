"""The ESPAT-HOST cases' restatements of Zephyr's esp_at and WiFiEspAT (src/sockconf/suites/espat/zephyr.py,
wifiespat.py), rule by rule, against a scripted module: each takes what the driver takes and breaks
where the driver breaks, on forms the emulator does not send by default.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable

import pytest

from sockconf.core.trace import Trace
from sockconf.harness.expect import NoAnswer
from sockconf.harness.hoststack import HostStack, HostStackRun, StackBreak
from sockconf.suites.espat import wifiespat, zephyr
from sockconf.suites.espat.wifiespat import WiFiEspAt
from sockconf.suites.espat.zephyr import ZephyrEspAt

Script = Callable[[bytes], bytes]


class ScriptedDriver:
    """What the session's driver gives the imitations: every write goes to ``script``, whose bytes come back."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.trace = Trace()
        self.written: list[bytes] = []
        self.pending = bytearray()

    def write(self, data: bytes) -> None:
        self.written.append(data)
        self.pending += self.script(data)

    def read(self, deadline: float) -> bytes:
        if not self.pending:
            time.sleep(max(0.0, deadline - time.monotonic()))
            return b""
        out, self.pending = bytes(self.pending), bytearray()
        return out


def _session(script: Script) -> types.SimpleNamespace:
    deadlines = types.SimpleNamespace(reply=0.2, indication=0.3, join=0.3)
    return types.SimpleNamespace(
        driver=ScriptedDriver(script),
        drain=lambda: None,
        changed={},
        profile=types.SimpleNamespace(deadlines=deadlines, get=lambda key, default=None: default),
        at=lambda *args, **kwargs: types.SimpleNamespace(info=lambda name: ["1"]),
        mux=None,
        echo=None,
        baseline_needed=False,
    )


def _run(stack: str) -> HostStackRun:
    item = types.SimpleNamespace(stash=pytest.Stash())
    return HostStackRun(item, HostStack(stack, "espat", stack, "", ""))  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The drivers wait seconds; a module that never answers need not cost that here."""
    monkeypatch.setattr(zephyr, "CMD_TIMEOUT", 0.2)
    monkeypatch.setattr(wifiespat, "STREAM_TIMEOUT", 0.1)


def _zephyr(script: Script) -> ZephyrEspAt:
    return ZephyrEspAt(_run("zephyr"), _session(script))  # type: ignore[arg-type]


def _wifiespat(script: Script) -> WiFiEspAt:
    return WiFiEspAt(_run("wifiespat"), _session(script))  # type: ignore[arg-type]


def test_zephyr_drops_echo_recv_lines_and_blank_lines_and_takes_ipd_data_with_line_ends_inside():
    def script(data: bytes) -> bytes:
        if data == b"AT+CIPSTATUS\r\n":
            return b"AT+CIPSTATUS\r\r\n\r\nRecv 3 bytes\r\n+IPD,0,7:a\r\nOK\r\n\r\nOK\r\n"
        return b""

    z = _zephyr(script)
    z.command("AT+CIPSTATUS")
    assert bytes(z.received[0]) == b"a\r\nOK\r\n"  # seven bytes counted, not read as lines
    assert z.wire.buf == b""  # the command ended at the OK after the data


@pytest.mark.parametrize(
    "ipd",
    [b'+IPD,0,3,"10.0.0.1",80:abc', b"+IPD,3:abc", b"+IPD,10,3:abc"],
    ids=["cipdinfo-form", "no-link-id", "two-digit-link"],
)
def test_zephyr_takes_only_the_one_digit_ipd_form(ipd):
    z = _zephyr(lambda data: b"\r\n" + ipd + b"\r\nOK\r\n")
    with pytest.raises(StackBreak, match=r"\+IPD,<one-digit link ID>,<length> with nothing else"):
        z.command("AT")
    assert z.run.broke


def test_zephyr_takes_a_ready_it_did_not_ask_for_as_an_unexpected_reset():
    z = _zephyr(lambda data: b"\r\nready\r\nOK\r\n")
    with pytest.raises(StackBreak, match="ready only after its own AT\\+RST"):
        z.command("AT")


def test_zephyr_finds_the_prompt_without_a_line_end_and_ignores_what_precedes_send_ok():
    def script(data: bytes) -> bytes:
        if data.startswith(b"AT+CIPSEND="):
            return b"\r\nOK\r\n> "
        return b"\r\nRecv 2 bytes\r\n\r\nSEND OK\r\n" if data == b"hi" else b""

    z = _zephyr(script)
    z.send(0, b"hi")
    assert not z.run.broke


def test_zephyr_breaks_on_error_but_a_module_silent_even_to_at_gives_no_verdict():
    with pytest.raises(StackBreak, match="OK to AT\\+CIPMUX=1 \\(ERROR fails the call\\)"):
        _zephyr(lambda data: b"\r\nERROR\r\n").command("AT+CIPMUX=1")
    with pytest.raises(NoAnswer):
        _zephyr(lambda data: b"").command("AT+CIPMUX=1")


def test_wifiespat_probes_a_silent_module_and_waits_while_it_says_busy():
    answers = iter([b"", b"busy p...\r\n", b"\r\nOK\r\n"])

    def script(data: bytes) -> bytes:
        return next(answers) if data in (b'AT+CWJAP="x","y"\r\n', b"?\r\n") else b""

    lib = _wifiespat(script)
    lib.simple('AT+CWJAP="x","y"')
    assert lib.wire.driver.written[-2:] == [b"?\r\n", b"?\r\n"]


def test_wifiespat_takes_the_probes_error_for_the_failure_of_the_awaited_reply():
    lib = _wifiespat(lambda data: b"\r\nERROR\r\n" if data == b"?\r\n" else b"")
    with pytest.raises(StackBreak, match="a line starting 'OK' \\(ERROR or FAIL fails the call\\)"):
        lib.simple("AT+CIPSERVER=1,80")


@pytest.mark.parametrize(
    ("line", "counts"),
    [
        (b"+CIPRECVLEN:-1,-1,-1,-1,38", [0, 0, 0, 0, 38]),
        (b"+CIPRECVLEN:0,0,0,0,38", [0, 0, 0, 0, 38]),
        (b"+CIPRECVLEN:,,,,38", [38, 0, 0, 0, 0]),  # strtok merges the empty fields
        (b"+CIPRECVLEN:38,,,,", [38, 0, 0, 0, 0]),
    ],
)
def test_wifiespat_splits_recvlen_fields_as_strtok_does(line, counts):
    lib = _wifiespat(lambda data: b"\r\n" + line + b"\r\n\r\nOK\r\n" if data == b"AT+CIPRECVLEN?\r\n" else b"")
    lib.recv_len_query()
    assert lib.available == counts


def test_wifiespat_needs_the_recv_line_before_send_ok_and_takes_its_number():
    def script(data: bytes) -> bytes:
        if data.startswith(b"AT+CIPSEND="):
            return b"\r\nOK\r\n\r\n>"
        return b"\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n" if data == b"abc" else b"\r\nERROR\r\n"

    with pytest.raises(StackBreak, match="Recv 3 bytes"):
        _wifiespat(script).send(4, b"abc")
