"""The copy-memory and temporal-order tasks, and constant_baseline (the dashboard's formula for the old tasks)."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_engine import backward, constant_baseline, forward, init_params, make_task
from rnn_engine.tasks import temporal_order_positions


@pytest.mark.parametrize("N, S", [(3, 1), (21, 10), (30, 10), (30, 4), (200, 10)])
def test_copy_task_inputs_and_targets(N, S):
    task = make_task("copy", N, 64, seed=1, n_recall=S if S != min(10, (N - 1) // 2) else None)
    A, T = 8, N - 2 * S
    assert task.x.shape == (N, 64, A + 2) and task.target.shape == (N, 64, A)
    assert (task.readout, task.output, task.loss, task.classification) == ("all", "softmax", "ce", False)
    np.testing.assert_array_equal(task.x.sum(axis=2), 1.0)  # one symbol a step
    symbols = task.x.argmax(axis=2)  # (N, M)
    assert (symbols[:S] < A).all()
    assert (symbols[S : S + T - 1] == A).all() and (symbols[S + T - 1] == A + 1).all() and (symbols[S + T :] == A).all()
    np.testing.assert_array_equal(task.target[: N - S], 0.0)  # no loss before the recall
    np.testing.assert_array_equal(task.target[N - S :], task.x[:S, :, :A])  # recall the S symbols in order
    assert f"after a lag of {T} step" in task.description


def test_copy_task_loss_terms_are_zero_where_nothing_is_recalled():
    task = make_task("copy", 12, 16, seed=2, n_recall=3)
    p = init_params(task.D, 5, task.K, seed=0, cell="lstm")
    trace = forward(p, task.x, output="softmax")
    res = backward(p, trace, task.target, "ce", "all", itemized=True)
    items = res.log.itemized
    assert not items[:9].any() and (np.diag(items)[9:] > 0).all()  # l_m = 0 for m <= N - S: no gradient


def test_copy_baseline_is_S_ln_A_over_N():
    N, S, A = 40, 10, 8
    task = make_task("copy", N, 20_000, seed=3, n_symbols=A)
    base = constant_baseline(task)
    assert base <= S * np.log(A) / N  # the sample's symbol frequencies, a hair below uniform
    assert base == pytest.approx(S * np.log(A) / N, rel=1e-4)
    p = np.full((N, task.M, A), 1.0 / A)  # the uniform guess at every row, scored with the engine's ce
    assert -np.sum(task.target * np.log(p)) / (N * task.M) == pytest.approx(S * np.log(A) / N, rel=1e-12)


@pytest.mark.parametrize("N", [4, 5, 10, 100, 333])
def test_temporal_order_task(N):
    task = make_task("temporal_order", N, 500, seed=4)
    assert task.x.shape == (N, 500, 8) and task.target.shape == (500, 4)
    assert (task.readout, task.output, task.loss, task.classification) == ("last", "softmax", "ce", True)
    symbols = task.x.argmax(axis=2)  # (N, M): 0-3 a-d, 4 X, 5 Y, 6 B, 7 E
    assert (symbols[0] == 6).all() and (symbols[-1] == 7).all()
    marked = (symbols == 4) | (symbols == 5)
    np.testing.assert_array_equal(marked.sum(axis=0), 2)
    t1 = marked.argmax(axis=0) + 1  # 1-based steps
    t2 = N - marked[::-1].argmax(axis=0)
    lo1, hi1, lo2, hi2 = temporal_order_positions(N)
    assert (lo1 <= t1).all() and (t1 <= hi1).all() and (lo2 <= t2).all() and (t2 <= hi2).all()
    first, second = symbols[t1 - 1, np.arange(500)] - 4, symbols[t2 - 1, np.arange(500)] - 4  # 0 = X, 1 = Y
    np.testing.assert_array_equal(task.target.argmax(axis=1), 2 * first + second)
    assert task.class_names == ("XX", "XY", "YX", "YY")
    assert 0.2 < task.target.mean(axis=0).min() and task.target.mean(axis=0).max() < 0.3  # chance 25 %
    assert constant_baseline(task) == pytest.approx(np.log(4), rel=2e-2)
    if N == 100:
        assert (lo1, hi1, lo2, hi2) == (10, 20, 50, 60)  # the paper's windows


@pytest.mark.parametrize("name, kwargs", [("copy", {}), ("copy", {"n_symbols": 3}), ("temporal_order", {})])
def test_new_tasks_are_seeded(name, kwargs):
    a, b, c = (make_task(name, 25, 30, seed=s, **kwargs) for s in (5, 5, 6))
    assert a == b and not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("args, kwargs, message", [
    (("copy", 2, 5), {}, "copy task needs N >= 3"),
    (("copy", 10, 5), {"n_recall": 5}, "option n_recall must be a whole number between 1 and 4"),
    (("copy", 10, 5), {"n_symbols": 1}, "option n_symbols"),
    (("temporal_order", 3, 5), {}, "temporal-order task needs N >= 4"),
    (("temporal_order", 10, 5), {"n_symbols": 4}, "has no option 'n_symbols'"),
])
def test_bad_options(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_task(*args, **kwargs)


def test_constant_baseline_arguments():
    task = make_task("adding", 10, 40, seed=0)
    assert constant_baseline(task, "sse", batch_size=8) == pytest.approx(8 * task.target.var(axis=0).sum())
    assert constant_baseline(make_task("first_symbol", 5, 20), "ce", "sigmoid") is None
    with pytest.raises(ValueError, match="unknown loss"):
        constant_baseline(task, "nll")
    with pytest.raises(ValueError, match="task must be a Task"):
        constant_baseline("adding")


@pytest.mark.parametrize("task, loss, output", [("adding", "mse", "auto"), ("adding", "sse", "auto"),
                                                ("sine", "mse", "auto"), ("sine", "sse", "auto"),
                                                ("first_symbol", "ce", "auto"), ("first_symbol", "bce", "auto"),
                                                ("bird", "bce", "auto"), ("bird", "sse", "auto")])
def test_constant_baseline_agrees_with_the_dashboards(task, loss, output):
    from dashboard import compute
    from dashboard.config import Experiment

    exp = Experiment(task=task, loss=loss, output=output, N=8)
    s = compute.setup(exp)
    mine = constant_baseline(s.train, s.loss, s.output, batch_size=exp.batch)
    assert mine == pytest.approx(compute.constant_baseline(exp), rel=1e-12)
