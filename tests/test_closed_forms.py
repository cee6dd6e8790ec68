"""The engine against results written out by hand.

- the seed's one-step bird classifier: h1 = tanh(W_hh h0 + W_xh x), y = sigmoid(W_hy h1),
  L = sum_i (y_i - t_i)^2, with dL/dW_hy, dL/dW_hh, dL/dW_xh by the chain rule;
- a linear RNN with W_s = lambda I: ||dL/ds(n)|| = lambda^(N-n) ||dL/ds(N)||, ||ds(N)/ds(n)|| = lambda^(N-n);
- for tanh / sigmoid: ||ds(N)/ds(n)||_2 <= (kappa sigma_max(W_s))^(N-n), against explicit Jacobian products;
- the forward recurrence and every loss against plain loops and textbook formulas.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnn_engine import ACTIVATIONS, LOSSES, OUTPUTS, READOUTS, Params, backward, forward


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


PHI = {  # phi and phi', written independently of rnn_engine.activations
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": (sigmoid, lambda a: sigmoid(a) * (1.0 - sigmoid(a))),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
    "leaky_relu": (lambda a: np.where(a > 0, a, 0.01 * a), lambda a: np.where(a > 0, 1.0, 0.01)),
}
KAPPA = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0, "leaky_relu": 1.0}  # max phi'


# The seed example -------------------------------------------------------------------------


def test_seed_one_step_example_by_hand():
    """N = 1, b = 0, b_y = 0, output sigmoid, loss sse, readout last; gradients summed over the batch."""
    rng = np.random.default_rng(1)
    Bn, Dn, Hn, Kn = 5, 6, 4, 2
    W_xh, W_hh, W_hy = rng.normal(size=(Hn, Dn)), rng.normal(size=(Hn, Hn)), rng.normal(size=(Kn, Hn))
    X = rng.normal(size=(Bn, Dn))  # one image feature vector x per sample
    H0 = rng.normal(size=(Bn, Hn))  # h0 per sample (non-zero, so that dL/dW_hh is too)
    T = rng.integers(0, 2, size=(Bn, Kn)).astype(float)  # bird / not bird

    L = 0.0
    dW_hy, dW_hh, dW_xh = np.zeros((Kn, Hn)), np.zeros((Hn, Hn)), np.zeros((Hn, Dn))
    for x, h0, t in zip(X, H0, T, strict=True):
        h1 = np.tanh(W_hh @ h0 + W_xh @ x)  # (H,)
        y = sigmoid(W_hy @ h1)  # (K,)
        L += np.sum((y - t) ** 2)
        dL_dy = 2.0 * (y - t)  # dL_i/dy_i
        dL_dz = dL_dy * y * (1.0 - y)  # sigmoid' = y (1 - y)
        dW_hy += np.outer(dL_dz, h1)  # dL/dW_hy = dL/dz h1^T
        dL_dh1 = W_hy.T @ dL_dz
        dL_da = dL_dh1 * (1.0 - h1**2)  # tanh' = 1 - h1^2
        dW_hh += np.outer(dL_da, h0)  # dL/dW_hh = dL/da h0^T
        dW_xh += np.outer(dL_da, x)  # dL/dW_xh = dL/da x^T

    params = Params(W_x=W_xh, W_s=W_hh, b=np.zeros(Hn), W_y=W_hy, b_y=np.zeros(Kn))
    trace = forward(params, X[None], "tanh", "sigmoid", s0=H0)
    res = backward(params, trace, T, "sse", "last")
    assert res.loss == pytest.approx(L, rel=1e-12)
    np.testing.assert_allclose(res.grads.W_y, dW_hy, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.grads.W_s, dW_hh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.grads.W_x, dW_xh, rtol=1e-12, atol=1e-12)


# Linear RNN, W_s = lambda I ------------------------------------------------------------------


def linear_case(lam, N=30, B=3, D=2, H=4, K=3, seed=0):
    rng = np.random.default_rng(seed)
    params = Params(
        W_x=rng.normal(size=(H, D)), W_s=lam * np.eye(H), b=rng.normal(size=H),
        W_y=rng.normal(size=(K, H)), b_y=rng.normal(size=K),
    )
    x = rng.normal(size=(N, B, D))  # (N, B, D)
    trace = forward(params, x, "linear", "linear", s0=rng.normal(size=(B, H)))
    return params, trace, rng.normal(size=(B, K))


@pytest.mark.parametrize("lam", [0.5, 1.0, 1.5])
def test_linear_rnn_state_gradient_is_geometric(lam):
    """dL/ds(n) = W_s^T dL/ds(n+1) = lambda dL/ds(n+1) with the loss at the last step only."""
    N = 30
    params, trace, target = linear_case(lam, N)
    res = backward(params, trace, target, "sse", "last", jacobians=True)
    n = np.arange(1, N + 1)
    np.testing.assert_allclose(res.state_grad_norms, lam ** (N - n) * res.state_grad_norms[-1], rtol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(res.s0_grad), lam**N * res.state_grad_norms[-1], rtol=1e-10)
    np.testing.assert_allclose(res.log.jacobian_norms, np.full(N, lam), rtol=1e-10)
    np.testing.assert_allclose(res.log.product_norms, lam ** (N - np.arange(N + 1)), rtol=1e-10)


def jacobian_matrices(params, trace, sample, activation):
    """J(n) = ds(n)/ds(n-1) = diag(phi'(a(n))) W_s for n = 1..N, one sample."""
    dphi = PHI[activation][1]
    return [np.diag(dphi(trace.a[n, sample])) @ params.W_s for n in range(trace.N)]


@pytest.mark.parametrize("activation", list(PHI))
@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_jacobian_norms_obey_the_bound(activation, scale, seed):
    """||ds(n)/ds(n-1)||_2 <= kappa sigma_max(W_s) and ||ds(N)/ds(n)||_2 <= (kappa sigma_max)^(N-n)."""
    assert ACTIVATIONS[activation].kappa == KAPPA[activation]
    rng = np.random.default_rng([seed, int(scale * 10)])
    N, B, D, H, K = 20, 2, 3, 5, 2
    params = Params(
        W_x=rng.normal(size=(H, D)), W_s=rng.normal(scale=scale / np.sqrt(H), size=(H, H)),
        b=rng.normal(size=H), W_y=rng.normal(size=(K, H)), b_y=rng.normal(size=K),
    )
    trace = forward(params, rng.normal(size=(N, B, D)), activation, "sigmoid")
    res = backward(params, trace, rng.uniform(size=(B, K)), jacobians=True, sample=1)
    bound = KAPPA[activation] * np.linalg.svd(params.W_s, compute_uv=False)[0]
    assert res.log.jacobian_norms.shape == (N,) and res.log.product_norms.shape == (N + 1,)
    assert res.log.sample == 1
    assert np.all(res.log.jacobian_norms <= bound * (1 + 1e-9))
    assert np.all(res.log.product_norms <= bound ** (N - np.arange(N + 1)) * (1 + 1e-9))


@pytest.mark.parametrize("activation", sorted(PHI))
@pytest.mark.parametrize("sample", [0, 2])
def test_product_norms_against_explicit_jacobian_products(activation, sample):
    rng = np.random.default_rng(5)
    N, B, D, H, K = 6, 3, 2, 4, 2
    params = Params(
        W_x=rng.normal(size=(H, D)), W_s=rng.normal(size=(H, H)), b=rng.normal(size=H),
        W_y=rng.normal(size=(K, H)), b_y=rng.normal(size=K),
    )
    trace = forward(params, rng.normal(size=(N, B, D)), activation, "linear", s0=rng.normal(size=(B, H)))
    res = backward(params, trace, rng.normal(size=(B, K)), jacobians=True, sample=sample)
    J = jacobian_matrices(params, trace, sample, activation)
    P = np.eye(H)  # ds(N)/ds(N)
    expected = [1.0]
    for n in range(N, 0, -1):
        P = P @ J[n - 1]  # ds(N)/ds(n-1) = J(N) ... J(n)
        expected.append(np.linalg.norm(P, 2))
    np.testing.assert_allclose(res.log.product_norms, expected[::-1], rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(res.log.jacobian_norms, [np.linalg.norm(j, 2) for j in J], rtol=1e-10)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_jacobian_product_against_finite_differences(activation):
    """ds(N)/ds(n) column i = (s(N)|s(n) + eps e_i - s(N)|s(n) - eps e_i) / (2 eps), rerunning from step n+1."""
    rng = np.random.default_rng(9)
    N, B, D, H, K, n, sample = 5, 2, 2, 3, 2, 1, 1
    params = Params(
        W_x=rng.normal(size=(H, D)), W_s=rng.normal(size=(H, H)), b=rng.normal(size=H),
        W_y=rng.normal(size=(K, H)), b_y=rng.normal(size=K),
    )
    x = rng.normal(size=(N, B, D))
    trace = forward(params, x, activation, "linear")
    P = np.eye(H)
    for J in jacobian_matrices(params, trace, sample, activation)[n:][::-1]:
        P = P @ J  # ds(N)/ds(n)
    num = np.zeros((H, H))
    for i in range(H):
        ends = []
        for sign in (1.0, -1.0):
            s_n = trace.s[n].copy()
            s_n[sample, i] += sign * 1e-6
            ends.append(forward(params, x[n:], activation, "linear", s_n).s[-1, sample])
        num[:, i] = (ends[0] - ends[1]) / 2e-6
    np.testing.assert_allclose(P, num, rtol=1e-7, atol=1e-9)
    res = backward(params, trace, np.zeros((B, K)), jacobians=True, sample=sample)
    assert res.log.product_norms[n] == pytest.approx(np.linalg.norm(num, 2), rel=1e-7)


# Forward and the losses against plain loops and textbook formulas ------------------------------


def reference_forward(params, x, activation, output, s0):
    """min-char-rnn style: one sample, one step at a time."""
    phi = PHI[activation][0]
    N, B, _ = x.shape
    S, Y = np.zeros((N + 1, B, params.H)), np.zeros((N, B, params.K))
    for i in range(B):
        s = s0[i]
        S[0, i] = s
        for n in range(N):
            s = phi(params.W_x @ x[n, i] + params.W_s @ s + params.b)
            S[n + 1, i] = s
            z = params.W_y @ s + params.b_y
            Y[n, i] = {"sigmoid": sigmoid(z), "linear": z, "softmax": np.exp(z) / np.exp(z).sum()}[output]
    return S, Y


def reference_loss(y, t, loss, M):
    """y, t: the read-out rows; M = samples x read-out steps."""
    if loss == "sse":
        return np.sum((y - t) ** 2)
    if loss == "mse":
        return np.mean((y - t) ** 2)
    if loss == "bce":
        return -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)) / M
    return -np.sum(t * np.log(y)) / M


COMBOS = [
    (a, o, loss, r)
    for a, o, loss, r in itertools.product(sorted(PHI), OUTPUTS, LOSSES, READOUTS)
    if not (loss in ("bce", "ce") and o == "linear")
]


@pytest.mark.parametrize("activation, output, loss, readout", COMBOS)
def test_forward_and_loss_against_loops(activation, output, loss, readout):
    rng = np.random.default_rng(11)
    N, B, D, H, K = 3, 2, 2, 3, 3
    params = Params(
        W_x=rng.normal(size=(H, D)), W_s=rng.normal(size=(H, H)), b=rng.normal(size=H),
        W_y=rng.normal(size=(K, H)), b_y=rng.normal(size=K),
    )
    x, s0 = rng.normal(size=(N, B, D)), rng.normal(size=(B, H))
    trace = forward(params, x, activation, output, s0)
    S, Y = reference_forward(params, x, activation, output, s0)
    np.testing.assert_allclose(trace.s, S, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(trace.y, Y, rtol=1e-13, atol=1e-14)
    target = rng.uniform(size=(B, K) if readout == "last" else (N, B, K))
    res = backward(params, trace, target, loss, readout)
    y = Y[-1] if readout == "last" else Y
    assert res.loss == pytest.approx(reference_loss(y, target, loss, y.size // K), rel=1e-12)
