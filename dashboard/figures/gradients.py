"""Figures of the gradient through time: decay curve with its bound, heatmap, per-step contributions."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard import theme as th
from dashboard.figures.common import finish, log_safe, steps


def decay_curve(state_grad: np.ndarray, bound: np.ndarray | None, theme: str = "screen",
                title: str = "How far back does the gradient reach?") -> go.Figure:
    """||dL/ds(n)|| against n (log axis), with ||dL/ds(N)|| (κ σ_max(W_s))^(N−n) overlaid.

    state_grad: (N,) entry n-1 = ||dL/ds(n)||;  bound: (N,) the same indexing, or None.
    """
    N = len(state_grad)
    n = steps(N)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=n, y=log_safe(state_grad), name="measured ‖∂L/∂s(n)‖", mode="lines+markers" if N <= 60 else "lines",
        hovertemplate="n = %{x}<br>‖∂L/∂s(n)‖ = %{y:.3e}<extra></extra>",
    ))
    if bound is not None:
        fig.add_trace(go.Scatter(
            x=n, y=log_safe(bound), name="bound ‖∂L/∂s(N)‖·(κ σ_max(W_s))^(N−n)",
            line=dict(dash="dash", color=th.OKABE_ITO[3], width=th.line_width(theme)),
            hovertemplate="n = %{x}<br>bound = %{y:.3e}<extra></extra>",
        ))
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return finish(fig, title, "time step n", "‖∂L/∂s(n)‖  (log scale)", theme, log_y=True)


def heatmap(norms: np.ndarray, iterations: np.ndarray, normalise: bool = False, theme: str = "screen",
            zrange: tuple[float, float] | None = None,
            title: str = "Vanishing-gradient heatmap: ‖∂L/∂s(n)‖ during training") -> go.Figure:
    """log10 ||dL/ds(n)|| over (training iteration, time step), colour-blind-safe scale.

    norms: (T, N);  normalise: divide each row by its maximum so the decay shape shows even when
    the overall scale drifts;  zrange: a shared (min, max) of log10 values, for side-by-side comparisons.
    """
    T, N = norms.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.asarray(norms, dtype=float)
        if normalise:
            z = z / np.nanmax(np.where(np.isfinite(z), z, np.nan), axis=1, keepdims=True)
        z = np.log10(log_safe(z))  # (T, N)
    label = "log₁₀ of ‖∂L/∂s(n)‖ / row max" if normalise else "log₁₀ ‖∂L/∂s(n)‖"
    fig = go.Figure(go.Heatmap(
        x=steps(N), y=iterations, z=z, colorscale=th.MAGNITUDE_SCALE,
        zmin=None if zrange is None else zrange[0], zmax=None if zrange is None else zrange[1],
        colorbar=dict(title=dict(text=label, side="right")),
        hovertemplate="iteration %{y}<br>step n = %{x}<br>" + label + " = %{z:.2f}<extra></extra>",
    ))
    return finish(fig, title, "time step n  (loss read at the right)", "training iteration", theme)


def contributions(W_s: np.ndarray, W_x: np.ndarray, b: np.ndarray, theme: str = "screen",
                  title: str = "Which steps make the weight update?") -> go.Figure:
    """Norm of step n's share of dL/dW_s, dL/dW_x, dL/db (each (N,)), log axis."""
    N = len(W_s)
    fig = go.Figure()
    mode = "lines+markers" if N <= 60 else "lines"
    for values, name in ((W_s, "‖δ(n) s(n−1)ᵀ‖  → ∂L/∂W_s"), (W_x, "‖δ(n) x(n)ᵀ‖  → ∂L/∂W_x"), (b, "‖Σ δ(n)‖  → ∂L/∂b")):
        fig.add_trace(go.Scatter(x=steps(N), y=log_safe(values), name=name, mode=mode,
                                 hovertemplate="n = %{x}<br>%{y:.3e}<extra>" + name + "</extra>"))
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return finish(fig, title, "time step n", "norm of step n's contribution (log)", theme, log_y=True)
