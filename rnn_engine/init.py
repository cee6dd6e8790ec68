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
"""
from __future__ import annotations

import numpy as np

from rnn_engine.checks import as_matrix, as_vector, real_number, whole_number
from rnn_engine.params import Params

INIT_SCHEMES = ("normal", "glorot", "orthogonal", "identity")


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


def rescale_spectral_radius(W_s: np.ndarray, r: float) -> np.ndarray:
    """W_s * (r / rho(W_s)), so that max |lambda(W_s)| = r."""
    rho = float(np.max(np.abs(np.linalg.eigvals(W_s))))
    if not rho > 0.0:
        raise ValueError(
            "spectral_radius cannot be set: W_s has spectral radius 0 (it is all zeros or nilpotent), "
            "so no rescaling can give it another radius."
        )
    return W_s * (r / rho)  # (H, H)


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
) -> Params:
    """theta(0) for D inputs, H state units and K outputs (see the module docstring).

    W_s, W_x, W_y given explicitly replace the scheme's draw (shapes (H, H), (H, D), (K, H)), and
    b, b_y their zeros (shapes (H,), (K,)); spectral_radius, if given, is applied to the final W_s,
    an explicit one included.
    """
    D = whole_number(D, "D", 1)
    H = whole_number(H, "H", 1)
    K = whole_number(K, "K", 1)
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of: {', '.join(INIT_SCHEMES)}.")
    scale = real_number(scale, "scale", 0.0)
    if spectral_radius is not None:
        spectral_radius = real_number(spectral_radius, "spectral_radius", 0.0)
    rng = np.random.default_rng(check_seed(seed))

    draw = gaussian if scheme == "normal" else glorot_uniform
    W_x_drawn = scale * draw(rng, H, D)  # (H, D), drawn even if W_x is given (fixed order)
    W_y_drawn = scale * draw(rng, K, H)  # (K, H), likewise
    if W_s is not None:
        W_s = as_matrix(W_s, "W_s", shape=(H, H), meaning=f"(H, H) = ({H}, {H})")
    elif scheme == "normal":
        W_s = scale * gaussian(rng, H, H)  # (H, H)
    elif scheme == "glorot":
        W_s = scale * glorot_uniform(rng, H, H)  # (H, H)
    elif scheme == "orthogonal":
        W_s = scale * orthogonal(rng, H)  # (H, H)
    else:
        W_s = scale * np.eye(H)  # (H, H)
    W_x = W_x_drawn if W_x is None else as_matrix(W_x, "W_x", shape=(H, D), meaning=f"(H, D) = ({H}, {D})")
    W_y = W_y_drawn if W_y is None else as_matrix(W_y, "W_y", shape=(K, H), meaning=f"(K, H) = ({K}, {H})")
    b = np.zeros(H) if b is None else as_vector(b, "b", length=H, meaning=f"(H,) = ({H},)")
    b_y = np.zeros(K) if b_y is None else as_vector(b_y, "b_y", length=K, meaning=f"(K,) = ({K},)")
    if spectral_radius is not None:
        W_s = rescale_spectral_radius(W_s, spectral_radius)
    return Params(W_x=W_x, W_s=W_s, b=b, W_y=W_y, b_y=b_y)
