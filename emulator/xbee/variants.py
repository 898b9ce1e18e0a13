"""The XBee conformant variants (``VARIANTS``): modules that chose differently where the documents are silent.

Each variant names the silent points it takes a non-default choice on (IDs of
``fixtures/silent/xbee.toml``) and makes that choice through the profile's settings or the hooks of
``XBeeFault``. No case may FAIL any of them (``python -m reports variants``).
"""

from __future__ import annotations

from emulator.variants import VariantSpec, all_different

FIRST_ID = "XBEE-SILENT-FIRST-SOCKET-ID"
RESET_STATUS = "XBEE-SILENT-RESET-MODEM-STATUS"
TLS_LIMIT = "XBEE-SILENT-TLS-SOCKET-LIMIT"

SINGLE: tuple[VariantSpec, ...] = (
    VariantSpec(
        "first-socket-id-1",
        "socket IDs are handed out from 01, not 00",
        {FIRST_ID: "one"},
        overrides={"first_socket_id": 1},
    ),
    VariantSpec(
        "reset-power-up",
        "after a software reset (FR) the first 0x8A is 00 (power up), not 01 (watchdog reset)",
        {RESET_STATUS: "power-up"},
        overrides={"reset_status": 0},
    ),
    VariantSpec(
        "tls-sockets-unlimited",
        "no per-protocol cap the profile marks UNCONFIRMED (e.g. '4 may be TLS'): every socket may be TLS",
        {TLS_LIMIT: "total"},
        overrides={"lift_unconfirmed_caps": True},
    ),
)

VARIANTS: tuple[VariantSpec, ...] = (
    *SINGLE,
    all_different("all-different", "every non-default choice at once", SINGLE),
)
