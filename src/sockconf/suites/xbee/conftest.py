"""XBee fixtures: the family session (``sockconf.harness.xbee.XBeeHost``) and the API mode a case runs in."""

from __future__ import annotations

import pytest

from sockconf.harness.xbee import XBeeSession


@pytest.fixture(params=[pytest.param(1, id="AP1"), pytest.param(2, id="AP2")])
def api_mode(request: pytest.FixtureRequest) -> int:
    """The API mode a case runs in, both by default; a case narrows it with ``parametrize("api_mode", ...)``."""
    return int(request.param)


@pytest.fixture
def xbee(session: XBeeSession) -> XBeeSession:
    """A clean XBee session: every socket closed, the case's API mode set (``api_mode`` param)."""
    return session
