"""``python -m reports wire-diff``: what changed on the wire between two runs, case by case."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sockconf.reports.cli import main
from sockconf.reports.results import TraceRow, reply_latency
from sockconf.reports.wire_diff import compare, events
from tests.helpers import ROOT, run_suite

# --------------------------------------------------------------------------- on made-up reports


def row(t: float, direction: str, text: str = "", hexdata: str = "") -> dict[str, Any]:
    return {"t_ms": t, "direction": direction, "hex": hexdata, "text": text}


def report(cases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": "sockconf-report/1",
        "suite": {"name": "sockconf", "version": "t", "date": "d", "host": "h", "command": "c", "strict": False},
        "duts": {},
        "totals": {},
        "cases": cases,
    }


def case(nodeid: str, trace: list[dict[str, Any]], verdict: str = "PASS", **extra: Any) -> dict[str, Any]:
    return {"nodeid": nodeid, "case_id": "XBEE-LISTEN-05", "profile": "p", "verdict": verdict, "phase": "call"} | {
        "trace": trace,
        **extra,
    }


def listener_trace(port: int, peer: str, fid: int, client: int, status: str = "00 SUCCESS") -> list[dict[str, Any]]:
    """A listener case as the XBee session records it, with the run-dependent values as parameters."""
    return [
        row(0.1, "host→dut", hexdata="7E"),
        row(0.2, "decoded", f"→ 0x40 Socket Create(frame_id={fid:02X}, protocol=01 TCP)"),
        row(0.5, "dut→host", hexdata="7E"),
        row(0.6, "decoded", f"← 0xC0 Socket Create Response(frame_id={fid:02X}, socket_id=00, status={status})"),
        row(1.0, "peer", f"peer#1 connected {peer}:{port} → 127.0.0.9:10001"),
        row(
            1.5,
            "decoded",
            "← 0xCC Socket New IPv4 Client(socket_id=00, "
            f"client_socket_id={client:02X}, remote_address='{peer}', remote_port={port} (0x{port:04X}))",
        ),
    ]


def test_what_differs_from_run_to_run_is_not_a_difference() -> None:
    a = report([case("t::x[p]", listener_trace(40001, "127.0.0.1", 0x11, 1))])
    b = report([case("t::x[p]", listener_trace(51234, "127.0.0.7", 0x5A, 3))])
    diff = compare(a, b)
    assert [c.same for c in diff.cases] == [True]
    assert not diff.different


def test_a_changed_field_is_named_with_both_values() -> None:
    a = report([case("t::x[p]", listener_trace(40001, "127.0.0.1", 0x11, 1))])
    b = report([case("t::x[p]", listener_trace(40001, "127.0.0.1", 0x11, 1, status="32 RESOURCE_ERROR"))])
    (c,) = compare(a, b).different
    assert c.first is not None and c.first[0] is not None and c.first[1] is not None
    assert c.first[0].index == 3 and "Socket Create Response" in c.first[1].raw
    assert c.fields == ["status: A 00 SUCCESS, B 32 RESOURCE_ERROR"]
    assert c.verdict_same, "both PASS: a behaviour change the verdict did not show"


def test_a_frame_id_not_echoed_differs_though_frame_ids_are_normalised() -> None:
    good = listener_trace(40001, "127.0.0.1", 0x11, 1)
    bad = [dict(r) for r in good]
    bad[3]["text"] = bad[3]["text"].replace("frame_id=11", "frame_id=12")
    (c,) = compare(report([case("t::x[p]", good)]), report([case("t::x[p]", bad)])).different
    assert c.fields == ["frame_id: A 11 [F1], B 12 [F2]"]


def test_extra_and_missing_frames() -> None:
    good = listener_trace(40001, "127.0.0.1", 0x11, 1)
    extra = [*good, row(2.0, "decoded", "← 0xCF Socket Status(socket_id=01, status=07 CONNECTION_LOST)")]
    (c,) = compare(report([case("t::x[p]", good)]), report([case("t::x[p]", extra)])).different
    assert [e.raw for e in c.extra] == ["← 0xCF Socket Status(socket_id=01, status=07 CONNECTION_LOST)"]
    assert not c.missing and c.first == (None, c.extra[0])
    (c,) = compare(report([case("t::x[p]", extra)]), report([case("t::x[p]", good)])).different
    assert len(c.missing) == 1 and not c.extra


def test_polling_counts_once() -> None:
    """R0 sent until the data is there: how many empty answers came first depends on timing."""
    poll = [row(0, "decoded", "→ R0"), row(0, "decoded", "← reply, 0 byte(s) b'', OK")]
    data = [row(0, "decoded", "→ R0"), row(0, "decoded", "← reply, 4 byte(s) b'abcd', OK")]
    once = report([case("t::x[p]", data)])
    thrice = report([case("t::x[p]", poll + poll + data)])
    assert not compare(once, thrice).different
    lost = [row(0, "decoded", "→ R0"), row(0, "decoded", "← lost connection (-1)")]
    other = report([case("t::x[p]", [*poll, *lost])])
    assert compare(once, other).different, "a different final answer is a difference"


def test_only_wire_rows_count() -> None:
    trace = listener_trace(40001, "127.0.0.1", 0x11, 1)
    noted = [*trace[:2], row(0.3, "decoded", "the case setup needed a second try; ..."), *trace[2:]]
    assert [e.norm for e in events(trace)] == [e.norm for e in events(noted)]
    assert len(events(trace)) == 4


def test_profiles_align_on_request() -> None:
    a = report([case("t::x[AP1-lte]", listener_trace(1, "127.0.0.1", 1, 1), profile="lte")])
    b = report([case("t::x[AP1-cat1]", listener_trace(1, "127.0.0.1", 1, 1), profile="cat1")])
    assert not compare(a, b).cases
    aligned = compare(a, b, {"cat1": "lte"})
    assert len(aligned.cases) == 1 and aligned.cases[0].same


@pytest.mark.parametrize(
    ("before", "after", "flagged"),
    [(10.0, 15.0, False), (10.0, 59.0, False), (100.0, 160.0, False), (10.0, 70.0, True), (100.0, 200.1, True)],
)
def test_latency_needs_both_thresholds(before: float, after: float, flagged: bool) -> None:
    """Default thresholds: more than 2x AND more than 50 ms slower (median)."""
    trace = listener_trace(1, "127.0.0.1", 1, 1)
    a = report([case("t::x[p]", trace, latency={"count": 1, "median_ms": before, "max_ms": before})])
    b = report([case("t::x[p]", trace, latency={"count": 1, "median_ms": after, "max_ms": after})])
    assert bool(compare(a, b).slower) is flagged


def test_reply_latency_from_the_trace() -> None:
    rows = [
        TraceRow(0.0, "host→dut", "7E", ""),
        TraceRow(0.5, "host→dut", "7E", ""),  # a second write: the reply answers the last one
        TraceRow(2.5, "dut→host", "7E", ""),  # 2.0 ms
        TraceRow(2.6, "dut→host", "7E", ""),  # more of the same reply: no new sample
        TraceRow(3.0, "host→dut", "7E", ""),
        TraceRow(3.5, "peer", "", "peer#1 sends 1 byte(s)"),  # what follows reports the peer's data
        TraceRow(4.0, "dut→host", "7E", ""),
        TraceRow(5.0, "host→dut", "7E", ""),
        TraceRow(11.0, "dut→host", "7E", ""),  # 6.0 ms
    ]
    assert reply_latency(rows) == {"count": 2, "median_ms": 4.0, "max_ms": 6.0}
    assert reply_latency(rows[:2]) is None


def _write(tmp: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_cli_exit_status_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = listener_trace(40001, "127.0.0.1", 0x11, 1)
    a = _write(tmp_path, "a.json", report([case("t::x[p]", trace)]))
    b = _write(tmp_path, "b.json", report([case("t::x[p]", trace)]))
    hostile = [*trace, row(3.0, "decoded", "← message <script>alert(1)</script>")]
    c = _write(tmp_path, "c.json", report([case("t::x[p]", hostile)]))
    assert main(["wire-diff", str(a), str(b)]) == 0
    page = tmp_path / "out.html"
    assert main(["wire-diff", str(a), str(c), "--html", str(page)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT WIRE BEHAVIOUR: 1" in out and "only in B, first: ← message <script>" in out
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html and "XBEE-LISTEN-05" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json", "a.json"], "cannot read"),
        (["bad.json", "a.json"], "is not JSON"),
        (["a.json", "a.json", "--align-profile", "lte"], "--align-profile wants A=B"),
        (["a.json", "a.json", "--latency-factor", "0.5"], "--latency-factor wants 1 or more"),
    ],
)
def test_cli_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    _write(tmp_path, "a.json", report([]))
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "sockconf", "report", "wire-diff", *args],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- on real runs of the suite

# fault -> (the case it changes, what the first difference must show: a regex over wire-diff's text)
XBEE_FAULTS = {
    "frame-id-not-echoed": ("XBEE-LISTEN-01", r"• frame_id: A [0-9A-F]{2} \[F1\], B [0-9A-F]{2} \[F2\]"),
    "socket-id-not-echoed": ("XBEE-CLOSE-01", r"• socket_id: A [0-9A-F]{2} \[S1\], B [0-9A-F]{2} \[S2\]"),
    "port-byte-swapped": ("XBEE-LISTEN-05", r"B #\d+ ← 0xCC Socket New IPv4 Client\(.*\n\s+• remote_port: A \d+"),
    "wrong-status-on-peer-close": ("XBEE-LISTEN-07", r"• status: A 07 CONNECTION_LOST, B (?!07)[0-9A-F]{2}"),
    "tx-status-always-success": ("XBEE-SEND-05", r"• status: A 20 CONNECTION_NOT_FOUND, B 00 SUCCESS"),
}
ESWIFI_FAULTS = {
    "wrong-s3-count": (
        "ESWIFI-MA-08",
        r"A #\d+ ← reply, 1 byte\(s\) b'1', OK\n\s+B #\d+ ← reply, 1 byte\(s\) b'(?!1')",
    ),
    "multi-accept-no-ok": ("ESWIFI-MA-05", r"B #\d+ ← incomplete \(reply not ended by OK"),
    "no-accepted-line": ("ESWIFI-MA-06", r"only in A, first: ← message \[TCP SVR\] Accepted "),
    "r0-no-lost": (
        "ESWIFI-LOST-01",
        r"A #\d+ ← lost connection \(-1\) without OK\n\s+B #\d+ ← reply, 0 byte\(s\) b'', OK",
    ),
    # 5024 (0x13A0), the server's port, with its two bytes swapped: 40979 (0xA013).
    "accepted-port-byte-swapped": ("ESWIFI-MA-06", r"B #\d+ ← message \[TCP SVR\] Accepted [\d.]+:40979\n"),
}
# variant -> the same: a conformant module differs on the wire too (here the other reading of Accepted's port:
# the client's source port, where the default names the server's 5024)
ESWIFI_VARIANTS = {
    "accepted-client-port": ("ESWIFI-MA-06", r"B #\d+ ← message \[TCP SVR\] Accepted [\d.]+:(?!5024\n)\d+\n"),
}
XBEE_CASES = sorted({c for c, _ in XBEE_FAULTS.values()})
ESWIFI_CASES = sorted({c for c, _ in (*ESWIFI_FAULTS.values(), *ESWIFI_VARIANTS.values())})
CLEAN = ["--profile", "xbee3-lte-m", "--profile", "ism43362"]


def _run(tmp: Path, name: str, *args: str) -> Path:
    out = tmp / name
    out.mkdir()
    run_suite("sockconf.suites", *args, tmp=tmp, report_dir=out)
    path = out / "conformance.json"
    assert path.exists(), f"the {name} run wrote no report"
    return path


def _selection(cases: list[str]) -> list[str]:
    return [arg for c in cases for arg in ("--case", c)]


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two clean runs of the cases the faults below change, both families, one profile each."""
    tmp = tmp_path_factory.mktemp("clean")
    args = [*CLEAN, *_selection(XBEE_CASES + ESWIFI_CASES)]
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda name: _run(tmp, name, *args), ["clean1", "clean2"])
    return first, second


def wire_diff(*args: str | Path) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "sockconf", "report", "wire-diff", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout


def changed_cases(out: str) -> set[tuple[str, str]]:
    """(case ID, aligned node ID) of each case wire-diff lists under DIFFERENT WIRE BEHAVIOUR."""
    section = out.split("DIFFERENT WIRE BEHAVIOUR:")[1].split("REPLY LATENCY GREW:")[0]
    heads = (re.match(r"^  ([A-Z][A-Z0-9-]+) .* (\S+)$", line) for line in section.splitlines())
    return {(m.group(1), m.group(2)) for m in heads if m}


def test_two_clean_runs_are_the_same_on_the_wire(clean_runs: tuple[Path, Path]) -> None:
    code, out = wire_diff(*clean_runs)
    assert code == 0, out
    aligned = int(re.search(r"(\d+) case\(s\) aligned", out).group(1))  # type: ignore[union-attr]
    assert aligned > 20 and "0 different" in out


@pytest.mark.parametrize(
    ("option", "fault", "profile", "case_id", "shows"),
    [("--fault", f, "xbee3-lte-m", c, s) for f, (c, s) in XBEE_FAULTS.items()]
    + [("--fault", f, "ism43362", c, s) for f, (c, s) in ESWIFI_FAULTS.items()]
    + [("--variant", f"eswifi:{v}", "ism43362", c, s) for v, (c, s) in ESWIFI_VARIANTS.items()],
)
def test_a_fault_changes_the_wire(
    tmp_path: Path, clean_runs: tuple[Path, Path], option: str, fault: str, profile: str, case_id: str, shows: str
) -> None:
    faulty = _run(tmp_path, fault.replace(":", "-"), "--profile", profile, "--case", case_id, option, fault)
    code, out = wire_diff(clean_runs[0], faulty)
    assert code == 1, out
    assert {case for case, _ in changed_cases(out)} == {case_id}, out
    assert re.search(shows, out), f"the first difference does not show {shows!r}:\n{out}"


def test_cat1_differs_only_where_it_presents_clients_late(tmp_path: Path, clean_runs: tuple[Path, Path]) -> None:
    """xbee3-lte-m presents a client on connect, xbee-cat1 only once it has sent data: the cases that
    accept a client differ, the others do not."""
    cat1 = _run(tmp_path, "cat1", "--profile", "xbee-cat1", *_selection(XBEE_CASES))
    code, out = wire_diff(clean_runs[0], cat1, "--align-profile", "xbee3-lte-m=xbee-cat1")
    assert code == 1, out
    lte = json.loads(clean_runs[0].read_text(encoding="utf-8"))
    accepting = {
        c["nodeid"]
        for c in lte["cases"]
        if c["profile"] == "xbee3-lte-m" and any("0xCC Socket New IPv4 Client" in r["text"] for r in c["trace"])
    }
    others = {c["nodeid"] for c in lte["cases"] if c["profile"] == "xbee3-lte-m"} - accepting
    assert accepting and others
    section = out.split("DIFFERENT WIRE BEHAVIOUR:")[1].split("REPLY LATENCY GREW:")[0]
    changed = {key for _, key in changed_cases(out)}
    assert changed == accepting, f"differ: {sorted(changed)}\nexpected: {sorted(accepting)}"
    # Where they differ, it is the late presentation: the peer's data before the 0xCC, nothing else.
    for block in re.split(r"\n  (?=XBEE)", section)[1:]:
        assert re.search(
            r"(peer#\d+ sends|peer#\d+ connected|0xCC Socket New IPv4 Client|0xCD Socket Receive)", block
        ), block
        assert "• " not in block, f"no field of any frame differs:\n{block}"
