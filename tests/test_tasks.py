"""Learning tasks: shapes, seeds, and targets recomputed from the inputs."""
from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_engine import TASKS, FeatureSet, Task, backward, forward, load_bundled, make_task, split_task
from rnn_engine.params import Params

NS = (1, 2, 17, 1000)
M = 24


MIN_N = {"copy": 3, "temporal_order": 4}  # shorter sequences cannot hold the task


def shapes(name, N, F=32, n_symbols=4):
    D = {"bird": math.ceil(F / N), "adding": 2, "first_symbol": n_symbols, "sine": 1, "copy": 10, "temporal_order": 8}[name]
    K = {"bird": 1, "adding": 1, "first_symbol": n_symbols, "sine": 1, "copy": 8, "temporal_order": 4}[name]
    return D, K


@pytest.mark.parametrize("name", list(TASKS))
@pytest.mark.parametrize("N", NS)
def test_shapes_and_metadata(name, N):
    if N < MIN_N.get(name, 1):
        with pytest.raises(ValueError, match=rf"needs N >= {MIN_N[name]} steps"):
            make_task(name, N, M, seed=3)
        return
    task = make_task(name, N, M, seed=3)
    assert isinstance(task, Task) and task.name == name
    D, K = shapes(name, N)
    assert task.x.shape == (N, M, D) and task.x.dtype == np.float64
    want = (M, K) if task.readout == "last" else (N, M, K)
    assert task.target.shape == want
    assert (task.N, task.M, task.D, task.K) == (N, M, D, K)
    assert np.isfinite(task.x).all() and np.isfinite(task.target).all()
    assert task.description and task.description.endswith(".")
    assert task.classification == (name in ("bird", "first_symbol", "temporal_order"))
    assert (task.class_names is not None) == task.classification
    assert not task.x.flags.writeable


@pytest.mark.parametrize("name", list(TASKS))
def test_recommended_settings_run_through_the_engine(name):
    task = make_task(name, 5, 8, seed=0)
    rng = np.random.default_rng(0)
    H = 3
    p = Params(rng.normal(size=(H, task.D)), rng.normal(size=(H, H)) * 0.3, np.zeros(H),
               rng.normal(size=(task.K, H)), np.zeros(task.K))
    trace = forward(p, task.x, output=task.output)
    res = backward(p, trace, task.target, loss=task.loss, readout=task.readout)
    assert np.isfinite(res.loss)


@pytest.mark.parametrize("name", list(TASKS))
def test_seeded(name):
    a = make_task(name, 17, M, seed=5)
    b = make_task(name, 17, M, seed=5)
    c = make_task(name, 17, M, seed=6)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.target, b.target)
    assert a == b
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("N", NS)
def test_targets_in_range(N):
    bird = make_task("bird", N, M)
    assert set(np.unique(bird.target)) <= {0.0, 1.0}
    add = make_task("adding", N, M)
    assert (add.target >= 0).all() and (add.target <= 1).all()
    fs = make_task("first_symbol", N, M)
    np.testing.assert_array_equal(fs.target.sum(axis=1), 1.0)
    assert set(np.unique(fs.target)) <= {0.0, 1.0}
    sine = make_task("sine", N, M)
    assert (np.abs(sine.target) <= 1).all()


# --- bird -------------------------------------------------------------------------


@pytest.mark.parametrize("N", (1, 2, 5, 17, 32, 1000))
def test_bird_chunks_reassemble_the_features(N):
    fs = load_bundled()
    task = make_task("bird", N, None, seed=1, standardize=False)
    assert task.M == fs.M
    c = math.ceil(fs.F / N)
    flat = task.x.transpose(1, 0, 2).reshape(fs.M, N * c)  # (M, N*c): chunks back in order
    assert (flat[:, fs.F :] == 0).all()  # zero padding
    idx = np.random.default_rng(1).permutation(fs.M)
    np.testing.assert_array_equal(flat[:, : fs.F], fs.X[idx])
    np.testing.assert_array_equal(task.target[:, 0], fs.labels[idx])


def test_bird_subsample_standardize_and_own_features():
    full = make_task("bird", 1, 0, seed=2)
    assert full.M == 400 and full.class_names == ("not bird", "bird")
    np.testing.assert_allclose(full.x[0].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(full.x[0].std(axis=0), 1, atol=1e-12)
    assert make_task("bird", 1, 10_000).M == 400
    part = make_task("bird", 1, 50, seed=2)
    np.testing.assert_array_equal(part.x, full.x[:, :50])  # first 50 of the same permutation
    own = FeatureSet(np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]), np.array([0.0, 1, 1]), ("a", "b", "c"), "mine")
    task = make_task("bird", 2, None, features=own, standardize=False)
    assert task.x.shape == (2, 3, 2) and task.class_names == ("label 0", "label 1")
    const = FeatureSet(np.ones((3, 2)), np.array([0.0, 1, 1]), ("a", "b"), "const")
    assert (make_task("bird", 1, None, features=const).x == 0).all()  # constant feature: z-score 0


def test_bird_long_lag_description():
    task = make_task("bird", 100, 5)
    assert "68 steps of zero padding" in task.description and "99 steps" in task.description


# --- adding -----------------------------------------------------------------------


@pytest.mark.parametrize("N", (2, 3, 4, 17, 21, 22, 100, 1000))
def test_adding_target_recomputed_from_x(N):
    task = make_task("adding", N, 200, seed=4)
    value, marker = task.x[..., 0], task.x[..., 1]  # (N, M)
    assert (np.abs(value) <= 1).all()
    assert set(np.unique(marker)) <= {-1.0, 0.0, 1.0}
    marked = marker == 1.0
    np.testing.assert_array_equal(marked.sum(axis=0), 2)  # exactly two marks
    X1X2 = (value * marked).sum(axis=0)  # (M,)
    np.testing.assert_allclose(task.target[:, 0], 0.5 + X1X2 / 4, rtol=0, atol=1e-15)
    W1 = min(10, N // 2)
    first = marked.argmax(axis=0)
    last = N - 1 - marked[::-1].argmax(axis=0)
    assert (first < W1).all()
    assert (last < max(W1 + 1, N // 2)).all()
    # -1 on the first and last step exactly when they are not marked
    np.testing.assert_array_equal(marker[0] == -1, ~marked[0])
    np.testing.assert_array_equal(marker[-1] == -1, ~marked[-1])
    assert (marker[1:-1] != -1).all()


def test_adding_marks_cover_their_windows():
    task = make_task("adding", 1000, 2000, seed=0)
    marked = task.x[..., 1] == 1.0
    first = marked.argmax(axis=0)
    last = 999 - marked[::-1].argmax(axis=0)
    assert set(first) <= set(range(10)) and len(set(first)) == 10
    assert last.max() < 500 and last.max() > 450


def test_adding_N1():
    task = make_task("adding", 1, 50, seed=1)
    np.testing.assert_array_equal(task.x[0, :, 1], 1.0)
    np.testing.assert_allclose(task.target[:, 0], 0.5 + task.x[0, :, 0] / 2)


# --- first_symbol -------------------------------------------------------------------


@pytest.mark.parametrize("N", NS)
def test_first_symbol_target_is_first_input(N):
    task = make_task("first_symbol", N, 100, seed=2, n_symbols=5, noise=0.3)
    np.testing.assert_array_equal(task.target, task.x[0])
    assert task.class_names == ("A", "B", "C", "D", "E")
    assert task.output == "softmax" and task.loss == "ce"
    if N > 1:
        assert 0.2 < task.x[1:].std() < 0.4  # distractor noise
    clean = make_task("first_symbol", N, 100, seed=2)
    assert (clean.x[1:] == 0).all()
    assert len(set(clean.target.argmax(axis=1))) == 4


@pytest.mark.parametrize("N, lag", [(1, 0), (10, 0), (10, 3), (10, 9), (1000, 250)])
def test_first_symbol_over_a_chosen_lag(N, lag):
    task = make_task("first_symbol", N, 50, seed=4, lag=lag, noise=0.2)
    shown = N - 1 - lag  # code index of the step that shows the symbol
    np.testing.assert_array_equal(task.x[shown], task.target)
    assert f"remembered for {lag} step" in task.description
    others = np.delete(task.x, shown, axis=0).reshape(N - 1, 50 * task.D)  # (N-1, M*D)
    assert (others != 0).any(axis=1).all()  # noise at every other step, before the symbol too
    clean = make_task("first_symbol", N, 50, seed=4, lag=lag)
    assert (np.delete(clean.x, shown, axis=0) == 0).all()


def test_first_symbol_default_lag_is_n_minus_1_and_unchanged():
    default = make_task("first_symbol", 12, 20, seed=1, noise=0.3)
    assert default == make_task("first_symbol", 12, 20, seed=1, noise=0.3, lag=11)
    np.testing.assert_array_equal(default.x[0], default.target)
    assert default.description.startswith("Name the first of 12 inputs (one of 4 symbols) at the last step")


@pytest.mark.parametrize("lag", [-1, 10, 2.0, "3", True])
def test_first_symbol_bad_lag(lag):
    with pytest.raises(ValueError, match=r"option lag must be a whole number between 0 and 9"):
        make_task("first_symbol", 10, 5, lag=lag)


@pytest.mark.parametrize("name", list(TASKS))
def test_a_task_unpacks_into_x_and_target(name):
    task = make_task(name, 6, 8 if name != "bird" else None, seed=0)
    x, target = task
    assert x is task.x and target is task.target


# --- sine -------------------------------------------------------------------------


def sine_phase(task, period):
    """phase per sample, solved from target(n) = sin(w (n+1) + phase) = sin(phase) cos(w (n+1)) + cos(phase) sin(w (n+1))."""
    w = 2 * np.pi / period
    n1 = np.arange(1, task.N + 1)
    A = np.stack([np.cos(w * n1), np.sin(w * n1)], axis=1)  # (N, 2)
    if task.N == 1:  # one equation: use x(1) = sin(phase) (noise 0) as the second
        A = np.vstack([A, [1.0, 0.0]])
        rhs = np.vstack([task.target[:, :, 0], task.x[0, :, 0]])
    else:
        rhs = task.target[:, :, 0]
    (sin_p, cos_p), *_ = np.linalg.lstsq(A, rhs, rcond=None)
    return np.arctan2(sin_p, cos_p), np.hypot(sin_p, cos_p)


@pytest.mark.parametrize("N", NS)
def test_sine_target_is_clean_next_value(N):
    period = 12.5
    task = make_task("sine", N, 30, seed=7, period=period, noise=0.0)
    phase, amp = sine_phase(task, period)
    np.testing.assert_allclose(amp, 1.0, atol=1e-9)
    n = np.arange(N)[:, None]
    np.testing.assert_allclose(task.x[:, :, 0], np.sin(2 * np.pi * n / period + phase), atol=1e-9)
    np.testing.assert_allclose(task.target[:, :, 0], np.sin(2 * np.pi * (n + 1) / period + phase), atol=1e-9)
    assert task.readout == "all" and task.output == "linear" and task.loss == "mse"


def test_sine_noise():
    task = make_task("sine", 40, 500, seed=8, period=20.0, noise=0.1)
    phase, amp = sine_phase(task, 20.0)
    np.testing.assert_allclose(amp, 1.0, atol=1e-9)
    clean = np.sin(2 * np.pi * np.arange(40)[:, None] / 20.0 + phase)  # (N, M)
    resid = task.x[:, :, 0] - clean
    assert 0.09 < resid.std() < 0.11 and abs(resid.mean()) < 0.01
    assert np.ptp(np.mod(phase, 2 * np.pi)) > 5  # random phase per sample


# --- split ------------------------------------------------------------------------


def test_split_task():
    task = make_task("bird", 1, None, seed=0)
    train, val = split_task(task, 0.25, seed=1)
    assert (train.M, val.M) == (300, 100)
    assert val.target.mean() == pytest.approx(0.3, abs=0.01)  # stratified
    both = np.concatenate([train.x[0], val.x[0]])
    assert np.unique(both, axis=0).shape[0] == np.unique(task.x[0], axis=0).shape[0]
    again = split_task(task, 0.25, seed=1)
    assert again[1] == val
    assert not np.array_equal(split_task(task, 0.25, seed=2)[1].x, val.x)
    seq_train, seq_val = split_task(make_task("sine", 5, 10), 0.3)
    assert seq_train.target.shape == (5, 7, 1) and seq_val.target.shape == (5, 3, 1)
    tiny_train, tiny_val = split_task(make_task("adding", 3, 2), 0.01)
    assert (tiny_train.M, tiny_val.M) == (1, 1)


def test_split_bad_input():
    task = make_task("adding", 3, 10)
    with pytest.raises(ValueError, match="val_fraction"):
        split_task(task, 1.0)
    with pytest.raises(ValueError, match="val_fraction"):
        split_task(task, "half")
    with pytest.raises(ValueError, match="n_samples = 1"):
        split_task(make_task("adding", 3, 1))
    with pytest.raises(ValueError, match="task"):
        split_task("adding")


# --- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, kwargs, field",
    [
        (("copying", 5, 10), {}, "unknown task 'copying'"),
        (("adding", 0, 10), {}, "N must be a whole number >= 1"),
        (("adding", 2.5, 10), {}, "N must be a whole number"),
        (("adding", 5.0, 10), {}, "N must be a whole number"),
        (("adding", True, 10), {}, "N must be a whole number"),
        (("adding", "5", 10), {}, "N must be a whole number"),
        (("adding", 5, 0), {}, "n_samples must be a whole number >= 1"),
        (("sine", 5, None), {}, "n_samples"),
        (("bird", 5, -3), {}, "n_samples must be a whole number >= 1"),
        (("adding", 5, 10), {"seed": -1}, "seed"),
        (("adding", 5, 10), {"noise": 0.1}, "no option 'noise'"),
        (("first_symbol", 5, 10), {"n_symbols": 1}, "n_symbols"),
        (("first_symbol", 5, 10), {"n_symbols": 3.0}, "n_symbols"),
        (("first_symbol", 5, 10), {"noise": -0.5}, "noise"),
        (("sine", 5, 10), {"period": 0}, "period"),
        (("sine", 5, 10), {"period": float("nan")}, "period"),
        (("sine", 5, 10), {"noise": float("inf")}, "noise"),
        (("bird", 5, 10), {"features": np.ones((3, 2))}, "features"),
        (("bird", 5, 10), {"standardize": "yes"}, "standardize"),
        (("adding", 100_000, 100_000), {}, "too large"),
    ],
)
def test_bad_input(args, kwargs, field):
    with pytest.raises(ValueError, match=field):
        make_task(*args, **kwargs)
