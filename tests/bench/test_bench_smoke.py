"""Every benchmark at its smoke size (``python -m bench --quick``), so the benchmarks cannot rot.

Checked: each one runs, reports finite non-negative numbers where it must, moves its bytes
byte-identical, and states every goal. Never a time: how fast anything was is the benchmark's
report, not a test's verdict.
"""

from __future__ import annotations

import importlib.util
import math
import os

import pytest

from bench import codec, datapath, farm, htmlopen, paced, scale, suite
from bench.__main__ import BENCHMARKS, main
from bench.common import BenchResult, Goal, fmt, percentile

HAS_DIGI = importlib.util.find_spec("digi") is not None


def assert_sane(res: BenchResult) -> None:
    assert res.rows, f"{res.name} reported nothing"
    for row in res.rows:
        assert math.isfinite(row.value) and row.value >= 0, f"{res.name}: {row.what} = {row.value}"
    failed = [name for name, ok in res.checks.items() if not ok]
    assert not failed, f"{res.name}: correctness checks failed: {failed}; notes: {res.notes}"
    for goal in res.goals:
        assert goal.verdict(), goal
        assert goal.measured is not None or goal.not_measured, f"{goal.text}: neither measured nor explained"


def test_codec_decodes_and_encodes_the_stream_like_digi():
    res = codec.run(quick=True)
    assert_sane(res)
    for mode in (1, 2):
        assert res.value(f"ours decode AP={mode} MB/s") > 0
        assert res.value(f"ours encode AP={mode} frames/s") > 0
        assert res.checks[f"ours decodes every frame AP={mode}"]
        assert res.checks[f"ours encode is the stream AP={mode}"]
    if HAS_DIGI:
        for mode in (1, 2):
            assert res.checks[f"same frames as Digi AP={mode}"]
            assert res.checks[f"same bytes as Digi's encoder AP={mode}"]
            assert res.value(f"decode AP={mode}: ours / Digi") > 0
    else:
        assert any("digi-xbee is not installed" in n for n in res.notes)
        assert all(g.not_measured for g in res.goals if "Digi" in g.text)


def test_codec_stream_holds_every_seed_frame_and_both_modes():
    one, two = codec.build_streams(quick=True)
    assert one.frames == two.frames
    assert set(codec.seed_frames()) <= set(one.frames)
    assert b"\x7d" in two.wire  # the random payloads give AP=2 escaping to do
    assert len(two.wire) > len(one.wire)


def test_datapath_moves_identical_bytes_both_ways():
    res = datapath.run(quick=True)
    assert_sane(res)
    for way in ("peer -> host", "host -> peer"):
        assert res.checks[f"XBee {way} byte-identical"]
        assert res.value(f"XBee {way} MB/s") > 0
    if not datapath.eswifi_missing():
        for way in ("peer -> host", "host -> peer"):
            assert res.checks[f"eS-WiFi {way} byte-identical"]
            assert res.value(f"eS-WiFi {way} MB/s") > 0


def test_suite_run_is_timed_case_by_case():
    res = suite.run(quick=True)
    assert_sane(res)
    assert res.value("cases") >= len(suite.QUICK_CASES)
    assert 0 < res.value("per-case median") <= res.value("per-case p95") <= res.value("per-case max")
    shares = [res.value(f"{phase} share") for phase in ("setup", "call", "teardown")]
    assert 0 < sum(shares) <= 100.5
    assert 0 <= res.value("waiting with nothing arriving") <= 100


def test_scale_cycles_stay_correct():
    res = scale.run(quick=True)
    assert_sane(res)
    assert res.checks["XBee every cycle correct"]
    assert res.value("XBee first 10 per cycle") > 0 and res.value("XBee last 10 per cycle") > 0
    if not datapath.eswifi_missing():
        assert res.checks["eS-WiFi every cycle correct"]


def test_report_opens_both_reports_in_chromium():
    if htmlopen.chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it and runs this benchmark")
    res = htmlopen.run(quick=True)
    assert_sane(res)
    assert 0 < res.value("default: cases") < res.value("big: cases")
    assert res.value("big: cases") == htmlopen.COPIES * res.value("default: cases")
    assert res.value("default: time to open") > 0 and res.value("big: time to open") > 0
    (goal,) = res.goals
    assert goal.not_measured.startswith("smoke size")  # a quick run is too small to judge the goal


def test_cli_writes_the_readme_where_told(tmp_path, capsys):
    readme = tmp_path / "README.md"
    assert main(["--quick", "--only", "scale", "--readme", str(readme)]) == 0
    text = readme.read_text()
    headings = ("## Machine", "## Results", "## Goals", "## What limits them", "## Correctness checks")
    for heading in headings:
        assert heading in text
    assert "cores:" in text and "python:" in text and "date:" in text
    assert "| scale | XBee last / first |" in capsys.readouterr().out


def test_cli_quick_leaves_the_committed_readme_alone(monkeypatch, tmp_path):
    import bench.__main__ as cli

    monkeypatch.setattr(cli, "README", tmp_path / "README.md")
    assert main(["--quick", "--only", "scale"]) == 0
    assert not (tmp_path / "README.md").exists()


def test_every_benchmark_has_a_name_and_a_run():
    assert list(BENCHMARKS) == ["codec", "datapath", "suite", "scale", "report", "farm", "paced"]


def test_farm_runs_one_and_two_duts_and_merges_each_report():
    res = farm.run(quick=True)
    assert_sane(res)
    assert res.value("2 DUT(s): cases") == 2 * res.value("1 DUT(s): cases") > 0
    assert res.goals and res.goals[0].measured is not None


def test_paced_runs_count_the_line_bytes_of_each_family():
    res = paced.run(quick=True)
    assert_sane(res)
    for family in paced.FAMILIES:
        where = f"{family} {paced.QUICK_BAUDS[0]} Bd"
        assert res.value(f"{where}: cases") >= 1
        assert res.value(f"{where}: line time") > 0 and res.value(f"{where}: requests") > 0
        assert res.value(f"{where}: wall / (line time + latencies)") > 0
    assert {g.text for g in res.goals} == {paced.goal_text(f) for f in paced.FAMILIES}


@pytest.mark.parametrize(
    ("goal", "verdict"),
    [
        (Goal("x", "fast", 10.0, 12.0, "MB/s"), "met"),
        (Goal("x", "fast", 10.0, 5.0, "MB/s"), "missed by 50% (5.00 MB/s, 2.00x short)"),
        (Goal("x", "short", 15.0, 30.0, "ms", higher_is_better=False), "missed by 100% (30.0 ms against 15.0 ms)"),
        (Goal("x", "none", 0, 3, "cases", higher_is_better=False), "missed: 3 cases"),
        (Goal("x", "later", 1.0, None, "x", not_measured="no model yet"), "not measured: no model yet"),
    ],
)
def test_goal_verdicts_say_by_how_much(goal, verdict):
    assert goal.verdict() == verdict


def test_number_formatting_and_percentiles():
    assert fmt(1234.5) == "1,234" or fmt(1234.5) == "1,235"
    assert fmt(12) == "12"
    assert fmt(0.01234) == "0.0123"
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
