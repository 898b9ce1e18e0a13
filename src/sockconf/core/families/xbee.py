"""Digi XBee Cellular in API mode: Extended Socket frames."""

from sockconf.core.family import Family

FAMILY = Family(
    name="xbee",
    description="Digi XBee Cellular, API mode (AP=1 and AP=2), Extended Socket frames",
    default_profile="xbee3-lte-m",
    suites="sockconf.suites.xbee",
    model="sockconf.emulator.xbee:Model",
    faults="sockconf.emulator.xbee:FAULTS",
    states="sockconf.emulator.xbee:STATES",
    variants="sockconf.emulator.xbee:VARIANTS",
    host="sockconf.harness.xbee:XBeeHost",
    vectors="sockconf.data.vectors.xbee",
    probe="sockconf.protocol.xbee.probe",
)
