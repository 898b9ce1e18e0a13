"""What every benchmark returns (rows, goals, checks), the machine it ran on, and profiling helpers.

A benchmark is a function ``run(quick: bool) -> BenchResult``. Numbers are measured, never asserted
against a time: a goal is a comparison the report states (met, or missed by how much and why).
"""

from __future__ import annotations

import cProfile
import datetime
import io
import os
import platform
import pstats
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent

# A 921600-baud UART with 8N1 framing moves 10 bits per byte: the fastest link a real module has.
UART_BYTES_PER_SECOND = 921600 / 10
MB = 1e6  # throughput is reported in MB/s (10^6 bytes), sizes in MiB
MiB = 1 << 20

T = TypeVar("T")


@dataclass
class Row:
    """One line of the results table."""

    bench: str
    what: str
    value: float  # an int for counts
    unit: str
    note: str = ""

    def shown(self) -> str:
        return f"{fmt(self.value)} {self.unit}".strip()


@dataclass
class Goal:
    """A speed target and what was measured against it."""

    bench: str
    text: str  # the goal in words, e.g. "decode >= 5x Digi's parser (AP=1)"
    target: float
    measured: float | None
    unit: str
    higher_is_better: bool = True
    limit: str = ""  # what limits it (said when the goal is missed, or worth saying anyway)
    profile: str = ""  # the hot path's profile, when the goal is missed
    not_measured: str = ""  # why nothing was measured (e.g. a family without an emulator yet)

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        if self.higher_is_better:
            return self.measured >= self.target
        return self.measured <= self.target

    def verdict(self) -> str:
        if self.measured is None:
            return f"not measured: {self.not_measured}" if self.not_measured else "not measured"
        if self.met:
            return "met"
        if self.higher_is_better:
            short = 1 - self.measured / self.target if self.target else 1.0
            return (
                f"missed by {short:.0%} ({fmt(self.measured)} {self.unit}, {fmt(self.target / self.measured)}x short)"
            )
        if not self.target:
            return f"missed: {fmt(self.measured)} {self.unit}"
        over = self.measured / self.target - 1
        return f"missed by {over:.0%} ({fmt(self.measured)} {self.unit} against {fmt(self.target)} {self.unit})"


@dataclass
class BenchResult:
    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    # Correctness checks that must hold whatever the speed (byte-identical transfers, same frames).
    checks: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time the benchmark itself took

    def row(self, what: str, value: float | int, unit: str, note: str = "") -> Row:
        r = Row(self.name, what, value, unit, note)
        self.rows.append(r)
        return r

    def value(self, what: str) -> float:
        """The value of the row named ``what`` (for tests and goals)."""
        for r in self.rows:
            if r.what == what:
                return r.value
        raise KeyError(f"{self.name}: no row {what!r}; rows: {[r.what for r in self.rows]}")


def fmt(value: float | int) -> str:
    """A number with about three significant digits, no exponent for everyday sizes; counts as counts."""
    if isinstance(value, int):
        return f"{value:,}"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if a >= 1:
        return f"{value:.2f}"
    if a == 0:
        return "0"
    return f"{value:.3g}"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0..100) by the nearest-rank method."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


class Stopwatch:
    """Wall time of a block: ``with Stopwatch() as sw: ...; sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


# --------------------------------------------------------------------------- machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine() -> dict[str, str]:
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count() or "?"),
        "cpu": cpu_model(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
    }


def rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; 0 where unknown)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the emulator wants a nonzero port to listen on)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- profiles


def _trim(path: str) -> str:
    for base in (str(ROOT) + os.sep, sys.prefix + os.sep, sys.base_prefix + os.sep):
        if path.startswith(base):
            return path[len(base) :]
    return path


def profile_text(stats: pstats.Stats, top: int = 12) -> str:
    """The ``top`` functions by own time, one line each: own s, cumulative s, calls, where."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    lines = [f"{'own s':>8} {'own %':>6} {'cum s':>8} {'calls':>9}  function"]
    for (filename, lineno, name), (_cc, nc, tt, ct, _callers) in sorted(
        raw.items(), key=lambda kv: kv[1][2], reverse=True
    )[:top]:
        where = name if filename == "~" else f"{_trim(filename)}:{lineno}({name})"
        lines.append(f"{tt:8.3f} {tt / total:6.1%} {ct:8.3f} {nc:9d}  {where}")
    return "\n".join(lines)


@contextmanager
def profiled_threads() -> Iterator[list[cProfile.Profile]]:
    """Profile this thread and every thread started inside the block (the in-process emulator's).

    Yields the list the profiles are collected in; after the block, ``merged(profiles)`` gives one
    ``pstats.Stats``. A new thread turns its own profiler on at its first profiled event.
    """
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_in_thread(frame: FrameType, event: str, arg: object) -> None:
        sys.setprofile(None)
        prof = cProfile.Profile()
        with lock:
            profiles.append(prof)
        prof.enable()

    main = cProfile.Profile()
    profiles.append(main)
    threading.setprofile(start_in_thread)
    main.enable()
    try:
        yield profiles
    finally:
        main.disable()
        threading.setprofile(None)


def merged(profiles: list[cProfile.Profile]) -> pstats.Stats:
    stats = pstats.Stats(profiles[0], stream=io.StringIO())
    for prof in profiles[1:]:
        try:
            stats.add(prof)
        except (TypeError, ValueError):  # a thread that never got to profile anything
            continue
    return stats


def profile_call(fn: Callable[[], T], top: int = 12) -> tuple[T, str]:
    """Run ``fn`` with every thread it starts profiled; its result and the top functions."""
    with profiled_threads() as profiles:
        result = fn()
    return result, profile_text(merged(profiles), top)


def suite_env() -> dict[str, str]:
    """The environment for a suite run in a subprocess: this checkout first on the import path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
