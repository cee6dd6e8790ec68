"""The credit numbers on the Gradients and Compare pages, through AppTest, against the engine's: the per-unit heatmap
|dL/ds_i(n)| (H, N) and the memory-horizon metric for every cell; on Compare, the memory horizon of A and B in the
table and the itemised maps of A and B on one colour scale (one line instead when the loss is read at N only)."""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import compute, diagnose, ui
from dashboard.config import Experiment
from dashboard.figures import credit as cfigs
from dashboard.figures import gradients as gfigs
from rnn_engine import memory_horizon
from tests.test_app_credit import array

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
CELLS = ["elman", "lstm", "gru"]
SMALL = {"v": "2", "task": "copy", "N": "24", "H": "8", "iterations": "5"}


def open_page(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart(at: AppTest, title: str) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    found = [s for s in specs if s["layout"]["title"]["text"].startswith(title)]
    assert len(found) == 1, [s["layout"]["title"]["text"] for s in specs]
    return found[0]


@pytest.mark.parametrize("cell", CELLS)
def test_the_gradients_page_draws_each_unit_and_says_the_memory_horizon(cell):
    at = open_page("gradients", {**SMALL, "cell": cell})
    exp = Experiment(task="copy", N=24, H=8, iterations=5, cell=cell)
    res = compute.gradients(exp)[1]
    heat = chart(at, "How far back each unit")["data"][0]
    z = array(heat["z"]).reshape(8, 24)  # (H, N) log10 |dL/ds_i(n)|
    assert array(heat["z"]).size == 8 * 24 and len(array(heat["y"])) == 8 and len(array(heat["x"])) == 24
    U = res.log.unit_grad  # (N, H)
    np.testing.assert_allclose(z, np.log10(U.T), rtol=1e-9)
    assert (heat["zmin"], heat["zmax"]) == pytest.approx((np.log10(U.max()) - 6, np.log10(U.max())))  # as Credit's
    h = memory_horizon(res.state_grad_norms)
    (metric,) = [m for m in at.metric if m.label == diagnose.REMEMBERS]
    assert metric.value == diagnose.remembers(h, 24)
    assert int(metric.value.lstrip("≥ ").split()[0]) == h
    assert "gradient-units" in at.session_state[ui.FIGURES_KEY]  # the ZIP and the CLI take what ui.chart records


def test_the_unit_caption_names_the_unit_that_reaches_furthest():
    at = open_page("gradients", {"v": "2", "task": "copy", "N": "60"})
    U = compute.gradients(Experiment(task="copy", N=60))[1].log.unit_grad  # (N, H)
    level = 0.01 * U[-1].max()
    reach = np.array([60 - (np.flatnonzero(U[:, i] >= level)[0] + 1) for i in range(U.shape[1])])  # (H,) steps back
    said = next(c.value for c in at.caption if c.value.startswith("Each row is one of"))
    assert reach.max() < 59 and (reach == reach.max()).sum() == 1, "the case names one unit"
    assert f"Unit {reach.argmax() + 1} carries it furthest" in said and f"{reach.max()} steps back" in said
    np.testing.assert_array_equal(gfigs.unit_reach(U), reach)


def test_unit_reach_counts_the_steps_above_one_percent_of_the_strongest_unit_at_n():
    U = np.array([[1e-1, 1e-3, 0.0], [1e-2, 1e-4, 0.0], [1.0, 1e-2, 0.0]])  # (N=3, H=3)
    np.testing.assert_array_equal(gfigs.unit_reach(U), [2, 0, 0])
    assert gfigs.unit_reach(np.zeros((4, 2))).tolist() == [0, 0]


def test_remembers_says_a_capped_horizon_and_nothing_to_measure():
    assert diagnose.remembers(12, 60) == "12 steps" and diagnose.remembers(60, 60) == "≥ 60 steps"
    assert diagnose.remembers(1, 5) == "1 step" and diagnose.remembers(None, 5) == "—"
    assert diagnose.remembers(float("nan"), 5) == "—"


def test_compare_has_the_memory_horizon_of_a_and_b_and_their_itemised_maps_on_one_scale():
    at = open_page("compare", {**SMALL, "N": "60"})
    a, b = Experiment(task="copy", N=60, H=8, iterations=5), Experiment(task="copy", N=60, H=8, iterations=5,
                                                                        activation="sigmoid")
    table = at.dataframe[0].value
    row = [i for i, r in enumerate(table[""]) if r.startswith("memory horizon at θ(0)")]
    assert len(row) == 1
    for col, e in (("A", a), ("B", b)):
        h = memory_horizon(compute.gradients(e)[1].state_grad_norms)
        assert list(table[col])[row[0]] == diagnose.remembers(h, 60)
    assert list(table["A"])[row[0]] != list(table["B"])[row[0]], "tanh and sigmoid remember differently"
    pair = chart(at, "Which loss term reaches which step")
    maps = [t for t in pair["data"] if t.get("customdata") is not None]  # the two itemised maps (not the grey zeros)
    assert len(maps) == 2
    assert maps[0]["zmin"] == maps[1]["zmin"] and maps[0]["zmax"] == maps[1]["zmax"]
    IA, IB = compute.credit(a).itemized, compute.credit(b).itemized
    assert (maps[0]["zmin"], maps[0]["zmax"]) == pytest.approx(cfigs.zrange(IA, IB))
    for t, I in zip(maps, (IA, IB), strict=True):
        top = cfigs.quiet_rows(I)  # the copy task's rows before the recall: left out
        z = array(t["z"]).reshape(60 - top, 60)
        ok = I[top:] > 0
        np.testing.assert_allclose(z[ok], np.log10(I[top:][ok]), rtol=1e-5)
    assert np.log10(IA.max()) != pytest.approx(np.log10(IB.max())), "two different maps"


def test_compare_says_in_one_line_that_a_last_step_task_has_no_itemised_map():
    at = open_page("compare", {"v": "2", "N": "12", "iterations": "5"})
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert not any(t.startswith("Which loss term") for t in titles)
    assert any("reads its loss at the last step only" in c.value for c in at.caption)


def test_compare_itemised_maps_of_two_lengths_keep_their_own_steps():
    at = open_page("compare", {**SMALL, "b_field": "N", "b_value": "30"})
    maps = [t for t in chart(at, "Which loss term reaches which step")["data"] if t.get("customdata") is not None]
    assert [len(array(t["x"])) for t in maps] == [24, 30]
    assert maps[0]["zmin"] == maps[1]["zmin"]


def test_the_headless_export_collects_the_new_charts():
    from dashboard import export_headless

    exp = Experiment(task="copy", N=24, H=8, iterations=5)
    figures, problems, _ = export_headless.page_figures(exp, ["gradients", "compare"], "projector")
    assert not problems
    assert {"gradients_gradient-units", "compare_compare-itemized"} <= set(figures)
    assert np.asarray(figures["gradients_gradient-units"].data[0].z).shape == (8, 24)


def test_the_unit_map_marks_the_memory_horizon_and_keeps_its_own_steps():
    U = np.exp(-np.arange(10, 0, -1.0))[:, None] * np.ones((1, 3))  # (N=10, H=3) decaying back from n = N
    fig = gfigs.unit_heatmap(U, horizon=4)
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].x0 == 6.5  # n = N − h = 6 and before: below
    assert "memory horizon: 4 steps" in fig.layout.annotations[0].text
    assert list(fig.layout.xaxis.range) == [0.5, 10.5], "the words must not widen the axis"
    assert not gfigs.unit_heatmap(U, horizon=10).layout.shapes, "a horizon of all N steps has no line to draw"


def test_a_wrapped_projector_title_makes_room_for_its_subtitle():
    from dashboard import theme as th

    I = np.tril(np.ones((6, 6)))
    def pad(note: str) -> float:
        fig = cfigs.itemized_pair(I, I, theme="projector", note=note,
                                  title="Which loss term reaches which step: ‖∂ℓ_m/∂s(n)‖ of A and B, one colour scale")
        return th.fit_text(fig, 900, 700, "projector").layout.title.pad.b
    assert pad("rows m = 1–50 left out: no loss term there") > pad("") > 0


def test_a_heatmap_beyond_the_work_budget_waits_for_a_click():
    """N = 1000, H = 128, 200 iterations: minutes of training; the page draws its curves and offers the button."""
    from dashboard import compute
    from dashboard.config import Experiment

    assert compute.training_cost(Experiment(N=1000, H=128)) > compute.WORK_BUDGET
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"v": "2", "N": "1000", "H": "128"})
    at.run()
    at.switch_page("app_pages/gradients.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(b.label.startswith("Fill in the heatmap") for b in at.button)
    assert any("more than a click starts by itself" in i.value for i in at.info)
