"""What a gradient log says in words, when its numbers alone would mislead: exact zeros, overflow, a collapse.

A page shows "0.00e+00", "nan" or an empty log-scale chart only when nothing explains it. These functions
look at the engine's records and return the sentence to show instead, and a fix where one setting is it.
Pure: arrays in, words out; nothing here draws.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fix:
    """One setting that cures the problem: a button sets field to value."""

    field: str
    value: object
    label: str


@dataclass(frozen=True)
class Problem:
    kind: str  # "zero": no gradient reaches the network; "overflow": a value stopped being a finite number
    message: str
    fix: Fix | None = None


def number(x: float, spec: str = ".2e") -> str:
    """A measured norm as a page shows it: 0 said as exactly 0, inf and NaN as overflowed, never 'nan'."""
    x = float(x)
    if x == 0.0:
        return "0 (exactly)"
    if not np.isfinite(x):
        return "overflowed"
    return format(x, spec)


def percent(r: float) -> str:
    """A fraction as a percentage with two significant digits: 0.09 %, 3.1 %, 62 % (never '0 %' for 0.0009)."""
    p = 100.0 * float(r)
    if p == 0.0 or not np.isfinite(p):
        return f"{p:g} %"
    digits = max(0, 1 - int(np.floor(np.log10(abs(p)))))
    return f"{p:.{digits}f} %"


REMEMBERS = "This network remembers about"  # the label of every memory-horizon metric (Gradients, Credit, Compare)


def remembers(h, span: int) -> str:
    """A memory horizon h (rnn_engine.memory_horizon) as the pages say it: "12 steps"; "≥ 60 steps" when h covers
    the whole span it was measured over (the gradient never fell below the level); "—" for None or NaN (nothing to
    measure: a zero or overflowed gradient at the loss)."""
    if h is None or not np.isfinite(h):
        return "—"
    return f"{'≥ ' if h >= span else ''}{int(h)} step{'' if int(h) == 1 else 's'}"


def first_nonfinite_back(norms: np.ndarray) -> int | None:
    """The step n (1..N), counting back from N, at which ||dL/ds(n)|| first stops being finite; None if never."""
    bad = np.flatnonzero(~np.isfinite(np.asarray(norms, dtype=float)))
    return int(bad[-1]) + 1 if bad.size else None


def gradient_problem(state_grad: np.ndarray, loss: float, s: np.ndarray, y: np.ndarray, output: str,
                     loss_name: str, readout: str) -> Problem | None:
    """Why the gradient at θ(0) cannot be drawn, if it cannot: (N,) ||dL/ds(n)||, the loss, the states
    s (N+1, B, H), the read-out y (N, B, K), and the settings that produced them. None when it can."""
    N = len(state_grad)
    states = np.asarray(s, dtype=float)[1:]  # (N, B, H)
    bad_state = np.flatnonzero(~np.isfinite(states.reshape(N, -1)).all(axis=1))
    if bad_state.size:
        n = int(bad_state[0]) + 1
        return Problem("overflow", f"The state s(n) overflowed to infinity at step {n} of the forward pass: with these "
                                   "weights every step multiplies it by more than 1 (lower the spectral radius of W_s, "
                                   "or choose tanh or sigmoid, which cannot grow without bound).",
                       Fix("radius", 0.9, "Set the spectral radius of W_s to 0.9"))
    if not np.isfinite(loss):
        return Problem("overflow", "The loss overflowed to infinity: the read-out is far outside the targets' range.",
                       Fix("radius", 0.9, "Set the spectral radius of W_s to 0.9"))
    n = first_nonfinite_back(state_grad)
    if n is not None:
        return Problem("overflow", f"The gradient overflowed to infinity at step {n}, going back from the loss at step "
                                   f"{N}: it grows at every step back faster than a float64 can hold.",
                       Fix("radius", 0.9, "Set the spectral radius of W_s to 0.9"))
    g = np.asarray(state_grad, dtype=float)
    if g.any():
        return None
    read = np.asarray(y, dtype=float)[-1 if readout == "last" else slice(None)]
    saturated = float(np.mean((read == 0.0) | (read == 1.0))) if output in ("sigmoid", "softmax") else 0.0
    if saturated > 0.5:
        big = float(np.max(np.abs(states[-1])))
        fix = Fix("output", "linear", "Use a linear read-out") if loss_name in ("sse", "mse") else None
        return Problem("zero", f"No gradient reaches the network: the {output} read-out is saturated. For "
                               f"{percent(saturated)} of the outputs y is exactly 0 or 1 (the state reaches "
                               f"|s| = {big:.1e}), where its slope g′ is 0, so ∂L/∂s(N) = 0 and nothing flows back."
                               + (" A linear read-out has slope 1 everywhere." if fix else
                                  " Lower the spectral radius of W_s so that the state stays small."), fix)
    return Problem("zero", "No gradient reaches the network: ∂L/∂s(n) is exactly 0 at every step (the loss does "
                           "not depend on the state with these weights).")


def collapse(state_grad_rows: np.ndarray, grad_norm: np.ndarray, lr: np.ndarray, iterations: np.ndarray,
             slope_before: float, slope_after: float) -> str | None:
    """A sentence when the gradient reaching step 1 collapsed during the first updates (the heatmap goes dark
    after a row or two), else None. state_grad_rows: (T, N); grad_norm, lr, iterations: (T,); the median
    slope φ′(a(n)) over the batch at θ(0) and after training."""
    rows = np.asarray(state_grad_rows, dtype=float)
    if rows.shape[0] < 3 or rows.shape[1] < 2:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = rows[:, 0] / rows[:, -1]  # (T,) the share of ||dL/ds(N)|| that reaches step 1
    early = max(3, rows.shape[0] // 10)
    r0 = reach[0]
    if not (np.isfinite(r0) and r0 > 0):
        return None
    fell = np.flatnonzero(np.isfinite(reach[:early]) & (reach[:early] < r0 / 100))
    if not fell.size:
        return None
    t = int(fell[0])
    steps = lr[:t] * grad_norm[:t]
    return (f"The gradient collapsed early: at iteration {int(iterations[0])} step 1 received {r0:.1e} of the gradient "
            f"at step N, by iteration {int(iterations[t])} only {reach[t]:.1e}. The first updates were large "
            f"(‖∇L‖ up to {np.nanmax(grad_norm[:t]):.2g}, steps γ‖∇L‖ up to {np.nanmax(steps):.2g}) and moved the "
            f"weights where the median slope φ′(a(n)) is {slope_after:.2g} instead of {slope_before:.2g}: "
            + ("the units saturate, and from then on little gradient flows back. Clipping or a smaller γ keeps the "
               "first steps small." if slope_after < slope_before else
               "the gradient through time now shrinks at every step back."))
