"""Pure figure builders of the Training and Compare pages, and the live-run helpers they rely on."""
from __future__ import annotations

import numpy as np
import pytest

from dashboard import compute, live_run
from dashboard.config import Experiment
from dashboard.figures import compare as cfigs
from dashboard.figures import gradients as gfigs
from dashboard.figures import training as figs


def _annotations(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def _vlines(fig) -> list[float]:
    return [s.x0 for s in fig.layout.shapes if s.x0 == s.x1 and s.xref == "x"]


def _history(T=40, exploded_at=None):
    it = np.arange(T)
    loss = np.linspace(1.0, 0.1, T)  # (T,)
    val = np.full(T, np.nan)
    val[4::5] = loss[4::5] * 1.1
    grad = np.linspace(0.5, 3.0, T)
    if exploded_at is not None:
        loss[-1], grad[-1] = np.nan, np.inf
    return it, loss, val, grad


# --- training figures ----------------------------------------------------------------------------------
def test_explosion_is_marked_on_every_curve():
    it, loss, val, grad = _history(12, exploded_at=11)
    what = "gradient norm of W_s became inf"
    acc = np.linspace(0.5, 0.9, 12)
    figures = [
        figs.loss_curves(it, loss, val, 5, exploded_at=11, exploded_what=what),
        figs.accuracy_curves(it, acc, acc, 5, exploded_at=11, exploded_what=what),
        figs.grad_norm_curve(it, grad, grad, np.zeros(12, bool), exploded_at=11, exploded_what=what),
    ]
    for fig in figures:
        assert f"exploded at iteration 11: {what}" in _annotations(fig)
        assert 11 in _vlines(fig)
        assert fig.layout.xaxis.range[1] > 11  # the line is inside the plot, not on its edge


def test_no_explosion_no_marker():
    it, loss, val, grad = _history()
    fig = figs.loss_curves(it, loss, val, 5)
    assert not any("exploded" in (t or "") for t in _annotations(fig))
    assert _vlines(fig) == []


def test_validation_drawn_with_gaps_connected_and_only_where_measured():
    it, loss, val, grad = _history()
    fig = figs.loss_curves(it, loss, val, 5)
    v = next(t for t in fig.data if t.name.startswith("validation"))
    assert v.connectgaps is True
    assert np.isnan(np.asarray(v.y, float)[0]) and np.isfinite(np.asarray(v.y, float)[4])
    assert "every 5 iterations" in v.name


def test_loss_axis_log_only_when_the_loss_spans_decades():
    it = np.arange(50)
    flat = 0.3 + 0.01 * np.sin(it)
    assert figs.loss_curves(it, flat, np.full(50, np.nan)).layout.yaxis.type != "log"
    falling = 10.0 ** -np.linspace(0, 3, 50)
    assert figs.loss_curves(it, falling, np.full(50, np.nan)).layout.yaxis.type == "log"


def test_clipping_events_and_threshold_are_drawn():
    T = 20
    it = np.arange(T)
    grad = np.where(it % 4 == 0, 50.0, 0.5)  # every 4th iteration above c = 1
    after = np.minimum(grad, 1.0)
    clipped = grad > 1.0
    fig = figs.grad_norm_curve(it, grad, after, clipped, clip="norm", clip_at=1.0)
    marks = next(t for t in fig.data if t.mode == "markers")
    assert list(marks.x) == list(it[clipped])
    assert f"clipped ({clipped.sum()} of {T} iterations)" == marks.name
    hlines = [s for s in fig.layout.shapes if s.y0 == s.y1 == 1.0]
    assert hlines, "the clip threshold c = 1 is drawn"
    assert any("clip threshold c = 1" in (a or "") for a in _annotations(fig))
    assert any(t.name.startswith("‖∇L‖ used for the update") for t in fig.data)


def test_no_clipping_no_clip_traces():
    it, loss, val, grad = _history()
    fig = figs.grad_norm_curve(it, grad, grad, np.zeros(len(it), bool), clip="none")
    assert len(fig.data) == 1 and fig.layout.shapes == ()


def test_value_clipping_says_what_it_limits():
    it, loss, val, grad = _history()
    fig = figs.grad_norm_curve(it, grad, grad, grad > 2, clip="value", clip_at=2.0)
    assert any("every entry of ∇L limited to ±2" in (a or "") for a in _annotations(fig))


def test_zero_gradient_is_reported_not_silently_dropped():
    it = np.arange(10)
    grad = np.zeros(10)
    grad[3] = 1e-5
    fig = figs.grad_norm_curve(it, grad, grad, np.zeros(10, bool), clip="norm", clip_at=1.0)
    assert any("= 0 exactly at 9 of 10 iterations" in (a or "") for a in _annotations(fig))


def test_setting_changes_are_marked():
    it, loss, val, grad = _history()
    fig = figs.loss_curves(it, loss, val, 5, changes=[(20, "γ 0.1 → 0.3")])
    assert 20 in _vlines(fig)
    assert "t = 20: γ 0.1 → 0.3" in _annotations(fig)


def test_baseline_line_has_its_value_in_the_legend():
    it, loss, val, grad = _history()
    fig = figs.loss_curves(it, loss, val, 5, baseline=0.042)
    line = next(t for t in fig.data if t.name.startswith("predicting the mean target"))
    assert set(line.y) == {0.042} and "0.042" in line.name


# --- compare figures -----------------------------------------------------------------------------------
def test_shared_log_range_covers_both():
    a = np.array([1e-3, 1e-1, 0.0, np.nan])
    b = np.array([1e-7, 1e2, np.inf])
    assert cfigs.shared_log_range(a, b) == pytest.approx((-7.0, 2.0))
    assert cfigs.shared_log_range(np.zeros(3)) is None


def test_decay_overlay_one_axis_covering_both_curves():
    a = 10.0 ** -np.linspace(3, 0, 30)  # (30,)
    b = 10.0 ** -np.linspace(20, 0, 30)
    fig = cfigs.decay_overlay(a, b, "tanh", "sigmoid")
    assert [t.name for t in fig.data] == ["A: tanh", "B: sigmoid"]
    lo, hi = fig.layout.yaxis.range
    assert lo <= -20 and hi >= 0 and fig.layout.yaxis.type == "log"
    assert fig.data[0].line.color != fig.data[1].line.color


def test_decay_overlay_different_N_aligns_the_last_step():
    fig = cfigs.decay_overlay(np.ones(10), np.ones(100), "N = 10", "N = 100")
    assert fig.data[0].x[-1] == fig.data[1].x[-1] == 0
    assert fig.data[1].x[0] == -99


def test_side_by_side_heatmaps_share_the_colour_scale():
    rng = np.random.default_rng(0)
    na = 10.0 ** rng.uniform(-3, 0, (5, 30))  # (T, N)
    nb = 10.0 ** rng.uniform(-20, -1, (5, 30))
    z = cfigs.shared_log_range(na, nb)
    fa = gfigs.heatmap(na, np.arange(5), zrange=z)
    fb = gfigs.heatmap(nb, np.arange(5), zrange=z)
    assert (fa.data[0].zmin, fa.data[0].zmax) == (fb.data[0].zmin, fb.data[0].zmax) == z
    assert z[0] <= np.log10(nb.min()) and z[1] >= np.log10(na.max())


def test_loss_overlay_marks_only_the_run_that_exploded():
    it = np.arange(10)
    fig = cfigs.loss_overlay(it, np.ones(10), it[:4], np.array([1, 10, 1e6, np.nan]), "clip", "no clip",
                             exploded_b=3)
    texts = _annotations(fig)
    assert "B exploded at iteration 3" in texts and not any(t.startswith("A exploded") for t in texts)
    assert fig.layout.yaxis.type == "log"  # B's loss spans six decades


def test_loss_overlay_validation_bold_training_faint():
    it = np.arange(10)
    val = np.where(it % 5 == 4, 0.5, np.nan)
    fig = cfigs.loss_overlay(it, np.ones(10), it, np.ones(10), "a", "b", val_a=val, val_b=val)
    bold = [t for t in fig.data if "validation" in t.name]
    assert len(bold) == 2 and all(t.connectgaps for t in bold)
    assert all(t.opacity < 1 for t in fig.data if "training" in t.name)


# --- the live run (compute) ----------------------------------------------------------------------------
SMALL = Experiment(N=8, H=4, batch=8, optimizer="sgd", lr=0.1)


def test_live_run_step_retune_keeps_weights_and_continues():
    run = live_run.start_run(SMALL)
    assert run.t == 0 and run.history is None
    run = live_run.advance(run, 5)
    assert run.t == 5 and list(run.history.iteration) == [0, 1, 2, 3, 4]
    faster = live_run.retune(run, SMALL.replace(lr=0.3, optimizer="momentum"))
    assert faster.params is run.params and faster.t == 5  # the change itself trains nothing
    assert faster.changes == ((5, "γ 0.1 → 0.3, optimiser sgd → momentum"),)
    faster = live_run.advance(faster, 5)
    assert list(faster.history.iteration) == list(range(10))
    assert list(faster.history.lr) == [0.1] * 5 + [0.3] * 5
    with pytest.raises(ValueError):
        live_run.retune(run, SMALL.replace(H=8))  # a different network is a new run


def test_live_run_matches_one_long_run():
    """Continuing in chunks draws the same batches and takes the same steps as one call."""
    run = live_run.advance(live_run.advance(live_run.start_run(SMALL), 4), 6)
    whole = live_run.advance(live_run.start_run(SMALL), 10)
    np.testing.assert_allclose(run.history.loss, whole.history.loss, rtol=1e-12)
    np.testing.assert_allclose(run.params.W_s, whole.params.W_s, rtol=1e-12)


def test_live_run_stops_at_an_explosion():
    exp = Experiment(task="adding", N=40, activation="linear", output="linear", init="orthogonal", radius=1.5,
                     lr=0.01, optimizer="sgd", seed=2)
    run = live_run.advance(live_run.start_run(exp), 10)
    assert run.exploded and run.finished
    assert run.history.exploded_at == run.history.iteration[-1] < 10
    assert live_run.advance(run, 10) is run  # nothing more to do


def test_architecture_ignores_training_settings_only():
    a = live_run.architecture(SMALL)
    assert live_run.architecture(SMALL.replace(lr=1.0, clip="norm", batch=64, iterations=7)) == a
    assert live_run.architecture(SMALL.replace(truncate=3)) != a
    assert live_run.architecture(SMALL.replace(seed=5)) != a


def test_chunk_size_shrinks_for_big_networks():
    assert live_run.chunk_size(Experiment()) == 10
    assert live_run.chunk_size(Experiment(N=1000, H=256, batch=256)) == 1


def test_constant_baseline_is_the_target_variance_for_mse():
    exp = Experiment(task="sine", loss="mse")
    s = compute.setup(exp)
    t = s.train.target.reshape(-1, s.train.target.shape[-1])
    assert compute.constant_baseline(exp) == pytest.approx(float(t.var(axis=0).mean()))
