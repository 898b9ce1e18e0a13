"""The ``sockconf`` command: one subcommand per tool, usage errors in one line, ``run`` as pytest's front.

Also: installed beside labgrid (whose own pytest plugin loads wherever it is installed and declares
``--lg-coordinator`` too), the suite runs without the user turning that plugin off.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from sockconf.cli import COMMANDS
from sockconf.harness.run import EMULATOR_WORKERS, default_options, pytest_args

KNOWN = {"xbee": "sockconf.suites.xbee", "eswifi": "sockconf.suites.eswifi"}


def sockconf(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockconf", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_help_names_every_command_with_a_line_each(tmp_path):
    proc = sockconf("--help", cwd=tmp_path)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    for command in COMMANDS:
        (line,) = [x for x in lines if x.startswith(f"  {command.name} ")]
        assert command.summary in line
    assert {c.name for c in COMMANDS} == {"run", "emulate", "scan", "report", "registry"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "usage: sockconf COMMAND"),
        (["bogus"], "unknown command 'bogus'"),
        (["--bogus"], "unknown option '--bogus'"),
        (["emulate", "nofamily"], "invalid choice"),
        (["report", "diff", "missing-a.json", "missing-b.json"], "missing-a.json"),
    ],
)
def test_a_usage_error_is_said_in_one_line_with_status_2(tmp_path, args, says):
    proc = sockconf(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert says in proc.stderr
    assert "Traceback" not in proc.stderr
    if args:  # an unknown word, not a missing one: the error line alone (argparse adds its usage line)
        assert len([x for x in proc.stderr.splitlines() if "error" in x]) == 1, proc.stderr


def test_version(tmp_path):
    proc = sockconf("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.split()[0] == "sockconf" and proc.stdout.split()[1][0].isdigit()


def test_run_help_shows_the_families_and_how_options_pass_to_pytest(tmp_path):
    proc = sockconf("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "xbee" in proc.stdout and "eswifi" in proc.stdout and "pytest --help" in proc.stdout


def test_run_names_families_as_packages_and_passes_the_rest_to_pytest():
    assert pytest_args([], KNOWN)[-3:] == ["--pyargs", "sockconf.suites.xbee", "sockconf.suites.eswifi"]
    assert pytest_args(["xbee", "--case", "XBEE-LISTEN"], KNOWN)[-4:] == [
        "--pyargs",
        "sockconf.suites.xbee",
        "--case",
        "XBEE-LISTEN",
    ]
    assert (
        pytest_args(["--lab", "lab.toml", "-n", "4"], KNOWN)[-6:]
        == [
            "--pyargs",
            "sockconf.suites.xbee",
            "sockconf.suites.eswifi",
            "--lab",
            "lab.toml",
            "-n",
            "4",
        ][-6:]
    )
    # A path or node ID is pytest's to take as it is.
    assert pytest_args(["my/suites/test_x.py::test_y"], KNOWN)[-1] == "my/suites/test_x.py::test_y"
    with pytest.raises(ValueError, match="no family 'zigbee'"):
        pytest_args(["zigbee"], KNOWN)


def test_run_puts_whole_families_against_the_emulator_on_workers_without_labgrids_plugin():
    added = ["-p", "no:labgrid", "-n", str(EMULATOR_WORKERS)]
    for argv in ([], ["xbee"], ["-q", "--no-report", "-p", "no:randomly"], ["eswifi", "--pace", "9600"]):
        assert default_options(argv, KNOWN, cores=8) == added, argv
    assert default_options([], KNOWN, cores=1) == ["-p", "no:labgrid"]  # one core: one process
    # The user's own choice, a real module, a lab, a few cases, debugging or explicit paths: one process.
    for argv in (
        ["-n", "0"],
        ["-n0"],
        ["--numprocesses=4"],
        ["--dist", "load"],
        ["-p", "no:xdist"],
        ["-pno:xdist"],
        ["-p", "labgrid"],
        ["-p", "no:labgrid"],
        ["xbee", "--driver", "serial", "--port", "/dev/ttyUSB0"],
        ["--lab", "lab.toml"],
        ["--case", "XBEE-LISTEN"],
        ["-k", "listen"],
        ["--pdb"],
        ["-s"],
        ["--co"],
        ["my/suites/test_x.py::test_y"],
    ):
        assert default_options(argv, KNOWN, cores=8) == [], argv


def test_run_of_an_unknown_family_is_a_usage_error(tmp_path):
    proc = sockconf("run", "zigbee", cwd=tmp_path)
    assert proc.returncode == 4
    assert proc.stderr.count("\n") == 1 and "no family 'zigbee'; known: " in proc.stderr


def test_registry_prints_the_page_and_checks_a_file(tmp_path):
    page = sockconf("registry", cwd=tmp_path)
    assert page.returncode == 0 and page.stdout.startswith("# Silent points")
    stale = tmp_path / "page.md"
    stale.write_text("old\n")
    check = sockconf("registry", "--check", str(stale), cwd=tmp_path)
    assert check.returncode == 1 and "out of date" in check.stderr
    assert sockconf("registry", "--out", str(stale), cwd=tmp_path).returncode == 0
    assert sockconf("registry", "--check", str(stale), cwd=tmp_path).returncode == 0


# --------------------------------------------------------------------------- beside labgrid's plugin


def _labgrid_plugin_installed() -> bool:
    return any(ep.name == "labgrid" for ep in importlib.metadata.entry_points(group="pytest11"))


needs_labgrid = pytest.mark.skipif(
    not _labgrid_plugin_installed(), reason="labgrid is not installed: pip install 'labgrid>=24,<27'"
)


@needs_labgrid
@pytest.mark.parametrize("labgrid_plugin", ["loaded", "turned off"])
def test_the_suite_runs_beside_labgrids_own_plugin(tmp_path, labgrid_plugin):
    """From a folder without settings, labgrid's plugin loads as it does for any user; the suite's
    --lg-coordinator is the same option either way and the run needs no ``-p no:labgrid``."""
    extra = ["-p", "no:labgrid"] if labgrid_plugin == "turned off" else []
    run = sockconf("run", "eswifi", "--case", "ESWIFI-MA-01", "-q", "--no-report", *extra, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    plugins = sockconf(
        "run", "eswifi", "--co", "-q", "--no-report", "-p", "no:randomly", "--trace-config", *extra, cwd=tmp_path
    )
    loaded = "labgrid.pytestplugin" in plugins.stdout
    assert loaded == (labgrid_plugin == "loaded"), plugins.stdout[-2000:]
    # The option is known (and owned by the labgrid driver): given to another driver, it is said so.
    wrong = sockconf("run", "xbee", "--lg-coordinator", "127.0.0.1:1", "--co", "-q", *extra, cwd=tmp_path)
    assert wrong.returncode == 4, wrong.stdout + wrong.stderr
    assert "--lg-coordinator is an option of --driver labgrid, not emulator" in wrong.stdout + wrong.stderr
