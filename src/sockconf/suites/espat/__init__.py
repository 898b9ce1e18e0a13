"""Conformance cases of the ESP-AT family (Espressif ESP-AT TCP/IP AT commands)."""
