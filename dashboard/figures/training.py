"""Figures of a training run: loss, accuracy and gradient norm against the iteration t.

    θ(t+1) = θ(t) − γ(t) ∇L(t; θ(t))

Every curve marks the iteration at which the run exploded (a vertical line with "exploded at
iteration k: what") and the iterations at which a training setting changed (dotted lines).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard import theme as th
from dashboard.figures.common import finish, log_safe

EXPLOSION_COLOUR = th.OKABE_ITO[3]  # vermillion
CHANGE_COLOUR = "#666666"
CLIP_COLOUR = th.OKABE_ITO[4]  # reddish purple


def spans_decades(*values: np.ndarray, decades: float = 1.0) -> bool:
    """True when the finite positive values span at least `decades` powers of ten (use a log axis)."""
    parts = [log_safe(np.ravel(a)) for a in values if a is not None]
    v = np.concatenate(parts) if parts else np.array([])
    v = v[np.isfinite(v)]
    return v.size > 1 and np.log10(v.max()) - np.log10(v.min()) >= decades  # no overflow for denormals


def explosion_label(exploded_at: int, exploded_what: str | None) -> str:
    return f"exploded at iteration {exploded_at}: {exploded_what or 'values became non-finite'}"


def mark_explosion(fig: go.Figure, exploded_at: int | None, exploded_what: str | None) -> go.Figure:
    """A vertical line at the iteration that exploded, with the reason written next to it."""
    if exploded_at is None:
        return fig
    fig.add_vline(x=exploded_at, line=dict(color=EXPLOSION_COLOUR, width=2, dash="dash"),
                  annotation=dict(text=explosion_label(exploded_at, exploded_what), font=dict(color=EXPLOSION_COLOUR),
                                  bgcolor="rgba(255,255,255,0.85)", xanchor="right", yanchor="top"),
                  annotation_position="top left")
    return fig


def mark_changes(fig: go.Figure, changes) -> go.Figure:
    """Dotted vertical lines where a training setting changed; changes = [(iteration, 'γ 0.1 → 0.3')]."""
    for i, (t, text) in enumerate(changes):
        fig.add_vline(x=t, line=dict(color=CHANGE_COLOUR, width=1.5, dash="dot"),
                      annotation=dict(text=f"t = {t}: {text}", font=dict(color=CHANGE_COLOUR),
                                      bgcolor="rgba(255,255,255,0.85)", xanchor="left",
                                      y=0.92 - 0.08 * (i % 4), yref="paper", yanchor="top"),
                      annotation_position="top right")
    return fig


def _x_range(iteration: np.ndarray, exploded_at: int | None) -> list[float]:
    """Iterations 0..last (at least 0..1), so a marker at the last iteration is never on the edge."""
    last = max([1] + [int(np.max(iteration)) if len(iteration) else 0] + ([exploded_at] if exploded_at is not None else []))
    return [-0.02 * last, last * 1.02 + 0.5]


def _mode(T: int) -> str:
    return "lines+markers" if T <= 60 else "lines"


def loss_curves(iteration: np.ndarray, loss: np.ndarray, val_loss: np.ndarray, validate_every: int = 1,
                loss_name: str = "L", exploded_at: int | None = None, exploded_what: str | None = None,
                changes=(), theme: str = "screen", log_y: bool | None = None, baseline: float | None = None,
                val_note: str = "", title: str = "Loss during training") -> go.Figure:
    """Training loss L(t) on the batch of iteration t and the validation loss after its update.

    iteration, loss, val_loss: (T,); val_loss is NaN where it was not evaluated (every
    validate_every iterations): drawn with connectgaps.  log_y: None = log when the loss spans decades.
    baseline: the loss of predicting the mean target for every sequence (a dotted reference line).
    val_note: appended to the validation legend entry (e.g. what an sse sum runs over).
    """
    T = len(iteration)
    if log_y is None:
        log_y = spans_decades(loss, val_loss, None if baseline is None else np.array([baseline]))
    y, yv = (log_safe(loss), log_safe(val_loss)) if log_y else (_finite(loss), _finite(val_loss))
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=iteration, y=y, name="training loss (this iteration's batch)", mode=_mode(T),
        line=dict(color=th.OKABE_ITO[0]),
        hovertemplate="iteration t = %{x}<br>training " + loss_name + " = %{y:.4g}<extra></extra>",
    ))
    if np.isfinite(yv).any():
        every = f"every {validate_every} iterations" if validate_every > 1 else "every iteration"
        fig.add_trace(go.Scatter(
            x=iteration, y=yv, name=f"validation loss ({every}, after the update{val_note})", mode=_mode(T // max(1, validate_every)),
            connectgaps=True, line=dict(color=th.OKABE_ITO[1]),
            hovertemplate="iteration t = %{x}<br>validation " + loss_name + " = %{y:.4g}<extra></extra>",
        ))
    if baseline is not None and np.isfinite(baseline) and (baseline > 0 or not log_y):
        x0, x1 = _x_range(iteration, exploded_at)
        fig.add_trace(go.Scatter(
            x=[x0, x1], y=[baseline, baseline], mode="lines", name=f"predicting the mean target: {baseline:.4g}",
            line=dict(color=th.OKABE_ITO[2], width=1.5, dash="dot"), hoverinfo="skip",
        ))
    mark_changes(fig, changes)
    mark_explosion(fig, exploded_at, exploded_what)
    fig.update_xaxes(range=_x_range(iteration, exploded_at))
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    y_title = f"loss {loss_name}" + ("  (log scale)" if log_y else "")
    return _power(finish(fig, title, "training iteration t", y_title, theme, log_y=log_y))


def accuracy_curves(iteration: np.ndarray, accuracy: np.ndarray, val_accuracy: np.ndarray | None,
                    validate_every: int = 1, exploded_at: int | None = None, exploded_what: str | None = None,
                    changes=(), theme: str = "screen", title: str = "Accuracy during training") -> go.Figure:
    """Fraction classified correctly: on the batch of iteration t, and on the validation set (NaN = not evaluated)."""
    T = len(iteration)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=iteration, y=100 * _finite(accuracy), name="training accuracy (batch)", mode=_mode(T),
        line=dict(color=th.OKABE_ITO[0]), hovertemplate="iteration t = %{x}<br>training accuracy = %{y:.1f} %<extra></extra>",
    ))
    if val_accuracy is not None and np.isfinite(val_accuracy).any():
        fig.add_trace(go.Scatter(
            x=iteration, y=100 * _finite(val_accuracy), name=f"validation accuracy (every {validate_every} iterations)",
            mode=_mode(T // max(1, validate_every)), connectgaps=True, line=dict(color=th.OKABE_ITO[1]),
            hovertemplate="iteration t = %{x}<br>validation accuracy = %{y:.1f} %<extra></extra>",
        ))
    mark_changes(fig, changes)
    mark_explosion(fig, exploded_at, exploded_what)
    fig.update_xaxes(range=_x_range(iteration, exploded_at))
    fig.update_yaxes(range=[-2, 102], ticksuffix=" %")
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return finish(fig, title, "training iteration t", "correctly classified", theme)


def grad_norm_curve(iteration: np.ndarray, grad_norm: np.ndarray, grad_norm_after_clip: np.ndarray,
                    clipped: np.ndarray, clip: str = "none", clip_at: float = 1.0,
                    exploded_at: int | None = None, exploded_what: str | None = None, changes=(),
                    theme: str = "screen", title: str = "Gradient norm ‖∇L(t)‖ before clipping") -> go.Figure:
    """‖∇L(t)‖ (global norm over all weights) before clipping (log axis when it spans decades); with clipping on, the norm
    actually used, the threshold c (norm clipping) and a marker at every iteration that was clipped.

    iteration, grad_norm, grad_norm_after_clip: (T,);  clipped: (T,) bool.
    """
    T = len(iteration)
    clipped = np.asarray(clipped, dtype=bool)
    g = np.asarray(grad_norm, dtype=float)
    g = g[np.isfinite(g)]
    tiny = g.size > 0 and g.max() < 1e-30  # nothing reaches the weights: draw it at 0 on a linear axis
    log_y = not tiny and (spans_decades(grad_norm, grad_norm_after_clip, np.array([clip_at]) if clip == "norm" else None)
                          or np.unique(g[g > 0]).size <= 1)  # one value: a log axis labels it 10ⁿ, not 1.69102816…
    ys = log_safe if log_y else _finite  # zeros cannot sit on a log axis
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=iteration, y=ys(grad_norm), name="‖∇L‖ before clipping", mode=_mode(T),
        line=dict(color=th.OKABE_ITO[0]), hovertemplate="iteration t = %{x}<br>‖∇L‖ = %{y:.3e}<extra></extra>",
    ))
    if clip != "none":
        fig.add_trace(go.Scatter(
            x=iteration, y=ys(grad_norm_after_clip), name="‖∇L‖ used for the update (after clipping)",
            mode="lines", line=dict(color=th.OKABE_ITO[2], dash="dash"),
            hovertemplate="iteration t = %{x}<br>‖∇L‖ after clipping = %{y:.3e}<extra></extra>",
        ))
        n = int(clipped.sum())
        fig.add_trace(go.Scatter(
            x=np.asarray(iteration)[clipped], y=ys(np.asarray(grad_norm)[clipped]), mode="markers",
            name=f"clipped ({n} of {T} iterations)", marker=dict(symbol="x", size=9, color=CLIP_COLOUR),
            hovertemplate="iteration t = %{x}<br>clipped: ‖∇L‖ = %{y:.3e} was rescaled<extra></extra>",
        ))
        if clip == "norm":
            fig.add_hline(y=clip_at, line=dict(color=CLIP_COLOUR, width=1.5, dash="dash"),
                          annotation=dict(text=f"clip threshold c = {clip_at:g}", font=dict(color=CLIP_COLOUR)),
                          annotation_position="bottom right")
        else:
            fig.add_annotation(text=f"clipping by value: every entry of ∇L limited to ±{clip_at:g}",
                               xref="paper", yref="paper", x=1, y=0, xanchor="right", yanchor="bottom",
                               showarrow=False, font=dict(color=CLIP_COLOUR))
    zeros = int(np.sum(np.asarray(grad_norm, dtype=float) == 0))
    if tiny:
        fig.update_yaxes(range=[-0.05, 1.0])
        fig.add_annotation(text=f"‖∇L‖ ≈ 0 at every iteration (largest: {g.max():.1e}): no gradient reaches the weights",
                           xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                           bgcolor="rgba(255,255,255,0.85)", font=dict(color=EXPLOSION_COLOUR))
    elif zeros and log_y:
        fig.add_annotation(text=f"‖∇L‖ = 0 exactly at {zeros} of {T} iterations: not drawn (log axis has no 0)",
                           xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="top", showarrow=False,
                           bgcolor="rgba(255,255,255,0.85)", font=dict(color=EXPLOSION_COLOUR))
    mark_changes(fig, changes)
    mark_explosion(fig, exploded_at, exploded_what)
    fig.update_xaxes(range=_x_range(iteration, exploded_at))
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    y_title = "‖∇L‖" + ("  (log scale)" if log_y else "")
    return _power(finish(fig, title, "training iteration t", y_title, theme, log_y=log_y))


def _power(fig: go.Figure) -> go.Figure:
    """Large and small numbers as 3×10¹² rather than 3T on a linear axis."""
    if fig.layout.yaxis.type != "log":
        fig.update_yaxes(exponentformat="power")
    return fig


def _finite(v) -> np.ndarray:
    """Non-finite entries become NaN (a gap, not a fake number)."""
    v = np.asarray(v, dtype=float).copy()
    v[~np.isfinite(v)] = np.nan
    return v
