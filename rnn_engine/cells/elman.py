"""The Elman cell, forward step and backward step side by side.

    forward   a(n) = W_x x(n) + W_s s(n-1) + b,   s(n) = phi(a(n))
    backward  delta(n) = dL/da(n) = phi'(a(n)) * dL/ds(n),   dL/ds(n-1) <- W_s^T delta(n)
    Jacobian  ds(n)/ds(n-1) = diag(phi'(a(n))) W_s
"""
from __future__ import annotations

import numpy as np

from rnn_engine.activations import get_activation
from rnn_engine.cells import Back, Cell, matmul_rows
from rnn_engine.scratch import scratch


def forward(params, a, s, phi, c0):
    """a(n) += W_s s(n-1) in place, then s(n) = phi(a(n)): three calls per step, none of which allocates."""
    W_sT = np.ascontiguousarray(params.W_s.T)  # (H, H) contiguous: BLAS is faster than on the transposed view
    recurrent = np.empty(s.shape[1:])  # (B, H) W_s s(n-1), one buffer for every step

    def step(n):
        np.matmul(s[n], W_sT, out=recurrent)
        np.add(a[n], recurrent, out=a[n])
        phi(a[n], out=s[n + 1])

    return step, {"a": a}


def backward(params, trace) -> Back:
    """phi'(a(n)) for every step at once; the step: delta(n) = phi'(a(n)) * dL/ds(n), rec = W_s^T delta(n)."""
    dphi = get_activation(trace.activation).dphi(trace.a, trace.s[1:], out=scratch("elman phi'", trace.a.shape))
    W_s = params.W_s

    def step(n, dLds, carried, delta_x, delta_s, rec, dLdc, carry):
        np.multiply(dphi[n], dLds, out=delta_x)
        if rec is not None:
            matmul_rows(delta_x, W_s, rec)

    return Back(step=step, state_size=params.H, direct=None, factors={"dphi": dphi}, factors_size=params.H)


def jacobians(params, trace, back: Back, sample: int, lo: int, hi: int) -> np.ndarray:
    """ds(n)/ds(n-1) = diag(phi'(a(n))) W_s for code steps lo..hi-1 of one sample: (hi - lo, H, H)."""
    return back.factors["dphi"][lo:hi, sample, :, None] * params.W_s


CELL = Cell("elman", forward, backward, jacobians)
