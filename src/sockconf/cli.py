"""The ``sockconf`` command (``python -m sockconf`` is the same): one subcommand per tool.

Each subcommand hands its arguments to the tool's own parser, so ``sockconf emulate --help`` and
``sockconf report diff --help`` say everything about that tool; this module only dispatches, and
imports a tool only when it is asked for.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PROG = "sockconf"
USAGE_ERROR = 2


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    main: Callable[[list[str]], int]


def _run(argv: list[str]) -> int:
    from sockconf.harness.run import main

    return main(argv, prog=f"{PROG} run")


def _emulate(argv: list[str]) -> int:
    from sockconf.emulator.cli import main

    return main(argv)


def _scan(argv: list[str]) -> int:
    from sockconf.drivers.cli import main

    return main(argv)


def _report(argv: list[str]) -> int:
    from sockconf.reports.cli import main

    return main(argv)


def _registry(argv: list[str]) -> int:
    from sockconf.harness.silent_render import main

    return main(argv, prog=f"{PROG} registry")


COMMANDS = (
    Command(
        "run",
        "run the conformance suite (default: every family against the built-in emulator, report in reports/out/)",
        _run,
    ),
    Command("emulate", "serve an emulated module (or a farm of them) on a pty or a TCP port", _emulate),
    Command("scan", "probe serial ports for modules of every family and suggest profiles (writes a lab file)", _scan),
    Command("report", "work with reports: diff, wire-diff, and the sensitivity and variants runs", _report),
    Command("registry", "print the registry of silent points (where the documents leave a module free)", _registry),
)


def _version() -> str:
    from sockconf import __version__

    return __version__


def _help() -> str:
    width = max(len("-h, --help"), *(len(c.name) for c in COMMANDS))
    lines = [
        f"usage: {PROG} COMMAND [ARGS ...]   ({PROG} COMMAND --help for a command's options)",
        "",
        "A conformance suite for serial-attached socket modules (XBee Cellular, Inventek eS-WiFi, ...).",
        "",
        "commands:",
        *(f"  {c.name:<{width}}  {c.summary}" for c in COMMANDS),
        "",
        "options:",
        f"  {'-h, --help':<{width}}  show this help and exit",
        f"  {'--version':<{width}}  show the version and exit",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(_help(), file=sys.stderr)
        return USAGE_ERROR
    first, rest = args[0], args[1:]
    if first in ("-h", "--help"):
        print(_help())
        return 0
    if first == "--version":
        print(f"{PROG} {_version()}")
        return 0
    by_name = {c.name: c for c in COMMANDS}
    command = by_name.get(first)
    if command is None:
        what = "option" if first.startswith("-") else "command"
        print(
            f"{PROG}: error: unknown {what} {first!r}; choose one of: {', '.join(by_name)} ({PROG} --help)",
            file=sys.stderr,
        )
        return USAGE_ERROR
    try:
        return command.main(rest)
    except KeyboardInterrupt:
        return 2
    except BrokenPipeError:
        # The reader of our output went away (``sockconf registry | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def entry() -> None:
    """The console script."""
    sys.exit(main())
