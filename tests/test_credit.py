"""Credit assignment for every cell: the itemised gradients dl_m/ds(n) and connectivity ||dy(m)/dx(n)||
against finite differences, their sums and truncation; memory_horizon's edge cases."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_engine import backward, connectivity, forward, itemized_grads, memory_horizon, memory_horizons
from rnn_engine.activations import readout as apply_readout
from rnn_engine.losses import loss_and_grad
from tests.gated_cases import make_case as gated_case
from tests.test_gradients import finite_difference
from tests.test_gradients import make_case as elman_case

N, EPS = 4, 1e-6
CELLS = ["elman", "lstm", "gru"]


def case(cell, seed, readout):
    if cell == "elman":
        params, x, target, s0 = elman_case(seed, "tanh", readout)
        return params, x, target, s0, None
    return gated_case(cell, seed, readout=readout)


def loss_term(params, x, target, loss, readout, trace, m, n, s_n):
    """l_m as a function of s(n) (m > n: the cell rerun from step n+1 with c(n) kept; m = n: read out)."""
    z = trace.z.copy()  # (N, B, K), only row m moves
    if m == n:
        z[m - 1] = s_n @ params.W_y.T + params.b_y
    else:
        c_n = None if trace.c is None else trace.c[n]
        z[m - 1] = forward(params, x[n:m], "tanh", trace.output, s_n, c_n).z[-1]
    K = z.shape[2]
    rows, t = (z[-1:], target[None]) if readout == "last" else (z, target)
    L, _ = loss_and_grad(rows.reshape(-1, K), apply_readout(rows, trace.output).reshape(-1, K), t.reshape(-1, K),
                         loss, trace.output)
    return L


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("readout", ["all", "last"])
@pytest.mark.parametrize("loss", ["sse", "ce"])
def test_itemized_entries_against_finite_differences(cell, readout, loss):
    params, x, target, s0, c0 = case(cell, 31, readout)
    out = "softmax" if loss == "ce" else "sigmoid"
    trace = forward(params, x, "tanh", out, s0, c0)
    items = itemized_grads(params, trace, target, loss, readout)  # (N, N, B, H)
    res = backward(params, trace, target, loss, readout, itemized=True)
    np.testing.assert_allclose(res.log.itemized, np.linalg.norm(items.reshape(N, N, -1), axis=2), rtol=1e-12)
    total = np.zeros_like(items[0])  # (N, B, H) sum over m of dl_m/ds(n), against dL/ds(n)
    for n in range(1, N + 1):
        for m in range(1, N + 1):
            if m < n or (readout == "last" and m < N):
                assert not items[m - 1, n - 1].any()
                continue
            num = finite_difference(lambda v, m=m, n=n: loss_term(params, x, target, loss, readout, trace, m, n, v), trace.s[n])
            np.testing.assert_allclose(items[m - 1, n - 1], num, rtol=1e-6, atol=1e-9, err_msg=f"m={m} n={n}")
            total[n - 1] += num
    np.testing.assert_allclose(items.sum(axis=0), total, rtol=1e-6, atol=1e-9)  # the vectors add up to dL/ds(n)
    np.testing.assert_allclose(np.linalg.norm(total.reshape(N, -1), axis=1), res.state_grad_norms, rtol=1e-6)
    plain = backward(params, trace, target, loss, readout)  # itemized=True changes nothing else
    for (name, a), (_, b) in zip(res.grads.items(), plain.grads.items(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(res.state_grad_norms, plain.state_grad_norms, rtol=1e-11)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("readout", ["all", "last"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_truncation_cuts_the_itemized_log(cell, readout, k):
    """Within the window (m - n < k) dl_m/ds(n) is the untruncated one; beyond it zero; the rows still add up
    to the truncated dL/ds(n)."""
    params, x, target, s0, c0 = case(cell, 32, readout)
    trace = forward(params, x, "tanh", "sigmoid", s0, c0)
    full = itemized_grads(params, trace, target, "sse", readout)
    cut = itemized_grads(params, trace, target, "sse", readout, truncate=k)
    m, n = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    inside = (m - n < k)[:, :, None, None]
    np.testing.assert_allclose(cut, np.where(inside, full, 0.0), rtol=1e-12, atol=1e-15)
    res = backward(params, trace, target, "sse", readout, truncate=k, itemized=True)
    np.testing.assert_allclose(res.log.itemized, np.linalg.norm(cut.reshape(N, N, -1), axis=2), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(cut.sum(axis=0).reshape(N, -1), axis=1), res.state_grad_norms,
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
@pytest.mark.parametrize("sample", [0, 2])
def test_connectivity_against_finite_differences(cell, output, sample):
    params, x, target, s0, c0 = case(cell, 33, "last")
    trace = forward(params, x, "tanh", output, s0, c0)
    C = connectivity(params, trace, sample)
    num = np.zeros((N, N))
    for n in range(N):
        cols = []
        for d in range(x.shape[2]):
            up, down = x.copy(), x.copy()
            up[n, sample, d] += EPS
            down[n, sample, d] -= EPS
            cols.append((forward(params, up, "tanh", output, s0, c0).y[:, sample]
                         - forward(params, down, "tanh", output, s0, c0).y[:, sample]) / (2 * EPS))
        num[:, n] = np.linalg.norm(np.stack(cols, axis=-1).reshape(N, -1), axis=1)  # ||dy(m)/dx(n)||_F
    np.testing.assert_allclose(C, num, rtol=1e-6, atol=1e-10)
    assert not np.triu(C, 1).any() and (np.diag(C) > 0).all()


def test_connectivity_checks_its_sample():
    params, x, target, s0, c0 = case("lstm", 1, "last")
    trace = forward(params, x, s0=s0, c0=c0)
    with pytest.raises(ValueError, match="sample must be a whole number between 0 and 2"):
        connectivity(params, trace, 3)


# memory_horizon ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("norms, fraction, expected", [
    ([1e-3, 0.5, 1.0], 0.01, 2),  # n = 1 = N - 2 is the first step below 1 %
    ([0.5, 0.0, 1.0], 0.01, 1),
    ([0.5, 0.5, 1.0], 0.01, 3),  # never falls below: N
    ([0.02, 0.5, 1.0], 0.01, 3),
    ([0.02, 0.5, 1.0], 0.1, 2),
    ([7.0], 0.01, 1),  # N = 1
    ([0.0, 0.0, 0.0], 0.01, None),  # nothing to measure against
    ([1.0, 2.0, 0.0], 0.01, None),
    ([1.0, np.inf, 2.0], 0.01, None),  # an exploded run
    ([np.nan, 1.0, 2.0], 0.01, None),
    ([1.0, 1.0, np.inf], 0.01, None),
])
def test_memory_horizon_edge_cases(norms, fraction, expected):
    assert memory_horizon(np.array(norms), fraction) == expected


def test_memory_horizon_of_a_geometric_decay_and_bad_input():
    N = 50
    norms = 0.8 ** (N - np.arange(1, N + 1))  # ||dL/ds(n)|| = 0.8^(N - n)
    h = memory_horizon(norms)
    assert h == int(np.ceil(np.log(0.01) / np.log(0.8)))  # the first h with 0.8^h < 0.01
    assert 0.8**h < 0.01 <= 0.8 ** (h - 1)
    for bad, message in [([], "shape"), ([[1.0]], "shape"), ([1.0, -1.0], "negative"), ("x", "numbers")]:
        with pytest.raises(ValueError, match=message):
            memory_horizon(bad)
    for fraction in (0.0, 1.0, -0.5, np.nan):
        with pytest.raises(ValueError, match="fraction"):
            memory_horizon(norms, fraction)


def test_memory_horizons_per_row_of_the_itemized_matrix():
    items = np.array([[1.0, 0.0, 0.0],
                      [0.001, 1.0, 0.0],
                      [0.5, 0.5, 1.0]])
    items_zero_row = items.copy()
    items_zero_row[1] = 0.0
    np.testing.assert_array_equal(memory_horizons(items), [1, 1, 3])
    np.testing.assert_array_equal(memory_horizons(items_zero_row), [1, np.nan, 3])
    with pytest.raises(ValueError, match=r"\(N, N\)"):
        memory_horizons(np.ones((2, 3)))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("k", [2, 4, None])
def test_terms_without_loss_are_left_out_exactly(cell, k):
    """The copy task's silent steps read out no loss (zero targets, ce): the stack carries only the recall
    steps' terms; gradients still match the finite differences of L_k, the rows still add up."""
    from rnn_engine import gradcheck, init_params, make_task

    task = make_task("copy", 7, 3, seed=1, n_symbols=3, n_recall=2)
    params = init_params(task.D, 3, task.K, seed=2, cell=cell)
    params = params.replace(b=np.random.default_rng(3).normal(scale=0.3, size=params.b.shape))
    errors = gradcheck(params, task.x, task.target, "tanh", "softmax", "ce", "all", truncate=k)
    assert max(errors.values()) < 1e-6, errors
    trace = forward(params, task.x, "tanh", "softmax")
    items = itemized_grads(params, trace, task.target, "ce", "all", k)
    assert not items[:5].any()  # no loss term before the recall
    res = backward(params, trace, task.target, "ce", "all", truncate=k, itemized=True)
    np.testing.assert_allclose(np.linalg.norm(items.sum(axis=0).reshape(7, -1), axis=1), res.state_grad_norms,
                               rtol=1e-12)
