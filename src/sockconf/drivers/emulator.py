"""The ``emulator`` driver (default): the built-in emulator in this process, over a socket pair.

The emulator runs in a background thread as the profile says and serves real TCP/UDP sockets on a
loopback address; the suite reaches it over bytes exactly as it would a UART. Unless
``--emulator-host`` names one, every emulator gets a loopback address of its own (claimed for as
long as it runs), so parallel workers, several DUTs and concurrent runs on one host never share a port.
"""

from __future__ import annotations

import contextlib
import ipaddress
import select
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sockconf.drivers import register
from sockconf.drivers.base import Driver, DriverError, DriverUsageError, Option
from sockconf.emulator import build_model, families, fault_names, state_names, states, variant_names, variants
from sockconf.emulator.claim import ClaimError
from sockconf.emulator.claim import claim_loopback_address as _claim
from sockconf.emulator.thread import EmulatorThread
from sockconf.emulator.variants import VariantError, merge
from sockconf.protocol.profile import Profile

EMULATOR_HOST = Option(
    "--emulator-host",
    "loopback address the emulator's sockets listen on (default: one of its own per emulator, claimed for the run)",
    metavar="ADDR",
)
PACE = Option(
    "--pace",
    "make the emulator's UART take the line time at BAUD (10 bits per byte, both directions), like hardware",
    metavar="BAUD",
    type=int,
)
FAULT = Option(
    "--fault",
    "start the emulator with a named fault profile, FAMILY:NAME or a NAME only one family has (suite self-test)",
    metavar="[FAMILY:]NAME",
)
STATE = Option(
    "--state",
    "start the emulator as a correct module that is not ready yet, FAMILY:NAME or a NAME only one family has "
    "(e.g. not-registered; tests the preflight; sockconf emulate FAMILY --list-states)",
    metavar="[FAMILY:]NAME",
)
READY_AFTER = Option(
    "--ready-after",
    "with --state: the emulated module becomes ready (registers, joins) after this many seconds",
    metavar="SECONDS",
    type=float,
)
VARIANT = Option(
    "--variant",
    "start the emulator as a named conformant variant, FAMILY:NAME or a NAME only one family has; repeatable "
    "(choices on different silent points combine); it applies to that family's DUTs (suite self-test)",
    metavar="[FAMILY:]NAME",
    repeat=True,
)


def _resolve(kind: str, flag: str, spec: str, names_of: Callable[[str], list[str]]) -> tuple[str, str]:
    """``"FAMILY:NAME"`` or a ``"NAME"`` only one family has -> (family, name), for one catalogue kind."""
    family, sep, name = spec.rpartition(":")
    known = {fam: names_of(fam) for fam in families()}
    hint = f"see `sockconf emulate FAMILY --list-{flag.removeprefix('--')}s`"
    if sep:
        if family not in known:
            raise DriverUsageError(f"{flag} {spec}: no family {family!r}; known: {', '.join(known)}")
        if name not in known[family]:
            raise DriverUsageError(f"{flag} {spec}: {family} has no {kind} {name!r}; {hint}")
        return family, name
    owners = [fam for fam, names in known.items() if spec in names]
    if not owners:
        listed = ", ".join(f"{fam}:{n}" for fam, names in known.items() for n in names) or "none"
        raise DriverUsageError(f"no {kind} {spec!r}; known: {listed} ({hint})")
    if len(owners) > 1:
        raise DriverUsageError(
            f"{flag} {spec} is a {kind} of several families ({', '.join(owners)}): say which, e.g. {owners[0]}:{spec}"
        )
    return owners[0], spec


def resolve_fault(spec: str) -> tuple[str, str]:
    """``"xbee:goes-silent"`` or an unambiguous ``"goes-silent"`` -> (family, name)."""
    return _resolve("fault profile", "--fault", spec, fault_names)


def resolve_state(spec: str) -> tuple[str, str]:
    """``"xbee:not-registered"`` or an unambiguous ``"not-registered"`` -> (family, name)."""
    return _resolve("state", "--state", spec, state_names)


def resolve_variant(spec: str) -> tuple[str, str]:
    """``"eswifi:s3-timeout-long"`` or an unambiguous ``"s3-timeout-long"`` -> (family, name)."""
    return _resolve("variant", "--variant", spec, variant_names)


def variants_for(family: str, specs: Sequence[str] | None) -> list[str]:
    """The variant names of ``specs`` (``--variant`` values) that belong to ``family``."""
    chosen = [resolve_variant(s) for s in specs or ()]
    return [name for fam, name in chosen if fam == family]


def claim_loopback_address() -> tuple[str, socket.socket]:
    """A loopback address of its own for one emulator, and the socket holding the claim (``emulator.claim``)."""
    try:
        return _claim()
    except ClaimError as exc:
        raise DriverError(f"{exc} (--emulator-host)") from None


@register
class EmulatorDriver(Driver):
    name = "emulator"
    summary = "the built-in emulator, in process (the default)"
    options = (EMULATOR_HOST, FAULT, VARIANT, STATE, READY_AFTER, PACE)

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
        ready_after = values.get("ready_after")
        if values.get("state"):
            owner, name = resolve_state(str(values["state"]))
            if ready_after is not None and not states(owner)[name].ends:
                raise DriverUsageError(f"--state {owner}:{name} does not end by itself: --ready-after does not apply")
        elif ready_after is not None:
            raise DriverUsageError("--ready-after needs --state NAME (the state the module leaves after that time)")
        if ready_after is not None and not 0 <= ready_after <= 86400:
            raise DriverUsageError(f"--ready-after wants seconds between 0 and 86400, not {ready_after:g}")
        if values.get("pace") is not None and not 300 <= int(values["pace"]) <= 4_000_000:
            raise DriverUsageError(f"--pace wants a baud rate between 300 and 4000000, not {values['pace']}")
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
        if values.get("fault"):
            owner, name = resolve_fault(str(values["fault"]))
            if owner != family:
                return f"--fault {owner}:{name} is a {owner} fault, not {family}"
        if values.get("state"):
            owner, name = resolve_state(str(values["state"]))
            if owner != family:
                return f"--state {owner}:{name} is a {owner} state, not {family}"
        return ""

    def open(self) -> None:
        self._claim: socket.socket | None = None
        host = self.config.option("emulator_host")
        if not host:
            host, self._claim = claim_loopback_address()
        self._host: str = host
        spec = self.config.option("fault")
        fault = resolve_fault(spec)[1] if spec else None
        state_spec = self.config.option("state")
        state = resolve_state(state_spec)[1] if state_spec else None
        try:
            model = build_model(
                self.config.profile,
                host_ip=host,
                fault=fault,
                state=state,
                ready_after=self.config.option("ready_after"),
                variant=variants_for(self.config.profile.family, self.config.option("variant")),
            )
            self._emu = EmulatorThread(model, host, baud=int(self.config.option("pace", 0))).start()
        except (ValueError, RuntimeError) as exc:
            self._release()
            raise DriverError(f"cannot start the emulator: {exc}") from None
        self._sock: socket.socket = self._emu.sock
        self._sock.setblocking(False)

    @property
    def dut_host(self) -> str | None:
        return self._host

    def identity(self) -> dict[str, str]:
        pace = self.config.option("pace")
        ident = {"driver": self.name, "port": "in-process", "baud": f"{pace} (paced)" if pace else "n/a"}
        if self.config.option("fault"):
            ident["fault"] = str(self.config.option("fault"))
        if self.config.option("state"):
            after = self.config.option("ready_after")
            ident["state"] = str(self.config.option("state")) + (f" (ready after {after:g} s)" if after else "")
        variant = variants_for(self.config.profile.family, self.config.option("variant"))
        if variant:
            ident["variant"] = ", ".join(variant)
        return ident

    @property
    def line_baud(self) -> int | None:
        """The --pace rate: the emulator takes the bytes at it (unpaced: no line time)."""
        pace = self.config.option("pace")
        return int(pace) if pace else None

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
