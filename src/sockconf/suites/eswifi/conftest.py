"""eS-WiFi fixtures: the family session (``sockconf.harness.eswifi.ESWiFiHost``), before the peer."""

from __future__ import annotations

import pytest

from sockconf.harness.eswifi import ESWiFiSession
from sockconf.harness.peer import Peer


@pytest.fixture
def eswifi(session: ESWiFiSession) -> ESWiFiSession:
    """A clean eS-WiFi session: P5=0 on every socket, socket 0 selected, nothing pending."""
    return session


@pytest.fixture
def peer(eswifi: ESWiFiSession, peer: Peer) -> Peer:
    """The plugin's peer, set up after the session (which may learn the module's address from C?)."""
    return peer
