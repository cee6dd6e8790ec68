"""The per-step gradient log against explicit per-step products: step n's share of each weight gradient.

    dL/dW_s = sum_n delta(n) s(n-1)^T,  dL/dW_x = sum_n delta(n) x(n)^T,  dL/db = sum_n delta(n)
"""
import importlib

import numpy as np
import pytest

from rnn_engine import Params, backward, forward


# Both ways of measuring the shares: from B x B Gram matrices when the batch is small against H and D
# ((1, 8, 3): W_s; (1, 4, 300): W_x), else from the per-step products themselves, one step per chunk
# or several (chunk = CHUNK_ELEMENTS // (H D)).
@pytest.mark.parametrize("B,H,D,chunk_elements", [(2, 6, 3, 2**18), (40, 3, 2, 2**18), (1, 8, 3, 2**18),
                                                  (1, 4, 300, 2**18), (16, 16, 16, 16 * 16 * 3), (3, 5, 2, 1)])
@pytest.mark.parametrize("readout", ["last", "all"])
def test_step_contributions_are_the_norms_of_the_explicit_outer_products(B, H, D, chunk_elements, readout, monkeypatch):
    monkeypatch.setattr(importlib.import_module("rnn_engine.backward"), "CHUNK_ELEMENTS", chunk_elements)
    rng = np.random.default_rng(B * H + D)
    N, K = 7, 2
    p = Params(rng.normal(size=(H, D)) / np.sqrt(D), rng.normal(size=(H, H)) / np.sqrt(H), rng.normal(size=H),
               rng.normal(size=(K, H)), rng.normal(size=K))
    x = rng.normal(size=(N, B, D))  # (N, B, D)
    t = rng.uniform(size=(B, K) if readout == "last" else (N, B, K))
    trace = forward(p, x, "tanh", "sigmoid")
    res = backward(p, trace, t, "sse", readout)
    # delta(n) from dL/ds(n) and phi'(a(n)) = 1 - s(n)^2, written out again here
    ds = np.zeros((B, H))
    deltas = np.zeros((N, B, H))  # (N, B, H)
    for n in range(N - 1, -1, -1):
        dz = np.zeros((B, K))
        if readout == "all" or n == N - 1:
            y = trace.y[n]
            tn = t if readout == "last" else t[n]
            dz = 2 * (y - tn) * y * (1 - y)
        ds = ds + dz @ p.W_y
        deltas[n] = (1 - trace.s[n + 1] ** 2) * ds
        ds = deltas[n] @ p.W_s
    W_s_share = [np.linalg.norm(deltas[n].T @ trace.s[n]) for n in range(N)]
    W_x_share = [np.linalg.norm(deltas[n].T @ x[n]) for n in range(N)]
    b_share = [np.linalg.norm(deltas[n].sum(axis=0)) for n in range(N)]
    np.testing.assert_allclose(res.log.W_s_contrib, W_s_share, rtol=1e-10)
    np.testing.assert_allclose(res.log.W_x_contrib, W_x_share, rtol=1e-10)
    np.testing.assert_allclose(res.log.b_contrib, b_share, rtol=1e-10)
    np.testing.assert_allclose(res.log.preact_grad, np.linalg.norm(deltas.reshape(N, -1), axis=1), rtol=1e-10)
    # the shares add up to the gradient itself
    np.testing.assert_allclose(sum(deltas[n].T @ trace.s[n] for n in range(N)), res.grads.W_s, rtol=1e-10, atol=1e-14)


def test_without_contributions_the_gradients_and_state_norms_are_the_same():
    """contributions=False (what training asks for) changes nothing but the three shares, which are None."""
    rng = np.random.default_rng(5)
    N, B, H, D, K = 9, 24, 10, 3, 2
    p = Params(rng.normal(size=(H, D)), rng.normal(size=(H, H)) / np.sqrt(H), rng.normal(size=H),
               rng.normal(size=(K, H)), rng.normal(size=K))
    trace = forward(p, rng.normal(size=(N, B, D)), "tanh", "sigmoid")
    t = rng.uniform(size=(B, K))
    full, lean = backward(p, trace, t), backward(p, trace, t, contributions=False)
    for (_, a), (_, b) in zip(full.grads.items(), lean.grads.items(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(full.state_grad_norms, lean.state_grad_norms)
    np.testing.assert_array_equal(full.log.preact_grad, lean.log.preact_grad)
    assert full.log.W_s_contrib is not None
    assert lean.log.W_s_contrib is None and lean.log.W_x_contrib is None and lean.log.b_contrib is None
