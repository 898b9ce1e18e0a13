"""The XBee family's harness: ``session`` (the API-frame session a case drives), ``preflight`` (is the
module ready to be tested) and ``host`` (what the pytest plugin asks of the family)."""

from sockconf.harness.xbee.host import XBeeHost
from sockconf.harness.xbee.session import XBeeSession

__all__ = ["XBeeHost", "XBeeSession"]
