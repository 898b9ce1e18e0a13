"""XBee Cellular API mode: framing (AP=1/AP=2), typed frames and status tables."""

from sockconf.protocol.xbee.frames import *  # noqa: F403
from sockconf.protocol.xbee.frames import FRAME_CLASSES, Frame, FrameFormatError, parse_frame_data
from sockconf.protocol.xbee.framing import (
    BadChecksum,
    DecodeEvent,
    Decoder,
    Event,
    Garbage,
    Malformed,
    Truncated,
    checksum,
    encode,
    escape,
    frame_bytes,
    unescape,
)
from sockconf.protocol.xbee.status import *  # noqa: F403
from sockconf.protocol.xbee.status import coerce, describe

__all__ = [
    "FRAME_CLASSES",
    "BadChecksum",
    "DecodeEvent",
    "Decoder",
    "Event",
    "Frame",
    "FrameFormatError",
    "Garbage",
    "Malformed",
    "Truncated",
    "checksum",
    "coerce",
    "describe",
    "encode",
    "escape",
    "frame_bytes",
    "parse_frame_data",
    "unescape",
]
