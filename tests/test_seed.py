"""The seed example's logic: the hand derivation against BPTT and finite differences, the split,
the confusion matrix against scikit-learn, the classifier against the majority class, uploads."""
import io
import re

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion

from dashboard import seed as sd
from rnn_engine import Params, backward, forward, load_bundled
from rnn_engine.gradcheck import relative_error


def random_case(rng, H, D, h0_zero=False, biases=False):
    W_xh = rng.normal(size=(H, D))
    W_hh = rng.normal(size=(H, H)) * 0.7
    W_hy = rng.normal(size=(1, H))
    x = rng.normal(size=D)
    h0 = np.zeros(H) if h0_zero else rng.uniform(-1, 1, H)
    t = float(rng.integers(0, 2))
    b = rng.normal(size=H) if biases else None
    b_y = rng.normal(size=1) if biases else None
    return sd.derive(W_xh, W_hh, W_hy, x, h0, t, b, b_y)


# ---------------------------------------------------------------------------
# the hand derivation


@pytest.mark.parametrize("H,D,biases", [(1, 1, False), (3, 4, False), (4, 6, True), (8, 32, False), (5, 3, True)])
def test_hand_formulas_equal_bptt_to_1e_10(H, D, biases):
    rng = np.random.default_rng(H * 100 + D)
    for _ in range(5):
        d = random_case(rng, H, D, biases=biases)
        engine = sd.engine_gradients(d)
        for name in ("W_hy", "W_hh", "W_xh", "b", "b_y"):
            g, e = d.grad(name), engine[name].reshape(d.grad(name).shape)
            assert np.linalg.norm(g) > 0, f"{name}: a zero gradient would make this test vacuous"
            assert relative_error(g, e) < 1e-10, name
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-14)


def test_hand_formulas_equal_an_independent_bptt_call():
    """Not through dashboard.seed's own wrapper: forward/backward called here directly with s0 = h0."""
    rng = np.random.default_rng(7)
    d = random_case(rng, 3, 5, biases=True)
    p = Params(W_x=d.W_xh, W_s=d.W_hh, b=d.b, W_y=d.W_hy, b_y=d.b_y)
    res = backward(p, forward(p, d.x[None, None], "tanh", "sigmoid", s0=d.h0[None]), [[d.t]], "sse", "last")
    assert res.loss == pytest.approx(d.L, rel=1e-12)
    np.testing.assert_allclose(d.dL_dW_xh, res.grads.W_x, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(d.dL_dW_hh, res.grads.W_s, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(d.dL_dW_hy, res.grads.W_y, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("H,D", [(2, 3), (4, 4), (3, 6)])
def test_hand_formulas_equal_finite_differences(H, D):
    """Centred differences (eps = 1e-6) carry their own error of about 1e-10 .. 1e-9 relative: 1e-7 is the bar."""
    rng = np.random.default_rng(H + 10 * D)
    d = random_case(rng, H, D, biases=True)
    fd = sd.finite_difference_gradients(d)
    for name in ("W_hy", "W_hh", "W_xh", "b", "b_y"):
        assert relative_error(d.grad(name), fd[name].reshape(d.grad(name).shape)) < 1e-7, name
    rows = sd.check_rows(d, sd.engine_gradients(d), fd)
    assert [r.name for r in rows] == ["W_hy", "W_hh", "W_xh"]
    assert all(r.err_engine < 1e-10 and r.err_fd < 1e-7 for r in rows)


def test_each_factor_of_the_chain_rule_is_the_textbook_one():
    rng = np.random.default_rng(3)
    d = random_case(rng, 3, 4)
    assert d.L == pytest.approx((d.y - d.t) ** 2)
    assert d.dL_dy == pytest.approx(2 * (d.y - d.t))
    # sigmoid' by a difference quotient of sigmoid itself
    sig = lambda z: 1 / (1 + np.exp(-z))
    assert d.dy_dz == pytest.approx((sig(d.z + 1e-6) - sig(d.z - 1e-6)) / 2e-6, rel=1e-8)
    np.testing.assert_allclose(d.dh1_da, (np.tanh(d.a + 1e-6) - np.tanh(d.a - 1e-6)) / 2e-6, rtol=1e-8)
    np.testing.assert_allclose(d.delta, d.W_hy[0] * d.dL_dz * (1 - d.h1**2))


def test_with_h0_zero_the_recurrent_weights_get_no_gradient_by_every_method():
    d = random_case(np.random.default_rng(0), 3, 4, h0_zero=True)
    assert not d.dL_dW_hh.any()
    assert not sd.engine_gradients(d)["W_hh"].any()
    assert np.abs(sd.finite_difference_gradients(d)["W_hh"]).max() < 1e-9


def test_the_sum_over_samples_is_the_batch_gradient():
    """L = sum_i L_i: the per-sample hand gradients add up to the engine's gradient of the whole batch."""
    rng = np.random.default_rng(5)
    H, D, B = 3, 4, 6
    p = Params(rng.normal(size=(H, D)), rng.normal(size=(H, H)), np.zeros(H), rng.normal(size=(1, H)), np.zeros(1))
    x = rng.normal(size=(B, D))
    t = rng.integers(0, 2, B).astype(float)
    h0 = rng.uniform(-1, 1, (B, H))
    res = backward(p, forward(p, x[None], "tanh", "sigmoid", s0=h0), t[:, None], "sse", "last")
    parts = [sd.derive_params(p, x[i], h0[i], t[i]) for i in range(B)]
    assert res.loss == pytest.approx(sum(q.L for q in parts), rel=1e-12)
    for name, eng in (("W_hy", "W_y"), ("W_hh", "W_s"), ("W_xh", "W_x")):
        np.testing.assert_allclose(sum(q.grad(name) for q in parts), getattr(res.grads, eng), rtol=1e-10)


def test_bad_shapes_are_refused_with_a_message():
    with pytest.raises(ValueError, match="shapes do not fit"):
        sd.derive(np.zeros((3, 4)), np.zeros((3, 3)), np.zeros((1, 3)), np.zeros(5), np.zeros(3), 1)


# ---------------------------------------------------------------------------
# the derivation as LaTeX: the numbers shown are the numbers computed


def test_the_latex_shows_this_samples_numbers():
    d = random_case(np.random.default_rng(11), 3, 4)
    steps = sd.derivation_steps(d)
    text = " ".join(s.tex for s in steps)
    for v in (d.y, d.L, d.dL_dy, d.dy_dz, d.dL_dz, *d.h1, *d.delta, *d.dL_dW_xh.ravel()):
        assert sd.tex_num(v) in text
    titles = [s.title for s in steps]
    for word in ("Loss → output", "sigmoid", "Output weights", "through W_hy", "tanh′", "Recurrent", "Input weights"):
        assert any(word in t for t in titles), word
    # every environment is closed
    assert text.count(r"\begin{bmatrix}") == text.count(r"\end{bmatrix}")
    assert text.count(r"\begin{aligned}") == text.count(r"\end{aligned}") == len(steps)


def test_large_matrices_are_shown_as_a_corner_with_their_size_and_norm():
    d = random_case(np.random.default_rng(2), 8, 32)
    tex = next(s.tex for s in sd.derivation_steps(d) if "Input weights" in s.title)
    assert r"_{8\times32}" in tex and r"\lVert\cdot\rVert" in tex and r"\cdots" in tex and r"\vdots" in tex
    small = next(s.tex for s in sd.derivation_steps(random_case(np.random.default_rng(2), 4, 6)) if "Input" in s.title)
    assert r"\cdots" not in small and r"\times" not in re.sub(r"\\times 10", "", small)


def test_tex_num():
    assert sd.tex_num(0) == "0"
    assert sd.tex_num(0.12345) == "0.123"
    assert sd.tex_num(-0.0044) == "-0.0044"
    assert sd.tex_num(1.5e-7) == r"1.50\times 10^{-7}"
    assert sd.tex_num(float("nan")) == r"\text{NaN}"


# ---------------------------------------------------------------------------
# data, split, training, judging


@pytest.fixture(scope="module")
def bundled():
    fs = load_bundled()
    return fs, sd.make_split(fs, seed=0)


def test_split_is_stratified_seeded_and_disjoint(bundled):
    fs, sp = bundled
    assert len(np.intersect1d(sp.train, sp.test)) == 0
    assert len(sp.train) + len(sp.test) == fs.M
    assert len(sp.test) == round(0.25 * fs.M)
    assert fs.labels[sp.test].mean() == pytest.approx(fs.labels.mean(), abs=0.02)
    again = sd.make_split(fs, seed=0)
    np.testing.assert_array_equal(again.test, sp.test)
    assert not np.array_equal(sd.make_split(fs, seed=1).test, sp.test)
    Xs = sp.standardize(fs.X[sp.train])
    np.testing.assert_allclose(Xs.mean(axis=0), 0, atol=1e-12)


def test_confusion_matrix_matches_scikit_learn():
    rng = np.random.default_rng(0)
    for _ in range(20):
        M = int(rng.integers(1, 60))
        t, p = rng.integers(0, 2, M), rng.integers(0, 2, M)
        C = sd.confusion(t.astype(float), p.astype(float))
        np.testing.assert_array_equal(C, sk_confusion(t, p, labels=[0, 1]))
        assert C.sum() == M
        assert sd.accuracy(C) == pytest.approx(np.mean(t == p))


def test_trained_classifier_beats_the_majority_class_on_the_bundled_set(bundled):
    fs, sp = bundled
    run = sd.train_classifier(fs, sp, H=4, lr=0.01, iterations=300, seed=0)
    t_test = fs.labels[sp.test]
    C = sd.confusion(t_test, run.predicted)
    assert C.sum() == len(sp.test)
    np.testing.assert_array_equal(C, sk_confusion(t_test.astype(int), run.predicted.astype(int), labels=[0, 1]))
    majority = sd.majority_rate(t_test)
    assert majority == pytest.approx(0.7)
    assert sd.accuracy(C) > majority + 0.05
    assert run.exploded_at is None
    assert run.test_loss[np.isfinite(run.test_loss)][-1] < run.test_loss[np.isfinite(run.test_loss)][0]
    # the course's model has no biases: they stay exactly zero
    assert not run.params.b.any() and not run.params.b_y.any()
    with_b = sd.train_classifier(fs, sp, H=4, lr=0.01, iterations=300, seed=0, biases=True)
    assert with_b.params.b.any() and sd.accuracy(sd.confusion(t_test, with_b.predicted)) > majority


def test_without_biases_training_is_sgd_on_the_model_without_biases(bundled):
    """One step of the projected loop = one SGD step computed here from the hand gradients (b = b_y = 0)."""
    fs, sp = bundled
    run = sd.train_classifier(fs, sp, H=3, lr=0.01, iterations=1, seed=0)
    from rnn_engine.train import batch_indices

    Xs = sp.standardize(fs.X)
    idx = sp.train[batch_indices(0, len(sp.train), sd.BATCH, 0)]
    p0 = run.initial
    parts = [sd.derive_params(p0, Xs[i], np.zeros(3), fs.labels[i]) for i in idx]
    expect = p0.W_x - 0.01 * sum(q.dL_dW_xh for q in parts)
    np.testing.assert_allclose(run.params.W_x, expect, rtol=1e-10, atol=1e-14)


def test_svm_baseline_on_the_same_split(bundled):
    fs, sp = bundled
    t_test = fs.labels[sp.test]
    for kernel in ("linear", "rbf"):
        pred = sd.svm_predict(fs.X[sp.train], fs.labels[sp.train], fs.X[sp.test], kernel)
        assert pred.shape == t_test.shape and set(np.unique(pred)) <= {0.0, 1.0}
        assert sd.accuracy(sd.confusion(t_test, pred)) > sd.majority_rate(t_test)
    with pytest.raises(ValueError, match="kernel"):
        sd.svm_predict(fs.X[:10], fs.labels[:10], fs.X[:2], "poly")


def test_comparison_sentence_states_the_numbers():
    s = sd.comparison_sentence(0.83, 0.85, 0.87, 0.70, 100, ("not bird", "bird"))
    assert "83.0 %" in s and "87.0 %" in s and "70.0 %" in s and "worse" in s and "4 of 100" in s
    assert "as well as" in sd.comparison_sentence(0.87, 0.85, 0.87, 0.70, 100)
    assert "better" in sd.comparison_sentence(0.95, 0.85, 0.87, 0.70, 100)
    assert "no better than always" in sd.comparison_sentence(0.70, 0.85, 0.87, 0.70, 100, ("not bird", "bird"))


def test_few_features_are_the_ones_most_correlated_with_the_label(bundled):
    fs, sp = bundled
    few = sd.few_features(fs, sp)
    Xs = sp.standardize(fs.X[sp.train])
    t = fs.labels[sp.train]
    corr = np.abs([np.corrcoef(Xs[:, j], t)[0, 1] for j in range(fs.F)])
    assert set(few) == set(np.argsort(-corr)[:4])


def test_reach_falls_with_the_number_of_chunks(bundled):
    fs, _ = bundled
    r = sd.reach(fs, H=4, seed=0, Ns=(1, 2, 8, 32), n_inits=6)
    assert r.shape == (4, 6)
    np.testing.assert_allclose(r[0], 1.0)  # N = 1: step 1 is step N
    gmean = np.exp(np.log(r).mean(axis=1))
    assert gmean[3] < gmean[2] < gmean[1] < 1.0
    # each entry is the engine's ||dL/ds(1)|| / ||dL/ds(N)|| for that initialisation
    from rnn_engine import init_params, make_task

    task = make_task("bird", 8, sd.REACH_SAMPLES, seed=0, features=fs)
    p = init_params(task.D, 4, 1, seed=3)
    g = backward(p, forward(p, task.x, "tanh", "sigmoid"), task.target, "sse", "last").state_grad_norms
    assert r[2, 3] == pytest.approx(g[0] / g[-1], rel=1e-12)


# ---------------------------------------------------------------------------
# uploads: bytes + file name in, FeatureSet or a clear ValueError out


def csv_bytes(rows, header="f1,f2,label"):
    return (header + "\n" + "\n".join(rows) + "\n").encode()


GOOD = [f"{i * 0.1:.1f},{(i % 3) * 0.5:.1f},{i % 2}" for i in range(12)]


def test_a_good_csv_and_npz_upload_load():
    fs = sd.read_upload(csv_bytes(GOOD), "mine.csv")
    assert (fs.M, fs.F, fs.n_positive) == (12, 2, 6)
    buf = io.BytesIO()
    np.savez(buf, X=fs.X, y=fs.labels)
    fs2 = sd.read_upload(buf.getvalue(), "mine.npz")
    np.testing.assert_array_equal(fs2.X, fs.X)


@pytest.mark.parametrize("data,name,message", [
    (b"", "empty.csv", "is empty"),
    (csv_bytes(GOOD, header="f1,f2,target"), "nolabel.csv", "no column named 'label'"),
    (csv_bytes(GOOD[:3] + ["0.1,abc,1"] + GOOD[3:]), "text.csv", "holds the text 'abc'"),
    (csv_bytes(GOOD[:3] + ["0.1,0.2,2"]), "badlabel.csv", "labels must be 0 or 1"),
    (csv_bytes(GOOD[:3] + ["0.1,nan,1"]), "nan.csv", "finite number"),
    (csv_bytes([r[:-1] + "1" for r in GOOD]), "oneclass.csv", "only one class"),
    (csv_bytes(GOOD[:5]), "tiny.csv", "at least 8 samples"),
    (b"PK\x03\x04 broken", "broken.npz", ".npz"),
    (csv_bytes(GOOD), "features.xlsx", ".csv or .npz"),
])
def test_a_malformed_upload_gives_a_clear_value_error(data, name, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        sd.read_upload(data, name)


def test_an_upload_over_the_limit_is_refused_before_parsing():
    with pytest.raises(ValueError, match="the limit is"):
        sd.read_upload(csv_bytes(GOOD), "big.csv", max_bytes=50)
