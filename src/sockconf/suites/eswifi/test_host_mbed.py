"""ESWIFI-HOST-MBED: the module driven exactly as Arm Mbed's wifi-ism43362 drives it (client sockets only).

Mbed's driver (ARMmbed/wifi-ism43362, ``ISM43362/ISM43362.cpp``) ends every command with ``\\r\\n``
(``ATParser::vsend``) but the ``S3`` header, which it writes with its payload in one go; its SPI layer
drops the first word of a reply when it is ``\\r\\n``; ``check_response`` needs a line ``OK`` and then the
prompt, and nothing may follow the prompt but the pad and one byte (else the next ``R0`` fails and the
socket is taken for closed). The rules are in ``suites/eswifi/hosts.py``, the facts and their sources
in docs/host-stacks.md. The verdict is not a verdict on conformance to Inventek's documents.
"""

from __future__ import annotations

import time

from sockconf.harness.cases import case
from sockconf.harness.eswifi import ESWiFiSession
from sockconf.harness.hoststack import HostStackRun
from sockconf.harness.peer import Peer
from sockconf.suites.eswifi.hosts import (
    Wire,
    mbed_address,
    mbed_buffer,
    mbed_check_response,
    mbed_lines,
    mbed_receive,
    mbed_version,
    reset_stand_in,
)
from sockconf.suites.eswifi.test_station import network

LOCAL_PORT = 49200  # ISM43362::open: a random port of 49152-65535 at the first open
POLL = 0.05  # s: socket_check_read's period


def _facts(*names: str) -> tuple[str, ...]:
    return tuple(f"ESWIFI-HOST-MBED-{n}" for n in names)


def _command(run: HostStackRun, wire: Wire, function: str, line: str, within: float | None = None) -> bytes:
    """One command whose reply must pass check_response."""
    with run.step(f"{function}: {line}"):
        raw = wire.exchange(line, within=within)
        wrong = mbed_check_response(raw)
        run.needs(
            not wrong,
            f"a line OK, then '>' and one character, and nothing after the prompt but the pad ({wrong})",
            raw,
            function="ISM43362::check_response",
        )
    return raw


def _recv(run: HostStackRun, wire: Wire, what: str) -> tuple[str, bytes, bytes]:
    with run.step(f"check_recv_status: R0{what}"):
        raw = wire.exchange("R0")
        status, data = mbed_receive(raw)
    return status, data, raw


@case(
    "ESWIFI-HOST-MBED-01",
    "a client socket: I? (the firmware version), C4=1, join (C0: a line OK), C? (the address, token 5); "
    "P0/P1/P2/P3/P4/P6=1/R1=1200/R2=1; S3 and its payload in one write; R0 polling; the peer's close "
    "ends it; P0, P6=0; nothing may follow a prompt",
    kind="host-stack",
    stack="mbed",
    verifies=_facts("COMMANDS", "RESPONSE", "INIT", "JOIN", "OPEN", "RECEIVE", "SEND", "CLOSE"),
)
def test_client_socket(host_stack: HostStackRun, eswifi: ESWiFiSession, peer: Peer) -> None:
    run = host_stack
    wire = Wire(run, eswifi, end=b"\r\n")
    ssid, passphrase, security = network(eswifi)
    with reset_stand_in(run, eswifi, "ISM43362::reset"):
        with run.step("ISM43362::get_firmware_version: I?"):
            raw = wire.exchange("I?")
            count, version = mbed_version(raw)
            run.needs(
                count >= 3 and version != 0,
                "three comma fields or more in the first line, field 1 a firmware version (C and dotted digits)",
                raw,
                function="ISM43362::get_firmware_version",
            )
            wrong = mbed_check_response(raw)
            run.needs(not wrong, f"a line OK, then the prompt ({wrong})", raw, function="ISM43362::check_response")
        _command(run, wire, "ISM43362::dhcp", "C4=1")
        for line in (f"C1={ssid}", f"C2={passphrase}", f"C3={security}"):
            _command(run, wire, "ISM43362::connect", line)
        with run.step("ISM43362::connect: C0"):
            raw = wire.exchange("C0", within=eswifi.profile.deadlines.join)
            lines = mbed_lines(mbed_buffer(raw))
            failed = any(b"JOIN" in line and b"Failed" in line for line in lines)
            joined = any(b"OK" in line for line in lines) and not failed
            run.needs(joined, "a line holding OK (and none with JOIN and Failed)", raw, function="ISM43362::connect")
        with run.step("ISM43362::getIPAddress: C?"):
            raw = wire.exchange("C?")
            address, more = mbed_address(raw)
            run.needs(
                address == peer.dut_host and more,
                f"the module's address {peer.dut_host} as token 5 of the first line (strtok: empty fields vanish), "
                "and a token 6",
                raw,
                function="ISM43362::getIPAddress",
            )
            wrong = mbed_check_response(raw)
            run.needs(not wrong, f"a line OK, then the prompt ({wrong})", raw, function="ISM43362::check_response")
    server = peer.tcp_server()
    for line in (
        "P0=0",
        "P1=0",
        f"P2={LOCAL_PORT}",
        f"P3={server.address}",
        f"P4={server.port}",
        "P6=1",
        "R1=1200",
        "R2=1",
    ):
        _command(run, wire, "ISM43362::open", line)
    within = eswifi.profile.deadlines.indication
    with run.step("the peer's server accepts the connection"):
        conn = server.accept(within, "the module's connection reaches the peer")
    out = b"hello from Mbed"
    with run.step(f"ISM43362::send: S3={len(out)}"):
        raw = wire.exchange(f"S3={len(out)}", out, end=b"\r")
        wrong = mbed_check_response(raw)
        run.needs(not wrong, f"a line OK, then the prompt ({wrong})", raw, function="ISM43362::check_response")
    with run.step("the peer receives what ISM43362::send sent"):
        conn.recv_exactly(len(out), within, "the peer receives S3's payload")
    back = b"hello from the peer"
    conn.send(back)
    deadline = time.monotonic() + within
    got = b""
    while len(got) < len(back):
        status, data, raw = _recv(run, wire, "")
        run.needs(status == "ok", "a reply ending \\r\\nOK\\r\\n> (else the socket is taken for closed)", raw)
        got += data
        run.needs(time.monotonic() < deadline or len(got) >= len(back), f"the peer's bytes within {within:g} s", got)
        if len(got) < len(back):
            wire.sleep(POLL)
    run.needs(got == back, f"the peer's bytes {back!r}", got, function="ISM43362::check_recv_status")
    conn.close()
    deadline = time.monotonic() + within
    while True:
        status, data, raw = _recv(run, wire, " after the peer closed")
        if status != "ok":
            break
        run.needs(
            not data,
            "a reply that does not end \\r\\nOK\\r\\n> once the peer has closed (with OK its data goes to the "
            "application)",
            raw,
            function="ISM43362::check_recv_status",
        )
        run.needs(
            time.monotonic() < deadline,
            f"the connection's end within {within:g} s",
            raw,
            function="ISM43362::check_recv_status",
        )
        wire.sleep(POLL)
    for line in ("P0=0", "P6=0"):
        _command(run, wire, "ISM43362::close", line)
