"""Work stops when its session goes away: a tab that starts a long computation and closes leaves the server idle.

Its own `streamlit run` (the shared one serves the other tests, and its CPU time must be this test's alone). The
Compare page trains A and B in one piece each; the tab is closed once the server is busy with it. Streamlit then requests the session's script run to stop, and the training
gives way at its next iteration (dashboard/yield_point.py); before, it trained on for the whole run.

The CPU-time readings are windows of wall time by nature (a rate needs an interval): they wait on a clock, not
on the app, and no app state is read after them.
"""
import os
import threading
import time

import pytest

from tests.browser.conftest import ROOT, free_port, start_streamlit

# 2.1e10 units per run: within the work budget, about 15 s each here. Compare trains A and B in one piece each (the
# gradients page's heatmap slices call Streamlit between slices anyway, so they stopped before yield_point too).
LONG_WORK = ["/compare?v=2&N=200&H=128&iterations=200"]
RUNNING_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return Boolean(app && app.dataset.testScriptState === 'running');
}"""
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (every thread), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_over(pid: int, seconds: float) -> float:
    """CPU-seconds the process uses in the next `seconds` of wall time."""
    before = cpu_seconds(pid)
    threading.Event().wait(seconds)
    return cpu_seconds(pid) - before


@pytest.fixture(scope="module")
def own_server(artifacts):
    port = free_port()
    server = start_streamlit(ROOT / "dashboard" / "app.py", port, artifacts.parent / "streamlit_session_gone.log")
    yield server, f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


@pytest.mark.parametrize("path", LONG_WORK)
def test_closing_the_tab_stops_a_long_training_run(browser, own_server, path):
    server, url = own_server
    idle = cpu_over(server.pid, 1.0)
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + path)
    page.wait_for_function(RUNNING_JS, timeout=60_000)
    start, deadline = cpu_seconds(server.pid), time.monotonic() + 60
    while cpu_seconds(server.pid) - start < 2.0:  # the training has the server busy (a core's worth)
        assert time.monotonic() < deadline, f"{path} never got the server busy"
        assert page.evaluate(RUNNING_JS), f"{path} finished before the tab could close"
        threading.Event().wait(0.2)
    busy = cpu_over(server.pid, 1.0)
    context.close()  # the student closes the tab
    threading.Event().wait(1.0)  # the websocket's close reaches the server; the run stops at its next iteration
    after = cpu_over(server.pid, 3.0)
    print(f"CPU-s: idle {idle:.2f} in 1 s, busy {busy:.2f} in 1 s, after closing {after:.2f} in 3 s")
    assert after < max(0.3, 10 * idle, 0.3 * 3 * busy), (  # a tenth of the busy rate, or idle noise
        f"the server went on computing after the tab closed: {after:.2f} CPU-s in 3 s (idle: {idle:.2f} in 1 s, "
        f"busy: {busy:.2f} in 1 s)")
