"""``sockconf emulate FAMILY``: serve an emulated module on a pty or a TCP port.

The first line on stdout is the serial endpoint, the second the loopback address the module's sockets
use (one of its own unless ``--host-ip`` says otherwise).

``sockconf emulate --lab LAB.toml``: a farm, every ``[[dut]]`` of the lab file at once (its
``name``, ``profile``, optional ``baud`` and ``fault``), each on its own pty or TCP port and its own
claimed loopback address, one line per DUT on stdout (name, endpoint). ``--write-lab OUT.toml``
writes the lab file the suite runs against them (serial driver, one port per DUT).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sockconf.core.family import profile_dirs
from sockconf.core.labfile import LabError, read_entries
from sockconf.core.labfile import write_lab as write_lab_file
from sockconf.emulator import build_model, default_profile, families, family, faults, states, variants
from sockconf.emulator.claim import ClaimError, claim_loopback_address
from sockconf.emulator.endpoints import serve_pty, serve_tcp
from sockconf.emulator.executor import DeviceModel, Runner
from sockconf.protocol.profile import Profile, ProfileError, available_profiles, load_profile


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sockconf emulate",
        description=(
            "Serve an emulated serial socket module. The module's sockets are real TCP/UDP sockets on "
            "--host-ip, so a peer (nc, the suite) can connect to it. The first line on stdout is the "
            "serial endpoint to open: a pty path, or a socket:// URL for pyserial. Stops on SIGINT/SIGTERM."
        ),
        epilog=f"profiles: {', '.join(sorted({n for d in profile_dirs() for n in available_profiles(d)}))}",
    )
    p.add_argument("family", nargs="?", choices=families(), help="module family to emulate (not with --lab)")
    p.add_argument("--lab", metavar="LAB.toml", help="serve every [[dut]] of this lab file at once (a farm)")
    p.add_argument(
        "--write-lab", metavar="OUT.toml", help="with --lab: write a lab file of the served endpoints for the suite"
    )
    p.add_argument(
        "--pace",
        action="store_true",
        help="take the line time at the baud rate (--baud, the lab entry's baud or the profile's; 10 bits per byte)",
    )
    p.add_argument("--baud", type=int, metavar="N", help="baud rate for --pace (default: the profile's, else 9600)")
    p.add_argument("--profile", help="profile name or .toml path (default: the family's usual module)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="serve on a new pty (the default)")
    where.add_argument("--tcp", metavar="HOST:PORT", help="serve on a TCP port instead (port 0 picks a free one)")
    p.add_argument(
        "--host-ip",
        help="address the module's sockets use and MY/C?/P? report (default: a loopback address of its own, "
        "so two emulators on one host never share the documents' fixed ports; printed on the second line)",
    )
    p.add_argument("--fault", help="start with a named fault profile (for testing the suite itself)")
    p.add_argument(
        "--list-faults", action="store_true", help="list the family's fault profiles and exit (-v: with descriptions)"
    )
    p.add_argument(
        "--state",
        help="start as a correct module that is not ready yet, e.g. not-registered (for testing the suite's preflight)",
    )
    p.add_argument(
        "--ready-after",
        type=float,
        metavar="SECONDS",
        help="with --state: the module becomes ready after this many seconds (e.g. registers)",
    )
    p.add_argument(
        "--list-states", action="store_true", help="list the family's states and exit (-v: with descriptions)"
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME",
        help="start as a named conformant variant (a defensible choice where the documents are silent); "
        "repeatable when the variants choose on different points",
    )
    p.add_argument(
        "--list-variants",
        action="store_true",
        help="list the family's conformant variants and exit (-v: with descriptions and choices)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    return p


def _tcp_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--tcp wants HOST:PORT, e.g. 127.0.0.1:7000, not {text!r}")
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    if args.lab:
        per_dut = (args.family, args.profile, args.fault, args.state, args.variant)
        listing = (args.list_faults, args.list_states, args.list_variants)
        if any(per_dut) or any(listing):
            parser.error("--lab takes the family, profile and fault of each DUT from the lab file")
        return _farm(args)
    if args.write_lab:
        parser.error("--write-lab goes with --lab")
    if not args.family:
        parser.error("give a FAMILY, or --lab LAB.toml")
    if args.list_faults or args.list_states or args.list_variants:
        listed: dict[str, str] = (
            {name: spec.description for name, spec in faults(args.family).items()}
            if args.list_faults
            else {
                name: spec.description + "\t" + ", ".join(f"{p}={c}" for p, c in {**spec.choices, **spec.sides}.items())
                for name, spec in variants(args.family).items()
            }
            if args.list_variants
            else {
                name: spec.description + (f" (with --ready-after N: {spec.ends} after N s)" if spec.ends else "")
                for name, spec in states(args.family).items()
            }
        )
        for name, description in listed.items():
            line = f"{name}\t{description}" if args.verbose else name
            try:
                print(line, flush=True)
            except BrokenPipeError:  # the reader stopped early (| head): nothing more to say
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        return 0
    claim: socket.socket | None = None
    try:
        if args.host_ip is None:
            args.host_ip, claim = claim_loopback_address()
        else:
            try:
                ipaddress.IPv4Address(args.host_ip)
            except ValueError:
                raise ValueError(f"--host-ip wants an IPv4 address such as 127.0.0.1, not {args.host_ip!r}") from None
        profile = (
            load_profile(args.profile, family(args.family).profile_dir)
            if args.profile
            else default_profile(args.family)
        )
        if profile.family != args.family:
            raise ValueError(f"profile {profile.name!r} is for {profile.family}, not {args.family}")
        if args.ready_after is not None and not 0 <= args.ready_after <= 86400:
            raise ValueError(f"--ready-after wants seconds between 0 and 86400, not {args.ready_after:g}")
        model = build_model(
            profile,
            host_ip=args.host_ip,
            fault=args.fault,
            state=args.state,
            ready_after=args.ready_after,
            variant=args.variant,
        )
        tcp = _tcp_address(args.tcp) if args.tcp else None
        baud = _pace_baud(args, profile, None)
    except (ProfileError, ValueError, ClaimError) as exc:
        if claim is not None:
            claim.close()
        print(f"sockconf emulate: error: {exc}", file=sys.stderr)
        return 2
    one = Served("", model, args.host_ip, baud)
    one.claim = claim
    return asyncio.run(_serve([one], tcp, None))


def _pace_baud(args: argparse.Namespace, profile: Profile, entry_baud: object) -> int:
    """The baud rate the UART is paced at (0: unpaced)."""
    if not args.pace:
        if args.baud is not None:
            raise ValueError("--baud sets the rate for --pace; give --pace too")
        return 0
    baud = args.baud or entry_baud or profile.get("baud") or 9600
    if not isinstance(baud, int) or not 300 <= baud <= 4_000_000:
        raise ValueError(f"baud rate wants a whole number between 300 and 4000000, not {baud!r}")
    return baud


@dataclass
class Served:
    """One emulated module of the farm: its DUT name, model, loopback address and pace."""

    name: str
    model: DeviceModel
    host_ip: str
    baud: int
    profile: str = ""
    claim: socket.socket | None = None


def _farm(args: argparse.Namespace) -> int:
    lab = Path(args.lab)
    served: list[Served] = []
    try:
        tcp = _tcp_address(args.tcp) if args.tcp else None
        entries = read_entries(lab)
        for index, entry in enumerate(entries, 1):
            name = str(entry.get("name") or "")
            where = f"lab file {lab}, DUT {name!r}" if name else f"lab file {lab}, [[dut]] entry {index}"
            if not name or any(s.name == name for s in served):
                raise ValueError(f"{where}: every DUT needs a name of its own")
            profile_name = entry.get("profile")
            if not isinstance(profile_name, str) or not profile_name:
                raise ValueError(f'{where}: no profile; give profile = "NAME" or a .toml path')
            try:
                profile = _find_profile(profile_name, lab.parent)
                host, claim = claim_loopback_address()
            except (ProfileError, ClaimError) as exc:
                raise ValueError(f"{where}: {exc}") from None
            fault = entry.get("fault")
            one = Served(name, build_model(profile, host_ip=host, fault=str(fault) if fault else None), host, 0)
            one.claim, one.profile = claim, profile.name
            served.append(one)
            one.baud = _pace_baud(args, profile, entry.get("baud"))
    except (LabError, ValueError) as exc:
        for s in served:
            if s.claim is not None:
                s.claim.close()
        print(f"sockconf emulate: error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_serve(served, tcp, Path(args.write_lab) if args.write_lab else None))


def _find_profile(name: str, base: Path) -> Profile:
    if name.endswith(".toml"):
        return load_profile(name if Path(name).is_absolute() else base / name)
    for directory in profile_dirs():
        if name in available_profiles(directory):
            return load_profile(name, directory)
    raise ProfileError(f"no profile {name!r}")


async def _serve(served: list[Served], tcp: tuple[str, int] | None, write_lab: Path | None) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    endpoints: dict[str, str] = {}
    ready = asyncio.Event()

    def announcer(one: Served) -> Callable[[str], None]:
        def announce(endpoint: str) -> None:
            endpoints[one.name] = endpoint
            if len(endpoints) == len(served):
                ready.set()

        return announce

    async def serve(one: Served) -> None:
        runner = Runner(one.model, one.host_ip, one.baud)
        if tcp is None:
            await serve_pty(runner, stop, announcer(one))
        else:
            await serve_tcp(runner, tcp[0], 0 if len(served) > 1 else tcp[1], stop, announcer(one))

    tasks = [asyncio.ensure_future(serve(one)) for one in served]
    waiter = asyncio.ensure_future(ready.wait())
    await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in tasks if t.done() and t.exception() is not None]
    if failed:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        print(f"sockconf emulate: error: {failed[0].exception()}", file=sys.stderr)
        return 1
    # The lab file first: once the endpoints are printed, a reader may open it at once.
    if write_lab is not None:
        write_lab_file(write_lab, [_lab_entry(one, endpoints[one.name]) for one in served])
    for one in served:
        if one.name:
            print(f"{one.name}\t{endpoints[one.name]}", flush=True)
        else:
            # One module: its endpoint, then the address its sockets use (what MY, C? and P? report).
            print(f"{endpoints[one.name]}\n{one.host_ip}", flush=True)
    await asyncio.gather(*tasks, return_exceptions=True)
    for one in served:
        if one.claim is not None:
            one.claim.close()
    return 0


def _lab_entry(one: Served, endpoint: str) -> dict[str, object]:
    entry: dict[str, object] = {"name": one.name, "port": endpoint, "profile": one.profile}
    if one.baud:
        entry["baud"] = one.baud
    return entry
