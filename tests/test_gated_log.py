"""The gated cells' per-step log against independent computations: dL/da(n) by finite differences (through
an extra input that adds straight to a(n)), each step's share of the weight gradients, the block norms and
the gate statistics.

    dL/dW_s = sum_n delta_s(n) s(n-1)^T,  dL/dW_x = sum_n delta(n) x(n)^T,  dL/db = sum_n delta(n)
    (GRU: delta_s = delta except the candidate's block, r * dL/da_g, since a_g = ... + r * W_sg s(n-1))
"""
from __future__ import annotations

import numpy as np
import pytest

from rnn_engine import backward, forward, init_params
from rnn_engine.gradcheck import surrogate_loss
from rnn_engine.losses import loss_and_grad
from tests.gated_cases import GATED, make_case

CELLS = sorted(GATED)


def dL_da_by_finite_differences(params, x, target, s0, c0, loss, readout, eps=1e-6):
    """dL/da(n), (N, B, G*H): an extra input u(n) with W_x' = [W_x, I] adds u(n) to a(n) (for the GRU's
    candidate to W_xg x(n) + b_g), so dL/du(n) at u = 0 is dL/da(n)."""
    N, B, D = x.shape
    GH = params.W_x.shape[0]
    wide = params.replace(W_x=np.hstack([params.W_x, np.eye(GH)]))
    grads = np.zeros((N, B, GH))
    for n, j, i in np.ndindex(N, B, GH):
        L = []
        for sign in (1.0, -1.0):
            u = np.zeros((N, B, GH))
            u[n, j, i] = sign * eps
            L.append(surrogate_loss(wide, np.concatenate([x, u], axis=2), target, "tanh", "sigmoid", loss,
                                    readout, None, s0, c0=c0))
        grads[n, j, i] = (L[0] - L[1]) / (2 * eps)
    return grads


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("readout", ["last", "all"])
def test_shares_block_norms_and_preactivation_gradient(cell, readout):
    params, x, target, s0, c0 = make_case(cell, 21, readout=readout)
    N, B, _ = x.shape
    H, G = params.H, params.G
    trace = forward(params, x, "tanh", "sigmoid", s0, c0)
    res = backward(params, trace, target, "sse", readout)
    delta = dL_da_by_finite_differences(params, x, target, s0, c0, "sse", readout)  # (N, B, G*H)
    delta_s = delta.copy()
    if cell == "gru":
        delta_s[:, :, 2 * H :] *= trace.gate("r")
    tol = dict(rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(res.log.preact_grad, np.linalg.norm(delta.reshape(N, -1), axis=1), **tol)
    blocks = np.linalg.norm(delta.reshape(N, B, G, H).transpose(0, 2, 1, 3).reshape(N, G, -1), axis=2)
    np.testing.assert_allclose(res.log.block_grad, blocks, **tol)
    np.testing.assert_allclose(res.log.W_s_contrib, [np.linalg.norm(delta_s[n].T @ trace.s[n]) for n in range(N)], **tol)
    np.testing.assert_allclose(res.log.W_x_contrib, [np.linalg.norm(delta[n].T @ x[n]) for n in range(N)], **tol)
    np.testing.assert_allclose(res.log.b_contrib, np.linalg.norm(delta.sum(axis=1), axis=1), **tol)
    np.testing.assert_allclose(res.grads.W_s, sum(delta_s[n].T @ trace.s[n] for n in range(N)), **tol)


@pytest.mark.parametrize("cell", CELLS)
def test_gate_statistics(cell):
    params, x, target, s0, c0 = make_case(cell, 22, sizes=(6, 5, 2, 4, 2))
    trace = forward(params, x, "tanh", "sigmoid", s0, c0)
    stats = backward(params, trace, target).log.gate_stats
    assert set(stats) == ({"i", "f", "o"} if cell == "lstm" else {"r", "z"})
    for name, table in stats.items():
        values = trace.gate(name)  # (N, B, H)
        assert table.shape == (6, 3)
        for n in range(6):
            v = np.sort(values[n].ravel())  # 20 values: the 10th percentile lies between v[1] and v[2]
            lo, hi = v[1] + 0.9 * (v[2] - v[1]), v[17] + 0.1 * (v[18] - v[17])  # positions 1.9, 17.1
            np.testing.assert_allclose(table[n], [v.mean(), lo, hi], rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_without_contributions_the_extras_are_left_out(cell):
    params, x, target, s0, c0 = make_case(cell, 23)
    trace = forward(params, x, "tanh", "sigmoid", s0, c0)
    full, lean = backward(params, trace, target), backward(params, trace, target, contributions=False)
    for (_, a), (_, b) in zip(full.grads.items(), lean.grads.items(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(full.state_grad_norms, lean.state_grad_norms)
    for name in ("W_s_contrib", "W_x_contrib", "b_contrib", "block_grad", "gate_stats", "unit_grad"):
        assert getattr(full.log, name) is not None and getattr(lean.log, name) is None, name
    assert (lean.log.cell_grad is not None) == (cell == "lstm")


@pytest.mark.parametrize("cell", CELLS)
def test_gate_statistics_of_a_large_batch(cell):
    """B*H > 2048, where the statistics come from a partial sort: the same as np.percentile's."""
    params = init_params(2, 60, 2, seed=24, cell=cell)
    rng = np.random.default_rng(24)
    x, target = rng.normal(size=(2, 40, 2)), rng.uniform(size=(40, 2))
    trace = forward(params, x, "tanh", "sigmoid")
    for name, table in backward(params, trace, target).log.gate_stats.items():
        values = trace.gate(name).reshape(2, -1)  # (N, 2400)
        np.testing.assert_allclose(table[:, 0], values.mean(axis=1), rtol=1e-12)
        np.testing.assert_allclose(table[:, 1:], np.percentile(values, [10, 90], axis=1).T, rtol=1e-12)



@pytest.mark.parametrize("cell", CELLS)
def test_direct_grad_is_the_direct_term_times_the_state_gradient(cell):
    """log.direct_grad[n-1] = ||f(n) * dL/dc(n)|| (LSTM) or ||z(n) * dL/ds(n)|| (GRU), the vectors found
    independently: dL/ds(n) is the s0_grad of the same network run on steps n+1..N from s(n), c(n) (its
    c0_grad is the part of dL/dc(n) through c(n+1)); dL/dc(n) adds o(n) tanh'(c(n)) dL/ds(n)."""
    params, x, target, s0, c0 = make_case(cell, 31)
    trace = forward(params, x, "tanh", "linear", s0, c0)
    log = backward(params, trace, target, loss="sse").log
    N = x.shape[0]
    _, dz = loss_and_grad(trace.z[-1], trace.y[-1], target, "sse", "linear")  # (B, K)
    for n in range(1, N + 1):
        if n < N:
            tail = backward(params, forward(params, x[n:], "tanh", "linear", trace.s[n],
                                            trace.c[n] if cell == "lstm" else None), target, loss="sse")
            dLds, via_c = tail.s0_grad, tail.c0_grad  # (B, H) dL/ds(n); LSTM: through c(n+1)
        else:
            dLds, via_c = dz @ params.W_y, 0.0  # (B, H) dl_N/ds(N)
        if cell == "lstm":
            o, c = trace.gate("o")[n - 1], trace.c[n]  # (B, H)
            want = trace.gate("f")[n - 1] * (via_c + o * (1 - np.tanh(c) ** 2) * dLds)  # f(n) * dL/dc(n)
        else:
            want = trace.gate("z")[n - 1] * dLds  # z(n) * dL/ds(n)
        assert np.isclose(log.direct_grad[n - 1], np.linalg.norm(want), rtol=1e-10, atol=0), n


@pytest.mark.parametrize("cell", CELLS)
def test_direct_grad_of_an_open_gate_is_the_whole_gradient(cell):
    """Gate saturated open (LSTM b_f = +40, GRU b_z = +40): the direct term is the identity, so step n hands
    on all of dL/dc(n) (LSTM) or dL/ds(n) (GRU)."""
    params, x, target, s0, c0 = make_case(cell, 5)
    H = params.H
    b = params.b.copy()
    b[H:2 * H] = 40.0  # f (LSTM: i, f, g, o) or z (GRU: r, z, g)
    params = params.replace(b=b)
    res = backward(params, forward(params, x, "tanh", "linear", s0, c0), target, loss="sse")
    whole = res.log.cell_grad if cell == "lstm" else res.log.state_grad
    assert np.allclose(res.log.direct_grad, whole, rtol=1e-12)
