"""The seed-example page through Streamlit's AppTest: it renders, its numbers are the right ones,
malformed uploads give the page's message (never an exception), and it hands over to the gradients page."""
import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion
from streamlit.testing.v1 import AppTest

from dashboard import seed as sd
from rnn_engine import load_bundled

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGE = "app_pages/seed_example.py"


# The page takes H, γ and the iterations from the sidebar; these are the course's sizes (the seed preset's).
COURSE = {"H": 4, "lr": 0.01, "iterations": 300, "v": 2}


def open_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in {**COURSE, **(query or {})}.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> dict:
    """Chart title (text before any <br>) -> plotly JSON."""
    out = {}
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        title = spec["layout"]["title"]["text"].split("<br>")[0]
        out[title] = spec
    return out


def array(v):
    """A plotly 7 array from the spec: a list, or {"dtype", "bdata"} base64."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        shape = v.get("shape")
        return a.reshape([int(n) for n in str(shape).split(",")]) if shape else a
    return np.asarray(v)


def latex_text(at: AppTest) -> str:
    return "\n".join(x.value for x in at.latex)


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return open_page()


def test_page_renders_the_derivation_the_check_and_the_comparison(default_page):
    at = default_page
    assert at.title[0].value == "Seed example: bird classifier"
    text = latex_text(at)
    for piece in (r"\frac{\partial L_i}{\partial y} &= 2\,(y - t)", r"\sigma'(z) = y\,(1 - y)",
                  r"{\partial W_{hy}}", r"W_{hy}^\top", r"\tanh'(a)", r"{\partial W_{hh}}", r"{\partial W_{xh}}"):
        assert piece in text, piece
    notation = " ".join(m.value for m in at.markdown)
    assert "W_{xh} = W_x" in notation and "W_{hh} = W_s" in notation and "W_{hy} = W_y" in notation and "h = s" in notation
    # the check table: hand against BPTT to rounding, against finite differences to their own error
    table = at.table[0].value
    assert list(table.columns) == ["W_hy", "W_hh", "W_xh"]
    errs_bptt = [float(v) for v in table.loc["hand vs BPTT"]]
    errs_fd = [float(v) for v in table.loc["hand vs finite diff."]]
    assert max(errs_bptt) < 1e-10 and max(errs_fd) < 1e-7
    assert float(table.loc["‖by hand‖", "W_hy"]) > 0
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) >= {"RNN test accuracy", "SVM, linear kernel", "SVM, RBF kernel"}
    assert len(charts(at)) == 5


def test_confusion_matrix_adds_up_to_the_test_set_and_matches_scikit_learn(default_page):
    at = default_page
    fs = load_bundled()
    sp = sd.make_split(fs, 0)
    spec = next(v for k, v in charts(at).items() if k.startswith("RNN:"))
    heat = spec["data"][0]
    counts = np.array([[int(re.match(r"<b>(\d+)</b>", cell).group(1)) for cell in row] for row in heat["text"]])
    assert counts.sum() == len(sp.test) == 100
    assert heat["x"] == ["not bird", "bird"] and heat["y"] == ["not bird", "bird"]
    assert spec["layout"]["xaxis"]["title"]["text"] == "predicted class"
    assert spec["layout"]["yaxis"]["title"]["text"] == "true class"
    run = sd.train_classifier(fs, sp, H=4, lr=0.01, iterations=300, seed=0)
    np.testing.assert_array_equal(counts, sk_confusion(fs.labels[sp.test].astype(int), run.predicted.astype(int)))
    rates = array(heat["z"]).reshape(2, 2)
    np.testing.assert_allclose(rates, counts / counts.sum(axis=1, keepdims=True))
    acc = float(at.metric[0].value.rstrip(" %")) / 100
    assert acc == pytest.approx(np.trace(counts) / counts.sum())
    assert acc > sd.majority_rate(fs.labels[sp.test])
    sentence = next(m.value for m in at.markdown if m.value.startswith("The one-step RNN"))
    assert f"{100 * acc:.1f} %" in sentence


def test_a_sample_change_updates_the_numbers():
    at = open_page({"seed_sample": 3})
    assert at.number_input(key="seed_sample").value == 3
    before = latex_text(at)
    at.number_input(key="seed_sample").set_value(12).run()
    assert not at.exception
    after = latex_text(at)
    assert after != before
    fs = load_bundled()
    assert f"Sample 12: true class t = {int(fs.labels[12])}" in " ".join(c.value for c in at.caption)


def test_random_h0_all_features_trained_weights_with_biases():
    at = open_page()
    at.segmented_control(key="seed_inputs").set_value("all").run()
    at.segmented_control(key="seed_h0").set_value("random").run()
    at.segmented_control(key="seed_weights").set_value("trained").run()
    at.toggle(key="seed_bias").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[0].value
    assert list(table.columns) == ["W_hy", "W_hh", "W_xh", "b", "b_y"]
    assert float(table.loc["‖by hand‖", "W_hh"]) > 0  # h0 != 0: the recurrent weights get gradient
    assert max(float(v) for v in table.loc["hand vs BPTT"]) < 1e-10
    assert max(float(v) for v in table.loc["hand vs finite diff."]) < 1e-7
    assert r"_{4\times32}" in latex_text(at)  # W_xh too large to write out: its corner and size


def test_digits_run_on_real_images_and_equal_digits_are_refused():
    at = open_page()
    at.segmented_control(key="seed_source").set_value("digits").run()
    assert not at.exception
    assert any("digits 3 vs 8" in c.value for c in at.caption)
    assert any(k.startswith("Sample 0: a “") for k in charts(at))  # drawn as an 8x8 image
    at.selectbox(key="seed_b").set_value(3).run()
    assert not at.exception
    assert "two different digits" in at.error[0].value


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


GOOD_CSV = ("f1,f2,label\n" + "\n".join(f"{i * 0.1:.1f},{(i * 7) % 5},{i % 2}" for i in range(40)) + "\n").encode()


@pytest.fixture(scope="module")
def upload_page() -> AppTest:
    at = open_page({"seed_source": "Your own file"})
    assert at.segmented_control(key="seed_source").value == "upload"
    assert "Upload a feature file" in at.info[0].value
    assert not at.get("plotly_chart")
    return at


@pytest.mark.parametrize("name,data,message", [
    ("nolabel.csv", b"a,b\n1,2\n3,4\n", "no column named 'label'"),
    ("text.csv", b"f1,label\n0.5,1\nhello,0\n", "holds the text 'hello'"),
    ("notes.txt", b"just some text", ".csv or .npz"),
    ("arrays.npz", npz_bytes(X=np.zeros((10, 3))), "no array 'y'"),
    ("empty.csv", b"", "is empty"),
    ("tiny.csv", b"f1,label\n0.1,0\n0.2,1\n0.3,0\n", "at least 8 samples"),
])
def test_a_malformed_upload_shows_the_pages_error_not_an_exception(upload_page, name, data, message):
    at = upload_page
    at.file_uploader(key="seed_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Your file cannot be used:")
    assert message in at.error[0].value
    assert not at.get("plotly_chart")  # nothing computed on a bad file


def test_a_good_upload_runs_the_whole_page():
    at = open_page()
    at.segmented_control(key="seed_source").set_value("upload").run()
    at.file_uploader(key="seed_upload").set_value(("mine.csv", GOOD_CSV, "text/csv")).run()
    assert not at.exception and not at.error
    assert any("mine.csv: 40 samples × 2 features" in c.value for c in at.caption)
    assert len(charts(at)) == 5


def test_the_button_hands_the_classifier_to_the_gradients_page():
    at = open_page({"H": 3, "seed_N": 16})
    assert at.select_slider(key="seed_N").value == 16
    button = next(b for b in at.button if b.label.startswith("See it step by step"))
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["task"] == "bird" and at.session_state["N"] == 16 and at.session_state["H"] == 3
    assert at.title[0].value == "Gradients through time"
    assert at.sidebar.slider(key="N").value == 16
    assert at.sidebar.selectbox(key="task").value == "bird"


def test_garbage_url_values_fall_back_quietly():
    at = open_page({"seed_sample": "9999", "seed_source": "nonsense", "seed_inputs": "<script>", "seed_N": "abc",
                    "seed_kernel": "", "seed_weights": "", "seed_bias": "maybe"})
    assert not at.error
    assert at.segmented_control(key="seed_source").value == "bundled"
    assert at.segmented_control(key="seed_kernel").value == "rbf" and at.toggle(key="seed_bias").value is False
    said = " ".join(w.value for w in at.warning)
    for key in ("seed_source", "seed_inputs", "seed_N", "seed_kernel", "seed_weights", "seed_bias"):
        assert f"URL parameter {key}=" in said, key  # each said, none raised
    assert 0 <= at.number_input(key="seed_sample").value <= 399
    assert len(charts(at)) == 5


def test_the_sample_index_follows_a_smaller_data_set():
    at = open_page({"seed_sample": 399})
    assert at.number_input(key="seed_sample").value == 399
    at.segmented_control(key="seed_source").set_value("digits").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="seed_sample").value == 356  # the digits 3 and 8: 357 samples
    at.segmented_control(key="seed_weights").set_value("trained").run()
    assert any("network trained on these 4 features" in c.value for c in at.caption)
