"""The shared frame of the benchmark's pytest plugins: one record per case (setup, call and teardown
together), pytest's run loop timed as ``session``, and FILE written at unconfigure.

A subclass says what a new case's record holds (``new_case``), what it adds when the case ends
(``end_case``), and how to undo its wrapping (``unwrap``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest


class CasePlugin:
    indent: int | None = None  # of the JSON written to FILE

    def __init__(self, out: str | None) -> None:
        self.out = out
        self.cases: dict[str, dict[str, Any]] = {}
        self.current: dict[str, Any] | None = None
        self.session = 0.0

    def new_case(self) -> dict[str, Any]:
        raise NotImplementedError

    def end_case(self, case: dict[str, Any]) -> None:
        """The case has ended (its ``wall`` is set)."""

    def unwrap(self) -> None:
        """Undo what the plugin wrapped."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, None, None]:
        start = time.perf_counter()
        yield
        self.session = time.perf_counter() - start

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        case = self.current = self.new_case()
        start = time.perf_counter()
        try:
            yield
        finally:
            case["wall"] = time.perf_counter() - start
            self.end_case(case)
            self.cases[item.nodeid] = case
            self.current = None

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.unwrap()
        if self.out:
            Path(self.out).write_text(json.dumps({"session": self.session, "cases": self.cases}, indent=self.indent))
