"""The ``labgrid`` driver: a DUT in a labgrid lab, reached through a place (``--lg-place``).

The driver talks to the labgrid coordinator with labgrid's own client session (gRPC, labgrid 24 and
later), acquires the place for the run, and opens the serial port the place's exporter publishes
(a ``NetworkSerialPort``: ser2net speaking RFC 2217) with pyserial. Where the place has a power
resource labgrid can switch from here (``NetworkPowerPort``, ``PDUDaemonPort``,
``NetworkYKUSHPowerPort``), ``power_cycle`` switches it through labgrid's power driver.

Acquiring and releasing:

- A free place is acquired at ``open`` and released at ``close``; also at interpreter exit (a crash,
  Ctrl-C, ``pytest.exit``) and on SIGTERM/SIGHUP, so a stopped run does not leave the place locked.
  Only a SIGKILL can leave it acquired: ``labgrid-client -p PLACE release`` frees it.
- A place this user on this host already holds (``labgrid-client -p PLACE acquire`` beforehand, the
  usual labgrid workflow), or that its holder has allowed this user on (``labgrid-client allow``), is
  used as it is and left acquired at the end: the run did not take it, so it does not give it back.
- A place held by anyone else is an error naming the holder.
- Two sockconf runs on one host never share a place: each holds an advisory lock file for it (the
  operating system drops the lock when the process ends, however it ends).

Every wait is bounded: the coordinator's answers, the exporter publishing its ser2net port, opening
the port, each write, each power switch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import serial
import serial.rfc2217

from sockconf.drivers import register
from sockconf.drivers.base import (
    Driver,
    DriverError,
    DriverUsageError,
    Option,
    PowerControlUnsupported,
    check_baud,
    require_profile,
)
from sockconf.drivers.labgrid.coordinator import (
    DEFAULT_COORDINATOR,
    Coordinator,
    bounded,
    coordinator_address,
    labgrid_missing,
)
from sockconf.drivers.labgrid.lock import guard, lock_place, unguard, unlock
from sockconf.drivers.labgrid.place import (
    POWER_DRIVERS,
    PowerSwitch,
    SerialExport,
    acquire_place,
    current_place,
    find_serial,
    held_message,
    release_place,
)
from sockconf.drivers.serial_port import BAUD
from sockconf.protocol.profile import Profile

log = logging.getLogger(__name__)

PLACE = Option(
    "--lg-place",
    "labgrid place whose serial port reaches the DUT (default: $LG_PLACE, as labgrid-client)",
    metavar="NAME",
    lab_key="place",
)
COORDINATOR = Option(
    "--lg-coordinator",
    f"labgrid coordinator HOST[:PORT] (default: $LG_COORDINATOR, else {DEFAULT_COORDINATOR})",
    metavar="HOST:PORT",
    lab_key="coordinator",
    # labgrid's own pytest plugin, loaded wherever labgrid is installed, declares --lg-coordinator
    # (dest lg_coordinator) too; the value lands in the same place either way.
    provided_by="labgrid",
)
SERIAL = Option(
    "--lg-serial",
    "which of the place's NetworkSerialPorts is the DUT's, by its name in the place (only needed with several)",
    metavar="NAME",
    lab_key="serial",
)

OPEN_TIMEOUT = 15.0
WRITE_TIMEOUT = 5.0  # pyserial's RFC 2217 socket timeout bounds every write
POWER_TIMEOUT = 60.0  # off, the power driver's off time, on
_COORDINATOR_RE = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$")


def place_name(values: Mapping[str, Any]) -> str:
    return str(values.get("lg_place") or os.environ.get("LG_PLACE") or "")


class _Rfc2217Port(serial.rfc2217.Serial):  # type: ignore[misc]
    """pyserial's RFC 2217 port whose read timeout is only a number to wait by.

    pyserial 3.5 renegotiates every port setting with ser2net whenever ``timeout`` changes, a round
    trip per read here (labgrid's own fork of pyserial drops that; which of the two is installed
    depends on install order, as both provide the ``serial`` package). The settings are negotiated
    once, at open.
    """

    @property
    def timeout(self) -> float | None:
        current: float | None = self._timeout
        return current

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        if value is not None and value < 0:
            raise ValueError(f"Not a valid timeout: {value!r}")
        self._timeout = value


@register
class LabgridDriver(Driver):
    name = "labgrid"
    summary = "a labgrid place: its exporter's serial port, its power switch (--lg-place)"
    options = (PLACE, COORDINATOR, SERIAL, BAUD)

    @classmethod
    def check_options(cls, values: Mapping[str, Any], profiles: Sequence[Profile]) -> None:
        if not place_name(values):
            raise DriverUsageError(
                "--driver labgrid needs --lg-place NAME (or LG_PLACE): the labgrid place of the DUT; "
                "list places with `labgrid-client places`"
            )
        address = coordinator_address(values)
        if not _COORDINATOR_RE.match(address) or int(address.rpartition(":")[2] or 1) > 65535:
            raise DriverUsageError(f"--lg-coordinator wants HOST[:PORT] such as 127.0.0.1:20408, not {address!r}")
        check_baud(values)
        require_profile(profiles, cls.name, f"place {place_name(values)}")
        missing = labgrid_missing()
        if missing:
            raise DriverUsageError(missing)

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._coordinator: Coordinator | None = None
        self._port: Any = None
        self._lock_fd: int | None = None
        self._acquired_here = False  # the run acquired the place, so the run releases it
        self._place = place_name(config.options)
        self._address = coordinator_address(config.options)
        self._export: SerialExport | None = None
        self._url = ""
        self._power: list[PowerSwitch] = []

    @property
    def baud(self) -> int:
        return int(self.config.option("baud") or self.config.profile.get("baud", 9600))

    @property
    def line_baud(self) -> int | None:
        return self.baud

    def identity(self) -> dict[str, str]:
        ident = {"driver": self.name, "place": self._place, "baud": str(self.baud)}
        ident["coordinator"] = self._address
        if self._export is not None:
            ident["exporter"] = self._export.exporter
            ident["port"] = f"{self._export.exporter}:{self._export.path} ({self._url})"
        return ident

    # -- open: coordinator, lock, acquire, serial port

    def open(self) -> None:
        missing = labgrid_missing()
        if missing:
            raise DriverError(missing)
        if not self._place:
            raise DriverError("--driver labgrid needs --lg-place NAME (or LG_PLACE)")
        try:
            self._coordinator = coord = Coordinator.connect(self._address)
            self._acquire()
            self._export, self._power = find_serial(
                coord, self._place, self.config.option("lg_serial") or "", self.baud
            )
            self._open_serial()
        except BaseException:
            self._close()
            raise

    def _acquire(self) -> None:
        coord = self._coordinator
        assert coord is not None
        me = coord.me()
        place = coord.call(current_place(coord.session, self._place), f"looking up place {self._place}")
        self._place = place.name  # an alias given names the place itself from here on
        self._lock_fd = lock_place(self._address, self._place)
        if place.acquired and place.acquired != me and me not in place.allowed:
            raise DriverError(held_message(place))
        if place.acquired:
            log.info("labgrid place %s is already acquired by %s; using it and leaving it acquired", place.name, me)
            return
        self._acquired_here = True  # from here on, close() gives the place back
        guard(self, self._close)  # also at exit and on SIGTERM/SIGHUP
        try:
            coord.call(acquire_place(coord.session, place.name), f"acquiring place {place.name}")
        except DriverError:
            # Someone may have taken it since the look-up (say who), or the answer came too late.
            again = coord.call(current_place(coord.session, self._place), f"looking up place {self._place}")
            self._acquired_here = again.acquired == me
            if again.acquired and again.acquired != me:
                raise DriverError(held_message(again)) from None
            raise

    def _open_serial(self) -> None:
        export = self._export
        assert export is not None
        host, port = self._forward(export)
        self._url = export.url(host, port)
        deadline = time.monotonic() + OPEN_TIMEOUT
        while True:
            try:
                # No write_timeout: pyserial's RFC 2217 port refuses one; its socket timeout bounds writes.
                if self._url.startswith("rfc2217://"):
                    self._port = _Rfc2217Port(self._url, baudrate=self.baud, timeout=0)
                else:
                    self._port = serial.serial_for_url(self._url, baudrate=self.baud, timeout=0)
                return
            except (serial.SerialException, ValueError, OSError) as exc:
                if time.monotonic() >= deadline:
                    raise DriverError(
                        f"cannot open the serial port of place {self._place} ({self._url}, {export.path} on exporter "
                        f"{export.exporter}) within {OPEN_TIMEOUT:.0f} s: {exc}. Check that ser2net runs on the "
                        "exporter host and that this host can reach it"
                    ) from None
                # ser2net may not listen yet right after the exporter started it: try again shortly.
                threading.Event().wait(min(0.2, max(0.0, deadline - time.monotonic())))

    def _forward(self, export: SerialExport) -> tuple[str, int]:
        """The address to connect to: the exporter's, or an SSH forward when the exporter asks for one."""
        if not (export.extra.get("proxy_required") or os.environ.get("LG_PROXY")):
            return export.host, export.port
        from labgrid.resource.serialport import NetworkSerialPort
        from labgrid.util.proxy import proxymanager

        resource = NetworkSerialPort(
            target=None, name=None, host=export.host, port=export.port, speed=export.speed, protocol=export.protocol
        )
        resource.extra = dict(export.extra)
        try:
            host, port = bounded(
                lambda: proxymanager.get_host_and_port(resource), OPEN_TIMEOUT, "the SSH forward to the exporter"
            )
        except Exception as exc:
            if isinstance(exc, DriverError):
                raise
            raise DriverError(f"cannot forward to the exporter's serial port over SSH: {exc}") from None
        return str(host), int(port)

    # -- byte I/O

    def _send(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except serial.SerialException as exc:
            raise OSError(f"{exc} (the exporter's ser2net took no bytes within {WRITE_TIMEOUT:.0f} s?)") from exc

    def _recv(self, timeout: float) -> bytes | None:
        try:
            self._port.timeout = timeout
            first = self._port.read(1)
            if not first:
                return b""
            waiting = self._port.in_waiting
            if not waiting:
                return bytes(first)
            # pyserial's RFC 2217 port hands out queued bytes one per read() with timeout 0; with a
            # timeout, read(waiting) takes all that is queued and returns at once.
            self._port.timeout = 1.0
            return bytes(first + self._port.read(waiting))
        except serial.SerialException as exc:
            if "reader thread died" in str(exc) or "disconnected" in str(exc) or "returned no data" in str(exc):
                return None  # ser2net closed the connection (exporter stopped, place released elsewhere)
            raise OSError(str(exc)) from exc

    # -- power

    @property
    def has_power_control(self) -> bool:
        return bool(self._power)

    def power_cycle(self) -> None:
        if not self._power:
            raise PowerControlUnsupported(
                f"place {self._place} has no power resource sockconf can switch "
                f"({', '.join(POWER_DRIVERS)}); add one with `labgrid-client -p {self._place} add-match ...`"
            )
        switch = self._power[0]
        name, cls, args = switch.name, switch.cls, switch.args
        import labgrid.driver  # noqa: F401  (registers labgrid's drivers with its factory)
        from labgrid import Target, target_factory

        def cycle() -> None:
            target = Target(f"sockconf-{self._place}")
            target_factory.make_resource(target, cls, name, dict(args))
            driver = target_factory.make_driver(target, POWER_DRIVERS[cls], name, {})
            target.activate(driver)
            try:
                driver.cycle()
            finally:
                target.deactivate_all_drivers()

        log.info("power cycling place %s through %s %s", self._place, cls, name)
        try:
            bounded(cycle, POWER_TIMEOUT, f"power cycling place {self._place} ({cls} {name})")
        except DriverError:
            raise
        except Exception as exc:
            raise DriverError(
                f"power cycling place {self._place} through {cls} {name} failed: {exc}; "
                f"try `labgrid-client -p {self._place} power cycle` to see labgrid's own error"
            ) from None

    # -- close: port, place, lock

    def _close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        coord = self._coordinator
        if coord is not None and self._acquired_here:
            self._acquired_here = False
            try:
                coord.call(release_place(coord.session, self._place), f"releasing place {self._place}")
            except DriverError as exc:
                log.warning("%s; release it with `labgrid-client -p %s release`", exc, self._place)
        if coord is not None:
            self._coordinator = None
            coord.disconnect()
        unlock(self._lock_fd)
        self._lock_fd = None
        unguard(self)
