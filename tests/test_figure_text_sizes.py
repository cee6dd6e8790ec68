"""Text set in figure code follows the look (dashboard/theme.py), so it reads from the back of a lecture hall
on a 1920x1080 slide: the node labels of the unfolded graph, the numbers in the confusion matrix and in the
weight heatmaps, and their colour bars (thickness and, beside a square matrix, placement).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard import theme as th
from dashboard.figures import graph, seed, weights

THEMES = th.THEMES


def edge_gradients(N: int) -> graph.EdgeGradients:
    """Made-up but well-formed gradient norms for an N-step graph read at the last step (sizes only)."""
    n = np.arange(1, N + 1, dtype=float)
    decay = 0.8 ** (N - n)  # (N,)
    readout = np.full(N, np.nan)
    readout[-1] = 1.0
    return graph.EdgeGradients(recurrent=0.8 * decay, preact=decay, input=0.5 * decay, state=decay,
                               readout=readout, s0=0.8 ** N, loss=0.3)


def font_sizes(fig: go.Figure) -> list[float]:
    """Every font size the figure sets itself (traces and layout), not counting the template's."""
    found: list[float] = []

    def walk(obj, parent: str = "") -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k == "template":
                    continue
                if k == "size" and parent.endswith("font") and isinstance(v, (int, float)):
                    found.append(float(v))
                else:
                    walk(v, k)
        elif isinstance(obj, list):
            for item in obj:
                walk(item, parent)

    walk(fig.to_plotly_json())
    return found


def colour_bar(fig: go.Figure, trace) -> tuple[float, object]:
    """(thickness as drawn, the trace's colour bar): the trace's own thickness, else the template's."""
    cb = trace.colorbar if trace.type == "heatmap" else trace.marker.colorbar
    tpl = fig.layout.template.data
    default = (tpl.heatmap[0].colorbar if trace.type == "heatmap" else tpl.scatter[0].marker.colorbar).thickness
    return cb.thickness or default, cb


def no_text_below_the_look(fig: go.Figure, theme: str) -> None:
    sizes = font_sizes(fig)
    assert sizes, "the figure sets the size of its own text"
    assert min(sizes) >= th.font_size(theme), f"text below the {theme} look's {th.font_size(theme)} px: {sorted(sizes)}"


# --- the unfolded graph --------------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("N", [1, 9, 12, 50, 999, 1000])
def test_graph_labels_are_the_looks_text_and_fit_their_nodes(theme, N):
    fig = graph.unfolded(edge_gradients(N), selected=max(1, N // 2), theme=theme)
    font = th.font_size(theme)
    nodes = next(t for t in fig.data if t.name == "nodes")
    loss = next(t for t in fig.data if t.name == "loss")
    assert nodes.textfont.size == loss.textfont.size == font
    assert all(a.font.size == font for a in fig.layout.annotations if a.name == "elided")
    no_text_below_the_look(fig, theme)
    # every label inside its node, the nodes of a row side by side within the width the look is laid out for
    widest = max(graph.label_em(lab) for lab in list(nodes.text) + list(loss.text)) * font
    assert widest < nodes.marker.size == loss.marker.size
    columns = len(fig.layout.xaxis.tickvals)  # s(0), the drawn steps, one per elided run
    assert columns * (nodes.marker.size + graph.GAP_EM * font) <= graph.ROOM[theme]
    # and the five rows tall enough that an arrow shows between two nodes
    height = fig.layout.height or th.look(theme).height
    assert height >= 5.2 * (nodes.marker.size + graph.ARROW_EM * font)


@pytest.mark.parametrize("theme", THEMES)
def test_graph_colour_bar_is_the_looks(theme):
    fig = graph.unfolded(edge_gradients(30), selected=1, theme=theme)
    thickness, _ = colour_bar(fig, next(t for t in fig.data if t.name == "edges"))
    assert thickness == th.look(theme).colorbar


def test_graph_on_a_slide_keeps_the_projector_text():
    """Exported at 1920x1080, the graph built for the projector keeps its labels, and one built for the screen
    is re-dressed to them."""
    for built in THEMES:
        out = th.for_export(graph.unfolded(edge_gradients(12), 3, built), "projector", 1920, 1080)
        nodes = next(t for t in out.data if t.name == "nodes")
        assert nodes.textfont.size == pytest.approx(th.font_size("projector"))
        no_text_below_the_look(out, "projector")


# --- the confusion matrix (seed example) ---------------------------------------------------------------------
@pytest.mark.parametrize("theme", THEMES)
def test_confusion_matrix_numbers_in_the_looks_title_size_and_its_colour_bar(theme):
    fig = seed.confusion_matrix(np.array([[54, 16], [1, 29]]), ["not bird", "bird"], "RNN: 83 % correct", theme)
    hm = fig.data[0]
    assert hm.textfont.size == th.look(theme).title > th.font_size(theme)  # the four numbers are the message
    no_text_below_the_look(fig, theme)
    thickness, _ = colour_bar(fig, hm)
    assert thickness == th.look(theme).colorbar
    out = th.for_export(fig, "projector", 1920, 1080)  # a screen figure is re-dressed by the ratio of base fonts
    assert out.data[0].textfont.size >= th.font_size("projector")
    no_text_below_the_look(out, "projector")


# --- the weight heatmaps ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", THEMES)
def test_weight_numbers_in_the_looks_text_size_up_to_the_looks_limit(theme):
    rng = np.random.default_rng(0)
    limit = weights.NUMBERS_MAX[theme]
    fig = weights.recurrent(rng.normal(size=(limit, limit)), theme)
    assert fig.data[0].texttemplate and fig.data[0].textfont.size == th.font_size(theme)
    no_text_below_the_look(fig, theme)
    assert not weights.recurrent(rng.normal(size=(limit + 1, limit + 1)), theme).data[0].texttemplate
    assert th.for_export(fig, "projector", 1920, 1080).data[0].textfont.size == pytest.approx(th.font_size("projector"))


@pytest.mark.parametrize("theme", THEMES)
def test_weight_colour_bars_are_the_looks_and_under_a_square_matrix(theme):
    rng = np.random.default_rng(1)
    square = weights.recurrent(rng.normal(size=(8, 8)), theme)
    thickness, cb = colour_bar(square, square.data[0])
    assert thickness == th.look(theme).colorbar
    # W_s is drawn square and centred in whatever width it gets: the bar lies under it, centred, not at the
    # figure's right edge (where a vertical bar ends up far from the matrix)
    assert (cb.orientation, cb.x, cb.xanchor, cb.yref, cb.y, cb.yanchor) == ("h", 0.5, "center", "container", 0, "bottom")
    assert square.layout.yaxis.scaleanchor == "x"
    for fig in (weights.input_weights(rng.normal(size=(8, 2)), theme), weights.bias(rng.normal(size=8), theme),
                weights.readout(rng.normal(size=(1, 8)), theme)):  # full width: the bar right beside the plot
        thickness, cb = colour_bar(fig, fig.data[0])
        assert thickness == th.look(theme).colorbar and cb.orientation in (None, "v")
