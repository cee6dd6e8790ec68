"""Pure figure builders of the graph, theory and weights pages: what they draw equals the engine's numbers."""
import numpy as np
import plotly.colors as pc
import pytest

from dashboard.figures import graph, theory, weights
from rnn_engine import backward, forward, get_activation
from rnn_engine.init import init_params
from rnn_engine.losses import loss_and_grad
from rnn_engine.tasks import make_task
from rnn_engine.theory import bound_curve, eigenvalues, singular_values

VIRIDIS_TOP = pc.sample_colorscale("Viridis", [1.0])[0]


def run(N: int, task: str = "adding", H: int = 6, activation: str = "tanh", truncate=None, jacobians=False, seed=0):
    """(params, trace, result, EdgeGradients) for the first 8 sequences of a task, straight from the engine."""
    t = make_task(task, N, 8, seed=seed)
    p = init_params(t.D, H, t.K, scheme="orthogonal", spectral_radius=0.9, seed=seed)
    tr = forward(p, t.x, activation, t.output)
    res = backward(p, tr, t.target, t.loss, t.readout, truncate=truncate, jacobians=jacobians)
    B, K = tr.y.shape[1:]
    if t.readout == "last":
        _, dz = loss_and_grad(tr.z[-1], tr.y[-1], t.target, t.loss, t.output)
        out = np.full(N, np.nan)
        out[-1] = np.linalg.norm(dz @ p.W_y)
    else:
        _, dz = loss_and_grad(tr.z.reshape(N * B, K), tr.y.reshape(N * B, K), t.target.reshape(N * B, K), t.loss, t.output)
        d = (dz @ p.W_y).reshape(N, B, -1)
        out = np.sqrt(np.einsum("nbh,nbh->n", d, d))
    s0 = float(np.linalg.norm(res.s0_grad))
    log = res.log
    g = graph.EdgeGradients(np.concatenate([[s0], log.state_grad[:-1]]), log.preact_grad, log.W_x_contrib,
                            log.state_grad, out, s0, res.loss)
    return p, tr, res, g


def colours(scale) -> list[str]:
    return [c for _, c in scale]


def trace_named(fig, name):
    (t,) = [t for t in fig.data if t.name == name]
    return t


def node_labels(fig) -> list[str]:
    return list(trace_named(fig, "nodes").text)


# --- unfolded graph ---------------------------------------------------------------------------------------
def test_drawn_steps_all_for_short_sequences_and_bounded_for_long_ones():
    max_full, head, tail = graph.LIMITS["screen"]
    assert graph.drawn_steps(1) == [1]
    assert graph.drawn_steps(max_full) == list(range(1, max_full + 1))
    assert len(graph.drawn_steps(max_full + 1)) < max_full + 1
    d = graph.drawn_steps(60, 30)
    assert d[:head] == list(range(1, head + 1)) and d[-tail:] == list(range(61 - tail, 61)) and 30 in d
    assert len(d) == head + tail + 1
    d = graph.drawn_steps(1000, 500)  # four-digit labels: wider nodes, fewer of them
    assert d[0] == 1 and d[-1] == 1000 and 500 in d and len(d) < head + tail + 1
    h = graph.limits(1000)[1]
    assert h + 1 in graph.drawn_steps(1000, h + 2)  # a single elided step is drawn instead of a "1 step" gap


def test_describe_drawn_names_drawn_and_elided_steps():
    assert graph.describe_drawn(1000, [1, 2, 500, 996, 997, 998, 999, 1000]) == \
        "steps 1–2, 500, 996–1000 drawn; 3–499, 501–995 elided"
    assert graph.describe_drawn(5, [1, 2, 3, 4, 5]) == "all 5 steps drawn"


def test_graph_at_N_1000_draws_a_bounded_number_of_steps_with_the_selected_one():
    _, _, res, g = run(1000)
    fig = graph.unfolded(g, selected=500)
    labels = node_labels(fig)
    drawn = [int(lab[2:-1]) for lab in labels if lab.startswith("s(") and lab != "s(0)"]
    assert drawn == graph.drawn_steps(1000, 500) and len(drawn) <= 12
    assert "s(500)" in labels and "a(500)" in labels and "x(500)" in labels
    # The elision labels account for every step that is not drawn.
    gaps = [a.text for a in fig.layout.annotations if a.name == "elided"]
    assert sum(int(t.split("<br>")[0]) for t in gaps) == 1000 - len(drawn)
    assert "<b>500</b>" in fig.layout.xaxis.ticktext
    assert "500" in fig.layout.xaxis.title.text and "elided" in fig.layout.xaxis.title.text
    # The highlight band sits behind step 500's column.
    (band,) = [s for s in fig.layout.shapes if s.type == "rect"]
    col = fig.layout.xaxis.tickvals[list(fig.layout.xaxis.ticktext).index("<b>500</b>")]
    assert band.x0 < col < band.x1


def test_graph_with_one_step():
    _, _, res, g = run(1)
    fig = graph.unfolded(g, selected=1)
    assert set(node_labels(fig)) == {"s(0)", "x(1)", "a(1)", "s(1)", "y(1)"}
    assert list(trace_named(fig, "loss").text) == ["L"]
    edges = trace_named(fig, "edges")
    assert len(edges.x) == 4  # s(0)->a(1), x(1)->a(1), a(1)->s(1), s(1)->y(1)


def test_graph_numbers_are_the_engines():
    _, _, res, g = run(12)
    fig = graph.unfolded(g, selected=3)
    hover = list(trace_named(fig, "edges").hovertext)
    log = res.log
    for n in (1, 3, 12):
        (h,) = [h for h in hover if h.startswith(f"<b>a({n}) → s({n})</b>")]
        assert f"{log.preact_grad[n - 1]:.3e}" in h
        (h,) = [h for h in hover if h.startswith(f"<b>s({n - 1}) → a({n})</b>")]
        expected = np.linalg.norm(res.s0_grad) if n == 1 else log.state_grad[n - 2]
        assert f"{expected:.3e}" in h
        (h,) = [h for h in hover if h.startswith(f"<b>x({n}) → a({n})</b>")]
        assert f"{log.W_x_contrib[n - 1]:.3e}" in h
    nodes = trace_named(fig, "nodes")
    (h,) = [h for lab, h in zip(nodes.text, nodes.hovertext, strict=True) if lab == "s(7)"]
    assert f"{log.state_grad[6]:.3e}" in h
    # With the loss read at step N only, dL/ds(N) is the read-out gradient itself.
    (h,) = [h for h in hover if h.startswith("<b>s(12) → y(12)</b>")]
    assert f"{log.state_grad[-1]:.3e}" in h


def gated_graph(cell: str, N: int, gate_bias: float = 1.0):
    """(result, EdgeGradients) of a gated cell on the adding problem, as the graph page builds them."""
    t = make_task("adding", N, 8, seed=0)
    p = init_params(t.D, 5, t.K, scheme="orthogonal", cell=cell, gate_bias=gate_bias, seed=0)
    tr = forward(p, t.x, "tanh", t.output)
    res = backward(p, tr, t.target, t.loss, t.readout)
    log = res.log
    s0 = float(np.linalg.norm(res.s0_grad))
    c0 = float("nan") if res.c0_grad is None else float(np.linalg.norm(res.c0_grad))
    readout = np.full(N, np.nan)
    readout[-1] = 1.0
    g = graph.EdgeGradients(np.concatenate([[s0], log.state_grad[:-1]]), log.preact_grad, log.W_x_contrib,
                            log.state_grad, readout, s0, res.loss, cell=cell, direct=log.direct_grad,
                            cell_state=log.cell_grad, c0=c0)
    return res, g


def test_lstm_graph_draws_the_cell_state_row_and_its_path_coloured_by_f_times_the_gradient():
    res, g = gated_graph("lstm", 12)
    fig = graph.unfolded(g, selected=4)
    assert "cell state c(n)" in fig.layout.yaxis.ticktext and len(fig.layout.yaxis.tickvals) == 6
    labels = node_labels(fig)
    assert {"c(0)", "c(1)", "c(12)", "s(0)", "s(12)"} <= set(labels)
    hover = list(trace_named(fig, "edges").hovertext)
    for n in (1, 4, 12):
        (h,) = [h for h in hover if h.startswith(f"<b>c({n - 1}) → c({n})</b>")]
        assert f"{res.log.direct_grad[n - 1]:.3e}" in h and "f(" in h
        (h,) = [h for h in hover if h.startswith(f"<b>c({n}) → s({n})</b>")]
        assert f"{res.log.cell_grad[n - 1]:.3e}" in h
    assert not any(h.startswith("<b>a(1) → s(1)") for h in hover)  # the gates feed c(n), not s(n)


def test_gru_graph_draws_the_gated_shortcut_beside_W_s_path():
    res, g = gated_graph("gru", 12)
    fig = graph.unfolded(g, selected=1)
    hover = list(trace_named(fig, "edges").hovertext)
    for n in (1, 12):
        (h,) = [h for h in hover if h.startswith(f"<b>s({n - 1}) → s({n})</b>")]
        assert f"{res.log.direct_grad[n - 1]:.3e}" in h and "z(" in h
        assert [h for h in hover if h.startswith(f"<b>s({n - 1}) → a({n})</b>")]
    assert "c(1)" not in node_labels(fig)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_graph_at_N_1000_elides_and_keeps_the_direct_path_into_the_gap(cell):
    _, g = gated_graph(cell, 1000)
    fig = graph.unfolded(g, selected=500)
    row = "c" if cell == "lstm" else "s"
    hover = list(trace_named(fig, "edges").hovertext)
    assert any(h.startswith(f"<b>{row}(499) → {row}(500)</b>") for h in hover)
    gaps = [lab for lab in node_labels(fig) if lab == "…"]
    assert len(gaps) == 2 * (2 if cell == "lstm" else 1)  # two elided runs; the LSTM marks them on c and s


def test_gated_graph_needs_its_paths():
    _, g = gated_graph("lstm", 3)
    with pytest.raises(ValueError, match="direct-term"):
        graph.EdgeGradients(g.recurrent, g.preact, g.input, g.state, g.readout, g.s0, g.loss, cell="gru")


def test_graph_colour_scale_is_viridis_on_log10_of_the_gradient():
    _, _, _, g = run(12)
    fig = graph.unfolded(g, selected=1)
    m = trace_named(fig, "edges").marker
    assert m.colorbar.title.text == "log₁₀ ‖gradient‖"
    assert colours(m.colorscale) == colours(pc.get_colorscale("Viridis"))
    values = np.concatenate([g.recurrent, g.preact, g.input, g.readout[g.read], [g.s0]])
    assert m.cmin == pytest.approx(np.log10(values.min())) and m.cmax == pytest.approx(np.log10(values.max()))
    # The edge with the largest gradient is the brightest and the thickest.
    widths = [a.arrowwidth for a in fig.layout.annotations if a.arrowcolor and a.arrowcolor != "#555555"]
    top = [a for a in fig.layout.annotations if a.arrowwidth == max(widths)]
    assert top[0].arrowcolor == VIRIDIS_TOP
    assert min(widths) < max(widths)


def test_truncated_edges_carry_zero_gradient_and_are_drawn_dotted():
    _, _, _, g = run(12, truncate=3)
    fig = graph.unfolded(g, selected=1)
    dotted = [s for s in fig.layout.shapes if s.type == "line" and s.line.dash == "dot"]
    assert len(dotted) >= 9 * 3  # steps 1..9 send nothing back: W_s, W_x and φ edges are dotted
    hover = list(trace_named(fig, "edges").hovertext)
    (h,) = [h for h in hover if h.startswith("<b>a(2) → s(2)</b>")]
    assert "0.000e+00" in h


def test_a_loss_at_every_step_draws_a_loss_node_at_every_drawn_step():
    _, _, _, g = run(30, task="sine")
    assert g.read.all()
    fig = graph.unfolded(g, selected=10)
    assert list(trace_named(fig, "loss").text) == [f"ℓ({n})" for n in graph.drawn_steps(30, 10)]


def test_selected_step_out_of_range_is_a_clear_error():
    _, _, _, g = run(5)
    with pytest.raises(ValueError, match="1..5"):
        graph.unfolded(g, selected=6)


def test_overview_strip_shows_every_step():
    _, _, res, g = run(300)
    fig = graph.overview(g.state, graph.drawn_steps(300, 100), 100)
    z = np.asarray(fig.data[0].z)[0]
    assert z.shape == (300,)
    np.testing.assert_allclose(z, np.log10(res.state_grad_norms))
    assert list(fig.data[1].x) == graph.drawn_steps(300, 100)


# --- theory ------------------------------------------------------------------------------------------------
def test_eigenvalue_plot_has_the_unit_circle_equal_axes_and_the_engines_eigenvalues():
    p, _, _, _ = run(10)
    lam = eigenvalues(p.W_s)
    fig = theory.eigenvalues(lam, kappa=1.0)
    circle = trace_named(fig, "unit circle |λ| = 1")
    np.testing.assert_allclose(np.hypot(circle.x, circle.y), 1.0)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    pts = [t for t in fig.data if t.mode == "markers"][0]
    np.testing.assert_allclose(pts.x + 1j * np.asarray(pts.y), lam)
    assert any("1/κ" in (a.text or "") for a in fig.layout.annotations)  # tanh: the unit circle is the 1/κ circle


def test_eigenvalue_plot_draws_the_one_over_kappa_circle_for_sigmoid():
    fig = theory.eigenvalues(np.array([0.5 + 0.5j, 0.5 - 0.5j]), kappa=0.25)
    c = trace_named(fig, "|λ| = 1/κ = 4")
    np.testing.assert_allclose(np.hypot(c.x, c.y), 4.0)
    assert fig.layout.xaxis.range[1] > 4


def test_singular_values_against_one_over_kappa():
    p, _, _, _ = run(10)
    sig = singular_values(p.W_s * 2)
    fig = theory.singular_values(sig, kappa=1.0)
    np.testing.assert_allclose(fig.data[0].y, sig)
    (line,) = [s for s in fig.layout.shapes if s.type == "line"]
    assert line.y0 == line.y1 == 1.0


@pytest.mark.parametrize("N", [12, 200])
def test_dphi_distribution_boxes_or_bands_with_kappa(N):
    p, tr, _, _ = run(N)
    d = get_activation("tanh").dphi(tr.a, tr.s[1:]).reshape(N, -1)
    fig = theory.dphi_distribution(d, kappa=1.0)
    if N <= theory.BOX_MAX_N:
        box = fig.data[0]
        assert box.type == "box"
        np.testing.assert_allclose(box.median, np.median(d, axis=1))
        np.testing.assert_allclose(box.upperfence, d.max(axis=1))
    else:
        med = trace_named(fig, "median")
        np.testing.assert_allclose(med.y, np.median(d, axis=1))
        assert {t.name for t in fig.data} >= {"10 – 90 %", "min – max"}
    assert any(s.y0 == 1.0 for s in fig.layout.shapes)


def test_jacobian_products_against_the_bound_and_bound_only():
    p, _, res, _ = run(20, jacobians=True)
    sig = float(singular_values(p.W_s)[0])
    bound = bound_curve(1.0, sig, 20)
    fig = theory.jacobian_products(res.log.product_norms, bound)
    np.testing.assert_allclose(fig.data[0].y, res.log.product_norms)
    np.testing.assert_allclose(fig.data[1].y, bound)
    assert np.all(res.log.product_norms <= bound * (1 + 1e-9))  # what the caption claims
    assert fig.layout.yaxis.type == "log"
    only = theory.jacobian_products(None, bound)
    assert len(only.data) == 1 and "bound" in only.data[0].name


def test_local_jacobians_never_exceed_kappa_sigma_max():
    p, _, res, _ = run(20, jacobians=True)
    rate = float(singular_values(p.W_s)[0])
    fig = theory.local_jacobians(res.log.jacobian_norms, rate)
    np.testing.assert_allclose(fig.data[0].y, res.log.jacobian_norms)
    assert max(fig.data[0].y) <= rate + 1e-12


# --- weights ----------------------------------------------------------------------------------------------
def test_weight_heatmap_diverging_centred_on_zero_with_numbers_for_small_H():
    p, _, _, _ = run(5, H=4)
    fig = weights.recurrent(p.W_s)
    hm = fig.data[0]
    np.testing.assert_allclose(hm.z, p.W_s)
    assert colours(hm.colorscale) == colours(pc.get_colorscale("RdBu_r"))
    assert hm.zmid == 0 and hm.zmin == -hm.zmax
    assert hm.texttemplate and list(hm.y) == ["s₁", "s₂", "s₃", "s₄"] and list(hm.x) == list(hm.y)
    assert fig.layout.yaxis.autorange == "reversed"  # row 1 on top, as the matrix is written


def test_weight_heatmap_has_no_numbers_for_large_H_and_shares_a_colour_range():
    p, _, _, _ = run(5, H=16)
    fig = weights.recurrent(p.W_s, zmax=3.0)
    assert not fig.data[0].texttemplate
    assert fig.data[0].zmax == 3.0
    fx = weights.input_weights(p.W_x)
    assert list(fx.data[0].x) == ["x₁", "x₂"]
    fb = weights.bias(p.b)
    assert np.asarray(fb.data[0].z).shape == (16, 1)
    fy = weights.readout(p.W_y)
    np.testing.assert_allclose(fy.data[0].z, p.W_y)


def test_weight_heatmap_labels_must_fit():
    with pytest.raises(ValueError, match="labels do not fit"):
        weights.heatmap(np.zeros((2, 2)), ["a"], ["b", "c"], "W", "W", "x", "y")
