"""Credit assignment, for every cell: which loss term reaches which step, which input reaches which output.

    itemized      backward(..., itemized=True).log.itemized, (N, N): [m-1, n-1] = ||dl_m/ds(n)|| (RNNbow's
                  itemised gradients), l_m the part of L read out at step m (L = sum_m l_m); itemized_grads
                  gives the vectors dl_m/ds(n) themselves (small sizes: N^2 B H numbers)
    connectivity  (N, N): [m-1, n-1] = ||dy(m)/dx(n)||_F for one sample (Distill's connectivity)
    memory_horizon  how many steps back ||dL/ds(n)|| stays above a fraction of ||dL/ds(N)||

Both matrices are zero where n > m, and cut at m - n >= k by truncated BPTT (itemized). All N terms (or
outputs) are carried back together, one stack of products per lag (backward.carry_back): N^2 / 2 steps
of the cell, as one product per lag rather than one backward pass per term.
"""
from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from rnn_engine.backward import (
    carry_back,
    check_pair,
    check_target,
    check_truncate,
    frobenius,
    positions,
    read_out,
)
from rnn_engine.cells import cell_of, matmul_rows
from rnn_engine.checks import real_number, whole_number
from rnn_engine.forward import Trace
from rnn_engine.losses import check_loss, check_target_values


def itemized_grads(params, trace: Trace, target, loss: str = "sse", readout: str = "last", truncate=None) -> np.ndarray:
    """(N, N, B, H): [m-1, n-1] = dl_m/ds(n), zero where n > m or m - n >= k; sum over m = dL/ds(n).

    The vectors behind log.itemized, from the same stack of products (for checks and small sizes)."""
    check_pair(params, trace)
    check_loss(loss, trace.output)
    t = check_target_values(check_target(target, trace, readout), loss)
    N = trace.N
    k = check_truncate(truncate, N)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        _, _, _, direct = read_out(params, trace, t, loss, readout, k)
        if readout == "last":
            direct[: N - 1] = 0.0  # the only term is l_N (read_out leaves these rows to the loop)
        out = np.zeros((N, N) + direct.shape[1:])  # (N, N, B, H)

        def keep(j, at, G, delta):
            i = positions(at, G.shape[0])
            out[i + j, i] = G

        carry_back(cell_of(params).backward(params, trace), direct, k, keep)
    return out


def _one_sample(trace: Trace, sample: int) -> Trace:
    """The trace of one sample of the batch: every (N, B, ...) array sliced to (N, 1, ...)."""
    arrays = {f.name: getattr(trace, f.name)[:, sample : sample + 1] for f in fields(trace)
              if isinstance(getattr(trace, f.name), np.ndarray)}
    return replace(trace, **arrays)


def _output_jacobians(params, trace: Trace) -> np.ndarray:
    """dy(m)/ds(m) = g'(z(m)) W_y for one sample's steps: (N, K, H)."""
    y = trace.y[:, 0]  # (N, K)
    if trace.output == "sigmoid":
        return (y * (1.0 - y))[:, :, None] * params.W_y
    if trace.output == "softmax":  # dy/dz = diag(y) - y y^T
        dydz = np.einsum("nk,kj->nkj", y, np.eye(y.shape[1])) - y[:, :, None] * y[:, None, :]  # (N, K, K)
        return dydz @ params.W_y
    return np.broadcast_to(params.W_y, (y.shape[0],) + params.W_y.shape).copy()


def connectivity(params, trace: Trace, sample: int = 0) -> np.ndarray:
    """(N, N): [m-1, n-1] = ||dy(m)/dx(n)||_F for one sample of the batch, zero where n > m.

    dy(m)/dx(n) = dy(m)/da(n) W_x (for the GRU with the candidate's block before r), carried back from the
    K rows of dy(m)/ds(m) = g'(z(m)) W_y for every m at once: the K outputs take the place of the batch.
    """
    check_pair(params, trace)
    N, B = trace.N, trace.B
    sample = whole_number(sample, "sample", 0, B - 1, meaning="which sample of the batch")
    one = _one_sample(trace, sample)
    out = np.zeros((N, N))  # (N, N)
    W_x = params.W_x  # (G*H, D)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        seeds = _output_jacobians(params, one)  # (N, K, H)
        products = np.empty((N, seeds.shape[1], W_x.shape[1]))  # (N, K, D) dy(m)/dx(n) at one lag

        def record(j, at, G, delta):
            r = G.shape[0]
            i = positions(at, r)
            matmul_rows(delta, W_x, products[:r])
            out[i + j, i] = frobenius(products[:r])

        carry_back(cell_of(params).backward(params, one), seeds, N, record)
    return out


def memory_horizon(state_grad_norms, fraction: float = 0.01) -> int | None:
    """The number of steps back from N at which ||dL/ds(n)|| first falls below fraction * ||dL/ds(N)||.

    state_grad_norms: (N,), entry n-1 = ||dL/ds(n)|| (res.state_grad_norms). Step n = N - h is h steps back:
    the answer is the smallest h in 1..N-1 with ||dL/ds(N-h)|| < fraction * ||dL/ds(N)||, and N when no step
    falls below (the gradient reaches s(1) and, through it, s(0)); N = 1 gives 1. None when there is
    nothing to measure against: ||dL/ds(N)|| is zero, or an entry is NaN or infinite (an exploded run).
    """
    g = as_float_norms(state_grad_norms, "state_grad_norms")
    fraction = real_number(fraction, "fraction", 0.0, 1.0, low_open=True, high_open=True)
    return _horizon(g, fraction)


def memory_horizons(itemized, fraction: float = 0.01) -> np.ndarray:
    """memory_horizon for every row of the itemised matrix (log.itemized): (N,) float, entry m-1 = the
    number of steps back from m at which ||dl_m/ds(n)|| first falls below fraction * ||dl_m/ds(m)||
    (m when it never does), NaN where l_m sends no gradient (a zero or non-finite row)."""
    items = as_float_norms(itemized, "itemized", square=True)
    fraction = real_number(fraction, "fraction", 0.0, 1.0, low_open=True, high_open=True)
    out = np.full(items.shape[0], np.nan)  # (N,)
    for m in range(1, items.shape[0] + 1):
        h = _horizon(items[m - 1, :m], fraction)
        out[m - 1] = np.nan if h is None else h
    return out


def as_float_norms(value, name: str, square: bool = False) -> np.ndarray:
    """Norms as float64, (N,) or (N, N) with N >= 1; NaN and inf allowed (an exploded run), negatives not."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers.") from None
    want = "(N, N)" if square else "(N,)"
    if arr.ndim != (2 if square else 1) or arr.shape[0] < 1 or (square and arr.shape[0] != arr.shape[1]):
        raise ValueError(f"{name} must have shape {want} with N >= 1; got {arr.shape}.")
    if (arr < 0).any():
        raise ValueError(f"{name} holds a negative number; norms are >= 0.")
    return arr


def _horizon(g: np.ndarray, fraction: float) -> int | None:
    N = g.shape[0]
    ref = g[-1]
    if not np.isfinite(g).all() or ref == 0.0:
        return None
    below = np.flatnonzero(g[:-1][::-1] < fraction * ref)  # index h-1 for h = 1..N-1 steps back
    return int(below[0]) + 1 if below.size else N
