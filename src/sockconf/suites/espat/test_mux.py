"""ESPAT-MUX: single and multiple connections (AT+CIPMUX) and the transmission mode it depends on (AT+CIPMODE)."""

from __future__ import annotations

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession
from sockconf.harness.peer import Peer
from sockconf.protocol.espat import Final
from sockconf.suites.espat.exchange import connect, info_value, open_server, send


@case(
    "ESPAT-MUX-01",
    "AT+CIPMUX? shows +CIPMUX:<mode> and OK; AT+CIPMUX=0 and =1 set the mode it then shows",
    verifies=("ESPAT-DOC-TCPIP-CIPMUX-01", "ESPAT-DOC-TCPIP-CIPMUX-03"),
)
def test_query_and_set(espat: EspAtSession) -> None:
    response = espat.ok("+CIPMUX?", requirement="AT+CIPMUX? is answered +CIPMUX:<mode> and OK")
    if response.info("CIPMUX") != ["1"]:
        espat.fail(espat.requirement, ["+CIPMUX:1 (set before the case)"], response.shown(), ["not mode 1"])
    assert isinstance(response.final, Final)
    # Whether the OK after an information line keeps its blank line (ESPAT-SILENT-BLANK-BEFORE-OK).
    blank = response.final.raw.startswith(b"\r\n")
    espat.on_observed("ESPAT-SILENT-BLANK-BEFORE-OK", "blank" if blank else "no-blank", f"OK as {response.final.raw!r}")
    for mode in (0, 1):
        espat.set_mux(mode, requirement=f"AT+CIPMUX={mode} is answered with OK")
        shown = info_value(espat, "CIPMUX", "AT+CIPMUX? is answered +CIPMUX:<mode> and OK")
        if shown != str(mode):
            espat.fail(espat.requirement, [f"+CIPMUX:{mode}"], [f"+CIPMUX:{shown}"], ["the mode set is not shown"])


@case(
    "ESPAT-MUX-02",
    "with a link open AT+CIPMUX=0 is refused (ERROR) and the link keeps working; once it is closed the mode changes",
    verifies=("ESPAT-DOC-TCPIP-CIPMUX-04",),
)
def test_mode_fixed_while_connected(espat: EspAtSession, peer: Peer) -> None:
    out = connect(espat, peer, 0)
    espat.error("+CIPMUX", 0, requirement="AT+CIPMUX=0 with a link open is answered ERROR")
    same = espat.at("+CIPMUX", 1, requirement="AT+CIPMUX=1 (the mode it has) with a link open is answered")
    espat.expect_final(same, ("OK", "ERROR"), "AT+CIPMUX=1 with a link open ends with OK or ERROR")
    choice = "ok" if same.word == "OK" else "error"
    espat.on_observed("ESPAT-SILENT-CIPMUX-SAME-VALUE", choice, f"AT+CIPMUX=1 with a link open: {same.word}")
    mode = info_value(espat, "CIPMUX", "AT+CIPMUX? still shows 1")
    if mode != "1":
        espat.fail(espat.requirement, ["+CIPMUX:1"], [f"+CIPMUX:{mode}"], ["the refused change took effect"])
    send(espat, 0, b"still multiple", out.client, requirement="the link keeps working after the refused change")
    espat.ok("+CIPCLOSE", 0, requirement="AT+CIPCLOSE=0 is answered with OK")
    espat.set_mux(0, requirement="with every link closed, AT+CIPMUX=0 is answered with OK")


@case(
    "ESPAT-MUX-03",
    "in the passthrough receiving mode (AT+CIPMODE=1) AT+CIPMUX=1 is refused; back in normal mode (0) it is taken",
    verifies=("ESPAT-DOC-TCPIP-CIPMUX-05", "ESPAT-DOC-TCPIP-CIPMODE-01", "ESPAT-DOC-TCPIP-CIPMODE-02"),
)
def test_multiple_needs_normal_mode(espat: EspAtSession) -> None:
    espat.set_mux(0, requirement="precondition: AT+CIPMUX=0 is answered with OK")
    espat.change("+CIPMODE", 1, restore=(0,), requirement="in single connection mode AT+CIPMODE=1 is answered OK")
    mode = info_value(espat, "CIPMODE", "AT+CIPMODE? is answered +CIPMODE:<mode> and OK")
    if mode != "1":
        espat.fail(espat.requirement, ["+CIPMODE:1"], [f"+CIPMODE:{mode}"], ["the mode set is not shown"])
    espat.error("+CIPMUX", 1, requirement="AT+CIPMUX=1 in the passthrough receiving mode is answered ERROR")
    espat.ok("+CIPMODE", 0, requirement="AT+CIPMODE=0 (normal transmission mode) is answered with OK")
    espat.set_mux(1, requirement="in normal transmission mode AT+CIPMUX=1 is answered with OK")


@case(
    "ESPAT-MUX-04",
    "while a server runs AT+CIPMUX=0 is refused; after AT+CIPSERVER=0 it is taken",
    verifies=("ESPAT-DOC-TCPIP-CIPMUX-06",),
)
def test_single_needs_no_server(espat: EspAtSession) -> None:
    open_server(espat)
    espat.error("+CIPMUX", 0, requirement="AT+CIPMUX=0 while a server runs is answered ERROR")
    espat.ok("+CIPSERVER", 0, requirement="AT+CIPSERVER=0 is answered with OK")
    espat.set_mux(0, requirement="with the server deleted, AT+CIPMUX=0 is answered with OK")
