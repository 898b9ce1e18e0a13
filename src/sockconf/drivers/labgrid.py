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

import asyncio
import atexit
import concurrent.futures
import contextlib
import hashlib
import logging
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar, TypeVar

import serial
import serial.rfc2217

from sockconf.drivers import register
from sockconf.drivers.base import Driver, DriverError, DriverUsageError, Option, PowerControlUnsupported
from sockconf.drivers.serial_port import BAUD
from sockconf.protocol.profile import Profile

log = logging.getLogger(__name__)

DEFAULT_COORDINATOR = "127.0.0.1:20408"  # labgrid-client's default when LG_COORDINATOR is unset
INSTALL = "pip install 'labgrid>=24,<27'"

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

# How long the coordinator may take to answer one request, and the exporter to publish the port of
# the ser2net it starts when the place is acquired (it waits 0.5 s to see that ser2net stays up).
COORDINATOR_TIMEOUT = 10.0
EXPORT_TIMEOUT = 15.0
OPEN_TIMEOUT = 15.0
WRITE_TIMEOUT = 5.0  # pyserial's RFC 2217 socket timeout bounds every write
POWER_TIMEOUT = 60.0  # off, the power driver's off time, on
# labgrid resource class -> the labgrid driver that switches it. Resources labgrid manages through
# its own remote-place machinery (USB, GPIO, MQTT power ports) are left to `labgrid-client power`.
POWER_DRIVERS = {
    "NetworkPowerPort": "NetworkPowerDriver",
    "PDUDaemonPort": "PDUDaemonDriver",
    "NetworkYKUSHPowerPort": "YKUSHPowerDriver",
}
_COORDINATOR_RE = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$")

T = TypeVar("T")


def coordinator_address(values: Mapping[str, Any]) -> str:
    return str(values.get("lg_coordinator") or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR)


def place_name(values: Mapping[str, Any]) -> str:
    return str(values.get("lg_place") or os.environ.get("LG_PLACE") or "")


def labgrid_missing() -> str:
    """Why labgrid cannot be used here ("" when it can)."""
    try:
        import labgrid.remote.client  # noqa: F401
    except ImportError as exc:
        return f"--driver labgrid needs labgrid's Python package ({exc}); install it: {INSTALL}"
    return ""


def _bounded(fn: Callable[[], T], seconds: float, what: str) -> T:
    """``fn()`` in a worker thread; a DriverError if it has not returned within ``seconds``.

    For labgrid calls that may block without a deadline of their own (an HTTP request to a power
    switch, an SSH forward): the run stops with a message instead of hanging.
    """
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="labgrid-call")
    try:
        return pool.submit(fn).result(seconds)
    except concurrent.futures.TimeoutError:
        raise DriverError(f"{what} did not finish within {seconds:.0f} s") from None
    finally:
        pool.shutdown(wait=False)


@dataclass(frozen=True)
class SerialExport:
    """The place's serial port as its exporter publishes it."""

    name: str  # the resource's name in the place
    exporter: str
    host: str
    port: int
    speed: int
    protocol: str
    path: str  # the device on the exporter host
    extra: Mapping[str, Any]

    def url(self, host: str, port: int) -> str:
        if self.protocol == "raw":
            return f"socket://{host}:{port}"
        # labgrid's exporter runs ser2net with `local` (no modem lines): without ign_set_control pyserial
        # would wait for an answer to RTS/DTR that never comes. labgrid's own SerialDriver does the same.
        return f"rfc2217://{host}:{port}?ign_set_control"


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


class Coordinator:
    """A labgrid ClientSession whose event loop runs in a thread of its own.

    The loop keeps the coordinator's update stream read and its keepalives answered for as long as
    the run lasts; the driver's calls are coroutines run on that loop, each with a deadline.
    """

    def __init__(self, address: str) -> None:
        from labgrid.util.proxy import proxymanager

        self.given = address
        self.address = str(proxymanager.get_grpc_address(address, default_port=20408))
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="labgrid-coordinator", daemon=True)
        self._thread.start()
        self.session: Any = None
        try:
            self.session = self.call(self._start(), "connecting to the labgrid coordinator")
        except BaseException:
            self.stop()
            raise

    async def _start(self) -> Any:
        from labgrid.remote.client import ClientSession

        session = ClientSession(self.address, self.loop)
        try:
            await session.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await session.stop()
            with contextlib.suppress(Exception):
                await session.close()
            raise
        return session

    def call(self, coro: Coroutine[Any, Any, T], what: str, timeout: float = COORDINATOR_TIMEOUT) -> T:
        """Run ``coro`` on the session's loop; labgrid's and gRPC's errors become DriverErrors."""
        import grpc
        from labgrid.remote.client import Error as LabgridError

        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop)
        try:
            return future.result(timeout + 2)
        except (TimeoutError, concurrent.futures.TimeoutError):
            future.cancel()
            raise DriverError(
                f"{what}: the labgrid coordinator at {self.given} did not answer within {timeout:.0f} s; "
                "check that labgrid-coordinator runs there and that --lg-coordinator (or LG_COORDINATOR) names it"
            ) from None
        except grpc.RpcError as exc:
            details = exc.details() if isinstance(exc, grpc.aio.AioRpcError) else str(exc)
            raise DriverError(f"{what}: the labgrid coordinator at {self.given} answered: {details}") from None
        except LabgridError as exc:
            text = str(exc).removeprefix("Error: ")
            if "connect to coordinator" in text:
                text += (
                    "; check that labgrid-coordinator runs there (labgrid 24 or later) and that "
                    "--lg-coordinator (or LG_COORDINATOR) names it"
                )
            raise DriverError(f"{what} at {self.given}: {text}") from None

    # One session per coordinator per process: gRPC gives channels to one address one TCP connection,
    # and the coordinator refuses a second client stream from a peer it already has (several DUTs).
    _shared: ClassVar[dict[str, tuple[Coordinator, int]]] = {}
    _shared_lock: ClassVar[threading.RLock] = threading.RLock()  # re-entrant: a signal may close mid-open

    @classmethod
    def connect(cls, address: str) -> Coordinator:
        with cls._shared_lock:
            if address in cls._shared:
                coord, users = cls._shared[address]
                cls._shared[address] = (coord, users + 1)
                return coord
            coord = cls(address)
            cls._shared[address] = (coord, 1)
            return coord

    def disconnect(self) -> None:
        with self._shared_lock:
            coord, users = self._shared.get(self.given, (None, 0))
            if coord is self and users > 1:
                self._shared[self.given] = (self, users - 1)
                return
            if coord is self:
                del self._shared[self.given]
        self.stop()

    def me(self) -> str:
        """This client as labgrid names holders: HOST/USER ($LG_HOSTNAME, $LG_USERNAME override them)."""
        return f"{self.session.gethostname()}/{self.session.getuser()}"

    def stop(self) -> None:
        session, self.session = self.session, None
        if session is not None:

            async def _stop() -> None:
                with contextlib.suppress(Exception):
                    await session.stop()
                with contextlib.suppress(Exception):
                    await session.close()

            with contextlib.suppress(DriverError):
                self.call(_stop(), "closing the coordinator session", timeout=5.0)
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5.0)
        if not self._thread.is_alive():
            self.loop.close()


def _describe_holder(place: Any) -> str:
    host, _, user = str(place.acquired).partition("/")
    since = time.strftime("%Y-%m-%d %H:%M", time.localtime(place.changed)) if place.changed else "?"
    return f"user {user} on host {host} (acquired or changed {since})"


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
        if values.get("baud") is not None and values["baud"] <= 0:
            raise DriverUsageError(f"--baud wants a positive number, not {values['baud']}")
        if not profiles:
            raise DriverUsageError(
                f"--driver labgrid needs --profile to know which module is in place {place_name(values)}: "
                "a built-in profile name or a .toml path"
            )
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
        self._power: list[tuple[str, str, Mapping[str, Any]]] = []  # (name, class, args)

    @property
    def baud(self) -> int:
        return int(self.config.option("baud") or self.config.profile.get("baud", 9600))

    def identity(self) -> dict[str, str]:
        ident = {"driver": self.name, "place": self._place, "baud": str(self.baud)}
        ident["coordinator"] = self._address
        if self._export is not None:
            ident["exporter"] = self._export.exporter
            ident["port"] = f"{self._export.exporter}:{self._export.path} ({self._url})"
        return ident

    # -- open: lock, coordinator, acquire, serial port

    def open(self) -> None:
        missing = labgrid_missing()
        if missing:
            raise DriverError(missing)
        if not self._place:
            raise DriverError("--driver labgrid needs --lg-place NAME (or LG_PLACE)")
        try:
            self._coordinator = Coordinator.connect(self._address)
            self._acquire()
            self._export = self._find_serial()
            self._open_serial()
        except BaseException:
            self._close()
            raise

    def _lock(self, address: str) -> None:
        try:
            import fcntl
        except ImportError:
            return  # no flock (Windows): the coordinator's acquisition is the only guard
        key = hashlib.sha256(f"{address}\0{self._place}".encode()).hexdigest()[:16]
        path = os.path.join(tempfile.gettempdir(), f"sockconf-labgrid-{key}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise DriverError(
                f"labgrid place {self._place} is in use by another sockconf run on this host "
                f"(lock file {path}); run one at a time per place"
            ) from None
        self._lock_fd = fd

    def _acquire(self) -> None:
        coord = self._coordinator
        assert coord is not None
        me = coord.me()
        place = coord.call(self._current_place(), f"looking up place {self._place}")
        self._place = place.name  # an alias given names the place itself from here on
        self._lock(self._address)
        if place.acquired and place.acquired != me and me not in place.allowed:
            raise DriverError(self._held_message(place))
        if place.acquired:
            log.info("labgrid place %s is already acquired by %s; using it and leaving it acquired", place.name, me)
            return
        self._acquired_here = True  # from here on, close() gives the place back
        self._guard()
        try:
            coord.call(self._acquire_place(place.name), f"acquiring place {place.name}")
        except DriverError:
            # Someone may have taken it since the look-up (say who), or the answer came too late.
            again = coord.call(self._current_place(), f"looking up place {self._place}")
            self._acquired_here = again.acquired == me
            if again.acquired and again.acquired != me:
                raise DriverError(self._held_message(again)) from None
            raise

    def _held_message(self, place: Any) -> str:
        return (
            f"labgrid place {place.name} is held by {_describe_holder(place)}; "
            f"wait until they release it (`labgrid-client -p {place.name} release`), or use another place "
            "(`labgrid-client who` lists who holds what)"
        )

    async def _current_place(self) -> Any:
        from labgrid.remote.client import UserError

        session = self._session()
        await session.sync_with_coordinator()
        places = session.places
        if self._place in places:
            return places[self._place]
        by_alias = [p for p in places.values() if self._place in p.aliases]
        if len(by_alias) == 1:
            return by_alias[0]
        similar = sorted(n for n in places if self._place.lower() in n.lower())
        hint = f"; did you mean {', '.join(similar)}?" if similar else ""
        known = ", ".join(sorted(places)) or "none"
        raise UserError(
            f"no place named {self._place}{hint} (places: {known}); "
            f"create it with `labgrid-client -p {self._place} create` and add its resources with add-match"
        )

    async def _acquire_place(self, name: str) -> None:
        from labgrid.remote.generated import labgrid_coordinator_pb2

        session = self._session()
        place = session.places[name]
        session.check_matches(place)  # every match of the place has a resource, or a UserError
        await session.stub.AcquirePlace(labgrid_coordinator_pb2.AcquirePlaceRequest(placename=name))
        await session.sync_with_coordinator()

    async def _release_place(self, name: str) -> None:
        from labgrid.remote.generated import labgrid_coordinator_pb2

        session = self._session()
        await session.stub.ReleasePlace(labgrid_coordinator_pb2.ReleasePlaceRequest(placename=name))
        await session.sync_with_coordinator()

    def _session(self) -> Any:
        assert self._coordinator is not None and self._coordinator.session is not None
        return self._coordinator.session

    async def _resources(self) -> list[tuple[str, str, str, Any]]:
        """The place's acquired resources: (name in the place, exporter, class, entry)."""
        session = self._session()
        await session.sync_with_coordinator()
        place = session.places[self._place]
        found = []
        for path in place.acquired_resources:
            exporter, group, cls, resource_name = path
            match = place.getmatch(path)
            name = match.rename if match is not None and match.rename else resource_name
            entry = session.resources.get(exporter, {}).get(group, {}).get(resource_name)
            if entry is None:
                from labgrid.remote.client import ServerError

                raise ServerError(
                    f"place {self._place} has resource {exporter}/{group}/{cls}/{resource_name}, which its exporter "
                    "no longer publishes (is labgrid-exporter on that host still running?)"
                )
            found.append((name, exporter, cls, entry))
        return found

    def _find_serial(self) -> SerialExport:
        coord = self._coordinator
        assert coord is not None
        wanted = self.config.option("lg_serial")
        deadline = time.monotonic() + EXPORT_TIMEOUT
        while True:
            resources = coord.call(self._resources(), f"reading place {self._place}'s resources")
            self._power = [(n, cls, e.args) for n, _, cls, e in resources if cls in POWER_DRIVERS]
            serials = [(n, exp, e) for n, exp, cls, e in resources if cls == "NetworkSerialPort"]
            if wanted:
                chosen = [s for s in serials if s[0] == wanted]
                if not chosen:
                    names = ", ".join(s[0] for s in serials) or "none"
                    raise DriverError(f"place {self._place} has no NetworkSerialPort named {wanted} (it has: {names})")
            elif len(serials) > 1:
                names = ", ".join(s[0] for s in serials)
                raise DriverError(
                    f"place {self._place} has several serial ports ({names}): say which is the DUT's with --lg-serial"
                )
            else:
                chosen = serials
            if not chosen:
                raise DriverError(
                    f"place {self._place} has no serial port: add the exporter's port to it, e.g. "
                    f"`labgrid-client -p {self._place} add-match EXPORTER/GROUP/NetworkSerialPort` "
                    "(`labgrid-client resources` lists what the exporters publish)"
                )
            name, exporter, entry = chosen[0]
            args = entry.args
            if entry.avail and args.get("port"):
                return SerialExport(
                    name=name,
                    exporter=exporter,
                    host=str(args["host"]),
                    port=int(args["port"]),
                    speed=int(args.get("speed") or self.baud),
                    protocol=str(args.get("protocol") or "rfc2217"),
                    path=str(entry.extra.get("path", "?")),
                    extra=dict(entry.extra),
                )
            if time.monotonic() >= deadline:
                why = "is not available" if not entry.avail else "published no TCP port (is ser2net installed there?)"
                raise DriverError(
                    f"the serial port {name} of place {self._place} on exporter {exporter} {why} within "
                    f"{EXPORT_TIMEOUT:.0f} s; check labgrid-exporter's log on that host"
                )
            # The exporter publishes the port once its ser2net is up; look again shortly.
            threading.Event().wait(min(0.1, max(0.0, deadline - time.monotonic())))

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
            host, port = _bounded(
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
        name, cls, args = self._power[0]
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
            _bounded(cycle, POWER_TIMEOUT, f"power cycling place {self._place} ({cls} {name})")
        except DriverError:
            raise
        except Exception as exc:
            raise DriverError(
                f"power cycling place {self._place} through {cls} {name} failed: {exc}; "
                f"try `labgrid-client -p {self._place} power cycle` to see labgrid's own error"
            ) from None

    # -- close: port, place, lock

    def _guard(self) -> None:
        """Give the place back however the process ends: at exit, and on SIGTERM/SIGHUP."""
        _holding.add(self)
        _install_guards()

    def _close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        coord = self._coordinator
        if coord is not None and self._acquired_here:
            self._acquired_here = False
            try:
                coord.call(self._release_place(self._place), f"releasing place {self._place}")
            except DriverError as exc:
                log.warning("%s; release it with `labgrid-client -p %s release`", exc, self._place)
        if coord is not None:
            self._coordinator = None
            coord.disconnect()
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None
        _holding.discard(self)


# The drivers holding a place this run acquired (several DUTs may share one process), and the
# process-wide guards that give those places back when the process ends some other way than close().
_holding: set[LabgridDriver] = set()
_guards_installed: list[bool] = []


def _release_all() -> None:
    for driver in list(_holding):
        driver._close()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _release_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # end as the signal would have ended the process


def _install_guards() -> None:
    if _guards_installed:
        return
    _guards_installed.append(True)
    atexit.register(_release_all)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread; atexit still covers a normal exit
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        # Only where nobody else handles the signal: a handler someone set stays theirs.
        if signum is not None and signal.getsignal(signum) in (signal.SIG_DFL, None):
            signal.signal(signum, _on_signal)
