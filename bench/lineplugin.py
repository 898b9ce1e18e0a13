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
import time
from typing import Any

import pytest

from bench.caseplugin import CasePlugin


class LineBytes(CasePlugin):
    def __init__(self, out: str | None) -> None:
        super().__init__(out)
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

    def new_case(self) -> dict[str, Any]:
        self.sent.clear()
        return {"wall": 0.0, "tx": 0, "rx": 0, "requests": 0, "latencies": []}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bench-lines", metavar="FILE", help="bench: write per-case line bytes (JSON) to FILE")


def pytest_configure(config: pytest.Config) -> None:
    plugin = LineBytes(config.getoption("bench_lines"))
    plugin.wrap()
    config.pluginmanager.register(plugin, "bench-line-bytes")
