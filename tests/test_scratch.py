"""Reused buffers never leak into results: backward's scratch, forward's recycled trace arrays, across threads."""
import sys
import threading

import numpy as np
import pytest

from rnn_engine import Params, backward, forward


def problem(seed, N=12, B=5, H=7, D=3, K=2, readout="last"):
    rng = np.random.default_rng(seed)
    p = Params(rng.normal(size=(H, D)), rng.normal(size=(H, H)) / np.sqrt(H), rng.normal(size=H),
               rng.normal(size=(K, H)), rng.normal(size=K))
    x = rng.normal(size=(N, B, D))
    t = rng.uniform(size=(B, K) if readout == "last" else (N, B, K))
    return p, forward(p, x, "tanh", "sigmoid"), t


def snapshot(res):
    """Every array a BackwardResult holds, copied."""
    arrays = {f"grads.{n}": v for n, v in res.grads.items()}
    arrays |= {f"log.{n}": v for n, v in res.log.__dict__.items() if isinstance(v, np.ndarray)}
    arrays |= {"state_grad_norms": res.state_grad_norms, "s0_grad": res.s0_grad}
    return {n: v.copy() for n, v in arrays.items()}


@pytest.mark.parametrize("readout", ["last", "all"])
def test_a_later_call_of_the_same_shape_leaves_earlier_results_alone(readout):
    p1, tr1, t1 = problem(1, readout=readout)
    first = backward(p1, tr1, t1, readout=readout, jacobians=True)
    kept = snapshot(first)
    p2, tr2, t2 = problem(2, readout=readout)
    backward(p2, tr2, t2, readout=readout, jacobians=True)  # same shapes: the same scratch buffers
    for name, value in snapshot(first).items():
        np.testing.assert_array_equal(value, kept[name], err_msg=name)


def test_threads_running_at_once_get_the_results_of_running_alone():
    problems = [problem(seed, N=60, B=16, H=24) for seed in range(4)]
    alone = [snapshot(backward(*problem_i)) for problem_i in problems]
    wrong = []

    def work(i):
        for _ in range(25):
            got = snapshot(backward(*problems[i]))
            wrong.extend(name for name in got if not np.array_equal(got[name], alone[i][name]))

    at_once(work, len(problems))
    assert not wrong


def at_once(work, n: int) -> None:
    """work(0), ..., work(n-1) in n threads started together, switching as often as possible."""
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads in the middle of every call
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)


# --- forward's recycled result buffers ---------------------------------------------------------------------

def inputs(seed, N=12, B=5, H=7, D=3):
    rng = np.random.default_rng(seed)
    p = Params(rng.normal(size=(H, D)), rng.normal(size=(H, H)) / np.sqrt(H), rng.normal(size=H),
               rng.normal(size=(2, H)), rng.normal(size=2))
    return p, rng.normal(size=(N, B, D))


@pytest.mark.parametrize("keep", ["trace", "a", "s", "view of s", "view of a view"])
def test_a_later_forward_never_overwrites_an_earlier_trace_still_referred_to(keep):
    p1, x1 = inputs(1)
    tr = forward(p1, x1)
    a_then, s_then = tr.a.copy(), tr.s.copy()
    held = {"trace": lambda t: t, "a": lambda t: t.a, "s": lambda t: t.s, "view of s": lambda t: t.s[1:],
            "view of a view": lambda t: t.s[1:].reshape(-1)[3:]}[keep](tr)
    del tr  # only `held` refers to the buffers now
    p2, x2 = inputs(2)
    for _ in range(3):
        forward(p2, x2)  # same shapes: would take the earlier buffers if they were free
    if keep in ("trace", "a"):
        got = held if keep == "a" else held.a
        np.testing.assert_array_equal(got, a_then)
    if keep != "a":
        expect = {"trace": s_then, "s": s_then, "view of s": s_then[1:],
                  "view of a view": s_then[1:].reshape(-1)[3:]}[keep]
        np.testing.assert_array_equal(held.s if keep == "trace" else held, expect)


def test_a_trace_nothing_refers_to_any_more_is_reused():
    """The point of the buffers: the memory of a dropped trace is written again, not fresh memory."""
    p, x = inputs(3)
    first = forward(p, x)
    addresses = (first.a.ctypes.data, first.s.ctypes.data)
    del first
    again = forward(p, x)
    assert (again.a.ctypes.data, again.s.ctypes.data) == addresses

