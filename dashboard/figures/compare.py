"""Figures that put two configurations, A and B, on the same axes and the same colour scale."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard import theme as th
from dashboard.figures.common import finish, log_safe, steps, zero_markers
from dashboard.figures.training import EXPLOSION_COLOUR, spans_decades

COLOURS = {"A": th.OKABE_ITO[0], "B": th.OKABE_ITO[1]}  # blue, orange: the same in every chart
DASHES = {"A": "solid", "B": "dash"}  # a second cue besides colour


def shared_log_range(*arrays: np.ndarray, pad: float = 0.0) -> tuple[float, float] | None:
    """(min, max) of log10 over the finite positive entries of all arrays: one scale for A and B.

    None when no entry is finite and positive.
    """
    parts = [log_safe(np.ravel(a)) for a in arrays if a is not None]
    v = np.concatenate(parts) if parts else np.array([])
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    lo, hi = float(np.log10(v.min())), float(np.log10(v.max()))
    if hi - lo < 1e-9:  # a flat curve still needs a visible range
        lo, hi = lo - 0.5, hi + 0.5
    return lo - pad, hi + pad


def decay_overlay(grad_a: np.ndarray, grad_b: np.ndarray, label_a: str, label_b: str, theme: str = "screen",
                  title: str = "How far back does the gradient reach? A and B on one axis") -> go.Figure:
    """||dL/ds(n)|| for A and B on one log axis (entry n-1 = ||dL/ds(n)||, shapes (N_A,), (N_B,)).

    Same N: x = n.  Different N: x = n − N (steps before the last step), so both curves end at the loss.
    """
    same_N = len(grad_a) == len(grad_b)
    fig = go.Figure()
    for name, g, label in (("A", grad_a, label_a), ("B", grad_b, label_b)):
        N = len(g)
        x = steps(N) if same_N else steps(N) - N
        fig.add_trace(go.Scatter(
            x=x, y=log_safe(g), name=f"{name}: {label}", mode="lines+markers" if N <= 60 else "lines",
            line=dict(color=COLOURS[name], dash=DASHES[name]), customdata=steps(N),
            hovertemplate=f"{name}<br>n = %{{customdata}}<br>‖∂L/∂s(n)‖ = %{{y:.3e}}<extra></extra>",
        ))
        zeros = zero_markers(x, g, name, COLOURS[name], hover_x="n − N" if not same_N else "n")
        if zeros is not None:
            fig.add_trace(zeros)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    x_title = "time step n  (loss at n = N, right)" if same_N else "n − N: steps before the last step (loss at 0, right)"
    return finish(fig, title, x_title, "‖∂L/∂s(n)‖  (log scale)", theme, log_y=True)


def loss_overlay(iteration_a: np.ndarray, loss_a: np.ndarray, iteration_b: np.ndarray, loss_b: np.ndarray,
                 label_a: str, label_b: str, exploded_a: int | None = None, exploded_b: int | None = None,
                 loss_name: str = "L", theme: str = "screen", log_y: bool | None = None,
                 val_a: np.ndarray | None = None, val_b: np.ndarray | None = None,
                 title: str = "Loss of A and B during training") -> go.Figure:
    """Loss against iteration t for A and B (each (T,)); an 'exploded' line for each that blew up.

    With val_a / val_b ((T,), NaN where not evaluated) the validation loss is the bold line and the
    noisy per-batch training loss a faint one behind it; without, the training loss is drawn bold.
    """
    if log_y is None:
        log_y = spans_decades(loss_a, loss_b, val_a, val_b)
    clean = log_safe if log_y else (lambda v: np.where(np.isfinite(v), v, np.nan))
    fig = go.Figure()
    for name, it, loss, val, label, boom in (("A", iteration_a, loss_a, val_a, label_a, exploded_a),
                                             ("B", iteration_b, loss_b, val_b, label_b, exploded_b)):
        has_val = val is not None and np.isfinite(val).any()
        fig.add_trace(go.Scatter(
            x=it, y=clean(np.asarray(loss, dtype=float)), mode="lines+markers" if len(it) <= 60 else "lines",
            name=f"{name}: training loss (one batch)" if has_val else f"{name}: {label}",
            line=dict(color=COLOURS[name], dash=DASHES[name], width=1 if has_val else None),
            opacity=0.35 if has_val else 1.0, legendgroup=name,
            hovertemplate=f"{name} training<br>iteration t = %{{x}}<br>{loss_name} = %{{y:.4g}}<extra></extra>",
        ))
        if has_val:
            fig.add_trace(go.Scatter(
                x=it, y=clean(np.asarray(val, dtype=float)), mode="lines", connectgaps=True,
                name=f"{name}: {label}, validation loss", legendgroup=name,
                line=dict(color=COLOURS[name], dash=DASHES[name], width=3.5),
                hovertemplate=f"{name} validation<br>iteration t = %{{x}}<br>{loss_name} = %{{y:.4g}}<extra></extra>",
            ))
        if boom is not None:
            fig.add_vline(x=boom, line=dict(color=EXPLOSION_COLOUR, width=2, dash="dash"),
                          annotation=dict(text=f"{name} exploded at iteration {boom}", font=dict(color=EXPLOSION_COLOUR),
                                          bgcolor="rgba(255,255,255,0.85)",
                                          y=0.98 if name == "A" else 0.88, yref="paper", yanchor="top"),
                          annotation_position="top right")
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    y_title = f"loss {loss_name}" + ("  (log scale)" if log_y else "")
    fig = finish(fig, title, "training iteration t", y_title, theme, log_y=log_y)
    if not log_y:
        fig.update_yaxes(exponentformat="power")
    return fig
