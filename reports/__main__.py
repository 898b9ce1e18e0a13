"""``python -m reports diff OLD.json NEW.json``: what changed between two runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports.diff import ReportError, compare, load, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports", description="Work with sockconf JSON reports.")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "diff",
        help="regressions, progressions, new and removed cases between two runs",
        description="Compare two conformance.json files (e.g. two firmware versions). "
        "Exit status: 0 no regression, 1 regressions, 2 bad input.",
    )
    d.add_argument("old", type=Path, help="the earlier run's conformance.json")
    d.add_argument("new", type=Path, help="the later run's conformance.json")
    args = parser.parse_args(argv)
    try:
        old, new = load(args.old), load(args.new)
    except ReportError as exc:
        print(f"python -m reports: error: {exc}", file=sys.stderr)
        return 2
    diff = compare(old, new)
    print(render(diff, old, new))
    return 1 if diff.regressions else 0


if __name__ == "__main__":
    sys.exit(main())
