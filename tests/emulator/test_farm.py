"""The emulator as a farm (``--lab``) and paced like hardware (``--pace``)."""

from __future__ import annotations

import select
import subprocess
import sys
import time
import tomllib

import pytest
import serial

from sockconf.emulator import build_model, default_profile
from sockconf.emulator.thread import EmulatorThread
from sockconf.protocol.xbee.frames import ATCommand, ATCommandResponse
from sockconf.protocol.xbee.framing import Decoder, encode
from tests.helpers import ROOT, Farm, run_suite


def _ask_vr(sock_or_port: object, send: object, recv: object) -> tuple[ATCommandResponse, float]:
    request = encode(ATCommand(frame_id=1, command=b"VR"))
    decoder = Decoder(1)
    start = time.monotonic()
    send(request)  # type: ignore[operator]
    deadline = start + 10
    while time.monotonic() < deadline:
        for event in decoder.feed(recv(deadline)):  # type: ignore[operator]
            if isinstance(event, ATCommandResponse):
                return event, time.monotonic() - start
    raise AssertionError("no answer to AT VR within 10 s")


@pytest.mark.parametrize("baud", [1200, 2400])
def test_a_paced_uart_takes_the_line_time_both_ways(baud):
    emu = EmulatorThread(build_model(default_profile("xbee"), host_ip="127.0.0.1"), baud=baud).start()
    try:
        sock = emu.sock

        def recv(deadline: float) -> bytes:
            ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
            return sock.recv(4096) if ready else b""

        reply, elapsed = _ask_vr(sock, sock.sendall, recv)
    finally:
        emu.stop()
    assert reply.value == bytes.fromhex("011415")
    line_bytes = len(encode(ATCommand(frame_id=1, command=b"VR"))) + len(encode(reply))
    # Both directions take 10 bits per byte: the answer cannot come sooner (timers never fire early).
    assert elapsed >= 0.95 * line_bytes * 10 / baud


def test_the_farm_serves_each_dut_on_its_own_pty_and_writes_the_suite_lab(tmp_path):
    lab = tmp_path / "farm.toml"
    lab.write_text("[[dut]]\nname = 'a'\nprofile = 'xbee3-lte-m'\n\n[[dut]]\nname = 'b'\nprofile = 'ism43362'\n")
    with Farm(lab, tmp_path / "run.toml", "--pace") as farm:
        written = tomllib.loads(farm.lab.read_text())["dut"]
        assert [(d["name"], d["port"], d["baud"]) for d in written] == [
            ("a", farm.endpoints["a"], 9600),
            ("b", farm.endpoints["b"], 115200),
        ]
        assert farm.endpoints["a"] != farm.endpoints["b"]
        with serial.serial_for_url(farm.endpoints["a"], timeout=0) as port:

            def recv(deadline: float) -> bytes:
                port.timeout = max(0.0, deadline - time.monotonic())
                return bytes(port.read(max(1, port.in_waiting)))

            reply, _ = _ask_vr(port, port.write, recv)
        assert reply.value == bytes.fromhex("011415")


def test_farm_duts_claim_addresses_of_their_own(tmp_path):
    lab = tmp_path / "farm.toml"
    lab.write_text("".join(f"[[dut]]\nname = 'x{i}'\nprofile = 'xbee3-lte-m'\n\n" for i in range(2)))
    with Farm(lab, tmp_path / "run.toml") as farm:
        run = run_suite(
            "sockconf.suites.xbee", "--lab", str(farm.lab), "--case", "XBEE-LISTEN-0", "-n", "2", tmp=tmp_path
        )
    assert run.all_passed(), run.output[-3000:]


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("[[dut]]\nprofile = 'ism43362'\n", [], "entry 1: every DUT needs a name"),
        ("[[dut]]\nname = 'a'\nprofile = 'nope'\n", [], "DUT 'a': no profile 'nope'"),
        ("[[dut]]\nname = 'a'\nprofile = 'ism43362'\n", ["xbee"], "--lab takes the family"),
        ("[[dut]]\nname = 'a'\nprofile = 'ism43362'\nbaud = 'x'\n", ["--pace"], "baud rate wants a whole number"),
        ("nothing = 1\n", [], "no DUT listed"),
    ],
)
def test_bad_farm_input_is_a_one_line_error(tmp_path, text, args, message):
    lab = tmp_path / "farm.toml"
    lab.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "sockconf", "emulate", "--lab", str(lab), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_the_emulator_driver_paces_at_the_baud_rate_given(tmp_path):
    out = tmp_path / "report"
    run = run_suite(
        "sockconf.suites.xbee", "--pace", "115200", "--case", "XBEE-LISTEN-01", tmp=tmp_path, report_dir=out
    )
    assert run.returncode == 0, run.output[-3000:]
    import json

    duts = json.loads((out / "conformance.json").read_text())["duts"]
    assert {d["baud"] for d in duts.values()} == {"115200 (paced)"}
    bad = run_suite("sockconf.suites.xbee", "--pace", "5", tmp=tmp_path)
    assert bad.returncode == 4 and "--pace wants a baud rate" in bad.output
