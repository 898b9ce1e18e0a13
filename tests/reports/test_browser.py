"""The report as a person sees it: rendered by headless Chromium, screenshot taken.

The matrix and a failing case's detail must be on the page, and markup a DUT sends (here in its
node identifier, NI) must show as text and run nothing.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sockconf.protocol.profile import PROFILE_DIR
from sockconf.reports.html_pages import PAGE_ROWS
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
    run_suite("sockconf.suites.xbee", *args, tmp=tmp, report_dir=out)
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


# Added to a copy of the report: once pytest-html has drawn the table, press the pager's buttons and
# find a case, and write what the page showed after each step into the DOM for --dump-dom to read.
PAGER_PROBE = """<script>window.addEventListener('load', () => {
  const rows = () => [...document.querySelectorAll('#results-table tbody.results-table-row')];
  const step = (name) => ({
    name,
    rows: rows().length,
    failed: rows().filter((r) => r.classList.contains('failed')).length,
    cases: [...new Set(rows().map((r) => r.querySelector('.col-caseid')?.textContent))],
    count: document.getElementById('sc-count').textContent,
  });
  const steps = [step('open')];
  document.querySelector('#sc-pager [data-go=next]').click();
  steps.push(step('next'));
  document.querySelector('#sc-pager [data-go=last]').click();
  steps.push(step('last'));
  const find = document.getElementById('sc-find');
  find.value = 'xbee-listen-06';
  find.dispatchEvent(new Event('change'));
  steps.push(step('find'));
  // A matrix link to a row on no page drawn (another case than the one found): it is drawn and found.
  const target = (a) => decodeURIComponent(a.getAttribute('href').slice(1));
  const away = [...document.querySelectorAll('table.sc-matrix a')].filter((a) => !document.getElementById(target(a)));
  const link = away[away.length - 1];
  link.click();
  const drawn = !!document.getElementById(target(link));
  steps.push({ ...step('link'), target: target(link), drawn, find: find.value });
  const size = document.getElementById('sc-size');
  size.value = '0';
  size.dispatchEvent(new Event('change'));
  steps.push(step('all'));
  const out = document.createElement('pre');
  out.id = 'sc-probe';
  out.textContent = JSON.stringify(steps);
  document.body.replaceChildren(out);
})</script>"""


@pytest.fixture(scope="module")
def big_report(tmp_path_factory) -> Path:
    """A report with more cases than one page holds, some of them failed."""
    tmp = tmp_path_factory.mktemp("big-report")
    out = tmp / "out"
    out.mkdir()
    run_suite(
        "sockconf.suites.xbee", "--fault", "receive-nonzero-frame-id", "--case", "XBEE-LISTEN", tmp=tmp, report_dir=out
    )
    return out / "conformance.html"


def test_a_big_report_draws_one_page_of_rows_worst_verdicts_first_and_finds_any_case(big_report, tmp_path):
    data = json.loads(
        html.unescape(re.search(r'data-jsonblob="([^"]*)"', big_report.read_text(encoding="utf-8")).group(1))
    )
    total = sum(len(results) for results in data["tests"].values())
    failed = sum(r["result"] == "Failed" for results in data["tests"].values() for r in results)
    listen06 = sum("LISTEN-06" in "".join(r["resultsTableRow"]) for results in data["tests"].values() for r in results)
    assert total > PAGE_ROWS and 0 < failed < PAGE_ROWS and listen06 > 1  # the run this test needs

    probe = tmp_path / "probe.html"
    probe.write_text(big_report.read_text(encoding="utf-8").replace("</head>", PAGER_PROBE + "</head>", 1))
    dom = browse(probe, tmp_path, "--dump-dom").stdout
    found = re.search(r'<pre id="sc-probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    steps = {s["name"]: s for s in json.loads(html.unescape(found.group(1)))}

    pages = -(-total // PAGE_ROWS)
    assert steps["open"]["rows"] == PAGE_ROWS
    assert steps["open"]["count"] == f"rows 1\u2013{PAGE_ROWS} of {total:,} \u00b7 page 1 of {pages}"
    assert steps["open"]["failed"] == failed  # sorted by verdict over the whole run: every failure on page 1
    assert steps["next"]["rows"] == min(PAGE_ROWS, total - PAGE_ROWS) and steps["next"]["failed"] == 0
    assert steps["last"]["rows"] == total - (pages - 1) * PAGE_ROWS
    assert steps["find"]["cases"] == ["XBEE-LISTEN-06"] and steps["find"]["rows"] == listen06
    assert steps["find"]["count"].endswith(f"(found in {total:,}) \u00b7 page 1 of 1")
    assert steps["link"]["drawn"] and steps["link"]["find"] == ""  # the Find text no longer hides the row
    assert "sockconf/suites/xbee/" in steps["link"]["target"]
    assert steps["all"]["rows"] == total
