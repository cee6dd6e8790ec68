"""The graph, theory and weights pages through AppTest: they render, react to their widgets, and edited
weights reach every page; bad weights give a message, never an exception."""
import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def run(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in (query or {}).items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    no_exception(at)
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def arr(v) -> np.ndarray:
    """A plotly 7 spec array: a plain list or {"dtype", "bdata"} base64."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(k) for k in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v)


def trace(spec: dict, name: str) -> dict:
    (t,) = [t for t in spec["data"] if t.get("name") == name]
    return t


def graph_spec(at: AppTest) -> dict:
    (spec,) = [s for s in specs(at) if any(t.get("name") == "nodes" for t in s["data"])]
    return spec


def metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


# --- graph ------------------------------------------------------------------------------------------------
def test_graph_page_step_selector_moves_the_highlight():
    at = run("graph", {"N": 12})
    spec = graph_spec(at)
    assert "<b>1</b>" in spec["layout"]["xaxis"]["ticktext"]
    assert trace(spec, "edges")["marker"]["colorbar"]["title"]["text"] == "log₁₀ ‖gradient‖"
    before = metrics(at)
    at.slider(key="graph_step").set_value(7).run()
    no_exception(at)
    spec = graph_spec(at)
    ticks = spec["layout"]["xaxis"]["ticktext"]
    assert "<b>7</b>" in ticks and "<b>1</b>" not in ticks
    (band,) = [s for s in spec["layout"]["shapes"] if s["type"] == "rect"]
    col = spec["layout"]["xaxis"]["tickvals"][ticks.index("<b>7</b>")]
    assert band["x0"] < col < band["x1"]
    assert metrics(at)["‖∂L/∂s(n)‖"] != before["‖∂L/∂s(n)‖"]
    assert any("Step n = 7" in h.value for h in at.subheader)


def test_graph_page_at_N_1000_elides_the_middle_and_keeps_the_selected_step():
    at = run("graph", {"N": 1000})
    at.slider(key="graph_step").set_value(500).run()
    no_exception(at)
    labels = trace(graph_spec(at), "nodes")["text"]
    assert "s(500)" in labels and "s(1000)" in labels and "s(1)" in labels
    assert sum(lab.startswith("s(") for lab in labels) <= 14  # s(0) + at most 13 drawn steps
    assert any("elided" in c.value and "500" in c.value for c in at.caption)
    at.sidebar.slider(key="N").set_value(30).run()  # the selected step follows N down instead of failing
    no_exception(at)
    assert at.slider(key="graph_step").value == 30


def test_graph_page_with_one_step_has_no_selector():
    at = run("graph", {"N": 1})
    assert not [s for s in at.slider if s.key == "graph_step"]
    assert set(trace(graph_spec(at), "nodes")["text"]) == {"s(0)", "x(1)", "a(1)", "s(1)", "y(1)"}


# --- theory -----------------------------------------------------------------------------------------------
def test_theory_page_charts_and_condition():
    at = run("theory", {"activation": "sigmoid", "N": 20})
    spec = specs(at)
    titles = [s["layout"]["title"]["text"] for s in spec]
    assert len(spec) == 5, titles
    eig = spec[0]
    circle = trace(eig, "unit circle |λ| = 1")
    np.testing.assert_allclose(np.hypot(arr(circle["x"]), arr(circle["y"])), 1.0)
    assert trace(eig, "|λ| = 1/κ = 4")
    assert metrics(at)["κ = max φ′"] == "0.25"
    assert any("does not hold" in m.value or "holds" in m.value for m in at.markdown)
    assert any("not enough with sigmoid" in i.value for i in at.info)  # what to change, with these numbers
    assert "measured ‖∂s(N)/∂s(n)‖₂" in [t.get("name") for t in spec[3]["data"]]


def test_theory_page_says_when_jacobians_are_not_affordable():
    at = run("theory", {"H": 128, "N": 300})
    assert any("cost too much" in i.value for i in at.info)
    prod = [s for s in specs(at) if "‖∂s(N)/∂s(n)‖₂ against" in s["layout"]["title"]["text"]][0]
    assert [t["name"] for t in prod["data"]] == ["bound (κ σ_max(W_s))^(N−n)"]


# --- weights ----------------------------------------------------------------------------------------------
def edit(at: AppTest, key: str, row: int, column: str, value) -> None:
    at.session_state[key] = {"edited_rows": {row: {column: value}}, "added_rows": [], "deleted_rows": []}
    at.run()
    no_exception(at)


def test_editing_W_s_changes_it_on_every_page_and_in_the_url():
    at = run("gradients", {"H": 4})
    grad_before = metrics(at)
    at.switch_page("app_pages/theory.py").run()
    sigma_before = metrics(at)["σ_max(W_s)"]
    at.switch_page("app_pages/weights.py").run()
    assert [d.key for d in at.data_editor] == ["edit_W_s_0", "edit_W_x_0", "edit_b_0"]
    assert list(at.data_editor[0].value.columns) == ["s₁", "s₂", "s₃", "s₄"]
    edit(at, "edit_W_s_0", 0, "s₂", 2.5)
    w = json.loads(at.session_state["weights"])
    assert set(w) == {"W_s"} and w["W_s"][0][1] == 2.5  # only the edited array is stored
    assert json.loads(at.query_params["weights"]) == w  # and it is in the link
    hm = [s for s in specs(at) if s["layout"]["title"]["text"].startswith("W_s")][0]
    assert arr(hm["data"][0]["z"]).reshape(4, 4)[0, 1] == 2.5
    assert any("lifted σ_max(W_s)" in x.value for x in at.warning)
    at.switch_page("app_pages/theory.py").run()
    no_exception(at)
    assert metrics(at)["σ_max(W_s)"] != sigma_before
    at.switch_page("app_pages/gradients.py").run()
    no_exception(at)
    assert metrics(at) != grad_before
    at.switch_page("app_pages/weights.py").run()
    at.button(key="weights_reset_edited").click().run()
    no_exception(at)
    assert at.session_state["weights"] == "" and "weights" not in at.query_params


def test_an_empty_cell_gives_a_message_and_keeps_the_other_edits():
    at = run("weights", {"H": 3})
    edit(at, "edit_W_x_0", 1, "x₁", 0.75)
    edit(at, "edit_b_0", 2, "b", None)
    assert any("empty or not a number" in e.value and "s₃" in e.value for e in at.error)
    w = json.loads(at.session_state["weights"])
    assert w["W_x"][1][0] == 0.75 and "b" not in w


def test_bad_weights_in_the_url_give_a_message_not_an_exception():
    at = run("weights", {"weights": "{not json"})
    assert any("weights" in x.value and "ignored" in x.value for x in at.sidebar.warning)
    at = run("weights", {"H": 4, "weights": json.dumps({"W_s": [[1.0, 2.0], [3.0, 4.0]]})})
    assert any("has shape (2, 2)" in e.value and "(4, 4)" in e.value for e in at.error)
    at.button(key="weights_reset_error").click().run()
    no_exception(at)
    assert not at.error and len(at.data_editor) == 3
    for page in ("graph", "theory"):
        at = run(page, {"weights": json.dumps({"b": ["text"] * 16})})
        assert any("not a number" in e.value for e in at.error)


def test_graph_page_says_in_words_why_no_finite_gradient_comes_back():
    """Linear state, spectral radius 1.5, N = 1000: with a linear read-out the states overflow and the page says
    where; with the sigmoid read-out it saturates and no gradient comes back at all. Never a bare nan or inf."""
    at = run("graph", {"v": 2, "N": 1000, "activation": "linear", "radius": 1.5, "output": "linear", "loss": "mse"})
    text = " ".join(c.value for c in at.caption)
    assert "The gradient overflowed to infinity already at the loss, step n = 1000" in text
    at = run("graph", {"v": 2, "N": 1000, "activation": "linear", "radius": 1.5})
    assert "No gradient reaches s(1000) at all" in " ".join(c.value for c in at.caption)
    assert not [m.value for m in at.metric if m.value.strip().lower() in ("nan", "inf")]
