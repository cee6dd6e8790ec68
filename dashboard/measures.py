"""The numbers a preset's description may state, measured the way the pages measure them.

A description says "{reach}" where a number goes; its preset file says what to print there and the
range the measured number must lie in (tests/test_presets.py runs every preset and checks every claim),
so a description never promises what the page does not show.
"""
from __future__ import annotations

import numpy as np

from dashboard import compute
from dashboard.config import Experiment
from rnn_engine import get_activation
from rnn_engine.theory import singular_values


def reach(exp: Experiment) -> float:
    """‖∂L/∂s(1)‖ / ‖∂L/∂s(N)‖ at θ(0): how much of the gradient at the loss reaches step 1 (Gradients page)."""
    g = compute.gradients(exp)[1].state_grad_norms
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(g[0] / g[-1])


def cell_reach(exp: Experiment) -> float:
    """‖∂L/∂c(1)‖ / ‖∂L/∂c(N)‖ at θ(0): how much of the LSTM cell state's gradient reaches step 1."""
    g = compute.gradients(exp)[1].log.cell_grad
    if g is None:
        raise ValueError("only the LSTM has a cell state c(n).")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(g[0] / g[-1])


def rate(exp: Experiment) -> float:
    """κ·σ_max(W_s) at θ(0): the most one step back can multiply the gradient's norm by (the Elman cell's)."""
    if exp.cell != "elman":
        raise ValueError("κ·σ_max(W_s) bounds the Elman cell only; a gated cell has no such bound.")
    return get_activation(exp.activation).kappa * float(singular_values(compute.setup(exp).params.W_s)[0])


def zero_steps(exp: Experiment) -> int:
    """How many of the first steps receive exactly no gradient at θ(0) (truncated BPTT cuts them off)."""
    g = compute.gradients(exp)[1].state_grad_norms
    nonzero = np.flatnonzero(g != 0.0)
    return int(nonzero[0]) if nonzero.size else len(g)


def exploded_at(exp: Experiment) -> float:
    """The training iteration at which the run exploded (inf if it never did)."""
    h = compute.training(exp).history
    return float("inf") if h.exploded_at is None else float(h.exploded_at)


def grad_norm_max(exp: Experiment) -> float:
    """The largest finite ‖∇L‖ of the training run, measured before any clipping."""
    g = compute.training(exp).history.grad_norm
    return float(np.max(g[np.isfinite(g)]))


def val_loss(exp: Experiment) -> float:
    """The last validation loss of the training run."""
    v = compute.training(exp).history.val_loss
    return float(v[np.isfinite(v)][-1])


def val_loss_start(exp: Experiment) -> float:
    """The first validation loss of the training run (after its first update)."""
    v = compute.training(exp).history.val_loss
    return float(v[np.isfinite(v)][0])


def val_ratio(exp: Experiment) -> float:
    """The last validation loss as a fraction of the constant prediction's loss (1 = learned nothing)."""
    return val_loss(exp) / compute.constant_baseline(exp)


def val_accuracy(exp: Experiment) -> float:
    """The last validation accuracy of the training run (classification tasks)."""
    a = compute.training(exp).history.val_accuracy
    return float(a[np.isfinite(a)][-1])


def _credit(exp: Experiment, trained: bool = False):
    if not trained:
        return compute.credit(exp)
    return compute.credit(exp, _params=compute.training(exp).params, params_key="trained")


def credit_horizon(exp: Experiment) -> float:
    """The Credit page's "this network remembers about k steps" at θ(0): the memory horizon of the last loss term
    (how many steps back ‖∂ℓ_m/∂s(n)‖ stays above 1 % of ‖∂ℓ_m/∂s(m)‖)."""
    from rnn_engine.credit import memory_horizons

    I = _credit(exp).itemized
    rows = np.flatnonzero(I.sum(axis=1) > 0)
    return float(memory_horizons(I)[rows[-1]])


def credit_far(exp: Experiment) -> float:
    """The share of all credit Σ ‖∂ℓ_m/∂s(n)‖ sent over more than 10 steps (m − n > 10) at θ(0) (Credit page)."""
    from dashboard.figures.credit import near_far

    return near_far(_credit(exp).itemized)[1]


def credit_near(exp: Experiment) -> float:
    """The share of all credit sent over at most 2 steps (m − n ≤ 2) at θ(0) (Credit page)."""
    from dashboard.figures.credit import near_far

    return near_far(_credit(exp).itemized)[0]


def credit_far_trained(exp: Experiment) -> float:
    """credit_far after the experiment's training (the Credit page's 'Evolution of training')."""
    from dashboard.figures.credit import near_far

    return near_far(_credit(exp, trained=True).itemized)[1]


def connectivity_horizon(exp: Experiment) -> float:
    """How many steps back the last output's ‖∂y(N)/∂x(n)‖ stays above 1 % of ‖∂y(N)/∂x(N)‖ at θ(0), sample 0."""
    from rnn_engine.credit import memory_horizons

    return float(memory_horizons(_credit(exp).connectivity)[-1])


def jacobian_reach(exp: Experiment) -> float:
    """‖∂s(N)/∂s(0)‖₂ measured for the first sequence at θ(0) (the Theory page's curve at n = 0)."""
    return float(compute.gradients(exp, jacobians=True)[1].log.product_norms[0])


def bound_reach(exp: Experiment) -> float:
    """(κ σ_max(W_s))^N: the most of the gradient the bound lets reach s(0) (the Theory page's bound at n = 0)."""
    return rate(exp) ** exp.N


def seed_reach(exp: Experiment) -> float:
    """The seed page's ‖∂L/∂s(1)‖ / ‖∂L/∂s(N)‖ for the bird classifier fed in N chunks: geometric mean over its
    initial weights (N one of seed.REACH_NS)."""
    from dashboard import lecture_charts, seed

    r = lecture_charts.seed_reach_ratios(exp.H, exp.seed)[seed.REACH_NS.index(exp.N)]  # (REACH_INITS,)
    return float(np.exp(np.mean(np.log(r[r > 0]))))


MEASURES = {f.__name__: f for f in (reach, cell_reach, rate, zero_steps, exploded_at, grad_norm_max, val_loss, val_loss_start, val_ratio,
                                    val_accuracy, credit_horizon, credit_far, credit_near, credit_far_trained,
                                    connectivity_horizon, jacobian_reach, bound_reach, seed_reach)}
