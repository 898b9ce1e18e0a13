"""sockconf: a conformance suite for serial-attached socket modules.

Subpackages, by layer (``docs/architecture.md`` draws the import directions):
``core`` (the family contract, what a case records), ``data`` (profiles, requirements and seeds, the
registry of silent points, the documents' bytes), ``protocol`` (sans-IO codecs), ``emulator``,
``drivers``, ``harness`` (the pytest plugin that runs the cases against a DUT), ``suites`` (the cases),
``reports``; ``cli`` is the ``sockconf`` command.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sockconf")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
