"""The Credit page through AppTest, for every cell: its five charts with the numbers the engine computes, its own
controls in the address (credit_m, credit_sample) and back, bad values in the URL said and replaced, the
windowed computation above the budget, and a task with a loss at the last step only said so."""
import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import compute
from dashboard.config import Experiment

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
CELLS = ["elman", "lstm", "gru"]
TITLES = ("Which loss term reaches which step", "Gradient horizon of the loss at step", "Where the gradient reaching",
          "What the output at m still remembers", "Evolution of training")


def run(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {"v": "2", "task": "copy", "N": "24", "H": "8", "iterations": "5", **(query or {})}.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page("app_pages/credit.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def array(v) -> np.ndarray:
    """A plotly spec array: a list, or {"dtype", "bdata", "shape"} base64 (plotly 6+ writes numpy arrays so)."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(k) for k in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=float)


def notices(at: AppTest) -> str:
    return " ".join(w.value for w in list(at.sidebar.warning) + list(at.main.warning))


@pytest.mark.parametrize("cell", CELLS)
def test_the_page_draws_its_five_charts_for_every_cell(cell):
    at = run({"cell": cell})
    titles = [s["layout"]["title"]["text"] for s in specs(at)]
    assert len(titles) == 5 and all(t.startswith(want) for t, want in zip(titles, TITLES, strict=True)), titles
    assert not at.error
    heat = specs(at)[0]["data"][0]
    z = array(heat["z"])  # (N, N) log10 ||dl_m/ds(n)||, NaN above the diagonal
    exp = Experiment(task="copy", N=24, H=8, iterations=5, cell=cell)
    I = compute.credit(exp).itemized[14:]  # the copy task's first N - S = 14 loss terms are 0: rows left out
    assert z.shape == (10, 24) and list(array(heat["y"])) == list(range(15, 25))
    lower = np.tril(np.ones((24, 24), bool))[14:]
    assert np.isnan(z[~lower]).all()
    positive = I > 0
    assert positive[lower].all()
    np.testing.assert_allclose(z[positive], np.log10(I[positive]), rtol=1e-5)
    assert "the loss at step m" in heat["hovertemplate"] and "% of what reaches s(n)" in heat["hovertemplate"]
    assert at.metric[0].label == "This network remembers about" and at.metric[0].value.endswith("steps")


def test_the_copy_task_rows_without_a_loss_are_left_out_and_said():
    at = run()
    heat = specs(at)[0]
    assert len(heat["data"]) == 1, "no zero left among the rows drawn"
    assert "rows m = 1–14 left out: no loss term there" in heat["layout"]["title"]["subtitle"]["text"]
    assert any("The first 14 steps have no loss term" in c.value for c in at.caption)  # N = 24: S = 10 recall steps


def test_a_task_with_a_loss_at_every_step_draws_every_row():
    at = run({"task": "sine", "N": "12"})
    heat = specs(at)[0]["data"]
    assert len(heat) == 1 and array(heat[0]["z"]).shape == (12, 12)
    assert not any("left out" in c.value for c in at.caption)


def test_the_loss_step_and_the_sample_go_into_the_address_and_come_back():
    at = run({"credit_m": "20", "credit_sample": "3"})
    assert at.slider(key="credit_m").value == 20
    assert at.number_input(key="credit_sample").value == 3
    assert at.query_params["credit_m"] == ["20"] or at.query_params["credit_m"] == "20"
    assert "credit_sample" in at.query_params
    assert specs(at)[1]["layout"]["title"]["text"].startswith("Gradient horizon of the loss at step m = 20")
    assert "sample 3 of the batch" in specs(at)[3]["layout"]["xaxis3"]["title"]["text"]
    at.slider(key="credit_m").set_value(22).run()
    assert not at.exception
    assert str(at.query_params["credit_m"]).strip("[]'") == "22"
    at.slider(key="credit_m").set_value(24).run()  # back at its default, m = N: not in the address
    assert "credit_m" not in at.query_params


@pytest.mark.parametrize("key, raw", [("credit_m", "0"), ("credit_m", "25"), ("credit_m", "abc"),
                                      ("credit_sample", "-1"), ("credit_sample", "999"), ("credit_sample", "1e309")])
def test_a_bad_value_in_the_url_falls_back_with_a_notice(key, raw):
    at = run({key: raw})
    assert f"URL parameter {key}={raw!r} ignored" in notices(at)
    assert at.slider(key="credit_m").value == 24 and at.number_input(key="credit_sample").value == 0


def test_a_loss_at_the_last_step_only_is_said_with_a_task_to_try():
    at = run({"task": "temporal_order"})
    assert any("only the bottom row" in i.value and "copy task" in i.value for i in at.info)
    assert len(specs(at)) == 5


def test_a_long_run_is_computed_on_a_window_and_says_so_on_the_chart():
    at = run({"task": "sine", "N": "1000", "H": "16", "cell": "lstm", "iterations": "1"})
    heat = specs(at)[0]
    W = compute.credit_window(Experiment(task="sine", N=1000, H=16, cell="lstm"), 32)
    assert W < 1000 and array(heat["data"][0]["z"]).shape == (W, W)
    assert f"the last {W} of 1000 steps" in heat["layout"]["title"]["subtitle"]["text"]
    assert array(heat["data"][0]["x"])[0] == 1000 - W + 1


def test_a_short_sequence_offers_to_lengthen_it_and_the_button_does():
    at = run({"N": "10"})
    at.button(key="credit_lengthen").click().run()
    assert not at.exception
    assert at.sidebar.slider(key="N").value == 60
    assert not [b for b in at.button if b.key == "credit_lengthen"], "at N = 60 it is not offered again"


def test_an_expensive_training_waits_for_a_click_and_then_draws_the_trained_map():
    at = run({"task": "copy", "N": "300", "H": "32", "cell": "lstm", "iterations": "30"})  # 1.2e9 flops
    assert len(specs(at)) == 4, "everything but the trained map, at once"
    at.button(key="credit_train").click().run()
    assert not at.exception and not at.error
    assert len(specs(at)) == 5 and specs(at)[4]["layout"]["title"]["text"].startswith("Evolution of training")


def test_the_itemised_matrix_downloads_as_csv():
    at = run()
    (button,) = [b for b in at.get("download_button") if b.proto.label == "Download the itemised gradients (CSV)"]
    assert button.proto.disabled is False


def test_a_run_that_overflows_is_said_not_raised():
    at = run({"task": "sine", "N": "1000", "H": "16", "radius": "3.0", "activation": "linear", "iterations": "1"})
    assert any("overflowed" in e.value for e in at.error), [e.value for e in at.error]


def test_the_last_step_stays_the_last_step_when_n_changes_and_another_m_stays():
    at = run()
    at.sidebar.slider(key="N").set_value(30).run()
    assert at.slider(key="credit_m").value == 30 and "credit_m" not in at.query_params
    at.slider(key="credit_m").set_value(25).run()
    at.sidebar.slider(key="N").set_value(40).run()
    assert at.slider(key="credit_m").value == 25


@pytest.mark.parametrize("cell", CELLS)
def test_every_size_the_sidebar_allows_stays_within_the_budget(cell):
    """N up to 1000 and every H and B: the window is chosen so that no credit matrix costs more than the budget
    (about half a second) nor draws more than CREDIT_MAX_STEPS steps."""
    from dashboard.config import BATCH_SIZES, HIDDEN_SIZES

    for H in HIDDEN_SIZES:
        for rows in (1, 8, max(BATCH_SIZES)):
            exp = Experiment(N=1000, H=H, cell=cell)
            W = compute.credit_window(exp, rows)
            assert 2 <= W <= compute.CREDIT_MAX_STEPS
            assert W == 2 or compute.credit_cost(W, rows, exp) <= compute.CREDIT_BUDGET


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("task", ["sine", "copy", "temporal_order"])
def test_a_window_holds_exactly_the_entries_of_the_whole_run(monkeypatch, cell, task):
    """The window restarts at s(N-W) (and c(N-W)): its entries are the whole run's, the loss's mean over the steps
    included (a mean over N steps, not W)."""
    exp = Experiment(task=task, N=40, H=8, cell=cell, seed=11, batch=4)  # a seed of its own: a cache entry of its own
    whole = compute.credit.__wrapped__(exp) if hasattr(compute.credit, "__wrapped__") else None
    if whole is None:
        pytest.skip("st.cache_data exposes no __wrapped__ in this Streamlit")
    monkeypatch.setattr(compute, "CREDIT_MAX_STEPS", 15)
    part = compute.credit.__wrapped__(exp)
    assert whole.first == 1 and part.first == 26 and part.connectivity_first == 26
    np.testing.assert_allclose(part.itemized, whole.itemized[25:, 25:], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(part.connectivity, whole.connectivity[25:, 25:], rtol=1e-9, atol=1e-300)
