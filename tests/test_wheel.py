"""sockconf as a user installs it: the built wheel, in a fresh virtual environment, run from an empty folder.

The wheel holds one top-level package, ``sockconf``, with every data file the code reads; installed
beside the package index's ``fixtures`` distribution (a name sockconf once shadowed), the ``sockconf``
command and the pytest plugin work from any folder and write their reports there. The environment is
built once for the module (a few packages from the index); tests that need the index skip when it
cannot be reached outside CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import PACKAGE, ROOT, Emulator, unique_loopback

# The package index's `fixtures` (testing-cabal): installing sockconf beside it must leave it working.
OTHER = "fixtures>=4,<5"
BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 600


def _run(
    cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL, check=False
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)], out, BUILD_TIMEOUT
    )
    if proc.returncode != 0 and not os.environ.get("CI") and "pip" in proc.stderr and "connect" in proc.stderr.lower():
        pytest.skip(f"building the wheel needs the package index (setuptools): {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = out.glob("sockconf-*.whl")
    return built


def test_the_wheel_holds_sockconf_and_its_metadata_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        top = {name.split("/")[0] for name in zf.namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"sockconf"}
    assert len(top) == 2, top


def test_the_wheel_holds_every_data_file_of_the_package(wheel: Path) -> None:
    """Every file of the package that is not Python source (profiles, requirements and seeds, the
    silent registry, py.typed) is in the wheel: the cases and the emulator read them at run time."""
    tracked = _run(["git", "ls-files", "src/sockconf"], ROOT, 30).stdout.split()
    in_tree = {path.removeprefix("src/") for path in tracked if not path.endswith(".py")}
    assert in_tree, "no data files found in the tree"
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = {name for name in zf.namelist() if name.startswith("sockconf/") and not name.endswith(".py")}
    assert in_tree == in_wheel


def test_the_wheel_declares_the_command_and_the_pytest_plugin(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        (entry_points,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = zf.read(entry_points).decode()
    assert "sockconf = sockconf.cli:entry" in text
    assert "sockconf = sockconf.harness.plugin" in text and "sockconf-report = sockconf.reports.plugin" in text


class Installed:
    """A fresh virtual environment with the wheel and the index's ``fixtures`` installed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.python = self.bin / "python"

    def env(self) -> dict[str, str]:
        # Nothing of the checkout or this process's environment may leak in: no PYTHONPATH, no
        # SOCKCONF_FAMILIES, and the venv's own bin first on PATH.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SOCKCONF", "PYTEST", "VIRTUAL"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(self, *cmd: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return _run(list(cmd), cwd, timeout, self.env())


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("venv")
    venv.create(root, with_pip=True, clear=True)
    env = Installed(root)
    proc = env.run(str(env.python), "-m", "pip", "install", "-q", str(wheel), OTHER, cwd=root, timeout=INSTALL_TIMEOUT)
    if proc.returncode != 0 and not os.environ.get("CI") and "connect" in (proc.stdout + proc.stderr).lower():
        pytest.skip(f"installing needs the package index: {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    yield env


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_sockconf_is_imported_from_the_installed_wheel(installed: Installed, empty: Path) -> None:
    proc = installed.run(str(installed.python), "-c", "import sockconf; print(sockconf.__file__)", cwd=empty)
    assert proc.returncode == 0, proc.stderr
    where = Path(proc.stdout.strip()).resolve()
    assert installed.root.resolve() in where.parents and PACKAGE.resolve() not in where.parents


def test_the_other_fixtures_distribution_still_works(installed: Installed, empty: Path) -> None:
    proc = installed.run(
        str(installed.python), "-c", "import fixtures; fixtures.Fixture; print(fixtures.__file__)", cwd=empty
    )
    assert proc.returncode == 0, proc.stderr
    assert "site-packages/fixtures/" in proc.stdout


def test_the_command_lists_every_tool(installed: Installed, empty: Path) -> None:
    proc = installed.run("sockconf", "--help", cwd=empty)
    assert proc.returncode == 0, proc.stderr
    for command in ("run", "emulate", "scan", "report", "registry"):
        assert f"\n  {command} " in proc.stdout, proc.stdout
    version = installed.run("sockconf", "--version", cwd=empty)
    assert version.returncode == 0 and version.stdout.startswith("sockconf "), version.stdout
    bad = installed.run("sockconf", "bogus", cwd=empty)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_the_main_job_runs_from_an_empty_folder_and_writes_its_report_there(installed: Installed, empty: Path) -> None:
    proc = installed.run("sockconf", "run", "-q", "-p", "no:randomly", cwd=empty, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout.splitlines()[-1]
    out = empty / "reports" / "out"
    assert {p.name for p in out.iterdir()} >= {"conformance.html", "conformance.xml", "conformance.json"}
    assert not list((installed.root / "lib").rglob("conformance.json")), "a report was written inside the venv"


def test_pytest_runs_the_installed_cases_by_package(installed: Installed, empty: Path) -> None:
    proc = installed.run(
        str(installed.bin / "pytest"), "--pyargs", "sockconf.suites.eswifi", "-q", "--case", "ESWIFI-MA", cwd=empty
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert (empty / "reports" / "out" / "conformance.json").is_file()


def test_the_suite_reaches_an_emulator_the_command_serves_on_a_pty(installed: Installed, empty: Path) -> None:
    host = unique_loopback()
    with Emulator(
        "xbee", "--pty", "--host-ip", host, command=[str(installed.bin / "sockconf"), "emulate"], env=installed.env()
    ) as emu:
        proc = installed.run(
            "sockconf", "run", "xbee", "--driver", "serial", "--port", emu.endpoint, "--profile", "xbee3-lte-m",
            "--case", "XBEE-LISTEN", "-q", "--no-report", cwd=empty,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
