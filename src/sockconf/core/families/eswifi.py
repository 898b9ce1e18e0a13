"""Inventek eS-WiFi (ISM43362) AT transport commands."""

from sockconf.core.family import Family

FAMILY = Family(
    name="eswifi",
    description="Inventek eS-WiFi (ISM43362) AT transport: TCP servers, single and multi-accept",
    default_profile="ism43362",
    suites="sockconf.suites.eswifi",
    model="sockconf.emulator.eswifi:Model",
    faults="sockconf.emulator.eswifi:FAULTS",
    states="sockconf.emulator.eswifi:STATES",
    variants="sockconf.emulator.eswifi:VARIANTS",
    host="sockconf.harness.eswifi:ESWiFiHost",
    vectors="sockconf.data.vectors.eswifi",
    probe="sockconf.protocol.eswifi.probe",
)
