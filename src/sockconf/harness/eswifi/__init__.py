"""The eS-WiFi family's harness: ``session`` (the AT session a case drives), ``preflight`` (is the
module ready to be tested) and ``host`` (what the pytest plugin asks of the family)."""

from sockconf.harness.eswifi.host import ESWiFiHost
from sockconf.harness.eswifi.session import (
    AN_ERROR,
    LOST,
    LOST_WITH_OK,
    LOST_WITHOUT_OK,
    ESWiFiSession,
    first_difference,
    ok_with,
)

__all__ = [
    "AN_ERROR",
    "LOST",
    "LOST_WITHOUT_OK",
    "LOST_WITH_OK",
    "ESWiFiHost",
    "ESWiFiSession",
    "first_difference",
    "ok_with",
]
