"""pytest plugin for the suite-overhead benchmark: where each case's wall time goes.

Loaded only on request (``pytest --pyargs sockconf.suites -p bench.waitplugin --bench-waits=FILE``). It wraps the
driver's ``read`` and the peer's waits to time them, and changes nothing they do: same arguments,
same results, same exceptions. Per case (setup, call and teardown together) it writes to FILE:

- ``wall``: the case's wall time, and ``setup``/``call``/``teardown``: pytest's duration of each
  phase; ``cpu``: CPU time of the thread running the case (the suite's own work; the in-process
  emulator runs in another thread);
- ``read_data`` / ``read_idle``: time in driver reads that returned bytes (waiting for the DUT's
  answer) / that reached their deadline with nothing (waiting with nothing arriving);
- ``peer_wait`` / ``peer_idle``: time in the peer's waits for bytes or a close / those that ended
  at their deadline with nothing.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import pytest

from bench.caseplugin import CasePlugin

FIELDS = (
    "wall",
    "cpu",
    "setup",
    "call",
    "teardown",
    "read_data",
    "read_idle",
    "reads",
    "idle_reads",
    "peer_wait",
    "peer_idle",
)


class WaitTimes(CasePlugin):
    """The plugin object: wraps the waits at configure, unwraps them and writes FILE at unconfigure."""

    indent = 1

    def __init__(self, out: str | None) -> None:
        super().__init__(out)
        self._cpu = 0.0
        self._originals: list[tuple[type, str, Any]] = []

    def add(self, key: str, value: float) -> None:
        if self.current is not None:
            self.current[key] += value

    # -- wrapping

    def wrap(self, cls: type, name: str, timed: Callable[[Any, float], None]) -> None:
        original = getattr(cls, name)
        self._originals.append((cls, name, original))

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            result = None
            try:
                result = original(*args, **kwargs)
                return result
            finally:
                timed(result, time.perf_counter() - start)

        setattr(cls, name, wrapper)

    def unwrap(self) -> None:
        for cls, name, original in reversed(self._originals):
            setattr(cls, name, original)
        self._originals.clear()

    def on_read(self, data: Any, spent: float) -> None:
        self.add("reads", 1)
        if data:
            self.add("read_data", spent)
        else:  # the deadline passed with nothing (or the read raised)
            self.add("read_idle", spent)
            self.add("idle_reads", 1)

    def on_peer_wait(self, result: Any, spent: float) -> None:
        self.add("peer_wait", spent)
        if result is None or result is False:  # recv_exactly raised, or wait_closed saw no close
            self.add("peer_idle", spent)

    # -- hooks

    def new_case(self) -> dict[str, Any]:
        self._cpu = time.thread_time()
        return dict.fromkeys(FIELDS, 0.0)

    def end_case(self, case: dict[str, Any]) -> None:
        case["cpu"] = time.thread_time() - self._cpu

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.current is not None and report.when in ("setup", "call", "teardown"):
            self.current[report.when] += report.duration


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bench-waits", metavar="FILE", help="bench: write per-case wait times (JSON) to FILE")


def pytest_configure(config: pytest.Config) -> None:
    from sockconf.drivers.base import Driver
    from sockconf.harness.peer import TcpClient

    plugin = WaitTimes(config.getoption("bench_waits"))
    plugin.wrap(Driver, "read", plugin.on_read)
    plugin.wrap(TcpClient, "recv_exactly", plugin.on_peer_wait)
    plugin.wrap(TcpClient, "wait_closed", plugin.on_peer_wait)
    config.pluginmanager.register(plugin, "bench-wait-times")
