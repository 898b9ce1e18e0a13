"""``python -m bench.compare``: both trees measured, the verdict read the right way round, bad revisions named.

Never a time: whether this tree is faster is the comparison's report, not a test's verdict.
"""

from __future__ import annotations

import subprocess

from bench.common import ROOT
from bench.compare import Compared, main


def test_a_comparison_with_head_measures_codec_and_data_path_on_both_sides(tmp_path, capsys):
    out = tmp_path / "compare.md"
    assert main(["HEAD", "--rounds", "1", "--quick", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for what in (
        "codec AP=1 decode",
        "codec AP=2 encode",
        "datapath XBee peer -> host",
        "datapath XBee host -> peer",
        "datapath eS-WiFi peer -> host",
        "datapath eS-WiFi CPU",
    ):
        assert f"| {what}" in text, text
    assert text.count("within 10%") + text.count("SLOWER by") == 10
    # The checkout of the revision is gone again.
    listed = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True).stdout
    assert "sockconf-bench-compare-" not in listed


def test_a_revision_that_does_not_exist_is_one_clear_error(capsys):
    assert main(["no-such-revision-xyz", "--rounds", "1", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "cannot check out 'no-such-revision-xyz'" in err and "Traceback" not in err


def test_slower_and_faster_are_told_apart_from_the_medians():
    assert Compared("x", [1.0, 1.0, 9.0], [1.25, 1.25, 0.1]).verdict(0.10) == "SLOWER by 20%"
    assert Compared("x", [1.0], [1.05]).verdict(0.10) == "within 10%"
    assert Compared("x", [1.0], [0.5]).verdict(0.10) == "within 10% (faster by 100%)"
