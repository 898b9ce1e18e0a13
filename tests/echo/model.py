"""The echo module: ``EC=<text>`` + CR is answered CR LF, the text, CR LF, ``OK`` CR LF and the prompt ``> ``.

Anything else is answered CR LF ``ERROR`` CR LF and the prompt.
"""

from __future__ import annotations

from sockconf.emulator.faults import FaultSpec, catalogue
from sockconf.emulator.net import Action, NetEvent, SerialOut
from sockconf.protocol.profile import Profile

PROMPT = b"> "


class EchoHooks:
    """Where a fault may change the module: the reply to a command."""

    def reply(self, text: bytes) -> bytes:
        return b"\r\n" + text + b"\r\nOK\r\n" + PROMPT


class _NoOk(EchoHooks):
    def reply(self, text: bytes) -> bytes:
        return b"\r\n" + text + b"\r\n" + PROMPT


# "no-ok" is also an eS-WiFi fault's name: fault names are per family.
FAULTS = catalogue("echo", [FaultSpec("no-ok", "the echoed text is not followed by OK", _NoOk)])


class EchoModel:
    family = "echo"

    def __init__(self, profile: Profile, host_ip: str = "127.0.0.1", fault: FaultSpec[EchoHooks] | None = None):
        self.hooks = fault.hooks() if fault is not None else EchoHooks()
        self.line = bytearray()

    def serial_in(self, data: bytes) -> list[Action]:
        out: list[Action] = []
        for byte in data:
            if byte != 0x0D:
                self.line.append(byte)
                continue
            line, self.line = bytes(self.line), bytearray()
            if line.startswith(b"EC="):
                out.append(SerialOut(self.hooks.reply(line[3:])))
            else:
                out.append(SerialOut(b"\r\nERROR\r\n" + PROMPT))
        return out

    def net_in(self, event: NetEvent) -> list[Action]:
        return []

    def shutdown(self) -> list[Action]:
        return []
