"""The ESP-AT family's harness: ``session`` (the AT session a case drives), ``preflight`` (is the
module ready to be tested) and ``host`` (what the pytest plugin asks of the family)."""

from sockconf.harness.espat.host import EspAtHost
from sockconf.harness.espat.session import EspAtSession, Response, describe_event, is_report

__all__ = ["EspAtHost", "EspAtSession", "Response", "describe_event", "is_report"]
