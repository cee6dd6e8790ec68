"""Why gradients vanish or explode through time: the spectrum of W_s and the Jacobian bound.

    ds(n)/ds(n-1) = diag(phi'(a(n))) W_s,   ||ds(n)/ds(n-1)|| <= kappa * sigma_max(W_s)
    ||ds(N)/ds(n)|| <= (kappa * sigma_max(W_s))^(N-n)

with kappa = max phi' (1 for tanh, 1/4 for sigmoid; gamma is kept for the learning rate gamma(t), as in
the lecture). sigma_max(W_s) < 1/kappa is sufficient
for the gradient through time to vanish (Pascanu, Mikolov & Bengio 2013, "On the difficulty of
training recurrent neural networks"); for a linear phi, rho(W_s) > 1 is necessary for it to explode.
"""
from __future__ import annotations

import numpy as np

from rnn_engine.activations import Activation, get_activation
from rnn_engine.checks import as_matrix


def _square(W_s) -> np.ndarray:
    W = as_matrix(W_s, "W_s")
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W_s must be square, shape (H, H); got shape {W.shape}.")
    return W  # (H, H)


def eigenvalues(W_s) -> np.ndarray:
    """lambda_i(W_s), complex, sorted by |lambda| descending: (H,)."""
    lam = np.linalg.eigvals(_square(W_s)).astype(np.complex128)  # (H,)
    return lam[np.argsort(-np.abs(lam), kind="stable")]


def spectral_radius(W_s) -> float:
    """rho(W_s) = max_i |lambda_i(W_s)|."""
    return float(np.max(np.abs(np.linalg.eigvals(_square(W_s)))))


def singular_values(W_s) -> np.ndarray:
    """sigma_1 >= ... >= sigma_H of W_s: (H,); sigma_1 = sigma_max = ||W_s||_2."""
    return np.linalg.svd(_square(W_s), compute_uv=False)  # (H,)


def bound_curve(kappa: float, sigma_max: float, N: int) -> np.ndarray:
    """Entry n = (kappa * sigma_max)^(N-n), n = 0..N: the bound on ||ds(N)/ds(n)||; (N+1,).

    Very large products overflow to inf (the bound is then uninformative anyway).
    """
    for name, value in (("kappa", kappa), ("sigma_max", sigma_max)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 0:
        raise ValueError(f"N must be a whole number of steps >= 0; got {N!r}.")
    k = float(N) - np.arange(N + 1, dtype=np.float64)  # (N+1,) N - n
    with np.errstate(over="ignore", under="ignore"):
        return np.power(float(kappa) * float(sigma_max), k)  # (N+1,)


def vanishing_condition(W_s, activation: str | Activation = "tanh") -> dict:
    """The sufficient condition for vanishing, sigma_max(W_s) < 1/kappa, with its numbers.

    Returns kappa, sigma_max, product = kappa * sigma_max, vanishes (bool), rho = rho(W_s)
    and a one-sentence explanation.
    """
    act = activation if isinstance(activation, Activation) else get_activation(activation)
    W = _square(W_s)
    kappa = float(act.kappa)
    sigma_max = float(singular_values(W)[0])
    rho = spectral_radius(W)
    product = kappa * sigma_max
    vanishes = bool(product < 1.0)  # sigma_max < 1/kappa
    head = f"With {act.name}, κ = {kappa:.3g} and σ_max(W_s) = {sigma_max:.3g}, so κ·σ_max = {product:.3g}"
    if vanishes:
        explanation = (
            f"{head} < 1: every step back in time multiplies the gradient's norm by at most "
            f"{product:.3g}, so it must vanish geometrically (10 steps back it is at most "
            f"{product ** 10:.2g} times as large)."
        )
    else:
        explanation = (
            f"{head} ≥ 1, so nothing forces the gradient to vanish: it may survive long spans or even "
            f"explode (ρ(W_s) = {rho:.3g}; with a linear φ it grows over long spans exactly when ρ > 1)."
        )
    return {
        "kappa": kappa,
        "sigma_max": sigma_max,
        "product": product,
        "vanishes": vanishes,
        "rho": rho,
        "explanation": explanation,
    }
