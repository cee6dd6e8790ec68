"""Gradient check: BPTT's dL/dtheta against centred finite differences.

    dL/dtheta_i ~ (L(theta + eps e_i) - L(theta - eps e_i)) / (2 eps)
    relative error = ||g - g_num|| / max(||g|| + ||g_num||, tiny)      (one number per parameter)

Truncated BPTT (truncate = k < N) is not the gradient of L but of a surrogate in which the
state entering each loss term's window of k steps is frozen (a constant, not a function of theta):

    L_k(theta) = sum over read-out steps m of l_m(y~(m)),
    s~(m-k) = s(m-k) frozen,  s~(j) = phi(W_x x(j) + W_s s~(j-1) + b) for j = m-k+1..m,
    y~(m) = g(W_y s~(m) + b_y)

(when m-k <= 0 the window starts at step 1 from s(0) itself). L_k = L for k >= N. The finite
differences are taken on L_k, the frozen states coming from the unperturbed forward pass. For the LSTM
the frozen state is the pair (s, c)(m-k), the window starting from both (c(0) = c0 itself at step 1).
Every cell: the params type carries it.
"""
from __future__ import annotations

import numpy as np

from rnn_engine.activations import readout as apply_readout
from rnn_engine.backward import backward, check_target, check_truncate
from rnn_engine.forward import forward
from rnn_engine.losses import check_loss, loss_and_grad
from rnn_engine.params import PARAM_NAMES, CellParams

TINY = np.finfo(np.float64).tiny


def surrogate_loss(
    params: CellParams, x, target, activation="tanh", output="sigmoid", loss="sse", readout="last",
    truncate=None, s0=None, frozen=None, c0=None, frozen_c=None,
) -> float:
    """L_k(theta) of the module docstring (L itself when truncate is None or >= N).

    frozen: (N+1, B, H) states s(0..N) the windows start from; by default those of forward(params);
    frozen_c likewise the LSTM's c(0..N). s0 (and c0) always enter the windows that start at step 1 (so
    d L_k / d s(0) and d L_k / d c(0) can be checked too).
    """
    trace = forward(params, x, activation, output, s0, c0)
    check_loss(loss, output)
    t = check_target(target, trace, readout)
    N, B, K = trace.y.shape
    k = check_truncate(truncate, N)
    steps = [N - 1] if readout == "last" else list(range(N))  # code index m = step m+1
    if k == N:
        z = trace.z[steps]  # (M, B, K)
    else:
        frozen = trace.s if frozen is None else frozen  # (N+1, B, H)
        frozen_c = trace.c if frozen_c is None else frozen_c  # (N+1, B, H) or None
        z = np.empty((len(steps), B, K))  # (M, B, K)
        for i, m in enumerate(steps):
            lo = max(m - k + 1, 0)  # first step of l_m's window
            start = trace.s[0] if lo == 0 else frozen[lo]  # (B, H)
            start_c = None if trace.c is None else (trace.c[0] if lo == 0 else frozen_c[lo])  # (B, H)
            z[i] = forward(params, trace.x[lo : m + 1], activation, output, start, start_c).z[-1]
    y = apply_readout(z, output)  # (M, B, K)
    L, _ = loss_and_grad(z.reshape(-1, K), y.reshape(-1, K), t.reshape(-1, K), loss, output)
    return L


def numerical_grads(
    params: CellParams, x, target, activation="tanh", output="sigmoid", loss="sse", readout="last",
    truncate=None, s0=None, eps=1e-6, c0=None,
) -> CellParams:
    """Centred finite differences of L_k with respect to every entry of theta."""
    if isinstance(eps, bool) or not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive finite number; got {eps!r}.")
    unperturbed = forward(params, x, activation, output, s0, c0)
    frozen, frozen_c = unperturbed.s, unperturbed.c  # (N+1, B, H) from the unperturbed theta
    grads = []
    for name in PARAM_NAMES:
        theta = getattr(params, name)
        g = np.zeros(theta.shape)  # shaped like the parameter
        for i in np.ndindex(theta.shape):
            L = []
            for sign in (1.0, -1.0):
                moved = theta.copy()
                moved[i] += sign * eps
                L.append(surrogate_loss(params.replace(**{name: moved}), x, target, activation, output,
                                        loss, readout, truncate, s0, frozen, c0, frozen_c))
            g[i] = (L[0] - L[1]) / (2.0 * eps)
        grads.append(g)
    return type(params).unchecked(*grads)  # may be non-finite when a run explodes


def relative_error(g, g_num) -> float:
    """||g - g_num|| / max(||g|| + ||g_num||, tiny)."""
    g, g_num = np.asarray(g, dtype=np.float64), np.asarray(g_num, dtype=np.float64)
    return float(np.linalg.norm(g - g_num) / max(np.linalg.norm(g) + np.linalg.norm(g_num), TINY))


def gradcheck(
    params: CellParams, x, target, activation="tanh", output="sigmoid", loss="sse", readout="last",
    truncate=None, s0=None, eps=1e-6, c0=None,
) -> dict[str, float]:
    """Relative error between backward(...).grads and numerical_grads(...), per parameter name."""
    trace = forward(params, x, activation, output, s0, c0)
    res = backward(params, trace, target, loss, readout, truncate)
    num = numerical_grads(params, x, target, activation, output, loss, readout, truncate, s0, eps, c0)
    return {name: relative_error(getattr(res.grads, name), getattr(num, name)) for name in PARAM_NAMES}
