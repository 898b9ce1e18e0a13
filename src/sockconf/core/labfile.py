"""The lab file's bytes: reading its ``[[dut]]`` tables and writing one.

The meaning of an entry (drivers, options, profiles) is the harness's business (``sockconf/harness/lab.py``);
this module only reads and writes the TOML, so the emulator farm (``sockconf emulate --lab``) and
the port scan (``sockconf scan --write``) share it without importing the harness.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class LabError(ValueError):
    """A lab file that cannot be used; the message names the file and the entry."""


def read_entries(path: Path) -> list[dict[str, Any]]:
    """The ``[[dut]]`` tables of the lab file ``path``, in order."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LabError(f"lab file {path}: cannot read it: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LabError(f"lab file {path}: not TOML: {exc}") from None
    entries = data.get("dut")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise LabError(f'lab file {path}: no DUT listed; give one or more [[dut]] tables with name = "..."')
    unknown = sorted(set(data) - {"dut"})
    if unknown:
        raise LabError(f"lab file {path}: unknown key(s) {', '.join(unknown)}; a lab file lists [[dut]] tables")
    return [dict(e) for e in entries]


def write_lab(path: Path, entries: Sequence[Mapping[str, Any]]) -> None:
    """Write a lab file of ``[[dut]]`` tables (string, integer and boolean values)."""
    lines: list[str] = []
    for entry in entries:
        lines.append("[[dut]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in entry.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
