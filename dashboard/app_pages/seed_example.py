"""Seed example: the course's one-step bird / not-bird classifier, derived by hand and checked.

The page's own controls (keys seed_*) are in the URL too; of the sidebar it uses the hidden size H, the
learning rate γ, the iterations and the seed (initial weights, train/test split, minibatch order), and the
sidebar greys out the rest. The logic is in dashboard/seed.py.
"""
import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import address, cache, sidebar, ui
from dashboard import seed as sd
from dashboard.figures import seed as figs
from rnn_engine import FeatureSet
from rnn_engine.init import init_params

STEPS_N = (2, 4, 8, 16, 32, 64)
INPUTS = {"few": f"{sd.FEW_FEATURES} features", "all": "all features"}
H0 = {"zero": "h₀ = 0", "random": "random h₀"}
WEIGHTS = {"start": "start θ(0)", "trained": "trained"}
KERNELS = {"linear": "linear", "rbf": "RBF"}


def _choice(options):
    """parse(raw) for a choice: the option, or the text it is shown with (links made before the app owned its
    address hold the text, e.g. seed_h0=random h₀)."""
    texts = options if isinstance(options, dict) else {o: str(o) for o in options}

    def parse(raw: str):
        for option, text in texts.items():
            if raw in (str(option), text):
                return option
        raise ValueError(f"expected one of {', '.join(map(str, texts))}")
    return parse


# The page's own settings: URL key -> (parse, default). In the URL only where they differ from the default.
SETTINGS = {
    "seed_source": (_choice(sd.SOURCES), "bundled"),
    "seed_a": (address.whole(0, 9), 3),
    "seed_b": (address.whole(0, 9), 8),
    "seed_bias": (ui.parse_bool, False),
    "seed_sample": (address.whole(0, 10**9), 0),
    "seed_inputs": (_choice(INPUTS), "few"),
    "seed_h0": (_choice(H0), "zero"),
    "seed_weights": (_choice(WEIGHTS), "start"),
    "seed_kernel": (_choice(KERNELS), "rbf"),
    "seed_N": (_choice(STEPS_N), 8),
}
if address.fresh_query() is not None:  # a new address: the page's settings from it, what cannot be used said
    st.session_state["seed_url_notices"] = [n for n in (address.seed(key, parse, default)
                                                        for key, (parse, default) in SETTINGS.items()) if n]


def setting_in_link(key: str, value) -> None:
    """The page's setting joins the sidebar's link (and the address) unless it is at its default."""
    if value != SETTINGS[key][1]:
        ui.add_to_link({key: "true" if value is True else str(value)})


# ---------------------------------------------------------------------------
# cached computations (FeatureSets are not hashable: they travel as _fs with their digest as the key)


@cache.memo(max_entries=16)
def load(source: str, a: int, b: int) -> FeatureSet:
    return sd.load_source(source, a, b)


@cache.memo(max_entries=4)
def upload(file_digest: str, filename: str, _data: bytes) -> FeatureSet:
    """The upload's FeatureSet, keyed by the bytes' digest (the bytes themselves would sit in the key, uncounted)."""
    return sd.read_upload(_data, filename)


@cache.memo(max_entries=16)
def fitted(digest: str, _fs: FeatureSet, seed: int) -> FeatureSet:
    """The rows the page fits on: all of a small set, a seeded sample of a large one (seed.fit_rows)."""
    return sd.fit_rows(_fs, seed)


@cache.memo(max_entries=32)
def split(digest: str, _fs: FeatureSet, seed: int) -> sd.Split:
    return sd.make_split(_fs, seed)


@cache.memo(max_entries=32, spinner="Training the classifier by SGD…")
def trained(digest: str, _fs: FeatureSet, seed: int, H: int, lr: float, iterations: int, biases: bool,
            features: tuple | None) -> sd.Trained:
    cols = None if features is None else np.array(features)
    return sd.train_classifier(_fs, split(digest, _fs, seed), H, lr, iterations, seed, biases, cols)


@cache.memo(max_entries=32, spinner="Training the SVM…")
def svm(digest: str, _fs: FeatureSet, seed: int, kernel: str) -> np.ndarray:
    s = split(digest, _fs, seed)
    return sd.svm_predict(_fs.X[s.train], _fs.labels[s.train], _fs.X[s.test], kernel)


@cache.memo(max_entries=64)
def check(digest: str, _d: sd.Derivation, key: tuple, with_fd: bool):
    """The engine's and the finite differences' gradients for the derivation _d (key names it)."""
    return sd.engine_gradients(_d), (sd.finite_difference_gradients(_d) if with_fd else None)


@cache.memo(max_entries=16)
def reach(digest: str, _fs: FeatureSet, H: int, seed: int) -> np.ndarray:
    return sd.reach(_fs, H, seed)


def clamp(key: str, lo: int, hi: int) -> None:
    """Keep a remembered widget value inside a range that changed (another data set)."""
    v = st.session_state.get(key)
    if isinstance(v, (int, float)) and not lo <= v <= hi:
        st.session_state[key] = min(max(int(v), lo), hi)


def pct(v: float) -> str:
    return f"{100 * v:.1f} %"


# ---------------------------------------------------------------------------
# header and data

exp = ui.experiment()
theme = ui.theme()
ui.header(
    "Seed example: bird classifier",
    "The course's worked example: a one-step RNN decides bird / not bird from one image feature vector x. "
    "Below, its three gradients derived by hand with one sample's numbers and checked against BPTT and finite "
    "differences; then the trained classifier judged by a confusion matrix beside an SVM.",
    r"h_1 = \tanh(W_{hh}\,h_0 + W_{xh}\,x),\qquad y = \sigma(W_{hy}\,h_1),\qquad "
    r"L_i = (y_i - t_i)^2,\qquad L = \sum_i L_i",
)
st.markdown(
    r"**Notation.** The course's names are the lecture's: $W_{xh} = W_x$, $W_{hh} = W_s$, $W_{hy} = W_y$, "
    r"$h = s$ (so $h_1 = s(1)$, $h_0 = s(0)$). "
    f"From the sidebar this page takes the hidden size H, the learning rate γ, the iterations and the seed "
    f"({exp.seed}: the initial weights, the train/test split and the minibatch order); its own controls are below."
)

st.subheader("The data")
for notice in st.session_state.get("seed_url_notices", []):
    st.warning(notice, icon=":material/link_off:")
source = st.segmented_control("Feature vectors", list(sd.SOURCES), format_func=sd.SOURCES.get, default="bundled",
                              required=True, key="seed_source")
setting_in_link("seed_source", source)
if source == "digits":
    c1, c2, _ = st.columns([1, 1, 3])
    a = c1.selectbox("Digit for label 0", range(10), index=3, key="seed_a")
    b = c2.selectbox("Digit for label 1", range(10), index=8, key="seed_b")
    setting_in_link("seed_a", a)
    setting_in_link("seed_b", b)
    with ui.plain_errors():
        fs = load("digits", a, b)
elif source == "upload":
    with st.expander("File format (CSV or NPZ)", expanded=False):
        st.markdown(f"""
**CSV** (`.csv`): comma-separated UTF-8 text with one header row. One column is named `label` and holds
0 or 1 (1 = bird); every other column is a numeric feature, named by its header. Every cell must be a finite
number. **NPZ** (`.npz`): `np.savez("features.npz", X=X, y=y)` with `X` of shape (M, F) and `y` of shape (M,)
holding 0/1; read without pickle. Up to {sd.MAX_UPLOAD_MB} MB; at least 8 samples and 2 of each class.

    feat_01,feat_02,feat_03,label
    0.12,0,3.5,1
    0.8,1.25,0,0

Features are standardised with the training set's mean and standard deviation before training. To use
ResNet-50 features of PASCAL VOC 2007 images, compute them elsewhere and upload the `.npz` (recipe in the
README).
""")
    # No type= filter: a file with another extension reaches load_features, which says plainly what is wrong.
    up = st.file_uploader(f"Your feature file (CSV or NPZ, up to {sd.MAX_UPLOAD_MB} MB)", key="seed_upload",
                          max_upload_size=sd.MAX_UPLOAD_MB)
    if up is None:
        st.info("Upload a feature file to run the example on your own data, or pick another source above.",
                icon=":material/upload_file:")
        ui.stop()
    try:
        data = up.getvalue()
        fs = upload(hashlib.sha1(data).hexdigest(), up.name, _data=data)
    except ValueError as exc:
        st.error(f"Your file cannot be used: {exc}", icon=":material/block:")
        ui.stop()
else:
    with ui.plain_errors():
        fs = load("bundled", 3, 8)

n1 = fs.n_positive
st.caption(f"{fs.source}: {fs.M} samples × {fs.F} features; label 1 = “{fs.class_names[1]}”: {n1} samples "
           f"({pct(n1 / fs.M)}); label 0 = “{fs.class_names[0]}”: {fs.M - n1} samples.")

H, lr, iterations = exp.H, exp.lr, exp.iterations
c1, c2 = st.columns([3, 1], vertical_alignment="center")
c1.caption(f"From the sidebar: hidden size H = {H} (up to 4 every matrix is written out below), learning rate "
           f"γ = {lr:g} for SGD, W ← W − γ Σ_(i in batch) ∂L_i/∂W with batches of {sd.BATCH}, {iterations} "
           f"iterations, seed {exp.seed}. The sidebar's other settings do not apply to this one-step example.")
biases = c2.toggle("Add biases b, b_y", value=False, key="seed_bias",
                   help="The course's equations have no biases; the lecture's layer has them. Off = exactly the course.")
setting_in_link("seed_bias", biases)

seed = exp.seed
whole = fs  # the file as uploaded; fs below: the rows the page uses (all, or a seeded sample of a large file)
fs = fitted(whole.digest, whole, seed)
digest = fs.digest
if fs.M < whole.M:
    st.info(sd.sampled_words(whole, fs, seed), icon=":material/casino:")
with ui.plain_errors():
    sp = split(digest, fs, seed)
Xs = sp.standardize(fs.X)  # (M, F) what the network sees
few = tuple(int(j) for j in sd.few_features(fs, sp))

# ---------------------------------------------------------------------------
# 1. the derivation

st.header("1 · The three gradients by hand, for one sample")
clamp("seed_sample", 0, fs.M - 1)
c1, c2, c3, c4 = st.columns(4)
i = int(c1.number_input(f"Sample i (0 … {fs.M - 1})", 0, fs.M - 1, value=0, step=1, key="seed_sample"))
inputs = c2.segmented_control("Inputs x", list(INPUTS), format_func=INPUTS.get, default="few", required=True,
                              key="seed_inputs",
                              help=f"'{sd.FEW_FEATURES} features': the {sd.FEW_FEATURES} most correlated with the "
                                   "label on the training set, so that every matrix fits on a slide.")
h0_mode = c3.segmented_control("Earlier state h₀", list(H0), format_func=H0.get, default="zero", required=True,
                               key="seed_h0",
                               help="h₀ = 0 as in the course; a random h₀ in (−1, 1) makes ∂L/∂W_hh non-zero, "
                                    "so its formula can be checked too.")
weights = c4.segmented_control("Weights", list(WEIGHTS), format_func=WEIGHTS.get, default="start", required=True,
                               key="seed_weights",
                               help="The initial weights θ(0), or the weights after the SGD training of section 2 "
                                    "(for '4 features': a network of the same size trained on those 4 features).")

for key, value in (("seed_sample", i), ("seed_inputs", inputs), ("seed_h0", h0_mode), ("seed_weights", weights)):
    setting_in_link(key, value)
cols = few if inputs == "few" else tuple(range(fs.F))
feats = few if inputs == "few" else None
net = trained(digest, fs, seed, H, lr, iterations, biases, feats) if weights == "trained" else None
if net is None:
    p = init_params(len(cols), H, 1, seed=seed)
else:
    p = net.params
d = sd.derive_params(p, Xs[i, list(cols)], sd.initial_h0(H, seed, h0_mode == "random"), fs.labels[i])
with_fd = sd.fd_affordable(H, len(cols))
names = ("W_hy", "W_hh", "W_xh") + (("b", "b_y") if biases else ())
engine, fd = check(digest, d, (seed, i, H, lr, iterations, biases, feats, h0_mode, weights), with_fd)
rows = sd.check_rows(d, engine, fd, names)

left, right = st.columns([3, 2], gap="large")
with left:
    used = ", ".join(fs.feature_names[j] for j in cols) if len(cols) <= 8 else f"all {len(cols)} features"
    trained_note = ""
    if net is not None and feats is not None:
        acc_few = sd.accuracy(sd.confusion(fs.labels[sp.test], net.predicted))
        trained_note = f" (this H = {H} network trained on these {len(cols)} features: {pct(acc_few)} test accuracy)"
    st.caption(f"Sample {i}: true class t = {int(d.t)} ({fs.class_names[int(d.t)]}); x = standardised {used}; "
               f"H = {H}; weights: {WEIGHTS[weights]}{trained_note}.")
    for step in sd.derivation_steps(d):
        st.markdown(f"**{step.title}**")
        st.latex(step.tex)
        if step.note:
            st.caption(step.note)
with right:
    if sd.is_image_set(fs):
        ui.chart(figs.sample_image(fs.X[i], few if inputs == "few" else (), theme,
                                   f"Sample {i}: a “{fs.class_names[int(d.t)]}”"), "seed-sample")
    else:
        ui.chart(figs.sample_features(Xs[i], fs.feature_names, few if inputs == "few" else (), theme,
                                      f"Sample {i} ({fs.class_names[int(d.t)]}): x"), "seed-sample")
    where = "training" if i in set(sp.train.tolist()) else "test"
    verdict = "right" if (d.y > 0.5) == (d.t > 0.5) else "wrong"
    st.markdown(f"This sample is in the **{where} set**. The network says y = **{d.y:.3f}**, so "
                f"“{fs.class_names[int(d.y > 0.5)]}”: **{verdict}**, with loss L_i = {d.L:.4f}.")
    st.markdown("**Is the derivation right?** The same gradients from the engine's BPTT "
                "(`backward`, N = 1) and from finite differences:")
    def err(v):
        return "—" if v is None else ("0" if v == 0 else f"{v:.1e}")

    table = pd.DataFrame({
        "∂L_i/∂(·)": ["‖by hand‖", "‖BPTT‖", "‖finite diff.‖", "hand vs BPTT", "hand vs finite diff."],
        **{r.name: [f"{r.hand_norm:.6f}", f"{r.engine_norm:.6f}",
                    "skipped" if r.fd_norm is None else f"{r.fd_norm:.6f}", err(r.err_engine), err(r.err_fd)]
           for r in rows},
    }).set_index("∂L_i/∂(·)")
    st.table(table)
    worst_engine = max(r.err_engine for r in rows)
    fd_errs = [r.err_fd for r in rows if r.err_fd is not None]
    msg = ("Rows 1–3: the size of each gradient by the three methods; rows 4–5: relative errors "
           "‖g_hand − g‖ / (‖g_hand‖ + ‖g‖). "
           + ("By hand and by BPTT agree exactly: the same arithmetic in the same order. "
              if worst_engine == 0 else f"By hand and by BPTT agree to {worst_engine:.0e} (rounding). "))
    if fd_errs:
        msg += (f"Finite differences agree to {max(fd_errs):.0e}, their own truncation and rounding error "
                "(ε = 10⁻⁶): the hand derivation is right.")
    else:
        msg += (f"Finite differences are skipped at this size ({H * (len(cols) + H + 2) + 1} entries, two forward "
                f"passes each); choose '{INPUTS['few']}' or a smaller H to see them.")
    st.caption(msg)
    if h0_mode == "zero":
        st.caption("∂L_i/∂W_hh is exactly zero with h₀ = 0 by every method: switch to a random h₀ to check its formula.")

# ---------------------------------------------------------------------------
# 2. training and judging

st.header("2 · Training by SGD, judged on a test set")
run = trained(digest, fs, seed, H, lr, iterations, biases, None)
t_test = fs.labels[sp.test]  # (M_test,)
C_rnn = sd.confusion(t_test, run.predicted)
acc_rnn = sd.accuracy(C_rnn)
svm_pred = {k: svm(digest, fs, seed, k) for k in KERNELS}
C_svm = {k: sd.confusion(t_test, v) for k, v in svm_pred.items()}
acc_svm = {k: sd.accuracy(C) for k, C in C_svm.items()}
majority = sd.majority_rate(t_test)
n_test = len(sp.test)

st.caption(f"Stratified split (seed {seed}): {len(sp.train)} training samples, {n_test} test samples, "
           f"{int(t_test.sum())} of them {fs.class_names[1]}. Both models see the features standardised with the "
           "training set's mean and standard deviation (the SVM through a StandardScaler in its pipeline).")
m1, m2, m3, m4 = st.columns(4)
m1.metric("RNN test accuracy", pct(acc_rnn), help=f"H = {H}, {iterations} SGD iterations, γ = {lr:g}, "
          f"{'with' if biases else 'without'} biases.")
m2.metric("SVM, linear kernel", pct(acc_svm["linear"]))
m3.metric("SVM, RBF kernel", pct(acc_svm["rbf"]))
m4.metric(f"Always “{fs.class_names[int(t_test.mean() >= 0.5)]}”", pct(majority),
          help="The majority-class rate: what a classifier that ignores x gets.")

if run.exploded_at is not None:
    st.error(f"Training exploded at iteration {run.exploded_at}: {run.exploded_what}. "
             "Try a smaller learning rate.", icon=":material/warning:")
ui.chart(figs.loss_curve(run.iteration, run.train_loss, run.test_loss, theme), "seed-loss")
ok = np.isfinite(run.test_loss)
if ok.any():
    first, last = run.test_loss[ok][0], run.test_loss[ok][-1]
    st.caption(f"The test error per sample went from {first:.3f} after {int(run.iteration[ok][0]) + 1} iterations "
               f"to {last:.3f} after {int(run.iteration[ok][-1]) + 1} (0.25 is a network that always says y = 0.5). The "
               "minibatch curve is noisy because each point is only 32 samples.")

kernel = st.segmented_control("SVM kernel shown", list(KERNELS), format_func=KERNELS.get, default="rbf",
                              required=True, key="seed_kernel")
setting_in_link("seed_kernel", kernel)
with ui.main_chart():  # the classifier judged, as the course judges it
    c1, c2 = st.columns(2)
    with c1:
        ui.chart(figs.confusion_matrix(C_rnn, fs.class_names, f"RNN: {pct(acc_rnn)} correct", theme),
                 "seed-confusion-rnn")
    with c2:
        ui.chart(figs.confusion_matrix(C_svm[kernel], fs.class_names,
                                       f"SVM ({KERNELS[kernel]}): {pct(acc_svm[kernel])} correct", theme),
                 "seed-confusion-svm")
st.markdown(sd.comparison_sentence(acc_rnn, acc_svm["linear"], acc_svm["rbf"], majority, n_test, fs.class_names))
missed = C_rnn[1, 0]
st.caption(f"Each cell: the count and its share of the true class (the row). The RNN missed {missed} of the "
           f"{int(C_rnn[1].sum())} “{fs.class_names[1]}” test samples and wrongly flagged {C_rnn[0, 1]} of the "
           f"{int(C_rnn[0].sum())} “{fs.class_names[0]}”.")

# ---------------------------------------------------------------------------
# 3. more than one step


def to_gradients_page(N: int) -> None:
    """Button callback: the sidebar's widgets (keyed by Experiment fields) take this classifier, fed in N chunks."""
    for k, v in dict(task="bird", N=N, H=H, lr=lr, iterations=int(iterations), activation="tanh", output="auto",
                     loss="auto", init="glorot", scale=1.0, radius=0.0, batch=sd.BATCH, optimizer="sgd",
                     schedule="constant", clip="none", truncate=0).items():
        st.session_state[k] = v
    sidebar.reset_weights()
    st.session_state["_seed_go_gradients"] = True


st.header("3 · The same classifier over N > 1 steps")
st.markdown("Cut x into N chunks and feed one chunk per step: x(1) = first chunk, …, x(N) = last chunk; the "
            "label is read at step N. Now h₀ → h₁ → … → h_N is a chain, W_hh gets gradient from every step, "
            "and the first chunk's gradient has to travel back through N − 1 factors W_hhᵀ diag(tanh′).")
c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
N = c1.select_slider("Steps N", STEPS_N, value=8, key="seed_N")
setting_in_link("seed_N", N)
with c2:
    st.button(f"See it step by step (N = {N})", icon=":material/trending_down:", on_click=to_gradients_page,
              args=(N,), type="primary", help="Opens the page 'Gradients through time' with this classifier.")
    if st.session_state.pop("_seed_go_gradients", False):
        st.switch_page("app_pages/gradients.py")  # app.py writes the address from the sidebar there
st.caption(f"The button opens “Gradients through time” with the sidebar set to this classifier (task = bird, "
           f"N = {N}, H = {H}, γ = {lr:g}, SGD, seed {seed}); that page uses the bundled feature set.")
with ui.plain_errors():
    ratios = reach(digest, fs, H, seed)  # (J, S)
Ns = list(sd.REACH_NS)
ui.chart(figs.reach_vs_steps(Ns, ratios, N, theme), "seed-reach")
with np.errstate(all="ignore"):
    gmean = np.exp(np.nanmean(np.log(np.where(ratios > 0, ratios, np.nan)), axis=1))  # (J,)
j = Ns.index(N)
fall = next((n for n, v in zip(Ns, gmean, strict=True) if v < 0.1), None)
st.caption(f"At the initial weights, with N = {N} the state at step 1 receives {gmean[j]:.2g} times the gradient "
           f"at step N (geometric mean over {ratios.shape[1]} initial weights, seeds {seed}…"
           f"{seed + ratios.shape[1] - 1}, {min(fs.M, sd.REACH_SAMPLES)} samples; range {np.nanmin(ratios[j]):.1g} to "
           f"{np.nanmax(ratios[j]):.1g}). "
           + (f"The mean first falls below a tenth at N = {fall}: that is where vanishing begins." if fall else
              f"It stays above a tenth up to N = {Ns[-1]} here."))
