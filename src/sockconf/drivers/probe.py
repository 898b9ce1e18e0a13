"""Which module answers on a port: every family's probe at the usual baud rates, no setting changed.

Each family declares a sans-IO probe (``Family.probe``: ``REQUESTS``, ``parse``, ``suggest``, in
``protocol/<family>/probe.py``); this module carries its bytes over pyserial. A port is tried at
each baud rate in turn (9600 and 115200 first), every family at each; every read has a deadline, so
a port where nothing answers is reported within ``len(bauds) * requests * window`` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType

import serial
import serial.tools.list_ports

from sockconf.core.family import Family, families
from sockconf.protocol.profile import Profile, available_profiles, load_profile

log = logging.getLogger(__name__)

BAUDS = (9600, 115200, 57600, 38400, 19200, 230400, 460800, 921600)
WINDOW = 0.3  # seconds one request's answer is waited for


@dataclass
class ProbeResult:
    port: str
    family: str = ""  # "" when no module answered
    baud: int = 0
    firmware: str = ""
    hardware: str = ""
    profile: str = ""  # the suggested profile
    exact: bool = False  # whether the profile matched what the module reported (else the family's default)
    error: str = ""  # why the port could not be opened
    tried: int = 0  # baud rates tried
    details: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        if self.error:
            return f"{self.port}\tcannot open: {self.error}"
        if not self.family:
            return f"{self.port}\tno module (nothing answered at {self.tried} baud rate(s))"
        profile = self.profile if self.exact else f"{self.profile} (no exact match; the family's default)"
        return f"{self.port}\t{self.family}\t{self.baud}\tfw {self.firmware}\thw {self.hardware}\t{profile}"


def _probes() -> list[tuple[Family, ModuleType]]:
    out = []
    for family in families().values():
        if family.probe:
            out.append((family, family.load("probe")))
    return out


def _profiles_of(family: Family) -> list[Profile]:
    found = [load_profile(n, family.profile_dir) for n in available_profiles(family.profile_dir)]
    return [p for p in found if p.family == family.name]


def _ask(port: serial.SerialBase, request: bytes, probe: ModuleType, window: float) -> dict[str, str] | None:
    port.reset_input_buffer()
    port.write(request)
    port.flush()
    deadline = time.monotonic() + window
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        port.timeout = left
        chunk = port.read(max(1, port.in_waiting))
        if chunk:
            data += chunk
            found: dict[str, str] | None = probe.parse(data)
            if found is not None:
                return found


def probe_port(name: str, bauds: Sequence[int] | None = None, window: float = WINDOW) -> ProbeResult:
    """Probe one port (a device or a pyserial URL) at each baud rate for every family."""
    result = ProbeResult(name)
    probes = _probes()
    try:
        port = serial.serial_for_url(name, baudrate=(bauds or BAUDS)[0], timeout=0, write_timeout=2)
    except (serial.SerialException, ValueError, OSError) as exc:
        result.error = str(exc) or type(exc).__name__
        return result
    try:
        for baud in bauds or BAUDS:
            port.baudrate = baud
            result.tried += 1
            for family, probe in probes:
                for request in probe.REQUESTS:
                    found = _ask(port, request, probe, window)
                    if found is None:
                        continue
                    suggested = probe.suggest(found, _profiles_of(family))
                    result.family, result.baud, result.details = family.name, baud, found
                    result.firmware, result.hardware = found.get("firmware", ""), found.get("hardware", "")
                    result.profile = suggested or family.default_profile
                    result.exact = suggested is not None
                    return result
    except (serial.SerialException, OSError) as exc:
        result.error = str(exc) or type(exc).__name__
    finally:
        port.close()
    return result


def list_ports() -> list[str]:
    """Every port pyserial lists on this host."""
    return sorted(p.device for p in serial.tools.list_ports.comports())


def scan(ports: Sequence[str], bauds: Sequence[int] | None = None, window: float = WINDOW) -> list[ProbeResult]:
    """Probe every port at once (one thread each); results in the order given."""
    if not ports:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(ports))) as pool:
        return list(pool.map(lambda p: probe_port(p, bauds, window), ports))
