"""JAndrassy's WiFiEspAT (AT 2 build) as the ESPAT-HOST-WIFIESPAT cases drive the module: its rules, in our words.

The library reads the module one byte at a time with the Arduino stream timeout (1 s) (``EspAtDrv.cpp``
``readRX``). When a second passes without a byte it sends ``?`` as a command line and expects ``busy
p...`` (still working) or ``ERROR``; when three such probes go unanswered it gives up ("AT firmware not
responding"). A ``>`` as the first byte of a line is the send prompt; any other line ends at LF, its
trailing CRs are trimmed and empty lines are skipped, and lines are compared by their start. Wherever a
reply is awaited it also acts on ``+IPD,<id>,<len>`` (passive: the link's byte count), ``<id>,CONNECT``,
``<id>,CLOSED`` and ``<id>,CONNECT FAIL``; ``ERROR`` or ``FAIL`` is the failure of the awaited reply;
more than 70 other lines are "garbage". Each rule names the function of ``src/utility/EspAtDrv.cpp`` in
jandrassy/WiFiEspAT it comes from; docs/host-stacks-espat.md states them with the requirement IDs the
cases verify. No library code is used.
"""

from __future__ import annotations

import re
import time

from sockconf.harness.espat import EspAtSession
from sockconf.harness.hoststack import HostStackRun
from sockconf.suites.espat.hostwire import Wire

STREAM_TIMEOUT = 1.0  # Arduino Stream::setTimeout default: the wait for each byte
TIMEOUT_COUNT = 3  # readRX: silent probes before "AT firmware not responding"
MAX_IGNORED = 70  # readRX: ignored lines before "To much garbage on RX"
LINKS = 5  # LINKS_COUNT
RECVLEN_EVERY = 0.5  # availData: AT+CIPRECVLEN? at most every 500 ms while a link shows no bytes

_LINK_REPORT = re.compile(r"([0-4]),(CONNECT FAIL|CONNECT|CLOSED)")
_IPD = re.compile(r"\+IPD,([0-4]),(\d+)")


class WiFiEspAt:
    """The library's ``EspAtDrv``: its links and what ``readRX`` recorded."""

    def __init__(self, run: HostStackRun, espat: EspAtSession) -> None:
        self.run = run
        self.espat = espat
        self.network_wait = espat.profile.deadlines.indication
        store = espat.at("+SYSSTORE?", requirement="precondition: AT+SYSSTORE? is answered")
        values = [v.strip() for v in store.info("SYSSTORE")]
        self.sysstore = values[0] if values and values[0].isdigit() else "1"
        self.wire = Wire(espat)
        self.state = ["free"] * LINKS  # "free", "connected" (its own client), "incoming" (a server's client)
        self.available = [0] * LINKS

    # ------------------------------------------------------------------ readRX

    def _line(self) -> str:
        """The next line as readRX takes it: ``>`` for the prompt, ``+CIPRECVDATA:`` alone (read up to its
        colon: the data follow unbuffered), else the line without its trailing CRs, empty lines skipped."""
        wire = self.wire
        probes = 0
        deadline = time.monotonic() + STREAM_TIMEOUT
        while True:
            while wire.buf.startswith(b"\r\n") or wire.buf.startswith(b"\n"):
                wire.take(wire.buf.index(b"\n") + 1)  # an empty line
            if wire.buf[:1] == b">":
                wire.take(1)
                return ">"
            if wire.buf.startswith(b"+CIPRECVDATA:"):
                wire.take(13)
                return "+CIPRECVDATA:"
            if b"\n" in wire.buf:
                raw = wire.take(wire.buf.index(b"\n") + 1)
                text = raw[:-1].rstrip(b"\r").decode("ascii", "replace")
                if text:
                    return text
                continue
            if wire.fill(deadline):
                probes, deadline = 0, time.monotonic() + STREAM_TIMEOUT
                continue
            if time.monotonic() < deadline:
                continue
            probes += 1
            if probes > TIMEOUT_COUNT:
                wire.answers_at_all("an answer, or busy p... to its ? probes")
            self.run.needs(
                probes <= TIMEOUT_COUNT,
                f"an answer, or busy p... to one of its {TIMEOUT_COUNT} ? probes, one per silent second "
                "(else 'AT firmware not responding')",
                wire.shown(),
                "EspAtDrv.cpp readRX",
            )
            wire.write(b"?\r\n", "? (readRX: the module has been silent for a second)", probe=True)
            deadline = time.monotonic() + STREAM_TIMEOUT

    def read_rx(self, tag: str) -> str:
        """readRX: lines until one starts with ``tag`` (returned); acts on the reports it meets."""
        ignored = 0
        while True:
            text = self._line()
            if text.startswith(tag):
                return text
            if self._report(text):
                continue
            if text.startswith(("ERROR", "FAIL")):
                self.run.needs(False, f"a line starting {tag!r} (ERROR or FAIL fails the call)", self.wire.shown())
            if text.startswith("busy p..."):
                continue
            ignored += 1
            self.run.needs(
                ignored <= MAX_IGNORED,
                f"a line starting {tag!r} before {MAX_IGNORED} other lines ('To much garbage on RX')",
                self.wire.shown(),
                "EspAtDrv.cpp readRX",
            )

    def _report(self, text: str) -> bool:
        m = _IPD.fullmatch(text)
        if m:
            self.available[int(m.group(1))] = int(m.group(2))
            return True
        m = _LINK_REPORT.fullmatch(text)
        if m:
            link = int(m.group(1))
            if m.group(2) == "CONNECT":
                if self.state[link] == "free":
                    self.state[link] = "incoming"
            else:
                self.state[link], self.available[link] = "free", 0
            return True
        return False

    def simple(self, text: str) -> None:
        """simpleCommand: the command, then a line starting OK."""
        self.wire.command(text)
        self.read_rx("OK")

    def pump(self, within: float) -> None:
        """The reports that come while the sketch waits (readRX run with nothing awaited): one read, up to
        ``within`` seconds, and the whole lines it completes."""
        self.wire.fill(time.monotonic() + within)
        while b"\n" in self.wire.buf:
            raw = self.wire.take(self.wire.buf.index(b"\n") + 1)
            self._report(raw.strip(b"\r\n").decode("ascii", "replace"))

    # ------------------------------------------------------------------ the library's flows

    def init(self) -> None:
        """reset (no restart: its ready is not checked): ATE0, AT+CIPMUX=1, AT+CIPRECVMODE=1 need OK;
        AT+SYSSTORE=0 may fail; AT+CWMODE? needs +CWMODE:<digit>."""
        for text in ("ATE0", "AT+CIPMUX=1", "AT+CIPRECVMODE=1"):
            with self.run.step(f"reset: {text}"):
                self.simple(text)
        self.espat.mux, self.espat.echo = 1, False
        self.wire.restore_after("+CIPRECVMODE", 0)
        with self.run.step("reset: AT+SYSSTORE=0"):
            self.wire.command("AT+SYSSTORE=0")
            self.read_rx("OK")
            self.wire.restore_after("+SYSSTORE", int(self.sysstore))
        with self.run.step("reset: AT+CWMODE?"):
            self.wire.command("AT+CWMODE?")
            mode = self.read_rx("+CWMODE:")
            self.run.needs(mode[8:9].isdigit(), "+CWMODE:<digit> (the digit right after the colon)", mode)
            self.read_rx("OK")

    def free_link(self) -> int:
        """freeLinkId: the highest free link, 4 down to 0."""
        return max(i for i in range(LINKS) if self.state[i] == "free")

    def connect(self, link: int, host: str, port: int) -> None:
        """connect: AT+CIPSTART=<id>,"TCP","<host>",<port>, then OK."""
        self.state[link] = "connected"
        self.wire.command(f'AT+CIPSTART={link},"TCP","{host}",{port}')
        self.read_rx("OK")

    def send(self, link: int, payload: bytes) -> None:
        """sendData: AT+CIPSEND=<id>,<len>, the prompt, the payload, a line starting Recv whose number is
        taken as the bytes sent, and a line starting SEND whose rest must be OK."""
        self.wire.command(f"AT+CIPSEND={link},{len(payload)}")
        self.read_rx(">")
        self.wire.write(payload, f"{len(payload)} data bytes")
        recv = self.read_rx("Recv ")
        count = re.match(r"Recv (\d+)", recv)
        self.run.needs(
            count is not None and int(count.group(1)) == len(payload),
            f"Recv {len(payload)} bytes (its number is what sendData reports as sent)",
            recv,
        )
        result = self.read_rx("SEND ")
        self.run.needs(result[5:] == "OK", "SEND OK (the rest of the SEND line must be OK)", result)

    def recv_len_query(self) -> list[str]:
        """recvLenQuery: AT+CIPRECVLEN?; its fields split as strtok splits them (empty fields merge, so
        the n-th non-empty field is taken for link n); a number is the link's byte count."""
        self.wire.command("AT+CIPRECVLEN?")
        line = self.read_rx("+CIPRECVLEN:")
        fields = [f for f in line.removeprefix("+CIPRECVLEN:").split(",") if f][:LINKS]
        for link, field in enumerate(fields):
            if field.isdigit():
                self.available[link] = int(field)
            elif field.startswith("-"):
                self.available[link] = 0
        self.read_rx("OK")
        return fields

    def recv_data(self, link: int, size: int) -> bytes:
        """recvData: AT+CIPRECVDATA=<id>,<size>; +CIPRECVDATA: read up to its colon, then <n>, up to the
        comma, then <n> raw bytes, then OK."""
        self.wire.command(f"AT+CIPRECVDATA={link},{size}")
        self.read_rx("+CIPRECVDATA:")
        deadline = time.monotonic() + STREAM_TIMEOUT
        while b"," not in self.wire.buf[:8] and time.monotonic() < deadline:
            self.wire.fill(deadline)
        head = bytes(self.wire.buf[:8])
        self.run.needs(b"," in head and head[: head.index(b",")].isdigit(), "+CIPRECVDATA:<n>,", head)
        n = int(head[: head.index(b",")])
        self.wire.take(head.index(b",") + 1)
        data = self.wire.exactly(n, time.monotonic() + STREAM_TIMEOUT * max(1, n // 64))
        self.run.needs(data is not None, f"the {n} bytes +CIPRECVDATA announced", self.wire.shown())
        assert data is not None
        self.read_rx("OK")
        self.available[link] = max(0, self.available[link] - n)
        return data

    def close(self, link: int) -> None:
        """close: AT+CIPCLOSE=<id> (skipped when its own state says the link is closed), then OK."""
        if self.state[link] == "free":
            return
        self.wire.command(f"AT+CIPCLOSE={link}")
        self.read_rx("OK")
        self.state[link], self.available[link] = "free", 0
