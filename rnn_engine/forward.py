"""Forward pass of the recurrent layer, unfolded along the time axis, for every cell.

    a(n) = W_x x(n) + W_s s(n-1) + b              (every cell; gated cells: all gate blocks at once)
    s(n) = phi(a(n))                              the Elman cell; the gated cells' steps are in rnn_engine/cells/
    y(n) = g(z(n)),  z(n) = W_y s(n) + b_y

Code index n of a, z, y is step n+1 of the lecture; s[n] is s(n), s[0] = s(0). What every cell shares is
here: the input projection W_x x(n) + b for all steps at once, the loop over time and the read-out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_engine.activations import check_output, get_activation, readout
from rnn_engine.cells import cell_of
from rnn_engine.checks import as_array
from rnn_engine.params import PARAMS_TYPES, CellParams, check_params
from rnn_engine.scratch import recycled


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything backward needs: the inputs and every intermediate value.

    a is (N, B, H) for every cell: the pre-activation of what phi makes the state from. For the Elman cell
    that is a(n) itself (s(n) = phi(a(n))); for the gated cells it is the candidate's, a_g(n) (g = phi(a_g)),
    a view of the g block of `preact`, which holds every gate block's pre-activation.
    """

    x: np.ndarray  # (N, B, D)
    a: np.ndarray  # (N, B, H)   a(1..N); gated cells: a_g(1..N)
    s: np.ndarray  # (N+1, B, H) s(0..N)
    z: np.ndarray  # (N, B, K)   read-out pre-activation
    y: np.ndarray  # (N, B, K)
    activation: str
    output: str
    cell: str = "elman"  # "elman" | "lstm" | "gru", the cell of the params that made it
    c: np.ndarray | None = None  # (N+1, B, H) LSTM cell state c(0..N); None for the other cells
    preact: np.ndarray | None = None  # (N, B, G*H) gated cells: every block's pre-activation, block order of the
    #   params (LSTM i, f, g, o: W_x x(n) + W_s s(n-1) + b; GRU r, z as the LSTM's, g: W_xg x(n) + b_g + r * W_sg s(n-1))
    gates: np.ndarray | None = None  # (N, B, G*H) gated cells: the block values i, f, g, o (LSTM) or r, z, g (GRU)
    phi_c: np.ndarray | None = None  # (N, B, H) LSTM: phi(c(n)), n = 1..N (s(n) = o * phi(c(n)))
    recurrent_g: np.ndarray | None = None  # (N, B, H) GRU: W_sg s(n-1), the part the reset gate r scales

    @property
    def N(self) -> int:
        return self.a.shape[0]

    @property
    def B(self) -> int:
        return self.a.shape[1]

    def gate(self, name: str) -> np.ndarray:
        """One gate block's values over time, (N, B, H): trace.gate("f") for the LSTM's forget gate."""
        blocks = PARAMS_TYPES[self.cell].blocks
        if self.gates is None or name not in blocks:
            raise ValueError(f"the {self.cell} trace has no gate {name!r}"
                             + (f"; its gates are {', '.join(blocks)}." if self.gates is not None else "."))
        H = self.s.shape[2]
        k = blocks.index(name)
        return self.gates[:, :, k * H : (k + 1) * H]


def check_inputs(params: CellParams, x, s0=None, c0=None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """x as (N, B, D) float64, s(0) and (LSTM) c(0) as (B, H) or None for zeros, with clear messages."""
    check_params(params)
    x = as_array(x, "x", (None, None, params.D), f"(N, B, D) = (steps, batch, {params.D} inputs)")
    N, B, _ = x.shape
    if N < 1 or B < 1:
        raise ValueError(f"x needs at least one step and one sample; got shape {x.shape}.")
    if c0 is not None and params.cell != "lstm":
        raise ValueError(f"c0 is only for the LSTM (the cell state c(0)); these params are {params.title}'s.")
    states = [None if v is None else as_array(v, name, (B, params.H), f"(B, H) = ({B}, {params.H})")
              for name, v in (("s0", s0), ("c0", c0))]
    return x, states[0], states[1]


def forward(params: CellParams, x, activation: str = "tanh", output: str = "sigmoid", s0=None, c0=None) -> Trace:
    """Run the cell of `params` over n = 1..N from s(0) = s0 (and, LSTM, c(0) = c0), zero when None."""
    get_activation(activation)
    check_output(output)
    x, s0, c0 = check_inputs(params, x, s0, c0)
    return unfold(params, x, activation, output, s0, c0)


def unfold(params: CellParams, x: np.ndarray, activation: str, output: str, s0: np.ndarray | None = None,
           c0: np.ndarray | None = None) -> Trace:
    """forward for inputs already checked (training's batches come from a checked Dataset):
    x finite float64 (N, B, D), s0 and c0 (B, H) or None for zeros.

    The per-step arrays go into recycled buffers: memory of an earlier trace that nothing refers to any more.
    """
    cell = cell_of(params)
    phi = get_activation(activation).phi
    N, B, D = x.shape
    GH = params.W_s.shape[0]
    # W_x x(n) + b for all steps at once, as one product [x(n), 1] @ [W_x, b]^T (no pass over a for b).
    x1 = np.empty((N * B, D + 1))  # (N*B, D+1)
    x1[:, :D] = x.reshape(N * B, D)
    x1[:, D] = 1.0
    a = recycled((N, B, GH))  # (N, B, G*H), completed step by step with W_s s(n-1)
    np.matmul(x1, np.column_stack([params.W_x, params.b]).T, out=a.reshape(N * B, GH))
    s = recycled((N + 1, B, params.H))  # (N+1, B, H)
    s[0] = 0.0 if s0 is None else s0
    with np.errstate(over="ignore", invalid="ignore"):
        step, arrays = cell.forward(params, a, s, phi, c0)
        for n in range(N):
            step(n)
        z = np.matmul(s[1:], params.W_y.T)  # (N, B, K) step by step: BLAS is slower on one (N*B, H) x (H, K)
        z += params.b_y
        y = readout(z, output)  # (N, B, K)
    return Trace(x=x, s=s, z=z, y=y, activation=activation, output=output, cell=params.cell, **arrays)
