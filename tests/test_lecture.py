"""Lecture mode: every step of every shipped lecture through AppTest (its experiment, its label, its chart's numbers
against the engine's, and every number its notice states), the script validator's messages, the address
(lecture?script=...&step=...) with bad values, a live change in the sidebar, and coming back to a step."""
import base64
import html
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import compute, lecture, lecture_charts, measures, presenting
from dashboard import seed as sd
from dashboard.config import FIELDS

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
SHIPPED = [(name, k) for name, lec in sorted(lecture.shipped().items()) for k in range(1, len(lec.steps) + 1)]


def open_step(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.switch_page("app_pages/lecture.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def array(v) -> np.ndarray:
    """A plotly spec array: a list, or {"dtype", "bdata"} base64 (plotly 6+ writes numpy arrays so)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).astype(float)
    return np.asarray([np.nan if x is None else x for x in v], dtype=float)


def chart_ys(at: AppTest) -> list[np.ndarray]:
    """The y arrays of every trace of the one chart the stage shows."""
    charts = at.get("plotly_chart")
    assert len(charts) == 1, f"the stage shows {len(charts)} charts"
    return [array(t["y"]) for t in json.loads(charts[0].proto.spec)["data"] if "y" in t]


def has(ys: list[np.ndarray], want: np.ndarray, what: str) -> np.ndarray:
    """The trace whose y is `want` (NaN where the figure leaves a point out, e.g. a zero on a log axis)."""
    want = np.asarray(want, dtype=float)
    for y in ys:
        ok = np.isfinite(y)
        if len(y) == len(want) and ok.any() and np.allclose(y[ok], want[ok], rtol=1e-9, atol=0):
            return y
    raise AssertionError(f"no trace of the chart holds {what}")


def label_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if 'class="lecture-label"' in m.value)


def notices(at: AppTest) -> str:
    return " ".join(w.value for w in at.main.warning)


def data_of(chart: str, exp, versus) -> list[tuple[str, np.ndarray]]:
    """What the chart must draw, straight from the engine's records: (what, array)."""
    if chart in ("gradient-decay", "compare-decay"):
        out = [("‖∂L/∂s(n)‖ of A", compute.gradients(exp)[1].state_grad_norms)]
        return out + ([("‖∂L/∂s(n)‖ of B", compute.gradients(versus)[1].state_grad_norms)] if versus else [])
    if chart == "unfolded-graph":
        return []  # compared as a whole below
    if chart in ("training-loss", "compare-loss"):
        runs = [("A", exp)] + ([("B", versus)] if versus else [])
        return [(f"the validation loss of {n}", compute.training(e).history.val_loss) for n, e in runs]
    if chart == "training-grad-norm":
        return [("‖∇L‖ before clipping", compute.training(exp).history.grad_norm)]
    if chart == "theory-jacobian-products":
        return [("‖∂s(N)/∂s(n)‖₂", compute.gradients(exp, jacobians=True)[1].log.product_norms)]
    if chart == "seed-reach":
        r = sd.reach(sd.load_source("bundled"), exp.H, exp.seed)  # (J, inits)
        return [("the geometric mean of the reach", np.exp(np.mean(np.log(r), axis=1)))]
    raise AssertionError(f"no test for chart {chart}")


@pytest.mark.parametrize("name,k", SHIPPED)
def test_every_step_renders_its_experiment_and_every_claim_of_its_notice_holds(name, k):
    step = lecture.shipped()[name].steps[k - 1]
    at = open_step({"script": name, "step": k})
    assert not at.error and not notices(at), [e.value for e in at.error] + [notices(at)]
    shown = at.session_state["experiment"]
    assert shown == step.experiment, {f: (getattr(shown, f), getattr(step.experiment, f)) for f in FIELDS
                                      if getattr(shown, f) != getattr(step.experiment, f)}
    assert lecture.label(step.experiment, None).split(" · ")[0] in label_text(at)
    words = " ".join(html.unescape(m.value) for m in at.markdown)
    assert step.title in words and step.notice in words
    assert dict(at.query_params) == {"script": [name], "step": [str(k)]} or \
        {q: at.query_params[q] for q in at.query_params} == {"script": name, "step": str(k)}

    ys = chart_ys(at)
    drawn = {what: has(ys, want, what) for what, want in data_of(step.chart, step.experiment, step.versus)}
    if step.chart == "unfolded-graph":  # the graph page's own figure for this experiment, trace for trace
        want = lecture_charts.unfolded(step.experiment, None, "screen").to_plotly_json()["data"]
        assert len(ys) == len([t for t in want if "y" in t])

    for claim in step.claims:
        exp = claim.experiment(step.experiment)
        value = measures.MEASURES[claim.quantity](exp)
        if claim.quantity == "reach" and step.chart in ("gradient-decay", "compare-decay"):  # read off the chart
            y = drawn["‖∂L/∂s(n)‖ of A" if exp == step.experiment else "‖∂L/∂s(n)‖ of B"]
            assert y[0] / y[-1] == pytest.approx(value, rel=1e-9)
        assert claim.low <= value <= claim.high, (
            f"step {k} ({step.title}) says {claim.name} is {claim.says!r} ({claim.low:g}..{claim.high:g}); "
            f"the app measures {value:.4g}")


def test_what_the_shipped_notices_say_in_words_holds_on_the_charts():
    """The words without a number: 'the arrows fade', 'always stays under the dashed bound', 'grows along its bound',
    'less with every doubling of N', 'exactly zero', 'stay finite'."""
    steps = {s.title: s for s in lecture.shipped()["vanishing"].steps}
    g = compute.gradients(steps["The network unfolded in time"].experiment)[1].state_grad_norms  # (N,)
    assert np.all(np.diff(g) > 0)  # fades going back from the loss, step by step
    at = open_step({"script": "vanishing", "step": 4})
    measured, bound = chart_ys(at)[:2]
    assert np.all(measured <= bound * (1 + 1e-9)) and measured[0] < bound[0] / 10
    exploding = steps["Exploding: spectral radius 1.5"].experiment
    g = compute.gradients(exploding)[1].state_grad_norms
    bound = g[-1] * lecture_charts.rate(exploding) ** (exploding.N - np.arange(1, exploding.N + 1))
    assert np.all(np.diff(g) < 0) and np.all(g <= bound * (1 + 1e-9)) and g[0] > 0.99 * bound[0]
    seed = steps["The seed's bird classifier, fed in N chunks"].experiment
    r = sd.reach(sd.load_source("bundled"), seed.H, seed.seed)
    gm = np.exp(np.mean(np.log(r), axis=1))
    assert np.all(np.diff(gm) < 0)
    truncated = steps["Truncated BPTT"].experiment
    assert np.all(compute.gradients(truncated)[1].state_grad_norms[:45] == 0)
    clipped = compute.training(steps["Clipping tames the explosion"].experiment).history
    assert clipped.exploded_at is None and len(clipped.loss) == 1000 and np.isfinite(clipped.loss).all()


# --- The address ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query,said", [
    ({"script": "nosuch", "step": "2"}, "script='nosuch' ignored"),
    ({"script": "vanishing", "step": "99"}, "step='99' ignored"),
    ({"script": "vanishing", "step": "abc"}, "step='abc' ignored"),
])
def test_a_bad_script_or_step_in_the_address_is_said_and_the_lecture_opens_at_step_1(query, said):
    at = open_step(query)
    assert said in notices(at)
    first = lecture.shipped()["vanishing"].steps[0]
    assert at.session_state["experiment"] == first.experiment
    assert at.query_params["step"] == "1" and at.query_params["script"] == "vanishing"


def test_next_back_first_last_and_the_address_follow_the_step():
    at = open_step({"script": "vanishing", "step": 2, "N": 300, "projector": "true"})  # a field in a lecture link
    steps = lecture.shipped()["vanishing"].steps
    assert at.session_state["experiment"] == steps[1].experiment  # is the step's, not the link's N
    for key, want in (("lecture_next", 3), ("lecture_back", 2), ("lecture_last", len(steps)), ("lecture_first", 1)):
        at.button(key).click().run()
        assert at.session_state["experiment"] == steps[want - 1].experiment, key
        assert {q: at.query_params[q] for q in at.query_params} == {"script": "vanishing", "step": str(want),
                                                                    "projector": "true"}, key
    assert at.button("lecture_back").disabled and not at.button("lecture_next").disabled


def test_a_live_change_shows_in_the_label_and_the_steps_settings_come_back():
    at = open_step({"script": "vanishing", "step": 2})
    at.sidebar.number_input("N_exact").set_value(80).run()
    assert label_text(at).startswith("<p") and "N = 80 · tanh" in label_text(at)
    assert "Changed from the script: Sequence length N" in " ".join(m.value for m in at.markdown)
    a, b = chart_ys(at)[:2]
    assert len(a) == 80 and len(b) == 10  # B is A with the step's change (N = 10)
    at.button("lecture_restore").click().run()
    assert at.session_state["experiment"] == lecture.shipped()["vanishing"].steps[1].experiment


def test_leaving_a_step_and_coming_back_gives_the_same_picture():
    at = open_step({"script": "vanishing", "step": 6})
    before = at.get("plotly_chart")[0].proto.spec
    at.sidebar.number_input("N_exact").set_value(20).run()  # a live change, then away and back
    at.switch_page("app_pages/graph.py").run()
    at.switch_page("app_pages/lecture.py").run()
    assert at.get("plotly_chart")[0].proto.spec == before


def test_a_script_given_on_the_command_line_opens_by_default(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: Mine\nsteps:\n  - {title: Only one, page: gradients, experiment: {N: 7}}\n")
    assert lecture.command_line_script(["dashboard/app.py", "--lecture", str(path)]) == str(path)
    assert lecture.command_line_script(["dashboard/app.py", f"--lecture={path}"]) == str(path)
    assert lecture.command_line_script(["pytest", "-q", "tests/test_lecture.py"]) is None
    presenting.set_command_line(str(path))
    try:
        at = open_step({})
        assert at.session_state["experiment"].N == 7 and "Only one" in " ".join(m.value for m in at.markdown)
        path.write_text("title: Mine\nsteps:\n  - {title: Only one, page: gradient}\n")  # edited, now broken
        at = open_step({})
        assert "--lecture cannot be shown" in notices(at) and "unknown page 'gradient'" in notices(at)
        assert at.session_state["experiment"] == lecture.shipped()["vanishing"].steps[0].experiment
    finally:
        presenting._command_line.clear()


# --- The validator ----------------------------------------------------------------------------------------------

def problems(text: str) -> list[str]:
    with pytest.raises(lecture.LectureError) as err:
        lecture.parse(text, "bad")
    return err.value.problems


STEP = "title: Bad\nsteps:\n  - {title: First, page: gradients}\n"


@pytest.mark.parametrize("second,said", [
    ("{title: Two, page: gradient}", "step 2 (“Two”), field page: unknown page 'gradient'; choose one of graph,"),
    ("{page: graph}", "step 2, field title: missing"),
    ("{title: Two, page: graph, experiment: {Nn: 5}}", "step 2 (“Two”), field experiment.Nn: unknown setting"),
    ("{title: Two, page: graph, experiment: {N: 0}}", "step 2 (“Two”), field experiment.N: 0 is not allowed"),
    ("{title: Two, page: graph, experiment: {activation: swish}}", "field experiment.activation: 'swish' is not allowed"),
    ("{title: Two, page: graph, preset: nosuch}", "step 2 (“Two”), field preset: unknown preset 'nosuch'"),
    ("{title: Two, page: graph, chart: training-loss}", "field chart: 'training-loss' is drawn on the training page"),
    ("{title: Two, page: graph, chart: pie}", "field chart: unknown chart 'pie'"),
    ("{title: Two, page: compare, chart: compare-decay}", "field versus: chart 'compare-decay' compares two"),
    ("{title: Two, page: graph, versus: {N: 5}}", "field versus: chart 'unfolded-graph' draws one experiment"),
    ("{title: Two, page: training, train: 0}", "field train: 0 iterations is not allowed"),
    ("{title: Two, page: graph, notise: typo}", "step 2 (“Two”), field notise: unknown field"),
    ("{title: Two, page: graph, notice: 'falls to {ratio}'}", "field notice: {ratio} has no claim of that name"),
    ("{title: Two, page: graph, claims: {reach: {says: x}}}", "field claims: each claim needs says, from and to"),
    ("[1, 2]", "step 2: expected a mapping"),
])
def test_a_bad_step_is_named_with_its_field(second, said):
    found = problems(STEP + f"  - {second}\n")
    assert any(said in p for p in found), found


def test_every_problem_is_listed_at_once_and_a_good_script_loads():
    found = problems("title: Bad\nsteps:\n  - {title: One, page: nope}\n  - {title: Two, page: graph, "
                     "experiment: {N: -3}}\n")
    assert len(found) == 2 and found[0].startswith("step 1 (“One”)") and found[1].startswith("step 2 (“Two”)")
    lec = lecture.parse(STEP + "  - {title: Two, page: training, preset: exploding, train: 50, experiment: "
                        "{seed: 3}}\n", "good")
    assert lec.steps[1].experiment.iterations == 50 and lec.steps[1].experiment.seed == 3
    assert lec.steps[1].experiment.radius == 1.5 and lec.steps[1].chart == "training-loss"


@pytest.mark.parametrize("text,said", [
    ("title: x\nsteps: [\n", "not readable as YAML or JSON at line"),
    ("just words", "expected a mapping with a title and a list of steps"),
    ("title: x\nsteps: []\n", "expected a mapping with a title and a list of steps"),
    ("steps:\n  - {title: One, page: graph}\n", "field title: missing; the script needs a title"),
    ('{"title": "J", "steps": [{"title": "One", "page": "graf"}]}', "unknown page 'graf'"),  # JSON too
])
def test_a_bad_file_gets_a_message_saying_what_is_wrong(text, said):
    assert any(said in p for p in problems(text)), problems(text)


def test_an_upload_that_is_not_text_or_too_large_is_refused_plainly():
    with pytest.raises(lecture.LectureError, match="not UTF-8 text"):
        lecture.from_bytes(b"\xff\xfe\x00", "x.yaml")
    with pytest.raises(lecture.LectureError, match="too large"):
        lecture.from_bytes(b" " * (lecture.MAX_BYTES + 1), "x.yaml")


def test_the_shipped_script_reads_back_as_it_was_written():
    lec = lecture.shipped()["vanishing"]
    assert lec.text == (lecture.LECTURE_DIR / "vanishing.yaml").read_text()
    assert lec.text.startswith("# A lecture script") and len(lec.steps) == 12
    assert lecture.parse(lec.text, "vanishing").steps == lec.steps
    assert [s.experiment.cell for s in lec.steps[-3:]] == ["lstm", "lstm", "gru"]
