"""Heatmaps of the weights W_s, W_x, b, W_y on a diverging scale centred on 0 (RdBu_r: red > 0, blue < 0).

    a(n) = W_x x(n) + W_s s(n-1) + b,   z(n) = W_y s(n) + b_y
    W_s[i, j] carries s_j(n-1) into a_i(n);  W_x[i, d] carries x_d(n) into a_i(n).

A gated cell stacks one block of H rows per gate (LSTM i, f, g, o; GRU r, z, g): W_s (G*H, H), W_x (G*H, D),
b (G*H,); its rows are labelled by block and unit (f₃: the forget gate of unit 3) and the blocks are separated.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard import theme as th
from dashboard.figures.common import finish, sub

# Numbers are printed in the cells, in the look's text size, up to this many rows and columns: "-0.55" is
# 2.3 em wide, so a projector cell needs ~80 px (6 columns of the square W_s in its ~600 px page column; a
# slide has room for more) and a screen cell ~40 px (12 columns in ~500 px).
NUMBERS_MAX = {"screen": 12, "projector": 6}


def labels(symbol: str, count: int) -> list[str]:
    """['s₁', 's₂', …] for symbol 's'."""
    return [f"{symbol}{sub(i)}" for i in range(1, count + 1)]


ROW_LABELS_MAX = 16  # up to this many stacked rows every row is labelled; beyond, only each gate block's name


def rows(H: int, blocks: tuple[str, ...] = ()) -> list[str]:
    """Row labels: s₁..s_H for the Elman cell; i₁..i_H, f₁..f_H, … for a gated cell's stacked blocks."""
    return labels("s", H) if not blocks else [f"{k}{sub(j)}" for k in blocks for j in range(1, H + 1)]


def mark_blocks(fig: go.Figure, H: int, blocks: tuple[str, ...], theme: str) -> go.Figure:
    """A line between gate blocks and, for many rows, one y tick per block (its name) instead of one per row."""
    if not blocks:
        return fig
    for k in range(1, len(blocks)):
        fig.add_shape(type="line", xref="x domain", x0=0, x1=1, y0=k * H - 0.5, y1=k * H - 0.5,
                      line=dict(color=th.INK, width=th.line_width(theme) * 0.8))
    if len(blocks) * H > ROW_LABELS_MAX:
        names = rows(H, blocks)
        fig.update_yaxes(tickvals=[names[k * H + (H - 1) // 2] for k in range(len(blocks))],
                         ticktext=[f"<b>{k}</b>" for k in blocks], ticks="")
    return fig


def heatmap(W: np.ndarray, rows: list[str], cols: list[str], name: str, title: str, x_title: str, y_title: str,
            theme: str = "screen", zmax: float | None = None, square: bool = False) -> go.Figure:
    """A signed matrix (R, C) as a heatmap, 0 in white, first row on top, values printed when small.

    zmax: the colour range is [-zmax, zmax] (default max |W|), so equal colours mean equal values.
    """
    W = np.atleast_2d(np.asarray(W, dtype=float))  # (R, C)
    R, C = W.shape
    if (len(rows), len(cols)) != (R, C):
        raise ValueError(f"labels do not fit the matrix: {len(rows)} rows and {len(cols)} columns for shape {W.shape}.")
    finite = W[np.isfinite(W)]
    top = zmax if zmax else (float(np.abs(finite).max()) if finite.size else 1.0) or 1.0
    th.look(theme)  # validates the name
    numbers = max(R, C) <= NUMBERS_MAX[theme]
    big = theme == "projector"
    # The colour bar takes the look's thickness and text from the template. Beside a square matrix, which is
    # centred in whatever width the chart gets, a vertical bar would sit at the far edge of the figure: there
    # it lies under the matrix (at the bottom of the figure, which makes room for it), centred, at any width.
    colorbar = dict(title=dict(text="weight", side="right"))
    if square:
        colorbar.update(orientation="h", x=0.5, xanchor="center", yref="container", y=0, yanchor="bottom", len=0.5)
    fig = go.Figure(go.Heatmap(
        z=W, x=cols, y=rows, colorscale=th.DIVERGING_SCALE, zmid=0.0, zmin=-top, zmax=top,
        xgap=1, ygap=1,
        texttemplate="%{z:.2f}" if numbers else None,
        textfont=dict(size=th.font_size(theme)),  # the numbers in the cells: the look's text size
        colorbar=colorbar,
        hovertemplate=f"{name}[%{{y}}, %{{x}}] = %{{z:.6g}}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_xaxes(showgrid=False, type="category", side="bottom")
    if square:
        fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain")
        fig.update_xaxes(constrain="domain")
    if square:  # tall enough that the square plot fills a page column
        height = 780 if big else 580  # projector: under the title on a 1080 screen
    else:
        per_row = (60 if big else 46) if numbers else (26 if big else 20)
        height = int(min(760, max(200, 140 + per_row * R)))
    fig.update_layout(height=height)
    return finish(fig, title, x_title, y_title, theme)


def _blocks_title(blocks: tuple[str, ...]) -> str:
    return f", blocks {', '.join(blocks)}" if blocks else ""


def recurrent(W_s: np.ndarray, theme: str = "screen", zmax: float | None = None, edited: bool = False,
              blocks: tuple[str, ...] = ()) -> go.Figure:
    """W_s (G*H, H): row i = unit a_i(n) (of gate block k for a gated cell), column j = s_j(n-1)."""
    H = W_s.shape[1]
    title = "W_s, the recurrent weights" + _blocks_title(blocks) + (" (edited)" if edited else "")
    fig = heatmap(W_s, rows(H, blocks), labels("s", H), "W_s", title, "from s_j(n−1)",
                  "to a_i(n)" if not blocks else "to gate block k, unit i", theme, zmax, square=not blocks)
    return mark_blocks(fig, H, blocks, theme)


def input_weights(W_x: np.ndarray, theme: str = "screen", zmax: float | None = None, edited: bool = False,
                  blocks: tuple[str, ...] = ()) -> go.Figure:
    """W_x (G*H, D): row i = unit a_i(n), column d = input x_d(n)."""
    R, D = W_x.shape
    H = R // max(len(blocks), 1)
    title = "W_x, the input weights" + (" (edited)" if edited else "")  # the blocks: on the rows, as in W_s
    fig = heatmap(W_x, rows(H, blocks), labels("x", D), "W_x", title, "from x_d(n)",
                  "to a_i(n)" if not blocks else "to gate block k, unit i", theme, zmax)
    return mark_blocks(fig, H, blocks, theme)


def bias(b: np.ndarray, theme: str = "screen", zmax: float | None = None, edited: bool = False,
         blocks: tuple[str, ...] = ()) -> go.Figure:
    """b (G*H,) as one column."""
    H = len(b) // max(len(blocks), 1)
    fig = heatmap(np.asarray(b, dtype=float)[:, None], rows(H, blocks), ["b"], "b",
                  "b, the bias" + (" (edited)" if edited else ""), "",
                  "unit i" if not blocks else "gate block k, unit i", theme, zmax)
    return mark_blocks(fig, H, blocks, theme)


def readout(W_y: np.ndarray, theme: str = "screen", zmax: float | None = None) -> go.Figure:
    """W_y (K, H): row k = output z_k(n), column i = s_i(n)."""
    K, H = W_y.shape
    return heatmap(W_y, labels("y", K), labels("s", H), "W_y", "W_y, the read-out weights", "from s_i(n)", "to z_k(n)",
                   theme, zmax)
