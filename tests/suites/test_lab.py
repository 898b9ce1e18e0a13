"""Several DUTs in one run: the lab file, parametrization by DUT, one report, a silent DUT's own verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sockconf.core.labfile import LabError
from sockconf.harness.lab import load_lab
from sockconf.harness.plugin import _load_profile
from tests.helpers import ROOT, Farm, contradiction_cases, run_suite


def _defaults(driver: str) -> dict[str, object]:
    return {}


def _lab(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_lab_file_lists_duts_with_their_driver_and_options(tmp_path):
    lab = _lab(
        tmp_path,
        '[[dut]]\nname = "ltem-1"\nport = "/dev/ttyUSB0"\nprofile = "xbee3-lte-m"\nbaud = 115200\n'
        'dut_host = "10.0.0.23"\n\n'
        '[[dut]]\nname = "emu"\ndriver = "emulator"\nprofile = "ism43362"\nfault = "eswifi:no-ok"\n',
    )
    ltem, emu = load_lab(lab, _load_profile, _defaults)
    assert (ltem.name, ltem.driver, ltem.profile.name) == ("ltem-1", "serial", "xbee3-lte-m")
    assert ltem.dut_host == "10.0.0.23"
    assert ltem.options == {"port": "/dev/ttyUSB0", "baud": 115200}
    assert (emu.driver, emu.family, emu.options) == ("emulator", "eswifi", {"fault": "eswifi:no-ok"})
    assert [d.name for d in load_lab(lab, _load_profile, _defaults, ["emu"])] == ["emu"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no DUT listed"),
        ("[[dut]]\nname = 'a b'\nport = 'x'\nprofile = 'ism43362'\n", "entry 1: name wants letters"),
        ("[[dut]]\nname = 'a'\nprofile = 'ism43362'\n", "DUT 'a': say how to reach it"),
        ("[[dut]]\nname = 'a'\nport = 'x'\n", "DUT 'a': no profile"),
        ("[[dut]]\nname = 'a'\nport = 'x'\nprofile = 'nope'\n", "DUT 'a': no profile 'nope'"),
        ("[[dut]]\nname = 'a'\nport = 'x'\nprofile = 'ism43362'\nspeed = 3\n", "driver serial has no option 'speed'"),
        ("[[dut]]\nname = 'a'\nport = 'x'\nprofile = 'ism43362'\nbaud = 'fast'\n", "baud = 'fast' is not a valid"),
        ("[[dut]]\nname = 'a'\nport = 'x'\nprofile = 'ism43362'\ndut_host = 'h'\n", "dut_host wants an IPv4"),
        ("[[dut]]\nname = 'a'\ndriver = 'nope'\nprofile = 'ism43362'\n", "no driver 'nope'"),
        ("[[dut]]\nname = 'a'\nport = 'x'\nprofile = 'ism43362'\n" * 2, "DUT 'a' is listed twice"),
        ("[dut\n", "not TOML"),
    ],
)
def test_a_bad_lab_file_is_named_with_its_entry(tmp_path, text, message):
    lab = _lab(tmp_path, text)
    with pytest.raises(LabError) as info:
        load_lab(lab, _load_profile, _defaults)
    assert message in str(info.value)
    assert str(lab) in str(info.value)


def test_bad_lab_input_on_the_command_line_is_a_one_line_usage_error(tmp_path):
    lab = _lab(tmp_path, "[[dut]]\nname = 'a'\ndriver = 'emulator'\nprofile = 'ism43362'\n")
    for extra, message in (
        (["--dut", "b"], "--dut b: not in"),
        (["--profile", "ism43362"], "--profile and --lab"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "--pyargs", "sockconf.suites", "--no-report", "--lab", str(lab), *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_silent_dut_makes_only_its_own_cases_inconclusive(tmp_path):
    lab = _lab(
        tmp_path,
        "[[dut]]\nname = 'quiet'\ndriver = 'emulator'\nprofile = 'xbee3-lte-m'\nfault = 'xbee:goes-silent'\n\n"
        "[[dut]]\nname = 'fine'\ndriver = 'emulator'\nprofile = 'xbee3-lte-m'\n",
    )
    out = tmp_path / "report"
    run_suite("sockconf.suites.xbee", "--lab", str(lab), "--case", "XBEE-LISTEN", tmp=tmp_path, report_dir=out)
    cases = json.loads((out / "conformance.json").read_text())["cases"]
    verdicts = {dut: [c["verdict"] for c in cases if c["dut"] == dut] for dut in ("quiet", "fine")}
    assert set(verdicts["fine"]) == {"PASS"}
    assert "INCONCLUSIVE" in verdicts["quiet"]
    assert len(verdicts["quiet"]) == len(verdicts["fine"]) > 20


def test_four_emulated_duts_on_ptys_with_four_workers_make_one_report(tmp_path):
    farm_lab = _lab(
        tmp_path,
        "".join(
            f"[[dut]]\nname = '{name}'\nprofile = '{profile}'\n\n"
            for name, profile in (
                ("ltem-1", "xbee3-lte-m"),
                ("cat1-1", "xbee-cat1"),
                ("wifi-1", "ism43362"),
                ("wifi-2", "ism43362"),
            )
        ),
    )
    out = tmp_path / "report"
    with Farm(farm_lab, tmp_path / "run.toml", "--pace", "--baud", "115200") as farm:
        assert sorted(farm.endpoints) == ["cat1-1", "ltem-1", "wifi-1", "wifi-2"]
        run = run_suite(
            "sockconf.suites",
            "--lab",
            str(farm.lab),
            "-n",
            "4",
            "--case",
            "XBEE-LISTEN",
            "--case",
            "ESWIFI-MA",
            tmp=tmp_path,
            report_dir=out,
        )
    assert run.returncode == 0, run.output[-3000:]
    report = json.loads((out / "conformance.json").read_text())
    assert sorted(report["duts"]) == ["cat1-1", "ltem-1", "wifi-1", "wifi-2"]
    assert report["duts"]["wifi-2"]["port"] == farm.endpoints["wifi-2"]
    per_dut = {c["dut"] for c in report["cases"]}
    assert per_dut == {"cat1-1", "ltem-1", "wifi-1", "wifi-2"}
    # NON-STRICT only where a case records which of two contradicting statements the module followed.
    assert {c["verdict"] for c in report["cases"] if c["case_id"] not in contradiction_cases()} == {"PASS"}
    assert {c["verdict"] for c in report["cases"] if c["case_id"] in contradiction_cases()} == {"NON-STRICT"}
    html = (out / "conformance.html").read_text()
    for name, profile in (("cat1-1", "xbee-cat1"), ("wifi-2", "ism43362")):
        assert f"<th>{name}<br><small>{profile}</small>" in html
