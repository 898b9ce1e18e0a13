"""Two emulators started by hand on one host, each with a suite run against it: they never collide.

Each takes a loopback address of its own by default (the documents' fixed listener ports, XBee 10001
and eS-WiFi 5024, would otherwise be taken twice), prints it on its second line, and reports it to
the host (XBee MY, eS-WiFi C?), so the suite reaches the right one.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys

from tests.helpers import ROOT, Emulator


def test_each_emulator_started_by_hand_takes_and_prints_a_loopback_address_of_its_own():
    with Emulator("xbee", "--pty") as a, Emulator("xbee", "--pty") as b:
        hosts = {a.host_ip, b.host_ip}
        assert len(hosts) == 2, hosts
        assert all(ipaddress.IPv4Address(h).is_loopback and h != "127.0.0.1" for h in hosts)


def test_two_emulators_by_hand_each_with_a_suite_run_give_no_fail(tmp_path):
    with Emulator("eswifi", "--pty") as a, Emulator("eswifi", "--pty") as b:
        runs = []
        for name, emu in (("a", a), ("b", b)):
            cmd = [
                sys.executable, "-m", "sockconf", "run", "eswifi", "--driver", "serial", "--port", emu.endpoint,
                "--profile", "ism43362", "--case", "ESWIFI-MA", "--case", "ESWIFI-SRV", "-q", "-p", "no:randomly",
                "--report-dir", str(tmp_path / name),
            ]  # fmt: skip
            runs.append(subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outputs = [run.communicate(timeout=300)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
        assert " passed" in output and "failed" not in output.splitlines()[-1]
    # Each run reached its own module: the address each report names is the one its emulator printed.
    for name, emu in (("a", a), ("b", b)):
        report = (tmp_path / name / "conformance.json").read_text()
        assert emu.host_ip in report
