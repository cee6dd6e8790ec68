"""Initial parameters theta(0) = (W_x, W_s, b, W_y, b_y), seeded and reproducible.

Schemes for the recurrent weight W_s (H, H); `scale` multiplies every weight matrix drawn:

    normal      W_s ~ N(0, scale^2 / H),  W_x ~ N(0, scale^2 / D),  W_y ~ N(0, scale^2 / H)
    glorot      W ~ scale * U(-l, l),  l = sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio 2010)
    orthogonal  W_s = scale * Q,  Q R = G (QR of a Gaussian G), columns signed so diag(R) > 0
                (Saxe et al. 2014); W_x, W_y as in glorot
    identity    W_s = scale * I  (IRNN, Le, Jaitly & Hinton 2015); W_x, W_y as in glorot
                (the paper draws W_x ~ N(0, 0.001^2); Glorot keeps the inputs audible)

spectral_radius = r then rescales W_s so that max |lambda(W_s)| = r:  W_s <- (r / rho(W_s)) W_s.
Biases b, b_y start at zero.

Order of the random draws, from the one rng = np.random.default_rng(seed): W_x, then W_y,
then W_s. W_s comes last, so changing its scheme (glorot -> orthogonal -> identity) never
changes the numbers in W_x and W_y; W_x and W_y are always drawn, even when the caller
supplies them, so supplying a matrix does not shift the others either. Only "normal" draws
W_x and W_y from a different (Gaussian) distribution.

Gated cells (cell="lstm": blocks i, f, g, o; cell="gru": blocks r, z, g) draw W_x and W_s block by block,
each (H, D) or (H, H) block as the scheme draws the Elman cell's matrix (fans D and H of one block; in the
same order: all of W_x's blocks, W_y, then W_s's blocks, in block order):

    normal, glorot   every block of W_x and W_s as above
    orthogonal       every recurrent block W_sk its own orthogonal Q (Saxe et al. 2014)
    identity         the candidate's block W_sg = scale * I (the path that plays the Elman cell's role);
                     the gates' recurrent blocks the same numbers as glorot's: a gate fed only by its own
                     unit's state has no known use, and identity gate blocks would open or shut every gate
                     with its unit
    spectral_radius  rescales each recurrent block W_sk to max |lambda(W_sk)| = r (an explicit W_s too)
    gate_bias        the LSTM's forget-gate bias b_f (default 1.0: Gers, Schmidhuber & Cummins 2000;
                     Jozefowicz, Zaremba & Sutskever 2015) or the GRU's update-gate bias b_z (default 1.0:
                     z keeps z of s(n-1) each step, so b_z > 0 is the GRU's counterpart of b_f > 0, the
                     gradient's direct path diag(z) starting near sigmoid(1) = 0.73 per step rather than 0.5);
                     every other bias starts at zero
"""
from __future__ import annotations

import numpy as np

from rnn_engine.checks import as_matrix, as_vector, real_number, whole_number
from rnn_engine.params import PARAMS_TYPES, CellParams

INIT_SCHEMES = ("normal", "glorot", "orthogonal", "identity")
CELL_NAMES = tuple(PARAMS_TYPES)  # "elman", "lstm", "gru"
GATE_BIAS = {"lstm": ("f", 1.0), "gru": ("z", 1.0)}  # the block whose bias gate_bias sets, and its default


def check_seed(seed) -> int:
    """A seed for np.random.default_rng: a whole number >= 0."""
    return whole_number(seed, "seed", 0)


def glorot_uniform(rng: np.random.Generator, fan_out: int, fan_in: int) -> np.ndarray:
    """W ~ U(-l, l), l = sqrt(6 / (fan_in + fan_out)), so Var(W) = 2 / (fan_in + fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_out, fan_in))  # (fan_out, fan_in)


def gaussian(rng: np.random.Generator, fan_out: int, fan_in: int) -> np.ndarray:
    """W ~ N(0, 1 / fan_in)."""
    return rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=(fan_out, fan_in))  # (fan_out, fan_in)


def orthogonal(rng: np.random.Generator, H: int) -> np.ndarray:
    """Q of G = Q R with G ~ N(0, 1)^(H x H), signs fixed so diag(R) > 0 (Haar-distributed Q)."""
    G = rng.normal(size=(H, H))  # (H, H)
    Q, R = np.linalg.qr(G)
    signs = np.where(np.diag(R) < 0, -1.0, 1.0)  # (H,)
    return Q * signs  # (H, H): column j times sign(R_jj)


def rescale_spectral_radius(W_s: np.ndarray, r: float, name: str = "W_s") -> np.ndarray:
    """W_s * (r / rho(W_s)), so that max |lambda(W_s)| = r."""
    rho = float(np.max(np.abs(np.linalg.eigvals(W_s))))
    if not rho > 0.0:
        raise ValueError(
            f"spectral_radius cannot be set: {name} has spectral radius 0 (it is all zeros or nilpotent), "
            "so no rescaling can give it another radius."
        )
    return W_s * (r / rho)  # (H, H)


def recurrent_block(rng: np.random.Generator, scheme: str, scale: float, H: int, identity: bool = True) -> np.ndarray:
    """One (H, H) recurrent matrix of the scheme. The identity scheme draws the block as glorot does and keeps
    the draw only where identity is False (a gate's block), so its gate blocks equal glorot's."""
    if scheme == "normal":
        return scale * gaussian(rng, H, H)  # (H, H)
    if scheme == "orthogonal":
        return scale * orthogonal(rng, H)  # (H, H)
    drawn = scale * glorot_uniform(rng, H, H)  # (H, H)
    return scale * np.eye(H) if scheme == "identity" and identity else drawn


def init_params(
    D: int,
    H: int,
    K: int,
    scheme: str = "glorot",
    scale: float = 1.0,
    spectral_radius: float | None = None,
    seed: int = 0,
    W_s=None,
    W_x=None,
    W_y=None,
    b=None,
    b_y=None,
    cell: str = "elman",
    gate_bias: float | None = None,
) -> CellParams:
    """theta(0) for D inputs, H state units and K outputs of a cell "elman" (Params), "lstm" (LSTMParams)
    or "gru" (GRUParams); see the module docstring.

    W_s, W_x, W_y given explicitly replace the scheme's draw (shapes (G*H, H), (G*H, D), (K, H), G the
    cell's number of gate blocks), and b, b_y their zeros (shapes (G*H,), (K,)); spectral_radius, if given,
    is applied to the final W_s, an explicit one included (block by block for the gated cells). gate_bias
    (gated cells only) sets the forget-gate (LSTM) or update-gate (GRU) bias; with an explicit b, leave it out.
    """
    D = whole_number(D, "D", 1)
    H = whole_number(H, "H", 1)
    K = whole_number(K, "K", 1)
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of: {', '.join(INIT_SCHEMES)}.")
    if not isinstance(cell, str) or cell not in PARAMS_TYPES:
        raise ValueError(f"unknown cell {cell!r}; choose one of: {', '.join(CELL_NAMES)}.")
    kind = PARAMS_TYPES[cell]
    G, GH = len(kind.blocks), len(kind.blocks) * H
    scale = real_number(scale, "scale", 0.0)
    if spectral_radius is not None:
        spectral_radius = real_number(spectral_radius, "spectral_radius", 0.0)
    if gate_bias is not None:
        if cell not in GATE_BIAS:
            raise ValueError("gate_bias is only for the gated cells: the LSTM's forget gate or the GRU's update gate.")
        if b is not None:
            raise ValueError("give b or gate_bias, not both: gate_bias sets one block of b.")
        gate_bias = real_number(gate_bias, "gate_bias")
    rng = np.random.default_rng(check_seed(seed))

    shape = f"({G}H, " if G > 1 else "(H, "
    draw = gaussian if scheme == "normal" else glorot_uniform
    W_x_drawn = scale * np.vstack([draw(rng, H, D) for _ in range(G)])  # (G*H, D), drawn even if W_x is given
    W_y_drawn = scale * draw(rng, K, H)  # (K, H), likewise
    if W_s is not None:
        W_s = as_matrix(W_s, "W_s", shape=(GH, H), meaning=f"{shape}H) = ({GH}, {H})")
    else:  # identity only for the candidate's block (the Elman cell's only block)
        W_s = np.vstack([recurrent_block(rng, scheme, scale, H, identity=name in ("a", "g"))
                         for name in kind.blocks])  # (G*H, H)
    W_x = W_x_drawn if W_x is None else as_matrix(W_x, "W_x", shape=(GH, D), meaning=f"{shape}D) = ({GH}, {D})")
    W_y = W_y_drawn if W_y is None else as_matrix(W_y, "W_y", shape=(K, H), meaning=f"(K, H) = ({K}, {H})")
    if b is None:
        b = np.zeros(GH)  # (G*H,)
        if cell in GATE_BIAS:
            name, default = GATE_BIAS[cell]
            k = kind.blocks.index(name)
            b[k * H : (k + 1) * H] = default if gate_bias is None else gate_bias
    else:
        b = as_vector(b, "b", length=GH, meaning=f"({G}H,) = ({GH},)" if G > 1 else f"(H,) = ({H},)")
    b_y = np.zeros(K) if b_y is None else as_vector(b_y, "b_y", length=K, meaning=f"(K,) = ({K},)")
    if spectral_radius is not None:
        W_s = np.vstack([rescale_spectral_radius(W_s[k * H : (k + 1) * H], spectral_radius,
                                                 "W_s" if G == 1 else f"W_s{kind.blocks[k]} (block {kind.blocks[k]})")
                         for k in range(G)])  # (G*H, H)
    return kind(W_x=W_x, W_s=W_s, b=b, W_y=W_y, b_y=b_y)
