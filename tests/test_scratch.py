"""Backward's reused scratch buffers never leak into results, and threads do not share them."""
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
    start = threading.Barrier(len(problems))

    def work(i):
        start.wait()
        for _ in range(25):
            got = snapshot(backward(*problems[i]))
            wrong.extend(name for name in got if not np.array_equal(got[name], alone[i][name]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(problems))]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, in the middle of every call
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
    assert not wrong
