"""ESP-AT fixtures: the family session (``harness.espat.EspAtHost``), before the peer."""

from __future__ import annotations

import pytest

from sockconf.harness.espat import EspAtSession
from sockconf.harness.peer import Peer


@pytest.fixture
def espat(session: EspAtSession) -> EspAtSession:
    """A clean ESP-AT session: echo off, no server, no link, AT+CIPMUX=1, nothing pending."""
    return session


@pytest.fixture
def peer(espat: EspAtSession, peer: Peer) -> Peer:
    """The plugin's peer, set up after the session (which may learn the module's address from AT+CIPSTA?)."""
    return peer
