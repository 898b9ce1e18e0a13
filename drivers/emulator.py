"""The ``emulator`` driver (default): the built-in emulator in this process, over a socket pair.

The emulator runs in a background thread as the profile says and serves real TCP/UDP sockets on a
loopback address; the suite reaches it over bytes exactly as it would a UART. Unless
``--emulator-host`` names one, every emulator gets a loopback address of its own (claimed for as
long as it runs), so parallel workers, several DUTs and concurrent runs on one host never share a port.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import select
import socket
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from drivers import register
from drivers.base import Driver, DriverError, DriverUsageError, Option
from emulator import build_model, families, fault_names, variant_names, variants
from emulator.thread import EmulatorThread
from emulator.variants import VariantError, merge
from protocol.profile import Profile

EMULATOR_HOST = Option(
    "--emulator-host",
    "loopback address the emulator's sockets listen on (default: one of its own per emulator, claimed for the run)",
    metavar="ADDR",
)
FAULT = Option(
    "--fault",
    "start the emulator with a named fault profile, FAMILY:NAME or a NAME only one family has (suite self-test)",
    metavar="[FAMILY:]NAME",
)
VARIANT = Option(
    "--variant",
    "start the emulator as a named conformant variant, FAMILY:NAME or a NAME only one family has; repeatable "
    "(choices on different silent points combine); it applies to that family's DUTs (suite self-test)",
    metavar="[FAMILY:]NAME",
    repeat=True,
)
# A run claims its loopback address by listening on this port of it; another run finds it taken.
CLAIM_PORT = 47_201
_claim_lock = threading.Lock()
_claim_next = [0]


def resolve_fault(spec: str) -> tuple[str, str]:
    """``"xbee:goes-silent"`` or an unambiguous ``"goes-silent"`` -> (family, name)."""
    family, sep, name = spec.rpartition(":")
    known = {fam: fault_names(fam) for fam in families()}
    if sep:
        if family not in known:
            raise DriverUsageError(f"--fault {spec}: no family {family!r}; known: {', '.join(known)}")
        if name not in known[family]:
            raise DriverUsageError(
                f"--fault {spec}: {family} has no fault profile {name!r}; "
                f"see `python -m emulator {family} --list-faults`"
            )
        return family, name
    owners = [fam for fam, names in known.items() if spec in names]
    if not owners:
        listed = ", ".join(f"{fam}:{n}" for fam, names in known.items() for n in names)
        raise DriverUsageError(f"no fault profile {spec!r}; known: {listed} (python -m emulator FAMILY --list-faults)")
    if len(owners) > 1:
        raise DriverUsageError(
            f"--fault {spec} is a fault of several families ({', '.join(owners)}): say which, e.g. {owners[0]}:{spec}"
        )
    return owners[0], spec


def resolve_variant(spec: str) -> tuple[str, str]:
    """``"eswifi:s3-timeout-long"`` or an unambiguous ``"s3-timeout-long"`` -> (family, name)."""
    family, sep, name = spec.rpartition(":")
    known = {fam: variant_names(fam) for fam in families()}
    hint = "see `python -m emulator FAMILY --list-variants`"
    if sep:
        if family not in known:
            raise DriverUsageError(f"--variant {spec}: no family {family!r}; known: {', '.join(known)}")
        if name not in known[family]:
            raise DriverUsageError(f"--variant {spec}: {family} has no variant {name!r}; {hint}")
        return family, name
    owners = [fam for fam, names in known.items() if spec in names]
    if not owners:
        raise DriverUsageError(f"no variant {spec!r} in any family; {hint}")
    if len(owners) > 1:
        raise DriverUsageError(
            f"--variant {spec} is a variant of several families ({', '.join(owners)}): "
            f"say which, e.g. {owners[0]}:{spec}"
        )
    return owners[0], spec


def variants_for(family: str, specs: Sequence[str] | None) -> list[str]:
    """The variant names of ``specs`` (``--variant`` values) that belong to ``family``."""
    chosen = [resolve_variant(s) for s in specs or ()]
    return [name for fam, name in chosen if fam == family]


def claim_loopback_address() -> tuple[str, socket.socket]:
    """A loopback address no other emulator on this host uses, and the socket that holds the claim.

    Candidates are spread by process ID (xdist workers and concurrent runs are separate processes)
    and by a counter (several emulators in one process); the first whose claim port is free wins.
    """
    pid = os.getpid()
    with _claim_lock:
        for _ in range(4096):
            n = _claim_next[0]
            _claim_next[0] += 1
            slot = (pid * 7 + n) % (254 * 254)
            host = f"127.{101 + pid % 100}.{1 + slot // 254}.{1 + slot % 254}"
            claim = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                claim.bind((host, CLAIM_PORT))
                claim.listen(1)
            except OSError as exc:
                claim.close()
                if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                    continue
                raise DriverError(f"cannot claim a loopback address for the emulator ({host}): {exc}") from exc
            return host, claim
    raise DriverError("no free loopback address for the emulator; give one with --emulator-host")


@register
class EmulatorDriver(Driver):
    name = "emulator"
    summary = "the built-in emulator, in process (the default)"
    options = (EMULATOR_HOST, FAULT, VARIANT)

    @classmethod
    def check_options(cls, values: Mapping[str, Any], profiles: Sequence[Profile]) -> None:
        host = values.get("emulator_host")
        if host:
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                raise DriverUsageError(
                    f"--emulator-host wants an IPv4 address such as 127.0.0.1, not {host!r}"
                ) from None
        if values.get("fault"):
            resolve_fault(str(values["fault"]))
        chosen = [resolve_variant(str(v)) for v in values.get("variant") or ()]
        for family in {fam for fam, _ in chosen}:
            # Conflicting choices are a usage error now, not a failed emulator start later.
            offered = variants(family)
            try:
                merge([offered[name] for fam, name in chosen if fam == family])
            except VariantError as exc:
                raise DriverUsageError(f"--variant: {exc}") from None

    @classmethod
    def not_applicable(cls, family: str, values: Mapping[str, Any]) -> str:
        if not values.get("fault"):
            return ""
        owner, name = resolve_fault(str(values["fault"]))
        return "" if owner == family else f"--fault {owner}:{name} is a {owner} fault, not {family}"

    def open(self) -> None:
        self._claim: socket.socket | None = None
        host = self.config.option("emulator_host")
        if not host:
            host, self._claim = claim_loopback_address()
        self._host: str = host
        spec = self.config.option("fault")
        fault = resolve_fault(spec)[1] if spec else None
        try:
            variant = variants_for(self.config.profile.family, self.config.option("variant"))
            model = build_model(self.config.profile, host_ip=host, fault=fault, variant=variant)
            self._emu = EmulatorThread(model, host).start()
        except (ValueError, RuntimeError) as exc:
            self._release()
            raise DriverError(f"cannot start the emulator: {exc}") from None
        self._sock: socket.socket = self._emu.sock
        self._sock.setblocking(False)

    @property
    def dut_host(self) -> str | None:
        return self._host

    def identity(self) -> dict[str, str]:
        ident = {"driver": self.name, "port": "in-process", "baud": "n/a"}
        if self.config.option("fault"):
            ident["fault"] = str(self.config.option("fault"))
        variant = variants_for(self.config.profile.family, self.config.option("variant"))
        if variant:
            ident["variant"] = ", ".join(variant)
        return ident

    def _send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            _, writable, _ = select.select([], [self._sock], [], 5.0)
            if not writable:
                raise OSError("the emulator did not take the bytes within 5 s")
            sent = self._sock.send(view)
            view = view[sent:]

    def _recv(self, timeout: float) -> bytes | None:
        readable, _, _ = select.select([self._sock], [], [], timeout)
        if not readable:
            return b""
        data = self._sock.recv(1 << 16)
        return data if data else None

    def _release(self) -> None:
        if self._claim is not None:
            with contextlib.suppress(OSError):
                self._claim.close()
            self._claim = None

    def _close(self) -> None:
        emu = getattr(self, "_emu", None)
        if emu is not None:
            emu.stop()
        self._release()
