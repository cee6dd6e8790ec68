"""Helpers shared by the figure builders: log-safe values, step axes, titles in the lecture's symbols."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard import theme as th

SUB = str.maketrans("0123456789()-+", "₀₁₂₃₄₅₆₇₈₉₍₎₋₊")
SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
ZEROS = "exact zeros"  # meta of a trace that marks exact zeros on a log axis (zero_markers)
# The colour scale of every magnitude heatmap of one set of weights (credit maps, units) spans this many decades below
# its largest entry (smaller entries take the darkest colour; the hover keeps the exact value): one range for every
# cell and setting, so an RNN's map and an LSTM's can be compared by their colours alone.
DECADES = 6.0


def sub(text) -> str:
    """Unicode subscript: sub(12) -> '₁₂'."""
    return str(text).translate(SUB)


def decade(k: int) -> str:
    """10^k as slide text: 1, 10, 10², 10⁻³."""
    return {0: "1", 1: "10"}.get(k, f"10{str(k).translate(SUP)}")


def zero_markers(x, values, name: str, colour: str, hover_x: str = "n") -> go.Scatter | None:
    """The points where values is exactly 0, for a log axis (which cannot draw 0): finish() puts them on a
    line labelled 0 below the lowest decade. None when there is no exact zero."""
    v = np.asarray(values, dtype=float)
    zero = v == 0.0
    if not zero.any():
        return None
    return go.Scatter(x=np.asarray(x)[zero], y=np.ones(int(zero.sum())), mode="markers", meta=ZEROS,
                      name=f"{name}: exactly 0", marker=dict(symbol="triangle-down", color=colour),
                      hovertemplate=f"{hover_x} = %{{x}}<br>exactly 0<extra></extra>")


def zrange(*matrices: np.ndarray) -> tuple[float, float] | None:
    """A shared (min, max) of log10 for several matrices (one colour scale): from DECADES below their largest
    positive finite entry to it, whatever their smallest (so a slow decay stays bright and a fast one goes dark)."""
    vals = np.concatenate([np.asarray(m, dtype=float).ravel() for m in matrices])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0:
        return None
    hi = float(np.log10(vals.max()))
    return hi - DECADES, hi


def log_safe(v: np.ndarray) -> np.ndarray:
    """Values for a log axis: zeros and non-finite entries become NaN (a gap, not a fake number)."""
    v = np.asarray(v, dtype=float).copy()
    v[~np.isfinite(v) | (v <= 0)] = np.nan
    return v


def steps(N: int) -> np.ndarray:
    """Time steps n = 1..N."""
    return np.arange(1, N + 1)


def finish(fig: go.Figure, title: str, x: str, y: str, theme: str, log_y: bool = False) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y)
    if log_y:
        fig.update_yaxes(type="log", **log_axis(fig))
    if x.startswith(("training iteration", "time step")):
        fig.update_xaxes(**whole_number_ticks(fig))
    return th.apply(fig, theme)


def whole_number_ticks(fig: go.Figure) -> dict:
    """Iterations and time steps are whole numbers: never tick at 0.5 on a short axis."""
    xs = [np.asarray(t.x, dtype=float) for t in fig.data
          if getattr(t, "x", None) is not None and np.asarray(t.x).dtype.kind in "iuf"]
    xs = np.concatenate([x[np.isfinite(x)] for x in xs]) if xs else np.array([])
    if xs.size == 0 or xs.max() - xs.min() >= 10:
        return {}
    return {"dtick": 1, "tick0": 0}


def log_axis(fig: go.Figure) -> dict:
    """A log y axis ticked at powers of ten only (a bare "3" between 10⁻² and 10⁻¹ reads as three on a slide),
    over whole decades that hold the data, at least one; exact zeros (zero_markers) on a line labelled 0 one
    decade below the lowest. Moves the zero markers there (in place) and returns the axis settings."""
    ys = [np.asarray(t.y, dtype=float) for t in fig.data if getattr(t, "y", None) is not None and t.meta != ZEROS]
    ys = np.concatenate([y[np.isfinite(y) & (y > 0)] for y in ys]) if ys else np.array([])
    if ys.size == 0:
        return {"exponentformat": "power"}
    lo, hi = int(np.floor(np.log10(ys.min()))), min(308, int(np.ceil(np.log10(ys.max()))))  # 10.0**309 overflows
    step = max(1, int(np.ceil((hi - lo) / 8)))
    lo = hi - step * max(1, int(np.ceil((hi - lo) / step)))  # ticks down from the data's top to below its bottom
    ticks = list(range(lo, hi + 1, step))
    vals, texts = [10.0**k for k in ticks], [decade(k) for k in ticks]
    bottom = ticks[0]
    zeros = [t for t in fig.data if t.meta == ZEROS]
    if zeros:
        bottom = ticks[0] - step
        for t in zeros:
            t.y = np.full(len(t.x), 10.0**bottom)
        vals, texts = [10.0**bottom, *vals], ["0", *texts]
    return {"tickvals": vals, "ticktext": texts, "range": [bottom - 0.25 * step, hi + 0.1 * step], "minor": {"ticks": ""}}
