"""State non-linearities phi and read-outs g, as small {output, derivative} records.

    s(n) = phi(a(n)),   phi'(a(n)) <= kappa   (kappa bounds the Jacobian, see theory.py)
    y(n) = g(z(n)),     z(n) = W_y s(n) + b_y
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01  # slope of leaky_relu for a < 0


@dataclass(frozen=True)
class Activation:
    """phi(a) and phi'(a), the latter written with the already computed s = phi(a).

    phi(a, out=None) and dphi(a, s, out=None) write into out when given (forward writes s(n) in
    place; backward reuses one buffer for phi' and delta).
    """

    name: str
    phi: Callable[..., np.ndarray]  # (a, out=None) -> phi(a)
    dphi: Callable[..., np.ndarray]  # (a, s, out=None) -> phi'(a)
    kappa: float  # max over a of phi'(a)
    formula: str  # for captions


def _sigmoid(z, out=None):
    """1 / (1 + exp(-z)), written as e^z / (1 + e^z) for z < 0 so that exp never overflows."""
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.divide(np.where(z >= 0, 1.0, e), 1.0 + e, out=out)


def gate_sigmoid(a, out=None):
    """The gates' sigmoid 1 / (1 + exp(-a)) in four in-place calls (a few ulp everywhere; exp(-a) overflows to
    inf for a < -709, giving 0, so call it under np.errstate(over="ignore"))."""
    out = np.negative(a, out=out)
    np.exp(out, out=out)
    np.add(out, 1.0, out=out)
    return np.reciprocal(out, out=out)


def _identity(a, out=None):
    if out is None:
        return a.copy()
    np.copyto(out, a)
    return out


def _tanh_prime(a, s, out=None):
    """tanh'(a) = 1 - s^2."""
    out = np.square(s, out=out)
    return np.subtract(1.0, out, out=out)


def _sigmoid_prime(a, s, out=None):
    """sigmoid'(a) = s (1 - s)."""
    out = np.subtract(1.0, s, out=out)
    return np.multiply(s, out, out=out)


def _step(a, low: float, out=None):
    """1 where a > 0, else low: relu' (low = 0) and leaky_relu' (low = LEAKY_SLOPE)."""
    if out is None:
        out = np.empty_like(a)
    out.fill(low)
    out[a > 0] = 1.0
    return out


def _ones(a, s, out=None):
    if out is None:
        return np.ones_like(a)
    out.fill(1.0)
    return out


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("tanh", np.tanh, _tanh_prime, 1.0, "φ(a) = tanh(a), φ′ = 1 − s²"),
        Activation("sigmoid", _sigmoid, _sigmoid_prime, 0.25, "φ(a) = 1/(1+e⁻ᵃ), φ′ = s(1 − s)"),
        Activation("relu", lambda a, out=None: np.maximum(a, 0.0, out=out), lambda a, s, out=None: _step(a, 0.0, out),
                   1.0, "φ(a) = max(a, 0), φ′ = [a > 0]"),
        Activation("linear", _identity, _ones, 1.0, "φ(a) = a, φ′ = 1"),
        Activation(
            "leaky_relu",
            lambda a, out=None: np.maximum(a, LEAKY_SLOPE * a, out=out),  # slope < 1: max(a, 0.01a)
            lambda a, s, out=None: _step(a, LEAKY_SLOPE, out),
            1.0,
            "φ(a) = max(a, 0.01a), φ′ = 1 or 0.01",
        ),
    )
}

OUTPUTS = ("sigmoid", "linear", "softmax")


def get_activation(name: str) -> Activation:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}.")
    return ACTIVATIONS[name]


def check_output(name: str) -> str:
    if name not in OUTPUTS:
        raise ValueError(f"unknown output {name!r}; choose one of: {', '.join(OUTPUTS)}.")
    return name


def _logsumexp(z: np.ndarray) -> np.ndarray:
    """log sum_j exp(z_j) over the last axis, kept as a length-1 axis."""
    m = z.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def readout(z: np.ndarray, output: str) -> np.ndarray:
    """y = g(z) over the last axis."""
    if output == "sigmoid":
        return _sigmoid(z)
    if output == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return z.copy()


def log_readout(z: np.ndarray, output: str) -> tuple[np.ndarray, np.ndarray]:
    """(log y, log(1 - y)) computed stably from z, for the cross-entropy losses."""
    if output == "sigmoid":
        return -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)
    if output == "softmax":
        lse = _logsumexp(z)  # (M, 1)
        K = z.shape[-1]
        others = np.where(np.eye(K, dtype=bool), -np.inf, z[..., None, :])  # (M, K, K): z_j, j != k
        with np.errstate(divide="ignore"):
            return z - lse, _logsumexp(others)[..., 0] - lse  # log(1 - y_k) = log sum_{j != k} e^z_j - lse
    raise ValueError("cross-entropy losses need output 'sigmoid' or 'softmax', not 'linear' (y must lie in (0, 1)).")
