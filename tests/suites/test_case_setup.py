"""The shared case-setup rules (fixtures.link.prepare_case), with a stand-in DUT: one more try for a
setup answered wrongly, none for silence, and the DUT's health counted for the fast end of a run."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from core.record import InconclusiveCase
from core.trace import NOTE, Trace
from fixtures.expect import ConformanceFailure, NoAnswer
from fixtures.link import DutLink, prepare_case


class Setup:
    """A case setup that raises the given outcomes in turn (None: it completes)."""

    def __init__(self, *outcomes: BaseException | None) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> None:
        outcome = self.outcomes[self.calls]
        self.calls += 1
        if outcome is not None:
            raise outcome


def link() -> tuple[DutLink, Any]:
    driver = SimpleNamespace(trace=Trace())
    return DutLink(driver=driver, profile=None), driver  # type: ignore[arg-type]


WRONG = ConformanceFailure("before each case, Socket Close 0xFF is answered", ["0xC3"], ["0x88"], ["wrong frame"])
SILENT = NoAnswer("before each case, Socket Close 0xFF is answered", ["0xC3"], ["nothing"], ["no frame"])


def test_a_setup_answered_wrongly_once_is_tried_again_and_the_trace_says_so():
    dut_link, driver = link()
    setup = Setup(WRONG, None)
    prepare_case(dut_link, setup, "hint")
    assert setup.calls == 2
    assert dut_link.silent == 0
    (entry,) = driver.trace.entries
    assert entry.direction == NOTE and "second try" in entry.text and "Socket Close 0xFF" in entry.text


def test_a_setup_answered_wrongly_twice_is_inconclusive():
    dut_link, _ = link()
    setup = Setup(WRONG, WRONG)
    with pytest.raises(InconclusiveCase, match="INCONCLUSIVE: the case setup failed twice"):
        prepare_case(dut_link, setup, "wrong API mode?")
    assert setup.calls == 2
    assert dut_link.silent == 1 and dut_link.why == "answered the case setup wrongly"


def test_a_silent_dut_is_not_asked_twice():
    dut_link, _ = link()
    setup = Setup(SILENT, None)
    with pytest.raises(InconclusiveCase, match="INCONCLUSIVE: the DUT did not answer the case setup"):
        prepare_case(dut_link, setup, "hint")
    assert setup.calls == 1  # every try would wait out the deadline again
    assert dut_link.silent == 1


def test_a_clean_setup_runs_once_and_leaves_an_empty_trace():
    dut_link, driver = link()
    driver.trace.record(NOTE, text="from the setup")
    setup = Setup(None)
    prepare_case(dut_link, setup, "hint")
    assert setup.calls == 1 and driver.trace.entries == [] and dut_link.silent == 0
