"""The eS-WiFi conformant variants (``VARIANTS``): modules that chose differently where the documents are silent.

Each variant names the silent points it takes a non-default choice on (IDs of
``fixtures/silent/eswifi.toml``) and makes that choice through the hooks of ``ESWiFiFault`` or the
profile's settings. No case may FAIL any of them (``python -m reports variants``).
"""

from __future__ import annotations

from emulator.eswifi.faults import ESWiFiFault
from emulator.variants import VariantSpec, all_different
from protocol.eswifi import Command, error_reply


class _RefusedS3RestAsCommands(ESWiFiFault):
    def refused_s3_rest(self, payload: bytes) -> bytes:
        return payload


class _PLocalIpUnset(ESWiFiFault):
    def p_local_ip(self, local_ip: str) -> str:
        return "0.0.0.0"


class _S3CutShortSendsPartial(ESWiFiFault):
    def sends_cut_short_payload(self) -> bool:
        return True


class _TerseErrors(ESWiFiFault):
    cooperative = True

    def reply_out(self, cmd: Command | None, raw: bytes) -> bytes:
        # Every error reply as the one text public logs show, without a Usage line.
        raw = super().reply_out(cmd, raw)
        return error_reply("Unknown Error", None) if raw.startswith(b"\r\nERROR") else raw


class _AcceptedBeforeReply(ESWiFiFault):
    def accepted_before_reply(self) -> bool:
        return True


class _BeyondBacklogPending(ESWiFiFault):
    def beyond_backlog(self) -> str:
        return "pending"


TIMEOUT = "ESWIFI-SILENT-S3-PAYLOAD-TIMEOUT"
REFUSED = "ESWIFI-SILENT-REFUSED-S3-REST"
P_FIELD1 = "ESWIFI-SILENT-P-FIELD1"
WAITING = "ESWIFI-SILENT-WAITING-TEXT"
LOST_TAIL = "ESWIFI-SILENT-LOST-TAIL"
BACKLOG = "ESWIFI-SILENT-BEYOND-BACKLOG"
CUT_SHORT = "ESWIFI-SILENT-S3-CUT-SHORT-ANSWER"
ERROR_TEXTS = "ESWIFI-SILENT-ERROR-TEXTS"
PLACE = "ESWIFI-SILENT-MESSAGE-PLACE"

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
        "refused-s3-rest-as-commands",
        "the bytes after a refused S3=<n> header are read as command lines, not dropped as payload",
        {REFUSED: "read-as-commands"},
        hooks=(_RefusedS3RestAsCommands,),
    ),
    VariantSpec(
        "p-field1-unset",
        "P? field 1 shows 0.0.0.0, not the module's address (C? still reports it)",
        {P_FIELD1: "unset"},
        hooks=(_PLocalIpUnset,),
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
        "lost-without-ok",
        "R0/S3 answer -1 in the error style (\\r\\n-1\\r\\n> , no OK)",
        {LOST_TAIL: "without-ok"},
        overrides={"lost_reply_ok": False},
    ),
    VariantSpec(
        "accepted-before-reply",
        "P5=10 announces the next client (Accepted) before its own Waiting/OK reply, not after it",
        {PLACE: "anywhere"},
        hooks=(_AcceptedBeforeReply,),
    ),
    VariantSpec(
        "terse-errors",
        "every error reply is 'ERROR: Unknown Error' with no Usage line",
        {ERROR_TEXTS: "terse"},
        hooks=(_TerseErrors,),
    ),
    VariantSpec(
        "beyond-backlog-pending",
        "a client beyond the P8 backlog is left pending (connected, never served) instead of closed",
        {BACKLOG: "pending"},
        hooks=(_BeyondBacklogPending,),
    ),
)

VARIANTS: tuple[VariantSpec, ...] = (
    *SINGLE,
    all_different(
        "all-different",
        "every non-default choice at once (the longest payload timeout of the two)",
        [v for v in SINGLE if v.name != "s3-timeout-short"],
    ),
)
