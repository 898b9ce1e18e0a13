"""Espressif ESP-AT firmware (ESP32, ESP8266): TCP/IP AT commands."""

from sockconf.core.family import Family

FAMILY = Family(
    name="espat",
    description="Espressif ESP-AT TCP/IP AT commands: TCP server and client, UDP, active and passive receive",
    default_profile="esp32-at",
    suites="sockconf.suites.espat",
    model="sockconf.emulator.espat:Model",
    faults="sockconf.emulator.espat:FAULTS",
    states="sockconf.emulator.espat:STATES",
    variants="sockconf.emulator.espat:VARIANTS",
    host="sockconf.harness.espat:EspAtHost",
    vectors="sockconf.data.vectors.espat",
    probe="sockconf.protocol.espat.probe",
)
