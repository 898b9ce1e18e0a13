"""``python -m emulator FAMILY``: serve an emulated module on a pty or a TCP port."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import sys

from core.family import profile_dirs
from emulator import build_model, default_profile, families, family, faults, variants
from emulator.endpoints import serve_pty, serve_tcp
from emulator.executor import Runner
from protocol.profile import ProfileError, available_profiles, load_profile


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m emulator",
        description=(
            "Serve an emulated serial socket module. The module's sockets are real TCP/UDP sockets on "
            "--host-ip, so a peer (nc, the suite) can connect to it. The first line on stdout is the "
            "serial endpoint to open: a pty path, or a socket:// URL for pyserial. Stops on SIGINT/SIGTERM."
        ),
        epilog=f"profiles: {', '.join(sorted({n for d in profile_dirs() for n in available_profiles(d)}))}",
    )
    p.add_argument("family", choices=families(), help="module family to emulate")
    p.add_argument("--profile", help="profile name or .toml path (default: the family's usual module)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="serve on a new pty (the default)")
    where.add_argument("--tcp", metavar="HOST:PORT", help="serve on a TCP port instead (port 0 picks a free one)")
    p.add_argument(
        "--host-ip",
        default="127.0.0.1",
        help="address the module's sockets use and MY reports (default 127.0.0.1, loopback only)",
    )
    p.add_argument("--fault", help="start with a named fault profile (for testing the suite itself)")
    p.add_argument(
        "--list-faults", action="store_true", help="list the family's fault profiles and exit (-v: with descriptions)"
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
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    if args.list_faults or args.list_variants:
        if args.list_faults:
            lines = [f"{n}\t{spec.description}" if args.verbose else n for n, spec in faults(args.family).items()]
        else:
            lines = [
                f"{n}\t{spec.description}\t{', '.join(f'{p}={c}' for p, c in spec.choices.items())}"
                if args.verbose
                else n
                for n, spec in variants(args.family).items()
            ]
        for line in lines:
            try:
                print(line, flush=True)
            except BrokenPipeError:  # the reader stopped early (| head): nothing more to say
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        return 0
    try:
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
        model = build_model(profile, host_ip=args.host_ip, fault=args.fault, variant=args.variant)
        tcp = _tcp_address(args.tcp) if args.tcp else None
    except (ProfileError, ValueError) as exc:
        print(f"python -m emulator: error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_serve(model, args.host_ip, tcp))


async def _serve(model: object, host_ip: str, tcp: tuple[str, int] | None) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def announce(endpoint: str) -> None:
        print(endpoint, flush=True)

    runner = Runner(model, host_ip)  # type: ignore[arg-type]
    try:
        if tcp is None:
            await serve_pty(runner, stop, announce)
        else:
            await serve_tcp(runner, tcp[0], tcp[1], stop, announce)
    except OSError as exc:
        print(f"python -m emulator: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
