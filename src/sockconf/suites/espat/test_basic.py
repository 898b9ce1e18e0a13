"""ESPAT-BASIC: the module's basic commands (Basic doc): AT, ATE0/ATE1, AT+GMR, AT+RST and what a restart restores."""

from __future__ import annotations

import re
import time

import pytest

from sockconf.data.vectors.espat import ESPAT_OK
from sockconf.harness import silent
from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession, describe_event
from sockconf.protocol.espat import Final, Line
from sockconf.suites.espat.exchange import info_value

# "AT version:2.2.0.0-dev(ca41ec4 - {IDF_TARGET_NAME} - Sep 16 2020 11:28:17)" (Basic doc, AT+GMR example).
AT_VERSION = re.compile(r"AT version:\S+\(.+ - .+ - .+\)")
BIN_VERSION = re.compile(r"Bin version:[^()]+\([^()]+\)")
GMR_LINES = ("AT version:", "SDK version:", "compile time", "Bin version:")
READY = "ESPAT-SILENT-READY-PRELUDE"


@case(
    "ESPAT-BASIC-01",
    "AT is answered with the OK system message: exactly \\r\\nOK\\r\\n",
    verifies=(
        "ESPAT-DOC-BASIC-AT-01",
        "ESPAT-DOC-MSG-RESP-01",
        "ESPAT-DOC-MSG-RESP-OK",
        "ESPAT-DOC-FMT-OK-01",
        "ESPAT-DOC-IDX-LINE-03",
    ),
)
def test_at(espat: EspAtSession) -> None:
    response = espat.ok(requirement=espat.requirement)
    assert response.final is not None
    if response.echo is not None or response.lines or response.final.raw != ESPAT_OK:
        espat.fail(
            espat.requirement,
            [f"{ESPAT_OK!r} and nothing else (echo is off)"],
            response.shown(),
            ["other bytes than the 6-byte OK message"],
        )


def _echo_form(echo: Line, final: Final) -> str:
    """ESPAT-SILENT-ECHO-FORM: the echo's line end, read from the echo and the final result after it."""
    if echo.raw.endswith(b"\n"):
        return "as-received"
    return "cr-crlf" if final.raw.startswith(b"\r\n\r\n") else "cr-only"


@case(
    "ESPAT-BASIC-02",
    "after ATE1 each command line comes back before its answer; after ATE0 none does",
    verifies=("ESPAT-DOC-BASIC-ATE-01", "ESPAT-DOC-BASIC-ATE-02", "ESPAT-DOC-FMT-ATE-01"),
)
def test_echo(espat: EspAtSession) -> None:
    espat.ok("E1", requirement="ATE1 is answered with OK")
    espat.echo = True
    on = espat.ok(requirement="with echo on, AT is answered with OK")
    if not isinstance(on.echo, Line) or on.final is None:
        espat.fail("ATE1: Switch echo on", ["AT echoed, then OK"], on.shown(), ["no echo of the command line"])
    assert isinstance(on.echo, Line) and on.final is not None
    espat.on_observed("ESPAT-SILENT-ECHO-FORM", _echo_form(on.echo, on.final), f"the echo came as {on.echo.raw!r}")
    espat.ok("E0", requirement="ATE0 is answered with OK")  # its own line may still come back: echo was on
    espat.echo = False
    off = espat.ok(requirement="with echo off, AT is answered with OK")
    if off.echo is not None:
        espat.fail("ATE0: Switch echo off", ["OK alone"], off.shown(), ["the command line still comes back"])


@case(
    "ESPAT-BASIC-03",
    "AT+GMR answers the AT version (version, hash, chip, date), SDK version, compile time and Bin version "
    "lines, then OK",
    verifies=(
        "ESPAT-DOC-BASIC-GMR-01",
        "ESPAT-DOC-BASIC-GMR-02",
        "ESPAT-DOC-BASIC-GMR-03",
        "ESPAT-DOC-BASIC-GMR-04",
        "ESPAT-DOC-BASIC-GMR-05",
        "ESPAT-DOC-BASIC-GMR-06",
        "ESPAT-DOC-BASIC-GMR-07",
        "ESPAT-DOC-DL-GMR-01",
        "ESPAT-DOC-DL-GMR-02",
        "ESPAT-DOC-DL-GMR-03",
    ),
)
def test_gmr(espat: EspAtSession) -> None:
    response = espat.ok("+GMR", requirement=espat.requirement)
    texts = response.texts()
    heads = [next((t for t in texts if t.startswith(head)), None) for head in GMR_LINES]
    missing = [head for head, found in zip(GMR_LINES, heads, strict=True) if found is None]
    order = [texts.index(t) for t in heads if t is not None]
    problems = [f"no {head!r} line" for head in missing]
    if order != sorted(order):
        problems.append("the lines are not in the documented order")
    if heads[0] is not None and not AT_VERSION.fullmatch(heads[0]):
        problems.append(f"{heads[0]!r} is not AT version:<version>(<hash> - <chip> - <date>)")
    if heads[3] is not None and not BIN_VERSION.fullmatch(heads[3]):
        problems.append(f"{heads[3]!r} is not Bin version:<Bin version>(<module_name>)")
    if problems:
        espat.fail(
            espat.requirement,
            ["AT version:...", "SDK version:...", "compile time...", "Bin version:<Bin version>(<module_name>)", "OK"],
            response.shown(),
            problems,
        )


def _wait_ready(espat: EspAtSession, within: float) -> tuple[float, list[str]]:
    """Seconds from AT+RST's OK to ``ready``, and what else the port carried before it (boot noise)."""
    started = time.monotonic()
    deadline = started + within
    while True:
        ready = espat.take_report(lambda e: isinstance(e, Line) and e.text == "ready")
        if ready is not None:
            noise = [describe_event(e) for e in espat.answers]
            espat.answers.clear()
            return time.monotonic() - started, noise
        if time.monotonic() >= deadline:
            espat.fail(
                "after AT+RST's OK the module restarts and says ready",
                ["ready"],
                [describe_event(e) for e in [*espat.answers, *espat.inbox]] or ["nothing"],
                [f"no ready within {within:g} s (the profile's reset deadline)"],
            )
        espat.watch(deadline - time.monotonic())


@case(
    "ESPAT-BASIC-04",
    "AT+RST answers OK, the module says ready and (with auto-connect) WIFI CONNECTED, WIFI GOT IP; "
    "it restarts in single connection mode with active receive",
    verifies=(
        "ESPAT-DOC-BASIC-RST-01",
        "ESPAT-DOC-MSG-READY",
        "ESPAT-DOC-MSG-WIFICONN",
        "ESPAT-DOC-MSG-WIFIGOTIP",
        "ESPAT-DOC-TCPIP-CIPMUX-02",
        "ESPAT-DOC-TCPIP-RECVTYPE-05",
        "ESPAT-DOC-V32-RECVMODE-01",
        "ESPAT-DOC-TCPIP-CIPMODE-01",
        "ESPAT-DOC-TCPIP-MAXCONN-01",
        "ESPAT-DOC-TCPIP-CIPSTO-01",
    ),
)
def test_restart(espat: EspAtSession) -> None:
    auto = espat.at("+CWAUTOCONN?", requirement="AT+CWAUTOCONN? is answered")
    if auto.word != "OK" or [v.strip() for v in auto.info("CWAUTOCONN")] != ["1"]:
        pytest.skip(
            "NOT APPLICABLE: AT+CWAUTOCONN? does not show 1, so the module would not join its access point "
            "again after a restart (the rest of the run needs it joined)"
        )
    espat.ok("+RST", requirement="AT+RST is answered with OK")
    espat.baseline_needed = True
    espat.mux = None
    espat.echo = None
    deadlines = espat.profile.deadlines
    # The restart may take up to the registered range (ESPAT-SILENT-READY-PRELUDE) even where the profile says less.
    took, noise = _wait_ready(espat, max(deadlines.reset, silent.point(READY).longest + deadlines.reply))
    if noise:
        choice, detail = "boot-noise", f"before ready: {'; '.join(noise)}"
    else:
        choice, detail = ("clean", "") if took <= 1.0 else ("late", f"ready {took:.2f} s after OK")
    espat.on_observed(READY, choice, detail or f"ready {took:.2f} s after OK")
    joined = espat.report(
        lambda e: isinstance(e, Line) and e.text == "WIFI GOT IP",
        "WIFI GOT IP (the station joins its access point again)",
        "after the restart the station joins again: WIFI CONNECTED, WIFI GOT IP",
        within=deadlines.join,
    )
    connected = espat.take_report(lambda e: isinstance(e, Line) and e.text == "WIFI CONNECTED")
    if connected is None or not espat.came_before(connected, joined):
        espat.fail(
            "WIFI CONNECTED: Wi-Fi station interface has connected to an AP",
            ["WIFI CONNECTED, then WIFI GOT IP"],
            [describe_event(joined)],
            ["no WIFI CONNECTED before WIFI GOT IP"],
        )
    first = espat.ok(requirement="after the restart AT is answered with OK")
    espat.on_observed("ESPAT-SILENT-ECHO-DEFAULT", "on" if first.echo is not None else "off", "AT after the restart")
    _defaults(espat)


def _defaults(espat: EspAtSession) -> None:
    """What a restart restores: single connection, active receive; the undocumented defaults recorded."""
    mux = info_value(espat, "CIPMUX", "AT+CIPMUX? after a restart shows <mode> 0 (Default: 0)")
    if mux != "0":
        espat.fail("<mode>: connection mode. Default: 0.", ["+CIPMUX:0"], [f"+CIPMUX:{mux}"], ["not the default"])
    mode = info_value(espat, "CIPMODE", "AT+CIPMODE? is answered +CIPMODE:<mode>")
    if mode not in ("0", "1"):
        espat.fail("AT+CIPMODE? is answered +CIPMODE:<mode>", ["+CIPMODE:0 or 1"], [f"+CIPMODE:{mode}"], ["no mode"])
    name = espat.recv_command
    values = espat.query(name, f"AT+{name}? after a restart shows <mode> 0 (Default: 0)")
    modes = [v.rsplit(",", 1)[-1].strip() for v in values]
    if any(m != "0" for m in modes):
        espat.fail("<mode>: the receive mode of socket data. Default: 0.", [f"+{name}:...0"], values, ["not active"])
    dinfo = info_value(espat, "CIPDINFO", "AT+CIPDINFO? is answered +CIPDINFO:true or +CIPDINFO:false")
    if dinfo not in ("true", "false"):
        espat.fail("AT+CIPDINFO? shows true or false", ["+CIPDINFO:true", "+CIPDINFO:false"], [dinfo], ["neither"])
    espat.on_observed("ESPAT-SILENT-CIPDINFO-DEFAULT", dinfo, f"+CIPDINFO:{dinfo} after a restart")
    maxconn = info_value(espat, "CIPSERVERMAXCONN", "AT+CIPSERVERMAXCONN? is answered +CIPSERVERMAXCONN:<num>")
    if maxconn not in ("1", "2", "3", "4", "5"):
        espat.fail("<num> ... Range: [1,5]", ["+CIPSERVERMAXCONN:<1-5>"], [maxconn], ["out of the range"])
    espat.on_observed(
        "ESPAT-SILENT-MAXCONN-DEFAULT", "five" if maxconn == "5" else "other", f"{maxconn} after a restart"
    )
    sto = info_value(espat, "CIPSTO", "AT+CIPSTO? is answered +CIPSTO:<time>")
    if not sto.isdigit() or int(sto) > 7200:
        espat.fail("<time> ... Range: [0,7200]", ["+CIPSTO:<0-7200>"], [sto], ["out of the range"])
    espat.on_observed(
        "ESPAT-SILENT-CIPSTO-DEFAULT", sto if sto in ("180", "0") else "other", f"{sto} s after a restart"
    )
