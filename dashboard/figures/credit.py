"""Figures of credit assignment: which loss term's gradient reaches which step (RNNbow, Cashman et al. 2018), and
what each output still remembers of each input (Distill's connectivity, Madsen 2019).

    itemized (W, W): [m-first, n-first] = ||dl_m/ds(n)||,  zero where n > m   (backward(..., itemized=True))
    share(m, n) = ||dl_m/ds(n)|| / sum_m' ||dl_m'/ds(n)||  what part of the credit reaching s(n) came from l_m
    connectivity (W, W): [m-first, n-first] = ||dy(m)/dx(n)||_F for one sample

The numbers the page states (shares by lag, near and far credit) are computed here too, next to the figures
that draw them. Figure text is Unicode only, never LaTeX.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from dashboard import theme as th
from dashboard.figures.common import DECADES, finish, log_safe, zero_markers, zrange  # noqa: F401 (re-exported)
from dashboard.figures.gradients import ZERO_COLOUR

# RNNbow's bands of m - n: how far ahead of s(n) the loss term was. (low, high, label); high None = no end.
LAG_BANDS = ((0, 0, "0 (its own)"), (1, 2, "1–2"), (3, 5, "3–5"), (6, 10, "6–10"), (11, None, "more than 10"))
BANDS_TITLE = "loss term m − n steps ahead: "
# Near is light, far is dark: an ordered, colour-blind-safe ramp taken from the heatmaps' scale.
BAND_COLOURS = tuple(sample_colorscale(th.MAGNITUDE_SCALE, [0.9, 0.68, 0.46, 0.24, 0.0]))
BLANK = "·"  # the text of a step whose input carries nothing (the copy task's blank)
FAR = 10  # lags above this are "far" in the page's sentence (the last band)


def lags(W: int) -> np.ndarray:
    """(W, W) m - n for the entries of a credit matrix (negative above the diagonal)."""
    i = np.arange(W)
    return i[:, None] - i[None, :]


def shares(itemized: np.ndarray) -> np.ndarray:
    """(W, W) share(m, n) = ||dl_m/ds(n)|| / sum_m' ||dl_m'/ds(n)||: NaN in a column that receives nothing."""
    I = np.asarray(itemized, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return I / I.sum(axis=0, keepdims=True)


def band_shares(itemized: np.ndarray) -> np.ndarray:
    """(5, W): for each step n, the share of sum_m ||dl_m/ds(n)|| sent by loss terms with m - n in each LAG_BAND."""
    I = np.asarray(itemized, dtype=float)
    d = lags(I.shape[0])
    total = I.sum(axis=0)  # (W,)
    out = np.zeros((len(LAG_BANDS), I.shape[0]))  # (5, W)
    with np.errstate(divide="ignore", invalid="ignore"):
        for b, (lo, hi, _) in enumerate(LAG_BANDS):
            inside = (d >= lo) & (d <= (hi if hi is not None else d.max()))
            out[b] = np.where(inside, I, 0.0).sum(axis=0) / total
    return out


def near_far(itemized: np.ndarray, near: int = 2, far: int = FAR) -> tuple[float, float]:
    """(near, far): the shares of all credit sum_{m,n} ||dl_m/ds(n)|| sent over m - n <= near steps and over
    m - n > far steps. NaN when nothing is sent."""
    I = np.asarray(itemized, dtype=float)
    d = lags(I.shape[0])
    total = I[d >= 0].sum()
    if not np.isfinite(total) or total == 0:
        return float("nan"), float("nan")
    return float(I[(d >= 0) & (d <= near)].sum() / total), float(I[d > far].sum() / total)


def _triangle(values: np.ndarray) -> np.ndarray:
    """log10 of the lower triangle (n <= m) for a log colour scale; NaN above it, at zeros and at inf."""
    W = values.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(log_safe(values))  # (W, W)
    z[lags(W) < 0] = np.nan
    return z.astype(np.float32)  # half the bytes for the browser; 7 digits are plenty for a colour


def _zero_cells(values: np.ndarray, x, y, said: str, subplot: dict | None = None, top: int = 0) -> go.Heatmap | None:
    """Exact zeros of the lower triangle (from row top on) in a flat grey of their own (a log scale has no colour
    for 0)."""
    zero = ((values == 0.0) & (lags(values.shape[0]) >= 0))[top:]
    y = y[top:]
    if not zero.any():
        return None
    return go.Heatmap(x=x, y=y, z=np.where(zero, 1.0, np.nan).astype(np.float32), showscale=False,
                      colorscale=[[0, ZERO_COLOUR], [1, ZERO_COLOUR]], name=said, hoverongaps=False,
                      hovertemplate=f"m = %{{y}}, n = %{{x}}<br>{said}<extra></extra>", **(subplot or {}))


def _itemized_trace(I: np.ndarray, first: int, zr, colorbar: bool, top: int = 0) -> go.Heatmap:
    """The heatmap of rows top.. of I (the rows above hold no loss term and are left out when top > 0)."""
    W = I.shape[0]
    steps = np.arange(first, first + W)
    share = shares(I)
    custom = np.stack([I, 100.0 * share], axis=-1).astype(np.float32)[top:]  # (W - top, W, 2)
    return go.Heatmap(
        x=steps, y=steps[top:], z=_triangle(I)[top:], customdata=custom, colorscale=th.MAGNITUDE_SCALE,
        zmin=None if zr is None else zr[0], zmax=None if zr is None else zr[1], hoverongaps=False,
        showscale=colorbar, colorbar=dict(title=dict(text="log₁₀ ‖∂ℓ_m/∂s(n)‖", side="right")),
        hovertemplate="the loss at step m = %{y} sends ‖∂ℓ_m/∂s(n)‖ = %{customdata[0]:.3e} to s(n), n = %{x},<br>"
                      "that is %{customdata[1]:.1f} % of what reaches s(n)<extra></extra>",
    )


def _step_axes(fig: go.Figure, first: int, W: int, row=None, col=None, rows: int | None = None) -> None:
    """Loss step m down the y axis from the top (as a matrix is read), state step n along x; whole-number ticks
    on short axes (rows: how many rows are drawn, W by default)."""
    rows = W if rows is None else rows
    fig.update_yaxes(autorange="reversed", row=row, col=col)
    if W <= 30:
        fig.update_xaxes(dtick=1 if W <= 15 else 2, row=row, col=col)
    if rows <= 30:
        fig.update_yaxes(dtick=1 if rows <= 15 else 2, tick0=first + W - 1, row=row, col=col)


def quiet_rows(itemized: np.ndarray) -> int:
    """How many of the first rows to leave out of a heatmap: the leading rows whose loss term is exactly 0 (the
    copy task before its recall), when they are more than half the rows; else 0 (every row is drawn)."""
    I = np.asarray(itemized, dtype=float)
    sending = np.flatnonzero(I.sum(axis=1) > 0)
    lead = int(sending[0]) if sending.size else 0
    return lead if lead > I.shape[0] / 2 else 0


def itemized_heatmap(itemized: np.ndarray, first: int = 1, theme: str = "screen", zr=None,
                     title: str = "Which loss term reaches which step: ‖∂ℓ_m/∂s(n)‖", note: str = "",
                     top: int = 0) -> go.Figure:
    """RNNbow's itemised gradients: log10 ||dl_m/ds(n)|| over (state step n, loss step m), lower triangle.

    itemized: (W, W) [m-first, n-first];  first: the step of its first row and column (a window's start);
    zr: a shared (min, max) of log10 values;  note: a line under the title (a window, a single loss term);
    top: rows left out at the top (quiet_rows: loss terms that are exactly 0).
    """
    I = np.asarray(itemized, dtype=float)
    W = I.shape[0]
    steps = np.arange(first, first + W)
    fig = go.Figure(_itemized_trace(I, first, zr if zr is not None else zrange(I), True, top))
    zeros = _zero_cells(I, steps, steps, "exactly 0: ℓ_m sends nothing to s(n)", top=top)
    if zeros is not None:
        fig.add_trace(zeros)
    _step_axes(fig, first, W, rows=W - top)
    fig = finish(fig, title, "state step n  (where the gradient arrives)", "loss step m  (where it comes from)", theme)
    if note:  # a subtitle, not "<br>": a two-line title vanishes with the theme's title automargin
        fig.update_layout(title_subtitle_text=note)
    return fig


def itemized_pair(before: np.ndarray, after: np.ndarray, first: int | tuple[int, int] = 1, theme: str = "screen",
                  titles: tuple[str, str] = ("at the initial weights θ(0)", "after training"),
                  title: str = "Evolution of training: ‖∂ℓ_m/∂s(n)‖ before and after, one colour scale",
                  note: str = "", top: int | tuple[int, int] = 0) -> go.Figure:
    """Two itemised heatmaps side by side (θ(0) and trained, or A and B), on one shared log colour scale.

    first, top: one value for both, or one each (two runs of different lengths); the y axes are shared only when
    both maps cover the same steps."""
    A, B = (np.asarray(v, dtype=float) for v in (before, after))
    firsts = first if isinstance(first, tuple) else (first, first)
    tops = top if isinstance(top, tuple) else (top, top)
    same = A.shape == B.shape and firsts[0] == firsts[1] and tops[0] == tops[1]
    zr = zrange(A, B)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=same, horizontal_spacing=0.04 if same else 0.08)
    for col, I, f, t in ((1, A, firsts[0], tops[0]), (2, B, firsts[1], tops[1])):
        W = I.shape[0]
        steps = np.arange(f, f + W)
        fig.add_trace(_itemized_trace(I, f, zr, col == 2, t), row=1, col=col)
        axes = dict(xaxis=f"x{col if col > 1 else ''}", yaxis=f"y{col if col > 1 else ''}")
        zeros = _zero_cells(I, steps, steps, "exactly 0: ℓ_m sends nothing to s(n)", axes, t)
        if zeros is not None:
            fig.add_trace(zeros)
        _step_axes(fig, f, W, row=1, col=col, rows=W - t)
        fig.update_xaxes(title_text=f"state step n: {titles[col - 1]}", row=1, col=col)
    fig.update_yaxes(title_text="loss step m", row=1, col=1)
    fig.update_layout(title=title)
    if note:
        fig.update_layout(title_subtitle_text=note)
    return th.apply(fig, theme)


def horizon_curve(row: np.ndarray, m: int, first: int = 1, horizon: float | None = None, fraction: float = 0.01,
                  theme: str = "screen", title: str | None = None) -> go.Figure:
    """RNNbow's gradient horizon of one loss term: ||dl_m/ds(n)|| over n = first..m (log axis), with the level
    fraction * ||dl_m/ds(m)|| and the memory horizon h (the first step back below it: n = m - h) marked.

    row: (m - first + 1,) ||dl_m/ds(n)|| for n = first..m.
    """
    g = np.asarray(row, dtype=float)
    n = np.arange(first, first + g.shape[0])
    fig = go.Figure(go.Scatter(
        x=n, y=log_safe(g), mode="lines+markers" if g.shape[0] <= 60 else "lines", name=f"‖∂ℓ_{m}/∂s(n)‖",
        line=dict(color=th.OKABE_ITO[0]), hovertemplate=f"n = %{{x}}<br>‖∂ℓ_{m}/∂s(n)‖ = %{{y:.3e}}<extra></extra>",
    ))
    zeros = zero_markers(n, g, f"‖∂ℓ_{m}/∂s(n)‖", th.OKABE_ITO[0])
    if zeros is not None:
        fig.add_trace(zeros)
    top = g[-1]
    if np.isfinite(top) and top > 0:
        fig.add_trace(go.Scatter(x=[n[0], n[-1]], y=[fraction * top] * 2, mode="lines", name=f"{fraction:.0%} of ‖∂ℓ_{m}/∂s({m})‖",
                                 line=dict(dash="dot", color=th.OKABE_ITO[3]), hoverinfo="skip"))
    if horizon is not None and np.isfinite(horizon) and m - horizon >= first:
        at = int(m - horizon)
        fig.add_vline(x=at, line=dict(dash="dash", color=th.OKABE_ITO[3], width=th.line_width(theme)))
        right = at - first > (m - first) / 2  # the words on the side of the line with room (the curve rises to m)
        fig.add_annotation(x=at, y=0.98, yref="paper", text=f"memory horizon: {int(horizon)} steps back (n = {at})",
                           showarrow=False, xanchor="right" if right else "left", yanchor="top",
                           xshift=-4 if right else 4)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    fig.update_xaxes(range=[first - 0.5 - 0.02 * (m - first), m + 0.5 + 0.02 * (m - first)])  # not the annotation's
    return finish(fig, title or f"Gradient horizon of the loss at step m = {m}: ‖∂ℓ_{m}/∂s(n)‖", "time step n",
                  f"‖∂ℓ_{m}/∂s(n)‖  (log scale)", theme, log_y=True)


def band_bars(itemized: np.ndarray, first: int = 1, theme: str = "screen",
              title: str = "Where the gradient reaching s(n) came from: its loss terms by how far ahead") -> go.Figure:
    """RNNbow's stacked bars: for each n, sum_m ||dl_m/ds(n)|| split into the bands of m - n (LAG_BANDS), on a
    linear axis so that a bar's height is how much credit arrives; the hover gives each band's share.

    A plain RNN's bars stand only near the loss terms and are light (near terms); an LSTM's reach back, dark."""
    I = np.asarray(itemized, dtype=float)
    W = I.shape[0]
    n = np.arange(first, first + W)
    parts = band_shares(I)  # (5, W)
    total = I.sum(axis=0)  # (W,)
    fig = go.Figure()
    for (_, _, label), share, colour in zip(LAG_BANDS, parts, BAND_COLOURS, strict=True):
        fig.add_trace(go.Bar(
            x=n, y=np.nan_to_num(share) * total, name=label, marker=dict(color=colour, line=dict(width=0)),
            customdata=100.0 * np.nan_to_num(share),
            hovertemplate=f"s(n), n = %{{x}}: from loss terms m − n = {label} steps ahead<br>%{{y:.3e}}, that is "
                          "%{customdata:.1f} % of Σₘ‖∂ℓ_m/∂s(n)‖<extra></extra>",
        ))
    fig.update_layout(barmode="stack", bargap=0.05 if W <= 60 else 0.0,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0, traceorder="normal",
                                  title=dict(text=BANDS_TITLE, side="top left")))
    return finish(fig, title, "time step n", "Σₘ ‖∂ℓ_m/∂s(n)‖, by the lag m − n", theme)


def connectivity_map(conn: np.ndarray, first: int = 1, inputs: list[str] | None = None,
                     targets: list[str] | None = None, horizon: float | None = None, theme: str = "screen",
                     sample: int = 0, note: str = "", marked: list[bool] | None = None,
                     title: str = "What the output at m still remembers of the input at n: ‖∂y(m)/∂x(n)‖") -> go.Figure:
    """Distill's connectivity for one sample: log10 ||dy(m)/dx(n)||_F over (input step n, output step m), with the
    sample's inputs drawn along the top and its targets down the right side.

    conn: (W, W) [m-first, n-first];  inputs, targets: (W,) one short text per step ('' or BLANK = nothing there,
    drawn light; the rest darker, so the symbols to remember show even where no text fits);  marked: (W,) which
    inputs to draw darker instead (the temporal-order task's X and Y among its distractors).
    """
    C = np.asarray(conn, dtype=float)
    W = C.shape[0]
    steps = np.arange(first, first + W)
    fig = make_subplots(rows=2, cols=2, shared_xaxes=True, shared_yaxes=True, column_widths=[0.93, 0.07],
                        row_heights=[0.07, 0.93], horizontal_spacing=0.01, vertical_spacing=0.01)
    zr = zrange(C)
    fig.add_trace(go.Heatmap(
        x=steps, y=steps, z=_triangle(C), colorscale=th.MAGNITUDE_SCALE, hoverongaps=False,
        zmin=None if zr is None else zr[0], zmax=None if zr is None else zr[1],
        customdata=C.astype(np.float32), colorbar=dict(title=dict(text="log₁₀ ‖∂y(m)/∂x(n)‖", side="right")),
        hovertemplate="‖∂y(m)/∂x(n)‖ = %{customdata:.3e}<br>output step m = %{y}, input step n = %{x}<extra></extra>",
    ), row=2, col=1)
    big = theme == "projector"  # a text per cell where it fits: the top strip's cells are wider than the side's
    room = {1: W <= (40 if big else 80), 2: W <= (15 if big else 30)}
    for labels, row, col, what in ((inputs, 1, 1, "input x(n)"), (targets, 2, 2, "target")):
        if labels is None:
            continue
        labels = list(labels)
        # (1, W) darker where something is to be remembered or recalled (not '' or a blank '·'), visible without text
        dark = marked if row == 1 and marked is not None else [t not in ("", BLANK) for t in labels]
        filled = np.array([[1.0 if d else 0.0 for d in dark]])
        strip = dict(z=filled if row == 1 else filled.T, colorscale=[[0, "#f2f2f2"], [1, "#a6a6a6"]], showscale=False,
                     text=[labels] if row == 1 else [[t] for t in labels], zmin=0, zmax=1,
                     texttemplate="%{text}" if room[row] else None, name=what,
                     hovertemplate=f"step %{{{'x' if row == 1 else 'y'}}}: {what} %{{text}}<extra></extra>")
        if row == 1:
            fig.add_trace(go.Heatmap(x=steps, y=[0], **strip), row=1, col=1)
        else:
            fig.add_trace(go.Heatmap(x=[0], y=steps, **strip), row=2, col=2)
    fig.update_yaxes(autorange="reversed", row=2, col=1)
    fig.update_yaxes(showticklabels=False, row=1, col=1)
    fig.update_xaxes(showticklabels=False, row=2, col=2)
    fig.update_yaxes(title_text="output step m", row=2, col=1)
    fig.update_xaxes(title_text=f"input step n  (sample {sample} of the batch)", row=2, col=1)
    fig.update_xaxes(title_text="y", side="top", row=2, col=2)
    if W <= 30:
        fig.update_xaxes(dtick=1 if W <= 15 else 2, row=2, col=1)
        fig.update_yaxes(dtick=1 if W <= 15 else 2, row=2, col=1)
    if horizon is not None and np.isfinite(horizon):
        last = first + W - 1
        at = last - int(horizon)
        if at >= first:
            fig.add_shape(type="line", x0=at, x1=at, y0=first - 0.5, y1=last + 0.5, row=2, col=1,
                          line=dict(dash="dash", color=th.OKABE_ITO[3], width=th.line_width(theme)))
    fig.update_layout(title=title)
    if note:  # a window: said in the subtitle
        fig.update_layout(title_subtitle_text=note)
    return th.apply(fig, theme)
