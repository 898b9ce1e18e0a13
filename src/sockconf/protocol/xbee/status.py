"""Status and code tables of the XBee Cellular API (spec §2 and §3), with the vendor's names.

Each table is an IntEnum; a decoder keeps an unknown value as a plain int (see ``coerce``),
because a conformance suite must be able to show a code the vendor never documented.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypeVar, cast

E = TypeVar("E", bound=IntEnum)


def coerce(table: type[E], value: int) -> E | int:
    """The table member for ``value``, or ``value`` itself when the table has no such code."""
    # The lookup ``table(value)`` starts with, without the call through the enum machinery (frames
    # are decoded at the rate of the stream); anything it does not find takes the full way.
    member = table._value2member_map_.get(value)
    if member is not None:
        return cast(E, member)
    try:
        return table(value)
    except ValueError:
        return value


def describe(value: int) -> str:
    """``"20 INVALID_SOCKET_ID"`` for a known code, ``"20"`` for an unknown one: the report's words."""
    if isinstance(value, IntEnum):
        return f"{int(value):02X} {value.name}"
    return f"{value:02X}"


class Protocol(IntEnum):
    """0x40 Socket Create protocol."""

    UDP = 0x00
    TCP = 0x01
    TLS = 0x04


class AddressType(IntEnum):
    """0x42 Socket Connect address type."""

    IPV4 = 0x00
    STRING = 0x01


class ATCommandStatus(IntEnum):
    """0x88 AT Command Response status."""

    OK = 0x00
    ERROR = 0x01
    INVALID_COMMAND = 0x02
    INVALID_PARAMETER = 0x03


class ModemStatusCode(IntEnum):
    """0x8A Modem Status."""

    POWER_UP = 0x00
    WATCHDOG_RESET = 0x01
    REGISTERED = 0x02
    UNREGISTERED = 0x03


class SocketCreateStatus(IntEnum):
    """0xC0 Socket Create Response status."""

    SUCCESS = 0x00
    NOT_REGISTERED = 0x22
    INTERNAL_ERROR = 0x31
    RESOURCE_ERROR = 0x32
    INVALID_PROTOCOL = 0x7B
    MODEM_UPDATE_IN_PROGRESS = 0x7E
    UNKNOWN_ERROR = 0x85
    INVALID_TLS_CONFIGURATION = 0x86


class SocketOptionStatus(IntEnum):
    """0xC1 Socket Option Response status."""

    SUCCESS = 0x00
    INVALID_PARAMETERS = 0x01
    FAILED_TO_READ_VALUE = 0x02
    BAD_SOCKET_ID = 0x20


class SocketConnectStatus(IntEnum):
    """0xC2 Socket Connect Response status."""

    CONNECT_STARTED = 0x00
    BAD_ADDRESS_TYPE = 0x01
    BAD_ADDRESS_OR_PORT = 0x02
    ALREADY_IN_PROGRESS = 0x03
    ALREADY_CONNECTED = 0x04
    UNKNOWN = 0x05
    INVALID_SOCKET_ID = 0x20


class SocketCloseStatus(IntEnum):
    """0xC3 Socket Close Response status."""

    SUCCESS = 0x00
    BAD_SOCKET_ID = 0x20


class SocketListenStatus(IntEnum):
    """0xC6 Socket Listen Response status."""

    SUCCESS = 0x00
    INVALID_PORT = 0x01
    ERROR = 0x02
    ALREADY_BOUND_OR_LISTENING = 0x03
    INVALID_SOCKET_ID = 0x20


class TransmitStatusCode(IntEnum):
    """0x89 TX Status (cellular)."""

    SUCCESS = 0x00
    CONNECTION_NOT_FOUND = 0x20
    FAILURE_TO_TRANSMIT_TO_CELL_NETWORK = 0x21
    NOT_REGISTERED = 0x22
    INVALID_FRAME_VALUES = 0x2C
    INTERNAL_ERROR = 0x31
    RESOURCE_ERROR = 0x32
    MESSAGE_TOO_LONG = 0x74
    SOCKET_CLOSED_UNEXPECTEDLY = 0x76
    INVALID_UDP_PORT = 0x78
    INVALID_TCP_PORT = 0x79
    INVALID_HOST_ADDRESS = 0x7A
    INVALID_DATA_MODE = 0x7B
    INVALID_INTERFACE = 0x7C
    INTERFACE_NOT_ACCEPTING_FRAMES = 0x7D
    MODEM_UPDATE_IN_PROGRESS = 0x7E
    CONNECTION_REFUSED = 0x80
    CONNECTION_LOST = 0x81
    NO_SERVER = 0x82
    SOCKET_CLOSED = 0x83
    UNKNOWN_SERVER = 0x84
    UNKNOWN_ERROR = 0x85
    INVALID_TLS_CONFIGURATION = 0x86
    SOCKET_NOT_CONNECTED = 0x87
    SOCKET_NOT_BOUND = 0x88
    TLS_AUTHENTICATION_ERROR = 0x8B


class SocketStatusCode(IntEnum):
    """0xCF Socket Status. Every value but CONNECTED is fatal: the socket ID is already freed."""

    CONNECTED = 0x00
    FAILED_DNS_LOOKUP = 0x01
    CONNECTION_REFUSED = 0x02
    TRANSPORT_CLOSED = 0x03
    TIMED_OUT = 0x04
    INTERNAL_ERROR = 0x05
    HOST_UNREACHABLE = 0x06
    CONNECTION_LOST = 0x07
    UNKNOWN_ERROR = 0x08
    UNKNOWN_SERVER = 0x09
    RESOURCE_ERROR = 0x0A
    LISTENER_CLOSED = 0x0B
    RST_CLOSE_BY_PEER = 0x0C
    CLOSED_BY_INACTIVITY_TIMEOUT = 0x0D
    PDP_CONTEXT_DEACTIVATED = 0x0E


class AssociationIndication(IntEnum):
    """``AI`` (association indication) of XBee Cellular: whether the module can reach the Internet.

    Codes and meanings as Digi documents them for XBee Cellular (the AT command reference of the
    user guides; the same table as ``CellularAssociationIndicationStatus`` in Digi's xbee-python).
    """

    CONNECTED = 0x00
    REGISTERING = 0x22
    CONNECTING = 0x23
    CELLULAR_COMPONENT_ERROR = 0x24
    REGISTRATION_DENIED = 0x25
    AIRPLANE_MODE = 0x2A
    USB_DIRECT = 0x2B
    PSM_LOW_POWER = 0x2C
    MODEM_SHUT_DOWN = 0x2D
    LOW_VOLTAGE_SHUT_DOWN = 0x2E
    BYPASS_MODE = 0x2F
    UPGRADE_IN_PROCESS = 0x30
    REGULATORY_TESTING = 0x31
    INITIALIZING = 0xFF


AI_MEANINGS: dict[int, tuple[str, str]] = {
    # code: (what it means, what the user can do about it)
    0x00: ("connected to the Internet", ""),
    0x22: (
        "registering to the cellular network",
        "wait longer (a larger [deadlines] registration), check the antenna, the signal (DB) and the SIM",
    ),
    0x23: (
        "connecting to the Internet (registered, no data connection yet)",
        "check the APN (AN) and the SIM's data plan, or wait longer (a larger [deadlines] registration)",
    ),
    0x24: (
        "the cellular component is missing, corrupt or in error (it needs a new firmware image)",
        "update the cellular component's firmware (XCTU)",
    ),
    0x25: ("cellular network registration was denied", "check the SIM, its carrier and the carrier profile (CP)"),
    0x2A: ("airplane mode is active", "turn airplane mode off (ATAM0)"),
    0x2B: ("USB direct mode is active", "leave USB direct mode"),
    0x2C: ("the cellular component is in the PSM low-power state", "wake the module or turn PSM off"),
    0x2D: ("the modem is shut down", "power-cycle the module"),
    0x2E: ("low-voltage shutdown", "check the supply voltage"),
    0x2F: ("bypass mode is active", "leave bypass mode (AP must be 1 or 2)"),
    0x30: ("an upgrade is in process", "wait until the upgrade has finished"),
    0x31: ("regulatory testing is enabled", "turn regulatory testing off"),
    0xFF: ("initializing", "wait longer (a larger [deadlines] registration)"),
}
