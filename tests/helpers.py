"""Running the suite as a user would (a subprocess) and reading what it concluded."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from sockconf import data
from sockconf.core.family import package_folder
from sockconf.drivers.emulator import claim_loopback_address

ROOT = Path(__file__).resolve().parent.parent  # the checkout (docs/, tests/, bench/)
PACKAGE = package_folder("sockconf")  # the installed package (editable: src/sockconf)
SUITES = package_folder("sockconf.suites")
PROFILES = data.folder("profiles")
SILENT = data.folder("silent")


@dataclass
class SuiteRun:
    returncode: int
    output: str
    # case ID -> outcomes of its test items ("passed", "failed", "skipped")
    outcomes: dict[str, list[str]] = field(default_factory=dict)
    verdicts: dict[str, list[str]] = field(default_factory=dict)
    duts: set[str] = field(default_factory=set)  # the DUTs the cases ran against

    def failed_cases(self) -> set[str]:
        """Cases that ran and failed (a setup error does not count as catching anything)."""
        return {cid for cid, outs in self.outcomes.items() if "failed" in outs}

    def all_passed(self) -> bool:
        return self.returncode == 0 and all(set(outs) == {"passed"} for outs in self.outcomes.values())


_counter = itertools.count(1)
_claims: list[socket.socket] = []


def unique_loopback() -> str:
    """A loopback address of its own for each emulator a test starts (``sockconf emulate``).

    The suite's listeners use fixed ports (the seed's 10001, 5024); on an address of their own,
    parallel test runs (and anything else on the machine using those ports) never collide. The
    address is claimed the way the emulator driver claims its own, and held until this process ends.
    """
    host, claim = claim_loopback_address()
    _claims.append(claim)
    return host


def run_suite(*args: str, tmp: Path, timeout: float = 300, report_dir: Path | None = None) -> SuiteRun:
    """``python -m pytest --pyargs ARGS`` from the checkout; JUnit results parsed per case ID.

    ARGS name the cases as packages (``sockconf.suites.xbee``) or paths.

    Unless ARGS name a driver, the in-process emulator claims a loopback address of its own (its default).
    """
    xml = tmp / f"junit-{os.getpid()}-{next(_counter)}.xml"
    cmd = [sys.executable, "-m", "pytest", "--pyargs", *args, "-q", "-p", "no:randomly"]
    if report_dir is None:
        cmd += ["--no-report", f"--junitxml={xml}"]
    else:
        cmd += [f"--report-dir={report_dir}"]
        xml = report_dir / "conformance.xml"
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    run = SuiteRun(proc.returncode, proc.stdout + proc.stderr)
    if xml.exists():
        for tc in ET.parse(xml).getroot().iter("testcase"):
            props = {p.get("name"): p.get("value") for p in tc.iter("property")}
            cid = props.get("case_id")
            if not cid:
                continue
            if tc.find("failure") is not None:
                outcome = "failed"  # the case ran and failed
            elif tc.find("error") is not None:
                outcome = "error"  # its setup failed: the case never ran
            elif tc.find("skipped") is not None:
                outcome = "skipped"
            else:
                outcome = "passed"
            run.outcomes.setdefault(cid, []).append(outcome)
            run.verdicts.setdefault(cid, []).append(props.get("verdict", ""))
            if props.get("dut"):
                run.duts.add(str(props["dut"]))
    return run


def case_args(cases: Iterable[str]) -> list[str]:
    return [arg for case in sorted(cases) for arg in ("--case", case)]


def contradiction_cases() -> set[str]:
    """The cases that judge an unresolved contradiction between the documents. They record which statement
    the DUT followed: a NON-STRICT finding on every module that follows one, the clean emulator included."""
    from sockconf.harness.contradictions import UNRESOLVED, contradictions

    return {case for c in contradictions().values() if c.resolution == UNRESOLVED for case in c.cases}


def assert_fault_caught(suite: str, fault: str, cases: Iterable[str], tmp: Path, *extra: str) -> SuiteRun:
    """Run the ``cases`` of ``suite`` (a package) against the emulator with ``fault``: each must FAIL.

    Deadlines are short (``--deadline-scale 0.2``): against a fault, waiting out a missing reply is the
    expected outcome. ``extra``: more suite options (a ``--profile``).
    """
    cases = set(cases)
    run = run_suite(suite, "--fault", fault, "--deadline-scale", "0.2", *extra, *case_args(cases), tmp=tmp)
    assert run.returncode != 0, f"{fault}: the run passed:\n{run.output[-3000:]}"
    missed = cases - run.failed_cases()
    assert not missed, f"{fault} was not caught by {sorted(missed)}:\n{run.output[-3000:]}"
    return run


def assert_non_strict_then_strict_fail(suite: str, cases: Iterable[str], tmp: Path, *args: str) -> None:
    """The ``cases`` give NON-STRICT (never FAIL) by default, and FAIL under ``--strict``."""
    cases = set(cases)
    selected = [suite, *args, "--deadline-scale", "0.2", *case_args(cases)]
    lenient = run_suite(*selected, tmp=tmp)
    assert lenient.returncode == 0, lenient.output[-3000:]
    assert all("NON-STRICT" in lenient.verdicts.get(c, []) for c in cases), lenient.output[-3000:]
    assert not any("FAIL" in lenient.verdicts[c] for c in cases), lenient.verdicts
    strict = run_suite(*selected, "--strict", tmp=tmp)
    assert cases <= strict.failed_cases(), strict.output[-3000:]


class _Started:
    """A process the tests started (``self.proc``), stopped by a signal within a deadline, or killed."""

    proc: subprocess.Popen[str]
    what = "the process"

    def stop(self, sig: int | None = None, within: float = 10.0) -> int:
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(sig or signal.SIGTERM)
        try:
            return self.proc.wait(within)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.what} did not exit within {within} s of the signal") from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Emulator(_Started):
    """``sockconf emulate ...`` as a user starts it; the first stdout line is the endpoint."""

    what = "the emulator"

    def __init__(
        self,
        *args: str,
        start_within: float = 15.0,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        import select

        self.proc = subprocess.Popen(
            [*(command or [sys.executable, "-m", "sockconf", "emulate"]), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], start_within)
        if not ready:
            self.stop()
            raise AssertionError(f"the emulator printed no endpoint within {start_within} s")
        self.endpoint = self.proc.stdout.readline().strip()
        if not self.endpoint:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"the emulator exited without an endpoint: {err}")
        # The second line: the loopback address the module's sockets use (printed with the endpoint).
        self.host_ip = self.proc.stdout.readline().strip()


class Farm(_Started):
    """``sockconf emulate --lab LAB --write-lab OUT`` as a user starts it: one line per DUT, then the lab file."""

    what = "the farm"

    def __init__(self, lab: Path, out: Path, *args: str, start_within: float = 20.0) -> None:
        import select

        count = lab.read_text(encoding="utf-8").count("[[dut]]")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sockconf", "emulate", "--lab", str(lab), "--write-lab", str(out), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.endpoints: dict[str, str] = {}
        deadline = time.monotonic() + start_within
        fd, text = self.proc.stdout.fileno(), b""
        while text.count(b"\n") < count:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                err = self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None else ""
                self.stop()
                raise AssertionError(f"the farm printed {text!r}, not {count} endpoints: {err}")
            text += chunk
        for line in text.decode().splitlines():
            name, _, endpoint = line.strip().partition("\t")
            self.endpoints[name] = endpoint
        self.lab = out
