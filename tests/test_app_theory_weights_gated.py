"""The Theory and Weights pages for every cell through AppTest: the gated cells' own charts and words, numbers
checked against the trace itself (np.percentile of the gates, the product of the forget gates, the eigenvalues of
each gate block), an edit round trip through the stacked (G*H, H) W_s, and no traceback from N = 1 to 1000."""
import json

import numpy as np
import pytest

from dashboard import compute
from dashboard.config import Experiment
from rnn_engine import forward
from tests.test_app_graph_theory_weights import arr, edit, metrics, no_exception, run, specs, trace

KEEP = {"lstm": "f", "gru": "z"}
GATES = {"lstm": ("f", "i", "o"), "gru": ("z", "r")}  # the panels, the keeping gate first
BLOCKS = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "g")}
ELMAN_THEORY = ["Eigenvalues of W_s in the complex plane", "Singular values of W_s against 1/κ",
                "How much φ′(a(n)) lets through at each step",
                "How far back can s(N) feel s(n)? ‖∂s(N)/∂s(n)‖₂ against its bound",
                "One step back: ‖∂s(n)/∂s(n−1)‖₂ against κ σ_max(W_s)"]


def titles(at) -> list[str]:
    return [s["layout"]["title"]["text"] for s in specs(at)]


def by_title(at, start: str) -> dict:
    (spec,) = [s for s in specs(at) if s["layout"]["title"]["text"].startswith(start)]
    return spec


def first_batch(query: dict):
    """The trace the pages compute from, rebuilt from the engine for the same experiment."""
    exp = Experiment(**{k: type(getattr(Experiment(), k))(v) for k, v in query.items() if k != "v"})
    s = compute.setup(exp)
    x, _ = compute.batch(s.train, exp.batch)
    return s.params, forward(s.params, x, exp.activation, s.output)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_theory_page_draws_the_charts_of_its_cell(cell):
    at = run("theory", {"cell": cell, "N": 12})
    if cell == "elman":  # unchanged: the spectrum, the slopes and the Pascanu bound
        assert titles(at) == ELMAN_THEORY
        return
    gate = KEEP[cell]
    assert titles(at) == ["The gates at every step, against 1",
                          f"What is left n steps back from N: the direct terms diag({gate}) against the full Jacobian",
                          f"One step back: ‖J(n)‖₂ against its direct term diag({gate}(n))"]
    assert ("LSTM" if cell == "lstm" else "GRU") in at.title[0].value
    assert rf"\mathrm{{diag}}\big({gate}(n)\big)" in at.latex[0].value
    assert not any("κ·σ_max(W_s) =" in m.label for m in at.metric)  # no Pascanu numbers for a gated cell
    assert any("does not apply" in m.value for m in at.markdown)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gate_panels_show_the_mean_and_percentiles_of_the_trace(cell):
    query = {"cell": cell, "N": 9, "H": 4}
    at = run("theory", query)
    _, tr = first_batch(query)
    spec = by_title(at, "The gates at every step")
    names = [t.get("name") for t in spec["data"]]
    assert [n for n in names if n.startswith("mean ") and "(n)" in n] == [f"mean {g}(n)" for g in GATES[cell]]
    for g in GATES[cell]:
        v = tr.gate(g).reshape(9, -1)  # (N, B*H)
        np.testing.assert_allclose(arr(trace(spec, f"mean {g}(n)")["y"]), v.mean(axis=1), rtol=1e-12)
        np.testing.assert_allclose(arr(trace(spec, f"{g}: 10 %")["y"]), np.percentile(v, 10, axis=1), rtol=1e-12)
        np.testing.assert_allclose(arr(trace(spec, f"{g}: 10–90 %")["y"]), np.percentile(v, 90, axis=1), rtol=1e-12)
    assert len([s for s in spec["layout"]["shapes"] if s["y0"] == 1 == s["y1"]]) == len(GATES[cell])  # the line 1
    mean = tr.gate(KEEP[cell]).mean()
    assert metrics(at)[f"mean {'forget' if cell == 'lstm' else 'update'} gate {KEEP[cell]}"] == f"{mean:.2f}"
    assert any(f"a mean of {mean:.2f}" in c.value and "What you should see" in c.value for c in at.caption)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_direct_product_is_the_product_of_the_gate_along_the_best_kept_unit(cell):
    query = {"cell": cell, "N": 15, "H": 4}
    at = run("theory", query)
    _, tr = first_batch(query)
    d = tr.gate(KEEP[cell])[:, 0]  # (N, H) the first sequence, whose Jacobians the page follows
    expected = np.array([np.prod(d[n:], axis=0).max() for n in range(16)])  # entry n: steps n+1..N
    spec = by_title(at, "What is left n steps back")
    gate = KEEP[cell]
    direct = trace(spec, f"direct terms alone ‖diag({gate}(N)) ⋯ diag({gate}(n+1))‖₂")
    np.testing.assert_allclose(arr(direct["y"]), expected, rtol=1e-10)
    state = "(s, c)" if cell == "lstm" else "s"
    full = arr(trace(spec, f"full Jacobian ‖∂{state}(N)/∂{state}(n)‖₂")["y"])
    assert full[-1] == pytest.approx(1.0) and np.all(np.isfinite(full))
    local = by_title(at, "One step back")
    np.testing.assert_allclose(arr(trace(local, f"direct term ‖diag({gate}(n))‖₂ = max_i {gate}_i(n)")["y"]),
                               d.max(axis=1), rtol=1e-12)
    assert metrics(at)[f"∏ diag({gate}) keeps, N → 1"]  # the number the sentence quotes


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("N", [1, 1000])
def test_theory_page_from_one_step_to_a_thousand(cell, N):
    at = run("theory", {"cell": cell, "N": N})
    assert len(specs(at)) == 3  # H = 16: the Jacobians are affordable at N = 1000 too
    if N == 1:
        assert any("With N = 1 there is no step back" in c.value for c in at.caption)
        assert f"∏ diag({KEEP[cell]}) keeps, N → 0" in metrics(at)  # to the initial state: not a trivial 100 %


def test_theory_page_says_when_the_lstm_jacobians_are_not_affordable():
    at = run("theory", {"cell": "lstm", "H": 64, "N": 1000})  # S = 2H = 128: 2.1e9 flops
    assert any("cost too much" in i.value and "128 × 128" in i.value for i in at.info)
    assert titles(at) == ["The gates at every step, against 1"]


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_weights_page_labels_the_gate_blocks_and_measures_each(cell):
    H = 4
    query = {"cell": cell, "H": H, "init": "normal", "radius": 0.0}  # as drawn: every block its own ρ and σ_max
    at = run("weights", query)
    p, _ = first_batch(query)
    hm = by_title(at, "W_s, the recurrent weights")
    z = arr(hm["data"][0]["z"]).reshape(p.W_s.shape)
    np.testing.assert_array_equal(z, p.W_s)
    if cell == "elman":
        assert hm["data"][0]["y"] == ["s₁", "s₂", "s₃", "s₄"]
        assert "ρ(W_s) = max |λ|" in metrics(at)
        return
    blocks = BLOCKS[cell]
    rows = [f"{k}{s}" for k in blocks for s in "₁₂₃₄"]
    for name in ("W_s", "W_x", "b"):
        spec = by_title(at, f"{name}, the ")
        assert spec["data"][0]["y"] == rows, name  # the rows line up across the three
        assert f"blocks {', '.join(blocks)}" in spec["layout"]["title"]["text"] or name != "W_s"
        assert len(spec["layout"]["shapes"]) == len(blocks) - 1  # a line between blocks
    m = metrics(at)
    for k, block in enumerate(blocks):
        W_k = p.W_s[k * H : (k + 1) * H]  # (H, H)
        label = next(lab for lab in m if lab.startswith(f"ρ(W_s{block}),"))
        assert m[label] == f"{np.abs(np.linalg.eigvals(W_k)).max():.3f}"
        assert m[f"σ_max(W_s{block})"] == f"{np.linalg.svd(W_k, compute_uv=False)[0]:.3f}"
    assert any(f"**{blocks[1]}, " in md.value for md in at.markdown)  # what each block does, in words


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_editing_a_gated_W_s_round_trips_through_every_page(cell):
    H = 3
    at = run("weights", {"cell": cell, "H": H})
    G = len(BLOCKS[cell])
    assert [d.value.shape for d in at.data_editor] == [(G * H, H), (G * H, 2), (G * H, 1)]
    keep = KEEP[cell]
    row = BLOCKS[cell].index(keep) * H + 1  # the keeping gate's unit 2
    assert at.data_editor[0].value.index[row] == f"{keep}₂"
    at.switch_page("app_pages/theory.py").run()
    before = metrics(at)
    at.switch_page("app_pages/weights.py").run()
    edit(at, "edit_W_s_0", row, "s₁", 3.0)
    w = json.loads(at.session_state["weights"])
    assert set(w) == {"W_s"} and np.shape(w["W_s"]) == (G * H, H) and w["W_s"][row][0] == 3.0
    assert json.loads(at.query_params["weights"]) == w
    assert arr(by_title(at, "W_s, the recurrent weights")["data"][0]["z"]).reshape(G * H, H)[row, 0] == 3.0
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas[f"σ_max(W_s{keep})"] and not deltas[f"σ_max(W_s{BLOCKS[cell][-1]})"]  # only the edited block
    at.switch_page("app_pages/theory.py").run()
    no_exception(at)
    assert metrics(at) != before
    at.switch_page("app_pages/weights.py").run()
    at.button(key="weights_reset_edited").click().run()
    no_exception(at)
    assert at.session_state["weights"] == ""


def test_weights_of_another_cell_in_the_link_give_a_message_naming_the_cell():
    at = run("weights", {"cell": "lstm", "H": 3, "weights": json.dumps({"W_s": np.eye(3).tolist()})})
    (err,) = at.error
    assert "an LSTM" in err.value and "four gate blocks i, f, g, o" in err.value and "(12, 3)" in err.value


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_headless_export_collects_the_gated_theory_and_weights_figures(cell):
    from dashboard import export_headless

    figures, problems, _ = export_headless.page_figures(Experiment(cell=cell, N=20), ["theory", "weights"], "projector")
    assert not problems
    assert {"theory_theory-gates", "theory_theory-direct-products", "theory_theory-direct-local",
            "weights_weights-W_s", "weights_weights-W_x", "weights_weights-b"} <= set(figures)


@pytest.mark.parametrize(("bias", "words"), [(-3.0, "forgets like the plain RNN"), (5.0, "open enough to carry")])
def test_what_you_should_see_follows_the_forget_gate(bias, words):
    at = run("theory", {"cell": "lstm", "N": 8, "gate_bias": bias})
    (sentence,) = [c.value for c in at.caption if "What you should see" in c.value]
    assert words in sentence
