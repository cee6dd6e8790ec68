"""BPTT against centred finite differences, for every activation x output x loss x readout.

    dL/dtheta_i ~ (L(theta + eps e_i) - L(theta - eps e_i)) / (2 eps),   relative error < 1e-6

Truncated BPTT is checked against the finite differences of its surrogate L_k (see
rnn_engine/gradcheck.py); dL/ds(0) and dL/ds(n) against perturbed states.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnn_engine import ACTIVATIONS, LOSSES, OUTPUTS, READOUTS, Params, backward, forward, gradcheck
from rnn_engine.activations import readout as apply_readout
from rnn_engine.gradcheck import numerical_grads, relative_error, surrogate_loss
from rnn_engine.losses import loss_and_grad

N, B, D, H, K = 4, 3, 2, 4, 3
EPS = 1e-6
TOL = 1e-6
KINK = 1e-3  # every |a| stays this far from relu's kink, far beyond the eps perturbations

VALID = [
    (act, out, loss, ro)
    for act, out, loss, ro in itertools.product(sorted(ACTIVATIONS), OUTPUTS, LOSSES, READOUTS)
    if not (loss in ("bce", "ce") and out == "linear")
]
TRUNCATIONS = [1, 2, N - 1, N]


def make_case(seed, activation, readout, random_s0=True):
    """Params, x, target, s0 of the small sizes: every |a| at least KINK, every |z| below 4 (no saturation)."""
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        params = Params(
            W_x=rng.normal(scale=0.8, size=(H, D)),  # (H, D)
            W_s=rng.normal(scale=0.6, size=(H, H)),  # (H, H)
            b=rng.normal(scale=0.5, size=H),  # (H,)
            W_y=rng.normal(scale=0.6, size=(K, H)),  # (K, H)
            b_y=rng.normal(scale=0.5, size=K),  # (K,)
        )
        x = rng.normal(size=(N, B, D))  # (N, B, D)
        s0 = rng.normal(scale=0.5, size=(B, H)) if random_s0 else None  # (B, H)
        target = rng.uniform(size=(B, K) if readout == "last" else (N, B, K))
        trace = forward(params, x, activation, "linear", s0)
        if np.abs(trace.a).min() > KINK and np.abs(trace.z).max() < 4:
            return params, x, target, s0
    raise AssertionError("no case away from the kink")


def seed_of(*names) -> int:
    return sum(ord(c) * (i + 1) for i, c in enumerate("".join(map(str, names)))) % 10_000


def case_id(case) -> str:
    return "-".join(map(str, case))


@pytest.mark.parametrize("act, out, loss, ro", VALID, ids=[case_id(c) for c in VALID])
def test_full_bptt_matches_finite_differences(act, out, loss, ro):
    params, x, target, s0 = make_case(seed_of(act, out, loss, ro), act, ro)
    errors = gradcheck(params, x, target, act, out, loss, ro, s0=s0, eps=EPS)
    assert set(errors) == {"W_x", "W_s", "b", "W_y", "b_y"}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
@pytest.mark.parametrize("ro", READOUTS)
def test_zero_initial_state(act, ro):
    params, x, target, _ = make_case(seed_of(act, ro, "zero"), act, ro)
    errors = gradcheck(params, x, target, act, "sigmoid", "sse", ro, s0=None, eps=EPS)
    assert max(errors.values()) < TOL, errors


TRUNCATED = [c + (k,) for c in VALID for k in TRUNCATIONS]


@pytest.mark.parametrize("act, out, loss, ro, k", TRUNCATED, ids=[case_id(c) for c in TRUNCATED])
def test_truncated_bptt_matches_surrogate_finite_differences(act, out, loss, ro, k):
    params, x, target, s0 = make_case(seed_of(act, out, loss, ro, k), act, ro)
    errors = gradcheck(params, x, target, act, out, loss, ro, truncate=k, s0=s0, eps=EPS)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("ro", READOUTS)
@pytest.mark.parametrize("k", [1, 2, N - 1])
def test_truncation_really_differs_from_full_gradient(ro, k):
    """The surrogate is not L: truncated grads disagree with L's finite differences for k < N."""
    params, x, target, s0 = make_case(7, "tanh", ro)
    trace = forward(params, x, "tanh", "sigmoid", s0)
    res = backward(params, trace, target, "sse", ro, truncate=k)
    full = numerical_grads(params, x, target, "tanh", "sigmoid", "sse", ro, None, s0, EPS)
    assert relative_error(res.grads.W_s, full.W_s) > 1e-4
    # ... while the surrogate's value at theta is L itself (the frozen states are the true ones).
    assert surrogate_loss(params, x, target, "tanh", "sigmoid", "sse", ro, k, s0) == pytest.approx(res.loss, rel=1e-14)


@pytest.mark.parametrize("truncate", [None, N + 3])
def test_truncate_at_least_n_is_full_bptt(truncate):
    params, x, target, s0 = make_case(3, "tanh", "all")
    trace = forward(params, x, "tanh", "sigmoid", s0)
    full = backward(params, trace, target, "sse", "all")
    res = backward(params, trace, target, "sse", "all", truncate=truncate)
    assert res.grads == full.grads


@pytest.mark.parametrize("loss", ["bce", "ce"])
@pytest.mark.parametrize("ro", READOUTS)
@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_cross_entropy_with_linear_output_is_refused(act, ro, loss):
    params, x, target, s0 = make_case(1, act, ro)
    trace = forward(params, x, act, "linear", s0)
    with pytest.raises(ValueError, match="linear"):
        backward(params, trace, target, loss, ro)
    with pytest.raises(ValueError, match="linear"):
        gradcheck(params, x, target, act, "linear", loss, ro, s0=s0)


# dL/ds(0) and dL/ds(n) -------------------------------------------------------------------


def finite_difference(f, v: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Centred differences of the scalar f at every entry of v."""
    g = np.zeros(v.shape)
    for i in np.ndindex(v.shape):
        up, down = v.copy(), v.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
@pytest.mark.parametrize("ro", READOUTS)
@pytest.mark.parametrize("k", [None, 1, 2, N - 1])
def test_initial_state_gradient(act, ro, k):
    """res.s0_grad = dL_k/ds(0); zero when no loss term's window reaches step 1."""
    params, x, target, s0 = make_case(seed_of(act, ro, k, "s0"), act, ro)
    trace = forward(params, x, act, "sigmoid", s0)
    res = backward(params, trace, target, "sse", ro, truncate=k)
    frozen = trace.s  # (N+1, B, H) the states of the unperturbed run
    num = finite_difference(
        lambda v: surrogate_loss(params, x, target, act, "sigmoid", "sse", ro, k, v, frozen), s0
    )
    assert res.s0_grad.shape == (B, H)
    assert relative_error(res.s0_grad, num) < TOL
    if ro == "last" and k is not None and k < N:
        assert not res.s0_grad.any()
    else:
        assert np.abs(res.s0_grad).max() > 1e-6


def loss_given_state(params, x, target, act, out, loss, ro, trace, n, s_n) -> float:
    """L as a function of s(n) only: y(n) = g(W_y s(n) + b_y), then the recurrence rerun from step n+1."""
    z = trace.z.copy()  # (N, B, K); steps before n do not depend on s(n)
    z[n - 1] = s_n @ params.W_y.T + params.b_y
    if n < N:
        z[n:] = forward(params, x[n:], act, out, s_n).z
    rows = z[-1:] if ro == "last" else z  # (M, B, K)
    y = apply_readout(rows, out)
    L, _ = loss_and_grad(rows.reshape(-1, K), y.reshape(-1, K), target.reshape(-1, K), loss, out)
    return L


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
@pytest.mark.parametrize("ro", READOUTS)
@pytest.mark.parametrize("out, loss", [("sigmoid", "sse"), ("softmax", "ce"), ("linear", "mse")])
def test_state_gradient_norms(act, ro, out, loss):
    """log.state_grad = res.state_grad_norms, entry n-1 = ||dL/ds(n)|| (total derivative)."""
    params, x, target, s0 = make_case(seed_of(act, ro, out, "state"), act, ro)
    trace = forward(params, x, act, out, s0)
    res = backward(params, trace, target, loss, ro)
    np.testing.assert_array_equal(res.log.state_grad, res.state_grad_norms)
    assert res.state_grad_norms.shape == (N,)
    for n in (1, 2, N):
        num = finite_difference(
            lambda v, n=n: loss_given_state(params, x, target, act, out, loss, ro, trace, n, v), trace.s[n]
        )
        np.testing.assert_allclose(res.state_grad_norms[n - 1], np.linalg.norm(num), rtol=TOL)
    # s(0) is the state before step 1: its gradient continues the same recursion
    np.testing.assert_allclose(
        np.linalg.norm(res.s0_grad),
        np.linalg.norm(finite_difference(lambda v: surrogate_loss(params, x, target, act, out, loss, ro, None, v), s0)),
        rtol=TOL,
    )


@pytest.mark.parametrize("out, loss", [("softmax", "bce"), ("softmax", "ce"), ("sigmoid", "bce"), ("softmax", "sse")])
def test_saturated_read_out(out, loss):
    """|z| ~ 30: y_k = 1 to machine precision, yet the gradient stays exact (no cancellation of y/(1-y))."""
    params, x, target, s0 = make_case(2, "tanh", "last")
    params = params.replace(W_y=params.W_y * 20.0, b_y=np.array([30.0, -5.0, 0.0]))
    trace = forward(params, x, "tanh", out, s0)
    assert np.abs(trace.z).max() > 25
    errors = gradcheck(params, x, target, "tanh", out, loss, "last", s0=s0, eps=EPS)
    assert max(errors.values()) < TOL, errors
