"""The gated cells against results written out by hand.

- the constant error carousel: an LSTM with the forget gate saturated open (b_f = +40, f = 1 in float64) and
  the input gate shut (b_i = -40) carries ||dL/dc(n)|| unchanged from step N back to step 1;
- a GRU with z = 1 (b_z = +40) keeps s(n) = s(0) and passes dL/ds(N) back unchanged;
- the forward steps against plain per-sample loops of the equations in DESIGN.md;
- the Jacobian log against finite differences of one step and of the whole map (s, c)(n) -> (s, c)(N).
"""
from __future__ import annotations

import numpy as np
import pytest

from rnn_engine import GRUParams, LSTMParams, backward, forward
from tests.gated_cases import GATED, make_case


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_with_biases(rng, H, D, K, W_s_scale, **biases) -> LSTMParams:
    """A random LSTM whose gates named in `biases` have that bias and no input weights: a_k(n) = b_k exactly
    (sigmoid(40) = 1 in float64, sigmoid(37) would not be)."""
    b = rng.normal(scale=0.5, size=4 * H)
    W_x, W_s = rng.normal(size=(4 * H, D)), W_s_scale * rng.normal(size=(4 * H, H))
    for k, name in enumerate("ifgo"):
        if name in biases:
            b[k * H : (k + 1) * H] = biases[name]
            W_x[k * H : (k + 1) * H] = 0.0
            W_s[k * H : (k + 1) * H] = 0.0
    return LSTMParams(W_x, W_s, b, rng.normal(size=(K, H)), rng.normal(size=K))


def test_constant_error_carousel_is_exact():
    """W_s = 0, so that dL/dc(n) reaches c(n-1) only through c(n): dL/dc(n-1) = f(n) dL/dc(n) = dL/dc(n)."""
    rng = np.random.default_rng(0)
    N, B, D, H, K = 40, 3, 2, 5, 2
    p = lstm_with_biases(rng, H, D, K, 0.0, i=-40.0, f=40.0)
    c0 = rng.normal(size=(B, H))
    trace = forward(p, rng.normal(size=(N, B, D)), "tanh", "sigmoid", s0=rng.normal(size=(B, H)), c0=c0)
    assert (trace.gate("f") == 1.0).all() and trace.gate("i").max() < 1e-17
    np.testing.assert_allclose(trace.c, np.broadcast_to(c0, trace.c.shape), rtol=0, atol=1e-15)  # c(n) = c(0)
    res = backward(p, trace, rng.uniform(size=(B, K)), jacobians=True, sample=1)
    norms = res.log.cell_grad
    assert norms[-1] > 0
    np.testing.assert_array_equal(norms, np.full(N, norms[-1]))  # unchanged from N back to 1, exactly
    assert np.linalg.norm(res.c0_grad) == norms[-1]
    np.testing.assert_array_equal(res.log.direct_norms, np.ones(N))  # ||diag(f(n))|| = 1
    np.testing.assert_array_equal(res.log.direct_product_norms, np.ones(N + 1))


def test_carousel_with_recurrent_weights_and_output_gate_open():
    """W_s != 0 but o = 1 (b_o = +40) as well: what leaks out of the carousel is of the order of i ~ 4e-18."""
    rng = np.random.default_rng(1)
    N, B, D, H, K = 30, 2, 3, 4, 2
    p = lstm_with_biases(rng, H, D, K, 0.5, i=-40.0, f=40.0, o=40.0)
    trace = forward(p, rng.normal(size=(N, B, D)), "tanh", "sigmoid", c0=rng.normal(size=(B, H)))
    res = backward(p, trace, rng.uniform(size=(B, K)))
    np.testing.assert_allclose(res.log.cell_grad, res.log.cell_grad[-1], rtol=1e-12)
    assert res.state_grad_norms[:-1].max() < 1e-15 * res.state_grad_norms[-1]  # nothing through s


def test_gru_with_update_gate_shut_keeps_its_state_and_gradient():
    """z = 1 (b_z = +40, the z block's weights 0): s(n) = s(n-1) + (1 - z)(g - s(n-1)) = s(0) and
    dL/ds(n-1) = z * dL/ds(n) = dL/ds(N)."""
    rng = np.random.default_rng(2)
    N, B, D, H, K = 50, 3, 2, 4, 3
    b, W_x, W_s = rng.normal(size=3 * H), rng.normal(size=(3 * H, D)), rng.normal(size=(3 * H, H))
    b[H : 2 * H], W_x[H : 2 * H], W_s[H : 2 * H] = 40.0, 0.0, 0.0
    p = GRUParams(W_x, W_s, b, rng.normal(size=(K, H)), rng.normal(size=K))
    s0 = rng.normal(size=(B, H))
    trace = forward(p, rng.normal(size=(N, B, D)), "tanh", "sigmoid", s0=s0)
    assert (trace.gate("z") == 1.0).all()
    np.testing.assert_array_equal(trace.s, np.broadcast_to(s0, trace.s.shape))
    res = backward(p, trace, rng.uniform(size=(B, K)), jacobians=True)
    np.testing.assert_array_equal(res.state_grad_norms, np.full(N, res.state_grad_norms[-1]))
    assert np.linalg.norm(res.s0_grad) == res.state_grad_norms[-1]
    assert not res.grads.W_s.any() and not res.grads.W_x.any() and not res.grads.b.any()  # nothing to learn
    np.testing.assert_array_equal(res.log.jacobian_norms, np.ones(N))  # ds(n)/ds(n-1) = I
    np.testing.assert_allclose(res.log.product_norms, np.ones(N + 1), rtol=1e-14)


# the forward steps, one sample and one equation at a time ------------------------------------------------------


def lstm_loop(p, x, s0, c0):
    N, B, _ = x.shape
    H = p.H
    S, C = np.zeros((N + 1, B, H)), np.zeros((N + 1, B, H))
    for j in range(B):
        s, c = s0[j], c0[j]
        S[0, j], C[0, j] = s, c
        for n in range(N):
            a = p.W_x @ x[n, j] + p.W_s @ s + p.b
            i, f, g, o = sigmoid(a[:H]), sigmoid(a[H : 2 * H]), np.tanh(a[2 * H : 3 * H]), sigmoid(a[3 * H :])
            c = f * c + i * g
            s = o * np.tanh(c)
            S[n + 1, j], C[n + 1, j] = s, c
    return S, C


def gru_loop(p, x, s0):
    N, B, _ = x.shape
    H = p.H
    S = np.zeros((N + 1, B, H))
    W_xr, W_xz, W_xg = p.W_x[:H], p.W_x[H : 2 * H], p.W_x[2 * H :]
    W_sr, W_sz, W_sg = p.W_s[:H], p.W_s[H : 2 * H], p.W_s[2 * H :]
    b_r, b_z, b_g = p.b[:H], p.b[H : 2 * H], p.b[2 * H :]
    for j in range(B):
        s = s0[j]
        S[0, j] = s
        for n in range(N):
            r = sigmoid(W_xr @ x[n, j] + W_sr @ s + b_r)
            z = sigmoid(W_xz @ x[n, j] + W_sz @ s + b_z)
            g = np.tanh(W_xg @ x[n, j] + b_g + r * (W_sg @ s))
            s = (1 - z) * g + z * s
            S[n + 1, j] = s
    return S


@pytest.mark.parametrize("cell", sorted(GATED))
def test_forward_against_per_sample_loops(cell):
    params, x, _, s0, c0 = make_case(cell, 11)
    trace = forward(params, x, "tanh", "linear", s0, c0)
    if cell == "lstm":
        S, C = lstm_loop(params, x, s0, c0)
        np.testing.assert_allclose(trace.c, C, rtol=1e-13, atol=1e-15)
    else:
        S = gru_loop(params, x, s0)
    np.testing.assert_allclose(trace.s, S, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(trace.y, trace.s[1:] @ params.W_y.T + params.b_y, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(trace.a, trace.preact[:, :, 2 * params.H : 3 * params.H])  # a = a_g
    assert trace.gates.shape == trace.preact.shape == (x.shape[0], x.shape[1], params.G * params.H)


# the Jacobian log --------------------------------------------------------------------------------------------


def state_of(trace, n, j):
    """The recurrent state after step n for sample j: (s, c) for the LSTM, s for the GRU."""
    return trace.s[n, j] if trace.c is None else np.concatenate([trace.s[n, j], trace.c[n, j]])


def run_from(params, x, n, state, H, lstm):
    """The state after step N starting from `state` after step n, for every sample (state (B, S))."""
    if n == x.shape[0]:
        return state
    s, c = (state[:, :H], state[:, H:]) if lstm else (state, None)
    tr = forward(params, x[n:], "tanh", "linear", s, c)
    return tr.s[-1] if not lstm else np.concatenate([tr.s[-1], tr.c[-1]], axis=1)


@pytest.mark.parametrize("cell", sorted(GATED))
@pytest.mark.parametrize("sample", [0, 2])
def test_jacobian_norms_against_finite_differences(cell, sample):
    """||J(n)||_2 and ||d state(N)/d state(n)||_2, with the state (s, c) for the LSTM and s for the GRU."""
    params, x, target, s0, c0 = make_case(cell, 13)
    N, H, lstm = x.shape[0], params.H, cell == "lstm"
    trace = forward(params, x, "tanh", "sigmoid", s0, c0)
    res = backward(params, trace, target, jacobians=True, sample=sample)
    size = 2 * H if lstm else H
    assert res.log.sample == sample and res.log.jacobian_norms.shape == (N,)
    full = np.stack([np.stack([state_of(trace, n, j) for j in range(x.shape[1])]) for n in range(N + 1)])
    for n in range(N + 1):
        J = np.zeros((size, size))  # d state(N) / d state(n), column by column
        for i in range(size):
            ends = []
            for sign in (1.0, -1.0):
                start = full[n].copy()
                start[sample, i] += sign * 1e-6
                ends.append(run_from(params, x, n, start, H, lstm)[sample])
            J[:, i] = (ends[0] - ends[1]) / 2e-6
        assert res.log.product_norms[n] == pytest.approx(np.linalg.norm(J, 2), rel=1e-6), n
        if n == N - 1:  # one step: J(N)
            assert res.log.jacobian_norms[N - 1] == pytest.approx(np.linalg.norm(J, 2), rel=1e-6)
    direct = trace.gate("f" if lstm else "z")[:, sample]  # (N, H)
    np.testing.assert_allclose(res.log.direct_norms, direct.max(axis=1), rtol=1e-15)
    products = [np.prod(direct[n:], axis=0).max() for n in range(N)] + [1.0]
    np.testing.assert_allclose(res.log.direct_product_norms, products, rtol=1e-13)


def test_elman_has_no_direct_term():
    from tests.test_gradients import make_case as elman_case

    params, x, target, s0 = elman_case(1, "tanh", "last")
    res = backward(params, forward(params, x, s0=s0), target, jacobians=True)
    assert res.log.direct_norms is None and res.log.direct_product_norms is None and res.log.cell_grad is None
    assert res.log.gate_stats is None and res.log.block_grad is None
