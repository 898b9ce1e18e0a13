"""Inventek eS-WiFi AT transport (docs/spec/eswifi-servers.md): commands, replies and server messages.

Sans-IO: ``command``/``s3`` and the reply builders make wire bytes; ``ReplyReader`` (host side)
and ``CommandReader`` (device side, for the emulator) turn wire bytes, in any chunking, into
typed events and never raise on wire input.
"""

from sockconf.protocol.eswifi.commands import (
    MAX_S3_COUNT,
    BadLine,
    Command,
    CommandEvent,
    CommandReader,
    command,
    s0,
    s3,
)
from sockconf.protocol.eswifi.messages import (
    ACCEPTED_PREFIX,
    EOMA,
    KILLED,
    MULTI_ACCEPT_SETUP,
    SOMA,
    WAITING,
    accepted_line,
    mr_messages,
    parse_accepted,
)
from sockconf.protocol.eswifi.replies import (
    RESET_PROMPT,
    SPI_CURSOR,
    TERMINATOR,
    AsyncMessage,
    ErrorReply,
    Event,
    Garbage,
    Incomplete,
    Reply,
    ReplyEvent,
    ReplyReader,
    ResetPrompt,
    async_line,
    error_reply,
    lost_reply,
    ok_reply,
)

__all__ = [
    "ACCEPTED_PREFIX",
    "EOMA",
    "KILLED",
    "MAX_S3_COUNT",
    "MULTI_ACCEPT_SETUP",
    "RESET_PROMPT",
    "SOMA",
    "SPI_CURSOR",
    "TERMINATOR",
    "WAITING",
    "AsyncMessage",
    "BadLine",
    "Command",
    "CommandEvent",
    "CommandReader",
    "ErrorReply",
    "Event",
    "Garbage",
    "Incomplete",
    "Reply",
    "ReplyEvent",
    "ReplyReader",
    "ResetPrompt",
    "accepted_line",
    "async_line",
    "command",
    "error_reply",
    "lost_reply",
    "mr_messages",
    "ok_reply",
    "parse_accepted",
    "s0",
    "s3",
]
