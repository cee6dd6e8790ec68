"""The gated cells' figure builders, pure: what they draw equals the engine's log and the trace, in Unicode."""
import numpy as np
import pytest

from dashboard import export
from dashboard import theme as th
from dashboard.figures import theory, weights
from rnn_engine import backward, forward
from rnn_engine.init import init_params
from rnn_engine.tasks import make_task

LABELS = {"lstm": {"i": "input gate", "f": "forget gate", "o": "output gate"},
          "gru": {"r": "reset gate", "z": "update gate"}}
KEEP = {"lstm": "f", "gru": "z"}


def run(cell: str, N: int = 12, H: int = 5, gate_bias: float = 1.0, jacobians: bool = True):
    t = make_task("adding", N, 8, seed=0)
    p = init_params(t.D, H, t.K, cell=cell, gate_bias=gate_bias, seed=0)
    tr = forward(p, t.x, "tanh", t.output)
    return p, tr, backward(p, tr, t.target, t.loss, t.readout, jacobians=jacobians)


def named(fig, name: str):
    (t,) = [t for t in fig.data if t.name == name]
    return t


def text_of(fig) -> str:
    j = fig.to_plotly_json()
    return str(j["layout"].get("title")) + " ".join(str(t.get("name")) for t in j["data"]) + str(j["layout"])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("theme", th.THEMES)
def test_gate_values_one_panel_per_gate_the_keeping_gate_first(cell, theme):
    _, _, res = run(cell)
    stats = res.log.gate_stats
    fig = theory.gate_values(stats, KEEP[cell], LABELS[cell], theme)
    panels = [a.text for a in fig.layout.annotations]
    assert panels[0] == f"{KEEP[cell]}(n): {LABELS[cell][KEEP[cell]]}" and len(panels) == len(stats)
    assert min(a.font.size for a in fig.layout.annotations) >= th.font_size(theme)
    for g, q in stats.items():
        np.testing.assert_array_equal(named(fig, f"mean {g}(n)").y, q[:, 0])
        np.testing.assert_array_equal(named(fig, f"{g}: 10 %").y, q[:, 1])
        band = named(fig, f"{g}: 10–90 %")
        np.testing.assert_array_equal(band.y, q[:, 2])
        assert band.fill == "tonexty" and band.line.color == "rgba(0,0,0,0)"  # no edge line in any look
    ones = [s for s in fig.layout.shapes if s.y0 == 1 == s.y1]
    assert len(ones) == len(stats)
    assert {fig.layout[f"yaxis{k if k > 1 else ''}"].range[1] for k in range(1, len(stats) + 1)} == {1.08}
    assert named(fig, f"mean {KEEP[cell]}(n)").line.width > named(fig, f"mean {[g for g in stats if g != KEEP[cell]][0]}(n)").line.width
    assert "$" not in text_of(fig) and "\\" not in text_of(fig)  # Unicode, never LaTeX (kaleido)


def test_gate_values_with_one_step_draws_a_point():
    _, _, res = run("lstm", N=1)
    fig = theory.gate_values(res.log.gate_stats, "f", LABELS["lstm"])
    mean = named(fig, "mean f(n)")
    assert mean.mode == "lines+markers" and len(mean.y) == 1
    q = res.log.gate_stats["f"]  # (1, 3): the band of one step is drawn as an error bar
    np.testing.assert_allclose([mean.y[0] - mean.error_y.arrayminus[0], mean.y[0] + mean.error_y.array[0]], q[0, 1:])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_direct_products_are_the_logs_and_the_gate_products(cell):
    _, tr, res = run(cell)
    log = res.log
    state = "(s, c)" if cell == "lstm" else "s"
    g = KEEP[cell]
    fig = theory.direct_products(log.product_norms, log.direct_product_norms, g, state)
    full = named(fig, f"full Jacobian ‖∂{state}(N)/∂{state}(n)‖₂")
    direct = named(fig, f"direct terms alone ‖diag({g}(N)) ⋯ diag({g}(n+1))‖₂")
    np.testing.assert_array_equal(full.y, log.product_norms)
    d = tr.gate(g)[:, 0]  # (N, H) sample 0
    np.testing.assert_allclose(direct.y, [np.prod(d[n:], axis=0).max() for n in range(13)], rtol=1e-12)
    assert fig.layout.yaxis.type == "log" and direct.y[-1] == 1.0
    assert fig.layout.xaxis.title.text == "time step n  (N = 12 at the right)"


def test_direct_products_mark_an_underflow_as_exact_zeros():
    """A forget gate far below 1 over 1000 steps: its product underflows to 0, drawn on the 0 line."""
    _, _, res = run("lstm", N=1000, H=2, gate_bias=-5.0)
    direct = res.log.direct_product_norms
    assert direct[0] == 0.0
    fig = theory.direct_products(res.log.product_norms, direct, "f", "(s, c)")
    zeros = [t for t in fig.data if t.name == "direct terms alone: exactly 0"]
    assert len(zeros) == 1 and len(zeros[0].x) == int(np.sum(direct == 0))
    assert fig.layout.yaxis.ticktext[0] == "0"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_local_jacobians_full_against_direct(cell):
    _, tr, res = run(cell)
    g = KEEP[cell]
    state = "(s, c)" if cell == "lstm" else "s"
    fig = theory.gated_local_jacobians(res.log.jacobian_norms, res.log.direct_norms, g, state)
    np.testing.assert_array_equal(named(fig, f"full ‖∂{state}(n)/∂{state}(n−1)‖₂").y, res.log.jacobian_norms)
    np.testing.assert_allclose(named(fig, f"direct term ‖diag({g}(n))‖₂ = max_i {g}_i(n)").y,
                               tr.gate(g)[:, 0].max(axis=1), rtol=1e-12)
    assert [s.y0 for s in fig.layout.shapes] == [1.0]
    assert fig.layout.yaxis.range[1] >= max(1.0, res.log.jacobian_norms.max())


def test_block_rows_and_separators():
    assert weights.rows(3) == ["s₁", "s₂", "s₃"]
    assert weights.rows(2, ("r", "z", "g")) == ["r₁", "r₂", "z₁", "z₂", "g₁", "g₂"]
    p = init_params(2, 3, 1, cell="lstm", seed=0)
    fig = weights.recurrent(p.W_s, blocks=("i", "f", "g", "o"))
    assert list(fig.data[0].y) == weights.rows(3, ("i", "f", "g", "o"))
    assert [s.y0 for s in fig.layout.shapes] == [2.5, 5.5, 8.5]  # between the blocks of 3 rows
    assert fig.layout.yaxis.scaleanchor is None  # a stacked W_s is not square
    assert fig.layout.yaxis.tickvals is None  # 12 rows: every row labelled


def test_many_stacked_rows_are_ticked_once_per_block():
    p = init_params(2, 16, 1, cell="gru", seed=0)
    blocks = ("r", "z", "g")
    for fig in (weights.recurrent(p.W_s, blocks=blocks), weights.input_weights(p.W_x, blocks=blocks),
                weights.bias(p.b, blocks=blocks)):
        assert list(fig.layout.yaxis.ticktext) == ["<b>r</b>", "<b>z</b>", "<b>g</b>"]
        assert list(fig.layout.yaxis.tickvals) == ["r₈", "z₈", "g₈"]
        assert len(fig.layout.shapes) == 2


def test_elman_heatmaps_are_unchanged():
    p = init_params(2, 4, 1, seed=0)
    fig = weights.recurrent(p.W_s)
    assert fig.layout.title.text == "W_s, the recurrent weights" and fig.layout.yaxis.scaleanchor == "x"
    assert not fig.layout.shapes and list(fig.data[0].y) == ["s₁", "s₂", "s₃", "s₄"]


@pytest.mark.skipif(bool(export.unavailable()), reason="no Chromium for kaleido")
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_new_figures_export_as_slides(cell):
    p, _, res = run(cell, N=1)  # one step: the smallest figures, one point each
    log, g = res.log, KEEP[cell]
    state = "(s, c)" if cell == "lstm" else "s"
    blocks = ("i", "f", "g", "o") if cell == "lstm" else ("r", "z", "g")
    for fig in (theory.gate_values(log.gate_stats, g, LABELS[cell], "screen"),
                theory.direct_products(log.product_norms, log.direct_product_norms, g, state),
                theory.gated_local_jacobians(log.jacobian_norms, log.direct_norms, g, state),
                weights.recurrent(p.W_s, blocks=blocks)):
        svg = export.to_bytes(fig, "svg")
        assert svg.lstrip().startswith(b"<svg") and b'width="1920"' in svg
