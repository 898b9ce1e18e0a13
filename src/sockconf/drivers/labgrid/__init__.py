"""The ``labgrid`` driver: a DUT in a labgrid lab, reached through a place (``--lg-place``).

``coordinator`` is the client session to labgrid's coordinator, ``place`` finds, acquires and
releases a place and reads its resources, ``lock`` keeps a place to one run and gives it back
however the run ends, and ``driver`` is the driver itself (serial I/O, power). labgrid itself is
imported only when the driver is used.
"""

from sockconf.drivers.labgrid.coordinator import coordinator_address, labgrid_missing
from sockconf.drivers.labgrid.driver import LabgridDriver, place_name

__all__ = ["LabgridDriver", "coordinator_address", "labgrid_missing", "place_name"]
