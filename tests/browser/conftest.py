"""One `streamlit run` server and one headless Chromium, shared by every browser test.

All tests in this folder are put in one xdist group, so with `-n 2 --dist loadgroup` they run in a
single worker against a single server. Without Chromium they fail (never skip).
"""
from __future__ import annotations

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
    """Wait until the script run finished and the page holds no spinner."""
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=timeout)
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            return !w || !(w.innerText.includes('Running') || w.innerText.includes('Stop'));
        }""",
        timeout=timeout,
    )
    page.wait_for_timeout(400)
    page.wait_for_function(
        """() => {
            // a running script shows 'Running…' and, in Streamlit 1.67, a 'Stop' button in the status widget
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            if (w && (w.innerText.includes('Running') || w.innerText.includes('Stop'))) return false;
            if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')) return false;
            if (!document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]')) return false;
            // every plotly chart has drawn its SVG
            const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
            return charts.every(c => c.querySelector('.main-svg'));
        }""",
        timeout=timeout,
    )


def exceptions(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]
