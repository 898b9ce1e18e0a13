"""Benchmark 2: the emulator's data path, in process, both families, both ways.

Inbound: a TCP peer sends 16 MiB to a connection the emulated module accepted; the host reads it
through the ``emulator`` driver (XBee: 0xCD Socket Receive frames; eS-WiFi: ``R0`` replies).
Outbound: the host sends 16 MiB (XBee: 0x44 Socket Send of 1500 bytes with a frame ID, each
answered by 0x89; eS-WiFi: ``S3`` of 1460 bytes) and the peer reads it. Both ends compare the bytes.

The emulator, the host and the peer share one process (the peer in a thread, as the suite's peer
is), so the host's codec work is inside the numbers. eS-WiFi's host sends one command and waits for
its reply, as the suite and real drivers do; a second run keeps several commands in flight, to tell
the round trip from the emulator's own capacity.
"""

from __future__ import annotations

import random
import socket
import time
from dataclasses import dataclass, field

from bench.common import MB, BenchResult, Goal, MiB, fmt, free_port, profile_call
from bench.hosts import BenchError, ESWiFiHost, PeerThread, XBeeHost, connect, open_emulator, receive, send_all
from sockconf import emulator
from sockconf.drivers.base import DriverError
from sockconf.protocol.eswifi import s3
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import DecodeEvent, encode

NAME = "datapath"
TITLE = "Emulator data path"
GOAL_MBPS = 10.0
XBEE_PAYLOAD = 1500  # the profile's payload limit: the most one 0x44 or 0xCD carries
ESWIFI_CHUNK = 1460  # the most one S3 takes and one R0 returns (R1 default)
PIPELINE = 8  # commands in flight for the eS-WiFi capacity run
REPEATS = 3  # runs per path: a process elsewhere on the machine can slow one of them
TRACE_EVERY = 512  # restart the driver's trace this often, as each case does (it keeps every byte)


@dataclass
class Transfer:
    direction: str  # "in" (peer -> host) or "out" (host -> peer)
    size: int
    seconds: float
    identical: bool
    exchanges: int = 0  # frames or commands it took

    @property
    def mbps(self) -> float:
        return self.size / self.seconds / MB if self.seconds > 0 else 0.0


@dataclass
class PathRun:
    family: str
    transfers: list[Transfer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


# --------------------------------------------------------------------------- XBee


def xbee_path(size: int, within: float, host: str = "127.0.0.1") -> PathRun:
    run = PathRun("xbee")
    driver = open_emulator("xbee3-lte-m", host)
    try:
        xb = XBeeHost(driver)
        port = free_port(host)
        xb.listener(port)
        peer = connect(host, port)
        try:
            client = xb.wait(fr.SocketNewIPv4Client).client_socket_id
            run.transfers.append(_xbee_in(xb, peer, client, _payload(size, 1), within))
            run.transfers.append(_xbee_out(xb, peer, client, _payload(size, 2), within))
        finally:
            peer.close()
    finally:
        driver.close()
    return run


def _xbee_in(xb: XBeeHost, peer: socket.socket, client: int, data: bytes, within: float) -> Transfer:
    size = len(data)
    got = bytearray()
    frames = 0
    start = time.perf_counter()
    sender = PeerThread(peer, send_all(data)).start()
    deadline = time.monotonic() + within
    while len(got) < size and time.monotonic() < deadline:
        xb.pump(deadline)
        while xb.inbox:
            event = xb.inbox.popleft()
            if isinstance(event, DecodeEvent):
                raise BenchError(f"inbound: not a good frame: {event.describe()}")
            if isinstance(event, fr.SocketReceive) and event.socket_id == client:
                got += event.payload
                frames += 1
                if frames % TRACE_EVERY == 0:
                    xb.driver.trace.restart()
    seconds = time.perf_counter() - start
    sender.join(within)
    return Transfer("in", size, seconds, bytes(got) == data, frames)


def _xbee_out(xb: XBeeHost, peer: socket.socket, client: int, data: bytes, within: float) -> Transfer:
    size = len(data)
    receiver = PeerThread(peer, receive(size, within)).start()
    frames = statuses = failed = 0
    batch: list[bytes] = []
    start = time.perf_counter()

    def take_statuses() -> None:
        nonlocal statuses, failed
        while xb.inbox:
            event = xb.inbox.popleft()
            if isinstance(event, fr.TransmitStatus):
                statuses += 1
                failed += event.status != 0
            elif isinstance(event, DecodeEvent):
                raise BenchError(f"outbound: not a good frame: {event.describe()}")

    for offset in range(0, size, XBEE_PAYLOAD):
        batch.append(encode(fr.SocketSend(xb.frame_id(), client, data[offset : offset + XBEE_PAYLOAD]), xb.api_mode))
        frames += 1
        if len(batch) == 32:  # about 48 KiB per write, as a host writes a UART buffer
            xb.driver.write(b"".join(batch))
            batch.clear()
            while xb.pump(time.monotonic()):  # whatever TX Status already came, without waiting
                pass
            take_statuses()
            if frames % TRACE_EVERY == 0:
                xb.driver.trace.restart()
    if batch:
        xb.driver.write(b"".join(batch))
    got = receiver.join(within)
    seconds = receiver.finished - start
    deadline = time.monotonic() + within
    while statuses < frames and time.monotonic() < deadline:
        xb.pump(deadline)
        take_statuses()
    ok = got == data and statuses == frames and failed == 0
    return Transfer("out", size, seconds, ok, frames)


# --------------------------------------------------------------------------- eS-WiFi


def eswifi_path(size: int, within: float, depth: int = 1, host: str = "127.0.0.1") -> PathRun:
    run = PathRun("eswifi")
    driver = open_emulator("ism43362", host)
    try:
        es = ESWiFiHost(driver)
        es.settle()
        port = free_port(host)
        es.server(port)
        peer = connect(host, port)
        try:
            es.message()  # [TCP SVR] Accepted <peer>
            run.transfers.append(_eswifi_in(es, peer, _payload(size, 3), depth, within))
            run.transfers.append(_eswifi_out(es, peer, _payload(size, 4), depth, within))
        finally:
            peer.close()
    finally:
        driver.close()
    return run


def _eswifi_in(es: ESWiFiHost, peer: socket.socket, data: bytes, depth: int, within: float) -> Transfer:
    size = len(data)
    got = bytearray()
    commands = outstanding = 0
    start = time.perf_counter()
    sender = PeerThread(peer, send_all(data)).start()
    deadline = time.monotonic() + within
    while len(got) < size and time.monotonic() < deadline:
        while outstanding < depth:
            es.send(b"R0\r")
            outstanding += 1
            commands += 1
        reply = es.reply(within)
        outstanding -= 1
        if reply.lost:
            raise BenchError("inbound: R0 answered -1 while the peer was connected")
        got += reply.data
        if commands % TRACE_EVERY == 0:
            es.driver.trace.restart()
    seconds = time.perf_counter() - start
    for _ in range(outstanding):  # the R0s still in flight find nothing more
        got += es.reply(within).data
    sender.join(within)
    return Transfer("in", size, seconds, bytes(got) == data, commands)


def _eswifi_out(es: ESWiFiHost, peer: socket.socket, data: bytes, depth: int, within: float) -> Transfer:
    size = len(data)
    receiver = PeerThread(peer, receive(size, within)).start()
    commands = outstanding = 0
    wrong = 0
    sizes: list[int] = []
    start = time.perf_counter()
    for offset in range(0, size, ESWIFI_CHUNK):
        chunk = data[offset : offset + ESWIFI_CHUNK]
        es.send(s3(chunk))
        sizes.append(len(chunk))
        outstanding += 1
        commands += 1
        if outstanding >= depth:
            reply = es.reply(within)
            outstanding -= 1
            wrong += reply.data != str(sizes.pop(0)).encode()
        if commands % TRACE_EVERY == 0:
            es.driver.trace.restart()
    for _ in range(outstanding):
        wrong += es.reply(within).data != str(sizes.pop(0)).encode()
    got = receiver.join(within)
    seconds = receiver.finished - start
    return Transfer("out", size, seconds, got == data and wrong == 0, commands)


def eswifi_missing() -> str:
    """Why the eS-WiFi side cannot run yet ("" when it can)."""
    if "eswifi" not in emulator.families():
        return "emulator/eswifi/ does not exist yet; this part runs once the model is there"
    return ""


# --------------------------------------------------------------------------- the run


def median_run(runs: list[PathRun]) -> PathRun:
    """Per direction, the transfer with the median rate; identical only if every run's bytes were."""
    out = PathRun(runs[0].family)
    for i in range(len(runs[0].transfers)):
        ranked = sorted((r.transfers[i] for r in runs), key=lambda t: t.mbps)
        chosen = ranked[len(ranked) // 2]
        same = all(t.identical for t in ranked)
        out.transfers.append(Transfer(chosen.direction, chosen.size, chosen.seconds, same, chosen.exchanges))
    return out


def _rows(res: BenchResult, run: PathRun, label: str) -> None:
    for t in run.transfers:
        way = "peer -> host" if t.direction == "in" else "host -> peer"
        unit_of = {"xbee": ("0xCD frames", "0x44 frames"), "eswifi": ("R0 commands", "S3 commands")}[run.family]
        res.row(f"{label} {way} MB/s", t.mbps, "MB/s", f"{t.size / MiB:g} MiB in {fmt(t.seconds)} s")
        res.row(
            f"{label} {way} {unit_of[t.direction == 'out']}/s",
            t.exchanges / t.seconds if t.seconds else 0.0,
            "per s",
        )
        res.checks[f"{label} {way} byte-identical"] = t.identical


def run(quick: bool = False) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    size = 256 * 1024 if quick else 16 * MiB
    within = 30.0 if quick else 300.0
    res.notes.append(
        f"{size / MiB:g} MiB each way; payloads {XBEE_PAYLOAD} bytes per 0x44/0xCD (XBee, AP=1, "
        f"xbee3-lte-m), {ESWIFI_CHUNK} per S3/R0 (eS-WiFi, ism43362); random bytes, compared at the far end"
    )
    res.notes.append(
        "XBee: every 0x44 carries a frame ID and its 0x89 TX Status is read and checked; eS-WiFi: every S3 reply's "
        f"count is checked; '{PIPELINE} in flight' keeps {PIPELINE} commands outstanding (capacity, not a real host)"
    )

    repeats = 1 if quick else REPEATS
    res.notes.append(f"each path run {repeats} time(s) on a fresh emulator; the table shows the median transfer")
    xbee = median_run([xbee_path(size, within) for _ in range(repeats)])
    _rows(res, xbee, "XBee")
    for t in xbee.transfers:
        way = "peer -> host (0xCD)" if t.direction == "in" else "host -> peer (0x44)"
        res.goals.append(Goal(NAME, f"XBee {way} >= {GOAL_MBPS:g} MB/s", GOAL_MBPS, t.mbps, "MB/s"))

    missing = eswifi_missing()
    eswifi: PathRun | None = None
    if not missing:
        try:
            eswifi = median_run([eswifi_path(size, within, depth=1) for _ in range(repeats)])
            _rows(res, eswifi, "eS-WiFi")
            piped = median_run([eswifi_path(size, within, depth=PIPELINE) for _ in range(repeats)])
            _rows(res, piped, f"eS-WiFi {PIPELINE} in flight")
        except (BenchError, DriverError, OSError) as exc:
            missing = f"the eS-WiFi emulator is not working yet ({exc}); this part runs once it does"
            eswifi = None
    if eswifi is None:
        res.notes.append(missing)
        for way in ("peer -> host (R0)", "host -> peer (S3)"):
            res.goals.append(
                Goal(NAME, f"eS-WiFi {way} >= {GOAL_MBPS:g} MB/s", GOAL_MBPS, None, "MB/s", not_measured=missing)
            )
    else:
        for t in eswifi.transfers:
            way = "peer -> host (R0)" if t.direction == "in" else "host -> peer (S3)"
            res.goals.append(Goal(NAME, f"eS-WiFi {way} >= {GOAL_MBPS:g} MB/s", GOAL_MBPS, t.mbps, "MB/s"))
    if not quick:
        _explain_misses(res, size)
    return res


def _explain_misses(res: BenchResult, size: int) -> None:
    small = min(size, 4 * MiB)
    for family in ("XBee", "eS-WiFi"):
        missed = [g for g in res.goals if g.text.startswith(family + " ") and g.met is False]
        if not missed:
            continue
        if family == "XBee":
            _, text = profile_call(lambda: xbee_path(small, 120.0))
            limit = (
                "the emulator thread (asyncio callbacks, model, encode per 1500-byte frame) and the host's decode "
                "share one GIL; see the profile"
            )
        else:
            _, text = profile_call(lambda: eswifi_path(small, 120.0))
            per = [res.value(f"eS-WiFi {w} MB/s") for w in ("peer -> host", "host -> peer")]
            piped = [res.value(f"eS-WiFi {PIPELINE} in flight {w} MB/s") for w in ("peer -> host", "host -> peer")]
            rtt = [ESWIFI_CHUNK / (p * MB) * 1e6 for p in per]
            limit = (
                f"one command per {ESWIFI_CHUNK} bytes and one round trip each (host -> emulator thread -> host): "
                f"{fmt(rtt[0])} us per R0, {fmt(rtt[1])} us per S3; with {PIPELINE} commands in flight the same "
                f"path moves {fmt(piped[0])} / {fmt(piped[1])} MB/s, so the round trip, not the model, sets the rate"
            )
        for goal in missed:
            goal.profile = text
            goal.limit = limit
