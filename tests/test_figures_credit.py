"""The Credit page's figure builders and numbers, on matrices whose answer is known by hand: a linear cell with
W_s = λ I has ||dl_m/ds(n)|| = λ^(m-n) ||dl_m/ds(m)||, so its shares, bands and horizon follow in closed form."""
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard import export, export_headless, presets
from dashboard import theme as th
from dashboard.figures import credit as figs
from rnn_engine.credit import memory_horizons


def linear(N: int, lam: float) -> np.ndarray:
    """(N, N) λ^(m-n) below the diagonal: the itemised norms of a linear cell W_s = λ I with ||dl_m/ds(m)|| = 1."""
    d = figs.lags(N)
    return np.where(d >= 0, lam ** np.clip(d, 0, None), 0.0)


def texts(fig: go.Figure) -> str:
    return json.dumps(fig.to_plotly_json(), ensure_ascii=False)


def test_shares_of_each_column_sum_to_one_and_follow_the_geometric_series():
    I = linear(8, 0.5)
    sh = figs.shares(I)
    np.testing.assert_allclose(np.nansum(sh, axis=0), 1.0)
    # column n = 8 receives only its own term; column 1 receives 0.5^k for k = 0..7
    assert sh[7, 7] == 1.0
    np.testing.assert_allclose(sh[:, 0], 0.5 ** np.arange(8) / np.sum(0.5 ** np.arange(8)))


def test_bands_split_each_column_by_the_lag_of_its_loss_terms():
    I = linear(20, 0.9)
    parts = figs.band_shares(I)  # (5, 20)
    np.testing.assert_allclose(parts.sum(axis=0), 1.0)
    col = I[:, 0]  # step n = 1: lags 0..19
    np.testing.assert_allclose(parts[:, 0], [col[0] / col.sum(), col[1:3].sum() / col.sum(), col[3:6].sum() / col.sum(),
                                             col[6:11].sum() / col.sum(), col[11:].sum() / col.sum()])
    assert parts[-1, -1] == 0 and parts[0, -1] == 1.0  # the last step has only its own term


def test_near_and_far_credit_of_a_fast_and_a_slow_decay():
    near_fast, far_fast = figs.near_far(linear(40, 0.3))
    near_slow, far_slow = figs.near_far(linear(100, 0.99))
    assert near_fast == pytest.approx(1 - 0.3**3, abs=0.005) and far_fast < 1e-5  # 1 - λ³ of a geometric series
    assert far_slow > 0.5 > near_slow
    assert np.isnan(figs.near_far(np.zeros((5, 5)))[0])


def test_the_heatmap_is_the_lower_triangle_in_log_colour_with_zeros_grey_and_the_hover_in_words():
    I = linear(6, 0.5)
    I[2] = 0.0  # a step without a loss term (the copy task before its recall)
    fig = figs.itemized_heatmap(I, 1, "screen")
    heat = fig.data[0]
    z = np.asarray(heat.z, dtype=float)
    assert np.isnan(z[np.triu_indices(6, 1)]).all()
    np.testing.assert_allclose(z[5, 0], np.log10(0.5**5), rtol=1e-6)
    assert heat.colorscale == go.Heatmap(colorscale=th.MAGNITUDE_SCALE).colorscale  # the gradients page's scale
    assert "the loss at step m" in heat.hovertemplate and "% of what reaches s(n)" in heat.hovertemplate
    grey = fig.data[1]
    assert np.nansum(np.asarray(grey.z, dtype=float)) == 3  # row m = 3: n = 1, 2, 3 are exactly 0
    custom = np.asarray(heat.customdata, dtype=float)
    np.testing.assert_allclose(custom[5, 0, 1], 100 * figs.shares(I)[5, 0], rtol=1e-5)


def test_leading_rows_without_a_loss_are_left_out_only_when_they_are_most_of_the_picture():
    I = linear(10, 0.5)
    I[:6] = 0.0
    assert figs.quiet_rows(I) == 6
    fig = figs.itemized_heatmap(I, 1, "screen", top=6)
    assert list(fig.data[0].y) == [7, 8, 9, 10] and np.asarray(fig.data[0].z).shape == (4, 10)
    I[:6] = linear(10, 0.5)[:6]
    I[:4] = 0.0
    assert figs.quiet_rows(I) == 0


def test_the_colours_span_the_same_decades_for_a_fast_and_a_slow_decay():
    fast = figs.itemized_heatmap(linear(30, 0.3), 1, "screen").data[0]  # 0.3^29: 15 decades
    slow = figs.itemized_heatmap(linear(30, 0.99), 1, "screen").data[0]  # 0.99^29: 0.13 decades
    assert (fast.zmin, fast.zmax) == pytest.approx((-figs.DECADES, 0.0))
    assert (slow.zmin, slow.zmax) == pytest.approx((-figs.DECADES, 0.0)), "the slow one stays in the bright end"


def test_a_single_loss_row_is_ticked_at_its_step_only():
    I = linear(50, 0.9)
    I[:49] = 0.0  # readout 'last': only l_N
    fig = figs.itemized_heatmap(I, 1, "screen", top=figs.quiet_rows(I))
    assert list(fig.data[0].y) == [50] and fig.layout.yaxis.dtick == 1 and fig.layout.yaxis.tick0 == 50


def test_a_window_starts_its_axes_at_its_first_step_and_says_so():
    fig = figs.itemized_heatmap(linear(5, 0.5), 96, "screen", note="the last 5 of 100 steps only")
    assert list(fig.data[0].x) == [96, 97, 98, 99, 100]
    assert fig.layout.title.subtitle.text == "the last 5 of 100 steps only"


def test_before_and_after_share_one_colour_scale():
    A, B = linear(10, 0.5), 3 * linear(10, 0.9)
    fig = figs.itemized_pair(A, B, 1, "screen")
    lo, hi = figs.zrange(A, B)
    assert hi - lo == figs.DECADES
    assert [(t.zmin, t.zmax) for t in fig.data] == [(lo, hi), (lo, hi)]
    assert [t.showscale for t in fig.data] == [False, True], "one colour bar for both"
    assert hi == pytest.approx(np.log10(3))


def test_the_gradient_horizon_marks_the_memory_horizon():
    lam, m = 0.5, 12
    row = linear(m, lam)[m - 1]  # (m,) λ^(m-n)
    h = memory_horizons(linear(m, lam))[m - 1]
    assert h == 7  # the smallest k with 0.5^k < 0.01
    fig = figs.horizon_curve(row, m, 1, h, 0.01, "screen")
    assert fig.layout.shapes[0].x0 == m - 7
    assert "memory horizon: 7 steps back" in fig.layout.annotations[0].text
    assert fig.data[-1].y[0] == pytest.approx(0.01)


def test_the_bars_stack_to_what_reaches_each_step():
    I = linear(15, 0.8)
    fig = figs.band_bars(I, 1, "screen")
    assert [t.name for t in fig.data] == [b[2] for b in figs.LAG_BANDS] and fig.layout.barmode == "stack"
    assert fig.layout.legend.title.text == figs.BANDS_TITLE
    np.testing.assert_allclose(np.sum([np.asarray(t.y) for t in fig.data], axis=0), I.sum(axis=0))


def test_the_connectivity_map_draws_the_sample_along_its_axes():
    C = linear(6, 0.7)
    fig = figs.connectivity_map(C, 1, list("ab··:·"), ["", "", "", "", "a", "b"], 3, "screen", sample=2)
    main, top, side = fig.data
    assert list(top.text[0]) == list("ab··:·") and [r[0] for r in side.text][-2:] == ["a", "b"]
    assert "sample 2 of the batch" in fig.layout.xaxis3.title.text
    assert list(np.asarray(top.z)[0]) == [1, 1, 0, 0, 1, 0], "the symbols darker than the blanks"
    marked = figs.connectivity_map(C, 1, list("BaXbYE"), [""] * 5 + ["XY"], None, "screen",
                                   marked=[False, False, True, False, True, False])
    assert list(np.asarray(marked.data[1].z)[0]) == [0, 0, 1, 0, 1, 0], "X and Y among the distractors"
    assert fig.layout.shapes[0].x0 == 6 - 3


@pytest.mark.parametrize("theme", th.THEMES)
def test_every_figure_is_unicode_text_only_in_both_looks(theme):
    I = linear(12, 0.8)
    for fig in (figs.itemized_heatmap(I, 1, theme), figs.itemized_pair(I, I, 1, theme),
                figs.horizon_curve(I[-1], 12, 1, 10, 0.01, theme), figs.band_bars(I, 1, theme),
                figs.connectivity_map(I, 1, ["x"] * 12, [""] * 12, None, theme)):
        text = texts(fig)
        assert "$" not in text and "\\frac" not in text, "figures carry Unicode, never LaTeX"
        assert th.theme_of(fig) == theme


def test_the_export_collects_the_credit_page_figures_of_a_preset():
    exp = presets.get("credit_copy_rnn").experiment.replace(iterations=5)
    figures, problems, notes = export_headless.page_figures(exp, ["credit"], "projector")
    assert not problems and not notes, (problems, notes)
    assert set(figures) == {f"credit_credit-{k}" for k in ("itemized", "horizon", "bands", "connectivity", "training")}


def test_a_credit_figure_exports_to_svg_with_its_unicode_title():
    if export.unavailable():
        pytest.fail(export.unavailable())
    svg = export.to_bytes(figs.itemized_heatmap(linear(8, 0.6), 1, "screen"), "svg").decode()
    assert "‖∂ℓ_m/∂s(n)‖" in svg
