"""The two looks of every figure: 'screen' for a laptop, 'projector' for the back row of a lecture hall.

Colour scales are colour-blind safe (viridis/cividis for magnitudes, Okabe-Ito for lines).
"""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito (2008) colour-blind-safe qualitative palette.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
MAGNITUDE_SCALE = "Viridis"  # perceptually uniform, colour-blind safe
DIVERGING_SCALE = "RdBu_r"  # for signed weights, centred on 0
THEMES = ("screen", "projector")
SLIDE_SIZE = (1920, 1080)


def _template(name: str) -> go.layout.Template:
    big = name == "projector"
    font = 26 if big else 14
    return go.layout.Template(
        layout=dict(
            font=dict(family="DejaVu Sans, Arial, sans-serif", size=font, color="#111111"),
            title=dict(font=dict(size=font + (10 if big else 4)), x=0.02, xanchor="left"),
            paper_bgcolor="white",
            plot_bgcolor="white",
            colorway=list(OKABE_ITO),
            xaxis=dict(showgrid=True, gridcolor="#e5e5e5", zeroline=False, linecolor="#444", linewidth=2 if big else 1,
                       ticks="outside", title=dict(standoff=8)),
            yaxis=dict(showgrid=True, gridcolor="#e5e5e5", zeroline=False, linecolor="#444", linewidth=2 if big else 1,
                       ticks="outside", title=dict(standoff=8)),
            legend=dict(bgcolor="rgba(255,255,255,0.8)", font=dict(size=font - (2 if big else 1))),
            margin=dict(l=90 if big else 60, r=40 if big else 20, t=90 if big else 60, b=80 if big else 50),
            colorscale=dict(sequential=MAGNITUDE_SCALE),
            hoverlabel=dict(font=dict(size=14)),
        ),
        data=dict(
            scatter=[go.Scatter(line=dict(width=5 if big else 2.2), marker=dict(size=12 if big else 7))],
        ),
    )


for _name in THEMES:
    pio.templates[f"rnnlab_{_name}"] = _template(_name)


def apply(fig: go.Figure, theme: str = "screen") -> go.Figure:
    """fig with the chosen look (returns the same figure for chaining)."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(THEMES)}")
    fig.update_layout(template=f"rnnlab_{theme}")
    if theme == "projector":
        fig.update_traces(line_width=5, selector=dict(type="scatter"))
    return fig


def line_width(theme: str) -> float:
    return 5.0 if theme == "projector" else 2.2


def plotly_config(filename: str = "rnn-gradient-lab") -> dict:
    """st.plotly_chart config: the camera button downloads a slide-sized PNG."""
    w, h = SLIDE_SIZE
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "width": w, "height": h, "scale": 1},
    }
