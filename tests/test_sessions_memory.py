"""Twenty sessions sweeping N keep one server process within the caches' budget plus a small share per session.

A subprocess (the caches are per process) holds 20 AppTest sessions of the graph page side by side, each keeping
its own session state, and moves each one's N slider down one step at a time, round-robin, as 20 students dragging
the slider would. With the budget at 200 MB (RNN_LAB_CACHE_MB) and entries of about 28 MB (N ≈ 300, H = 64,
B = 128), the 80 values computed would hold 2.2 GB if kept (measured: RSS 142 -> 2692 MB with an unbounded budget): the
process's RSS stays below its level after the first page + the budget + 250 MB (the sessions' own state, numpy's
and plotly's working memory). The sessions run one after another, not concurrently: what one computation holds in
flight is bounded separately (compute.PASS_BYTES per session).
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSIONS, STEPS, BUDGET_MB, SLACK_MB = 20, 4, 200, 250
SCRIPT = r"""
import os
os.environ["RNN_LAB_CACHE_MB"] = "{budget}"
from streamlit.testing.v1 import AppTest
from dashboard import cache

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

sessions, rss, computed = [], [], 0
for k in range({sessions}):
    at = AppTest.from_file("{app}", default_timeout=120)
    at.query_params.update({{"v": "2", "N": str(300 - k), "H": "64", "batch": "128"}})
    at.run()
    at.switch_page("app_pages/graph.py").run()
    assert not at.exception, [e.value for e in at.exception]
    sessions.append(at)
    computed += 1
    rss.append(rss_mb())
for step in range(1, {steps}):
    for k, at in enumerate(sessions):
        at.sidebar.slider(key="N").set_value(300 - k - {sessions} * step).run()
        assert not at.exception, [e.value for e in at.exception]
        computed += 1
        rss.append(rss_mb())
print(computed, cache.held() / 2**20, rss[0], max(rss))
"""


def test_twenty_sessions_sweeping_n_stay_within_the_budget_plus_a_small_share_each():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(budget=BUDGET_MB, sessions=SESSIONS, steps=STEPS,
                                             app=ROOT / "dashboard" / "app.py")],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    computed, held, first, most = map(float, out.stdout.split()[-4:])
    assert computed == SESSIONS * STEPS
    assert held <= BUDGET_MB
    assert most - first < BUDGET_MB + SLACK_MB, f"RSS grew from {first:.0f} MB to {most:.0f} MB"
