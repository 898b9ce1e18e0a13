"""The report as a person sees it: rendered by headless Chromium, screenshot taken.

The matrix and a failing case's detail must be on the page, and markup a DUT sends (here in its
node identifier, NI) must show as text and run nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from protocol.profile import PROFILE_DIR
from tests.helpers import run_suite

MARKUP = "<img src=x onerror=\"document.title='PWNED'\"><script>document.title='PWNED'</script>"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing in CI: .ci/run installs Debian's chromium package")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it and runs this test")


def browse(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'chromium-profile'}", *args, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    text = (PROFILE_DIR / "xbee3-lte-m.toml").read_text()
    text = text.replace('name = "xbee3-lte-m"', 'name = "xss-check"')
    text = text.replace('NI = "sockconf emulator"', f"NI = '''{MARKUP}'''")
    profile = tmp / "xss-check.toml"
    profile.write_text(text)
    out = tmp / "out"
    out.mkdir()
    args = ["--profile", str(profile), "--fault", "receive-nonzero-frame-id", "--case", "XBEE-LISTEN-06", "-k", "AP1"]
    run_suite("suites/xbee", *args, tmp=tmp, report_dir=out)
    return out / "conformance.html"


def test_dut_markup_is_shown_as_text_and_runs_nothing(hostile_report, tmp_path):
    dom = browse(hostile_report, tmp_path, "--dump-dom").stdout
    assert re.search(r"<title[^>]*>sockconf compliance report</title>", dom)  # no script renamed the page
    assert "PWNED</title>" not in dom
    assert '<img src="x"' not in dom
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom  # shown, as text


def test_matrix_and_failure_detail_are_visible(hostile_report, tmp_path):
    dom = browse(hostile_report, tmp_path, "--dump-dom").stdout
    assert 'class="sc-matrix"' in dom and "XBEE-LISTEN-06" in dom
    assert 'class="sc-failure"' in dom and "frame_id: expected 00, got 01" in dom
    # failed rows are expanded: their detail row is not hidden
    assert 'class="extras-row hidden"' not in dom.split('class="failed')[1].split("</tbody>")[0]
    shot = tmp_path / "report.png"
    browse(hostile_report, tmp_path, "--window-size=1400,1800", f"--screenshot={shot}")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1400, 1800)
    assert len(png) > 50_000  # a rendered page, not a blank one
