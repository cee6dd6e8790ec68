"""The cells, a name-keyed registry of small records: each cell's forward step and backward step side by side.

    elman   s(n) = phi(W_x x(n) + W_s s(n-1) + b)
    lstm    gates i, f, o, candidate g;  c(n) = f * c(n-1) + i * g,  s(n) = o * phi(c(n))
    gru     gates r, z, candidate g;     s(n) = (1 - z) * g + z * s(n-1)

Everything the cells share (the loop over time, the loss, truncation, the log) is written once, in
forward.py, backward.py and credit.py; a cell contributes only what differs:

    forward(params, a, s, phi, c0) -> (step, arrays)
        a: (N, B, G*H) holding W_x x(n) + b, completed in place with W_s s(n-1); s: (N+1, B, H) with s[0] set.
        step(n) computes step n+1 (code index n); arrays: the Trace fields the cell fills.
    backward(params, trace) -> Back
        the per-step factors (computed once, for all steps at once) and the backward step.
    jacobians(params, trace, back, sample, lo, hi) -> (hi - lo, S, S) state Jacobians, S = the state's size.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnn_engine.params import CellParams, check_params


@dataclass(frozen=True, eq=False)
class Back:
    """What a cell's backward needs, prepared once for a trace.

    step(n, dLds, carried, delta_x, delta_s, rec, dLdc, carry) steps back through the steps n (a code index, a
    slice or an index array: all loss terms at once), given dL/ds at them (..., B, H) and, for the LSTM, the
    carried f(n+1) * dL/dc(n+1). It writes dL/da into delta_x (for W_x, b) and delta_s (for W_s; the same array
    except for the GRU), the recurrent part of dL/ds(n-1) into rec, and, for the LSTM, dL/dc(n) into dLdc and
    f(n) * dL/dc(n) into carry. rec or carry None: not needed.
    """

    step: Callable[..., None]
    state_size: int  # size of the state the Jacobians act on: H, or 2H for the LSTM's (s, c)
    direct: np.ndarray | None  # (N, B, H) diagonal of the Jacobian's direct term: f (LSTM), z (GRU), None (Elman)
    factors: dict  # the per-step factors by name, (N, B, ...) each (for the Jacobians)
    factors_size: int  # G*H, the width of dL/da(n)
    carries_c: bool = False  # the LSTM carries dL/dc beside dL/ds
    separate_delta_s: bool = False  # the GRU: W_s sees another dL/da than W_x and b


@dataclass(frozen=True)
class Cell:
    name: str
    forward: Callable
    backward: Callable[..., Back]
    jacobians: Callable[..., np.ndarray]


def cell_of(params: CellParams) -> Cell:
    """The cell record of a params type."""
    return CELLS[check_params(params).cell]


def matmul_rows(A: np.ndarray, W: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = A @ W for an (..., P) stack A, as one (rows, P) x (P, Q) product (numpy would loop over a stack)."""
    if A.ndim > 2 and A.flags.c_contiguous and out.flags.c_contiguous:
        np.matmul(A.reshape(-1, A.shape[-1]), W, out=out.reshape(-1, out.shape[-1]))
    else:
        np.matmul(A, W, out=out)
    return out


def spectral_norms(mats: np.ndarray) -> np.ndarray:
    """Largest singular value of each (S, S) matrix in an (M, S, S) stack."""
    return np.linalg.svd(mats, compute_uv=False)[:, 0]


from rnn_engine.cells import elman, gru, lstm  # noqa: E402  (they build on Back, Cell and matmul_rows above)

CELLS: dict[str, Cell] = {m.CELL.name: m.CELL for m in (elman, lstm, gru)}
