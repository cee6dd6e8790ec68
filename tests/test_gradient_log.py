"""The per-step gradient log against explicit per-step products: step n's share of each weight gradient.

    dL/dW_s = sum_n delta(n) s(n-1)^T,  dL/dW_x = sum_n delta(n) x(n)^T,  dL/db = sum_n delta(n)
"""
import numpy as np
import pytest

from rnn_engine import Params, backward, forward


@pytest.mark.parametrize("B,H,D", [(2, 6, 3), (40, 3, 2), (3, 4, 300), (16, 16, 16)])  # both branches of the log
@pytest.mark.parametrize("readout", ["last", "all"])
def test_step_contributions_are_the_norms_of_the_explicit_outer_products(B, H, D, readout):
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
