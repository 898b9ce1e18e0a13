"""One DUT's link for a run, its health, and the case setup rules every family shares.

A :class:`DutLink` is the driver of one DUT (one per lab entry, or per profile), shared by that DUT's
cases, with what the run has learnt about it: its address, its identity for the report, whether it
still answers, and the family's host side. :func:`prepare_case` runs a family's per-case setup under
the shared health rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from sockconf.core.record import PreflightCheck, inconclusive
from sockconf.core.trace import NOTE
from sockconf.drivers.base import Driver, LinkLost

__all__ = ["DutLink", "LinkLost", "note_link_state", "prepare_case"]
from sockconf.harness.expect import ConformanceFailure, NoAnswer
from sockconf.protocol.profile import Profile

if TYPE_CHECKING:
    from sockconf.harness.host import FamilyHost


@dataclass
class DutLink:
    """The driver of one DUT, shared by its cases, and what the run knows about the DUT."""

    driver: Driver
    profile: Profile
    silent: int = 0  # consecutive case setups the DUT did not complete
    why: str = "answered nothing"
    lost: str = ""  # why the link is gone, once it is
    host: str | None = None  # the DUT's network address for the peer, once known
    identity: dict[str, str] = field(default_factory=dict)  # profile, driver, firmware, ... for the report
    family_host: FamilyHost | None = None  # the family's session on this link, made at the first case
    answered_once: bool = False  # the DUT completed a case setup at least once on this link
    # A link that cannot be used before the DUT ever answered stops the run with one message (a bad
    # port, a server that hangs up); in a lab run it only ends that DUT's cases.
    stop_run_if_unusable: bool = True
    preflight: list[PreflightCheck] | None = None  # the readiness checks, once made (before the first case)
    not_ready: str = ""  # why the DUT is not ready to be tested (its failed preflight checks), if it is not
    name: str = ""  # the DUT's name (the lab file's, or the profile's without one)

    def dead_reason(self) -> str:
        if self.lost:
            return self.lost
        if self.silent >= 2:
            return f"the DUT {self.why} in {self.silent} case setups in a row"
        return ""


def prepare_case(link: DutLink, setup: Callable[[], None], hint: str) -> None:
    """Run a family's case setup (reset, identity, ...) with the shared health rules.

    A DUT that answers the setup wrongly gets one more try: the previous case may have left a frame or
    line half-read in its parser (a bad-input case, or a DUT bug that case just caught), and that must
    not cost the next case its verdict; the case's trace then says so. A DUT that answers nothing, or
    answers wrongly twice, makes the case INCONCLUSIVE (``hint`` says what to check); two such setups in
    a row end the run fast. The case's trace starts after the setup.
    """
    problem = ""
    first_try = ""
    try:
        try:
            setup()
        except ConformanceFailure as exc:
            if isinstance(exc, NoAnswer):
                raise  # silence: a second try would only wait out the deadline again
            first_try = " / ".join(line.strip() for line in str(exc).splitlines()[:3])
            setup()
    except (NoAnswer, LinkLost) as exc:
        note_link_state(link, exc, answered=False)
        problem = f"the DUT did not answer the case setup: {str(exc).splitlines()[0]}"
    except ConformanceFailure as exc:
        note_link_state(link, exc, answered=False, why="answered the case setup wrongly")
        problem = f"the case setup failed twice ({hint}):\n{exc}"
    if problem:
        inconclusive(problem)
    note_link_state(link, None, answered=True)
    link.driver.trace.restart()
    if first_try:
        link.driver.trace.record(NOTE, text=f"the case setup needed a second try; the first: {first_try}")


def unusable(link: DutLink, exc: LinkLost) -> None:
    """A link lost before the DUT ever answered: the port opened but cannot be used. One message for
    the run (exit status 4, as for a port that does not open), unless the run has other DUTs."""
    if not link.answered_once and link.stop_run_if_unusable:
        advice = link.driver.advice()
        pytest.exit(f"sockconf: {exc}" + (f"; {advice}" if advice else ""), returncode=4)


def note_link_state(link: DutLink, exc: BaseException | None, answered: bool, why: str = "answered nothing") -> None:
    """Track the DUT's health after a case setup: lost links and broken DUTs end the run fast."""
    if isinstance(exc, LinkLost):
        unusable(link, exc)
        link.lost = str(exc)
    link.answered_once = link.answered_once or answered
    link.silent = 0 if answered else link.silent + 1
    if not answered:
        link.why = why
