"""The unfolded graph's edge gradients from one BPTT run at θ(0): what the graph page (and a lecture step) draws.

    recurrent(n) = ‖∂L/∂s(n−1)‖,   readout(n) = ‖W_yᵀ ∂ℓ_n/∂z(n)‖ where a loss term is read at step n
"""
from __future__ import annotations

import numpy as np

from dashboard import compute
from dashboard.config import Experiment
from dashboard.figures.graph import EdgeGradients
from rnn_engine.losses import loss_and_grad


def readout_grad_norms(exp: Experiment, s: compute.Setup, trace) -> np.ndarray:
    """(N,) ||W_y^T dl_n/dz(n)|| (Frobenius over the batch) where a loss term is read, NaN elsewhere."""
    N, p = exp.N, s.params
    x, t = compute.batch(s.train, exp.batch)
    B, K = trace.y.shape[1], trace.y.shape[2]
    if s.train.readout == "last":
        _, dz = loss_and_grad(trace.z[-1], trace.y[-1], t, s.loss, s.output)  # (B, K)
        out = np.full(N, np.nan)
        out[-1] = np.linalg.norm(dz @ p.W_y)
        return out
    _, dz = loss_and_grad(trace.z.reshape(N * B, K), trace.y.reshape(N * B, K), t.reshape(N * B, K), s.loss, s.output)
    direct = (dz @ p.W_y).reshape(N, B, -1)  # (N, B, H) dl_n/ds(n)
    return np.sqrt(np.einsum("nbh,nbh->n", direct, direct))


def edge_gradients(exp: Experiment) -> EdgeGradients:
    """Every edge's gradient for the graph at θ(0) (compute.setup and compute.gradients raise ValueError on a bad
    setting)."""
    s = compute.setup(exp)
    trace, res = compute.gradients(exp)
    log = res.log
    with np.errstate(over="ignore", invalid="ignore"):
        s0 = float(np.linalg.norm(res.s0_grad))
        return EdgeGradients(
            recurrent=np.concatenate([[s0], log.state_grad[:-1]]),  # (N,) entry n-1: gradient at s(n-1)
            preact=log.preact_grad, input=log.W_x_contrib, state=log.state_grad,
            readout=readout_grad_norms(exp, s, trace), s0=s0, loss=res.loss, cell=exp.cell, direct=log.direct_grad,
            cell_state=log.cell_grad, c0=float("nan") if res.c0_grad is None else float(np.linalg.norm(res.c0_grad)),
        )
