"""The eS-WiFi conformant variants (``VARIANTS``): modules that chose differently where the documents are
silent, or followed the other of two statements that contradict each other.

Each variant names the silent points it takes a non-default choice on (IDs of
``sockconf/data/silent/eswifi.toml``) or the side of an unresolved contradiction it follows (IDs of the
``[[contradiction]]`` tables in ``sockconf/data/requirements/eswifi.toml``), and makes that choice through the
hooks of ``ESWiFiFault`` or the profile's settings. No case may FAIL any of them (``sockconf report variants``).
"""

from __future__ import annotations

import re

from sockconf.emulator.eswifi.faults import ESWiFiFault
from sockconf.emulator.variants import VariantSpec, all_different
from sockconf.protocol.eswifi import TERMINATOR, BadLine, Command, error_reply, ok_reply
from sockconf.protocol.eswifi.replies import PROMPT, PROMPT_TAIL


class _RefusedS3RestAsCommands(ESWiFiFault):
    def refused_s3_rest(self, payload: bytes) -> bytes:
        return payload


class _S3CutShortSendsPartial(ESWiFiFault):
    def sends_cut_short_payload(self) -> bool:
        return True


class _TerseErrors(ESWiFiFault):
    cooperative = True

    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # Every error reply as the one text public logs show, without a Usage line.
        raw = super().reply_out(cmd, raw)
        return error_reply("Unknown Error", None) if raw.startswith(b"\r\nERROR") else raw


class _BareErrors(ESWiFiFault):
    cooperative = True

    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # Every error reply as the bare word: no colon, no reason, no Usage line (ST matches only \r\nERROR).
        raw = super().reply_out(cmd, raw)
        return b"\r\nERROR" + PROMPT_TAIL if raw.startswith(b"\r\nERROR") else raw


class _AcceptedBeforeReply(ESWiFiFault):
    def accepted_before_reply(self) -> bool:
        return True


class _AcceptedBetweenReplyParts(ESWiFiFault):
    def accepted_in_reply(self) -> bool:
        return True


# The pieces the codec's command reader makes of a line longer than its buffer.
_OVERLONG = ("line longer than", "over-long line continues", "end of an over-long line")


class _LineBuffer32(ESWiFiFault):
    def bad_line_replies(self, bad: BadLine) -> int:
        # A 32-byte line buffer: an over-long line is answered once per 32 bytes of it.
        overlong = bad.reason.startswith(_OVERLONG)
        return max(1, -(-len(bad.raw) // 32)) if overlong else 1


class _OverlongLinesIgnored(ESWiFiFault):
    def answers_bad_line(self, bad: BadLine) -> bool:
        return not bad.reason.startswith(_OVERLONG)


class _MessagesReprintPrompt(ESWiFiFault):
    def message_bytes(self, raw: bytes) -> bytes:
        # The seed's transcript: the Accepted line, then "> " before the host's next command.
        return raw + PROMPT


class _BeyondBacklogPending(ESWiFiFault):
    def beyond_backlog(self) -> str:
        return "pending"


class _S3CutShortSilent(ESWiFiFault):
    def answers_cut_short_payload(self) -> bool:
        return False


class _BeyondBacklogServed(ESWiFiFault):
    def beyond_backlog(self) -> str:
        return "served"


class _BeyondBacklogRefused(ESWiFiFault):
    def beyond_backlog(self) -> str:
        return "refused"


class _KeepAliveSeconds(ESWiFiFault):
    def keepalive_ms(self, period: int) -> int:
        # PK's time in seconds; the host's kernel takes a keep-alive time of at most 32767 s.
        return min(period, 32767) * 1000


class _R0LostWithoutClient(ESWiFiFault):
    def lost_without_client(self) -> bool:
        return True


class _ShortIdentity(ESWiFiFault):
    def identity_fields(self, fields: list[str]) -> list[str]:
        # Product ID and firmware, then the product name: no API, stack, RTOS revisions or clock.
        return [*fields[:2], fields[-1]] if len(fields) > 3 else fields


class _PowerOnBanner(ESWiFiFault):
    def power_on_bytes(self, cursor: bytes, spi: bool) -> bytes:
        # On UART only: an SPI module's first data phase is the cursor alone (ISM4343 data sheet p.16).
        return cursor if spi else b"\r\nInventek eS-WiFi ISM43362" + cursor


class _KeepAliveIgnored(ESWiFiFault):
    def keepalive_ms(self, period: int) -> int:
        # PK is accepted and shown by PK?, but accepted clients get no keep-alive.
        return 0


_LEADING_NUMBER = re.compile(r"^(-?\d+)[^\d.,]")


class _AtoiParameters(ESWiFiFault):
    def command_in(self, cmd: Command) -> Command:
        # A parameter that starts with a number and goes on with other text is read as that number, as
        # C's atoi reads it (P0=1P0=0 selects socket 1); addresses and plain numbers are unchanged.
        params = tuple(m.group(1) if (m := _LEADING_NUMBER.match(p)) else p for p in cmd.params)
        if params == cmd.params:
            return cmd
        return Command(cmd.name, params, cmd.raw, cmd.payload)


class _PartialLineTimeout(ESWiFiFault):
    def partial_line_timeout(self) -> float | None:
        # Well inside the idle gap ESWIFI-FRAMING-02 leaves after the line it cuts short (0.2 s).
        return 0.05


class _JunkLinesIgnored(ESWiFiFault):
    def answers_bad_line(self, bad: BadLine) -> bool:
        # A line holding bytes that are no printable ASCII (other than CR/LF) is dropped unanswered.
        return all(0x20 <= b <= 0x7E or b in (0x0D, 0x0A) for b in bad.raw)


class _UartPayloadPadRead(ESWiFiFault):
    def drops_payload_pad(self, spi: bool) -> bool:
        # On SPI the pad belongs to the S3 command phase (ISM4343 data sheet p.15); on UART it is a byte
        # like any other, the start of the next line.
        return spi


class _StopPlainOk(ESWiFiFault):
    cooperative = True

    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # P5=0 as the AT table's row shows it: OK, no message.
        raw = super().reply_out(cmd, raw)
        stop = cmd is not None and cmd.name == "P5" and cmd.params == ("0",)
        return ok_reply() if stop and raw.endswith(TERMINATOR) else raw


TIMEOUT = "ESWIFI-SILENT-S3-PAYLOAD-TIMEOUT"
REFUSED = "ESWIFI-SILENT-REFUSED-S3-REST"
P_FIELD1 = "ESWIFI-SILENT-P-FIELD1"
WAITING = "ESWIFI-SILENT-WAITING-TEXT"
LOST_TAIL = "ESWIFI-SILENT-LOST-TAIL"
BACKLOG = "ESWIFI-SILENT-BEYOND-BACKLOG"
CUT_SHORT = "ESWIFI-SILENT-S3-CUT-SHORT-ANSWER"
PK_UNIT = "ESWIFI-SILENT-PK-UNIT"
R0_NO_CLIENT = "ESWIFI-SILENT-R0-NO-CLIENT"
ERROR_TEXTS = "ESWIFI-SILENT-ERROR-TEXTS"
PLACE = "ESWIFI-SILENT-MESSAGE-PLACE"
MESSAGE_PROMPT = "ESWIFI-SILENT-MESSAGE-PROMPT"
JOIN_REPLY = "ESWIFI-SILENT-JOIN-REPLY"
JOIN_WHEN_JOINED = "ESWIFI-SILENT-JOIN-WHEN-JOINED"
C_FIELDS = "ESWIFI-SILENT-C-FIELDS"
I_FIELDS = "ESWIFI-SILENT-I-FIELDS"
MR_FORM = "ESWIFI-SILENT-MR-FORM"
MR_EMPTY = "ESWIFI-SILENT-MR-EMPTY"
CURSOR = "ESWIFI-SILENT-CURSOR"
P7 = "ESWIFI-SILENT-P7"
R0_EMPTY_PARAM = "ESWIFI-SILENT-R0-EMPTY-PARAM"
WAITING_PLACE = "ESWIFI-SILENT-WAITING-PLACEMENT"
MERGED_LINE = "ESWIFI-SILENT-MERGED-LINE"
JUNK_LINE = "ESWIFI-SILENT-JUNK-LINE"
LONG_LINE = "ESWIFI-SILENT-LONG-LINE-ANSWERS"
SOCKET_COUNT = "ESWIFI-SILENT-SOCKET-COUNT"
PAYLOAD_PAD = "ESWIFI-SILENT-UART-PAYLOAD-PAD"
P0_RANGE = "ESWIFI-CONTRA-P0-RANGE"
KILLED = "ESWIFI-CONTRA-P5-0-KILLED"
ACCEPTED_PORT = "ESWIFI-CONTRA-ACCEPTED-PORT"
CONNECT_NOTHING = "ESWIFI-SILENT-CONNECT-NOTHING-LISTENING"
R1_MAX = "ESWIFI-SILENT-R1-MAX"
UDP_OVERSIZE = "ESWIFI-SILENT-UDP-OVERSIZE"
UDP_SENDER = "ESWIFI-SILENT-UDP-SENDER"
S0_REPLY = "ESWIFI-SILENT-S0-REPLY"
TLS_UNCONFIGURED = "ESWIFI-SILENT-TLS-UNCONFIGURED"

SINGLE: tuple[VariantSpec, ...] = (
    VariantSpec(
        "s3-timeout-long",
        "an S3 payload cut short is given up after 10 s (the profile says 1 s)",
        {TIMEOUT: "long"},
        overrides={"s3_payload_timeout": 10.0},
    ),
    VariantSpec(
        "s3-timeout-short",
        "an S3 payload cut short is given up after 0.2 s",
        {TIMEOUT: "short"},
        overrides={"s3_payload_timeout": 0.2},
    ),
    VariantSpec(
        "s3-timeout-sends-partial",
        "an S3 payload cut short is sent as far as it came at the timeout, answered with that count",
        {CUT_SHORT: "sends-partial"},
        hooks=(_S3CutShortSendsPartial,),
    ),
    VariantSpec(
        "s3-cut-short-silent",
        "an S3 payload cut short is dropped at the timeout without any answer",
        {CUT_SHORT: "silent"},
        hooks=(_S3CutShortSilent,),
    ),
    VariantSpec(
        "refused-s3-rest-as-commands",
        "the bytes after a refused S3=<n> header are read as command lines, not dropped as payload",
        {REFUSED: "read-as-commands"},
        hooks=(_RefusedS3RestAsCommands,),
    ),
    VariantSpec(
        "p-field1-unset",
        "P? field 1 always shows 0.0.0.0, with a client too (ST's es_wifi.c then never sees a client)",
        {P_FIELD1: "unset"},
        overrides={"p_field1": "unset"},
    ),
    VariantSpec(
        "p-field1-own-address",
        "P? field 1 always shows the module's own address (ST's es_wifi.c then sees a client at once)",
        {P_FIELD1: "own-address"},
        overrides={"p_field1": "own-address"},
    ),
    VariantSpec(
        "waiting-unicode-ellipsis",
        "the server messages end with the seed's ellipsis character (…), not three dots",
        {WAITING: "ellipsis"},
        overrides={
            "messages": {
                "multi_accept_setup": "[TCP TSK] Multi-Accept Setup",
                "waiting": "[TCP SVR] Waiting on connection \u2026",
                "killed": "[TCP TSK] Killed",
                "accepted_prefix": "[TCP SVR] Accepted ",
            }
        },
    ),
    VariantSpec(
        "waiting-other-wording",
        "the bracketed server messages in other words: '[TCP TSK] Multi-Accept Enabled', "
        "'[TCP SVR] Waiting for connection...', '[TCP TSK] Server Killed' (Accepted as documented)",
        {WAITING: "other-wording"},
        overrides={
            "messages": {
                "multi_accept_setup": "[TCP TSK] Multi-Accept Enabled",
                "waiting": "[TCP SVR] Waiting for connection...",
                "killed": "[TCP TSK] Server Killed",
                "accepted_prefix": "[TCP SVR] Accepted ",
            }
        },
    ),
    VariantSpec(
        "waiting-no-dots",
        "the server messages in the seed's words without the trailing dots: '[TCP SVR] Waiting on connection'",
        {WAITING: "other-wording"},
        overrides={
            "messages": {
                "multi_accept_setup": "[TCP TSK] Multi-Accept Setup",
                "waiting": "[TCP SVR] Waiting on connection",
                "killed": "[TCP TSK] Killed",
                "accepted_prefix": "[TCP SVR] Accepted ",
            }
        },
    ),
    VariantSpec(
        "pk-seconds",
        "PK=1,<time> takes the time in seconds: PK=1,3000 probes an idle client after 3000 s, not 3 s",
        {PK_UNIT: "s"},
        hooks=(_KeepAliveSeconds,),
    ),
    VariantSpec(
        "r0-lost-without-client",
        "R0 on a server with no client yet answers -1, not empty data",
        {R0_NO_CLIENT: "lost"},
        hooks=(_R0LostWithoutClient,),
    ),
    VariantSpec(
        "lost-with-ok",
        "R0/S3 answer -1 followed by OK, as the seed shows it (\\r\\n-1\\r\\nOK\\r\\n> ; hosts read it as data)",
        {LOST_TAIL: "with-ok"},
        overrides={"lost_reply_ok": True},
    ),
    VariantSpec(
        "accepted-client-port",
        "Accepted names the client's source port, as the seed shows it (not the server's own port)",
        {},
        overrides={"accepted_port": "client-port"},
        sides={ACCEPTED_PORT: "a"},
    ),
    VariantSpec(
        "join-bare-ok",
        "C0 answers OK with no [JOIN   ] line (Zephyr's eswifi then never learns its address)",
        {JOIN_REPLY: "bare-ok"},
        overrides={"join_reply": "bare-ok"},
    ),
    VariantSpec(
        "join-when-joined-rejoins",
        "C0 on a module that has joined leaves and joins again (OK), not 'Already connected!'",
        {JOIN_WHEN_JOINED: "rejoin"},
        overrides={"join_when_joined": "rejoin"},
    ),
    VariantSpec(
        "c-field1-empty",
        "C? leaves field 1 empty when no passphrase is set (Mbed's strtok then reads the mask as the address)",
        {C_FIELDS: "empty"},
        overrides={"c_field1": "empty"},
    ),
    VariantSpec(
        "short-identity",
        "I? answers product ID, firmware and product name only (3 fields, not 7)",
        {I_FIELDS: "short"},
        hooks=(_ShortIdentity,),
    ),
    VariantSpec(
        "mr-batched",
        "MR answers every held message at once, one [SOMA]...[EOMA] block each",
        {MR_FORM: "batched"},
        overrides={"mr_form": "batched"},
    ),
    VariantSpec(
        "mr-empty-without-markers",
        "MR with no message held answers empty data, not [SOMA][EOMA]",
        {MR_EMPTY: "no-markers"},
        overrides={"mr_empty": "no-markers"},
    ),
    VariantSpec(
        "power-on-banner",
        "a UART module writes a banner line before its cursor at power-on",
        {CURSOR: "banner"},
        hooks=(_PowerOnBanner,),
    ),
    VariantSpec(
        "p7-refused",
        "P7 (the accept loop) is answered as an unknown command",
        {P7: "refused"},
        overrides={"p7": "refused"},
    ),
    VariantSpec(
        "r0-empty-param-refused",
        "R0= (an empty parameter, stm32duino's form) is refused with the error form",
        {R0_EMPTY_PARAM: "refused"},
        overrides={"r0_empty_param": "refused"},
    ),
    VariantSpec(
        "waiting-as-messages",
        "the server's Multi-Accept Setup, Waiting and Killed texts come as messages (unprompted on UART, "
        "through MR on SPI), not in the P5 reply",
        {WAITING_PLACE: "messages"},
        overrides={"waiting_placement": "messages"},
    ),
    VariantSpec(
        "waiting-messages-after-reply",
        "the server's Multi-Accept Setup, Waiting and Killed texts come as messages after the P5 reply's prompt "
        "(unprompted on UART, through MR on SPI), not in its data",
        {WAITING_PLACE: "messages"},
        overrides={"waiting_placement": "messages-after"},
    ),
    VariantSpec(
        "accepted-before-reply",
        "P5=10 announces the next client (Accepted) before its own Waiting/OK reply, not after it",
        {PLACE: "anywhere"},
        hooks=(_AcceptedBeforeReply,),
    ),
    VariantSpec(
        "accepted-between-reply-parts",
        "on UART, P5=10 writes the next client's Accepted line inside its own reply, between the Waiting text and "
        "the OK",
        {PLACE: "anywhere"},
        hooks=(_AcceptedBetweenReplyParts,),
    ),
    VariantSpec(
        "messages-reprint-prompt",
        "on UART, every unprompted message is followed by the prompt '> ' again, as the seed's transcript shows "
        "after the Accepted line",
        {MESSAGE_PROMPT: "prompt"},
        hooks=(_MessagesReprintPrompt,),
    ),
    VariantSpec(
        "terse-errors",
        "every error reply is 'ERROR: Unknown Error' with no Usage line",
        {ERROR_TEXTS: "terse"},
        hooks=(_TerseErrors,),
    ),
    VariantSpec(
        "errors-bare",
        "every error reply is the bare word ERROR (\\r\\nERROR\\r\\n> ): no reason, no Usage line",
        {ERROR_TEXTS: "terse"},
        hooks=(_BareErrors,),
    ),
    VariantSpec(
        "beyond-backlog-pending",
        "a client beyond the P8 backlog is left pending (connected, never served) instead of closed",
        {BACKLOG: "pending"},
        hooks=(_BeyondBacklogPending,),
    ),
    VariantSpec(
        "beyond-backlog-served",
        "a client beyond the P8 backlog waits its turn like the others and is served after them",
        {BACKLOG: "served"},
        hooks=(_BeyondBacklogServed,),
    ),
    VariantSpec(
        "p0-4-accepted",
        "five sockets, P0=0-4 as the sequence says ('Use P0=0-4'): P0=4 selects socket 4",
        {},
        overrides={"sockets": 5},
        sides={P0_RANGE: "b"},
    ),
    VariantSpec(
        "p5-0-plain-ok",
        "P5=0 answers OK with no message, as the AT table's row shows (not [TCP TSK] Killed)",
        {},
        hooks=(_StopPlainOk,),
        sides={KILLED: "a"},
    ),
    VariantSpec(
        "beyond-backlog-refused",
        "a client beyond the P8 backlog is refused at TCP level: its SYN is never answered (as lwIP drops a "
        "SYN when a listener's backlog is full); the waiting clients are held by the TCP stack",
        {BACKLOG: "refused"},
        hooks=(_BeyondBacklogRefused,),
    ),
    VariantSpec(
        "pk-ignored",
        "PK=1,<time> is accepted, but no accepted client is ever probed with keep-alive",
        {PK_UNIT: "not-observed"},
        hooks=(_KeepAliveIgnored,),
    ),
    VariantSpec(
        "atoi-parameters",
        "a numeric parameter followed by other text is read as its leading number (P0=1P0=0 selects socket 1)",
        {MERGED_LINE: "leading-value"},
        hooks=(_AtoiParameters,),
    ),
    VariantSpec(
        "partial-line-timeout",
        "a line not ended by CR is given up after 0.05 s idle with the error form",
        {MERGED_LINE: "partial-line-timeout"},
        hooks=(_PartialLineTimeout,),
    ),
    VariantSpec(
        "line-buffer-32",
        "a 32-byte line buffer: an over-long line is answered with one error reply per 32 bytes of it (19 for 600)",
        {LONG_LINE: "many"},
        hooks=(_LineBuffer32,),
    ),
    VariantSpec(
        "overlong-lines-ignored",
        "a line longer than the module's line buffer is dropped without an answer",
        {LONG_LINE: "none"},
        hooks=(_OverlongLinesIgnored,),
    ),
    VariantSpec(
        "junk-lines-ignored",
        "a line of bytes that are not printable ASCII is dropped without an answer",
        {JUNK_LINE: "ignored"},
        hooks=(_JunkLinesIgnored,),
    ),
    VariantSpec(
        "uart-payload-pad-read",
        "on UART, a \\n right after an S3 payload starts the next line (that command is answered with the error form)",
        {PAYLOAD_PAD: "next-line"},
        hooks=(_UartPayloadPadRead,),
    ),
    VariantSpec(
        "two-sockets",
        "a module with two sockets: P0=0 and P0=1 select one, P0=2 and P0=3 are refused with the error form",
        {SOCKET_COUNT: "fewer"},
        overrides={"sockets": 2},
    ),
    VariantSpec(
        "connect-ok-then-lost",
        "P6=1 to a port nothing listens on answers OK; the first S3 and R0 then answer -1",
        {CONNECT_NOTHING: "ok-then-lost"},
        overrides={"connect_refused": "ok-then-lost"},
    ),
    VariantSpec(
        "r1-max-1200",
        "R1 above 1200 is refused with the error form (the firmware Mbed's driver was written for)",
        {R1_MAX: "1200"},
        overrides={"max_read_packet_size": 1200, "read_packet_size": 1200},
    ),
    VariantSpec(
        "udp-oversize-split",
        "R0 on a datagram longer than R1 returns its first R1 bytes, the next R0 the rest",
        {UDP_OVERSIZE: "split"},
        overrides={"udp_oversize": "split"},
    ),
    VariantSpec(
        "udp-sender-not-shown",
        "a UDP server's P? does not show the sender of the last datagram",
        {UDP_SENDER: "not-shown"},
        overrides={"udp_sender_in_p": False},
    ),
    VariantSpec(
        "s0-reply-empty",
        "S0 answers OK with no data (not the count written)",
        {S0_REPLY: "empty"},
        overrides={"s0_reply": "empty"},
    ),
    VariantSpec(
        "tls-protocol-refused",
        "P1=3 (TCP-SSL) is refused with the error form: the module has no TLS",
        {TLS_UNCONFIGURED: "protocol-refused"},
        overrides={"protocols": [0, 1, 2]},
    ),
    VariantSpec(
        "tls-ok-then-lost",
        "P6=1 on TCP-SSL with no certificate answers OK; the first S3 answers -1 and nothing reaches the peer",
        {TLS_UNCONFIGURED: "ok-then-lost"},
        overrides={"tls_unconfigured": "ok-then-lost"},
    ),
)

# Left out of all-different: each takes a second choice on a point where all-different takes the one named.
_NOT_IN_ALL_DIFFERENT = (
    "p-field1-unset",  # P? field 1 as the module's own address (p-field1-own-address) is taken
    "s3-timeout-short",  # the longer payload timeout (s3-timeout-long) is taken
    "s3-cut-short-silent",  # the cut-short payload sent as far as it came (s3-timeout-sends-partial) is taken
    "waiting-other-wording",  # the ellipsis wording (waiting-unicode-ellipsis) is taken
    "waiting-no-dots",  # (waiting-unicode-ellipsis, as above)
    "errors-bare",  # the terse errors with a reason (terse-errors) are taken
    "beyond-backlog-served",  # a client beyond the backlog left pending (beyond-backlog-pending) is taken
    "beyond-backlog-refused",  # (beyond-backlog-pending, as above)
    "tls-protocol-refused",  # TLS OK then lost (tls-ok-then-lost) is taken
    "pk-ignored",  # PK's time in seconds (pk-seconds) is taken
    "partial-line-timeout",  # the atoi-style parse (atoi-parameters) is taken
    "accepted-between-reply-parts",  # Accepted before the reply (accepted-before-reply) is taken
    "overlong-lines-ignored",  # one error per 32 bytes of an over-long line (line-buffer-32) is taken
    "waiting-messages-after-reply",  # the texts as messages before the reply (waiting-as-messages) are taken
    "two-sockets",  # five sockets (p0-4-accepted, the other side of ESWIFI-CONTRA-P0-RANGE) are taken
)

VARIANTS: tuple[VariantSpec, ...] = (
    *SINGLE,
    all_different(
        "all-different",
        "every non-default choice at once, and the other side of every unresolved contradiction (of two on one "
        "point: the longer payload timeout, the cut-short payload sent as far as it came, the ellipsis wording, a "
        "client beyond the backlog left pending, P? field 1 as the module's own address, TLS OK then lost, PK in "
        "seconds, the atoi-style parse, the terse errors with a reason, a 32-byte line buffer; not fewer sockets: "
        "it has five)",
        [v for v in SINGLE if v.name not in _NOT_IN_ALL_DIFFERENT],
    ),
)
