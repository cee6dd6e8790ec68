"""AppTest: the Training page (step, retune, reset, restart, train N now) and the Compare page (pairs, URL)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import presets
from dashboard.config import to_query

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
EXPLODES = {"task": "adding", "N": "40", "activation": "linear", "output": "linear", "init": "orthogonal",
            "radius": "1.5", "lr": "0.01", "optimizer": "sgd", "seed": "2", "v": "2"}  # a linear read-out cannot saturate: this one blows up


def open_page(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def run_of(at):
    return at.session_state["live_run"]


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


# --- Training ------------------------------------------------------------------------------------------
def test_training_step_retune_reset_restart():
    at = open_page("training")
    assert run_of(at).t == 0 and "nothing trained yet" in texts(at.info)
    assert not at.get("plotly_chart")

    at.button(key="live_step_btn").click().run()
    assert not at.exception
    run = run_of(at)
    assert run.t == 10 and run.history.iterations_done == 10
    assert any(m.label == "iteration t" and m.value == "10" for m in at.metric)
    assert len(at.get("plotly_chart")) == 2  # loss and gradient norm (no accuracy: a regression task)

    weights = run.params
    at.select_slider(key="lr").set_value(0.3).run()  # a training setting: keep the weights
    assert not at.exception
    retuned = run_of(at)
    assert retuned.t == 10
    assert retuned.params is weights  # the change itself trains nothing
    assert retuned.changes == ((10, "γ 0.01 → 0.3"),)
    assert "training continues from the current weights θ(10)" in texts(at.info)
    at.button(key="live_step_btn").click().run()
    h = run_of(at).history
    assert list(h.iteration) == list(range(20)) and h.lr[-1] == 0.3

    at.button(key="live_reset_btn").click().run()
    assert run_of(at).t == 0 and run_of(at).history is None

    at.button(key="live_step_btn").click().run()
    at.select_slider(key="H").set_value(8).run()  # the network changed: restart
    assert run_of(at).t == 0
    assert "training restarted from its initial weights" in texts(at.info)


def test_training_train_n_now_and_download():
    at = open_page("training")
    at.number_input(key="iterations").set_value(25).run()
    at.button(key="live_long_btn").click().run()
    assert not at.exception
    assert run_of(at).t == 25
    assert at.session_state["live_long"] is None
    assert not at.button(key="live_play_btn").disabled  # buttons redrawn after the run
    assert any(d.label.startswith("Download the training history") for d in at.get("download_button"))


def test_training_explosion_is_said_in_words():
    at = open_page("training", EXPLODES)
    at.button(key="live_step_btn").click().run()
    assert not at.exception
    run = run_of(at)
    assert run.exploded
    assert f"Training exploded at iteration {run.history.exploded_at}" in texts(at.error)
    assert at.button(key="live_step_btn").disabled and at.button(key="live_play_btn").disabled
    assert any(m.label == "status" and m.value == "exploded" for m in at.metric)


def test_training_play_into_an_explosion_stops_playing():
    at = open_page("training", EXPLODES)
    at.button(key="live_play_btn").click().run()
    assert not at.exception
    assert run_of(at).exploded and not at.session_state["live_playing"]
    assert "Training exploded at iteration" in texts(at.error)


def test_training_bad_setting_is_a_message():
    at = open_page("training", {"output": "linear", "loss": "bce"})
    assert "cannot run" in texts(at.error) and "bce" in texts(at.error)


@pytest.mark.parametrize("preset", ["exploding", "exploding_clipped"])
def test_training_presets_render(preset):
    at = open_page("training", dict(parse_qsl(to_query(presets.get(preset).experiment))))
    assert run_of(at).settings == presets.get(preset).experiment
    at.button(key="live_step_btn").click().run()
    assert not at.exception and run_of(at).t > 0


def test_training_play_advances_and_pause_stops():
    at = open_page("training")
    at.button(key="live_play_btn").click().run()  # the full run draws the fragment once: one chunk
    assert not at.exception and run_of(at).t > 0 and at.session_state["live_playing"]
    at.button(key="live_pause_btn").click().run()
    t = run_of(at).t
    at.run()
    assert run_of(at).t == t and not at.session_state["live_playing"]


# --- Compare -------------------------------------------------------------------------------------------
def comparison(at) -> str:
    return next(m.value for m in at.markdown if "What this comparison shows" in m.value)


def test_compare_default_and_pills_change_b():
    at = open_page("compare")
    assert len(at.get("plotly_chart")) == 4  # decay overlay, two heatmaps, loss overlay
    assert "B's first step receives" in comparison(at) or "about equally" in comparison(at)
    assert at.session_state["b_field"] == "activation" and at.session_state["b_value"] == "sigmoid"

    at.pills(key="b_pair").set_value("learns at N = 10, fails at N = 50").run()
    assert not at.exception
    assert (at.session_state["N"], at.session_state["optimizer"], at.session_state["iterations"]) == (10, "adam", 2000)
    assert (at.session_state["b_field"], at.session_state["b_value"]) == ("N", "50")
    assert "B's first step receives" in comparison(at)
    link = at.sidebar.code[0].value
    assert "iterations=2000" in link and "b_field=N&b_value=50" in link  # one link, A and B
    assert len(at.main.code) == 0, "the page shows no second link"

    at.pills(key="b_pair").set_value("orthogonal vs small normal init").run()
    assert not at.exception
    assert (at.session_state["b_field2"], at.session_state["b_value2"]) == ("scale", "0.5")
    table = at.dataframe[0].value
    assert list(table["B"])[0] == "init = normal, scale = 0.5"
    assert list(table["A"])[0] == "init = orthogonal, scale = 1.0"


def test_compare_url_reproduces_b_and_bad_values_fall_back():
    at = open_page("compare", {"b_field": "truncate", "b_value": "5"})
    assert at.session_state["b_value"] == "5"
    table = at.dataframe[0].value
    assert list(table["B"])[0] == "truncate = 5"

    at = open_page("compare", {"b_field": "H", "b_value": "banana"})
    assert "b_value='banana' ignored" in texts(at.warning)
    assert at.session_state["b_field"] == "H"


def test_compare_bad_setting_is_a_message():
    at = open_page("compare", {"output": "linear", "loss": "bce"})
    assert "A cannot run" in texts(at.error) and "B cannot run" in texts(at.error)


@pytest.mark.parametrize("preset", ["exploding", "exploding_clipped"])
def test_compare_presets_render(preset):
    at = open_page("compare", dict(parse_qsl(to_query(presets.get(preset).experiment))))
    assert comparison(at)
    spec = at.get("plotly_chart")[1].proto.spec
    assert '"zmin"' in spec and '"zmax"' in spec  # the heatmaps carry the shared colour range


def test_compare_explosion_in_b_is_reported():
    at = open_page("compare", {**EXPLODES, "b_field": "lr", "b_value": "0.0001"})
    assert "A exploded at iteration" in comparison(at)
    table = at.dataframe[0].value
    row = list(table[""]).index("exploded at iteration")
    assert list(table["A"])[row] != "no"


def test_compare_refuses_training_beyond_the_work_budget_and_names_the_setting_to_lower():
    """N = 1000, H = 256, 5000 iterations would hold the page for many minutes: refused in words, no exception."""
    from dashboard import compute
    from dashboard.config import Experiment

    big = Experiment(N=1000, H=256, iterations=5000)
    with pytest.raises(ValueError, match=r"lower Iterations to \d+ or fewer"):
        compute.check_work(big)
    compute.check_work(Experiment())  # the defaults train without asking
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"v": "2", "N": "1000", "H": "64", "iterations": "5000"})
    at.run()
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("lower Iterations to" in e.value for e in at.error), [e.value for e in at.error]
