"""Learning-rate schedules gamma(t), gradient clipping and optimiser steps, as pure functions.

    sgd        theta(t+1) = theta(t) - gamma(t) g(t),        g(t) = grad L(t; theta(t))
    momentum   v(t+1) = mu v(t) - gamma(t) g(t),   theta(t+1) = theta(t) + v(t+1)   (heavy ball)
    adam       m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
               theta -= gamma(t) m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^(t+1)),
               v_hat = v / (1 - b2^(t+1))                      (Kingma & Ba 2015, Algorithm 1)

Clipping is a separate, visible step that reports the norm before it (Pascanu et al. 2013):

    by global norm   g <- g * c / ||g||   if ||g|| > c
    by value         g_i <- min(max(g_i, -c), c)

Nothing is changed in place: every function returns new params (of the input's type) and a new OptState. Results are
built with unchecked, so a step that overflows returns non-finite numbers for the caller
(the training loop) to detect instead of raising half-way.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_engine.checks import real_number, whole_number
from rnn_engine.params import PARAM_NAMES, CellParams

SCHEDULES = ("constant", "step", "exponential")
OPTIMIZERS = ("sgd", "momentum", "adam")


# learning-rate schedules -------------------------------------------------------------------
def learning_rate(
    t: int,
    base: float,
    schedule: str = "constant",
    step_every: int = 100,
    factor: float = 0.5,
    decay: float = 0.99,
) -> float:
    """gamma(t): constant base; step base * factor^(t // step_every); exponential base * decay^t."""
    t = whole_number(t, "t", 0, meaning="the iteration")
    base = real_number(base, "the learning rate gamma(0)", 0.0)
    if schedule == "constant":
        return base
    if schedule == "step":
        step_every = whole_number(step_every, "step_every", 1)
        return base * real_number(factor, "factor", 0.0, low_open=True) ** (t // step_every)
    if schedule == "exponential":
        return base * real_number(decay, "decay", 0.0, low_open=True) ** t
    raise ValueError(f"unknown schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}.")


# helpers -----------------------------------------------------------------------------------
def fieldwise(fn, *ps: CellParams) -> CellParams:
    """fn(p1, p2, ...) field by field, in the params type of p1 (any cell), like map but allowing non-finite
    results."""
    return type(ps[0]).unchecked(*(fn(*(getattr(p, n) for p in ps)) for n in PARAM_NAMES))


def zeros_like(params: CellParams) -> CellParams:
    return fieldwise(np.zeros_like, params)


def global_norm(grads: CellParams) -> float:
    """||g|| = sqrt(sum over all entries of g^2), computed without overflow for finite g."""
    arrays = [v for _, v in grads.items()]
    with np.errstate(invalid="ignore", over="ignore"):
        total = sum(float(np.vdot(v, v)) for v in arrays)
        if 1e-280 < total < np.inf:  # the sum of squares neither overflowed nor underflowed
            return float(np.sqrt(total))
        m = max((float(np.max(np.abs(v))) if v.size else 0.0) for v in arrays)
        if not np.isfinite(m) or m == 0.0:
            if any(np.isnan(v).any() for v in arrays):
                return float("nan")
            return m  # inf or 0
        total = sum(float(np.vdot(v / m, v / m)) for v in arrays)
        return m * float(np.sqrt(total))


def _check_threshold(threshold) -> float:
    try:
        c = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"clip threshold must be a number > 0; got {threshold!r}.") from None
    if not np.isfinite(c) or c <= 0:
        raise ValueError(f"clip threshold must be a finite number > 0; got {threshold!r}.")
    return c


# clipping ----------------------------------------------------------------------------------
def clip_by_global_norm(grads: CellParams, threshold: float) -> tuple[CellParams, float, bool]:
    """g * c / ||g|| if ||g|| > c, else g.  Returns (grads, ||g|| before clipping, clipped).

    A non-finite ||g|| has no direction to keep: the gradients come back unchanged, clipped=False.
    """
    c = _check_threshold(threshold)
    norm = global_norm(grads)
    if not np.isfinite(norm) or norm <= c:
        return grads, norm, False
    factor = c / norm
    return fieldwise(lambda g: g * factor, grads), norm, True


def clip_by_value(grads: CellParams, threshold: float) -> tuple[CellParams, float, bool]:
    """g_i clipped to [-c, c].  Returns (grads, max |g_i| before clipping, clipped)."""
    c = _check_threshold(threshold)
    with np.errstate(invalid="ignore"):
        max_abs = max((float(np.max(np.abs(v))) if v.size else 0.0) for _, v in grads.items())
    if not max_abs > c:  # also False for NaN
        return grads, max_abs, False
    return fieldwise(lambda g: np.clip(g, -c, c), grads), max_abs, True


# optimiser state and step ------------------------------------------------------------------
@dataclass(frozen=True)
class OptState:
    """Optimiser memory: t = number of steps taken; velocity (momentum); m, v (adam)."""

    t: int = 0
    velocity: CellParams | None = None  # v of heavy-ball momentum
    m: CellParams | None = None  # adam's first-moment estimate
    v: CellParams | None = None  # adam's second-moment estimate
    optimizer: str = "sgd"  # which optimiser this state belongs to


def _check_optimizer(optimizer: str) -> str:
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}.")
    return optimizer


def init_opt_state(params: CellParams, optimizer: str = "sgd") -> OptState:
    """t = 0 and zero memories shaped like theta."""
    _check_optimizer(optimizer)
    if optimizer == "momentum":
        return OptState(t=0, velocity=zeros_like(params), optimizer=optimizer)
    if optimizer == "adam":
        return OptState(t=0, m=zeros_like(params), v=zeros_like(params), optimizer=optimizer)
    return OptState(t=0, optimizer=optimizer)


def _check_step_inputs(params: CellParams, grads: CellParams, state: OptState, optimizer: str) -> None:
    _check_optimizer(optimizer)
    if type(grads) is not type(params):
        raise ValueError(f"grads must be of the params' type, {type(params).__name__}; got {type(grads).__name__}.")
    for name, p in params.items():
        g = getattr(grads, name)
        if g.shape != p.shape:
            raise ValueError(f"grads.{name} must have the shape of params.{name}, {p.shape}; got {g.shape}.")
    if not isinstance(state, OptState):
        raise ValueError(f"state must be an OptState (from init_opt_state); got {type(state).__name__}.")
    if state.optimizer != optimizer:
        raise ValueError(
            f"state belongs to optimizer {state.optimizer!r}, not {optimizer!r}: "
            f"start a new one with init_opt_state(params, {optimizer!r})."
        )


def step(
    params: CellParams,
    grads: CellParams,
    state: OptState,
    lr: float,
    optimizer: str = "sgd",
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[CellParams, OptState]:
    """One update theta(t) -> theta(t+1) with learning rate lr = gamma(t); see the module docstring."""
    _check_step_inputs(params, grads, state, optimizer)
    lr = float(lr)
    t1 = state.t + 1
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if optimizer == "sgd":
            new = fieldwise(lambda p, g: p - lr * g, params, grads)  # theta - gamma g
            return new, OptState(t=t1, optimizer=optimizer)
        if optimizer == "momentum":
            mu = float(momentum)
            velocity = fieldwise(lambda v, g: mu * v - lr * g, state.velocity, grads)  # v = mu v - gamma g
            new = fieldwise(lambda p, v: p + v, params, velocity)  # theta + v
            return new, OptState(t=t1, velocity=velocity, optimizer=optimizer)
        b1, b2, eps = float(beta1), float(beta2), float(eps)
        m = fieldwise(lambda m, g: b1 * m + (1.0 - b1) * g, state.m, grads)
        v = fieldwise(lambda v, g: b2 * v + (1.0 - b2) * g * g, state.v, grads)
        c1, c2 = 1.0 - b1**t1, 1.0 - b2**t1  # bias corrections
        new = fieldwise(lambda p, m, v: p - lr * (m / c1) / (np.sqrt(v / c2) + eps), params, m, v)
        return new, OptState(t=t1, m=m, v=v, optimizer=optimizer)
