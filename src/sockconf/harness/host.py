"""A family's host side: the session it speaks on a DUT link, its per-case setup and its identity.

Each family declares one :class:`FamilyHost` subclass (``Family.host``). The plugin makes one per DUT
link at that DUT's first case and runs :meth:`FamilyHost.setup` before every case under the shared
health rules (``sockconf.harness.link.prepare_case``); the suite's session fixture hands out ``session``.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import pytest

from sockconf.core.record import PreflightCheck, case_marker
from sockconf.harness.link import DutLink, prepare_case


class FamilyHost(abc.ABC):
    hint: ClassVar[str] = "wrong baud or module?"  # what to check when the case setup fails twice
    identified_by: ClassVar[str] = ""  # an identity key that, once known, means the module was identified
    address_query: ClassVar[str] = "its address query"  # the command that reports the DUT's address

    def __init__(self, link: DutLink) -> None:
        self.link = link
        self.session: Any = self.open_session()

    @abc.abstractmethod
    def open_session(self) -> Any:
        """The family's session object on ``self.link.driver``."""

    @abc.abstractmethod
    def reset(self, request: pytest.FixtureRequest) -> None:
        """Bring the DUT to the clean state every case starts from (the case's mode, nothing open)."""

    @abc.abstractmethod
    def dut_address(self) -> str | None:
        """Ask the DUT its own network address (None: it does not say)."""

    @abc.abstractmethod
    def identify(self) -> dict[str, str]:
        """The module's identity for the report; a refused query is reported as such, never failed."""

    def preflight(self) -> list[PreflightCheck]:
        """Whether the DUT is ready to be tested, checked once before its first case (none by default).

        Each check is bounded by a profile deadline; the shared ones (address, reachability) are in
        ``sockconf.harness.preflight``. A failed check makes every case of the DUT INCONCLUSIVE.
        """
        return []

    def begin_case(self, request: pytest.FixtureRequest) -> None:
        """Tell the session which case runs (its requirement text names failures)."""
        marker = case_marker(request.node)
        self.session.requirement = marker[1] if marker else ""

    def setup(self, request: pytest.FixtureRequest) -> None:
        """The per-case setup: reset, and the first time, the DUT's address and identity."""
        self.reset(request)
        link = self.link
        if link.host is None and link.driver.dut_host is None:
            link.host = self.dut_address()
            if link.host is None:
                # Every case that plays the peer needs it: stop once, before the first case, not case by case.
                pytest.exit(
                    f"sockconf: the DUT ({link.profile.name}) does not report its network address "
                    f"({self.address_query}); give it with --dut-host ADDR",
                    returncode=4,
                )
        if self.identified_by not in link.identity:
            link.identity.update(self.identify())


def family_host(link: DutLink, host_class: type[FamilyHost]) -> FamilyHost:
    """The family's host side on ``link``, made the first time it is asked for."""
    if link.family_host is None:
        link.family_host = host_class(link)
    return link.family_host


def case_session(request: pytest.FixtureRequest, link: DutLink, host_class: type[FamilyHost]) -> Any:
    """The family's session on ``link``, set up for the running case."""
    host = family_host(link, host_class)
    host.begin_case(request)
    prepare_case(link, lambda: host.setup(request), host.hint)
    return host.session
