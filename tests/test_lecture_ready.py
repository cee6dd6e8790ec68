"""What a lecturer meets in the first minutes, through AppTest and the figure builders: κ for the bound's constant
(γ is the learning rate), words instead of empty charts and nan, log axes ticked at decades with exact zeros
shown, the preset picker, the seed page's sidebar, and text that follows the settings."""
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import diagnose, presets
from dashboard.config import DEFAULT, to_query
from dashboard.figures import common
from dashboard.figures import gradients as gfigs

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
FILES = {"graph": "graph", "gradients": "gradients", "training": "training", "theory": "theory",
         "weights": "weights", "compare": "compare", "seed": "seed_example", "credit": "credit"}


def run(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {"v": "2", **(query or {})}.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page(f"app_pages/{FILES[page]}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def array(v) -> np.ndarray:
    """A plotly spec array: a list, or {"dtype", "bdata"} base64."""
    if isinstance(v, dict) and "bdata" in v:
        import base64
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.asarray(v)


def figure_texts(spec: dict) -> list[str]:
    """Every string a chart shows: titles, axis titles, trace names, annotations, tick labels."""
    out = []

    def walk(v, key=""):
        if isinstance(v, dict):
            for k, x in v.items():
                if k not in ("hovertemplate", "customdata", "bdata"):
                    walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)
        elif isinstance(v, str) and key in ("text", "name", "ticktext", "title"):
            out.append(v)
    walk(spec)
    return out


def page_texts(at: AppTest) -> list[str]:
    texts = [x.value for kind in ("markdown", "caption", "latex", "info", "warning", "error", "title", "subheader")
             for x in getattr(at, kind)]
    texts += [f"{m.label} {m.value} {m.help or ''}" for m in at.metric]
    for chart in at.get("plotly_chart"):
        texts += figure_texts(json.loads(chart.proto.spec))
    return texts


BOUND_AS_GAMMA = re.compile(r"γ[^.,;:]{0,10}σ|σ[^.,;:]{0,10}γ|1/γ|γ = max|max φ′ = γ|\\gamma\\?,?\\?\s*\\sigma")


@pytest.mark.parametrize("page", ["graph", "gradients", "theory", "weights", "compare"])
def test_the_bound_s_constant_is_kappa_and_gamma_is_only_the_learning_rate(page):
    at = run(page)
    texts = page_texts(at)
    clash = [t for t in texts if BOUND_AS_GAMMA.search(t)]
    assert not clash, clash
    assert any("κ" in t or r"\kappa" in t for t in texts), "the page names the bound's constant κ"


def test_a_saturated_read_out_is_said_in_words_with_its_fix_and_no_empty_chart_or_nan():
    at = run("gradients", {"N": 100, "activation": "linear", "radius": 1.5})
    error = " ".join(e.value for e in at.error)
    assert "read-out is saturated" in error and "exactly 0 or 1" in error
    assert not any(re.search(r"\bnan\b", t, re.I) for t in page_texts(at)), "no bare nan anywhere"
    assert [m.value for m in at.metric][:2] == ["0 (exactly)", "0 (exactly)"]
    assert not at.get("plotly_chart"), "no chart that would be empty"
    at.button(key="gradients_fix").click().run()
    assert at.sidebar.selectbox(key="output").value == "linear"
    assert not at.error
    decay = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert decay["layout"]["yaxis"]["type"] == "log"


def test_a_loss_at_every_step_measures_how_far_one_term_reaches_not_a_ratio_of_two():
    at = run("gradients", {"task": "sine", "N": 40})
    metric = {m.label: m.value for m in at.metric}
    value = float(metric["ℓ(N)'s share reaching step 1"])
    assert 0 < value < 1, metric
    names = [t.get("name", "") for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert any("ℓ(N) alone" in n for n in names) and any(n.startswith("bound") for n in names)


def test_clipping_is_said_to_act_on_training_not_on_the_gradient_at_theta_0():
    at = run("gradients", {"clip": "norm"})
    assert any("acts on the training updates" in c.value for c in at.caption)


def test_truncation_marks_the_exact_zeros_on_a_0_line():
    exp = presets.get("truncated").experiment
    at = run("gradients", dict(parse_qsl(to_query(exp))))
    decay = json.loads(at.get("plotly_chart")[0].proto.spec)
    zeros = [t for t in decay["data"] if t.get("meta") == common.ZEROS]
    assert len(zeros) == 1 and len(array(zeros[0]["x"])) == exp.N - exp.truncate
    assert decay["layout"]["yaxis"]["ticktext"][0] == "0"
    assert any("exactly 0" in c.value for c in at.caption)


def test_log_axes_tick_decades_only_and_cover_the_data():
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[0.02, 0.05, 0.09]))  # less than a decade
    axis = common.log_axis(fig)
    assert axis["ticktext"] == ["10⁻²", "10⁻¹"] and all(np.log10(v) % 1 == 0 for v in axis["tickvals"])
    fig = go.Figure(go.Scatter(x=np.arange(30), y=10.0 ** -np.arange(30)))
    axis = common.log_axis(fig)
    assert len(axis["tickvals"]) <= 9 and axis["tickvals"][-1] == 1.0
    assert axis["range"][0] <= -29 and axis["range"][1] >= 0
    assert common.decade(-3) == "10⁻³" and common.decade(0) == "1" and common.decade(2) == "10²"


def test_the_heatmap_colours_exact_zeros_and_overflow_apart():
    norms = np.array([[0.0, 1e-3, 1.0], [np.inf, 1e-2, 1.0]])
    fig = gfigs.heatmap(norms, np.arange(2))
    names = [t.name for t in fig.data[1:]]
    assert names == ["exactly 0: no gradient reaches here", "overflowed: not a finite number"]
    assert np.isnan(fig.data[0].z[0, 0]) and fig.data[1].z[0, 0] == 1.0 and fig.data[2].z[1, 0] == 1.0


@pytest.mark.parametrize("r,text", [(0.0009, "0.090 %"), (0.031, "3.1 %"), (0.62, "62 %"), (1.09, "109 %"), (0, "0 %")])
def test_percentages_keep_two_significant_digits(r, text):
    assert diagnose.percent(r) == text


def test_numbers_say_zero_and_overflow_in_words():
    assert diagnose.number(0.0) == "0 (exactly)" and diagnose.number(np.inf) == "overflowed"
    assert diagnose.number(np.nan) == "overflowed" and diagnose.number(0.0123) == "1.23e-02"


def test_the_training_header_names_the_optimiser_in_use():
    for optimizer, words in (("sgd", "Minibatch SGD, the lecture's update"), ("adam", "Adam"),
                             ("momentum", "momentum")):
        at = run("training", {"optimizer": optimizer})
        assert words in at.caption[0].value, (optimizer, at.caption[0].value)
    assert "SGD" not in run("training", {"optimizer": "adam"}).caption[0].value


def test_one_iteration_is_singular():
    at = run("training", {"iterations": 1})
    assert at.button(key="live_long_btn").label == "Train 1 iteration now"


def test_the_picker_shows_the_loaded_preset_until_a_setting_changes_and_opens_its_page():
    at = run("graph")
    at.sidebar.selectbox(key="_preset_choice").select("exploding").run()
    assert not at.exception
    (link,) = at.get("page_link")  # the browser opens it by itself (dashboard/app.py); AppTest follows the link
    assert link.proto.page == "training", "the preset opens the page its description talks about"
    at.switch_page("app_pages/training.py").run()
    assert at.title[0].value == "Training"
    assert at.sidebar.selectbox(key="_preset_choice").value == "exploding"
    assert any(presets.get("exploding").explains[:40] in i.value for i in at.sidebar.info)
    at.sidebar.slider(key="N").set_value(13).run()
    assert at.sidebar.selectbox(key="_preset_choice").value is None
    assert not at.sidebar.info


def test_the_seed_page_uses_the_sidebar_s_h_and_greys_out_what_it_ignores():
    at = run("seed", {"H": 3, "lr": 0.03, "iterations": 40})
    assert any("H = 3" in c.value and "γ = 0.03" in c.value and "40" in c.value for c in at.caption)
    widgets = {w.key: w for kind in ("slider", "selectbox", "select_slider", "number_input")
               for w in at.sidebar.get(kind) if w.key}
    assert not widgets["H"].disabled and not widgets["lr"].disabled and not widgets["seed"].disabled
    assert widgets["N"].disabled and widgets["activation"].disabled and widgets["clip"].disabled


def test_the_default_training_page_shows_a_network_that_learns():
    at = run("training")
    at.button(key="live_long_btn").click().run()
    assert not at.exception
    sentence = next(c.value for c in at.caption if "Predicting the mean target" in c.value)
    assert "well below it: the network has learned something" in sentence
    assert DEFAULT.iterations <= 300  # a click, not a wait
