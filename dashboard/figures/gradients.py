"""Figures of the gradient through time: decay curve with its bound, heatmap, per-step contributions."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard import theme as th
from dashboard.figures.common import DECADES, finish, log_safe, steps, zero_markers, zrange


def decay_curve(state_grad: np.ndarray, bound: np.ndarray | None, theme: str = "screen",
                title: str = "How far back does the gradient reach?", last_term: np.ndarray | None = None,
                cell_grad: np.ndarray | None = None) -> go.Figure:
    """||dL/ds(n)|| against n (log axis), with a bound ||dL/ds(N)|| (κ σ_max(W_s))^(N−n) overlaid; exact zeros
    marked on the axis's 0 line.

    state_grad: (N,) entry n-1 = ||dL/ds(n)||;  bound: (N,) the same indexing, or None;  last_term: (N,)
    ||dl_N/ds(n)||, the last loss term's share alone, when every step has a loss term (the bound is then its bound);
    cell_grad: (N,) the LSTM's ||dL/dc(n)||, its cell state's gradient.
    """
    N = len(state_grad)
    n = steps(N)
    mode = "lines+markers" if N <= 60 else "lines"
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=n, y=log_safe(state_grad), name="measured ‖∂L/∂s(n)‖", mode=mode, line=dict(color=th.OKABE_ITO[0]),
        hovertemplate="n = %{x}<br>‖∂L/∂s(n)‖ = %{y:.3e}<extra></extra>",
    ))
    curves = [(state_grad, "‖∂L/∂s(n)‖", th.OKABE_ITO[0])]
    if last_term is not None:
        fig.add_trace(go.Scatter(
            x=n, y=log_safe(last_term), name="from the last loss term ℓ(N) alone: ‖∂ℓ_N/∂s(n)‖", mode=mode,
            line=dict(color=th.OKABE_ITO[2]), hovertemplate="n = %{x}<br>‖∂ℓ_N/∂s(n)‖ = %{y:.3e}<extra></extra>",
        ))
        curves.append((last_term, "‖∂ℓ_N/∂s(n)‖", th.OKABE_ITO[2]))
    if cell_grad is not None:
        fig.add_trace(go.Scatter(
            x=n, y=log_safe(cell_grad), name="cell state ‖∂L/∂c(n)‖", mode=mode,
            line=dict(color=th.OKABE_ITO[4], dash="dot"), hovertemplate="n = %{x}<br>‖∂L/∂c(n)‖ = %{y:.3e}<extra></extra>",
        ))
        curves.append((cell_grad, "‖∂L/∂c(n)‖", th.OKABE_ITO[4]))
    if bound is not None:
        top = "‖∂ℓ_N/∂s(N)‖" if last_term is not None else "‖∂L/∂s(N)‖"
        fig.add_trace(go.Scatter(
            x=n, y=log_safe(bound), name=f"bound {top}·(κ σ_max(W_s))^(N−n)",
            line=dict(dash="dash", color=th.OKABE_ITO[3], width=th.line_width(theme)),
            hovertemplate="n = %{x}<br>bound = %{y:.3e}<extra></extra>",
        ))
    for values, name, colour in curves:
        zeros = zero_markers(n, values, name, colour)
        if zeros is not None:
            fig.add_trace(zeros)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return finish(fig, title, "time step n", "‖∂L/∂s(n)‖  (log scale)", theme, log_y=True)


ZERO_COLOUR = "#bdbdbd"  # heatmap cells that are exactly 0 (light grey, outside Viridis)
OVERFLOW_COLOUR = "#7f0000"  # heatmap cells that overflowed to inf or NaN (dark red, outside Viridis)


HEATMAP_ROWS = 500  # at most this many iterations drawn (evenly spaced, the last included): a screen has no more rows


def shown_rows(T: int, most: int = HEATMAP_ROWS) -> np.ndarray:
    """Indices of the rows a heatmap of T iterations draws: all, or `most` evenly spaced ones with the first and last.
    (5000 x 1000 cells were 40 MB per figure, kept per session and sent to the browser on every redraw.)"""
    return np.arange(T) if T <= most else np.unique(np.linspace(0, T - 1, most).round().astype(int))


def heatmap(norms: np.ndarray, iterations: np.ndarray, normalise: bool = False, theme: str = "screen",
            zrange: tuple[float, float] | None = None,
            title: str = "Vanishing-gradient heatmap: ‖∂L/∂s(n)‖ during training") -> go.Figure:
    """log10 ||dL/ds(n)|| over (training iteration, time step), colour-blind-safe scale.

    norms: (T, N);  normalise: divide each row by its maximum so the decay shape shows even when
    the overall scale drifts;  zrange: a shared (min, max) of log10 values, for side-by-side comparisons.
    Above HEATMAP_ROWS iterations, evenly spaced rows (shown_rows), each exact, labelled by its iteration.
    """
    rows = shown_rows(len(norms))
    T_all = len(norms)
    norms, iterations = np.asarray(norms)[rows], np.asarray(iterations)[rows]  # (T, N), (T,)
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
    raw = np.asarray(norms, dtype=float)
    for cells, colour, said in ((raw == 0.0, ZERO_COLOUR, "exactly 0: no gradient reaches here"),
                                (~np.isfinite(raw), OVERFLOW_COLOUR, "overflowed: not a finite number")):
        if cells.any():  # a log scale has no colour for these: a flat colour of their own, named on hover
            fig.add_trace(go.Heatmap(
                x=steps(N), y=iterations, z=np.where(cells, 1.0, np.nan), colorscale=[[0, colour], [1, colour]],
                showscale=False, name=said, hovertemplate=f"iteration %{{y}}<br>step n = %{{x}}<br>{said}<extra></extra>",
            ))
    y_title = "training iteration" if T == T_all else f"training iteration ({T} of {T_all} rows, evenly spaced)"
    return finish(fig, title, "time step n  (loss read at the right)", y_title, theme)


def unit_reach(unit_grad: np.ndarray, fraction: float = 0.01) -> np.ndarray:
    """(H,) how many steps back each unit still carries a visible gradient: N - n for the earliest step n with
    |dL/ds_i(n)| >= fraction * max_j |dL/ds_j(N)| (the level of the strongest unit at the loss), 0 for a unit that is
    below it everywhere (or at the loss itself only). unit_grad: (N, H), res.log.unit_grad."""
    g = np.asarray(unit_grad, dtype=float)  # (N, H)
    N = g.shape[0]
    level = fraction * np.max(g[-1])
    above = np.isfinite(g) & (g >= level) & (level > 0)  # (N, H)
    earliest = np.where(above.any(axis=0), above.argmax(axis=0) + 1, N)  # (H,) first step n above the level
    return N - earliest


def unit_heatmap(unit_grad: np.ndarray, theme: str = "screen", horizon: float | None = None,
                 title: str = "How far back each unit of the state gets the gradient: |∂L/∂s_i(n)|") -> go.Figure:
    """log10 |dL/ds_i(n)| (root mean square over the batch) over (time step n, unit i), on the heatmaps' scale
    (MAGNITUDE_SCALE) spanning DECADES below the largest entry, as the credit maps do, so that two cells' maps compare
    by colour; exact zeros in ZERO_COLOUR, overflow in OVERFLOW_COLOUR; the memory horizon h, when given and inside
    the run, a dashed line at n = N - h.

    unit_grad: (N, H), res.log.unit_grad; drawn transposed, z (H, N): one row per unit, steps along x as on the
    decay curve. sum_i unit_grad[n-1, i]^2 = ||dL/ds(n)||^2 / B.
    """
    g = np.asarray(unit_grad, dtype=float).T  # (H, N)
    H, N = g.shape
    units = np.arange(1, H + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(log_safe(g))  # (H, N)
    zr = zrange(g)
    label = "log₁₀ |∂L/∂s_i(n)|"
    fig = go.Figure(go.Heatmap(
        x=steps(N), y=units, z=z, colorscale=th.MAGNITUDE_SCALE, customdata=g, hoverongaps=False,
        zmin=None if zr is None else zr[0], zmax=None if zr is None else zr[1],
        colorbar=dict(title=dict(text=label, side="right")),
        hovertemplate="unit i = %{y}, step n = %{x}<br>|∂L/∂s_i(n)| = %{customdata:.3e}<extra></extra>",
    ))
    for cells, colour, said in ((g == 0.0, ZERO_COLOUR, "exactly 0: no gradient reaches here"),
                                (~np.isfinite(g), OVERFLOW_COLOUR, "overflowed: not a finite number")):
        if cells.any():
            fig.add_trace(go.Heatmap(
                x=steps(N), y=units, z=np.where(cells, 1.0, np.nan), colorscale=[[0, colour], [1, colour]],
                showscale=False, name=said, hoverongaps=False,
                hovertemplate=f"unit i = %{{y}}, step n = %{{x}}<br>{said}<extra></extra>",
            ))
    if horizon is not None and np.isfinite(horizon) and horizon < N:
        at = int(N - horizon)
        fig.add_vline(x=at + 0.5, line=dict(dash="dash", color="white", width=th.line_width(theme)))  # n <= at: below
        right = at > N / 2  # the words on the side of the line with room, inside the map (not over the title)
        fig.add_annotation(x=at + 0.5, y=0.98, yref="paper", yanchor="top", showarrow=False,
                           xanchor="right" if right else "left", xshift=-4 if right else 4,
                           bgcolor="rgba(255,255,255,0.85)", text=f"memory horizon: {int(horizon)} steps")
    fig.update_xaxes(range=[0.5, N + 0.5])  # the map's own steps: plotly's autorange would make room for the words
    if H <= 30:
        fig.update_yaxes(dtick=1 if H <= 15 else 2)
    return finish(fig, title, "time step n  (loss read at the right)", "unit i of the state s(n)", theme)


def contributions(W_s: np.ndarray, W_x: np.ndarray, b: np.ndarray, theme: str = "screen",
                  title: str = "Which steps make the weight update?") -> go.Figure:
    """Norm of step n's share of dL/dW_s, dL/dW_x, dL/db (each (N,)), log axis."""
    N = len(W_s)
    fig = go.Figure()
    mode = "lines+markers" if N <= 60 else "lines"
    parts = ((W_s, "‖δ(n) s(n−1)ᵀ‖  → ∂L/∂W_s", "∂L/∂W_s"), (W_x, "‖δ(n) x(n)ᵀ‖  → ∂L/∂W_x", "∂L/∂W_x"),
             (b, "‖Σ δ(n)‖  → ∂L/∂b", "∂L/∂b"))
    for (values, name, _), colour in zip(parts, th.OKABE_ITO, strict=False):
        fig.add_trace(go.Scatter(x=steps(N), y=log_safe(values), name=name, mode=mode, line=dict(color=colour),
                                 hovertemplate="n = %{x}<br>%{y:.3e}<extra>" + name + "</extra>"))
    for (values, _, short), colour in zip(parts, th.OKABE_ITO, strict=False):
        zeros = zero_markers(steps(N), values, short, colour)  # e.g. ∂L/∂W_s at n = 1 when s(0) = 0
        if zeros is not None:
            fig.add_trace(zeros)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return finish(fig, title, "time step n", "norm of step n's contribution (log)", theme, log_y=True)
