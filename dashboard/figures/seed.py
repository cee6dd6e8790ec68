"""Figures of the seed example: the sample, the loss curve, confusion matrices, the reach of the gradient over N."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard import theme as th
from dashboard.figures.common import finish, log_safe


def _height(theme: str, screen: int, projector: int) -> int:
    """Figure height: the projector look has large type and needs more room."""
    return projector if theme == "projector" else screen


def sample_features(x: np.ndarray, names, highlight=(), theme: str = "screen",
                    title: str = "The sample's features x") -> go.Figure:
    """Bars of the standardised features x (F,); the columns in `highlight` (indices) in a second colour."""
    x = np.asarray(x, dtype=float)
    F = x.size
    hl = np.zeros(F, dtype=bool)
    hl[list(highlight)] = True
    colours = [th.OKABE_ITO[3] if h else th.OKABE_ITO[0] for h in hl]
    fig = go.Figure(go.Bar(
        x=np.arange(1, F + 1), y=x, marker_color=colours, customdata=np.asarray(names, dtype=object),
        name="other features",
        hovertemplate="feature %{x}: %{customdata}<br>x = %{y:.4f}<extra></extra>",
    ))
    if hl.any():
        fig.add_trace(go.Bar(x=[None], y=[None], marker_color=th.OKABE_ITO[3], name="used in the derivation"))
        fig.update_layout(showlegend=True, legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    else:
        fig.update_layout(showlegend=False)
    fig.update_layout(bargap=0.15, height=_height(theme, 360, 560))
    return finish(fig, title, "feature number", "x (standardised)", theme)


def sample_image(pixels: np.ndarray, highlight=(), theme: str = "screen",
                 title: str = "The sample: an 8×8 digit") -> go.Figure:
    """The 64 pixel values (raw, 0..1) as an 8x8 grey image; highlighted pixels get a square outline."""
    img = np.asarray(pixels, dtype=float).reshape(8, 8)  # (8, 8)
    fig = go.Figure(go.Heatmap(
        z=img, x=np.arange(8), y=np.arange(8), colorscale="Greys", zmin=0, zmax=1, showscale=False,
        hovertemplate="row %{y}, column %{x}<br>pixel value %{z:.3f}<extra></extra>",
    ))
    for k in highlight:
        r, c = divmod(int(k), 8)
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
                      line=dict(color=th.OKABE_ITO[3], width=4))
    fig.update_yaxes(range=[7.5, -0.5], scaleanchor="x", constrain="domain", showgrid=False, tickvals=list(range(8)),
                     zeroline=False)
    fig.update_xaxes(range=[-0.5, 7.5], showgrid=False, constrain="domain", tickvals=list(range(8)), zeroline=False)
    fig.update_layout(height=_height(theme, 400, 560))
    fig = finish(fig, title, "pixel column", "pixel row", theme)
    fig.update_layout(title_xref="container", title_x=0.02)
    if len(highlight):  # a subtitle, not "<br>": a two-line title vanishes with the theme's title automargin
        fig.update_layout(title_subtitle_text="outlined: used as x")
    return fig


def loss_curve(iteration: np.ndarray, train_loss: np.ndarray, test_loss: np.ndarray, theme: str = "screen",
               title: str = "SGD training: the error per sample falls") -> go.Figure:
    """Mean squared error per sample (L / number of samples) on each minibatch and on the test set.

    iteration, train_loss, test_loss: (T,) each; NaN test entries are skipped.
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=iteration, y=train_loss, name="training minibatch (B = 32)", mode="lines",
        line=dict(color=th.OKABE_ITO[5], width=th.line_width(theme) * 0.6),
        hovertemplate="iteration %{x}<br>L / B = %{y:.4f}<extra>minibatch</extra>",
    ))
    ok = np.isfinite(test_loss)
    fig.add_trace(go.Scatter(
        x=np.asarray(iteration)[ok], y=np.asarray(test_loss)[ok], name="test set", mode="lines",
        line=dict(color=th.OKABE_ITO[3], width=th.line_width(theme)),
        hovertemplate="iteration %{x}<br>L / M_test = %{y:.4f}<extra>test set</extra>",
    ))
    fig.add_hline(y=0.25, line=dict(color="#777", dash="dot", width=1.5),
                  annotation_text="0.25: y = 0.5 for every sample", annotation_position="top right")
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
                      height=_height(theme, 420, 640))
    fig.update_yaxes(rangemode="tozero")
    return finish(fig, title, "SGD iteration t", "mean of (y − t)²", theme)


def confusion_matrix(counts: np.ndarray, class_names, title: str, theme: str = "screen") -> go.Figure:
    """Heatmap of C[i, j] = samples of true class i predicted as j, coloured by the row rate C[i, j] / sum_j C[i, j].

    Each cell shows the count and the rate (the share of that true class).
    """
    C = np.asarray(counts, dtype=float)  # (2, 2)
    totals = C.sum(axis=1, keepdims=True)  # (2, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(totals > 0, C / totals, np.nan)  # (2, 2)
    names = [str(c) for c in class_names]
    text = [[f"<b>{int(C[i, j])}</b><br>{100 * rate[i, j]:.1f} %" if np.isfinite(rate[i, j]) else f"<b>{int(C[i, j])}</b>"
             for j in range(2)] for i in range(2)]
    hover = [[f"true {names[i]}, predicted {names[j]}<br>{int(C[i, j])} of {int(totals[i, 0])} "
              f"true {names[i]} ({100 * rate[i, j]:.1f} %)" for j in range(2)] for i in range(2)]
    fig = go.Figure(go.Heatmap(
        z=rate, x=names, y=names, zmin=0, zmax=1, colorscale=th.MAGNITUDE_SCALE, text=text,
        # the four numbers are what the chart says: set in the look's title size; the colour bar is the look's
        texttemplate="%{text}", textfont=dict(size=th.look(theme).title), customdata=hover,
        hovertemplate="%{customdata}<extra></extra>",
        colorbar=dict(title=dict(text="share of row", side="right"), tickformat=".0%"),
    ))
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_xaxes(showgrid=False, type="category", side="bottom")
    fig.update_layout(height=_height(theme, 440, 680))
    fig = finish(fig, title, "predicted class", "true class", theme)
    fig.update_layout(title_xref="container", title_x=0.02)  # the long class names push a paper-aligned title off
    return fig


def reach_vs_steps(Ns, ratios: np.ndarray, selected: int | None = None, theme: str = "screen",
                   title: str = "Gradient reaching step 1") -> go.Figure:
    """||dL/ds(1)|| / ||dL/ds(N)|| against N (log axes): geometric mean over initial weights and their range.

    Ns: (J,) sequence lengths; ratios: (J, S) one column per initial weights; selected: an N to mark.
    """
    Ns = np.asarray(Ns)
    r = log_safe(ratios)  # (J, S)
    with np.errstate(all="ignore"):
        mean = np.exp(np.nanmean(np.log(r), axis=1))  # (J,) geometric mean
        lo, hi = np.nanmin(r, axis=1), np.nanmax(r, axis=1)  # (J,)
    S = r.shape[1]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=Ns, y=hi, mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=Ns, y=lo, mode="lines", line=dict(width=0), fill="tonexty", fillcolor="rgba(0,114,178,0.18)",
        name=f"range, {S} initial weights", hoverinfo="skip",
    ))
    fig.add_trace(go.Scatter(
        x=Ns, y=mean, mode="lines+markers", name="‖∂L/∂s(1)‖ / ‖∂L/∂s(N)‖, geometric mean",
        line=dict(color=th.OKABE_ITO[0]), customdata=np.stack([lo, hi], axis=1),
        hovertemplate="N = %{x}<br>geometric mean %{y:.2e}<br>range %{customdata[0]:.1e} … %{customdata[1]:.1e}"
                      "<extra></extra>",
    ))
    if selected is not None and selected in set(Ns.tolist()):
        j = int(np.flatnonzero(Ns == selected)[0])
        fig.add_trace(go.Scatter(
            x=[selected], y=[mean[j]], mode="markers", name=f"N = {selected}",
            marker=dict(size=22 if theme == "projector" else 14, color=th.OKABE_ITO[3], symbol="diamond"),
            hovertemplate="N = %{x}<br>geometric mean %{y:.2e}<extra></extra>",
        ))
    fig.update_xaxes(type="log", tickvals=Ns, ticktext=[str(n) for n in Ns])
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
                      height=_height(theme, 440, 680))
    fig = finish(fig, title, "steps N (chunks of x)", "share at step 1", theme, log_y=True)
    fig.update_layout(title_xref="container", title_x=0.02)
    return fig
