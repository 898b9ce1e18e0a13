"""``sockconf scan [PORT ...]``: which module answers on which port, and a lab file for them."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sockconf.core.labfile import write_lab
from sockconf.drivers.probe import BAUDS, WINDOW, ProbeResult, list_ports, scan


def _bauds(text: str) -> list[int]:
    try:
        values = [int(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--baud wants rates joined by commas, e.g. 9600,115200, not {text!r}"
        ) from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"--baud wants positive rates, not {text!r}")
    return values


def _lab_entries(results: list[ProbeResult]) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for r in results:
        if not r.family:
            continue
        n = sum(1 for e in entries if str(e["profile"]) == r.profile) + 1
        entries.append({"name": f"{r.profile}-{n}", "port": r.port, "profile": r.profile, "baud": r.baud})
    return entries


def main(argv: list[str] | None = None) -> int:
    s = argparse.ArgumentParser(
        prog="sockconf scan",
        description="Probe each port at the usual baud rates for every family (XBee: API-frame AT VR/HV/AP in "
        "AP=1 and AP=2; eS-WiFi: I?) without changing any setting, and print one line per port: port, family "
        "(or 'no module'), baud, firmware, hardware, suggested profile.",
    )
    s.add_argument("ports", nargs="*", metavar="PORT", help="devices or pyserial URLs (default: every port listed)")
    s.add_argument(
        "--baud",
        type=_bauds,
        default=list(BAUDS),
        metavar="RATES",
        help=f"baud rates to try, in order (default {','.join(map(str, BAUDS))})",
    )
    s.add_argument(
        "--window", type=float, default=WINDOW, metavar="S", help=f"seconds to wait for each answer (default {WINDOW})"
    )
    s.add_argument("--write", type=Path, metavar="LAB.toml", help="write a lab file of the modules found")
    s.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    args = s.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    if not 0 < args.window <= 10:
        print(f"sockconf scan: error: --window wants 0 < S <= 10, not {args.window}", file=sys.stderr)
        return 2
    ports = args.ports or list_ports()
    if not ports:
        print("sockconf scan: no serial port found on this host", file=sys.stderr)
        return 1
    results = scan(ports, args.baud, args.window)
    for r in results:
        print(r.line(), flush=True)
    if args.write:
        entries = _lab_entries(results)
        write_lab(args.write, entries)
        print(f"wrote {args.write} ({len(entries)} DUT(s))")
    return 0 if any(r.family for r in results) else 1
