"""Losses L(y, t) and their gradient with respect to the read-out's pre-activation z.

    sse:  L = sum (y - t)^2                      (the seed example; over samples, outputs, steps)
    mse:  L = mean (y - t)^2                     (over every element)
    bce:  L = -1/M sum [t log y + (1-t) log(1-y)]   (summed over outputs, mean over M = samples x steps)
    ce:   L = -1/M sum t log y

dL/dz is written in closed form for each read-out g (chain rule through g').
"""
from __future__ import annotations

import numpy as np

from rnn_engine.activations import log_readout

LOSSES = ("sse", "mse", "bce", "ce")


def check_loss(loss: str, output: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of: {', '.join(LOSSES)}.")
    if loss in ("bce", "ce") and output == "linear":
        raise ValueError(
            f"loss {loss!r} needs outputs in (0, 1): use output 'sigmoid' or 'softmax', not 'linear'."
        )
    return loss


def check_target_values(t: np.ndarray, loss: str) -> np.ndarray:
    """The cross-entropy losses read targets as probabilities: every entry in [0, 1]."""
    if loss in ("bce", "ce") and not ((t >= 0.0) & (t <= 1.0)).all():
        bad = t.flat[np.flatnonzero((t < 0.0) | (t > 1.0))[0]]
        raise ValueError(f"loss {loss!r} needs targets between 0 and 1 (labels or probabilities); "
                         f"the target holds {bad:g}. Use loss 'sse' or 'mse' for other targets.")
    return t


def loss_and_grad(z: np.ndarray, y: np.ndarray, t: np.ndarray, loss: str, output: str):
    """L and dL/dz for read-out terms stacked as (M, K) rows (M = samples x steps)."""
    M = z.shape[0]
    if loss == "sse" or loss == "mse":
        scale = 1.0 if loss == "sse" else 1.0 / z.size
        r = y - t  # (M, K)
        L = scale * float(np.vdot(r, r))
        dL_dy = 2.0 * scale * r
        return L, _through_output(dL_dy, y, output)
    if loss == "bce" and output == "softmax" and z.shape[-1] == 1:
        raise ValueError("loss 'bce' with output 'softmax' needs K >= 2 outputs (one softmax output is always 1).")
    log_y, log_1my = log_readout(z, output)
    if loss == "bce":
        L = -float(np.sum(t * log_y + (1.0 - t) * log_1my)) / M
        if output == "sigmoid":
            return L, (y - t) / M
        # softmax: dL/dz_j = (K y_j - t_j - sum_{k != j} (1 - t_k) y_j / (1 - y_k)) / M, where
        # y_j / (1 - y_k) <= 1 for j != k: no huge terms cancelling when some y_k saturates at 1
        K = z.shape[-1]
        off = ~np.eye(K, dtype=bool)  # (K, K) j != k
        log_ratio = np.where(off, log_y[:, :, None] - log_1my[:, None, :], -np.inf)  # (M, K, K)
        S = np.sum(np.exp(log_ratio) * (1.0 - t)[:, None, :], axis=-1)  # (M, K)
        return L, (K * y - t - S) / M
    # ce
    L = -float(np.sum(t * log_y)) / M
    if output == "softmax":
        return L, (y * t.sum(axis=-1, keepdims=True) - t) / M
    return L, -t * (1.0 - y) / M  # sigmoid: d(-t log y)/dz = -t (1 - y)


def _through_output(dL_dy: np.ndarray, y: np.ndarray, output: str) -> np.ndarray:
    """dL/dz = g'(z)^T dL/dy."""
    if output == "sigmoid":
        return dL_dy * y * (1.0 - y)
    if output == "softmax":
        return y * (dL_dy - np.sum(dL_dy * y, axis=-1, keepdims=True))
    return dL_dy
