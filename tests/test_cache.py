"""The dashboard's caches share one byte budget (dashboard/cache.py): least recently used entries go first,
per function within max_entries, in all within BUDGET bytes; values too large for it are returned, not kept."""
import numpy as np
import pytest

from dashboard import cache

MB = 2**20


@pytest.fixture(autouse=True)
def small_budget(monkeypatch):
    monkeypatch.setattr(cache, "BUDGET", 10 * MB)
    cache.clear()
    yield
    cache.clear()


def test_size_of_counts_array_buffers_once_and_a_view_as_its_base():
    a = np.zeros((1000, 1000))  # 8 MB
    assert cache.size_of(a) >= a.nbytes
    assert cache.size_of((a, a, a[:10])) < 2 * a.nbytes  # the same buffer three times counts once
    assert cache.size_of(a[:10]) >= a.nbytes  # a view keeps its whole base alive


def test_entries_go_least_recently_used_first_when_the_bytes_run_out():
    calls = []

    @cache.memo(max_entries=100)
    def block(i: int) -> np.ndarray:
        calls.append(i)
        return np.full(MB // 8, float(i))  # 1 MB

    for i in range(9):
        block(i)
    block(0)  # 0 is now the most recently used
    block(9)  # 10 MB would be exceeded: 1 goes, not 0
    assert cache.held() <= cache.BUDGET
    calls.clear()
    block(0), block(9)
    assert calls == []
    block(1)
    assert calls == [1]


def test_max_entries_bounds_one_function_without_touching_another():
    @cache.memo(max_entries=2)
    def small(i):
        return i

    @cache.memo(max_entries=10)
    def other(i):
        return -i

    other(1)
    for i in range(5):
        small(i)
    assert cache._counts[small.__module__ + "." + small.__qualname__] == 2
    assert cache.get(other.__module__ + "." + other.__qualname__, (("i", 1),)) == (True, -1)


def test_a_value_larger_than_a_quarter_of_the_budget_is_returned_but_not_kept():
    @cache.memo()
    def big():
        return np.zeros(3 * MB // 8 + 1000)  # just over 3 MB of a 10 MB budget

    assert big().shape[0] > 0
    assert cache.held() == 0


def test_arguments_starting_with_an_underscore_are_not_part_of_the_key_and_exceptions_are_not_kept():
    calls = []

    @cache.memo()
    def f(key: str, _heavy=None):
        calls.append(key)
        if key == "bad":
            raise ValueError("no")
        return key

    assert f("a", _heavy=1) == f("a", _heavy=2) == "a" and calls == ["a"]
    for _ in range(2):
        with pytest.raises(ValueError):
            f("bad")
    assert calls == ["a", "bad", "bad"]


SWEEP = r"""
import os, resource
os.environ["RNN_LAB_CACHE_MB"] = "{budget}"
from dashboard import cache, compute
from dashboard.config import Experiment

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

sizes = []
for N in range(600, 588, -1):  # a student dragging N down, one step at a time
    compute.gradients(Experiment(N=N, H=64, batch=128))
    sizes.append(rss_mb())
print(cache.held() / 2**20, sizes[0], max(sizes))
"""


def test_memory_stays_within_the_budget_while_a_session_sweeps_n(tmp_path):
    """Twelve values of N at N = 600, H = 64, B = 128 (about 80 MB each): with a 300 MB budget the caches hold
    at most 300 MB and the process grows by less than budget + 150 MB (it grew by 12 x 80 MB before)."""
    import subprocess
    import sys
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", SWEEP.format(budget=300)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    held, first, most = map(float, out.stdout.split())
    assert held <= 300
    assert most - first < 300 + 150, f"RSS grew from {first:.0f} MB to {most:.0f} MB"
