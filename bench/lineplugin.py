"""pytest plugin for the paced benchmark: the bytes each case put on the line, from the driver's trace.

Loaded only on request (``-p bench.lineplugin --bench-lines=FILE``). It wraps ``Trace.record`` and
changes nothing it does. Per case (setup, call and teardown together) it writes to FILE:

- ``wall``: the case's wall time;
- ``tx`` / ``rx``: bytes written to the DUT / read from it (the trace's TX and RX entries);
- ``requests``: writes to the DUT (each a command, a frame or a piece of bad input);
- ``latencies``: for each write followed by bytes from the DUT, the seconds from the write to the
  first of them (unpaced, that is the DUT's reply latency).

and ``session``: pytest's run loop (every case, setup and teardown included).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest


class LineBytes:
    def __init__(self, out: str | None) -> None:
        self.out = out
        self.cases: dict[str, dict[str, Any]] = {}
        self.current: dict[str, Any] | None = None
        self.session = 0.0
        self.sent: dict[int, float] = {}  # trace -> time of its last write not yet answered
        self._original: Any = None

    def wrap(self) -> None:
        from sockconf.core.trace import RX, TX, Trace

        original = self._original = Trace.record
        plugin = self

        @functools.wraps(original)
        def record(trace: Any, direction: str, data: bytes = b"", text: str = "") -> None:
            original(trace, direction, data, text)
            case = plugin.current
            if case is None or not data:
                return
            if direction == TX:
                case["tx"] += len(data)
                case["requests"] += 1
                plugin.sent[id(trace)] = time.monotonic()
            elif direction == RX:
                case["rx"] += len(data)
                sent = plugin.sent.pop(id(trace), None)
                if sent is not None:
                    case["latencies"].append(time.monotonic() - sent)

        Trace.record = record  # type: ignore[method-assign]

    def unwrap(self) -> None:
        if self._original is not None:
            from sockconf.core.trace import Trace

            Trace.record = self._original  # type: ignore[method-assign]
            self._original = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, None, None]:
        start = time.perf_counter()
        yield
        self.session = time.perf_counter() - start

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        case = self.current = {"wall": 0.0, "tx": 0, "rx": 0, "requests": 0, "latencies": []}
        self.sent.clear()
        start = time.perf_counter()
        try:
            yield
        finally:
            case["wall"] = time.perf_counter() - start
            self.cases[item.nodeid] = case
            self.current = None

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.unwrap()
        if self.out:
            Path(self.out).write_text(json.dumps({"session": self.session, "cases": self.cases}))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bench-lines", metavar="FILE", help="bench: write per-case line bytes (JSON) to FILE")


def pytest_configure(config: pytest.Config) -> None:
    plugin = LineBytes(config.getoption("bench_lines"))
    plugin.wrap()
    config.pluginmanager.register(plugin, "bench-line-bytes")
