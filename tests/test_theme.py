"""The screen and projector looks: sizes, colour-blind-safe scales, re-dressing for export, camera button."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard import theme as th
from dashboard.figures import gradients as gfigs


def built(theme: str) -> go.Figure:
    n = np.arange(1, 21)
    fig = gfigs.decay_curve(0.7 ** (20 - n), 0.8 ** (20 - n), theme)
    fig.add_annotation(x=5, y=-3, text="κ·σ_max(W_s) < 1", font=dict(size=14 if theme == "screen" else 30))
    return fig


def template_layout(fig: go.Figure):
    return fig.layout.template.layout


def test_projector_text_and_lines_are_big_enough_for_a_lecture_hall():
    screen, projector = th.look("screen"), th.look("projector")
    assert projector.font >= 28 and projector.title >= 40 and projector.line >= 5
    assert projector.font >= 2 * screen.font
    lay = template_layout(built("projector"))
    assert lay.font.size == projector.font and lay.title.font.size == projector.title
    assert lay.xaxis.tickfont.size == projector.font and lay.yaxis.title.font.size == projector.axis_title


def test_both_looks_are_white_flat_and_colour_blind_safe():
    for theme in th.THEMES:
        lay = template_layout(built(theme))
        assert lay.paper_bgcolor == lay.plot_bgcolor == "white"
        assert lay.xaxis.zeroline is False and lay.yaxis.zeroline is False
        assert list(lay.colorway) == list(th.OKABE_ITO)
        assert lay.colorscale.sequential[0][1].lower() == "#440154", "Viridis starts at dark purple"
        assert lay.legend.borderwidth == 0


def test_unknown_theme_is_a_plain_error():
    with pytest.raises(ValueError, match="unknown theme 'neon'"):
        th.apply(go.Figure(), "neon")


def test_theme_of_recognises_the_look():
    assert th.theme_of(built("screen")) == "screen"
    assert th.theme_of(built("projector")) == "projector"
    assert th.theme_of(go.Figure(layout=dict(template="plotly_white"))) is None


def test_for_export_redresses_a_screen_figure_and_scales_its_explicit_sizes():
    fig = built("screen")
    fig.update_layout(width=700, height=400)
    before = fig.to_json()
    out = th.for_export(fig, "projector", 1920, 1080)
    assert fig.to_json() == before, "the figure on the page is not changed"
    assert th.theme_of(out) == "projector"
    assert (out.layout.width, out.layout.height) == (1920, 1080)
    ratio = th.look("projector").font / th.look("screen").font
    assert out.layout.annotations[0].font.size == pytest.approx(14 * ratio)
    bound = out.data[1]
    assert bound.line.width == pytest.approx(th.line_width("screen") * ratio)


def test_for_export_in_the_same_look_keeps_sizes_and_spaces_a_horizontal_legend():
    fig = built("projector")
    out = th.for_export(fig, "projector")
    assert out.layout.annotations[0].font.size == 30
    assert out.data[1].line.width == th.line_width("projector")
    assert out.data[0].name == fig.data[0].name + th.LEGEND_GAP
    assert out.layout.width is None and out.layout.height is None, "the export call sets the size"


def test_camera_button_downloads_a_slide_sized_png():
    opts = th.plotly_config("gradient-decay")["toImageButtonOptions"]
    assert opts == {"format": "png", "filename": "gradient-decay", "width": 1920, "height": 1080, "scale": 1}


def test_projector_has_no_hairlines_and_leaves_the_screen_look_alone():
    for theme in th.THEMES:
        fig = go.Figure(go.Scatter(y=[1, 2], line=dict(width=1)))
        fig.add_hline(y=1.5, line=dict(width=1, dash="dot"))
        th.apply(fig, theme)
        th.apply(fig, theme)  # idempotent: export re-applies the look
        expected = th.line_width("projector") / 2 if theme == "projector" else 1
        assert fig.data[0].line.width == expected and fig.layout.shapes[0].line.width == expected


def test_on_a_dark_page_the_ink_is_light_and_the_graph_s_discs_keep_their_dark_text():
    import numpy as np

    from dashboard.figures import gradients, graph

    fig = gradients.decay_curve(np.array([1e-3, 1e-2, 1.0]), None)
    dark = th.on_dark(fig)
    assert dark.layout.paper_bgcolor == dark.layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert dark.layout.font.color == th.DARK[th.INK] and dark.layout.template.layout.xaxis.gridcolor == th.DARK[th.GRID]
    assert fig.layout.paper_bgcolor is None and th.theme_of(fig) == "screen", "the figure itself (exports) is unchanged"
    N = 3
    g = graph.EdgeGradients(recurrent=np.ones(N), preact=np.ones(N), input=np.ones(N), state=np.ones(N),
                            readout=np.array([np.nan, np.nan, 1.0]), s0=1.0, loss=0.5)
    nodes = next(t for t in th.on_dark(graph.unfolded(g, 1)).data if t.name == "nodes")
    assert "white" in list(nodes.marker.color) and nodes.textfont.color == th.INK
