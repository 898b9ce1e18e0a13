"""Zephyr's ``drivers/wifi/esp_at`` (AT 2.1 command set) as the ESPAT-HOST-ZEPHYR cases drive the module:
its rules, in our words.

The driver hands every received line to a command handler (``modem_cmd_handler``, end of line CR-LF):
a line is matched by its start against the handlers of the command in flight, the results ``OK`` and
``ERROR``, and the unsolicited handlers (``WIFI ...``, ``<id>,CONNECT``, ``<id>,CLOSED``, ``busy ...``,
``ready``); ``+IPD`` is a handler that counts bytes, and ``>`` is taken wherever it comes while a send
waits for it. Any other line (an echo, ``Recv N bytes``, a blank line) is dropped. Each rule names the
file and function of zephyrproject-rtos/zephyr ``drivers/wifi/esp_at/`` it comes from;
docs/host-stacks-espat.md states them with the requirement IDs the cases verify. No driver code is used.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sockconf.harness.espat import EspAtSession
from sockconf.harness.hoststack import HostStackRun
from sockconf.suites.espat.hostwire import Wire

CMD_TIMEOUT = 10.0  # esp.h ESP_CMD_TIMEOUT: a command's OK or ERROR
INIT_TIMEOUT = 10.0  # esp.h ESP_INIT_TIMEOUT: each start-up command
RESET_TIMEOUT = 3.0  # Kconfig WIFI_ESP_AT_RESET_TIMEOUT (3000 ms): ready after AT+RST
PROMPT_TIMEOUT = 5.0  # esp_offload.c esp_socket_send_one_pkt: the > after AT+CIPSEND
MTU = 2048  # esp.h ESP_MTU: the largest AT+CIPSEND and AT+CIPRECVDATA
KEEP_ALIVE = 7200  # esp_offload.c _sock_connect: every TCP connection asks for this keep-alive
SOCKETS = 5  # esp.h ESP_MAX_SOCKETS: link ID = socket slot

_LINK_REPORT = re.compile(r"([0-4]),(CONNECT|CLOSED)")
_IPD_HEADER_MAX = 32  # bytes of an +IPD header the handler looks at before giving up on it


@dataclass
class Event:
    kind: str  # "line", "prompt", "ipd", "recvdata"
    text: str = ""
    link: int = -1
    data: bytes = b""


class ZephyrEspAt:
    """One esp_at device: its sockets and what its handlers recorded."""

    def __init__(self, run: HostStackRun, espat: EspAtSession) -> None:
        self.run = run
        self.espat = espat
        # What AT+CWAUTOCONN=0 changes, to be put back after the case (the session's query, not the driver's).
        auto = espat.at("+CWAUTOCONN?", requirement="precondition: AT+CWAUTOCONN? is answered")
        values = [v.strip() for v in auto.info("CWAUTOCONN")]
        self.autoconn = values[0] if values and values[0].isdigit() else "1"
        self.wire = Wire(espat)
        self.network_wait = espat.profile.deadlines.indication  # the peer's data or close to show up
        self.got_ip = False
        self.resetting = False
        self.connected: set[int] = set()  # on_cmd_connect
        self.closed: set[int] = set()  # on_cmd_closed
        self.received: dict[int, bytearray] = defaultdict(bytearray)  # on_cmd_ipd, on_cmd_ciprecvdata
        self.notices: dict[int, list[int]] = defaultdict(list)  # passive +IPD,<id>,<len> not yet read
        self.waiting_prompt = False
        self.reading = False  # AT+CIPRECVDATA in flight: its +CIPRECVDATA handler is armed
        self.read_back = bytearray()  # the data of the AT+CIPRECVDATA in flight

    # ------------------------------------------------------------------ the command handler

    def _event(self, deadline: float) -> Event | None:
        """The next thing the handler takes from the stream, or None at ``deadline``."""
        wire = self.wire
        while True:
            while bytes(wire.buf[:1]) in (b"\r", b"\n"):
                wire.take(1)  # blank lines and stray line ends match nothing
            buf = wire.buf
            if self.waiting_prompt and buf[:1] == b">":
                wire.take(1)
                return Event("prompt")
            if buf.startswith(b"+IPD"):
                event = self._ipd(deadline)
                if event is not None:
                    return event
            elif self.reading and buf.startswith(b"+CIPRECVDATA:"):
                event = self._recvdata(deadline)
                if event is not None:
                    return event
            elif b"\r\n" in buf:
                end = buf.index(b"\r\n")
                text = wire.take(end + 2)[:-2].decode("ascii", "replace")
                return Event("line", text)
            if time.monotonic() >= deadline:
                return None
            wire.fill(deadline)

    def _ipd(self, deadline: float) -> Event | None:
        """esp.c on_cmd_ipd, cmd_ipd_parse_hdr, cmd_ipd_check_hdr_end: ``+IPD,<d>,<len>`` then ``:`` and
        exactly ``<len>`` bytes (active), or CR (passive: a notice); None while the header is incomplete."""
        buf = self.wire.buf
        ends = (i for i in range(4, min(len(buf), _IPD_HEADER_MAX)) if bytes(buf[i : i + 1]) in (b":", b"\r"))
        end = next(ends, None)
        if end is None:
            if len(buf) >= _IPD_HEADER_MAX:
                self.run.needs(
                    False, "an +IPD header to end in : or CR", bytes(buf[:_IPD_HEADER_MAX]), "cmd_ipd_parse_hdr"
                )
            return None
        header = bytes(buf[:end])
        m = re.fullmatch(rb"\+IPD,([0-9]),([0-9]+)", header)
        self.run.needs(
            m is not None,
            "+IPD,<one-digit link ID>,<length> with nothing else before the : or CR (the CIPDINFO form and "
            "+IPD,<length> are 'Invalid cmd end')",
            header,
            "esp.c cmd_ipd_parse_hdr, cmd_ipd_check_hdr_end",
        )
        assert m is not None
        link, length = int(m.group(1)), int(m.group(2))
        if buf[end : end + 1] == b"\r":
            self.wire.take(end + 1)
            return Event("ipd", link=link, text=str(length))  # passive: a notice, no data
        data = self.wire.exactly(end + 1 + length, deadline)
        self.run.needs(
            data is not None,
            f"the {length} data bytes its +IPD announced",
            self.wire.shown(),
            "esp.c on_cmd_ipd",
        )
        assert data is not None
        return Event("ipd", link=link, data=data[end + 1 :])

    def _recvdata(self, deadline: float) -> Event | None:
        """esp_offload.c cmd_ciprecvdata_parse, on_cmd_ciprecvdata (2.x form): ``+CIPRECVDATA:<n>,`` then
        ``<n>`` bytes, ``<n>`` at most what was asked (2048)."""
        buf = self.wire.buf
        comma = buf.find(b",", 13)
        if comma < 0:
            if len(buf) > 13 + 6:
                self.run.needs(False, "+CIPRECVDATA:<length>,", bytes(buf[:24]), "esp_offload.c cmd_ciprecvdata_parse")
            return None
        count = bytes(buf[13:comma])
        self.run.needs(
            count.isdigit() and int(count) <= MTU,
            f"+CIPRECVDATA:<length>, with a length of at most {MTU}",
            bytes(buf[: comma + 1]),
            "esp_offload.c cmd_ciprecvdata_parse",
        )
        n = int(count)
        data = self.wire.exactly(comma + 1 + n, deadline)
        self.run.needs(
            data is not None, f"the {n} bytes +CIPRECVDATA announced", self.wire.shown(), "on_cmd_ciprecvdata"
        )
        assert data is not None
        return Event("recvdata", data=data[comma + 1 :])

    def _unsolicited(self, event: Event) -> bool:
        """The handlers that act on whatever command is in flight (esp.c unsol_cmds); True if one took it."""
        if event.kind == "ipd":
            if event.data or not event.text:
                self.received[event.link] += event.data
            else:
                self.notices[event.link].append(int(event.text))
            return True
        if event.kind != "line":
            return False
        text = event.text
        m = _LINK_REPORT.match(text)
        if m:
            (self.connected if m.group(2) == "CONNECT" else self.closed).add(int(m.group(1)))
            return True
        if text.startswith("WIFI GOT IP"):
            self.got_ip = True
            return True
        if text.startswith(("WIFI CONNECTED", "WIFI DISCONNECT", "busy s...", "busy p...")):
            return True
        if text.startswith("ready"):
            self.run.needs(
                self.resetting,
                "ready only after its own AT+RST (any other is an unexpected reset: it drops every socket "
                "and starts again)",
                text,
                "esp.c on_cmd_ready",
            )
            return True
        return False

    def wait_for(self, done: Callable[[], bool], what: str, within: float, function: str) -> None:
        """Run the handlers until ``done()`` holds; the module broke the flow if it does not within ``within``."""
        deadline = time.monotonic() + within
        while not done() and time.monotonic() < deadline:
            event = self._event(deadline)
            if event is not None:
                self._unsolicited(event)
        self.run.needs(bool(done()), f"{what} within {within:g} s", self.wire.shown(), function)

    def command(self, text: str, within: float = CMD_TIMEOUT, lines: tuple[str, ...] = ()) -> list[str]:
        """Send ``text``; the lines starting with one of ``lines`` (its handlers), up to OK within ``within``.
        ERROR fails it (esp.c: a SETUP_CMD_NOHANDLE or modem_cmd_send returns the error)."""
        self.wire.command(text)
        deadline = time.monotonic() + within
        got: list[str] = []
        while True:
            event = self._event(deadline)
            if event is None:
                self.wire.answers_at_all(f"OK to {text} within {within:g} s")
                self.run.needs(False, f"OK to {text} within {within:g} s", self.wire.shown())
            assert event is not None
            if event.kind == "line" and event.text.startswith("OK"):
                return got
            if event.kind == "line" and event.text.startswith("ERROR"):
                self.run.needs(False, f"OK to {text} (ERROR fails the call)", self.wire.shown())
            if event.kind == "line" and lines and event.text.startswith(lines):
                got.append(event.text)
            elif not self._unsolicited(event) and event.kind == "recvdata":
                self.read_back += event.data  # what AT+CIPRECVDATA returned, for read_passive

    # ------------------------------------------------------------------ the driver's flows

    def reset(self) -> None:
        """esp.c esp_reset: AT+RST, then a line starting ready within the reset timeout."""
        self.resetting = True
        self.wire.command("AT+RST")
        self.espat.baseline_needed = True  # the module restarts: the session sets its baseline again
        self.espat.mux = None
        self.espat.echo = None
        deadline = time.monotonic() + RESET_TIMEOUT
        while True:
            event = self._event(deadline)
            if event is None:
                self.wire.answers_at_all(f"a line starting ready within {RESET_TIMEOUT:g} s of AT+RST")
            self.run.needs(
                event is not None, f"a line starting ready within {RESET_TIMEOUT:g} s of AT+RST", self.wire.shown()
            )
            assert event is not None
            if event.kind == "line" and event.text.startswith("ready"):
                break
            self._unsolicited(event)
        self.resetting = False

    def start(self, passive: bool = False) -> None:
        """esp.c esp_init_work: the start-up commands, each needing OK within 10 s (ERROR fails start-up).
        Left out: AT+CWMODE=0,0 (it would drop the station the suite relies on; Zephyr joins again with
        AT+CWJAP, whose password the suite does not have)."""
        baud = int(self.espat.profile.get("baud", 115200))
        steps = [
            ("AT", "AT"),
            ("ATE0", "ATE0"),
            (f"AT+UART_CUR={baud},8,1,0,0", "AT+UART_CUR"),
            ("AT+GMR", "AT+GMR"),
            ("AT+CWDHCP=1,1", "AT+CWDHCP"),
            ("AT+CIPMUX=1", "AT+CIPMUX=1"),
            ("AT+CWLAPOPT=1,31", "AT+CWLAPOPT"),
            ("AT+CWMODE=1,0", "AT+CWMODE=1,0"),
            ("AT+CWAUTOCONN=0", "AT+CWAUTOCONN=0"),
            *([("AT+CIPRECVMODE=1", "AT+CIPRECVMODE=1")] if passive else []),
        ]
        for text, name in steps:
            with self.run.step(f"esp_init_work: {name}"):
                self.command(text, INIT_TIMEOUT)
                if text == "AT+CWAUTOCONN=0":
                    self.wire.restore_after("+CWAUTOCONN", int(self.autoconn))
                elif text == "AT+CIPRECVMODE=1":
                    self.wire.restore_after("+CIPRECVMODE", 0)
        self.espat.mux, self.espat.echo = 1, False
        with self.run.step("esp_init_work: AT+CIPSTAMAC? (on_cmd_cipstamac)"):
            mac = self.command("AT+CIPSTAMAC?", INIT_TIMEOUT, lines=("+CIPSTAMAC:",))
            self.run.needs(
                len(mac) == 1 and re.fullmatch(r'\+CIPSTAMAC:"([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}"', mac[0]) is not None,
                '+CIPSTAMAC:"xx:xx:xx:xx:xx:xx" before OK',
                self.wire.shown(),
            )

    def socket_for(self, taken: set[int]) -> int:
        """esp_socket.c esp_socket_get: the lowest free slot is the link ID."""
        return min(set(range(SOCKETS)) - taken)

    def connect(self, link: int, host: str, port: int) -> None:
        """esp_offload.c _sock_connect: AT+CIPSTART=<id>,"TCP","<ip>",<port>,7200; OK within 10 s."""
        self.closed.discard(link)
        self.command(f'AT+CIPSTART={link},"TCP","{host}",{port},{KEEP_ALIVE}')

    def send(self, link: int, payload: bytes) -> None:
        """esp_offload.c esp_socket_send_one_pkt: AT+CIPSEND=<id>,<len>, the > within 5 s, the payload,
        then SEND OK (or SEND FAIL) within 10 s; OK and Recv N bytes are dropped as unmatched lines."""
        assert len(payload) <= MTU
        self.waiting_prompt = True
        self.wire.command(f"AT+CIPSEND={link},{len(payload)}")
        deadline = time.monotonic() + PROMPT_TIMEOUT
        while True:
            event = self._event(deadline)
            if event is None:
                self.wire.answers_at_all(f"> within {PROMPT_TIMEOUT:g} s")
            self.run.needs(event is not None, f"> within {PROMPT_TIMEOUT:g} s", self.wire.shown(), "on_cmd_tx_ready")
            assert event is not None
            if event.kind == "prompt":
                break
            if event.kind == "line" and event.text.startswith("ERROR"):
                self.run.needs(False, "> (ERROR fails the send)", self.wire.shown(), "esp_socket_send_one_pkt")
            self._unsolicited(event)
        self.waiting_prompt = False
        self.wire.write(payload, f"{len(payload)} data bytes")
        deadline = time.monotonic() + CMD_TIMEOUT
        while True:
            event = self._event(deadline)
            self.run.needs(
                event is not None, f"SEND OK within {CMD_TIMEOUT:g} s of the data", self.wire.shown(), "on_cmd_send_ok"
            )
            assert event is not None
            if event.kind == "line" and event.text.startswith("SEND OK"):
                return
            if event.kind == "line" and event.text.startswith(("SEND FAIL", "ERROR")):
                self.run.needs(False, "SEND OK (SEND FAIL closes the socket)", self.wire.shown(), "on_cmd_send_fail")
            self._unsolicited(event)

    def read_passive(self, link: int, total: int) -> bytes:
        """esp.c on_cmd_ipd, esp_offload.c esp_recvdata_work: one AT+CIPRECVDATA=<id>,2048 per +IPD notice,
        until ``total`` bytes are read; data left after a read must be announced by a new notice."""
        got = bytearray()
        while len(got) < total:
            self.wait_for(
                lambda: bool(self.notices[link]),
                f"+IPD,{link},<length> (CR right after the length) for the {total - len(got)} byte(s) not read yet",
                self.network_wait,
                "esp.c on_cmd_ipd",
            )
            self.notices[link].pop(0)
            self.reading = True
            self.read_back = bytearray()
            self.command(f"AT+CIPRECVDATA={link},{MTU}")
            self.reading = False
            chunk = bytes(self.read_back)
            self.run.needs(
                bool(chunk), "+CIPRECVDATA:<length>,<data> before OK", self.wire.shown(), "on_cmd_ciprecvdata"
            )
            got += chunk
        return bytes(got)

    def close(self, link: int) -> None:
        """esp_socket.c esp_socket_close: AT+CIPCLOSE=<id>, OK within 10 s."""
        self.command(f"AT+CIPCLOSE={link}")
        self.connected.discard(link)
