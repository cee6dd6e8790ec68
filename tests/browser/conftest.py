"""One `streamlit run` server and one headless Chromium, shared by every browser test.

All tests in this folder are put in one xdist group, so with `-n 2 --dist loadgroup` they run in a
single worker against a single server. Without Chromium they fail (never skip).
"""
from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
VIEWPORT = {"width": 1500, "height": 2400}  # tall: Streamlit scrolls an inner container
NAV_LINK = '[data-testid="stSidebar"] [data-testid="stPageLink"] a'  # the app's page links (dashboard/app.py)
N_SLIDER = '[data-testid="stSidebar"] input[type="range"][aria-label="Sequence length N"]'
# A signature of the first chart's data: every x/y/z array of every trace (plotly 7 sends numpy arrays
# as {dtype, bdata}; plotly.js may also hold plain or typed arrays).
SIGNATURE_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    if (!gd || !gd.data) return null;
    const part = v => v == null ? '-' : (v.bdata !== undefined ? v.dtype + ':' + v.bdata
        : (v.length !== undefined ? v.length + ':' + Array.prototype.join.call(v, ',') : JSON.stringify(v)));
    return gd.data.map(t => [part(t.x), part(t.y), part(t.z)].join('/')).join('|');
}"""
# The app is at rest: connected, no script or fragment run in progress (the data-test-script-state attribute
# Streamlit's own browser tests wait on; the header's running indicator only appears 0.5 s into a run), no
# element left from the previous run (data-stale), no skeleton, something in the main area, and every plotly
# chart drawn: its SVG, and the data plotly derives from the figure (_fullData, briefly absent in a redraw).
SETTLED_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.dataset.testConnectionState !== 'CONNECTED' || app.dataset.testScriptState !== 'notRunning') {
        return false;
    }
    if (!document.querySelector('[data-testid="stSidebar"]')) return false;
    if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')) {
        return false;
    }
    if (!document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]')) return false;
    return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => {
        const gd = c.querySelector('.js-plotly-plot');
        return Boolean(gd && gd.querySelector('.main-svg') && gd._fullData && gd._fullLayout);
    });
}"""
QUIET_MS = 300  # how long the app must stay at rest for wait_for_app
# [rows, steps] of the gradients page's training heatmap (y axis: training iteration) once it is complete (no progress
# bar, one such heatmap), else null.
HEATMAP_SHAPE_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || main.querySelector('[data-testid="stProgress"]')) return null;
    // the training heatmap (the page also draws the per-unit map); while it fills in, partial ones come and go
    const heat = [...main.querySelectorAll('.js-plotly-plot')].filter(gd => gd.data && gd.data[0].type === 'heatmap'
        && gd.layout && gd.layout.yaxis && gd.layout.yaxis.title
        && String(gd.layout.yaxis.title.text || gd.layout.yaxis.title || '').includes('training iteration'));
    if (heat.length !== 1) return null;
    const z = heat[0].data[0].z;
    return z.shape !== undefined ? String(z.shape).split(',').map(Number) : [z.length, z[0].length];
}"""
_tokens = itertools.count()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(script: Path, port: int, log_path: Path) -> subprocess.Popen:
    """`streamlit run script` on 127.0.0.1:port; returns once /_stcore/health answers."""
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log_path}:\n{log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not answer within 60 s; see {log_path}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_url(artifacts):
    port = free_port()
    proc = start_streamlit(ROOT / "dashboard" / "app.py", port, artifacts.parent / "streamlit.log")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium): the browser tests cannot run.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed (pip install -r tests/requirements.txt).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the app is at rest (SETTLED_JS) and has stayed at rest for QUIET_MS.

    The quiet spell covers the moment after a click, before its rerun has reached the server; a test should
    still first wait for the visible effect of its action (a text, the URL, a chart's data), then call this.
    While a fragment reruns on a timer (the gradients page filling in its heatmap) the app is rarely quiet that
    long, so this usually waits for the heatmap too; a test that needs it finished says so (wait_for_heatmap).
    """
    page.wait_for_function(
        f"""([quiet, token]) => {{
            const now = performance.now();
            if (!window.__quiet || window.__quiet.token !== token) window.__quiet = {{token, since: null}};
            if (!({SETTLED_JS})()) {{ window.__quiet.since = null; return false; }}
            if (window.__quiet.since === null) window.__quiet.since = now;
            return now - window.__quiet.since >= quiet;
        }}""",
        arg=[QUIET_MS, next(_tokens)], timeout=timeout,
    )


def settled_value(page, js: str, arg=None, timeout: float = 60_000):
    """js(arg), read at a moment the app is at rest, by the same evaluation that saw it at rest.

    Waits until that moment comes and js returns something other than null/undefined. Reading after a separate
    wait could catch an element Streamlit is replacing (a chart mid-redraw, without _fullData, a metric).
    """
    handle = page.wait_for_function(
        f"""(arg) => {{
            if (!({SETTLED_JS})()) return false;
            const v = ({js})(arg);
            return v === null || v === undefined ? false : {{v}};
        }}""",
        arg=arg, timeout=timeout,
    )
    return handle.json_value()["v"]


def wait_for_heatmap(page, timeout: float = 90_000) -> list[int]:
    """Wait until the gradients page's heatmap has finished filling in; returns its z shape [rows, steps].

    While it fills in, a fragment reruns every 0.1 s (a progress bar above a partial heatmap); when done, the
    whole page reruns once more. Read at rest, with no progress bar and exactly one heatmap, it is the final one.
    """
    return settled_value(page, HEATMAP_SHAPE_JS, timeout=timeout)


def exceptions(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]
