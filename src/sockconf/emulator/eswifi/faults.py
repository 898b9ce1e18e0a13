"""The eS-WiFi fault hooks (``ESWiFiFault``) and the family's fault profiles (``PROFILES``).

``ESWiFiFault`` names the points where the model lets a fault act: the replies and unprompted
messages, what ``R0`` takes from a client, the ``S3`` limits and count, how a server moves to its
next client or stops, how the command parser recovers from errors and over-long lines, and how long
an ``S3`` payload is waited for. Its hooks are the documented behaviour; each profile overrides the
hooks its bug needs, or only the profile settings (``FaultSpec.overrides``).
"""

from __future__ import annotations

import sys
from collections import deque
from typing import TYPE_CHECKING

from sockconf.emulator.faults import FaultSpec
from sockconf.protocol.eswifi import ACCEPTED_PREFIX, MAX_S3_COUNT, TERMINATOR, BadLine, Command, error_reply, ok_reply
from sockconf.protocol.eswifi.commands import MAX_LINE

if TYPE_CHECKING:
    # Only for annotations: the model imports this module for its hook base.
    from sockconf.emulator.eswifi.sockets import Client


class ESWiFiFault:
    """Hook points of the eS-WiFi model; the defaults are the documented behaviour."""

    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        """The wire bytes of the reply to ``cmd`` (None: a line that was not a command)."""
        return raw

    def message_out(self, text: str) -> str | None:
        """An unprompted message about to be sent; None drops it."""
        return text

    def message_bytes(self, raw: bytes) -> bytes:
        """The wire bytes of an unprompted message written between replies (``raw``: the line and its CR LF)."""
        return raw

    def message_delivery(self, mode: str) -> str:
        """How a message reaches the host: ``unprompted`` (written between replies) or ``mr`` (held for
        ``MR``); ``mode`` is the profile's."""
        return mode

    def accepted_address(self, host: str, port: int) -> tuple[str, int]:
        """The address and port the Accepted message shows for a client (``port``: the profile's choice)."""
        return host, port

    def power_on_bytes(self, cursor: bytes, spi: bool) -> bytes:
        """What the module writes when it powers on (``cursor``: the bus's cursor)."""
        return cursor

    def identity_fields(self, fields: list[str]) -> list[str]:
        """The comma-separated fields ``I?`` answers (``fields``: the profile's identity)."""
        return fields

    def take(self, client: Client, limit: int) -> bytes | None:
        """``R0`` on the current client: up to ``limit`` buffered bytes, or None for ``-1``."""
        if client.buffer:
            data = bytes(client.buffer[:limit])
            del client.buffer[:limit]
            return data
        return b"" if client.connected else None

    def s3_limit(self, limit: int) -> int:
        """The largest S3 count the module accepts."""
        return limit

    def s3_count(self, written: int) -> int:
        """The count ``S3`` answers after writing ``written`` bytes."""
        return written

    def s3_sent(self, payload: bytes) -> bytes:
        """The bytes ``S3`` sends to a server's client, given the payload that followed ``S3=<n>\\r``."""
        return payload

    def next_client(self, queue: deque[Client]) -> Client:
        """The pending client ``P5=10`` makes current (the queue is not empty)."""
        return queue.popleft()

    def closes_current_on_next(self) -> bool:
        """Whether ``P5=10`` closes the current client's connection."""
        return True

    def announces_waiting(self) -> bool:
        """Whether a client that must wait its turn (another is being served) is announced as it connects."""
        return False

    def kill_closes_listener(self) -> bool:
        """Whether ``P5=0`` closes the listening socket."""
        return True

    def ignored_after_error(self) -> int:
        """How many commands after an error reply the module ignores."""
        return 0

    def ignored_after_bad_line(self, bad: BadLine) -> int:
        """How many events after ``bad`` (a line that is not a command, already answered) the module ignores."""
        return 0

    def sends_cut_short_payload(self) -> bool:
        """Whether an S3 payload cut short is written as far as it came (answered with its count) at the timeout."""
        return False

    def answers_cut_short_payload(self) -> bool:
        """Whether an S3 payload cut short is answered at all at the timeout (False: dropped in silence)."""
        return True

    def s3_payload_timeout(self, timeout: float) -> float | None:
        """How long an incomplete S3 payload is waited for; None: for ever (later commands become payload)."""
        return timeout

    def refused_s3_rest(self, payload: bytes) -> bytes:
        """The bytes after a refused ``S3=<n>`` header the module reads as command lines (none: it took
        them as payload and dropped them)."""
        return b""

    def accepted_before_reply(self) -> bool:
        """Whether ``P5=10`` announces the next client (Accepted) before its own reply instead of after it."""
        return False

    def accepted_in_reply(self) -> bool:
        """Whether a UART module writes the next client's Accepted line inside the reply that made it current
        (between the reply's data and its OK) instead of after the reply."""
        return False

    def beyond_backlog(self) -> str:
        """What a client beyond the ``P8`` backlog gets: ``closed`` (at once), ``pending`` (left unanswered),
        ``served`` (it waits its turn like the others) or ``refused`` (its SYN is not answered)."""
        return "closed"

    def keepalive_ms(self, period: int) -> int:
        """The keep-alive idle time and interval, in ms, of ``PK=1,<period>`` (the period read as ms)."""
        return period

    def lost_without_client(self) -> bool:
        """Whether ``R0`` on a server with no client yet answers ``-1`` (not empty data)."""
        return False

    # -- the transport beyond the servers: TCP client, UDP, S0/S1, R2, several sockets

    def connect_port(self, port: int) -> int:
        """The remote port ``P6=1`` connects to, given ``P4``."""
        return port

    def client_close_closes(self) -> bool:
        """Whether ``P6=0`` closes the client's TCP connection."""
        return True

    def read_socket(self, selected: int, last_received: int | None) -> int:
        """Which socket ``R0`` reads: the selected one (``last_received``: the socket that last got data)."""
        return selected

    def udp_take(self, queue: deque[tuple[str, int, bytes]], limit: int, split: bool) -> tuple[str, int, bytes]:
        """``R0`` on a UDP socket (``queue`` not empty): one datagram, at most ``limit`` bytes of it.

        What does not fit is dropped, or with ``split`` left at the head of the queue for the next ``R0``.
        """
        host, port, data = queue.popleft()
        if len(data) > limit and split:
            queue.appendleft((host, port, data[limit:]))
        return host, port, data[:limit]

    def udp_pieces(self, payload: bytes) -> list[bytes]:
        """The datagrams one ``S3``/``S0`` on a UDP socket sends."""
        return [payload]

    def udp_accepts(self, first: tuple[str, int] | None, sender: tuple[str, int]) -> bool:
        """Whether a UDP server keeps a datagram from ``sender`` (``first``: the first sender it heard)."""
        return True

    def s0_payload(self, payload: bytes) -> bytes:
        """The bytes ``S0`` sends for the payload it read."""
        return payload

    def honours_read_timeout(self) -> bool:
        """Whether ``R0`` waits up to ``R2`` ms for data before answering empty."""
        return True

    def setting_high(self, name: str, high: int) -> int:
        """The largest value the one-value setting ``name`` accepts, given the documented ``high``."""
        return high

    def selected_report(self, selected: int) -> int:
        """The socket a bare ``P0`` reports."""
        return selected

    def tls_connects_plain(self) -> bool:
        """Whether ``P6=1`` with ``P1=3`` (TCP-SSL) and nothing configured connects as plain TCP."""
        return False

    # -- the station

    def reports_joined(self, joined: bool) -> bool:
        """What ``CS`` (and ``C?``'s status) say about the module having joined."""
        return joined

    def s3_count_taken(self, text: str) -> bool:
        """Whether ``S3=<text>`` is taken as a count (the data sheet zero-pads it: ``S3=0010``)."""
        return True

    def command_in(self, cmd: Command) -> Command:
        """The command as the module's parser reads it (by default, exactly as it came)."""
        return cmd

    def answers_bad_line(self, bad: BadLine) -> bool:
        """Whether a line that is no command is answered (the error form) or dropped without an answer."""
        return True

    def bad_line_replies(self, bad: BadLine) -> int:
        """How many error replies a line that is no command draws (when it is answered)."""
        return 1

    def drops_payload_pad(self, spi: bool) -> bool:
        """Whether one \\n right after an S3/S0 payload is dropped (as after a line's CR) or starts the next line."""
        return True

    def partial_line_timeout(self) -> float | None:
        """After how many seconds idle a line not ended by CR is given up (error form); None: never."""
        return None


_SETTERS = frozenset({"PK", "P1", "P2", "P8"})
EMPTY_OK = ok_reply()


class _NoOk(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        if cmd is not None and cmd.name in _SETTERS and cmd.params:
            return raw.replace(b"\r\nOK\r\n> ", b"\r\n> ")
        return raw


class _MultiAcceptNoOk(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        if cmd is not None and cmd.name == "P5" and cmd.params == ("11",):
            return raw.replace(b"\r\nOK\r\n> ", b"\r\n> ")
        return raw


class _WrongPrompt(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        if cmd is not None and cmd.name == "R0" and raw.endswith(b"\r\n> "):
            return raw[:-1]  # "\r\n>" without the space
        return raw


class _NoAcceptedLine(ESWiFiFault):
    def message_out(self, text: str) -> str | None:
        return None if text.startswith(ACCEPTED_PREFIX) else text


class _AcceptedPortByteSwapped(ESWiFiFault):
    def accepted_address(self, host: str, port: int) -> tuple[str, int]:
        return host, ((port & 0xFF) << 8) | (port >> 8)


class _NextKeepsClient(ESWiFiFault):
    def closes_current_on_next(self) -> bool:
        return False


class _WrongS3Count(ESWiFiFault):
    def s3_count(self, written: int) -> int:
        return written - 1


class _S3OverLimit(ESWiFiFault):
    def s3_limit(self, limit: int) -> int:
        return MAX_S3_COUNT


class _R0NoLost(ESWiFiFault):
    def take(self, client: Client, limit: int) -> bytes | None:
        data = super().take(client, limit)
        return b"" if data is None else data


class _LostWhileConnected(ESWiFiFault):
    def take(self, client: Client, limit: int) -> bytes | None:
        data = super().take(client, limit)
        return None if data == b"" else data


class _R0LosesData(ESWiFiFault):
    def take(self, client: Client, limit: int) -> bytes | None:
        data = super().take(client, limit)
        client.buffer.clear()  # what did not fit in this R0 is dropped
        return data


class _LifoBacklog(ESWiFiFault):
    def next_client(self, queue: deque[Client]) -> Client:
        return queue.pop()


class _ListenerLeftOpen(ESWiFiFault):
    def announces_waiting(self) -> bool:
        """Whether a client that must wait its turn (another is being served) is announced as it connects."""
        return False

    def kill_closes_listener(self) -> bool:
        return False


class _StuckAfterLongLine(ESWiFiFault):
    def ignored_after_bad_line(self, bad: BadLine) -> int:
        # The line buffer overflowed (the reader reports an over-long line in MAX_LINE pieces) and the
        # parser never recovers: the error is the last thing the module says.
        return sys.maxsize if len(bad.raw) >= MAX_LINE else 0


class _JunkAnsweredOk(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        return ok_reply() if cmd is None else raw  # a line that is no command is "executed" as nothing


class _S3WaitsForever(ESWiFiFault):
    def s3_payload_timeout(self, timeout: float) -> float | None:
        return None


class _DeafAfterError(ESWiFiFault):
    def ignored_after_error(self) -> int:
        return 1


class _ConnectPortByteSwapped(ESWiFiFault):
    def connect_port(self, port: int) -> int:
        return ((port & 0xFF) << 8) | (port >> 8)


class _ClientCloseLeavesConnection(ESWiFiFault):
    def client_close_closes(self) -> bool:
        return False


class _ReadsLastReceivedSocket(ESWiFiFault):
    def read_socket(self, selected: int, last_received: int | None) -> int:
        return selected if last_received is None else last_received


class _UdpMergesDatagrams(ESWiFiFault):
    def udp_take(self, queue: deque[tuple[str, int, bytes]], limit: int, split: bool) -> tuple[str, int, bytes]:
        host, port, data = queue.popleft()
        while queue and len(data) + len(queue[0][2]) <= limit:
            data += queue.popleft()[2]  # the buffer is read as a stream
        return host, port, data[:limit]


class _UdpSplitsLargeWrites(ESWiFiFault):
    def udp_pieces(self, payload: bytes) -> list[bytes]:
        return [payload[i : i + 1024] for i in range(0, len(payload), 1024)]


class _UdpServerFirstSenderOnly(ESWiFiFault):
    def udp_accepts(self, first: tuple[str, int] | None, sender: tuple[str, int]) -> bool:
        return first is None or first == sender


class _S0DropsLastByte(ESWiFiFault):
    def s0_payload(self, payload: bytes) -> bytes:
        return payload[:-1]


class _ReadTimeoutIgnored(ESWiFiFault):
    def honours_read_timeout(self) -> bool:
        return False


class _ReadSizeUnbounded(ESWiFiFault):
    def setting_high(self, name: str, high: int) -> int:
        return 999999 if name == "R1" else high


class _P0ReportsZero(ESWiFiFault):
    def selected_report(self, selected: int) -> int:
        return 0


class _TlsConnectsPlain(ESWiFiFault):
    def tls_connects_plain(self) -> bool:
        return True


class _SpiUnpromptedMessages(ESWiFiFault):
    def message_delivery(self, mode: str) -> str:
        return "unprompted"


class _R0NoLeadingCrlf(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        if cmd is not None and cmd.name == "R0" and raw.startswith(b"\r\n") and raw != EMPTY_OK:
            return raw[2:]  # the data right away, without the reply's leading CR LF
        return raw


class _EmptyOkEightBytes(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        return raw[2:] if raw == EMPTY_OK else raw  # \r\nOK\r\n>  without the empty data's CR LF


class _CsJoinedAlways(ESWiFiFault):
    def reports_joined(self, joined: bool) -> bool:
        return True


class _S3ZeroPaddedRefused(ESWiFiFault):
    def s3_count_taken(self, text: str) -> bool:
        return not (len(text) > 1 and text.startswith("0"))


# Modules that follow the statement a settled contradiction decides against, or neither statement of an
# unresolved one (FaultSpec.follows): the cases that judge the contradiction must FAIL each of them.


def _setting_reply(cmd: Command | None) -> bool:
    return cmd is not None and cmd.name in _SETTERS and bool(cmd.params)


class _TableOk(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # The AT table's response column: 'Ok' where the transcript has OK.
        return raw.replace(TERMINATOR, b"\r\nOk\r\n> ") if _setting_reply(cmd) else raw


class _PkPromptOnly(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # As the transcript shows it: after PK=1,3000 the next prompt, no OK.
        return b"\r\n> " if cmd is not None and cmd.name == "PK" and cmd.params else raw


class _ExtraCrlfBeforeOk(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # Firmware C6.2.1.8's 12-byte empty OK, on the settings only (the case setup still selects sockets).
        return b"\r\n" + raw if _setting_reply(cmd) and raw == ok_reply() else raw


class _PromptBeforeOk(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # The P5=10 row: '[TCP SVR] Waiting on connection ...> OK'.
        if cmd is not None and cmd.name == "P5" and cmd.params == ("10",) and raw.endswith(TERMINATOR):
            return raw[: -len(TERMINATOR)] + b"> OK\r\n> "
        return raw


class _S3SendsCount(ESWiFiFault):
    def s3_sent(self, payload: bytes) -> bytes:
        # 'S3 will send a 1': the count, not the bytes after it.
        return str(len(payload)).encode("ascii")


class _AnnouncesWaiting(ESWiFiFault):
    def announces_waiting(self) -> bool:
        return True


class _P0FourOkSelectsNothing(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # P0=4 answered OK, but the selection stays where it was.
        return ok_reply() if cmd is not None and cmd.name == "P0" and cmd.params == ("4",) else raw


class _S3AnsweredTwice(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # Each S3 gets its reply (count, OK, prompt) twice.
        return raw * 2 if cmd is not None and cmd.name == "S3" else raw


class _StopAnswersError(ESWiFiFault):
    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # The server stops, but P5=0 is answered with the error form.
        if cmd is not None and cmd.name == "P5" and cmd.params == ("0",):
            return error_reply("Unknown Error", None)
        return raw


PROFILES: tuple[FaultSpec[ESWiFiFault], ...] = (
    FaultSpec("no-ok", "PK/P1/P2/P8 settings are answered without the OK line (\\r\\n\\r\\n> )", _NoOk),
    FaultSpec("multi-accept-no-ok", "P5=11 prints its messages and the prompt but no OK", _MultiAcceptNoOk),
    FaultSpec(
        "wrong-prompt",
        "R0's reply ends with '>' without the space",
        _WrongPrompt,
        follows=("ESWIFI-CONTRA-PROMPT-SPACE", "a"),
    ),
    FaultSpec("no-accepted-line", "no [TCP SVR] Accepted message when a client is served", _NoAcceptedLine),
    FaultSpec("next-keeps-client", "P5=10 moves on but leaves the current client connected", _NextKeepsClient),
    FaultSpec("wrong-s3-count", "S3 sends n bytes and answers n-1", _WrongS3Count),
    FaultSpec("s3-over-limit-accepted", "S3 above 1460 bytes is sent instead of refused", _S3OverLimit),
    FaultSpec("r0-no-lost", "R0 answers empty data instead of -1 after the client left", _R0NoLost),
    FaultSpec("lost-while-connected", "R0 answers -1 when nothing waits from a connected client", _LostWhileConnected),
    FaultSpec("r0-loses-data", "R0 drops what does not fit in R1 instead of keeping it for the next R0", _R0LosesData),
    FaultSpec("lifo-backlog", "P5=10 serves the newest pending client first", _LifoBacklog),
    FaultSpec("listener-left-open", "P5=0 answers Killed but leaves the listener open", _ListenerLeftOpen),
    FaultSpec("deaf-after-error", "the command after an error reply is ignored", _DeafAfterError),
    FaultSpec(
        "stuck-after-long-line",
        "after a line longer than its buffer the module answers nothing any more",
        _StuckAfterLongLine,
    ),
    FaultSpec(
        "junk-answered-ok", "a line that is not a command (junk, over-long) is answered with OK", _JunkAnsweredOk
    ),
    FaultSpec(
        "s3-waits-forever",
        "an S3 payload cut short is waited for forever: the next commands become payload",
        _S3WaitsForever,
    ),
    FaultSpec("connect-port-byte-swapped", "P6=1 connects to P4 with its two bytes swapped", _ConnectPortByteSwapped),
    FaultSpec(
        "client-close-leaves-connection",
        "P6=0 answers OK but leaves the client's TCP connection open",
        _ClientCloseLeavesConnection,
    ),
    FaultSpec(
        "reads-last-received-socket",
        "R0 reads the socket that last received data instead of the one P0 selected",
        _ReadsLastReceivedSocket,
    ),
    FaultSpec(
        "udp-merges-datagrams", "R0 on UDP returns every buffered datagram that fits in R1 at once", _UdpMergesDatagrams
    ),
    FaultSpec(
        "udp-splits-large-writes", "S3 on UDP sends more than 1024 bytes as several datagrams", _UdpSplitsLargeWrites
    ),
    FaultSpec(
        "udp-server-first-sender-only",
        "a UDP server drops datagrams from any peer but the first it heard",
        _UdpServerFirstSenderOnly,
    ),
    FaultSpec("s0-drops-last-byte", "S0 sends one byte less than S1 announced", _S0DropsLastByte),
    FaultSpec("read-timeout-ignored", "R0 answers at once even when R2 asks it to wait for data", _ReadTimeoutIgnored),
    FaultSpec("read-size-unbounded", "R1 accepts any number, beyond 1460 too", _ReadSizeUnbounded),
    FaultSpec("p0-reports-zero", "a bare P0 always reports socket 0", _P0ReportsZero),
    FaultSpec(
        "s3-answered-twice",
        "every S3 is answered twice: its count, OK and the prompt, then all again",
        _S3AnsweredTwice,
    ),
    FaultSpec(
        "spi-unprompted-messages",
        "on SPI, Accepted is written between replies instead of being held for MR",
        _SpiUnpromptedMessages,
    ),
    FaultSpec("r0-no-leading-crlf", "R0's data comes without the reply's leading \\r\\n", _R0NoLeadingCrlf),
    FaultSpec(
        "empty-ok-8-bytes",
        "an empty success is \\r\\nOK\\r\\n>  (8 bytes), not \\r\\n\\r\\nOK\\r\\n> ",
        _EmptyOkEightBytes,
    ),
    FaultSpec("cs-joined-always", "CS answers 1 (joined) also after CD or a failed join", _CsJoinedAlways),
    FaultSpec("s3-zero-padded-refused", "S3 with a zero-padded count (S3=0010) is refused", _S3ZeroPaddedRefused),
    FaultSpec(
        "tls-connects-plain",
        "P1=3 (TCP-SSL) with nothing configured connects as plain TCP and sends data in clear",
        _TlsConnectsPlain,
    ),
    # Where the documents contradict each other.
    FaultSpec(
        "one-socket",
        "one socket only: P0=1..3 are refused",
        ESWiFiFault,
        overrides={"sockets": 1},
        follows=("ESWIFI-CONTRA-P0-SOCKET-COUNT", "a"),
    ),
    FaultSpec(
        "table-ok",
        "PK/P1/P2/P8 settings are answered 'Ok' as the AT table shows (\\r\\n\\r\\nOk\\r\\n> )",
        _TableOk,
        follows=("ESWIFI-CONTRA-RESPONSE-FORM", "a"),
    ),
    FaultSpec(
        "pk-prompt-only",
        "PK=1,3000 is answered with the prompt alone, no OK, as the transcript shows",
        _PkPromptOnly,
        follows=("ESWIFI-CONTRA-PK-REPLY", "b"),
    ),
    FaultSpec(
        "extra-crlf-before-ok",
        "PK/P1/P2/P8 are answered with firmware C6.2.1.8's 12-byte OK (\\r\\n\\r\\n\\r\\nOK\\r\\n> )",
        _ExtraCrlfBeforeOk,
        follows=("ESWIFI-CONTRA-C6218-EXTRA-CRLF", "b"),
    ),
    FaultSpec(
        "p5-10-prompt-before-ok",
        "P5=10 answers its message, a prompt, then OK, as the AT table shows",
        _PromptBeforeOk,
        follows=("ESWIFI-CONTRA-P5-10-PROMPT-BEFORE-OK", "a"),
    ),
    FaultSpec(
        "s3-sends-count",
        "S3=<n> sends the count n to the client, not the bytes after it",
        _S3SendsCount,
        follows=("ESWIFI-CONTRA-S3-ROW-PAYLOAD", "a"),
    ),
    FaultSpec(
        "announces-waiting-clients",
        "a client that must wait its turn is announced (Accepted) as it connects",
        _AnnouncesWaiting,
        follows=("ESWIFI-CONTRA-MULTI-VS-ONE-AT-A-TIME", "a"),
    ),
    FaultSpec(
        "p0-4-ok-selects-nothing",
        "P0=4 is answered OK but selects nothing: a bare P0 still reads the socket selected before",
        _P0FourOkSelectsNothing,
        follows=("ESWIFI-CONTRA-P0-RANGE", "neither"),
    ),
    FaultSpec(
        "stop-answers-error",
        "P5=0 stops the server but answers with the error form",
        _StopAnswersError,
        follows=("ESWIFI-CONTRA-P5-0-KILLED", "neither"),
    ),
    FaultSpec(
        "accepted-port-byte-swapped",
        "Accepted shows the client's port with its two bytes swapped",
        _AcceptedPortByteSwapped,
        follows=("ESWIFI-CONTRA-ACCEPTED-PORT", "neither"),
    ),
)
