"""The labgrid driver against a real labgrid lab on loopback.

Each module run starts ``labgrid-coordinator`` and ``labgrid-exporter`` (free ports, config in a tmp
dir) and an XBee emulator on a pty, exported as a ``RawSerialPort`` (the exporter serves it through
Debian's ``ser2net`` over RFC 2217), plus a ``NetworkPowerPort`` of the ``simplerest`` model whose
"power switch" is an HTTP server in this test. Places are made with ``labgrid-client`` as a lab admin
would. Missing labgrid or ser2net fails with what to install: CI installs both.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sockconf.drivers import DriverError, create
from sockconf.drivers.base import DriverConfig, DriverUsageError, PowerControlUnsupported
from sockconf.drivers.labgrid import LabgridDriver, labgrid_missing
from sockconf.protocol.profile import load_profile
from tests.helpers import PROFILES, ROOT, Emulator, run_suite, unique_loopback

INSTALL = "pip install 'labgrid>=24,<27' (the test extras) and Debian's ser2net (apt-get install ser2net)"
PROFILE = "xbee3-lte-m"
PLACE = "xbee-rack"  # serial port and power switch
PLACE_NO_POWER = "xbee-bare"  # the same serial port, no power resource
PLACE_2 = "xbee-rack2"  # a second module, on a port of its own
OTHER = {"LG_USERNAME": "alice", "LG_HOSTNAME": "benchpc"}  # someone else, elsewhere


def tool(name: str) -> str:
    """A labgrid command (installed beside this Python) or ser2net; a clear failure when missing."""
    path = shutil.which(name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if path is None and name == "ser2net" and Path("/usr/sbin/ser2net").exists():
        path = "/usr/sbin/ser2net"
    if path is None:
        pytest.fail(f"{name} is missing: the labgrid tests need {INSTALL}")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without labgrid's LG_* variables (a developer's own would redirect the tests)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LG_")}
    env.update(extra)
    return env


class PowerSwitch(http.server.ThreadingHTTPServer):
    """A ``simplerest`` power switch: GET /relay/INDEX/VALUE sets, GET /relay/INDEX reads."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.state = "1"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(inner) -> None:
                parts = inner.path.strip("/").split("/")
                if len(parts) == 3:
                    self.requests.append(parts[2])
                    self.state = parts[2]
                body = self.state.encode()
                inner.send_response(200)
                inner.send_header("Content-Length", str(len(body)))
                inner.end_headers()
                inner.wfile.write(body)

            def log_message(inner, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@dataclass
class Lab:
    address: str  # the coordinator, HOST:PORT
    exporter_name: str
    pty: str
    pty2: str
    switch: PowerSwitch
    tmp: Path
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def client(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        proc = subprocess.run(
            [tool("labgrid-client"), "-x", self.address, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(**(env or {})),
            stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"labgrid-client {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
        return proc.stdout + proc.stderr

    def holder(self, place: str) -> str:
        """Who holds ``place`` ("" when it is free), as the coordinator says."""
        out = self.client("-p", place, "show")
        found = re.search(r"^\s*acquired: (\S+)$", out, re.M)
        assert found, out
        return "" if found.group(1) == "None" else found.group(1)

    def config(self, place: str = PLACE, **options: object) -> DriverConfig:
        return DriverConfig(
            profile=load_profile(PROFILE, PROFILES),
            options={"lg_place": place, "lg_coordinator": self.address, **options},
        )


def me() -> str:
    import getpass

    return f"{socket.gethostname()}/{getpass.getuser()}"


def wait_for(what: str, check, within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {within} s")
        threading.Event().wait(0.1)


def child_pids(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    missing = labgrid_missing()
    if missing:
        pytest.fail(f"{missing}; the labgrid tests need {INSTALL}")
    tool("ser2net")
    tmp = tmp_path_factory.mktemp("lab")
    address = f"127.0.0.1:{free_port()}"
    procs: list[subprocess.Popen[str]] = []
    emulator = Emulator("xbee", "--pty", "--profile", PROFILE, "--host-ip", unique_loopback())
    emulator2 = Emulator("xbee", "--pty", "--profile", PROFILE, "--host-ip", unique_loopback())
    switch = PowerSwitch()
    exporter_children: list[int] = []
    try:
        coordinator = subprocess.Popen(
            [tool("labgrid-coordinator"), "--listen", address],
            cwd=tmp,
            env=clean_env(),
            stdout=(tmp / "coordinator.log").open("w"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        procs.append(coordinator)

        def listening() -> bool:
            assert coordinator.poll() is None, (tmp / "coordinator.log").read_text()
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", int(address.rpartition(":")[2]))) == 0

        wait_for("labgrid-coordinator listening", listening, 30)
        (tmp / "exporter.yaml").write_text(
            textwrap.dedent(f"""\
                dut:
                  RawSerialPort:
                    port: "{emulator.endpoint}"
                    speed: 9600
                dut2:
                  RawSerialPort:
                    port: "{emulator2.endpoint}"
                    speed: 9600
                power:
                  NetworkPowerPort:
                    model: simplerest
                    host: "http://127.0.0.1:{switch.server_address[1]}/relay/{{index}}/{{value}}"
                    index: 0
                """)
        )
        exporter = subprocess.Popen(
            [tool("labgrid-exporter"), "-c", address, "-n", "exp-test", "--hostname", "127.0.0.1", "exporter.yaml"],
            cwd=tmp,
            env=clean_env(),
            stdout=(tmp / "exporter.log").open("w"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        procs.append(exporter)
        lab = Lab(address, "exp-test", emulator.endpoint, emulator2.endpoint, switch, tmp, procs)

        def exported() -> bool:
            assert exporter.poll() is None, (tmp / "exporter.log").read_text()
            listed = lab.client("resources", check=False)
            return "exp-test/dut/NetworkSerialPort" in listed and "exp-test/dut2/NetworkSerialPort" in listed

        wait_for("the exporter's serial port at the coordinator", exported, 30)
        lab.client("-p", PLACE, "create")
        lab.client("-p", PLACE, "add-match", "exp-test/dut/NetworkSerialPort")
        lab.client("-p", PLACE, "add-match", "exp-test/power/NetworkPowerPort")
        lab.client("-p", PLACE_NO_POWER, "create")
        lab.client("-p", PLACE_NO_POWER, "add-match", "exp-test/dut/NetworkSerialPort")
        lab.client("-p", PLACE_2, "create")
        lab.client("-p", PLACE_2, "add-match", "exp-test/dut2/NetworkSerialPort")
        yield lab
        exporter_children = child_pids(exporter.pid)  # ser2net, if a place were still acquired
    finally:
        for proc in reversed(procs):
            stop(proc)
        for pid in exporter_children:  # an exporter stopped while a place held its port leaves ser2net
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        switch.stop()
        emulator.stop()
        emulator2.stop()


@pytest.fixture(autouse=True)
def _no_lg_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LG_"):
            monkeypatch.delenv(name)


def test_listener_cases_pass_through_a_labgrid_place(lab: Lab, tmp_path: Path) -> None:
    report = tmp_path / "report"
    started = time.monotonic()
    run = run_suite(
        "sockconf.suites.xbee",
        "--driver",
        "labgrid",
        "--lg-place",
        PLACE,
        "--lg-coordinator",
        lab.address,
        "--profile",
        PROFILE,
        "--case",
        "XBEE-LISTEN",
        tmp=tmp_path,
        timeout=240,
        report_dir=report,
    )
    assert run.returncode == 0, run.output[-3000:]
    assert len(run.outcomes) >= 5, run.output[-3000:]
    assert run.all_passed(), run.output[-3000:]
    assert time.monotonic() - started < 240
    dut = json.loads((report / "conformance.json").read_text())["duts"][PROFILE]
    assert dut["driver"] == "labgrid"
    assert dut["place"] == PLACE
    assert dut["exporter"] == "exp-test"
    assert lab.pty in dut["port"]
    assert lab.holder(PLACE) == "", "the run gives the place back"


def test_a_place_held_by_someone_else_stops_the_run_naming_the_holder(lab: Lab, tmp_path: Path) -> None:
    lab.client("-p", PLACE, "acquire", env=OTHER)
    try:
        started = time.monotonic()
        run = run_suite(
            "sockconf.suites.xbee",
            "--driver",
            "labgrid",
            "--lg-place",
            PLACE,
            "--lg-coordinator",
            lab.address,
            "--profile",
            PROFILE,
            "--case",
            "XBEE-LISTEN",
            tmp=tmp_path,
            timeout=120,
        )
        took = time.monotonic() - started
        assert lab.holder(PLACE) == "benchpc/alice", "the run must not take or free someone else's place"
    finally:
        lab.client("-p", PLACE, "release", env=OTHER)
    assert run.returncode != 0
    assert run.output.count("is held by user alice on host benchpc") == 1, run.output[-3000:]
    assert "Traceback" not in run.output, run.output[-3000:]
    assert not run.outcomes or "passed" not in {o for outs in run.outcomes.values() for o in outs}
    assert took < 60, f"the run took {took:.0f} s to give up"


def ask_version(driver) -> bytes:
    """AT VR (frame ID 1) over the driver; what came back within 10 s, which should hold the 0x88 answer."""
    frame = bytes([0x08, 0x01]) + b"VR"
    driver.write(b"\x7e" + len(frame).to_bytes(2, "big") + frame + bytes([0xFF - sum(frame) % 256]))
    got = b""
    deadline = time.monotonic() + 10
    while b"\x88\x01VR" not in got and time.monotonic() < deadline:
        got += driver.read(deadline)
    return got


def test_the_driver_names_the_place_and_power_cycles_through_its_switch(lab: Lab) -> None:
    driver = create("labgrid", lab.config())
    lab.switch.requests.clear()
    with driver:
        assert lab.holder(PLACE) == me()
        ident = driver.identity()
        assert (ident["place"], ident["exporter"], ident["coordinator"]) == (PLACE, "exp-test", lab.address)
        assert ident["port"].startswith(f"exp-test:{lab.pty} (rfc2217://127.0.0.1:")
        assert driver.has_power_control
        driver.power_cycle()
        assert lab.switch.requests == ["0", "1"], "off, then on"
        # The line still carries bytes after the cycle: AT VR is answered.
        got = ask_version(driver)
        assert b"\x88\x01VR" in got, got.hex(" ")
    assert lab.holder(PLACE) == ""


def test_a_place_without_power_says_so(lab: Lab) -> None:
    with create("labgrid", lab.config(PLACE_NO_POWER)) as driver:
        assert not driver.has_power_control
        with pytest.raises(PowerControlUnsupported, match=f"place {PLACE_NO_POWER} has no power resource"):
            driver.power_cycle()
    assert lab.holder(PLACE_NO_POWER) == ""


def test_a_place_already_mine_is_used_and_left_acquired(lab: Lab) -> None:
    lab.client("-p", PLACE_NO_POWER, "acquire")
    try:
        with create("labgrid", lab.config(PLACE_NO_POWER)) as driver:
            assert driver.identity()["place"] == PLACE_NO_POWER
        assert lab.holder(PLACE_NO_POWER) == me(), "a place the user acquired stays theirs"
    finally:
        lab.client("-p", PLACE_NO_POWER, "release")


def test_two_duts_in_one_process_hold_two_places_at_once(lab: Lab) -> None:
    with create("labgrid", lab.config()) as first, create("labgrid", lab.config(PLACE_2)) as second:
        assert (lab.holder(PLACE), lab.holder(PLACE_2)) == (me(), me())
        assert lab.pty in first.identity()["port"]
        assert lab.pty2 in second.identity()["port"]
        for driver in (first, second):
            got = ask_version(driver)
            assert b"\x88\x01VR" in got, got.hex(" ")
    assert (lab.holder(PLACE), lab.holder(PLACE_2)) == ("", "")


def test_two_runs_on_one_host_never_share_a_place(lab: Lab) -> None:
    with create("labgrid", lab.config()):
        second = create("labgrid", lab.config())
        with pytest.raises(DriverError, match=f"place {PLACE} is in use by another sockconf run on this host"):
            second.open()
        assert lab.holder(PLACE) == me(), "the failed second open leaves the first run's place alone"
    assert lab.holder(PLACE) == ""


def test_an_unknown_place_and_an_absent_coordinator_are_clear_errors(lab: Lab) -> None:
    with pytest.raises(DriverError, match=r"no place named xbee; did you mean xbee-bare, xbee-rack, xbee-rack2\?"):
        create("labgrid", lab.config("xbee")).open()
    started = time.monotonic()
    with pytest.raises(DriverError, match="check that labgrid-coordinator runs there"):
        create("labgrid", lab.config(lg_coordinator=f"127.0.0.1:{free_port()}")).open()
    assert time.monotonic() - started < 30


HOLD = """
import threading
from sockconf.drivers import create
from sockconf.drivers.base import DriverConfig
from sockconf.protocol.profile import load_profile
driver = create("labgrid", DriverConfig(load_profile("{profile}"),
                {{"lg_place": "{place}", "lg_coordinator": "{address}"}}))
driver.open()
print("open", flush=True)
if "{how}" == "crash":
    raise RuntimeError("a crash while the place is held")
threading.Event().wait(120)
"""


@pytest.mark.parametrize("how", ["crash", "SIGTERM", "SIGINT"])
def test_the_place_is_given_back_when_the_run_dies(lab: Lab, how: str) -> None:
    script = HOLD.format(profile=PROFILE, place=PLACE, address=lab.address, how=how)
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean_env(PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "open", proc.stderr.read() if proc.stderr else ""
        if how != "crash":
            assert lab.holder(PLACE) == me()
            proc.send_signal(getattr(signal, how))
        proc.wait(30)
    finally:
        stop(proc)
    assert proc.returncode != 0
    assert lab.holder(PLACE) == "", f"the place stays acquired after a {how}"


def test_missing_labgrid_is_a_usage_error_naming_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "labgrid.remote.client", None)
    with pytest.raises(DriverUsageError, match=r"pip install 'labgrid>=24,<27'"):
        LabgridDriver.check_options(
            {"lg_place": "p", "lg_coordinator": None, "lg_serial": None, "baud": None},
            [load_profile(PROFILE, PROFILES)],
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "--driver labgrid needs --lg-place NAME"),
        ({"lg_place": "p", "lg_coordinator": "coord:lab:1"}, "--lg-coordinator wants HOST"),
        ({"lg_place": "p", "lg_coordinator": "127.0.0.1:70000"}, "--lg-coordinator wants HOST"),
        ({"lg_place": "p", "baud": 0}, "--baud wants a positive number"),
    ],
)
def test_wrong_options_are_usage_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(DriverUsageError, match=re.escape(message)):
        LabgridDriver.check_options(options, [load_profile(PROFILE, PROFILES)])


def test_coordinator_and_place_default_to_labgrids_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from sockconf.drivers.labgrid import coordinator_address, place_name

    assert coordinator_address({}) == "127.0.0.1:20408"
    monkeypatch.setenv("LG_COORDINATOR", "coord.lab:20408")
    monkeypatch.setenv("LG_PLACE", "rack1-ltem")
    assert (coordinator_address({}), place_name({})) == ("coord.lab:20408", "rack1-ltem")
    assert coordinator_address({"lg_coordinator": "10.0.0.5"}) == "10.0.0.5"
