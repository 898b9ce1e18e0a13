"""Digi XBee Cellular's documented frames.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

from types import MappingProxyType

from sockconf.data.vectors import hexbytes

# Digi XBee Cellular, "Extended Socket example: TCP Listener" (seeds/000_1adb90a73b549106.txt).
XBEE_LISTENER = MappingProxyType(
    {
        "create": hexbytes("7E 00 03 40 01 01 BD"),
        "create_response": hexbytes("7E 00 04 C0 01 00 00 3E"),
        "listen": hexbytes("7E 00 05 46 01 00 27 11 80"),
        "listen_response": hexbytes("7E 00 04 C6 01 00 00 38"),
        "new_client": hexbytes("7E 00 09 CC 00 01 0A 0A 4A 9D 27 11 FF"),
        "receive": hexbytes("7E 00 10 CD 00 01 00 48 65 6C 6C 6F 20 58 42 65 65 21 0A 8E"),
        "connection_lost": hexbytes("7E 00 03 CF 01 07 28"),
    }
)
XBEE_LISTENER_PORT = 10001
XBEE_LISTENER_PAYLOAD = b"Hello XBee!\n"

# Digi's UDP example frames (spec §5, last paragraph).
XBEE_UDP_EXAMPLE = MappingProxyType(
    {
        "create_udp": hexbytes("7E 00 03 40 01 00 BE"),
        "bind": hexbytes("7E 00 05 46 01 00 12 34 72"),
        "tx_status_success": hexbytes("7E 00 03 89 01 00 75"),
        "close": hexbytes("7E 00 03 43 01 00 BB"),
        "close_response": hexbytes("7E 00 04 C3 01 00 00 3B"),
        "connection_lost_socket0": hexbytes("7E 00 03 CF 00 07 29"),
    }
)
