"""Benchmark 1: our XBee codec against the frame parser of Digi's Python library (``digi-xbee``).

The same mixed stream goes through both, interleaved round by round in one run: every 0xCD Socket
Receive payload size from 1 to 1500 bytes (random contents, so AP=2 has escapes to do) in shuffled
order, each followed by one of the seed's frames (``sockconf/data/vectors/``), in AP=1 and in AP=2.

Digi's side is what its library does with bytes from the UART: ``XBeeSerialPort.wait_for_frame``
splits (and, in AP=2, unescapes) the stream and ``packets.factory.build_frame`` makes the packet,
as ``reader.PacketListener`` does. Its port reads from memory here (no syscalls), the cheapest input
it can have. ``build_frame`` alone, given frames already split and unescaped, is reported too, to
show where Digi's time goes. Encoding is our ``encode`` against Digi's ``XBeePacket.output``.
Both decoders must find the same frames and both encoders must produce the same bytes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench.common import MB, UART_BYTES_PER_SECOND, BenchResult, Goal, fmt, median, profile_call
from sockconf.data.vectors.xbee import XBEE_LISTENER, XBEE_UDP_EXAMPLE
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.framing import Decoder, encode, frame_bytes

NAME = "codec"
TITLE = "Codec vs Digi's parser"
CHUNK = 1 << 16  # bytes per feed: what the drivers read at once
SEED = 6


@dataclass
class Stream:
    mode: int
    frames: list[fr.Frame]
    wire: bytes  # the whole stream in this API mode
    unescaped: list[bytes]  # each frame's AP=1 bytes (what Digi's build_frame takes)


def seed_frames() -> list[fr.Frame]:
    frames = []
    for vectors in (XBEE_LISTENER, XBEE_UDP_EXAMPLE):
        for raw in vectors.values():
            frames.append(fr.parse_frame_data(raw[3:-1]))
    return frames


def build_streams(quick: bool) -> list[Stream]:
    rng = random.Random(SEED)
    sizes = list(range(1, 1501, 99 if quick else 1))  # quick: 16 sizes, still every seed frame
    rng.shuffle(sizes)
    seeds = seed_frames()
    frames: list[fr.Frame] = []
    for i, n in enumerate(sizes):
        frames.append(fr.SocketReceive(0, 1 + i % 6, 0, rng.randbytes(n)))
        frames.append(seeds[i % len(seeds)])
    unescaped = [encode(f, 1) for f in frames]
    streams = []
    for mode in (1, 2):
        wire = b"".join(unescaped) if mode == 1 else b"".join(frame_bytes(r[3:-1], 2) for r in unescaped)
        streams.append(Stream(mode, frames, wire, unescaped))
    return streams


# --------------------------------------------------------------------------- our codec


def ours_decode(stream: Stream) -> list[Any]:
    decoder = Decoder(stream.mode)
    out: list[Any] = []
    wire = stream.wire
    for i in range(0, len(wire), CHUNK):
        out += decoder.feed(wire[i : i + CHUNK])
    return out


def ours_encode(stream: Stream) -> bytes:
    mode = stream.mode
    return b"".join([encode(f, mode) for f in stream.frames])


# --------------------------------------------------------------------------- Digi's library


class Digi:
    """Digi's parser and encoder, from the installed ``digi-xbee``."""

    def __init__(self) -> None:
        from digi.xbee.models.mode import OperatingMode
        from digi.xbee.packets import factory
        from digi.xbee.serial import XBeeSerialPort

        self.factory = factory
        self.modes = {1: OperatingMode.API_MODE, 2: OperatingMode.ESCAPED_API_MODE}

        class MemoryPort(XBeeSerialPort):  # type: ignore[misc]
            """Digi's serial port class with ``read`` served from memory (never opened)."""

            def __init__(self, data: bytes) -> None:
                super().__init__(921600, None)
                self._data = data
                self._pos = 0

            def read(self, size: int = 1) -> bytes:
                chunk = self._data[self._pos : self._pos + size]
                self._pos += len(chunk)
                return chunk

        self.port_class = MemoryPort

    def version(self) -> str:
        from importlib.metadata import version

        return version("digi-xbee")

    def decode(self, stream: Stream) -> list[Any]:
        """``wait_for_frame`` + ``build_frame`` over the whole stream, as Digi's packet listener does."""
        port = self.port_class(stream.wire)
        mode = self.modes[stream.mode]
        build = self.factory.build_frame
        out: list[Any] = []
        while True:
            raw = port.wait_for_frame(mode)
            if raw is None:
                return out
            out.append(build(raw, mode))

    def build_only(self, stream: Stream) -> list[Any]:
        """``build_frame`` alone on frames already split and unescaped (Digi's share without framing)."""
        mode = self.modes[stream.mode]
        build = self.factory.build_frame
        return [build(bytearray(raw), mode) for raw in stream.unescaped]

    def packets(self, stream: Stream) -> list[Any]:
        return self.build_only(stream)

    def encode(self, packets: list[Any], mode: int) -> bytes:
        escaped = mode == 2
        return b"".join([bytes(p.output(escaped=escaped)) for p in packets])


def load_digi() -> tuple[Digi | None, str]:
    try:
        return Digi(), ""
    except ImportError as exc:
        return None, f"digi-xbee is not installed ({exc}); install the bench extra: pip install -e '.[bench]'"


# --------------------------------------------------------------------------- checks


def same_frames(ours: list[Any], digi: list[Any], frames: list[fr.Frame]) -> bool:
    """Both decoders found every frame, of the right type, with the same 0xCD payloads."""
    if len(ours) != len(frames) or len(digi) != len(frames):
        return False
    for mine, theirs, sent in zip(ours, digi, frames, strict=True):
        if mine != sent or theirs.get_frame_type_value() != sent.FRAME_TYPE:
            return False
        if isinstance(sent, fr.SocketReceive) and bytes(theirs.payload or b"") != sent.payload:
            return False
    return True


# --------------------------------------------------------------------------- the run


def _time(fn: Callable[[], Any], min_seconds: float) -> tuple[float, Any]:
    """Seconds per call of ``fn``, repeating it until ``min_seconds`` have passed (at least once)."""
    calls = 0
    start = time.perf_counter()
    result = None
    while True:
        result = fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls, result


def run(quick: bool = False) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    streams = build_streams(quick)
    digi, why = load_digi()
    rounds = 1 if quick else 5
    min_seconds = 0.0 if quick else 0.25
    if digi is None:
        res.notes.append(why)
    else:
        res.notes.append(f"digi-xbee {digi.version()}")
    n_frames = len(streams[0].frames)
    res.notes.append(
        f"stream: {n_frames} frames per API mode ({n_frames // 2} 0xCD of 1..1500 bytes, each followed by a "
        f"seed frame); {len(streams[0].wire):,} bytes in AP=1, {len(streams[1].wire):,} in AP=2; "
        f"{rounds} interleaved round(s), median per operation"
    )

    # name -> seconds per pass, one entry per round
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for s in streams:
            m = s.mode
            digi_packets = digi.packets(s) if digi is not None else []
            ops: list[tuple[str, Callable[[], Any]]] = [
                (f"ours decode AP={m}", partial(ours_decode, s)),
                (f"ours encode AP={m}", partial(ours_encode, s)),
            ]
            if digi is not None:
                ops += [
                    (f"digi decode AP={m}", partial(digi.decode, s)),
                    (f"digi build_frame AP={m}", partial(digi.build_only, s)),
                    (f"digi encode AP={m}", partial(digi.encode, digi_packets, m)),
                ]
            results: dict[str, Any] = {}
            for name, fn in ops:
                # Digi's stream parser takes seconds per pass: once per round is plenty.
                per_call, results[name] = _time(fn, 0.0 if name.startswith("digi decode") else min_seconds)
                times.setdefault(name, []).append(per_call)
            decoded = results[f"ours decode AP={m}"]
            res.checks[f"ours decodes every frame AP={m}"] = decoded == s.frames
            res.checks[f"ours encode is the stream AP={m}"] = results[f"ours encode AP={m}"] == s.wire
            if digi is not None:
                res.checks[f"same frames as Digi AP={m}"] = same_frames(
                    decoded, results[f"digi decode AP={m}"], s.frames
                )
                res.checks[f"same bytes as Digi's encoder AP={m}"] = results[f"digi encode AP={m}"] == s.wire

    for s in streams:
        m = s.mode
        size = len(s.wire)
        for impl in ("ours", "digi"):
            for op in ("decode", "build_frame", "encode"):
                key = f"{impl} {op} AP={m}"
                if key not in times:
                    continue
                t = median(times[key])
                label = {"ours": "ours", "digi": "Digi"}[impl] + f" {op} AP={m}"
                res.row(f"{label} MB/s", size / t / MB, "MB/s")
                res.row(f"{label} frames/s", len(s.frames) / t, "frames/s")
        ours_dec = median(times[f"ours decode AP={m}"])
        ours_enc = median(times[f"ours encode AP={m}"])
        dec_rate = size / ours_dec
        enc_rate = size / ours_enc
        res.row(f"ours decode AP={m} x UART", dec_rate / UART_BYTES_PER_SECOND, "x 921600 baud")
        res.row(f"ours encode AP={m} x UART", enc_rate / UART_BYTES_PER_SECOND, "x 921600 baud")
        if digi is not None:
            res.row(f"decode AP={m}: ours / Digi", median(times[f"digi decode AP={m}"]) / ours_dec, "x")
            res.row(
                f"decode AP={m}: ours / Digi build_frame only",
                median(times[f"digi build_frame AP={m}"]) / ours_dec,
                "x",
            )
            res.row(f"encode AP={m}: ours / Digi", median(times[f"digi encode AP={m}"]) / ours_enc, "x")

    for s in streams:
        m = s.mode
        if digi is not None:
            ratio = res.value(f"decode AP={m}: ours / Digi")
            build_ratio = res.value(f"decode AP={m}: ours / Digi build_frame only")
            res.goals.append(
                Goal(
                    NAME,
                    f"decode >= 5x Digi's parser (AP={m})",
                    5.0,
                    ratio,
                    "x",
                    limit=(
                        f"Digi's stream parser reads byte by byte in Python; against its build_frame alone (frames "
                        f"handed to it split and unescaped, no framing work) ours is {fmt(build_ratio)}x"
                    ),
                )
            )
        else:
            res.goals.append(Goal(NAME, f"decode >= 5x Digi's parser (AP={m})", 5.0, None, "x", not_measured=why))
        for op in ("decode", "encode"):
            multiple = res.value(f"ours {op} AP={m} x UART")
            res.goals.append(
                Goal(
                    NAME,
                    f"{op} >= 1000x a 921600-baud UART (AP={m}, 92.2 MB/s)",
                    1000.0,
                    multiple,
                    "x UART",
                )
            )
    if not quick:
        _explain_misses(res, streams)
    return res


def _explain_misses(res: BenchResult, streams: list[Stream]) -> None:
    """A profile of our codec's hot path for each goal it misses."""
    by_mode = {s.mode: s for s in streams}
    for goal in res.goals:
        if goal.met is not False or "UART" not in goal.text:
            continue
        m = 1 if "AP=1" in goal.text else 2
        s = by_mode[m]
        if goal.text.startswith("decode"):
            _, goal.profile = profile_call(partial(_repeat, ours_decode, s))
            goal.limit = _decode_limit(s)
        else:
            _, goal.profile = profile_call(partial(_repeat, ours_encode, s))
            goal.limit = "per-frame Python work: the frame's to_data, the checksum sum() over its data, the framing"


def _repeat(fn: Callable[[Stream], object], s: Stream, times: int = 20) -> None:
    for _ in range(times):
        fn(s)


def _floor(fn: Callable[[bytes], object], datas: list[bytes], wire_bytes: int) -> float:
    """MB/s of the wire that ``fn`` alone manages when called once per frame (median of 5)."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for d in datas:
            fn(d)
        runs.append(time.perf_counter() - start)
    return wire_bytes / median(runs) / MB


def _decode_limit(s: Stream) -> str:
    """The two steps every decoded frame needs whatever the framing: the floor of a pure-Python decoder."""
    datas = [r[3:-1] for r in s.unescaped]
    checksum = _floor(sum, datas, len(s.wire))
    typed = _floor(fr.parse_frame_data, datas, len(s.wire))
    both = 1 / (1 / checksum + 1 / typed)
    return (
        f"two steps every frame needs, with no framing at all: summing its data for the checksum runs at "
        f"{fmt(checksum)} MB/s and building the typed frame (frames.py) at {fmt(typed)} MB/s on this machine, "
        f"together {fmt(both)} MB/s = {fmt(both * MB / UART_BYTES_PER_SECOND)}x UART; the rest is framing"
        + (" and unescaping" if s.mode == 2 else "")
    )
