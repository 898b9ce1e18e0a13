"""The HTML report's rows drawn by page: the one line of pytest-html's script it changes is found in the
installed pytest-html, a report without it is left alone, and the change is made once."""

from __future__ import annotations

from pathlib import Path

import pytest_html

from sockconf.reports.html_pages import ANCHOR, MARK, PAGED, page_report, page_rows

APP_JS = Path(pytest_html.__file__).parent / "resources" / "app.js"


def fake_report(script: str) -> str:
    # A case whose own text holds the script's line: it sits in the data, before the script.
    data = f'<div id="data-container" data-jsonblob="{{&#34;log&#34;: &#34;{ANCHOR}&#34;}}"></div>'
    return f"<html><head><title>r</title></head><body>{data}<script>{script}</script></body></html>"


def test_the_installed_pytest_html_draws_rows_where_the_pager_expects():
    assert APP_JS.read_text(encoding="utf-8").count(ANCHOR) == 1


def test_the_script_line_is_changed_not_the_cases_text_and_only_once():
    html = fake_report(f"function renderContent(tests) {{ {ANCHOR} }}")
    paged = page_rows(html)
    assert paged is not None
    data, script = paged.split("<script>function renderContent")
    assert ANCHOR in data.split('id="data-container"')[1]  # the case's text is untouched
    assert PAGED in script and ANCHOR not in script
    assert paged.index(MARK) < paged.index("</head>")  # the pager is defined before pytest-html's script runs
    assert page_rows(paged) == paged


def test_a_report_of_another_pytest_html_is_left_as_it_is(tmp_path):
    path = tmp_path / "conformance.html"
    html = fake_report("function renderContent(tests) { tests.forEach(draw) }")
    path.write_text(html, encoding="utf-8")
    assert page_report(path) is False
    assert path.read_text(encoding="utf-8") == html
