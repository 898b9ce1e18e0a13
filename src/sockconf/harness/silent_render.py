"""``sockconf registry``: the registry of silent points as a Markdown page (the checkout keeps it as
docs/silent-points.md; ``--check FILE`` only compares)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sockconf.harness.silent import families, registry


def render() -> str:
    lines = [
        "# Silent points",
        "",
        "Where the vendor material leaves a module free to choose. Generated from `src/sockconf/data/silent/*.toml`",
        "by `sockconf registry --out docs/silent-points.md` (a self-test fails when this page is out of date). A",
        "case that touches a point accepts every choice listed and records the DUT's in the report's Assumptions",
        "section; a choice other than the default is NON-STRICT (FAIL under `--strict`). Each non-default choice",
        "has an emulator variant (`sockconf emulate FAMILY --list-variants`); `sockconf report variants` runs the",
        "suite against every one of them, and any FAIL or ERROR there is a defect of the suite.",
    ]
    for family in families():
        lines += ["", f"## {family}"]
        for p in registry(family).values():
            lines += ["", f"### {p.id}: {p.title}", "", f"- **The documents say:** {p.documents_say}"]
            lines.append("- **Choices:**")
            for name, text in p.choices.items():
                marks = []
                if name == p.default:
                    marks.append("default")
                if name in p.variants:
                    shown = ", ".join(f"`{v}`" for v in p.variants[name])
                    marks.append(f"variant{'s' if len(p.variants[name]) > 1 else ''} {shown}")
                lines.append(f"  - `{name}`: {text}" + (f" ({', '.join(marks)})" if marks else ""))
            if p.neutral:
                lines.append("- **Every choice PASSes:** the requirement names them all; the choice is only recorded")
            if p.range is not None:
                lines.append(f"- **Registered range:** {p.range[0]:g} s to {p.range[1]:g} s")
            lines.append(f"- **Cases:** {', '.join(p.cases) or 'none (settled another way, see sources)'}")
            lines.append("- **Sources:**")
            lines += [f"  - {s}" for s in p.sources]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, prog: str = "sockconf registry") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="FILE", type=Path, help="write the page to FILE (default: standard output)")
    where.add_argument("--check", metavar="FILE", type=Path, help="exit 1 if FILE differs from the page")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.check.read_text(encoding="utf-8") if args.check.is_file() else ""
        if current != text:
            print(f"{args.check} is out of date: run {prog} --out {args.check}", file=sys.stderr)
            return 1
        return 0
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
