"""Espressif ESP-AT's documented exchanges (esp-at docs, master b49e4b98), as bytes.

The documents print replies as text blocks; the bytes here follow the format examples' rule that a
final result is its word between CR-LFs (``\\r\\nOK\\r\\n``, 6 bytes; ``\\r\\nERROR\\r\\n``, 9 bytes), an
information line or report ends with CR-LF, and ``+IPD`` data carry no line end of their own. Cases
compare against these where a field does not depend on the run (addresses and ports do).
"""

from __future__ import annotations

from types import MappingProxyType

# at_msg_resp_fmt_ctrl_examples.rst: "enter \r\nOK\r\n$ (7 bytes in total ...)", "\r\nERROR\r\n (9 bytes in total)".
ESPAT_OK = b"\r\nOK\r\n"
ESPAT_ERROR = b"\r\nERROR\r\n"

# TCP-IP_AT_Examples.rst "TCP server in multiple connections" / "TCP client in single connection":
# (what the host sends, what the module answers) per step; the peer's data are "test".
ESPAT_SERVER_EXAMPLE = MappingProxyType(
    {
        "mux": (b"AT+CIPMUX=1\r\n", ESPAT_OK),
        "send": (b"AT+CIPSEND=0,4\r\n", b"\r\nOK\r\n\r\n>"),
        "data": (b"test", b"\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n"),
        "close": (b"AT+CIPCLOSE=0\r\n", b"0,CLOSED\r\n\r\nOK\r\n"),
    }
)
ESPAT_SERVER_IPD = b"+IPD,0,4:test"
ESPAT_CLIENT_IPD = b"+IPD,4:test"
ESPAT_UDP_IPD = b"+IPD,4,4:test"
ESPAT_PEER_DATA = b"test"
ESPAT_DEFAULT_SERVER_PORT = 333
# "Obtains socket data in passive receiving mode" (single connection).
ESPAT_PASSIVE_NOTICE = b"+IPD,4"
ESPAT_PASSIVE_RECVLEN = b"+CIPRECVLEN:4"
ESPAT_PASSIVE_RECVDATA = b"+CIPRECVDATA:4,test"
# Basic_AT_Commands.rst, AT+SYSLOG example: AT+FAKE with the error code prompt on.
ESPAT_SYSLOG_FAKE = (b"AT+FAKE\r\n", b"ERR CODE:0x01090000\r\n\r\nERROR\r\n")
ESPAT_ERR_UNSUPPORTED = "ERR CODE:0x01090000"
ESPAT_ERR_PROCESSING = "ERR CODE:0x010b0000"  # faq.rst, with busy p...
