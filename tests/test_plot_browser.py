"""The HTML report in a real headless browser (Debian's chromium; skipped when absent): no
console errors, no network request, the table and every chart rendered, sorting works."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cli_runner import run

DATA = Path(__file__).resolve().parent / "data"
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(BROWSER is None,
                                reason="chromium not installed (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=5000"]

# Runs before the page's own script: records errors, console errors and blocked requests.
SPY = """<script>
window.__problems = [];
window.addEventListener('error', function (e) { __problems.push('error: ' + e.message); });
document.addEventListener('securitypolicyviolation', function (e) {
  __problems.push('blocked: ' + e.blockedURI); });
var __err = console.error;
console.error = function () { __problems.push('console: ' + Array.from(arguments).join(' '));
  __err.apply(console, arguments); };
</script>"""

# Runs after the page's script: measures what rendered and clicks a numeric header twice.
CHECK = """<script>
window.addEventListener('load', function () {
  var out = {problems: __problems, resources: performance.getEntriesByType('resource').length};
  out.charts = Array.from(document.querySelectorAll('svg.costcalc-chart')).map(function (s) {
    var box = s.getBoundingClientRect();
    var marks = s.querySelectorAll('[data-value]');
    var drawn = Array.from(marks).filter(function (m) {
      var b = m.getBBox(); return b.width > 0 || b.height > 0; }).length;
    return {width: box.width, height: box.height, marks: marks.length, drawn: drawn};
  });
  var table = document.querySelector('table.sortable');
  var tbox = table.getBoundingClientRect();
  out.table = {width: tbox.width, height: tbox.height, rows: table.tBodies[0].rows.length};
  var heads = Array.from(table.tHead.rows[0].cells);
  var first = table.tBodies[0].rows[0].cells;
  var index = heads.findIndex(function (h, i) {  // the first column of exact integers
    return /^[0-9]+$/.test(first[i].getAttribute('data-sort') || ''); });
  var column = function () { return Array.from(table.tBodies[0].rows).map(function (r) {
    return r.cells[index].getAttribute('data-sort'); }); };
  heads[index].click();
  out.ascending = column();
  heads[index].click();
  out.descending = column();
  var pre = document.createElement('pre');
  pre.id = 'costcalc-test-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def browse(page: str, tmp_path: Path, width: int = 1200) -> dict:
    instrumented = page.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + SPY, 1)
    instrumented = instrumented.replace("</body>", CHECK + "</body>", 1)
    path = tmp_path / "page.html"
    path.write_text(instrumented, encoding="utf-8")
    profile = tmp_path / "profile"
    shot = tmp_path / f"shot-{width}.png"
    common = [BROWSER, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},900"]
    result = subprocess.run([*common, "--dump-dom", path.as_uri()], capture_output=True,
                            text=True, timeout=120)
    found = re.search(r'<pre id="costcalc-test-result">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    subprocess.run([*common, f"--screenshot={shot}", path.as_uri()], capture_output=True,
                   timeout=120)
    assert shot.is_file() and shot.stat().st_size > 1000
    import html

    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("args", [
    ("v2",), ("report", str(DATA / "plot_hostile.yaml")),
    ("compare", "v1", "v2", "v3-large", "v3-small"),
    ("sweep", "v1", "--alpha", "1,0.75,0.5,0.25", "--res", "224,192,160,128", "--layout", "long"),
    ("memory", "v2", "--split", "max"),
])
@pytest.mark.parametrize("width", [1200, 420])
def test_html_report_renders_offline_and_sorts(tmp_path, args, width):
    page = run(*args, "--format", "html").stdout
    result = browse(page, tmp_path, width)
    assert result["problems"] == []
    assert result["resources"] == 0
    assert result["charts"], "no chart"
    for chart in result["charts"]:
        assert chart["width"] > 0 and chart["height"] > 0
        assert chart["marks"] > 0 and chart["drawn"] == chart["marks"]
    assert result["table"]["width"] > 0 and result["table"]["rows"] > 0
    ascending = [int(v) for v in result["ascending"] if v]
    assert ascending == sorted(ascending)
    assert [int(v) for v in result["descending"] if v] == sorted(ascending, reverse=True)


@pytest.mark.parametrize("bait", ['<img src="http://127.0.0.1:9/x.png">',
                                  "<script>console.error('boom')</script>",
                                  "<script>undefinedFunction()</script>"])
def test_the_browser_check_catches_requests_and_errors(tmp_path, bait):
    """The checks above can fail: a network request or a script error is reported."""
    page = run("compare", "v1", "v2", "--format", "html").stdout
    result = browse(page.replace("</h1>", "</h1>" + bait, 1), tmp_path)
    assert result["problems"]
