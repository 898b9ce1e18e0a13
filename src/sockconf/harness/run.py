"""``sockconf run [FAMILY ...] [OPTION ...]``: the conformance suite, run by pytest in this process.

The leading arguments that name families choose their suites (none: every family); everything else
goes to pytest as it is, so every suite option (``--driver serial --port ...``, ``--lab lab.toml
-n 4``, ``--case XBEE-LISTEN``) and every pytest option works. The suites are run as packages
(``--pyargs sockconf.suites.xbee``), so it works from any folder; the report goes to
``reports/out/`` under the current folder unless ``--report-dir`` says otherwise.
"""

from __future__ import annotations

import os
import sys

from sockconf.core.family import FamilyError, families

USAGE_ERROR = 4  # as the suite's own usage errors (README, "Exit status")


def _help(prog: str, known: list[str]) -> str:
    return "\n".join(
        [
            f"usage: {prog} [FAMILY ...] [OPTION ...]",
            "",
            "Run the conformance suite. FAMILY chooses the families whose cases run "
            f"({', '.join(known)}; default: all of them).",
            "Without options, every family runs against the built-in emulator (every built-in profile) and the",
            "report is written to reports/out/ (conformance.html, .xml, .json) under the current folder.",
            "",
            "examples:",
            f"  {prog}",
            f"  {prog} xbee --driver serial --port /dev/ttyUSB0 --profile auto",
            f"  {prog} eswifi --driver serial --port rfc2217://labhost:7000 --profile ism43362 --baud 115200",
            f"  {prog} --lab lab.toml -n 4",
            f"  {prog} xbee --case XBEE-LISTEN",
            "",
            f"Against the emulator, whole families run on -n {EMULATOR_WORKERS} workers (fewer on fewer cores), each",
            "with its own emulators; -n 0 keeps one process, and so do --driver, --lab, --case, -k and explicit paths.",
            "",
            "Every option after the families goes to pytest: the suite's own options (--driver, --port,",
            "--profile, --lab, --case, --strict, --report-dir, ...) and pytest's. The list of them all,",
            "the suite's under 'sockconf:': pytest --help",
            "",
            "exit status: 0 no FAIL, 1 some case FAILed, 2 interrupted, 3 internal error, 4 usage error or",
            "DUT unreachable, 5 no case selected, 6 not tested (a DUT failed its preflight)",
        ]
    )


def pytest_args(argv: list[str], known: dict[str, str]) -> list[str]:
    """The pytest command line for ``sockconf run ARGV``; ``known`` maps family -> suite package.

    Raises ``ValueError`` with the message for a leading word that is neither a family nor a path.
    """
    rest = list(argv)
    chosen: list[str] = []
    while rest and not rest[0].startswith("-") and rest[0] in known:
        chosen.append(rest.pop(0))
    if rest and not rest[0].startswith("-") and "/" not in rest[0] and "::" not in rest[0] and "." not in rest[0]:
        raise ValueError(f"no family {rest[0]!r}; known: {', '.join(known)}")
    # The command imported sockconf before pytest started, so pytest cannot rewrite the asserts of the
    # plugin's modules (which use none) and would say so on every run.
    quiet = ["-W", f"ignore:Module already imported so cannot be rewritten; {__name__.partition('.')[0]}"]
    if chosen or not rest or rest[0].startswith("-"):
        packages = [known[name] for name in (chosen or known)]
        return [*quiet, "--pyargs", *packages, *rest]
    return [*quiet, *rest]  # explicit paths or node IDs: pytest takes them as they are


# Workers for a run against the built-in emulator when the command line names none: each worker starts
# its own emulator of every profile, so the DUTs' cases run side by side (at most this many, at most
# one per core the process may use).
EMULATOR_WORKERS = 2
# Options after which the run keeps to one process unless the user adds -n: they choose the workers or
# the distribution themselves, name a lab or a driver (a real module), select a few cases (a worker's
# start-up would cost more than it saves), debug, or only collect.
_ONE_PROCESS = (
    "-n",
    "--numprocesses",
    "--dist",
    "--lab",
    "--driver",
    "--case",
    "-k",
    "--pdb",
    "--trace",
    "--co",
    "--collect-only",
    "--help",
    "-h",
    "-s",
    "--capture",
)


def default_options(argv: list[str], known: dict[str, str], cores: int | None = None) -> list[str]:
    """What ``sockconf run ARGV`` adds when it runs whole families against the emulator: ``-n N``, and
    ``-p no:labgrid`` (labgrid's own pytest plugin, loaded wherever labgrid is installed: importing it and
    rewriting its asserts costs every process of the run about a second, and an emulator run uses none of it).

    Nothing when an option of ``_ONE_PROCESS`` is given, when xdist or labgrid's plugin is named with ``-p``,
    or when explicit paths or node IDs are run; no ``-n`` when there is only one core to run on.
    """
    rest = list(argv)
    while rest and rest[0] in known:
        rest.pop(0)
    if rest and not rest[0].startswith("-"):
        return []  # a path or node ID (pytest_args passes it as it is)
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = min(EMULATOR_WORKERS, cores)
    for n, arg in enumerate(argv):
        name = arg.split("=", 1)[0]
        if name in _ONE_PROCESS or (arg.startswith("-n") and arg[2:].isdigit()):
            return []
        plugin = arg[2:] if arg.startswith("-p") else ""
        if arg == "-p":
            plugin = argv[n + 1] if n + 1 < len(argv) else ""
        if plugin.removeprefix("no:").startswith(("xdist", "labgrid")):
            return []
    return ["-p", "no:labgrid", *(["-n", str(workers)] if workers >= 2 else [])]


def main(argv: list[str], prog: str = "sockconf run") -> int:
    try:
        known = {name: family.suites for name, family in families().items()}
    except FamilyError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if argv[:1] in (["-h"], ["--help"]):
        print(_help(prog, list(known)))
        return 0
    try:
        args = [*pytest_args(argv, known), *default_options(argv, known)]
    except ValueError as exc:
        print(f"{prog}: error: {exc} ({prog} --help)", file=sys.stderr)
        return USAGE_ERROR

    import pytest

    return int(pytest.main(args))
