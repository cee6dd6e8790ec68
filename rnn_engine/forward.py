"""Forward pass of the recurrent layer, unfolded along the time axis.

    a(n) = W_x x(n) + W_s s(n-1) + b,   s(n) = phi(a(n)),   n = 1..N
    y(n) = g(z(n)),  z(n) = W_y s(n) + b_y

Code index n of a, z, y is step n+1 of the lecture; s[n] is s(n), s[0] = s(0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_engine.activations import check_output, get_activation, readout
from rnn_engine.checks import as_array
from rnn_engine.params import Params
from rnn_engine.scratch import recycled


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything backward needs: the inputs and every intermediate value."""

    x: np.ndarray  # (N, B, D)
    a: np.ndarray  # (N, B, H)   a(1..N)
    s: np.ndarray  # (N+1, B, H) s(0..N)
    z: np.ndarray  # (N, B, K)   read-out pre-activation
    y: np.ndarray  # (N, B, K)
    activation: str
    output: str

    @property
    def N(self) -> int:
        return self.a.shape[0]

    @property
    def B(self) -> int:
        return self.a.shape[1]


def check_params(params) -> Params:
    if not isinstance(params, Params):
        raise ValueError(f"params must be a Params(W_x, W_s, b, W_y, b_y), e.g. from init_params; "
                         f"got {type(params).__name__}.")
    return params


def check_inputs(params: Params, x, s0=None) -> tuple[np.ndarray, np.ndarray]:
    """x as (N, B, D) float64 and s(0) as (B, H), with clear messages."""
    check_params(params)
    x = as_array(x, "x", (None, None, params.D), f"(N, B, D) = (steps, batch, {params.D} inputs)")
    N, B, _ = x.shape
    if N < 1 or B < 1:
        raise ValueError(f"x needs at least one step and one sample; got shape {x.shape}.")
    if s0 is None:
        return x, np.zeros((B, params.H))
    s0 = as_array(s0, "s0", (B, params.H), f"(B, H) = ({B}, {params.H})")
    return x, s0


def forward(params: Params, x, activation: str = "tanh", output: str = "sigmoid", s0=None) -> Trace:
    """Run the recurrence a(n) = W_x x(n) + W_s s(n-1) + b, s(n) = phi(a(n)) for n = 1..N."""
    get_activation(activation)
    check_output(output)
    x, s0 = check_inputs(params, x, s0)
    return unfold(params, x, activation, output, s0)


def unfold(params: Params, x: np.ndarray, activation: str, output: str, s0: np.ndarray | None = None) -> Trace:
    """forward for inputs already checked (training's batches come from a checked Dataset):
    x finite float64 (N, B, D), s0 (B, H) or None for zeros.

    a(n) and s(n) go into recycled buffers: memory of an earlier trace that nothing refers to any more.
    """
    phi = get_activation(activation).phi
    N, B, D = x.shape
    H = params.H
    # W_x x(n) + b for all steps at once, as one product [x(n), 1] @ [W_x, b]^T (no pass over a for b).
    x1 = np.empty((N * B, D + 1))  # (N*B, D+1)
    x1[:, :D] = x.reshape(N * B, D)
    x1[:, D] = 1.0
    a = recycled((N, B, H))  # (N, B, H)
    np.matmul(x1, np.column_stack([params.W_x, params.b]).T, out=a.reshape(N * B, H))
    s = recycled((N + 1, B, H))  # (N+1, B, H)
    s[0] = 0.0 if s0 is None else s0
    W_sT = np.ascontiguousarray(params.W_s.T)  # (H, H) contiguous: BLAS is faster than on the transposed view
    recurrent = np.empty((B, H))  # (B, H) W_s s(n-1), one buffer for every step
    with np.errstate(over="ignore", invalid="ignore"):
        for n in range(N):  # three calls per step, none of which allocates
            np.matmul(s[n], W_sT, out=recurrent)
            np.add(a[n], recurrent, out=a[n])
            phi(a[n], out=s[n + 1])
        z = np.matmul(s[1:], params.W_y.T)  # (N, B, K) step by step: BLAS is slower on one (N*B, H) x (H, K)
        z += params.b_y
        y = readout(z, output)  # (N, B, K)
    return Trace(x=x, a=a, s=s, z=z, y=y, activation=activation, output=output)
