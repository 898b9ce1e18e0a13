"""Digi XBee Cellular in API mode: Extended Socket frames."""

from core.family import ROOT, Family

FAMILY = Family(
    name="xbee",
    description="Digi XBee Cellular, API mode (AP=1 and AP=2), Extended Socket frames",
    default_profile="xbee3-lte-m",
    suite_dir=ROOT / "suites" / "xbee",
    profile_dir=ROOT / "fixtures" / "profiles",
    model="emulator.xbee:Model",
    faults="emulator.xbee:FAULTS",
    states="emulator.xbee:STATES",
    variants="emulator.xbee:VARIANTS",
    host="fixtures.xbee:XBeeHost",
    vectors="fixtures.vectors.xbee",
    probe="protocol.xbee.probe",
)
