"""Benchmark 4: scale. Many short connections through one emulator, as an overnight soak would make.

XBee (xbee3-lte-m, AP=1): one listener; each cycle a peer connects (0xCC), sends a line (0xCD),
and closes (0xCF 07). eS-WiFi (ism43362): one multi-accept server (``P5=11``); each cycle a peer
connects (Accepted), sends a line that ``R0`` reads, gets one back by ``S3``, and ``P5=10`` closes
it and waits for the next: the seed's loop. Time per cycle for the first and last hundred (medians,
so one cycle slowed by another process on the machine does not decide), and the process's resident
memory before and after (after a short warm-up, with a garbage collection before each reading).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from bench.common import MB, BenchResult, Goal, fmt, free_port, median, profile_call, rss_bytes
from bench.datapath import eswifi_missing
from bench.hosts import BenchError, ESWiFiHost, XBeeHost, connect, open_emulator
from sockconf.drivers.base import DriverError
from sockconf.protocol.eswifi import s3
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import SocketStatusCode

NAME = "scale"
TITLE = "Scale"
WARMUP = 20
HOST = "127.0.0.1"


@dataclass
class Soak:
    family: str
    cycles: list[float] = field(default_factory=list)  # seconds per cycle
    rss_before: int = 0
    rss_after: int = 0
    correct: bool = True

    def window(self, first: bool, n: int) -> list[float]:
        return self.cycles[:n] if first else self.cycles[-n:]


def _soak(family: str, cycles: int, setup: Callable[[], tuple[Callable[[int], bool], Callable[[], None]]]) -> Soak:
    soak = Soak(family)
    cycle, close = setup()
    try:
        for i in range(WARMUP):
            cycle(-1 - i)
        gc.collect()
        soak.rss_before = rss_bytes()
        for i in range(cycles):
            start = time.perf_counter()
            ok = cycle(i)
            soak.cycles.append(time.perf_counter() - start)
            soak.correct = soak.correct and ok
        gc.collect()
        soak.rss_after = rss_bytes()
    finally:
        close()
    return soak


def xbee_setup() -> tuple[Callable[[int], bool], Callable[[], None]]:
    driver = open_emulator("xbee3-lte-m", HOST)
    xb = XBeeHost(driver)
    port = free_port(HOST)
    listener = xb.listener(port)

    def cycle(i: int) -> bool:
        driver.trace.restart()  # as each case does
        line = f"cycle {i}\n".encode()
        peer = connect(HOST, port)
        try:
            client = xb.wait(fr.SocketNewIPv4Client)
            peer.sendall(line)
            received = xb.wait(fr.SocketReceive)
        finally:
            peer.close()
        status = xb.wait(fr.SocketStatus)
        return (
            client.socket_id == listener
            and received.socket_id == client.client_socket_id
            and received.payload == line
            and status.socket_id == client.client_socket_id
            and status.status == SocketStatusCode.CONNECTION_LOST
            and not xb.inbox
        )

    return cycle, driver.close


def eswifi_setup() -> tuple[Callable[[int], bool], Callable[[], None]]:
    driver = open_emulator("ism43362", HOST)
    es = ESWiFiHost(driver)
    port = free_port(HOST)
    es.server(port)

    def cycle(i: int) -> bool:
        driver.trace.restart()
        line = f"cycle {i}\n".encode()
        answer = f"ack {i}\n".encode()
        peer = connect(HOST, port)
        try:
            accepted = es.message()
            peer.sendall(line)
            got = b""
            deadline = time.monotonic() + 5.0
            while len(got) < len(line) and time.monotonic() < deadline:
                es.send(b"R0\r")
                got += es.reply().data
            es.send(s3(answer))
            written = es.reply()
            echoed = b""
            peer.settimeout(5.0)
            while len(echoed) < len(answer):
                chunk = peer.recv(64)
                if not chunk:
                    break
                echoed += chunk
            es.ok("P5", 10)
            peer.settimeout(5.0)
            closed = peer.recv(64) == b""  # P5=10 closes the served client
        finally:
            peer.close()
        return (
            accepted.accepted is not None
            and got == line
            and written.data == str(len(answer)).encode()
            and echoed == answer
            and closed
            and not es.messages
            and not es.replies
        )

    return cycle, driver.close


def run(quick: bool = False) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    cycles = 40 if quick else 1000
    n = 10 if quick else 100
    res.notes.append(
        f"{cycles} cycles per family after {WARMUP} warm-up cycles; first/last {n}: median seconds per cycle; "
        "memory: resident set size of the whole process (emulator thread included)"
    )
    runs: list[tuple[str, Callable[[], tuple[Callable[[int], bool], Callable[[], None]]]]] = [("XBee", xbee_setup)]
    missing = eswifi_missing()
    if missing:
        res.notes.append(missing)
    else:
        runs.append(("eS-WiFi", eswifi_setup))
    for label, setup in runs:
        try:
            soak = _soak(label, cycles, setup)
        except (BenchError, DriverError, OSError) as exc:
            if label == "XBee":
                raise
            why = f"the eS-WiFi emulator is not working yet ({exc}); this part runs once it does"
            res.notes.append(why)
            _not_measured(res, label, why)
            continue
        first, last = median(soak.window(True, n)), median(soak.window(False, n))
        growth = (soak.rss_after - soak.rss_before) / MB
        res.row(f"{label} first {n} per cycle", first * 1000, "ms")
        res.row(f"{label} last {n} per cycle", last * 1000, "ms")
        res.row(f"{label} last / first", last / first, "x")
        res.row(f"{label} mean per cycle", sum(soak.cycles) / len(soak.cycles) * 1000, "ms")
        kib = (soak.rss_after - soak.rss_before) // 1024
        rss = f"RSS {fmt(soak.rss_before / MB)} -> {fmt(soak.rss_after / MB)} MB ({kib:+,} KiB)"
        res.row(f"{label} memory growth", growth, "MB", rss)
        res.checks[f"{label} every cycle correct"] = soak.correct
        drift = Goal(NAME, f"{label}: last {n} within 10% of the first {n}", 1.10, last / first, "x", False)
        memory = Goal(NAME, f"{label}: memory growth < 5 MB over {cycles} cycles", 5.0, growth, "MB", False)
        res.goals += [drift, memory]
        if not quick and (drift.met is False or memory.met is False):
            _, text = profile_call(partial(_soak, label, 200, setup))
            for goal in (drift, memory):
                if goal.met is False:
                    goal.profile = text
                    goal.limit = "see the profile of 200 cycles"
    if missing:
        _not_measured(res, "eS-WiFi", missing)
    return res


def _not_measured(res: BenchResult, label: str, why: str) -> None:
    res.goals += [
        Goal(NAME, f"{label}: last 100 within 10% of the first 100", 1.10, None, "x", False, not_measured=why),
        Goal(NAME, f"{label}: memory growth < 5 MB", 5.0, None, "MB", False, not_measured=why),
    ]
