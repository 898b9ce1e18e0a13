"""The XBee conformant variants (``VARIANTS``): modules that chose differently where the documents are silent.

Each variant names the silent points it takes a non-default choice on (IDs of
``sockconf/data/silent/xbee.toml``) and makes that choice through the profile's settings or the hooks of
``XBeeFault``. No case may FAIL any of them (``sockconf report variants``).
"""

from __future__ import annotations

from dataclasses import replace

from sockconf.emulator.variants import VariantSpec, all_different
from sockconf.emulator.xbee.faults import XBeeFault
from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee.status import SocketListenStatus, TransmitStatusCode


class _Port0StatusError(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketListenResponse) and frame.status == SocketListenStatus.INVALID_PORT:
            return replace(frame, status=SocketListenStatus.ERROR)
        return super().frame_out(frame)


class _CloseAllNoReply(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketCloseResponse) and frame.socket_id == 0xFF:
            return None
        return super().frame_out(frame)


class _CloseAllReplyId00(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.SocketCloseResponse) and frame.socket_id == 0xFF:
            return replace(frame, socket_id=0x00)
        return super().frame_out(frame)


class _NotConnectedStatus20(XBeeFault):
    cooperative = True

    def frame_out(self, frame: fr.Frame) -> fr.Frame | None:
        if isinstance(frame, fr.TransmitStatus) and frame.status == TransmitStatusCode.SOCKET_NOT_CONNECTED:
            return replace(frame, status=TransmitStatusCode.CONNECTION_NOT_FOUND)
        return super().frame_out(frame)


FIRST_ID = "XBEE-SILENT-FIRST-SOCKET-ID"
RESET_STATUS = "XBEE-SILENT-RESET-MODEM-STATUS"
TLS_LIMIT = "XBEE-SILENT-TLS-SOCKET-LIMIT"
PORT0 = "XBEE-SILENT-LISTEN-PORT0-STATUS"
CLOSE_ALL = "XBEE-SILENT-CLOSE-ALL-REPLY"
NOT_CONNECTED = "XBEE-SILENT-SEND-ON-LISTENER"
TLS_LISTEN = "XBEE-SILENT-TLS-LISTEN-STATUS"
LISTENER_CLOSE = "XBEE-SILENT-LISTENER-CLOSE-CLIENTS"
CAT1_PRESENTATION = "XBEE-SILENT-CAT1-PRESENTATION"
SENDTO_UNBOUND = "XBEE-SILENT-UDP-SENDTO-UNBOUND"
SI_EMPTY = "XBEE-SILENT-SI-EMPTY-LIST"
NI_UNSET = "XBEE-SILENT-NI-UNSET"

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
    VariantSpec(
        "port0-status-error",
        "Bind/Listen on port 0 is answered 0xC6 02 (error), not 01 (invalid port)",
        {PORT0: "other-error"},
        hooks=(_Port0StatusError,),
    ),
    VariantSpec(
        "close-all-no-reply",
        "0x43 with socket ID FF closes every socket but sends no 0xC3",
        {CLOSE_ALL: "none"},
        hooks=(_CloseAllNoReply,),
    ),
    VariantSpec(
        "send-not-connected-status-20",
        "0x44 on a socket that is not connected answers 0x89 20 (connection not found), not 87",
        {NOT_CONNECTED: "other-error"},
        hooks=(_NotConnectedStatus20,),
    ),
)


# Choices on points where SINGLE already takes another non-default choice: all-different cannot take
# both, so these run on their own only.
ALTERNATIVE: tuple[VariantSpec, ...] = (
    VariantSpec(
        "socket-limits-cat1-figures",
        "LTE-M/NB-IoT firmware with the Cat 1 figures: 10 sockets, up to 6 of each protocol (the LTE-M profile: "
        "6, 4 TLS; a Cat 1 profile already has these)",
        # Conflicts with tls-sockets-unlimited ("total") on the same point.
        {TLS_LIMIT: "other"},
        overrides={"max_sockets": 10, "max_udp_sockets": 6, "max_tcp_sockets": 6, "max_tls_sockets": 6},
    ),
    VariantSpec(
        "port0-any-port",
        "Bind/Listen on port 0 binds or listens on a port the network stack picks and answers 0xC6 00",
        # Conflicts with port0-status-error ("other-error") on the same point.
        {PORT0: "accepted"},
        overrides={"listen_port_zero": "any-port"},
    ),
    VariantSpec(
        "close-all-reply-id-00",
        "0x43 with socket ID FF closes every socket and answers 0xC3 with socket ID 00 (status 00), not FF",
        # Conflicts with close-all-no-reply ("none") on the same point.
        {CLOSE_ALL: "other"},
        hooks=(_CloseAllReplyId00,),
    ),
)

# Non-default choices on points SINGLE leaves at their default: all-different takes them too.
MORE: tuple[VariantSpec, ...] = (
    VariantSpec(
        "tls-listen-status-86",
        "Bind/Listen on a TLS socket is answered 0xC6 86 (the TLS error code of 0xC0 and 0x89), not 02",
        {TLS_LISTEN: "other-error"},
        overrides={"tls_listen_status": 0x86},
    ),
    VariantSpec(
        "listener-close-closes-clients",
        "closing a listener (0x43) closes its accepted clients too: after the 0xC3, 0xCF 0B for each",
        {LISTENER_CLOSE: "closed"},
        overrides={"listener_closes_clients": True},
    ),
    VariantSpec(
        "cat1-presents-after-data",
        "Cat 1: a client's data goes out as 0xCD at once, its 0xCC follows 0.25 s later (within the indication "
        "deadline); a profile that presents on connect is unchanged",
        {CAT1_PRESENTATION: "later"},
        overrides={"present_delay": 0.25},
    ),
    VariantSpec(
        "sendto-unbound-sends",
        "0x45 on a UDP socket never bound is sent from a port the module picks and answered 0x89 00, not 88",
        {SENDTO_UNBOUND: "sends"},
        overrides={"sendto_unbound": "sends"},
    ),
    VariantSpec(
        "si-empty-list-empty",
        "SI with no socket open answers no value, not the list's closing CR",
        {SI_EMPTY: "empty"},
        overrides={"si_empty_list": "empty"},
    ),
    VariantSpec(
        "ni-unset-empty",
        "a module whose NI was never set answers NI with no value",
        {NI_UNSET: "empty"},
        overrides={"NI": ""},
    ),
)

VARIANTS: tuple[VariantSpec, ...] = (
    *SINGLE,
    *ALTERNATIVE,
    *MORE,
    all_different("all-different", "every non-default choice at once", (*SINGLE, *MORE)),
)
