"""Sans-IO codecs: bytes <-> typed frames (XBee API) and lines/replies (eS-WiFi AT).

No sockets, threads, clocks or serial ports here: one codec serves the suite, the drivers,
the emulator and the benchmarks.
"""
