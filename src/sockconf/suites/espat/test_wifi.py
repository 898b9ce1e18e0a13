"""ESPAT-WIFI: what the station shows of itself (Wi-Fi doc, TCP-IP doc): its mode, its access point, its
address. The suite never joins or leaves a network: the preflight found the station joined."""

from __future__ import annotations

import ipaddress
import re

from sockconf.harness.cases import case
from sockconf.harness.espat import EspAtSession
from sockconf.suites.espat.exchange import info_value

MAC = re.compile(r'"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}"')


def _ipv4(text: str) -> str | None:
    try:
        address = ipaddress.IPv4Address(text.strip().strip('"'))
    except ValueError:
        return None
    return None if address.is_unspecified else str(address)


@case(
    "ESPAT-WIFI-01",
    "AT+CWMODE? shows the station enabled (1 or 3; the station has joined), and AT+CWMODE=<that mode> is answered OK",
    verifies=("ESPAT-DOC-WIFI-CWMODE-01", "ESPAT-DOC-WIFI-CWMODE-02", "ESPAT-DOC-WIFI-CWMODE-03"),
)
def test_mode(espat: EspAtSession) -> None:
    mode = info_value(espat, "CWMODE", "AT+CWMODE? is answered +CWMODE:<mode> and OK")
    if mode not in ("1", "3"):
        espat.fail(espat.requirement, ["+CWMODE:1", "+CWMODE:3"], [f"+CWMODE:{mode}"], ["no station mode"])
    espat.ok("+CWMODE", int(mode), requirement=f"AT+CWMODE={mode} (the mode it has) is answered with OK")
    again = info_value(espat, "CWMODE", "AT+CWMODE? is answered +CWMODE:<mode> and OK")
    if again != mode:
        espat.fail(espat.requirement, [f"+CWMODE:{mode}"], [f"+CWMODE:{again}"], ["the mode changed"])


@case(
    "ESPAT-WIFI-02",
    'AT+CWJAP? on a joined station shows +CWJAP:<"ssid">,<"bssid">,<channel>,<rssi>,... then OK',
    verifies=("ESPAT-DOC-WIFI-CWJAP-01",),
)
def test_access_point(espat: EspAtSession) -> None:
    value = info_value(espat, "CWJAP", "AT+CWJAP? is answered +CWJAP:... and OK")
    fields = value.split(",")
    problems = []
    if len(fields) < 4:
        problems.append(f"{len(fields)} field(s), not at least <ssid>,<bssid>,<channel>,<rssi>")
    else:
        if not (fields[0].startswith('"') and fields[0].endswith('"') and len(fields[0]) > 2):
            problems.append(f"<ssid> {fields[0]!r} is not a quoted string")
        if not MAC.fullmatch(fields[1]):
            problems.append(f"<bssid> {fields[1]!r} is not a quoted MAC address")
        if not fields[2].isdigit():
            problems.append(f"<channel> {fields[2]!r} is not a number")
        if not re.fullmatch(r"-\d+", fields[3]):
            problems.append(f"<rssi> {fields[3]!r} is not a negative number")
    if problems:
        espat.fail(espat.requirement, ['+CWJAP:<"ssid">,<"bssid">,<channel>,<rssi>,...'], [f"+CWJAP:{value}"], problems)


def station(espat: EspAtSession) -> dict[str, str]:
    """AT+CIPSTA?: its ip, gateway and netmask lines, in the documented order."""
    response = espat.ok("+CIPSTA?", requirement="AT+CIPSTA? is answered with its lines and OK")
    values = response.info("CIPSTA")
    names = [v.partition(":")[0] for v in values]
    wanted = ["ip", "gateway", "netmask"]
    if names[:3] != wanted:
        espat.fail(
            "AT+CIPSTA? shows +CIPSTA:ip:, +CIPSTA:gateway:, +CIPSTA:netmask:",
            ['+CIPSTA:ip:"<ip>"', '+CIPSTA:gateway:"<gateway>"', '+CIPSTA:netmask:"<netmask>"'],
            response.shown(),
            [f"the lines are {names}"],
        )
    return {v.partition(":")[0]: v.partition(":")[2] for v in values}


@case(
    "ESPAT-WIFI-03",
    'AT+CIPSTA? shows +CIPSTA:ip:"<ip>", +CIPSTA:gateway:"<gateway>", +CIPSTA:netmask:"<netmask>" (IPv4), then OK',
    verifies=("ESPAT-DOC-WIFI-CIPSTA-01", "ESPAT-DOC-WIFI-CIPSTA-02", "ESPAT-DOC-WIFI-CIPSTA-03"),
)
def test_station_address(espat: EspAtSession) -> None:
    found = station(espat)
    bad = [f"{name}: {found[name]!r}" for name in ("ip", "gateway", "netmask") if _ipv4(found[name]) is None]
    # A netmask is an address too, but 0.0.0.0 only for a /0 network: not one a station joins.
    if bad:
        espat.fail(espat.requirement, ['"a.b.c.d" in each line'], [f"{k}:{v}" for k, v in found.items()], bad)


@case(
    "ESPAT-WIFI-04",
    'AT+CIFSR shows +CIFSR:STAIP,"<the station address>" and +CIFSR:STAMAC,"<mac>", then OK',
    verifies=("ESPAT-DOC-TCPIP-CIFSR-01", "ESPAT-DOC-TCPIP-CIFSR-02", "ESPAT-DOC-TCPIP-CIFSR-03"),
)
def test_cifsr(espat: EspAtSession) -> None:
    ip = _ipv4(station(espat)["ip"])
    response = espat.ok("+CIFSR", requirement="AT+CIFSR is answered with its lines and OK")
    lines = dict(v.partition(",")[::2] for v in response.info("CIFSR"))
    problems = []
    if _ipv4(lines.get("STAIP", "")) != ip:
        problems.append(f"STAIP {lines.get('STAIP')!r} is not the station address {ip} (AT+CIPSTA?)")
    if not MAC.fullmatch(lines.get("STAMAC", "")):
        problems.append(f"STAMAC {lines.get('STAMAC')!r} is not a quoted MAC address")
    if problems:
        espat.fail(espat.requirement, ['+CIFSR:STAIP,"<ip>"', '+CIFSR:STAMAC,"<mac>"'], response.shown(), problems)
    # Which other interfaces' lines it prints is ESPAT-SILENT-CIFSR-LINES (the softAP's while only the station is up).
    mode = info_value(espat, "CWMODE", "AT+CWMODE? is answered +CWMODE:<mode> and OK")
    others = sorted(set(lines) - {"STAIP", "STAMAC"})
    choice = "all" if mode == "1" and any(k.startswith("AP") for k in others) else "active-ifaces"
    espat.on_observed("ESPAT-SILENT-CIFSR-LINES", choice, f"other lines: {', '.join(others) or 'none'}")
