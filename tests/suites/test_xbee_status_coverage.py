"""Every status code of spec §3 that the emulator can produce is provoked by a passing XBee case, and checked by one.

How each side is decided, mechanically:

- **can produce**: the clean model, ``XBeeModel`` in ``emulator/xbee/model.py``, names every status it sends as
  ``<Table>.<MEMBER>`` (``SocketConnectStatus.ALREADY_IN_PROGRESS``). Those references are read from its
  source (AST), so the set grows with the model. Fault classes are not part of it: they are not the module.
  Each table belongs to the response frame whose ``status`` field it types (``SocketConnectResponse`` →
  0xC2), read from ``protocol/xbee/frames.py``.
- **provoked**: one run of the XBee suite against the clean emulator, with its JSON report. Every frame the
  DUT sent is in its case's decoded trace (``← 0xC2 Socket Connect Response(..., status=03 …)``); a status
  counts when it appears in a case that passed (PASS or NON-STRICT), whatever step sent it.
- **checked**: some case names the member in ``suites/xbee`` (an ``Expect`` template or a likely code),
  so the status is expected by a case, not merely seen.

The few codes the model can send but no host can provoke on demand are listed with the reason.

``spec §N``: section N of docs/spec/xbee-cellular-sockets.md.
"""

from __future__ import annotations

import ast
import json
import re
from enum import IntEnum
from pathlib import Path

import pytest

from sockconf.protocol.xbee import frames as fr
from sockconf.protocol.xbee import status as st
from tests.helpers import PACKAGE, SUITES, run_suite

MODEL = PACKAGE / "emulator" / "xbee" / "model.py"
SUITE = SUITES / "xbee"

NOT_PROVOKABLE = {
    ("SocketStatusCode", "TIMED_OUT"): "needs a network that drops the SYN; the runner gives up only after 10 s",
    ("SocketStatusCode", "HOST_UNREACHABLE"): "needs an address the host cannot route to at once; machine-dependent",
}


def status_tables() -> dict[str, int]:
    """Status table name -> the frame type whose ``status`` field it types."""
    tables = {}
    for frame_type, cls in fr.FRAME_CLASSES.items():
        annotation = cls.__annotations__.get("status")
        name = str(annotation).split("|")[0].strip() if annotation else ""
        if isinstance(getattr(st, name, None), type):
            tables[name] = frame_type
    return tables


def named_members(source: str, tables: set[str], inside_class: str | None = None) -> set[tuple[str, str]]:
    """``(Table, MEMBER)`` for every ``Table.MEMBER`` in ``source`` (only inside one class, if given)."""
    tree: ast.AST = ast.parse(source)
    if inside_class is not None:
        tree = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == inside_class)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in tables:
            table = getattr(st, node.value.id)
            if node.attr in table.__members__:
                found.add((node.value.id, node.attr))
    return found


def producible() -> set[tuple[str, str]]:
    return named_members(MODEL.read_text(encoding="utf-8"), set(status_tables()), inside_class="XBeeModel")


def required() -> set[tuple[str, str]]:
    return producible() - set(NOT_PROVOKABLE)


_RECEIVED = re.compile(r"^← 0x([0-9A-F]{2}) [^(]*\((.*)\)$")
_STATUS = re.compile(r"(?:^|, )status=([0-9A-F]{2})\b")


def observed_in(report: Path) -> dict[tuple[str, str], set[str]]:
    """``(Table, MEMBER)`` -> IDs of the passing cases whose trace shows the DUT sending it."""
    by_type = {frame_type: name for name, frame_type in status_tables().items()}
    seen: dict[tuple[str, str], set[str]] = {}
    for result in json.loads(report.read_text(encoding="utf-8"))["cases"]:
        if result["verdict"] not in ("PASS", "NON-STRICT"):
            continue
        for row in result["trace"]:
            m = _RECEIVED.match(row["text"]) if row["direction"] == "decoded" else None
            status = _STATUS.search(m.group(2)) if m else None
            if m is None or status is None or int(m.group(1), 16) not in by_type:
                continue
            table = by_type[int(m.group(1), 16)]
            member = st.coerce(getattr(st, table), int(status.group(1), 16))
            if isinstance(member, IntEnum):  # an undocumented code is no member to count
                seen.setdefault((table, member.name), set()).add(result["case_id"])
    return seen


# Codes the model sends only with a conformant variant's setting: provoked by a run against that variant.
VARIANT_ONLY = {
    ("SocketStatusCode", "LISTENER_CLOSED"): ("listener-close-closes-clients", "XBEE-CLOSE-06"),
}


def test_the_model_side_is_read_correctly():
    tables = status_tables()
    assert tables["SocketConnectStatus"] == 0xC2 and tables["TransmitStatusCode"] == 0x89
    assert tables["SocketStatusCode"] == 0xCF and tables["ATCommandStatus"] == 0x88
    can = producible()
    # A few the model certainly sends, and one it never does (no modem update in the emulator).
    assert {("SocketCreateStatus", "INVALID_PROTOCOL"), ("SocketStatusCode", "CONNECTION_LOST")} <= can
    assert ("SocketCreateStatus", "MODEM_UPDATE_IN_PROGRESS") not in can
    assert len(can) >= 30
    # Every exclusion is something the model can send: the list cannot go stale unnoticed.
    assert set(NOT_PROVOKABLE) <= can and set(VARIANT_ONLY) <= can


def test_every_producible_status_is_named_by_a_case():
    tables = set(status_tables())
    named: set[tuple[str, str]] = set()
    for path in sorted(SUITE.glob("*.py")):
        named |= named_members(path.read_text(encoding="utf-8"), tables)
    missing = sorted(required() - named)
    assert not missing, f"statuses the emulator sends that no case in suites/xbee expects: {missing}"


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("coverage")
    out = tmp / "report"
    out.mkdir()
    run = run_suite("sockconf.suites.xbee", "--profile", "xbee3-lte-m", tmp=tmp, report_dir=out)
    assert run.returncode == 0, run.output[-3000:]
    return out / "conformance.json"


def test_every_producible_status_is_provoked_by_a_passing_case(clean_run: Path):
    seen = observed_in(clean_run)
    assert ("SocketCreateStatus", "SUCCESS") in seen  # the trace parser finds what is surely there
    missing = sorted(required() - set(VARIANT_ONLY) - set(seen))
    assert not missing, f"statuses the emulator can send that no passing case provoked: {missing}"


@pytest.mark.parametrize(("status", "variant_case"), sorted(VARIANT_ONLY.items()), ids=lambda v: "-".join(v))
def test_a_status_only_a_variant_sends_is_provoked_by_a_passing_case_against_it(
    tmp_path: Path, status: tuple[str, str], variant_case: tuple[str, str]
) -> None:
    variant, case_id = variant_case
    out = tmp_path / "report"
    out.mkdir()
    args = ["--profile", "xbee3-lte-m", "--variant", f"xbee:{variant}", "--case", case_id]
    run = run_suite("sockconf.suites.xbee", *args, tmp=tmp_path, report_dir=out)
    assert run.returncode == 0, run.output[-3000:]
    assert case_id in observed_in(out / "conformance.json").get(status, set())
