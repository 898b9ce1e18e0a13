"""A labgrid place, from the driver's side: finding it (by name or alias), acquiring and releasing it,
who holds it, and the resources its exporters publish for it (the serial port, power switches).

The coroutines run on the coordinator session's loop (``Coordinator.call`` bounds each one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sockconf.drivers.base import DriverError
from sockconf.drivers.labgrid.coordinator import Coordinator

# How long the exporter may take to publish the port of the ser2net it starts when the place is
# acquired (it waits 0.5 s to see that ser2net stays up).
EXPORT_TIMEOUT = 15.0
# labgrid resource class -> the labgrid driver that switches it. Resources labgrid manages through
# its own remote-place machinery (USB, GPIO, MQTT power ports) are left to `labgrid-client power`.
POWER_DRIVERS = {
    "NetworkPowerPort": "NetworkPowerDriver",
    "PDUDaemonPort": "PDUDaemonDriver",
    "NetworkYKUSHPowerPort": "YKUSHPowerDriver",
}


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


@dataclass(frozen=True)
class PowerSwitch:
    """A power resource of the place that labgrid's own power driver can switch from here."""

    name: str
    cls: str
    args: Mapping[str, Any]


def describe_holder(place: Any) -> str:
    host, _, user = str(place.acquired).partition("/")
    since = time.strftime("%Y-%m-%d %H:%M", time.localtime(place.changed)) if place.changed else "?"
    return f"user {user} on host {host} (acquired or changed {since})"


def held_message(place: Any) -> str:
    return (
        f"labgrid place {place.name} is held by {describe_holder(place)}; "
        f"wait until they release it (`labgrid-client -p {place.name} release`), or use another place "
        "(`labgrid-client who` lists who holds what)"
    )


async def current_place(session: Any, wanted: str) -> Any:
    """The place named ``wanted`` (or the one place with that alias), freshly synchronised."""
    from labgrid.remote.client import UserError

    await session.sync_with_coordinator()
    places = session.places
    if wanted in places:
        return places[wanted]
    by_alias = [p for p in places.values() if wanted in p.aliases]
    if len(by_alias) == 1:
        return by_alias[0]
    similar = sorted(n for n in places if wanted.lower() in n.lower())
    hint = f"; did you mean {', '.join(similar)}?" if similar else ""
    known = ", ".join(sorted(places)) or "none"
    raise UserError(
        f"no place named {wanted}{hint} (places: {known}); "
        f"create it with `labgrid-client -p {wanted} create` and add its resources with add-match"
    )


async def acquire_place(session: Any, name: str) -> None:
    from labgrid.remote.generated import labgrid_coordinator_pb2

    place = session.places[name]
    session.check_matches(place)  # every match of the place has a resource, or a UserError
    await session.stub.AcquirePlace(labgrid_coordinator_pb2.AcquirePlaceRequest(placename=name))
    await session.sync_with_coordinator()


async def release_place(session: Any, name: str) -> None:
    from labgrid.remote.generated import labgrid_coordinator_pb2

    await session.stub.ReleasePlace(labgrid_coordinator_pb2.ReleasePlaceRequest(placename=name))
    await session.sync_with_coordinator()


async def resources(session: Any, name: str) -> list[tuple[str, str, str, Any]]:
    """The place's acquired resources: (name in the place, exporter, class, entry)."""
    await session.sync_with_coordinator()
    place = session.places[name]
    found = []
    for path in place.acquired_resources:
        exporter, group, cls, resource_name = path
        match = place.getmatch(path)
        shown = match.rename if match is not None and match.rename else resource_name
        entry = session.resources.get(exporter, {}).get(group, {}).get(resource_name)
        if entry is None:
            from labgrid.remote.client import ServerError

            raise ServerError(
                f"place {name} has resource {exporter}/{group}/{cls}/{resource_name}, which its exporter "
                "no longer publishes (is labgrid-exporter on that host still running?)"
            )
        found.append((shown, exporter, cls, entry))
    return found


def find_serial(coord: Coordinator, place: str, wanted: str, baud: int) -> tuple[SerialExport, list[PowerSwitch]]:
    """The place's serial port (``wanted`` by name where it has several) once its exporter publishes
    it, and the place's power switches; bounded by ``EXPORT_TIMEOUT``."""
    deadline = time.monotonic() + EXPORT_TIMEOUT
    while True:
        found = coord.call(resources(coord.session, place), f"reading place {place}'s resources")
        power = [PowerSwitch(n, cls, e.args) for n, _, cls, e in found if cls in POWER_DRIVERS]
        serials = [(n, exp, e) for n, exp, cls, e in found if cls == "NetworkSerialPort"]
        if wanted:
            chosen = [s for s in serials if s[0] == wanted]
            if not chosen:
                names = ", ".join(s[0] for s in serials) or "none"
                raise DriverError(f"place {place} has no NetworkSerialPort named {wanted} (it has: {names})")
        elif len(serials) > 1:
            names = ", ".join(s[0] for s in serials)
            raise DriverError(
                f"place {place} has several serial ports ({names}): say which is the DUT's with --lg-serial"
            )
        else:
            chosen = serials
        if not chosen:
            raise DriverError(
                f"place {place} has no serial port: add the exporter's port to it, e.g. "
                f"`labgrid-client -p {place} add-match EXPORTER/GROUP/NetworkSerialPort` "
                "(`labgrid-client resources` lists what the exporters publish)"
            )
        name, exporter, entry = chosen[0]
        args = entry.args
        if entry.avail and args.get("port"):
            export = SerialExport(
                name=name,
                exporter=exporter,
                host=str(args["host"]),
                port=int(args["port"]),
                speed=int(args.get("speed") or baud),
                protocol=str(args.get("protocol") or "rfc2217"),
                path=str(entry.extra.get("path", "?")),
                extra=dict(entry.extra),
            )
            return export, power
        if time.monotonic() >= deadline:
            why = "is not available" if not entry.avail else "published no TCP port (is ser2net installed there?)"
            raise DriverError(
                f"the serial port {name} of place {place} on exporter {exporter} {why} within "
                f"{EXPORT_TIMEOUT:.0f} s; check labgrid-exporter's log on that host"
            )
        # The exporter publishes the port once its ser2net is up; look again shortly.
        threading.Event().wait(min(0.1, max(0.0, deadline - time.monotonic())))
