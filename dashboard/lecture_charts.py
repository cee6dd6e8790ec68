"""The charts a lecture step can show, by the name its page gives them (ui.chart's name): the pages' own figure
builders fed by the same cached computations (dashboard/compute.py), so a step draws exactly what its page draws.

    CHARTS[name].draw(exp, versus, theme) -> plotly Figure      (versus: B of a compare chart, else None)

Every draw raises ValueError with a plain message for a setting that cannot run (compute's own checks).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from dashboard import cache, compute, edges
from dashboard.config import FIELDS, Experiment, spec
from dashboard.figures import compare as cfigs
from dashboard.figures import credit as crfigs
from dashboard.figures import gradients as gfigs
from dashboard.figures import graph as grfigs
from dashboard.figures import seed as sfigs
from dashboard.figures import theory as tfigs
from dashboard.figures import training as trfigs
from rnn_engine import get_activation
from rnn_engine.theory import bound_curve, eigenvalues, singular_values


@dataclass(frozen=True)
class Chart:
    page: str  # the url path of the page that draws it
    draw: Callable[[Experiment, Experiment | None, str], go.Figure]
    versus: bool = False  # compares the step's experiment (A) with `versus` (B)
    trains: bool = False  # draws a training run (compute.training: the experiment's iterations, cached)


def rate(exp: Experiment) -> float:
    """κ·σ_max(W_s): the Elman cell's most one step back can multiply the gradient by."""
    return get_activation(exp.activation).kappa * float(singular_values(compute.setup(exp).params.W_s)[0])


def decay(exp: Experiment, _versus, theme: str) -> go.Figure:
    """The gradients page's decay curve with its bound ‖∂ℓ_N/∂s(N)‖ (κ σ_max(W_s))^(N−n) (Elman, untruncated)."""
    s = compute.setup(exp)
    _, res = compute.gradients(exp)
    last_term = compute.last_term_gradients(exp) if s.train.readout == "all" else None  # (N,)
    along = res.state_grad_norms if last_term is None else last_term
    bound = None
    if exp.cell == "elman" and not exp.truncate:
        with np.errstate(over="ignore", under="ignore"):
            bound = along[-1] * rate(exp) ** (exp.N - np.arange(1, exp.N + 1, dtype=float))  # (N,)
    return gfigs.decay_curve(res.state_grad_norms, bound, theme, last_term=last_term, cell_grad=res.log.cell_grad)


def unfolded(exp: Experiment, _versus, theme: str) -> go.Figure:
    return grfigs.unfolded(edges.edge_gradients(exp), None, theme)


def jacobian_products(exp: Experiment, _versus, theme: str) -> go.Figure:
    """The theory page's measured ‖∂s(N)/∂s(n)‖₂ against the bound (κ σ_max(W_s))^(N−n)."""
    if exp.cell != "elman":
        raise ValueError("the bound (κ σ_max(W_s))^(N−n) holds for the plain RNN only; set cell: elman.")
    _, res = compute.gradients(exp, jacobians=True)
    kappa = get_activation(exp.activation).kappa
    sigma = float(singular_values(compute.setup(exp).params.W_s)[0])
    return tfigs.jacobian_products(res.log.product_norms, bound_curve(kappa, sigma, exp.N), theme)


def spectrum(exp: Experiment, _versus, theme: str) -> go.Figure:
    W_s = compute.setup(exp).params.W_s
    return tfigs.eigenvalues(eigenvalues(W_s), get_activation(exp.activation).kappa, theme)


def trained(exp: Experiment):
    """The experiment's training run (the Compare page's: in one piece, within the work budget, cached)."""
    compute.check_work(exp)
    return compute.training(exp).history


def loss(exp: Experiment, _versus, theme: str) -> go.Figure:
    h, s = trained(exp), compute.setup(exp)
    return trfigs.loss_curves(h.iteration, h.loss, h.val_loss, compute.VALIDATE_EVERY, loss_name=s.loss,
                              exploded_at=h.exploded_at, exploded_what=h.exploded_what, theme=theme,
                              baseline=compute.constant_baseline(exp), title=f"Loss during training ({s.loss})")


def grad_norm(exp: Experiment, _versus, theme: str) -> go.Figure:
    h = trained(exp)
    return trfigs.grad_norm_curve(h.iteration, h.grad_norm, h.grad_norm_after_clip, h.clipped, exp.clip, exp.clip_at,
                                  exploded_at=h.exploded_at, exploded_what=h.exploded_what, theme=theme)


def names(a: Experiment, b: Experiment) -> tuple[str, str]:
    """The legend's words for A and B: the settings in which they differ ('tanh' / 'sigmoid', 'N = 10' / 'N = 50')."""
    diff = [n for n in FIELDS if getattr(a, n) != getattr(b, n)] or ["seed"]

    def say(e: Experiment) -> str:
        words = []
        for n in diff:
            v = getattr(e, n)
            words.append(("RNN" if v == "elman" else v.upper()) if n == "cell" else
                         spec(n).display(v) if isinstance(v, str) else f"{n} = {spec(n).display(v)}")
        return ", ".join(words)
    return say(a), say(b)


def decay_pair(exp: Experiment, versus: Experiment, theme: str) -> go.Figure:
    ga, gb = compute.gradients(exp)[1].state_grad_norms, compute.gradients(versus)[1].state_grad_norms
    return cfigs.decay_overlay(ga, gb, *names(exp, versus), theme)


def loss_pair(exp: Experiment, versus: Experiment, theme: str) -> go.Figure:
    ha, hb = trained(exp), trained(versus)
    return cfigs.loss_overlay(ha.iteration, ha.loss, hb.iteration, hb.loss, *names(exp, versus), ha.exploded_at,
                              hb.exploded_at, compute.setup(exp).loss, theme, val_a=ha.val_loss, val_b=hb.val_loss)


def itemized(exp: Experiment, _versus, theme: str) -> go.Figure:
    c = compute.credit(exp)
    return crfigs.itemized_heatmap(c.itemized, c.first, theme, top=crfigs.quiet_rows(c.itemized))


@cache.memo(max_entries=8)  # no spinner: also computed ahead, in a thread (the page shows its own)
def seed_reach_ratios(H: int, seed: int) -> np.ndarray:
    """The seed page's (len(REACH_NS), REACH_INITS) ratios ‖∂L/∂s(1)‖ / ‖∂L/∂s(N)‖ on the bundled bird features."""
    from dashboard import seed as sd

    return sd.reach(sd.load_source("bundled"), H, seed)


def seed_reach(exp: Experiment, _versus, theme: str) -> go.Figure:
    from dashboard import seed as sd

    return sfigs.reach_vs_steps(list(sd.REACH_NS), seed_reach_ratios(exp.H, exp.seed),
                                exp.N if exp.N in sd.REACH_NS else None, theme)


CHARTS = {
    "unfolded-graph": Chart("graph", unfolded),
    "gradient-decay": Chart("gradients", decay),
    "training-loss": Chart("training", loss, trains=True),
    "training-grad-norm": Chart("training", grad_norm, trains=True),
    "theory-jacobian-products": Chart("theory", jacobian_products),
    "theory-eigenvalues": Chart("theory", spectrum),
    "credit-itemized": Chart("credit", itemized),
    "compare-decay": Chart("compare", decay_pair, versus=True),
    "compare-loss": Chart("compare", loss_pair, versus=True, trains=True),
    "seed-reach": Chart("seed", seed_reach),
}
MAIN = {c.page: name for name, c in reversed(CHARTS.items())}  # a page's first chart above is its main one
