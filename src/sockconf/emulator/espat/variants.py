"""The ESP-AT conformant variants (``VARIANTS``): modules that chose differently where the documents are silent.

Each variant names the silent points it takes a non-default choice on (IDs of ``data/silent/espat.toml``)
and makes that choice through the hooks of ``EspAtFault`` or the profile's settings. No case may FAIL
any of them (``sockconf report variants``).
"""

from __future__ import annotations

from sockconf.emulator.espat.faults import EspAtFault
from sockconf.emulator.variants import VariantSpec, all_different

# Silent point IDs.
ECHO_DEFAULT = "ESPAT-SILENT-ECHO-DEFAULT"
ECHO_FORM = "ESPAT-SILENT-ECHO-FORM"
BLANK = "ESPAT-SILENT-BLANK-BEFORE-OK"
PLACEMENT = "ESPAT-SILENT-URC-PLACEMENT"
LONG_LINE = "ESPAT-SILENT-LONG-LINE"
READY = "ESPAT-SILENT-READY-PRELUDE"
NO_AP = "ESPAT-SILENT-CWJAP-NOAP"
CIFSR = "ESPAT-SILENT-CIFSR-LINES"
MUX_SAME = "ESPAT-SILENT-CIPMUX-SAME-VALUE"
MAXCONN_DEFAULT = "ESPAT-SILENT-MAXCONN-DEFAULT"
CIPSTO_DEFAULT = "ESPAT-SILENT-CIPSTO-DEFAULT"
DINFO_DEFAULT = "ESPAT-SILENT-CIPDINFO-DEFAULT"
SERVER_ID = "ESPAT-SILENT-SERVER-LINK-ID"
STARTEX_ID = "ESPAT-SILENT-STARTEX-ID"
BEYOND = "ESPAT-SILENT-BEYOND-MAXCONN"
NOCHANGE = "ESPAT-SILENT-CIPSERVER-NOCHANGE"
SECOND = "ESPAT-SILENT-SECOND-SERVER"
IN_USE = "ESPAT-SILENT-CIPSTART-LINK-IN-USE"
REFUSED = "ESPAT-SILENT-CIPSTART-REFUSED"
PROMPT = "ESPAT-SILENT-PROMPT-FORM"
RECV = "ESPAT-SILENT-RECV-LINE"
SEND_OK = "ESPAT-SILENT-SENDOK-TIMING"
EXTRA = "ESPAT-SILENT-CIPSEND-EXTRA"
SENDEX = "ESPAT-SILENT-CIPSENDEX-COUNT"
DEAD = "ESPAT-SILENT-SEND-ON-DEAD-LINK"
IPD_FRAMING = "ESPAT-SILENT-IPD-FRAMING"
REPEAT = "ESPAT-SILENT-PASSIVE-IPD-REPEAT"
CLOSED_PLACE = "ESPAT-SILENT-PASSIVE-CLOSED-PLACE"
RECVLEN = "ESPAT-SILENT-RECVLEN-IDLE-FIELD"
RECVMODE = "ESPAT-SILENT-RECVMODE-NAME"
UDP_PASSIVE = "ESPAT-SILENT-UDP-PASSIVE-BOUNDARIES"
UNCONNECTED = "ESPAT-SILENT-CIPCLOSE-UNCONNECTED"
CLOSE_ALL = "ESPAT-SILENT-CLOSE-ALL-REPORT"
CIPSTATUS = "ESPAT-SILENT-CIPSTATUS"

# An ESP8266 logging its ROM boot text on the AT port: at 115200 baud the 74880-baud text is noise.
BOOT_NOISE = b"\xec\x12\x8e\x92\x10\x00\xfc\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\x8e\x00\xf2"


class _EchoOffAtReset(EspAtFault):
    def echo_at_reset(self) -> bool:
        return False


class _EchoAsReceived(EspAtFault):
    def echo(self, raw: bytes) -> bytes:
        return raw


class _EchoCrOnly(EspAtFault):
    def echo(self, raw: bytes) -> bytes:
        return raw[:-1]


class _NoBlank(EspAtFault):
    def blank_before_final(self) -> bool:
        return False


class _ReportsInsideReplies(EspAtFault):
    def defers_reports(self) -> bool:
        return False


class _LongLineBusy(EspAtFault):
    def long_line(self) -> str:
        return "busy"


class _ReadyLate(EspAtFault):
    def ready_delay(self, seconds: float) -> float:
        return 2.5


class _BootNoise(EspAtFault):
    def ready_prelude(self) -> bytes:
        return BOOT_NOISE


class _NoApOkOnly(EspAtFault):
    def no_ap_reply(self) -> str:
        return "ok-only"


class _NoApError(EspAtFault):
    def no_ap_reply(self) -> str:
        return "error"


class _CifsrAll(EspAtFault):
    def cifsr_all_lines(self) -> bool:
        return True


class _MuxSameRefused(EspAtFault):
    def cipmux_same_value(self) -> bool:
        return False


class _IdsDescending(EspAtFault):
    def server_link_id(self, free: list[int]) -> int:
        return free[-1]


class _IdsRotating(EspAtFault):
    def __init__(self) -> None:
        self.last = -1

    def server_link_id(self, free: list[int]) -> int:
        later = [i for i in free if i > self.last]
        self.last = (later or free)[0]
        return self.last


class _StartexHighest(EspAtFault):
    def startex_link_id(self, free: list[int]) -> int:
        return free[-1]


class _BeyondReport(EspAtFault):
    def beyond_maxconn(self) -> str:
        return "closed-with-report"


class _BeyondRefused(EspAtFault):
    def beyond_maxconn(self) -> str:
        return "refused"


class _BeyondPending(EspAtFault):
    def beyond_maxconn(self) -> str:
        return "pending"


class _NochangeOk(EspAtFault):
    def server_nochange(self) -> str:
        return "ok"


class _NochangeError(EspAtFault):
    def server_nochange(self) -> str:
        return "error"


class _SecondServerNoChange(EspAtFault):
    def second_server(self) -> str:
        return "no-change-ok"


class _AlreadyConnectted(EspAtFault):
    def link_in_use(self) -> str | None:
        return "ALREADY CONNECTTED"


class _AlreadyErrorOnly(EspAtFault):
    def link_in_use(self) -> str | None:
        return None


class _AlreadyConnect(EspAtFault):
    def link_in_use(self) -> str | None:
        return "ALREADY CONNECT"


class _RefusedClosed(EspAtFault):
    def refused_report(self, link: int | None) -> str | None:
        return "CLOSED" if link is None else f"{link},CLOSED"


class _RefusedConnectFail(EspAtFault):
    def refused_report(self, link: int | None) -> str | None:
        return "CONNECT FAIL" if link is None else f"{link},CONNECT FAIL"


class _PromptSpace(EspAtFault):
    def prompt(self) -> bytes:
        return b"\r\n> "


class _PromptLine(EspAtFault):
    def prompt(self) -> bytes:
        return b"\r\n>\r\n"


class _NoRecvLine(EspAtFault):
    def recv_line(self, count: int) -> bytes | None:
        return None


class _SendOkDelayed(EspAtFault):
    def send_ok_delay(self) -> float:
        return 0.5


class _ExtraPerLine(EspAtFault):
    def surplus(self) -> str:
        return "busy-per-line"


class _ExtraAsCommand(EspAtFault):
    def surplus(self) -> str:
        return "as-command"


class _SendexRaw(EspAtFault):
    def sendex_count(self, raw: int, payload: int) -> int:
        return raw


class _DeadLinkInvalid(EspAtFault):
    def dead_link_send(self) -> str:
        return "link-invalid"


class _DeadLinkSendFail(EspAtFault):
    def dead_link_send(self) -> str:
        return "prompt-then-fail"


class _DeadLinkSendOk(EspAtFault):
    def dead_link_send(self) -> str:
        return "send-ok"


class _IpdCrlfAfter(EspAtFault):
    def ipd_out(self, raw: bytes) -> bytes:
        return raw + b"\r\n"


class _IpdCrlfBoth(EspAtFault):
    def ipd_out(self, raw: bytes) -> bytes:
        return b"\r\n" + raw + b"\r\n"


class _IpdNoCrlf(EspAtFault):
    def ipd_out(self, raw: bytes) -> bytes:
        return raw


class _RepeatOnNewData(EspAtFault):
    def passive_repeat(self) -> str:
        return "on-new-data"


class _RepeatOnce(EspAtFault):
    def passive_repeat(self) -> str:
        return "once"


class _ClosedBeforeOk(EspAtFault):
    def passive_closed_before_ok(self) -> bool:
        return True


class _RecvlenZero(EspAtFault):
    def recvlen_idle(self) -> str:
        return "zero"


class _RecvlenEmpty(EspAtFault):
    def recvlen_idle(self) -> str:
        return "empty"


class _RecvModeRefused(EspAtFault):
    def accepts_old_recv_name(self) -> bool:
        return False


class _UdpPerDatagram(EspAtFault):
    def udp_passive_per_datagram(self) -> bool:
        return True


class _CloseLinkInvalid(EspAtFault):
    def close_unconnected(self) -> str:
        return "link-invalid"


class _CloseUnlink(EspAtFault):
    def close_unconnected(self) -> str:
        return "unlink"


class _CloseOk(EspAtFault):
    def close_unconnected(self) -> str:
        return "ok"


class _CloseAllOkOnly(EspAtFault):
    def close_all_report(self) -> str:
        return "ok-only"


class _CloseAllAfterOk(EspAtFault):
    def close_all_report(self) -> str:
        return "each-after-ok"


class _NoCipstatus(EspAtFault):
    def cipstatus(self) -> bool:
        return False


def _v(
    name: str, description: str, point: str, choice: str, hooks: type | None = None, **overrides: object
) -> VariantSpec:
    return VariantSpec(name, description, {point: choice}, (hooks,) if hooks else (), overrides)


SINGLE: tuple[VariantSpec, ...] = (
    _v(
        "echo-off-at-reset",
        "commands are not echoed after a restart (until ATE1)",
        ECHO_DEFAULT,
        "off",
        _EchoOffAtReset,
    ),
    _v(
        "echo-as-received",
        "the echo is the line exactly as received, <cmd>\\r\\n",
        ECHO_FORM,
        "as-received",
        _EchoAsReceived,
    ),
    _v("echo-cr-only", "the echo is the command and its CR, no LF", ECHO_FORM, "cr-only", _EchoCrOnly),
    _v(
        "ok-without-blank-line",
        "a final result after information lines has no blank line in front",
        BLANK,
        "no-blank",
        _NoBlank,
    ),
    _v(
        "reports-inside-replies",
        "reports that arise while a command runs come at once, between the command's own lines",
        PLACEMENT,
        "anywhere-line",
        _ReportsInsideReplies,
    ),
    _v(
        "long-line-busy", "a command line longer than 256 bytes is answered busy p...", LONG_LINE, "busy", _LongLineBusy
    ),
    _v("ready-late", "ready comes 2.5 s after AT+RST's OK", READY, "late", _ReadyLate),
    _v("ready-after-boot-noise", "boot-ROM noise precedes ready on the AT port", READY, "boot-noise", _BootNoise),
    _v("cwjap-query-ok-only", "AT+CWJAP? on a station not joined answers OK alone", NO_AP, "ok-only", _NoApOkOnly),
    _v("cwjap-query-error", "AT+CWJAP? on a station not joined answers ERROR", NO_AP, "error", _NoApError),
    _v(
        "cifsr-all-lines",
        "AT+CIFSR prints the softAP lines too, 0.0.0.0 while the softAP is off",
        CIFSR,
        "all",
        _CifsrAll,
    ),
    _v(
        "cipmux-set-refused-when-connected",
        "AT+CIPMUX=<the current mode> is refused while a link is open",
        MUX_SAME,
        "error",
        _MuxSameRefused,
    ),
    _v("maxconn-default-1", "AT+CIPSERVERMAXCONN is 1 after a restart", MAXCONN_DEFAULT, "other", maxconn_default=1),
    _v("cipsto-default-0", "AT+CIPSTO is 0 (never) after a restart", CIPSTO_DEFAULT, "0", cipsto_default=0),
    _v("cipsto-default-60", "AT+CIPSTO is 60 s after a restart", CIPSTO_DEFAULT, "other", cipsto_default=60),
    _v(
        "cipdinfo-default-on",
        "AT+CIPDINFO is 1 (+IPD shows the sender) after a restart",
        DINFO_DEFAULT,
        "true",
        cipdinfo_default=1,
    ),
    _v(
        "server-ids-descending",
        "an accepted client gets the highest free link ID",
        SERVER_ID,
        "highest-free",
        _IdsDescending,
    ),
    _v(
        "server-ids-rotating",
        "an accepted client gets the next free link ID after the last one given",
        SERVER_ID,
        "any-free",
        _IdsRotating,
    ),
    _v("startex-highest-id", "AT+CIPSTARTEX takes the highest free link ID", STARTEX_ID, "other-free", _StartexHighest),
    _v(
        "beyond-maxconn-report",
        "a client beyond the limit is closed and 'Have <n> Connections' printed",
        BEYOND,
        "closed-with-report",
        _BeyondReport,
    ),
    _v(
        "beyond-maxconn-refused",
        "at the limit the port refuses connections (RST) until a client leaves",
        BEYOND,
        "refused",
        _BeyondRefused,
    ),
    _v(
        "beyond-maxconn-pending",
        "a client beyond the limit waits, unreported, until a client leaves",
        BEYOND,
        "pending",
        _BeyondPending,
    ),
    _v("cipserver-nochange-ok", "AT+CIPSERVER with nothing to change answers OK alone", NOCHANGE, "ok", _NochangeOk),
    _v(
        "cipserver-nochange-error",
        "AT+CIPSERVER with nothing to change answers ERROR",
        NOCHANGE,
        "error",
        _NochangeError,
    ),
    _v(
        "second-server-no-change",
        "AT+CIPSERVER=1,<other port> while a server runs answers 'no change' and OK, the first server kept",
        SECOND,
        "no-change-ok",
        _SecondServerNoChange,
    ),
    _v(
        "already-connectted",
        "a link ID in use: ALREADY CONNECTTED (the v2.1 doc's spelling), ERROR",
        IN_USE,
        "typo",
        _AlreadyConnectted,
    ),
    _v("already-connected-error-only", "a link ID in use: ERROR alone", IN_USE, "error", _AlreadyErrorOnly),
    _v(
        "already-connect-nonos",
        "a link ID in use: ALREADY CONNECT (NONOS), ERROR",
        IN_USE,
        "already-connect",
        _AlreadyConnect,
    ),
    _v(
        "refused-closed-then-error",
        "a refused AT+CIPSTART prints <id>,CLOSED before ERROR",
        REFUSED,
        "closed-error",
        _RefusedClosed,
    ),
    _v(
        "refused-connect-fail",
        "a refused AT+CIPSTART prints <id>,CONNECT FAIL before ERROR (NONOS)",
        REFUSED,
        "connect-fail",
        _RefusedConnectFail,
    ),
    _v("prompt-with-space", "the send prompt is '> ' with a space (AT 1.x)", PROMPT, "crlf-gt-space", _PromptSpace),
    _v("prompt-as-line", "the send prompt is a whole line, >\\r\\n", PROMPT, "gt-line", _PromptLine),
    _v("no-recv-line", "no 'Recv <n> bytes' line: SEND OK follows the data alone", RECV, "absent", _NoRecvLine),
    _v("sendok-delayed", "SEND OK comes 0.5 s after the data", SEND_OK, "delayed", _SendOkDelayed),
    _v(
        "extra-busy-per-line",
        "each surplus line after a send's data is answered busy p...",
        EXTRA,
        "busy-per-line",
        _ExtraPerLine,
    ),
    _v(
        "extra-as-command",
        "surplus bytes after a send's data are read as command lines",
        EXTRA,
        "as-command",
        _ExtraAsCommand,
    ),
    _v(
        "sendex-count-raw",
        "Recv <n> bytes after AT+CIPSENDEX counts the bytes received, escapes and \\0 included",
        SENDEX,
        "raw",
        _SendexRaw,
    ),
    _v(
        "dead-link-link-invalid",
        "AT+CIPSEND on a link its peer closed: link is not valid, ERROR",
        DEAD,
        "link-invalid",
        _DeadLinkInvalid,
    ),
    _v(
        "dead-link-send-fail",
        "AT+CIPSEND on a link its peer closed: the prompt, then SEND FAIL after the data",
        DEAD,
        "prompt-then-fail",
        _DeadLinkSendFail,
    ),
    _v(
        "dead-link-send-ok",
        "AT+CIPSEND on a link its peer closed (passive data unread): the prompt, then SEND OK after the data",
        DEAD,
        "send-ok",
        _DeadLinkSendOk,
    ),
    _v(
        "ipd-crlf-after",
        "an active +IPD's data are followed by CR-LF, none in front",
        IPD_FRAMING,
        "crlf-after",
        _IpdCrlfAfter,
    ),
    _v("ipd-crlf-both", "an active +IPD has a CR-LF in front and after its data", IPD_FRAMING, "both", _IpdCrlfBoth),
    _v("ipd-no-crlf", "an active +IPD has no CR-LF before or after it", IPD_FRAMING, "none", _IpdNoCrlf),
    _v(
        "passive-ipd-new-data-only",
        "after a read that leaves data, +IPD comes only when new data arrive",
        REPEAT,
        "on-new-data",
        _RepeatOnNewData,
    ),
    _v(
        "passive-ipd-once",
        "after a read that leaves data, no +IPD until the buffer was emptied",
        REPEAT,
        "once",
        _RepeatOnce,
    ),
    _v(
        "passive-closed-before-ok",
        "<id>,CLOSED after the last read comes before that read's OK",
        CLOSED_PLACE,
        "before-ok",
        _ClosedBeforeOk,
    ),
    _v("recvlen-idle-zero", "AT+CIPRECVLEN? shows 0 for links that are not open", RECVLEN, "zero", _RecvlenZero),
    _v(
        "recvlen-idle-empty",
        "AT+CIPRECVLEN? shows empty fields for links that are not open (the document's example)",
        RECVLEN,
        "empty",
        _RecvlenEmpty,
    ),
    _v(
        "recvmode-name-refused",
        "AT+CIPRECVMODE is refused where the documents name AT+CIPRECVTYPE",
        RECVMODE,
        "refused",
        _RecvModeRefused,
    ),
    _v(
        "udp-passive-per-datagram",
        "a passive UDP link returns one datagram per AT+CIPRECVDATA",
        UDP_PASSIVE,
        "per-datagram",
        _UdpPerDatagram,
    ),
    _v(
        "close-unconnected-link-invalid",
        "AT+CIPCLOSE on a closed link: link is not valid, ERROR",
        UNCONNECTED,
        "link-invalid",
        _CloseLinkInvalid,
    ),
    _v(
        "close-unconnected-unlink",
        "AT+CIPCLOSE on a closed link: UNLINK, ERROR (NONOS)",
        UNCONNECTED,
        "unlink",
        _CloseUnlink,
    ),
    _v("close-unconnected-ok", "AT+CIPCLOSE on a closed link answers OK", UNCONNECTED, "ok", _CloseOk),
    _v(
        "close-all-ok-only",
        "AT+CIPCLOSE=5 and AT+CIPSERVER=0,1 answer OK with no CLOSED reports",
        CLOSE_ALL,
        "ok-only",
        _CloseAllOkOnly,
    ),
    _v(
        "close-all-reports-after-ok",
        "AT+CIPCLOSE=5 and AT+CIPSERVER=0,1 report each CLOSED after their OK",
        CLOSE_ALL,
        "each-after-ok",
        _CloseAllAfterOk,
    ),
    _v("no-cipstatus", "AT+CIPSTATUS (undocumented from v4.1) is answered ERROR", CIPSTATUS, "error", _NoCipstatus),
)

# Left out of all-different: each takes a second choice on a point where all-different takes another.
_NOT_IN_ALL_DIFFERENT = (
    "echo-cr-only",  # echo-as-received is taken
    "ready-after-boot-noise",  # ready-late is taken
    "cwjap-query-error",  # cwjap-query-ok-only is taken
    "cipsto-default-60",  # cipsto-default-0 is taken
    "server-ids-rotating",  # server-ids-descending is taken
    "beyond-maxconn-refused",  # beyond-maxconn-pending is taken
    "beyond-maxconn-report",  # (as above)
    "cipserver-nochange-error",  # cipserver-nochange-ok is taken
    "already-connected-error-only",  # already-connectted is taken
    "already-connect-nonos",  # (as above)
    "refused-connect-fail",  # refused-closed-then-error is taken
    "prompt-as-line",  # prompt-with-space is taken
    "extra-as-command",  # extra-busy-per-line is taken
    "dead-link-link-invalid",  # dead-link-send-fail is taken
    "dead-link-send-ok",  # (as above)
    "ipd-crlf-both",  # ipd-crlf-after is taken
    "ipd-no-crlf",  # (as above)
    "passive-ipd-once",  # passive-ipd-new-data-only is taken
    "recvlen-idle-zero",  # recvlen-idle-empty is taken
    "close-unconnected-link-invalid",  # close-unconnected-unlink is taken
    "close-unconnected-ok",  # (as above)
    "close-all-reports-after-ok",  # close-all-ok-only is taken
)

VARIANTS: tuple[VariantSpec, ...] = (
    *SINGLE,
    all_different(
        "all-different",
        "every non-default choice at once (of several on one point: the first listed in this module)",
        [v for v in SINGLE if v.name not in _NOT_IN_ALL_DIFFERENT],
    ),
)
