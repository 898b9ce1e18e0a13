"""Inventek eS-WiFi (ISM43362) AT transport commands."""

from core.family import ROOT, Family

FAMILY = Family(
    name="eswifi",
    description="Inventek eS-WiFi (ISM43362) AT transport: TCP servers, single and multi-accept",
    default_profile="ism43362",
    suite_dir=ROOT / "suites" / "eswifi",
    profile_dir=ROOT / "fixtures" / "profiles",
    model="emulator.eswifi:Model",
    faults="emulator.eswifi:FAULTS",
    states="emulator.eswifi:STATES",
    variants="emulator.eswifi:VARIANTS",
    host="fixtures.eswifi:ESWiFiHost",
    vectors="fixtures.vectors.eswifi",
    probe="protocol.eswifi.probe",
)
