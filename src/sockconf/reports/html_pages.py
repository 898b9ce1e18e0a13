"""Rows of the HTML report drawn a page at a time, with a text filter over every case.

pytest-html's script builds the DOM of every row when the page opens (cells, the trace, the
listeners: about 1.4 ms a case), and again on each sort, filter or expanded row. A rack of modules
gives reports of many thousands of cases, which would take tens of seconds to open. After
pytest-html has written the report, this module changes the one line of that script that turns
the sorted, filtered cases into rows, so that only the current page of them becomes rows. Sorting
and pytest-html's verdict filters still act on every case (the first page after sorting by verdict
holds the worst verdicts of the whole run), and a "Find" box narrows the cases to those whose
test ID or cells contain a text (a case ID, a DUT name, a verdict).

The report's data is unchanged (every case, whole, in the same JSON), and so is every other
behaviour of pytest-html's page. When the installed pytest-html's script does not contain the line
(a release that reworked it), the report is left as pytest-html wrote it and the caller is told.
"""

from __future__ import annotations

from pathlib import Path

PAGE_ROWS = 100  # rows per page when the report opens; the pager offers more
ANCHOR = "const rows = tests.map(dom.getResultTBody)"
PAGED = "const rows = sockconfPage(tests, () => redraw()).map(dom.getResultTBody)"
MARK = "<!-- sockconf: rows drawn by page -->"

CSS = """
#sc-pager{margin:.6em 0;display:flex;flex-wrap:wrap;gap:.5em;align-items:center;font-size:.95em}
#sc-pager input[type=search]{width:18em;padding:.2em .4em}
#sc-pager button{padding:.1em .6em}
#sc-pager .sc-pager-count{color:#333}
"""

# Defines sockconfPage(tests, redraw) before pytest-html's script runs. It keeps the pager's state
# (page, rows per page, find text), draws the pager above the results table, and returns the slice
# of ``tests`` (already filtered and sorted by pytest-html) that becomes rows.
SCRIPT = """
(function () {
  const state = { page: 0, size: __PAGE_ROWS__, find: '', shape: '', keep: false, tests: [], shown: [], redraw: null };
  const texts = new Map();
  const textOf = (t) => {
    let s = texts.get(t.id);
    if (s === undefined) {
      const cells = (t.resultsTableRow || []).join(' ').replace(/<[^>]*>/g, ' ');
      s = (t.testId + ' ' + cells).toLowerCase();
      texts.set(t.id, s);
    }
    return s;
  };
  const fmt = (n) => n.toLocaleString('en-US');
  function pager(redraw) {
    let bar = document.getElementById('sc-pager');
    if (bar) return bar;
    bar = document.createElement('div');
    bar.id = 'sc-pager';
    bar.innerHTML =
      '<label>Find <input type="search" id="sc-find" placeholder="case ID, DUT, verdict, test name"></label>' +
      '<button type="button" data-go="first" title="first page">&laquo;</button>' +
      '<button type="button" data-go="prev" title="previous page">&lsaquo;</button>' +
      '<span class="sc-pager-count" id="sc-count"></span>' +
      '<button type="button" data-go="next" title="next page">&rsaquo;</button>' +
      '<button type="button" data-go="last" title="last page">&raquo;</button>' +
      '<label>Rows per page <select id="sc-size">' +
      [100, 500, 2000, 0].map((n) => '<option value="' + n + '"' + (n === state.size ? ' selected' : '') +
        '>' + (n ? n : 'all') + '</option>').join('') + '</select></label>';
    const table = document.getElementById('results-table');
    table.parentNode.insertBefore(bar, table);
    // Typing redraws once the typing pauses; Enter (a change) redraws at once.
    let typing = null;
    const find = (e) => {
      clearTimeout(typing);
      const text = e.target.value.trim().toLowerCase();
      if (text !== state.find) { state.find = text; state.page = 0; redraw(); }
    };
    const input = bar.querySelector('#sc-find');
    input.addEventListener('input', (e) => { clearTimeout(typing); typing = setTimeout(() => find(e), 150); });
    input.addEventListener('change', find);
    bar.querySelector('#sc-size').addEventListener('change', (e) => {
      state.size = Number(e.target.value); state.page = 0; redraw();
    });
    bar.querySelectorAll('button[data-go]').forEach((b) => b.addEventListener('click', () => {
      const go = b.dataset.go;
      state.page = go === 'first' ? 0 : go === 'prev' ? state.page - 1 : go === 'next' ? state.page + 1 : Infinity;
      redraw();
    }));
    return bar;
  }
  // A link to a case's row (the matrix, the coverage) whose row is on another page: draw that page
  // first, so the browser finds the row. Cases hidden by the Find text are found again.
  function reveal(id) {
    if (!id || document.getElementById(id) || !state.redraw) return;
    let at = state.shown.findIndex((t) => t.testId === id);
    if (at < 0 && state.find && state.tests.some((t) => t.testId === id)) {
      state.find = '';
      document.getElementById('sc-find').value = '';
      at = state.tests.findIndex((t) => t.testId === id);
    }
    if (at < 0) return;  // hidden by pytest-html's verdict filter
    state.page = Math.floor(at / (state.size || state.tests.length || 1));
    state.keep = true;
    state.redraw();
  }
  document.addEventListener('click', (e) => {
    const link = e.target.closest && e.target.closest('a[href^="#"]');
    if (link) reveal(decodeURIComponent(link.getAttribute('href').slice(1)));
  }, true);
  window.addEventListener('load', () => {
    const id = decodeURIComponent(location.hash.slice(1));
    if (id && !document.getElementById(id)) {
      reveal(id);
      const row = document.getElementById(id);
      if (row) row.scrollIntoView();
    }
  });
  window.sockconfPage = function (tests, redraw) {
    const bar = pager(redraw);
    const shown = state.find ? tests.filter((t) => textOf(t).includes(state.find)) : tests;
    state.tests = tests;
    state.shown = shown;
    state.redraw = redraw;
    // A new sort or filter starts again at the first page; expanding a row (or a link) keeps the page.
    const shape = shown.length + ':' + (shown.length ? shown[0].id + ':' + shown[shown.length - 1].id : '');
    if (shape !== state.shape && state.shape !== '' && !state.keep) state.page = 0;
    state.shape = shape;
    state.keep = false;
    const size = state.size || shown.length || 1;
    const pages = Math.max(1, Math.ceil(shown.length / size));
    state.page = Math.max(0, Math.min(state.page, pages - 1));
    const start = state.page * size;
    const end = Math.min(start + size, shown.length);
    const of = state.find ? ' (found in ' + fmt(tests.length) + ')' : '';
    bar.querySelector('#sc-count').textContent = shown.length
      ? 'rows ' + fmt(start + 1) + '\u2013' + fmt(end) + ' of ' + fmt(shown.length) + of +
        ' \u00b7 page ' + fmt(state.page + 1) + ' of ' + fmt(pages)
      : 'no rows' + of;
    bar.querySelector('[data-go=first]').disabled = bar.querySelector('[data-go=prev]').disabled = state.page === 0;
    bar.querySelector('[data-go=last]').disabled = bar.querySelector('[data-go=next]').disabled =
      state.page >= pages - 1;
    return shown.slice(start, end);
  };
})();
""".replace("__PAGE_ROWS__", str(PAGE_ROWS))


def page_rows(html: str) -> str | None:
    """The report with its rows drawn by page; None when pytest-html's script has no line to change."""
    if MARK in html:
        return html
    # The script comes after the data (an escaped attribute, where a case's own text could hold anything).
    data = html.find('id="data-container"')
    at = html.find(ANCHOR, html.find("</div>", data)) if data >= 0 else -1
    head_end = html.find("</head>")
    if at < 0 or head_end < 0:
        return None
    html = html[:at] + PAGED + html[at + len(ANCHOR) :]
    return html[:head_end] + f"{MARK}<style>{CSS}</style><script>{SCRIPT}</script>" + html[head_end:]


def page_report(path: Path) -> bool:
    """Rewrite the HTML report at ``path`` to draw its rows by page; False when it could not be."""
    html = path.read_text(encoding="utf-8")
    paged = page_rows(html)
    if paged is None:
        return False
    if paged is not html:
        path.write_text(paged, encoding="utf-8")
    return True
