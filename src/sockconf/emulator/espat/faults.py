"""The ESP-AT fault hooks (``EspAtFault``) and the family's fault profiles (``PROFILES``).

``EspAtFault`` names the points where the model lets a fault or a conformant variant act: the echo,
the bytes of replies and reports, the send prompt and what follows the data, ``+IPD`` framing,
which link ID a client gets, what a refused or repeated command answers, passive-mode reporting,
and the timing of ``ready`` and ``SEND OK``. Its hooks are the default behaviour (the documents' or,
where they are silent, the registry's default choice, ``data/silent/espat.toml``); each profile
below overrides the hooks its bug needs.
"""

from __future__ import annotations

from sockconf.emulator.faults import FaultSpec
from sockconf.protocol.espat import CommandLine, final

# What an idle field of AT+CIPRECVLEN? shows (ESPAT-SILENT-RECVLEN-IDLE-FIELD), per choice.
RECVLEN_IDLE = {"empty": "", "zero": "0", "minus-one": "-1"}


class EspAtFault:
    """Hook points of the ESP-AT model; the defaults are the documented (or default-choice) behaviour."""

    # -- the line protocol

    def echo(self, raw: bytes) -> bytes:
        """The echo of a received command line (``raw`` with its CR-LF): the text, the CR, then CR-LF."""
        return raw[:-2] + b"\r\r\n"

    def echo_at_reset(self) -> bool:
        """Whether commands are echoed after a restart."""
        return True

    def echo_off(self, on: bool) -> bool:
        """The echo state ``ATE0``/``ATE1`` leaves (``on`` is what was asked)."""
        return on

    def reply_out(self, cmd: CommandLine | None, raw: bytes) -> bytes:
        """The wire bytes of a whole reply (information lines and final result) to ``cmd``."""
        return raw

    def blank_before_final(self) -> bool:
        """Whether the final result after information lines keeps its own leading CR-LF (a blank line)."""
        return True

    def report_out(self, raw: bytes) -> bytes | None:
        """A report (``<id>,CONNECT``, ``<id>,CLOSED``, ``+IPD``, ...) about to go out; None drops it."""
        return raw

    def defers_reports(self) -> bool:
        """Whether reports that arise while a command is in progress wait until its final result."""
        return True

    def long_line(self) -> str:
        """What a command line longer than 256 bytes gets: ``error`` or ``busy`` (busy p...)."""
        return "error"

    def busy_answer(self) -> bool:
        """Whether input that arrives while a command runs is answered ``busy p...`` (False: executed anyway)."""
        return True

    def errcode_line(self, code: int) -> bytes:
        """The ``ERR CODE:0x%08x`` line AT+SYSLOG=1 puts before ERROR."""
        return f"ERR CODE:0x{code:08x}\r\n".encode("ascii")

    # -- identity and restart

    def gmr_lines(self, lines: list[str]) -> list[str]:
        """The lines of AT+GMR's reply."""
        return lines

    def ready_delay(self, seconds: float) -> float:
        """How long after AT+RST's OK the module says ``ready`` (``seconds``: the profile's)."""
        return seconds

    def ready_prelude(self) -> bytes:
        """What the AT port carries before ``ready`` (boot noise on a module logging on it)."""
        return b""

    def says_ready(self) -> bool:
        return True

    def restart_settings(self) -> bool:
        """Whether AT+RST restores the settings a restart restores (CIPMUX, CIPDINFO, ...)."""
        return True

    # -- Wi-Fi station

    def no_ap_reply(self) -> str:
        """AT+CWJAP? on a station that has not joined: ``no-ap`` (No AP, OK), ``ok-only`` or ``error``."""
        return "no-ap"

    def cifsr_all_lines(self) -> bool:
        """Whether AT+CIFSR prints the softAP lines too when only the station interface is up."""
        return False

    # -- connections

    def cipmux_same_value(self) -> bool:
        """Whether AT+CIPMUX=<the current mode> is answered OK while a link is open."""
        return True

    def cipmux_guarded(self) -> bool:
        """Whether AT+CIPMUX refuses a change while links are open or a server runs."""
        return True

    def server_link_id(self, free: list[int]) -> int:
        """The link ID an accepted client gets (``free`` in ascending order, not empty)."""
        return free[0]

    def startex_link_id(self, free: list[int]) -> int:
        """The link ID AT+CIPSTARTEX assigns (``free`` in ascending order, not empty)."""
        return free[0]

    def reuses_open_link_id(self) -> bool:
        """Whether a new client may be given a link ID that is still open."""
        return False

    def beyond_maxconn(self) -> str:
        """A client beyond AT+CIPSERVERMAXCONN: ``closed``, ``closed-with-report``, ``refused`` or ``pending``."""
        return "closed"

    def maxconn_enforced(self) -> bool:
        return True

    def server_nochange(self) -> str:
        """AT+CIPSERVER=0 with no server, or =1 on the port already served: ``no-change-ok``, ``ok``, ``error``."""
        return "no-change-ok"

    def second_server(self) -> str:
        """AT+CIPSERVER=1,<other port> while a server runs: ``error`` or ``no-change-ok`` (``replace``: a bug)."""
        return "error"

    def server_needs_mux(self) -> bool:
        """Whether AT+CIPSERVER=1 is refused under AT+CIPMUX=0."""
        return True

    def server_stop_closes_clients(self, asked: bool) -> bool:
        """Whether AT+CIPSERVER=0 closes the clients (``asked``: its second parameter is 1)."""
        return asked

    def server_stop_closes_listener(self) -> bool:
        return True

    def cipsto_enforced(self) -> bool:
        return True

    def link_in_use(self) -> str | None:
        """The line AT+CIPSTART on a link ID in use prints before ERROR (None: ERROR alone)."""
        return "ALREADY CONNECTED"

    def refused_report(self, link: int | None) -> str | None:
        """The line before ERROR when AT+CIPSTART's connection fails (None: ERROR alone)."""
        return None

    def accepts_link_id(self, link: int) -> bool:
        """Whether AT+CIPSTART takes this link ID (0-4 are documented)."""
        return 0 <= link <= 4

    def connect_report(self, cmd_started: bool) -> bool:
        """Whether ``<id>,CONNECT`` is printed (for AT+CIPSTART when ``cmd_started``, else for a server client)."""
        return True

    def tetype(self, tetype: int) -> int:
        """What AT+CIPSTATE? shows as ``<tetype>`` (0 client, 1 server)."""
        return tetype

    def cipstatus(self) -> bool:
        """Whether AT+CIPSTATUS is still answered."""
        return True

    # -- sending

    def prompt(self) -> bytes:
        """The bytes after CIPSEND's OK that ask for the data: a blank line and ``>``."""
        return b"\r\n>"

    def send_limit(self, limit: int) -> int:
        """The largest <length> AT+CIPSEND takes (``limit``: the profile's)."""
        return limit

    def recv_line(self, count: int) -> bytes | None:
        """``Recv <n> bytes`` after the data (None: not printed)."""
        return f"\r\nRecv {count} bytes\r\n".encode("ascii")

    def sendex_count(self, raw: int, payload: int) -> int:
        """The ``<n>`` of ``Recv <n> bytes`` after AT+CIPSENDEX: the bytes sent (``payload``) or received (``raw``)."""
        return payload

    def sendex_escapes(self) -> bool:
        """Whether AT+CIPSENDEX's data takes ``\\<any>`` and ``\\0`` as escapes."""
        return True

    def sent_payload(self, payload: bytes) -> bytes | None:
        """What goes to the network for the data of a send (None: nothing)."""
        return payload

    def send_ok(self) -> bytes | None:
        """``SEND OK`` after the data went to the stack (None: not printed)."""
        return final("SEND OK")

    def send_ok_delay(self) -> float:
        """Seconds from the data to ``SEND OK``."""
        return 0.0

    def surplus(self) -> str:
        """Bytes beyond <length> that came with the data: ``busy-dropped``, ``busy-per-line`` or ``as-command``."""
        return "busy-dropped"

    def dead_link_send(self) -> str:
        """AT+CIPSEND on a link its peer closed (CLOSED not reported yet): ``error``, ``link-invalid``,
        ``prompt-then-fail`` or ``send-ok`` (the data go to the stack)."""
        return "error"

    # -- closing

    def close_unconnected(self) -> str:
        """AT+CIPCLOSE on a link that is not open: ``error``, ``link-invalid``, ``unlink`` or ``ok``."""
        return "error"

    def close_all_report(self) -> str:
        """Reports for AT+CIPCLOSE=5 and AT+CIPSERVER=0,1: ``each-before-ok``, ``ok-only``, ``each-after-ok``."""
        return "each-before-ok"

    def closes_connection(self) -> bool:
        """Whether AT+CIPCLOSE closes the TCP connection it reports CLOSED."""
        return True

    def close_all_skips_last(self) -> bool:
        return False

    def peer_close_reported(self) -> bool:
        """Whether a connection the peer closed is reported ``<id>,CLOSED``."""
        return True

    # -- receiving

    def ipd_chunk(self) -> int:
        """The most data bytes one active-mode ``+IPD`` carries."""
        return 2920

    def ipd_out(self, raw: bytes) -> bytes:
        """An active-mode ``+IPD,...:<data>`` with its line breaks: a CR-LF in front, nothing after."""
        return b"\r\n" + raw

    def ipd_length(self, length: int) -> int:
        """The ``<len>`` an active ``+IPD`` announces for ``length`` data bytes."""
        return length

    def ipd_link_in_single_mode(self) -> bool:
        """Whether ``+IPD`` names the link ID under AT+CIPMUX=0."""
        return False

    def dinfo_honoured(self) -> bool:
        return True

    def passive_repeat(self) -> str:
        """Passive ``+IPD`` after a read that leaves data: ``repeat-rest``, ``on-new-data`` or ``once``."""
        return "repeat-rest"

    def passive_notice_each_arrival(self) -> bool:
        """Whether every arrival is announced by ``+IPD`` even before the previous one was read."""
        return False

    def passive_closed_before_ok(self) -> bool:
        """Whether ``<id>,CLOSED`` after the last read comes before that read's OK."""
        return False

    def passive_keeps_data_on_close(self) -> bool:
        """Whether buffered data stay readable after the peer closed (and CLOSED waits for them)."""
        return True

    def recvdata_extra(self) -> int:
        """Bytes AT+CIPRECVDATA returns beyond the <len> asked."""
        return 0

    def recvdata_needs_passive(self) -> bool:
        """Whether AT+CIPRECVDATA on a link in active mode is refused (ERROR)."""
        return True

    def recvlen_idle(self) -> str:
        """An idle link's field of AT+CIPRECVLEN?: ``minus-one``, ``empty`` or ``zero``."""
        return "minus-one"

    def recvlen_shift(self) -> int:
        """How many places AT+CIPRECVLEN? shifts the fields (a bug: 0)."""
        return 0

    def accepts_old_recv_name(self) -> bool:
        """Whether AT+CIPRECVMODE is still taken where the profile's documents name AT+CIPRECVTYPE."""
        return True

    def udp_passive_per_datagram(self) -> bool:
        """Whether a passive UDP link keeps datagram boundaries (False: datagrams are joined)."""
        return False

    def udp_remote_mode(self, mode: int) -> int:
        """The AT+CIPSTART UDP ``<mode>`` the link behaves by."""
        return mode

    def udp_send_to_given(self) -> bool:
        """Whether AT+CIPSEND's <remote host>,<remote port> on a UDP link is where the datagram goes."""
        return True


class _EchoNeverOff(EspAtFault):
    def echo_off(self, on: bool) -> bool:
        return True


class _OkWithoutLeadingCrlf(EspAtFault):
    def reply_out(self, cmd: CommandLine | None, raw: bytes) -> bytes:
        if raw == b"\r\nOK\r\n":
            return b"OK\r\n"
        return raw


class _GmrThreeLines(EspAtFault):
    def gmr_lines(self, lines: list[str]) -> list[str]:
        return [x for x in lines if not x.startswith("Bin version:")]


class _NoReady(EspAtFault):
    def says_ready(self) -> bool:
        return False


class _RestartKeepsSettings(EspAtFault):
    def restart_settings(self) -> bool:
        return False


class _IpdLengthOffByOne(EspAtFault):
    def ipd_length(self, length: int) -> int:
        return length + 1


class _IpdTooLarge(EspAtFault):
    def ipd_chunk(self) -> int:
        return 4096


class _IpdLinkInSingleMode(EspAtFault):
    def ipd_link_in_single_mode(self) -> bool:
        return True


class _DinfoIgnored(EspAtFault):
    def dinfo_honoured(self) -> bool:
        return False


class _SendOkWithoutSending(EspAtFault):
    def sent_payload(self, payload: bytes) -> bytes | None:
        return None


class _SendOkMissing(EspAtFault):
    def send_ok(self) -> bytes | None:
        return None


class _RecvCountWrong(EspAtFault):
    def recv_line(self, count: int) -> bytes | None:
        return super().recv_line(count - 1)


class _SendOverLimit(EspAtFault):
    def send_limit(self, limit: int) -> int:
        return limit * 2


class _SendexEscapesIgnored(EspAtFault):
    def sendex_escapes(self) -> bool:
        return False


class _ClosedNeverAnnounced(EspAtFault):
    def peer_close_reported(self) -> bool:
        return False


class _CloseLeavesConnection(EspAtFault):
    def closes_connection(self) -> bool:
        return False


class _CloseAllSkipsLast(EspAtFault):
    def close_all_skips_last(self) -> bool:
        return True


class _LinkIdReused(EspAtFault):
    def reuses_open_link_id(self) -> bool:
        return True


class _ConnectNotReported(EspAtFault):
    def connect_report(self, cmd_started: bool) -> bool:
        return cmd_started


class _CipstartWithoutConnect(EspAtFault):
    def connect_report(self, cmd_started: bool) -> bool:
        return not cmd_started


class _LinkFiveAccepted(EspAtFault):
    def accepts_link_id(self, link: int) -> bool:
        return 0 <= link <= 5


class _MaxconnIgnored(EspAtFault):
    def maxconn_enforced(self) -> bool:
        return False


class _CipstoIgnored(EspAtFault):
    def cipsto_enforced(self) -> bool:
        return False


class _CipmuxUnguarded(EspAtFault):
    def cipmux_guarded(self) -> bool:
        return False


class _ServerWithoutMux(EspAtFault):
    def server_needs_mux(self) -> bool:
        return False


class _ServerStopClosesClients(EspAtFault):
    def server_stop_closes_clients(self, asked: bool) -> bool:
        return True


class _ServerStopKeepsListening(EspAtFault):
    def server_stop_closes_listener(self) -> bool:
        return False


class _SecondServerReplaces(EspAtFault):
    def second_server(self) -> str:
        return "replace"


class _TetypeSwapped(EspAtFault):
    def tetype(self, tetype: int) -> int:
        return 1 - tetype


class _BusyExecuted(EspAtFault):
    def busy_answer(self) -> bool:
        return False


class _SyslogSilent(EspAtFault):
    def errcode_line(self, code: int) -> bytes:
        return b""


class _PassiveNoticeEachArrival(EspAtFault):
    def passive_notice_each_arrival(self) -> bool:
        return True


class _PassiveDataLostOnClose(EspAtFault):
    def passive_keeps_data_on_close(self) -> bool:
        return False


class _RecvDataOverLen(EspAtFault):
    def recvdata_extra(self) -> int:
        return 1


class _RecvDataInActiveMode(EspAtFault):
    def recvdata_needs_passive(self) -> bool:
        return False


class _RecvLenShifted(EspAtFault):
    def recvlen_shift(self) -> int:
        return 1


class _UdpRemoteFollowsSender(EspAtFault):
    def udp_remote_mode(self, mode: int) -> int:
        return 2


class _UdpSendToIgnored(EspAtFault):
    def udp_send_to_given(self) -> bool:
        return False


PROFILES: tuple[FaultSpec[EspAtFault], ...] = (
    FaultSpec("echo-never-off", "ATE0 is answered OK but every command is still echoed", _EchoNeverOff),
    FaultSpec(
        "ok-without-leading-crlf", "a bare OK goes out as OK\\r\\n, without its leading CR-LF", _OkWithoutLeadingCrlf
    ),
    FaultSpec("gmr-without-bin-version", "AT+GMR prints three lines: no Bin version line", _GmrThreeLines),
    FaultSpec("no-ready-after-restart", "AT+RST restarts the module but it never says ready", _NoReady),
    FaultSpec(
        "restart-keeps-settings",
        "after AT+RST, AT+CIPMUX and the receive mode keep their old values",
        _RestartKeepsSettings,
    ),
    FaultSpec("ipd-length-off-by-one", "+IPD announces one byte more than the data it carries", _IpdLengthOffByOne),
    FaultSpec("ipd-over-2920", "one +IPD carries up to 4096 bytes, beyond the documented 2920", _IpdTooLarge),
    FaultSpec(
        "ipd-link-id-in-single-mode", "under AT+CIPMUX=0, +IPD still names link 0 (+IPD,0,<len>:)", _IpdLinkInSingleMode
    ),
    FaultSpec("dinfo-ignored", "AT+CIPDINFO=1 is answered OK but +IPD never shows the sender", _DinfoIgnored),
    FaultSpec(
        "send-ok-without-sending",
        "Recv and SEND OK are printed but the data never reach the peer",
        _SendOkWithoutSending,
    ),
    FaultSpec("send-ok-missing", "after the data, Recv <n> bytes comes but SEND OK never does", _SendOkMissing),
    FaultSpec("recv-count-off-by-one", "Recv <n> bytes names one byte less than the data received", _RecvCountWrong),
    FaultSpec("cipsend-over-limit-accepted", "AT+CIPSEND takes lengths beyond the documented maximum", _SendOverLimit),
    FaultSpec(
        "sendex-escapes-ignored",
        "AT+CIPSENDEX sends backslashes as they are and never ends on \\0",
        _SendexEscapesIgnored,
    ),
    FaultSpec(
        "closed-never-announced", "a connection the peer closed is never reported <id>,CLOSED", _ClosedNeverAnnounced
    ),
    FaultSpec(
        "cipclose-leaves-connection",
        "AT+CIPCLOSE reports CLOSED and OK but the TCP connection stays open",
        _CloseLeavesConnection,
    ),
    FaultSpec("close-all-leaves-last", "AT+CIPCLOSE=5 leaves the highest open link open", _CloseAllSkipsLast),
    FaultSpec("link-id-reused", "a new client gets link ID 0 even while link 0 is open", _LinkIdReused),
    FaultSpec(
        "connect-not-reported", "a client the server accepts is never reported <id>,CONNECT", _ConnectNotReported
    ),
    FaultSpec(
        "cipstart-without-connect", "AT+CIPSTART answers OK without the <id>,CONNECT line", _CipstartWithoutConnect
    ),
    FaultSpec("link-id-5-accepted", "AT+CIPSTART takes link ID 5 (only 0-4 are documented)", _LinkFiveAccepted),
    FaultSpec("maxconn-ignored", "the server accepts clients beyond AT+CIPSERVERMAXCONN", _MaxconnIgnored),
    FaultSpec("cipsto-ignored", "AT+CIPSTO is stored but idle clients are never closed", _CipstoIgnored),
    FaultSpec(
        "cipmux-changed-while-busy",
        "AT+CIPMUX changes the mode while links are open or a server runs",
        _CipmuxUnguarded,
    ),
    FaultSpec("server-without-cipmux", "AT+CIPSERVER=1 starts a server under AT+CIPMUX=0", _ServerWithoutMux),
    FaultSpec(
        "server-stop-closes-clients", "AT+CIPSERVER=0 closes the connected clients too", _ServerStopClosesClients
    ),
    FaultSpec(
        "server-stop-keeps-listening",
        "AT+CIPSERVER=0 answers OK but the port still accepts clients",
        _ServerStopKeepsListening,
    ),
    FaultSpec(
        "second-server-replaces-first", "AT+CIPSERVER=1,<other port> replaces the running server", _SecondServerReplaces
    ),
    FaultSpec(
        "cipstate-tetype-swapped",
        "AT+CIPSTATE? shows <tetype> 1 for client links and 0 for server links",
        _TetypeSwapped,
    ),
    FaultSpec(
        "busy-input-executed",
        "a command sent while another runs is executed instead of answered busy p...",
        _BusyExecuted,
    ),
    FaultSpec("syslog-without-errcode", "AT+SYSLOG=1 is answered OK but no ERR CODE line ever comes", _SyslogSilent),
    FaultSpec(
        "passive-ipd-each-arrival",
        "passive mode announces +IPD for every arrival, read or not",
        _PassiveNoticeEachArrival,
    ),
    FaultSpec(
        "passive-data-lost-on-close",
        "passive data not yet read is dropped when the peer closes",
        _PassiveDataLostOnClose,
    ),
    FaultSpec("recvdata-over-len", "AT+CIPRECVDATA returns one byte more than the <len> asked", _RecvDataOverLen),
    FaultSpec(
        "recvdata-in-active-mode", "AT+CIPRECVDATA in active mode answers OK instead of ERROR", _RecvDataInActiveMode
    ),
    FaultSpec(
        "recvlen-fields-shifted", "AT+CIPRECVLEN? shows each link's length one field to the right", _RecvLenShifted
    ),
    FaultSpec(
        "udp-remote-follows-sender",
        "a UDP link in <mode> 0 sends to the last sender instead of its remote",
        _UdpRemoteFollowsSender,
    ),
    FaultSpec("udp-send-to-ignored", "AT+CIPSEND's remote host and port on a UDP link are ignored", _UdpSendToIgnored),
)
