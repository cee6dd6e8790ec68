"""LSTM and GRU BPTT against centred finite differences (relative error < 1e-6), for every read-out x loss x
readout mode, every activation phi, truncated BPTT (its surrogate L_k, rnn_engine/gradcheck.py) and s0, c0
given; dL/ds(0), dL/dc(0); the logged norms against finite differences of L with respect to the states."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnn_engine import ACTIVATIONS, LOSSES, OUTPUTS, READOUTS, backward, forward, gradcheck
from rnn_engine.activations import readout as apply_readout
from rnn_engine.gradcheck import numerical_grads, relative_error, surrogate_loss
from rnn_engine.losses import loss_and_grad
from tests.gated_cases import GATED, B, H, K, N, make_case, seed_of
from tests.test_gradients import finite_difference

EPS = 1e-6
TOL = 1e-6
CELLS = sorted(GATED)
VALID = [(cell, out, loss, ro) for cell, out, loss, ro in itertools.product(CELLS, OUTPUTS, LOSSES, READOUTS)
         if not (loss in ("bce", "ce") and out == "linear")]


def ids(cases):
    return ["-".join(map(str, c)) for c in cases]


@pytest.mark.parametrize("cell, out, loss, ro", VALID, ids=ids(VALID))
def test_full_bptt_matches_finite_differences(cell, out, loss, ro):
    params, x, target, s0, c0 = make_case(cell, seed_of(cell, out, loss, ro), readout=ro)
    errors = gradcheck(params, x, target, "tanh", out, loss, ro, s0=s0, eps=EPS, c0=c0)
    assert set(errors) == {"W_x", "W_s", "b", "W_y", "b_y"}
    assert max(errors.values()) < TOL, errors


ACTS = [(cell, act, ro) for cell in CELLS for act in sorted(ACTIVATIONS) for ro in READOUTS]


@pytest.mark.parametrize("cell, act, ro", ACTS, ids=ids(ACTS))
def test_every_activation_for_phi(cell, act, ro):
    params, x, target, s0, c0 = make_case(cell, seed_of(cell, act, ro), act, ro)
    errors = gradcheck(params, x, target, act, "sigmoid", "sse", ro, s0=s0, eps=EPS, c0=c0)
    assert max(errors.values()) < TOL, errors


TRUNCATED = [(cell, out, loss, ro, k) for cell, out, loss, ro in VALID if out != "linear" or loss == "mse"
             for k in (1, 2, N - 1)]


@pytest.mark.parametrize("cell, out, loss, ro, k", TRUNCATED, ids=ids(TRUNCATED))
def test_truncated_bptt_matches_surrogate_finite_differences(cell, out, loss, ro, k):
    params, x, target, s0, c0 = make_case(cell, seed_of(cell, out, loss, ro, k), readout=ro)
    errors = gradcheck(params, x, target, "tanh", out, loss, ro, truncate=k, s0=s0, eps=EPS, c0=c0)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("ro", READOUTS)
def test_zero_initial_state(cell, ro):
    params, x, target, _, _ = make_case(cell, seed_of(cell, ro, "zero"), readout=ro, random_s0=False)
    errors = gradcheck(params, x, target, "tanh", "sigmoid", "sse", ro, eps=EPS)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("ro", READOUTS)
@pytest.mark.parametrize("k", [1, 2, N - 1])
def test_truncation_really_differs_from_full_gradient(cell, ro, k):
    params, x, target, s0, c0 = make_case(cell, 7, readout=ro)
    trace = forward(params, x, "tanh", "sigmoid", s0, c0)
    res = backward(params, trace, target, "sse", ro, truncate=k)
    full = numerical_grads(params, x, target, "tanh", "sigmoid", "sse", ro, None, s0, EPS, c0)
    assert relative_error(res.grads.W_s, full.W_s) > 1e-4
    value = surrogate_loss(params, x, target, "tanh", "sigmoid", "sse", ro, k, s0, c0=c0)
    assert value == pytest.approx(res.loss, rel=1e-14)


# dL/ds(0), dL/dc(0) and the logged state norms ---------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("ro", READOUTS)
@pytest.mark.parametrize("k", [None, 1, 2, N - 1])
def test_initial_state_gradients(cell, ro, k):
    """res.s0_grad = dL_k/ds(0) and (LSTM) res.c0_grad = dL_k/dc(0); zero when no window reaches step 1."""
    params, x, target, s0, c0 = make_case(cell, seed_of(cell, ro, k, "s0"), readout=ro)
    trace = forward(params, x, "tanh", "sigmoid", s0, c0)
    res = backward(params, trace, target, "sse", ro, truncate=k)
    frozen, frozen_c = trace.s, trace.c

    def L(s0_, c0_):
        return surrogate_loss(params, x, target, "tanh", "sigmoid", "sse", ro, k, s0_, frozen, c0_, frozen_c)

    grads = {"s0": (res.s0_grad, finite_difference(lambda v: L(v, c0), s0))}
    if cell == "lstm":
        grads["c0"] = (res.c0_grad, finite_difference(lambda v: L(s0, v), c0))
    else:
        assert res.c0_grad is None
    for name, (got, num) in grads.items():
        assert got.shape == (B, H), name
        assert relative_error(got, num) < TOL, name
        if ro == "last" and k is not None and k < N:
            assert not got.any(), name
        else:
            assert np.abs(got).max() > 1e-6, name


def loss_given_state(params, x, target, out, loss, ro, trace, n, s_n, c_n=None) -> float:
    """L as a function of s(n) (and, LSTM, c(n)) only: y(n) = g(W_y s(n) + b_y), then the cell rerun from n+1."""
    z = trace.z.copy()  # (N, B, K); steps before n do not depend on s(n)
    z[n - 1] = s_n @ params.W_y.T + params.b_y
    if n < N:
        z[n:] = forward(params, x[n:], "tanh", out, s_n, c_n).z
    rows = z[-1:] if ro == "last" else z  # (M, B, K)
    y = apply_readout(rows, out)
    value, _ = loss_and_grad(rows.reshape(-1, K), y.reshape(-1, K), target.reshape(-1, K), loss, out)
    return value


def lstm_loss_given_cell(params, x, target, out, loss, ro, trace, n, c_n) -> float:
    """L as a function of c(n): s(n) = o(n) * phi(c(n)) with o(n) fixed, then rerun from step n+1."""
    s_n = trace.gate("o")[n - 1] * np.tanh(c_n)
    return loss_given_state(params, x, target, out, loss, ro, trace, n, s_n, c_n)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("ro", READOUTS)
@pytest.mark.parametrize("out, loss", [("sigmoid", "sse"), ("softmax", "ce"), ("linear", "mse")])
def test_logged_norms_are_norms_of_finite_difference_gradients(cell, ro, out, loss):
    """log.state_grad (= res.state_grad_norms) = ||dL/ds(n)||, log.unit_grad the RMS over the batch of
    dL/ds_i(n), log.cell_grad = ||dL/dc(n)|| (LSTM; None for the GRU): total derivatives."""
    params, x, target, s0, c0 = make_case(cell, seed_of(cell, ro, out, "state"), readout=ro)
    trace = forward(params, x, "tanh", out, s0, c0)
    res = backward(params, trace, target, loss, ro)
    np.testing.assert_array_equal(res.log.state_grad, res.state_grad_norms)
    assert res.state_grad_norms.shape == (N,) and res.log.unit_grad.shape == (N, H)
    for n in range(1, N + 1):
        c_n = None if trace.c is None else trace.c[n]
        num = finite_difference(
            lambda v, n=n, c_n=c_n: loss_given_state(params, x, target, out, loss, ro, trace, n, v, c_n), trace.s[n])
        np.testing.assert_allclose(res.state_grad_norms[n - 1], np.linalg.norm(num), rtol=TOL)
        np.testing.assert_allclose(res.log.unit_grad[n - 1], np.sqrt(np.mean(num**2, axis=0)), rtol=1e-5, atol=1e-9)
        if cell == "lstm":
            num_c = finite_difference(
                lambda v, n=n: lstm_loss_given_cell(params, x, target, out, loss, ro, trace, n, v), trace.c[n])
            np.testing.assert_allclose(res.log.cell_grad[n - 1], np.linalg.norm(num_c), rtol=TOL)
    if cell == "gru":
        assert res.log.cell_grad is None


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("out, loss", [("softmax", "bce"), ("sigmoid", "bce"), ("softmax", "ce")])
def test_saturated_read_out(cell, out, loss):
    """|z| ~ 30: y_k = 1 to machine precision, yet the cross-entropy gradients stay exact (with sse they fall
    to the finite differences' noise floor: |s| < 1 keeps these states small)."""
    params, x, target, s0, c0 = make_case(cell, 2)
    params = params.replace(W_y=params.W_y * 20.0, b_y=np.array([30.0, -5.0, 0.0]))
    trace = forward(params, x, "tanh", out, s0, c0)
    assert np.abs(trace.z).max() > 25
    errors = gradcheck(params, x, target, "tanh", out, loss, "last", s0=s0, eps=EPS, c0=c0)
    assert max(errors.values()) < TOL, errors
