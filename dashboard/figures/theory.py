"""Figures of why the gradient vanishes or explodes through time: the spectrum of W_s and the Jacobian bound;
for the gated cells, the gates and the direct term of their Jacobian.

    ds(n)/ds(n-1) = diag(phi'(a(n))) W_s,   ||ds(n)/ds(n-1)||_2 <= kappa sigma_max(W_s)
    ||ds(N)/ds(n)||_2 <= (kappa sigma_max(W_s))^(N-n),   kappa = max phi'
    LSTM dc(n)/dc(n-1) = diag(f(n)) + ...,   GRU ds(n)/ds(n-1) = diag(z(n)) + ...   (the direct terms)
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme as th
from dashboard.figures.common import finish, log_safe, steps, whole_number_ticks, zero_markers

BOX_MAX_N = 40  # up to this many steps: one box per step; beyond: quantile bands over n
CIRCLE = np.linspace(0.0, 2.0 * np.pi, 361)  # (361,) angles for the circles


def eigenvalues(lam: np.ndarray, kappa: float, theme: str = "screen",
                title: str = "Eigenvalues of W_s in the complex plane") -> go.Figure:
    """lambda_i(W_s) as points, the unit circle and the circle of radius 1/kappa; equal axis scaling.

    lam: (H,) complex.
    """
    lam = np.asarray(lam, dtype=np.complex128)
    r_inv = 1.0 / kappa
    lw = th.line_width(theme)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=np.cos(CIRCLE), y=np.sin(CIRCLE), mode="lines", name="unit circle |λ| = 1",
        line=dict(color="#333333", width=lw), hoverinfo="skip",
    ))
    if not np.isclose(r_inv, 1.0):
        fig.add_trace(go.Scatter(
            x=r_inv * np.cos(CIRCLE), y=r_inv * np.sin(CIRCLE), mode="lines", name=f"|λ| = 1/κ = {r_inv:.3g}",
            line=dict(color=th.OKABE_ITO[3], width=lw, dash="dash"), hoverinfo="skip",
        ))
    mod = np.abs(lam)
    fig.add_trace(go.Scatter(
        x=lam.real, y=lam.imag, mode="markers", name=f"λᵢ(W_s), i = 1..{len(lam)}",
        marker=dict(size=13 if theme == "projector" else 9, color=th.OKABE_ITO[0], line=dict(color="white", width=1)),
        customdata=np.stack([np.arange(1, len(lam) + 1), mod], axis=1),
        hovertemplate="λ%{customdata[0]} = %{x:.4f} %{y:+.4f}i<br>|λ| = %{customdata[1]:.4f}<extra></extra>",
    ))
    reach = max(1.0, r_inv if r_inv < 5 else 1.0, float(mod.max()) if mod.size else 1.0) * 1.12
    fig.update_xaxes(range=[-reach, reach], zeroline=True, zerolinecolor="#bbbbbb")
    fig.update_yaxes(range=[-reach, reach], scaleanchor="x", scaleratio=1, zeroline=True, zerolinecolor="#bbbbbb")
    if np.isclose(r_inv, 1.0):
        fig.add_annotation(x=np.cos(np.pi / 4), y=np.sin(np.pi / 4), text="|λ| = 1 = 1/κ", showarrow=True,
                           ax=40, ay=-30, font=dict(color="#333333"))
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return finish(fig, title, "Re λ", "Im λ", theme)


def singular_values(sigma: np.ndarray, kappa: float, theme: str = "screen",
                    title: str = "Singular values of W_s against 1/κ") -> go.Figure:
    """sigma_1 >= ... >= sigma_H of W_s as bars, with the line sigma = 1/kappa. sigma: (H,)."""
    sigma = np.asarray(sigma, dtype=float)
    H = len(sigma)
    r_inv = 1.0 / kappa
    above = sigma >= r_inv
    fig = go.Figure(go.Bar(
        x=steps(H), y=sigma, name="σᵢ(W_s)",
        marker=dict(color=[th.OKABE_ITO[3] if a else th.OKABE_ITO[0] for a in above]),
        hovertemplate="σ%{x} = %{y:.4f}<extra></extra>",
    ))
    fig.add_hline(y=r_inv, line=dict(color="#333333", dash="dash", width=th.line_width(theme)),
                  annotation_text=f"1/κ = {r_inv:.3g}", annotation_position="top right")
    fig.update_yaxes(range=[0, max(float(sigma.max()) if H else 1.0, r_inv) * 1.15])
    return finish(fig, title, "index i (largest first)", "σᵢ(W_s)", theme)


def dphi_distribution(dphi: np.ndarray, kappa: float, theme: str = "screen",
                      title: str = "How much φ′(a(n)) lets through at each step") -> go.Figure:
    """The distribution of phi'(a(n)) over the batch and units, per step, against kappa = max phi'.

    dphi: (N, M) values of phi'(a(n)) (M = batch x units). N <= BOX_MAX_N: one box per step
    (from precomputed quartiles); otherwise the median with 10-90 % and min-max bands over n.
    """
    d = np.asarray(dphi, dtype=float)
    N = d.shape[0]
    n = steps(N)
    levels = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
    with np.errstate(invalid="ignore"):  # nanquantile is slow; only needed when a run overflowed
        q = np.quantile(d, levels, axis=1) if np.isfinite(d).all() else np.nanquantile(d, levels, axis=1)  # (7, N)
    fig = go.Figure()
    if N <= BOX_MAX_N:
        fig.add_trace(go.Box(
            x=n, q1=q[2], median=q[3], q3=q[4], lowerfence=q[0], upperfence=q[6], name="φ′(a(n))",
            marker_color=th.OKABE_ITO[0], boxpoints=False, showlegend=False,
            hovertemplate="n = %{x}<br>min %{lowerfence:.3f} · q1 %{q1:.3f} · median %{median:.3f} · "
                          "q3 %{q3:.3f} · max %{upperfence:.3f}<extra></extra>",
        ))
    else:
        band = dict(mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=True)
        fig.add_trace(go.Scatter(x=n, y=q[0], **{**band, "showlegend": False}, name="min"))
        fig.add_trace(go.Scatter(x=n, y=q[6], fill="tonexty", fillcolor="rgba(0,114,178,0.12)", name="min – max", **band))
        fig.add_trace(go.Scatter(x=n, y=q[1], **{**band, "showlegend": False}, name="10 %"))
        fig.add_trace(go.Scatter(x=n, y=q[5], fill="tonexty", fillcolor="rgba(0,114,178,0.30)", name="10 – 90 %", **band))
        fig.add_trace(go.Scatter(
            x=n, y=q[3], mode="lines", name="median", line=dict(color=th.OKABE_ITO[0], width=th.line_width(theme)),
            customdata=np.stack([q[1], q[5]], axis=1),
            hovertemplate="n = %{x}<br>median φ′ = %{y:.3f}<br>10–90 %: %{customdata[0]:.3f} – "
                          "%{customdata[1]:.3f}<extra></extra>",
        ))
    line = dict(color=th.OKABE_ITO[3], dash="dash", width=th.line_width(theme))
    fig.add_hline(y=kappa, line=line)  # named in the legend: a label on the line would sit on the first box
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, name=f"κ = max φ′ = {kappa:g}"))
    fig.update_yaxes(range=[0, kappa * 1.15])
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return finish(fig, title, "time step n", "φ′(a(n))  (over units and batch)", theme)


def jacobian_products(product: np.ndarray | None, bound: np.ndarray, theme: str = "screen",
                      title: str = "How far back can s(N) feel s(n)? ‖∂s(N)/∂s(n)‖₂ against its bound") -> go.Figure:
    """Measured ||ds(N)/ds(n)||_2 and the bound (kappa sigma_max(W_s))^(N-n), n = 0..N, log axis.

    product: (N+1,) entry n = ||ds(N)/ds(n)||_2, or None when not computed; bound: (N+1,).
    """
    N = len(bound) - 1
    n = np.arange(N + 1)
    mode = "lines+markers" if N <= 60 else "lines"
    fig = go.Figure()
    if product is not None:
        fig.add_trace(go.Scatter(
            x=n, y=log_safe(product), name="measured ‖∂s(N)/∂s(n)‖₂", mode=mode, line=dict(color=th.OKABE_ITO[0]),
            hovertemplate="n = %{x}<br>‖∂s(N)/∂s(n)‖₂ = %{y:.3e}<extra></extra>",
        ))
        zeros = zero_markers(n, product, "measured", th.OKABE_ITO[0])
        if zeros is not None:
            fig.add_trace(zeros)
    fig.add_trace(go.Scatter(
        x=n, y=log_safe(bound), name="bound (κ σ_max(W_s))^(N−n)", mode="lines",
        line=dict(dash="dash", color=th.OKABE_ITO[3], width=th.line_width(theme)),
        hovertemplate="n = %{x}<br>bound = %{y:.3e}<extra></extra>",
    ))
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return finish(fig, title, f"time step n  (N = {N} at the right)", "‖∂s(N)/∂s(n)‖₂  (log scale)", theme, log_y=True)


def local_jacobians(jac: np.ndarray, rate: float, theme: str = "screen",
                    title: str = "One step back: ‖∂s(n)/∂s(n−1)‖₂ against κ σ_max(W_s)") -> go.Figure:
    """||diag(phi'(a(n))) W_s||_2 for n = 1..N (jac: (N,)) with the line kappa sigma_max(W_s) and the line 1."""
    N = len(jac)
    fig = go.Figure(go.Scatter(
        x=steps(N), y=jac, name="‖∂s(n)/∂s(n−1)‖₂", mode="lines+markers" if N <= 60 else "lines",
        hovertemplate="n = %{x}<br>‖∂s(n)/∂s(n−1)‖₂ = %{y:.4f}<extra></extra>",
    ))
    fig.add_hline(y=rate, line=dict(color=th.OKABE_ITO[3], dash="dash", width=th.line_width(theme)),
                  annotation_text=f"κ σ_max(W_s) = {rate:.3g}", annotation_position="top left")
    fig.add_hline(y=1.0, line=dict(color="#888888", dash="dot", width=1.5),
                  annotation_text="1", annotation_position="bottom right")
    finite = np.asarray(jac, dtype=float)[np.isfinite(jac)]
    top = max(rate, 1.0, float(finite.max()) if finite.size else 1.0)
    fig.update_yaxes(range=[0, top * 1.15])
    return finish(fig, title, "time step n", "‖∂s(n)/∂s(n−1)‖₂", theme)



# --- Gated cells: the direct term diag(f(n)) (LSTM cell state) or diag(z(n)) (GRU) beside the full Jacobian ------
#     LSTM  c(n) = f(n) * c(n-1) + i(n) * g(n):          dc(n)/dc(n-1) = diag(f(n)) + (paths through W_s)
#     GRU   s(n) = z(n) * s(n-1) + (1 - z(n)) * g(n):    ds(n)/ds(n-1) = diag(z(n)) + (paths through W_s)
GATE_PANEL_PX = {"screen": (160, 165), "projector": (320, 240)}  # on screen: title and legend, then px per panel


def gate_values(stats: dict[str, np.ndarray], keep: str, labels: dict[str, str], theme: str = "screen",
                title: str = "The gates at every step, against 1") -> go.Figure:
    """Each gate's mean over units and batch per step, with its 10-90 % band, one panel a gate, the line 1.

    stats: gate name -> (N, 3) columns mean, 10th and 90th percentile (GradLog.gate_stats); keep: the gate
    whose direct term keeps the gradient (f or z), drawn first and in the first colour; labels: gate name ->
    panel title ("f, forget gate").
    """
    names = [keep] + [g for g in stats if g != keep]
    G = len(names)
    N = len(stats[keep])
    n = steps(N)
    fs = th.font_size(theme)
    fig = make_subplots(rows=G, cols=1, shared_xaxes=True, vertical_spacing=0.35 / G,
                        subplot_titles=[f"{g}(n): {labels[g]}" for g in names])
    for ann in fig.layout.annotations:  # the panel titles: the look's text size, left-aligned
        ann.update(font=dict(size=fs), x=0, xanchor="left")
    mode = "lines+markers" if N <= 60 else "lines"
    one = dict(color="#888888", dash="dot", width=1.5)
    for row, g in enumerate(names, start=1):
        q = np.asarray(stats[g], dtype=float)  # (N, 3) mean, 10 %, 90 %
        colour = th.OKABE_ITO[0] if g == keep else th.OKABE_ITO[(row % 3) + 1]
        rgb = ",".join(str(int(colour[k : k + 2], 16)) for k in (1, 3, 5))
        edge = dict(width=0, color="rgba(0,0,0,0)")  # transparent: no edge line, whatever width a look gives it
        fig.add_trace(go.Scatter(x=n, y=q[:, 1], mode="lines", line=edge, hoverinfo="skip", showlegend=False,
                                 name=f"{g}: 10 %"), row=row, col=1)
        fig.add_trace(go.Scatter(x=n, y=q[:, 2], mode="lines", line=edge, fill="tonexty",
                                 fillcolor=f"rgba({rgb},0.25)", hoverinfo="skip", name=f"{g}: 10–90 %",
                                 showlegend=False), row=row, col=1)
        fig.add_trace(go.Scatter(
            x=n, y=q[:, 0], mode=mode, name=f"mean {g}(n)", showlegend=False,
            line=dict(color=colour, width=th.line_width(theme) * (1 if g == keep else 0.6)),
            error_y=None if N > 1 else dict(type="data", symmetric=False, array=q[:, 2] - q[:, 0],  # one step: the
                                            arrayminus=q[:, 0] - q[:, 1], color=colour),  # band as a bar
            customdata=q[:, 1:], hovertemplate=f"n = %{{x}}<br>mean {g} = %{{y:.3f}}<br>10–90 %: "
                                               "%{customdata[0]:.3f} – %{customdata[1]:.3f}<extra></extra>",
        ), row=row, col=1)
        fig.add_hline(y=1.0, line=one, row=row, col=1)
        fig.update_yaxes(range=[0, 1.08], tickvals=[0, 0.5, 1], title_text=f"{g}(n)", row=row, col=1)
    # The legend says once what every panel shows (dummy traces, drawn nowhere).
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color="#555555", width=th.line_width(theme)),
                             name="mean over units and batch"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color="rgba(85,85,85,0.3)", width=12),
                             name="10–90 % of units and batch"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=one, name="1: passes everything on"))
    fig.update_xaxes(title_text="time step n", row=G, col=1)
    fig.update_layout(title=title, legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    top, per_panel = GATE_PANEL_PX[theme]  # (an export sets its own size)
    fig.update_layout(height=top + per_panel * G)
    fig.update_xaxes(**whole_number_ticks(fig))
    return th.apply(fig, theme)


def direct_products(product: np.ndarray, direct: np.ndarray, gate: str, state: str, theme: str = "screen",
                    title: str | None = None) -> go.Figure:
    """||J(N) ... J(n+1)||_2 (the full state Jacobian) against ||diag(d(N)) ... diag(d(n+1))||_2 = max_i prod d_i,
    d = f (LSTM) or z (GRU), n = 0..N, log axis (GradLog.product_norms, GradLog.direct_product_norms).

    product, direct: (N+1,), entry n back from N (entry N = 1); state: '(s, c)' or 's'.
    """
    N = len(direct) - 1
    n = np.arange(N + 1)
    mode = "lines+markers" if N <= 60 else "lines"
    full = f"full Jacobian ‖∂{state}(N)/∂{state}(n)‖₂"
    only = f"direct terms alone ‖diag({gate}(N)) ⋯ diag({gate}(n+1))‖₂"
    fig = go.Figure()
    for values, name, colour, dash in ((product, full, th.OKABE_ITO[0], None), (direct, only, th.OKABE_ITO[2], "dash")):
        fig.add_trace(go.Scatter(x=n, y=log_safe(values), name=name, mode=mode,
                                 line=dict(color=colour, dash=dash, width=th.line_width(theme)),
                                 hovertemplate=f"n = %{{x}}<br>{name} = %{{y:.3e}}<extra></extra>"))
        zeros = zero_markers(n, values, name.split(" ‖")[0], colour)
        if zeros is not None:
            fig.add_trace(zeros)
    fig.add_hline(y=1.0, line=dict(color="#888888", dash="dot", width=1.5))
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    title = title or f"What is left n steps back from N: the direct terms diag({gate}) against the full Jacobian"
    return finish(fig, title, f"time step n  (N = {N} at the right)", "norm of the product  (log scale)", theme,
                  log_y=True)


def gated_local_jacobians(jac: np.ndarray, direct: np.ndarray, gate: str, state: str, theme: str = "screen",
                          title: str | None = None) -> go.Figure:
    """One step back: ||J(n)||_2 of the full state Jacobian against its direct term ||diag(d(n))||_2 = max_i d_i(n),
    d = f or z, n = 1..N (GradLog.jacobian_norms, GradLog.direct_norms; both (N,)), with the line 1."""
    N = len(jac)
    mode = "lines+markers" if N <= 60 else "lines"
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps(N), y=jac, name=f"full ‖∂{state}(n)/∂{state}(n−1)‖₂", mode=mode,
                             line=dict(color=th.OKABE_ITO[0]),
                             hovertemplate="n = %{x}<br>‖J(n)‖₂ = %{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=steps(N), y=direct, name=f"direct term ‖diag({gate}(n))‖₂ = max_i {gate}_i(n)",
                             mode=mode, line=dict(color=th.OKABE_ITO[2], dash="dash"),
                             hovertemplate=f"n = %{{x}}<br>max_i {gate}_i(n) = %{{y:.4f}}<extra></extra>"))
    fig.add_hline(y=1.0, line=dict(color="#888888", dash="dot", width=1.5),
                  annotation_text="1", annotation_position="bottom right")
    finite = np.concatenate([np.asarray(v, dtype=float) for v in (jac, direct)])
    finite = finite[np.isfinite(finite)]
    fig.update_yaxes(range=[0, max(1.0, float(finite.max()) if finite.size else 1.0) * 1.15])
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    title = title or f"One step back: ‖J(n)‖₂ against its direct term diag({gate}(n))"
    return finish(fig, title, "time step n", "spectral norm", theme)
