"""Helpers shared by the figure builders: log-safe values, step axes, titles in the lecture's symbols."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard import theme as th

SUB = str.maketrans("0123456789()-+", "₀₁₂₃₄₅₆₇₈₉₍₎₋₊")


def sub(text) -> str:
    """Unicode subscript: sub(12) -> '₁₂'."""
    return str(text).translate(SUB)


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
        fig.update_yaxes(type="log", exponentformat="power", **decade_ticks(fig))
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


def decade_ticks(fig: go.Figure) -> dict:
    """Tick only at powers of ten when the data spans two decades or more (no 2, 3, 5 clutter)."""
    ys = [np.asarray(t.y, dtype=float) for t in fig.data if getattr(t, "y", None) is not None]
    ys = np.concatenate([y[np.isfinite(y) & (y > 0)] for y in ys]) if ys else np.array([])
    if ys.size == 0:
        return {}
    span = np.log10(ys.max()) - np.log10(ys.min())  # not log10(max / min): that ratio overflows past 1e308
    return {"dtick": max(1, int(np.ceil(span / 8)))} if span >= 2 else {}
