"""The seed example's logic: the hand derivation, the data, the split, the SVM baseline.

The course's one-step bird / not-bird classifier, in the course's notation (the lecture's
symbols in brackets: W_xh = W_x, W_hh = W_s, W_hy = W_y, h = s):

    a   = W_hh h0 + W_xh x              h1 = tanh(a)            (H,)
    z   = W_hy h1                       y  = sigmoid(z)          (scalar, K = 1)
    L_i = (y_i - t_i)^2,                L  = sum_i L_i

and its gradients by the chain rule, written out by hand in numpy (NOT by calling the
engine's backward: the point is that the two are independent and agree):

    dL_i/dy     = 2 (y - t)
    dy/dz       = sigmoid'(z) = y (1 - y)
    dL_i/dW_hy  = dL_i/dy * dy/dz * h1^T                         (1, H)
    dL_i/dh1    = W_hy^T dL_i/dz                                 (H,)
    delta       = dL_i/da = dL_i/dh1 * tanh'(a) = dL_i/dh1 * (1 - h1^2)
    dL_i/dW_hh  = delta h0^T,    dL_i/dW_xh = delta x^T          (H, H), (H, D)

Optional biases b (H,), b_y (1,) enter a and z; the formulas above keep their form and
dL_i/db = delta, dL_i/db_y = dL_i/dz.

Pure functions, no streamlit: the page caches them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_engine import (
    Dataset,
    FeatureSet,
    Params,
    TrainConfig,
    backward,
    forward,
    loss_value,
    make_task,
    train,
)
from rnn_engine.features import MAX_BYTES, load_bundled, load_digits_pair, load_features
from rnn_engine.gradcheck import numerical_grads, relative_error
from rnn_engine.init import init_params

SIDEBAR_USES = ("H", "lr", "iterations", "seed")  # the sidebar's settings the seed page uses; it greys out the rest
SOURCES = {
    "bundled": "Bundled bird features",
    "digits": "Digits (scikit-learn 8×8 images)",
    "upload": "Your own file",
}
MAX_UPLOAD_MB = MAX_BYTES // 1_000_000  # the size limit of an upload, 20 MB
TEST_FRACTION = 0.25  # share of the samples held out for the test set
BATCH = 32  # minibatch size B of the lecture's SGD
VALIDATE_EVERY = 5  # test-set loss every 5 iterations: the curve stays smooth, large uploads stay fast
FEW_FEATURES = 4  # "a few features": everything in the derivation written out
WRITE_ROWS, WRITE_COLS = 4, 6  # larger matrices are shown as their top-left corner
FD_BUDGET = 6_000  # parameter entries above which finite differences are skipped (2 forwards each)
REACH_NS = (1, 2, 4, 8, 16, 32, 64)  # the sequence lengths of the "more than one step" chart
REACH_INITS = 10  # initial weights per N in that chart (one draw alone is too noisy to show a trend)
# A large file is fitted on a seeded, stratified sample of its rows: the SVC's work grows like rows^2 x features
# (4000 x 1000 took 200 s with a linear kernel), so at most MAX_ROWS rows and rows^2 * F <= FIT_BUDGET, a few
# seconds for both SVMs and the RNN on a 2-core machine (benchmarks/seed_upload.py). The page says so.
MAX_ROWS = 5_000
FIT_BUDGET = 3e9
MIN_ROWS = 200  # a very wide file still keeps this many rows
REACH_SAMPLES = 256  # at most this many samples per N (a seeded choice), to keep large uploads fast
GRADIENTS = (  # (course name, engine name, LaTeX)
    ("W_hy", "W_y", r"W_{hy}"),
    ("W_hh", "W_s", r"W_{hh}"),
    ("W_xh", "W_x", r"W_{xh}"),
)


# ---------------------------------------------------------------------------
# data


def load_source(source: str, a: int = 3, b: int = 8) -> FeatureSet:
    """The bundled feature set, or digits a (label 0) against b (label 1)."""
    if source == "bundled":
        return load_bundled()
    if source == "digits":
        return load_digits_pair(int(a), int(b))
    raise ValueError(f"unknown data source {source!r}; choose 'bundled' or 'digits' (uploads go through read_upload).")


def read_upload(data: bytes, filename: str, max_bytes: int = MAX_BYTES) -> FeatureSet:
    """A user's CSV or NPZ file (its bytes and name) as a FeatureSet; ValueError says what is wrong."""
    if not data:
        raise ValueError(f"file {filename!r} is empty; expected a CSV or NPZ feature file (see 'File format').")
    fs = load_features(bytes(data), filename=filename, max_bytes=max_bytes)
    _check_standardisable(fs, filename)
    if fs.M < 8 or min(fs.n_positive, fs.M - fs.n_positive) < 2:
        raise ValueError(
            f"file {filename!r} has {fs.M} samples ({fs.n_positive} with label 1); a train/test split "
            "needs at least 8 samples and at least 2 of each class."
        )
    return fs


def _check_standardisable(fs: FeatureSet, filename: str) -> None:
    """ValueError naming the file and the first column whose mean, spread or standardised values
    (x - mean) / sd overflow float64 (finite cells such as ±1e308 can)."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = fs.X.mean(axis=0)  # (F,)
        sd = fs.X.std(axis=0)  # (F,)
        ok = np.isfinite(mean) & np.isfinite(sd) & np.isfinite((fs.X - mean) / np.where(sd > 0, sd, 1.0)).all(axis=0)
    if ok.all():
        return
    j = int(np.flatnonzero(~ok)[0])
    biggest = float(np.max(np.abs(fs.X[:, j])))
    raise ValueError(
        f"file {filename!r}, column {fs.feature_names[j]!r}: its values (up to {biggest:.3g} in size) are so large "
        "that their mean or spread overflows a float64 (about 1.8e308), so the column cannot be standardised; "
        "rescale it (divide it by a power of ten) and upload again.")


def is_image_set(fs: FeatureSet) -> bool:
    """True for the 8x8 digits (64 features px_r_c), which the page draws as an image."""
    return fs.F == 64 and fs.feature_names[0] == "px_0_0" and fs.feature_names[-1] == "px_7_7"


def fit_size(M: int, F: int) -> int:
    """The rows a set of M rows x F features is fitted on: M, or fewer within MAX_ROWS and FIT_BUDGET."""
    return min(M, MAX_ROWS, max(MIN_ROWS, int(np.sqrt(FIT_BUDGET / F))))


def fit_rows(fs: FeatureSet, seed: int = 0) -> FeatureSet:
    """fs itself when it is small enough (fit_size), else a stratified random sample of fit_size rows
    (seeded, sorted; both classes keep their share), its source saying which."""
    n = fit_size(fs.M, fs.F)
    if n >= fs.M:
        return fs
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(fs.M), train_size=n, stratify=fs.labels, random_state=int(seed))
    keep = np.sort(keep)  # (n,)
    return FeatureSet(fs.X[keep], fs.labels[keep], fs.feature_names, fs.source, fs.class_names)


def sampled_words(fs: FeatureSet, fit: FeatureSet, seed: int) -> str:
    """'' for a set used whole, else the sentence the page shows: how many rows, chosen how."""
    if fit.M == fs.M:
        return ""
    from dashboard.figures.common import decade

    mantissa, exponent = f"{FIT_BUDGET:.0e}".split("e")
    return (f"This file has {fs.M:,} rows: the page uses {fit.M:,} of them, chosen at random with seed {seed} "
            f"(both classes keep their share), for the split, the RNN and the SVMs alike, so that one click stays "
            f"within a few seconds on a shared server (at most {MAX_ROWS:,} rows, fewer for wide files: rows² × "
            f"features ≤ {mantissa} × {decade(int(exponent))}).")


@dataclass(frozen=True, eq=False)
class Split:
    """A stratified, seeded train/test split and the training set's standardisation."""

    train: np.ndarray  # (M_train,) sample indices
    test: np.ndarray  # (M_test,)
    mean: np.ndarray  # (F,) training-set mean of each feature
    scale: np.ndarray  # (F,) training-set standard deviation (1 where a feature is constant)

    def standardize(self, X: np.ndarray) -> np.ndarray:
        """(X - mean) / scale, with the training set's statistics (as StandardScaler does)."""
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale


def make_split(fs: FeatureSet, seed: int = 0, test_fraction: float = TEST_FRACTION) -> Split:
    """Stratified split (both parts keep the class mix), reproducible from seed."""
    from sklearn.model_selection import train_test_split

    counts = (fs.M - fs.n_positive, fs.n_positive)
    if fs.M < 8 or min(counts) < 2:
        raise ValueError(
            f"a train/test split needs at least 8 samples and 2 of each class; this set has {fs.M} "
            f"samples ({counts[0]} of {fs.class_names[0]!r}, {counts[1]} of {fs.class_names[1]!r})."
        )
    idx = np.arange(fs.M)
    tr, te = train_test_split(idx, test_size=test_fraction, stratify=fs.labels, random_state=int(seed))
    tr, te = np.sort(tr), np.sort(te)
    sd = fs.X[tr].std(axis=0)  # (F,)
    return Split(tr, te, fs.X[tr].mean(axis=0), np.where(sd > 0, sd, 1.0))


def few_features(fs: FeatureSet, split: Split, k: int = FEW_FEATURES) -> np.ndarray:
    """Indices of the k features most correlated with the label on the training set (sorted)."""
    Xs = split.standardize(fs.X[split.train])  # (M_train, F)
    t = fs.labels[split.train] - fs.labels[split.train].mean()  # (M_train,)
    corr = np.abs(Xs.T @ t) / max(np.linalg.norm(t), 1e-300)  # (F,) |corr| up to a common factor
    k = min(k, fs.F)
    return np.sort(np.argsort(-corr, kind="stable")[:k])


# ---------------------------------------------------------------------------
# the hand derivation


@dataclass(frozen=True, eq=False)
class Derivation:
    """Every intermediate value of the forward and backward pass for one sample."""

    x: np.ndarray  # (D,)
    h0: np.ndarray  # (H,)
    t: float
    W_xh: np.ndarray  # (H, D)
    W_hh: np.ndarray  # (H, H)
    W_hy: np.ndarray  # (1, H)
    b: np.ndarray  # (H,)
    b_y: np.ndarray  # (1,)
    a: np.ndarray  # (H,) W_hh h0 + W_xh x (+ b)
    h1: np.ndarray  # (H,) tanh(a)
    z: float  # W_hy h1 (+ b_y)
    y: float  # sigmoid(z)
    L: float  # (y - t)^2
    dL_dy: float  # 2 (y - t)
    dy_dz: float  # y (1 - y)
    dL_dz: float  # dL/dy * dy/dz
    dL_dW_hy: np.ndarray  # (1, H)
    dL_dh1: np.ndarray  # (H,)
    dh1_da: np.ndarray  # (H,) 1 - h1^2
    delta: np.ndarray  # (H,) dL/da
    dL_dW_hh: np.ndarray  # (H, H)
    dL_dW_xh: np.ndarray  # (H, D)
    dL_db: np.ndarray  # (H,)
    dL_db_y: np.ndarray  # (1,)

    @property
    def has_bias(self) -> bool:
        return bool(np.any(self.b != 0) or np.any(self.b_y != 0))

    def grad(self, name: str) -> np.ndarray:
        """dL_i/dW for name in W_hy, W_hh, W_xh, b, b_y."""
        return getattr(self, f"dL_d{name}")


def derive(W_xh, W_hh, W_hy, x, h0, t, b=None, b_y=None) -> Derivation:
    """The forward pass and the chain rule of the module docstring, line by line."""
    W_xh = np.asarray(W_xh, dtype=np.float64)  # (H, D)
    W_hh = np.asarray(W_hh, dtype=np.float64)  # (H, H)
    W_hy = np.asarray(W_hy, dtype=np.float64).reshape(1, -1)  # (1, H)
    x = np.asarray(x, dtype=np.float64).reshape(-1)  # (D,)
    h0 = np.asarray(h0, dtype=np.float64).reshape(-1)  # (H,)
    H, D = W_xh.shape
    if W_hh.shape != (H, H) or W_hy.shape != (1, H) or x.shape != (D,) or h0.shape != (H,):
        raise ValueError(
            f"shapes do not fit: W_xh {W_xh.shape}, W_hh {W_hh.shape}, W_hy {W_hy.shape}, x {x.shape}, "
            f"h0 {h0.shape}; expected (H, D), (H, H), (1, H), (D,), (H,)."
        )
    b = np.zeros(H) if b is None else np.asarray(b, dtype=np.float64).reshape(H)  # (H,)
    b_y = np.zeros(1) if b_y is None else np.asarray(b_y, dtype=np.float64).reshape(1)  # (1,)
    t = float(t)
    # forward
    a = W_hh @ h0 + W_xh @ x + b  # (H,)
    h1 = np.tanh(a)  # (H,)
    z = float(W_hy[0] @ h1 + b_y[0])
    y = float(1.0 / (1.0 + np.exp(-z)))
    L = (y - t) ** 2
    # backward, one factor at a time
    dL_dy = 2.0 * (y - t)
    dy_dz = y * (1.0 - y)  # sigmoid'(z)
    dL_dz = dL_dy * dy_dz
    dL_dW_hy = dL_dz * h1[None, :]  # (1, H)
    dL_dh1 = W_hy[0] * dL_dz  # (H,) = W_hy^T dL/dz
    dh1_da = 1.0 - h1**2  # (H,) tanh'(a)
    delta = dL_dh1 * dh1_da  # (H,)
    dL_dW_hh = np.outer(delta, h0)  # (H, H)
    dL_dW_xh = np.outer(delta, x)  # (H, D)
    return Derivation(
        x=x, h0=h0, t=t, W_xh=W_xh, W_hh=W_hh, W_hy=W_hy, b=b, b_y=b_y, a=a, h1=h1, z=z, y=y, L=L,
        dL_dy=dL_dy, dy_dz=dy_dz, dL_dz=dL_dz, dL_dW_hy=dL_dW_hy, dL_dh1=dL_dh1, dh1_da=dh1_da,
        delta=delta, dL_dW_hh=dL_dW_hh, dL_dW_xh=dL_dW_xh, dL_db=delta.copy(), dL_db_y=np.array([dL_dz]),
    )


def derive_params(p: Params, x, h0, t) -> Derivation:
    """derive() with the weights of an engine Params (W_x = W_xh, W_s = W_hh, W_y = W_hy)."""
    return derive(p.W_x, p.W_s, p.W_y, x, h0, t, p.b, p.b_y)


def to_params(d: Derivation) -> Params:
    """The derivation's weights as an engine Params."""
    return Params(W_x=d.W_xh, W_s=d.W_hh, b=d.b, W_y=d.W_hy, b_y=d.b_y)


ENGINE_NAME = {"W_hy": "W_y", "W_hh": "W_s", "W_xh": "W_x", "b": "b", "b_y": "b_y"}


def engine_gradients(d: Derivation) -> dict[str, np.ndarray]:
    """The same gradients from the engine: backward with N = 1, B = 1, sigmoid read-out, sse, readout last."""
    p = to_params(d)
    x = d.x[None, None, :]  # (N=1, B=1, D)
    tr = forward(p, x, "tanh", "sigmoid", s0=d.h0[None, :])
    res = backward(p, tr, np.array([[d.t]]), "sse", "last")
    return {name: np.asarray(getattr(res.grads, eng)) for name, eng in ENGINE_NAME.items()}


def fd_affordable(H: int, D: int) -> bool:
    """Finite differences cost two forward passes per parameter entry: H (D + H + 1) + 2 of them."""
    return H * (D + H + 2) + 1 <= FD_BUDGET


def finite_difference_gradients(d: Derivation, eps: float = 1e-6) -> dict[str, np.ndarray]:
    """The same gradients by centred finite differences of L (rnn_engine.gradcheck.numerical_grads)."""
    p = to_params(d)
    g = numerical_grads(p, d.x[None, None, :], np.array([[d.t]]), "tanh", "sigmoid", "sse", "last",
                        s0=d.h0[None, :], eps=eps)
    return {name: np.asarray(getattr(g, eng)) for name, eng in ENGINE_NAME.items()}


@dataclass(frozen=True)
class CheckRow:
    name: str  # course name W_hy | W_hh | W_xh | b | b_y
    hand_norm: float
    engine_norm: float
    fd_norm: float | None
    err_engine: float  # ||hand - engine|| / (||hand|| + ||engine||)
    err_fd: float | None  # ||hand - fd|| / (||hand|| + ||fd||)
    max_abs_diff: float  # max |hand - engine|


def check_rows(d: Derivation, engine: dict, fd: dict | None, names=("W_hy", "W_hh", "W_xh")) -> list[CheckRow]:
    """One row per gradient: norms and relative errors of hand against engine and finite differences."""
    rows = []
    for name in names:
        g = d.grad(name)
        e = engine[name].reshape(g.shape)
        f = None if fd is None else fd[name].reshape(g.shape)
        rows.append(CheckRow(
            name=name, hand_norm=float(np.linalg.norm(g)), engine_norm=float(np.linalg.norm(e)),
            fd_norm=None if f is None else float(np.linalg.norm(f)),
            err_engine=relative_error(g, e), err_fd=None if f is None else relative_error(g, f),
            max_abs_diff=float(np.max(np.abs(g - e))) if g.size else 0.0,
        ))
    return rows


def initial_h0(H: int, seed: int, random: bool) -> np.ndarray:
    """h0 = 0 (the course) or a seeded random state in (-1, 1) (so that dL/dW_hh is not zero)."""
    if not random:
        return np.zeros(H)  # (H,)
    return np.random.default_rng([int(seed), 7]).uniform(-0.9, 0.9, H)  # (H,)


# ---------------------------------------------------------------------------
# training the classifier with the lecture's SGD


@dataclass(frozen=True, eq=False)
class Trained:
    """The trained network and its test-set predictions."""

    initial: Params
    params: Params
    iteration: np.ndarray  # (T,)
    train_loss: np.ndarray  # (T,) L / B on the minibatch (mean squared error per sample)
    test_loss: np.ndarray  # (T,) L / M_test on the test set
    y_test: np.ndarray  # (M_test,) sigmoid outputs after training
    predicted: np.ndarray  # (M_test,) 1.0 where y > 0.5
    exploded_at: int | None
    exploded_what: str | None


def _dataset(Xs: np.ndarray, labels: np.ndarray, split: Split) -> Dataset:
    return Dataset(
        x_train=Xs[split.train][None], t_train=labels[split.train, None],  # (1, M_train, D), (M_train, 1)
        x_val=Xs[split.test][None], t_val=labels[split.test, None],  # (1, M_test, D), (M_test, 1)
        readout="last", classification=True,
    )


def train_classifier(fs: FeatureSet, split: Split, H: int, lr: float, iterations: int, seed: int = 0,
                     biases: bool = False, features: np.ndarray | None = None) -> Trained:
    """SGD on L = sum_i (y_i - t_i)^2 over minibatches of B = 32 (rnn_engine.train, optimizer "sgd").

    biases=False trains exactly the course's model: b and b_y are held at 0 (after every step of
    rnn_engine.train the biases are set back to zero, which is SGD on the model without them).
    features: the columns to use (default all).
    """
    cols = np.arange(fs.F) if features is None else np.asarray(features)
    Xs = split.standardize(fs.X)[:, cols]  # (M, D)
    data = _dataset(Xs, fs.labels, split)
    p0 = init_params(len(cols), H, 1, seed=seed)
    if biases:
        cfg = TrainConfig(iterations=iterations, batch_size=BATCH, learning_rate=lr, optimizer="sgd", seed=seed,
                          validate_every=VALIDATE_EVERY)
        res = train(p0, data, "tanh", "sigmoid", "sse", config=cfg)
        params, hist, test_loss = res.params, res.history, res.history.val_loss
    else:
        # one rnn_engine.train step at a time on the training set alone; the test loss every
        # VALIDATE_EVERY iterations (and at the last), with theta(t+1) as train() does
        x_test, t_test = data.x_val, data.t_val  # (1, M_test, D), (M_test, 1)
        steps = Dataset(x_train=data.x_train, t_train=data.t_train, readout="last", classification=True)
        cfg = TrainConfig(iterations=1, batch_size=BATCH, learning_rate=lr, optimizer="sgd", seed=seed)
        params, state, hist, test_loss = p0, None, None, []
        zero_b, zero_by = np.zeros(H), np.zeros(1)
        for t in range(iterations):
            res = train(params, steps, "tanh", "sigmoid", "sse", config=cfg, state=state)
            hist = res.history if hist is None else hist.append(res.history)
            if res.history.exploded_at is not None:
                test_loss.append(np.nan)
                break
            params, state = res.params.replace(b=zero_b, b_y=zero_by), res.state
            due = (t + 1) % VALIDATE_EVERY == 0 or t == iterations - 1
            test_loss.append(loss_value(params, x_test, t_test, "tanh", "sigmoid", "sse") if due else np.nan)
        test_loss = np.asarray(test_loss)  # (T,)
    B = min(BATCH, len(split.train))
    y_test = forward(params, Xs[split.test][None], "tanh", "sigmoid").y[-1, :, 0]  # (M_test,)
    return Trained(
        initial=p0, params=params, iteration=hist.iteration, train_loss=hist.loss / B,
        test_loss=test_loss / len(split.test), y_test=y_test, predicted=(y_test > 0.5).astype(np.float64),
        exploded_at=hist.exploded_at, exploded_what=hist.exploded_what,
    )


# ---------------------------------------------------------------------------
# judging a classifier


def confusion(t_true, t_pred) -> np.ndarray:
    """(2, 2) counts C[i, j] = number of samples of true class i predicted as class j."""
    t_true = np.asarray(t_true).astype(int).reshape(-1)  # (M,)
    t_pred = np.asarray(t_pred).astype(int).reshape(-1)  # (M,)
    C = np.zeros((2, 2), dtype=np.int64)
    np.add.at(C, (t_true, t_pred), 1)
    return C


def accuracy(C: np.ndarray) -> float:
    """Share of correct predictions: trace(C) / sum(C)."""
    return float(np.trace(C) / max(C.sum(), 1))


def majority_rate(t) -> float:
    """Accuracy of always predicting the more frequent class."""
    t = np.asarray(t, dtype=np.float64)
    return float(max(t.mean(), 1.0 - t.mean()))


def svm_predict(X_train, t_train, X_test, kernel: str = "rbf", C: float = 1.0) -> np.ndarray:
    """Pipeline(StandardScaler, SVC(kernel)) fitted on the training set; predictions (M_test,) in {0, 1}."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if kernel not in ("linear", "rbf"):
        raise ValueError(f"unknown SVM kernel {kernel!r}; choose 'linear' or 'rbf'.")
    model = Pipeline([("scale", StandardScaler()), ("svm", SVC(kernel=kernel, C=C, gamma="scale"))])
    model.fit(np.asarray(X_train), np.asarray(t_train))
    return model.predict(np.asarray(X_test)).astype(np.float64)


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %"


def comparison_sentence(acc_rnn: float, acc_lin: float, acc_rbf: float, majority: float, n_test: int,
                        class_names=("label 0", "label 1")) -> str:
    """What the comparison shows with the current numbers, in one sentence."""
    one = 1.0 / max(n_test, 1)  # one test sample, as a share
    best_svm, which = max((acc_lin, "linear"), (acc_rbf, "RBF"))
    gap = acc_rnn - best_svm
    common = class_names[0] if majority >= 0.5 else class_names[1]
    if acc_rnn <= majority + one / 2:
        return (f"The RNN ({_pct(acc_rnn)}) does no better than always answering “{common}” ({_pct(majority)}): "
                f"it has not learned the task yet (try more iterations or another learning rate), while the "
                f"{which} SVM reaches {_pct(best_svm)}.")
    if abs(gap) < 1.5 * one:
        verdict = f"as well as the best SVM ({which}, {_pct(best_svm)}), within one test sample"
    elif gap > 0:
        verdict = f"better than the best SVM ({which}, {_pct(best_svm)}) by {round(gap * n_test)} of {n_test} test samples"
    else:
        verdict = f"worse than the {which} SVM ({_pct(best_svm)}) by {round(-gap * n_test)} of {n_test} test samples"
    return (f"The one-step RNN classifies {_pct(acc_rnn)} of the {n_test} test samples correctly, {verdict}; "
            f"both beat always answering “{common}” ({_pct(majority)}), so the features carry the class.")


# ---------------------------------------------------------------------------
# more than one step: the same features fed as N chunks


def reach(fs: FeatureSet, H: int, seed: int = 0, Ns=REACH_NS, n_inits: int = REACH_INITS) -> np.ndarray:
    """(len(Ns), n_inits) ratios ||dL/ds(1)|| / ||dL/ds(N)|| at theta(0), features fed in N chunks.

    make_task("bird", N, features=fs) cuts x into N chunks; the initial weights come from seeds
    seed, seed + 1, ..., seed + n_inits - 1 (glorot, as on the gradients page); up to REACH_SAMPLES
    samples, sse read out at step N, sigmoid read-out; norms are Frobenius over the samples.
    """
    out = np.empty((len(Ns), n_inits))  # (J, S)
    for j, N in enumerate(Ns):
        task = make_task("bird", N, REACH_SAMPLES, seed=seed, features=fs)
        for k in range(n_inits):
            p = init_params(task.D, H, 1, seed=seed + k)
            g = backward(p, forward(p, task.x, "tanh", "sigmoid"), task.target, "sse", "last").state_grad_norms
            out[j, k] = g[0] / g[-1] if g[-1] > 0 else np.nan  # (N,) -> first over last
    return out


# ---------------------------------------------------------------------------
# LaTeX of the numbers (plain strings; the page places them with st.latex)


def tex_num(v: float, digits: int = 3) -> str:
    """A number for KaTeX: 3 decimals from 0.01 to 10^4, 2 significant digits down to 10^-4, else m x 10^e."""
    v = float(v)
    if v == 0:
        return "0"
    if not np.isfinite(v):
        return r"\text{NaN}" if np.isnan(v) else (r"\infty" if v > 0 else r"-\infty")
    if 0.01 <= abs(v) < 1e4:
        return f"{v:.{digits}f}"
    if 1e-4 <= abs(v) < 0.01:
        return f"{v:.2g}" if "e" not in f"{v:.2g}" else f"{v:.6f}".rstrip("0")
    m, e = f"{v:.{digits - 1}e}".split("e")
    return rf"{m}\times 10^{{{int(e)}}}"


def tex_matrix(A, rows: int = WRITE_ROWS, cols: int = WRITE_COLS) -> str:
    """A bmatrix of A (2-D; a 1-D array is a column); larger ones show their top-left corner and size."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim == 1:
        A = A[:, None]
    R, C = A.shape
    r, c = min(R, rows), min(C, cols)
    lines = []
    for i in range(r):
        cells = [tex_num(A[i, j]) for j in range(c)]
        if c < C:
            cells.append(r"\cdots")
        lines.append(" & ".join(cells))
    if r < R:
        cells = [r"\vdots"] * c + ([r"\ddots"] if c < C else [])
        lines.append(" & ".join(cells))
    body = r"\begin{bmatrix}" + r" \\ ".join(lines) + r"\end{bmatrix}"
    if r < R or c < C:
        body += rf"_{{{R}\times{C}}}"
    return body


def tex_row(v, cols: int = WRITE_COLS) -> str:
    """A row vector (a transposed column), shortened with \\cdots after `cols` entries."""
    return tex_matrix(np.asarray(v, dtype=np.float64).reshape(1, -1), 1, cols)


def written_out(A, rows: int = WRITE_ROWS, cols: int = WRITE_COLS) -> bool:
    """True if every entry of A (a 1-D array counts as a column) fits in the written-out size."""
    A = np.asarray(A)
    R, C = (A.shape[0], 1) if A.ndim == 1 else A.shape
    return R <= rows and C <= cols


def _norm_note(A) -> str:
    """', ||.|| = ...' when A is too large to be written out, else ''."""
    if written_out(A):
        return ""
    return rf",\quad \lVert\cdot\rVert = {tex_num(np.linalg.norm(A))}"


def _plus(v: float) -> str:
    """' + v' or ' - |v|', for a number added at the end of a product."""
    return rf" - {tex_num(-v)}" if v < 0 else rf" + {tex_num(v)}"


def aligned(*rows: str) -> str:
    """Rows of one derivation step, aligned at their '&=' and a little apart."""
    return r"\begin{aligned}" + r" \\[6pt] ".join(rows) + r"\end{aligned}"


@dataclass(frozen=True)
class Step:
    title: str  # what this step does, in words
    tex: str  # symbolic form, then the numbers of this sample (an aligned block)
    note: str = ""  # a sentence under it (optional)


def derivation_steps(d: Derivation) -> list[Step]:
    """The derivation as numbered steps: the symbolic form on the first row, this sample's numbers below."""
    n = tex_num
    M = tex_matrix
    dLi = r"\frac{\partial L_i}"
    bias = d.has_bias
    h0_zero = not np.any(d.h0)
    H, D = d.W_xh.shape
    t = n(d.t, 0)

    # forward: a = W_hh h0 + W_xh x (+ b), the products written out (one per row) when the matrices fit
    terms = ([] if h0_zero else [rf"{M(d.W_hh)}{M(d.h0)}"]) + [rf"{M(d.W_xh)}{M(d.x)}"] + ([M(d.b)] if bias else [])
    a_rows = [rf"a &= W_{{hh}}\,h_0 + W_{{xh}}\,x{' + b' if bias else ''}"]
    if written_out(d.W_xh) and written_out(d.x):
        a_rows += [("&= " if k == 0 else r"&\quad + ") + term for k, term in enumerate(terms)]
    a_rows.append(rf"&= {M(d.a)}{_norm_note(d.a)}")
    a_rows.append(rf"h_1 &= \tanh(a) = {M(d.h1)}{_norm_note(d.h1)}")
    z_rows = [rf"z &= W_{{hy}}\,h_1{' + b_y' if bias else ''}"]
    if H <= WRITE_ROWS:
        z_rows.append(rf"&= {tex_row(d.W_hy[0])}{M(d.h1)}" + (_plus(d.b_y[0]) if bias else ""))
    z_rows.append(rf"&= {n(d.z)}")
    steps = [
        Step(
            "Forward: the state",
            aligned(*a_rows),
            ("h₀ = 0, so W_hh h₀ = 0: a one-step network sees only the input. " if h0_zero else "")
            + ("" if written_out(d.W_xh) else f"W_xh is {H}×{D}: only its product is shown."),
        ),
        Step(
            "Forward: output and loss",
            aligned(
                *z_rows,
                rf"y &= \sigma(z) = \frac{{1}}{{1 + e^{{-z}}}} = {n(d.y)}",
                rf"L_i &= (y - t)^2 = ({n(d.y)} - {t})^2 = {n(d.L)}",
            ),
        ),
        Step(
            "① Loss → output",
            aligned(rf"{dLi}{{\partial y}} &= 2\,(y - t) = 2\,({n(d.y)} - {t}) = {n(d.dL_dy)}"),
        ),
        Step(
            "② Through the sigmoid",
            aligned(
                rf"\frac{{\partial y}}{{\partial z}} &= \sigma'(z) = y\,(1 - y) = {n(d.y)}\cdot{n(1 - d.y)} = {n(d.dy_dz)}",
                rf"{dLi}{{\partial z}} &= {dLi}{{\partial y}}\,\frac{{\partial y}}{{\partial z}} = "
                rf"{n(d.dL_dy)}\cdot{n(d.dy_dz)} = {n(d.dL_dz)}",
            ),
        ),
        Step(
            "③ Output weights W_hy",
            aligned(
                rf"{dLi}{{\partial W_{{hy}}}} &= {dLi}{{\partial y}}\,\frac{{\partial y}}{{\partial z}}\,h_1^\top"
                rf" = {n(d.dL_dz)}\cdot{tex_row(d.h1)}",
                rf"&= {tex_row(d.dL_dW_hy[0])}{_norm_note(d.dL_dW_hy[0])}",
            ),
        ),
        Step(
            "④ Back to the state, through W_hy",
            aligned(
                rf"{dLi}{{\partial h_1}} &= W_{{hy}}^\top\,{dLi}{{\partial z}} = {M(d.W_hy[0])}\cdot {n(d.dL_dz)}"
                rf" = {M(d.dL_dh1)}{_norm_note(d.dL_dh1)}",
            ),
        ),
        Step(
            "⑤ Through tanh′",
            aligned(
                rf"\delta = {dLi}{{\partial a}} &= {dLi}{{\partial h_1}} \odot \tanh'(a) = "
                rf"{dLi}{{\partial h_1}} \odot (1 - h_1^2)",
                rf"&= {M(d.dL_dh1)} \odot {M(d.dh1_da)} = {M(d.delta)}{_norm_note(d.delta)}",
            ),
        ),
        Step(
            "⑥ Recurrent weights W_hh",
            aligned(rf"{dLi}{{\partial W_{{hh}}}} &= \delta\,h_0^\top = \delta \cdot 0^\top = 0") if h0_zero else
            aligned(
                rf"{dLi}{{\partial W_{{hh}}}} &= \delta\,h_0^\top = {M(d.delta)}{tex_row(d.h0)}",
                rf"&= {M(d.dL_dW_hh)}{_norm_note(d.dL_dW_hh)}",
            ),
            ("With h₀ = 0 a one-step network gives W_hh no gradient at all; W_hh starts to learn only when "
             "there is an earlier state: with N > 1 steps (section 3) or a non-zero h₀ (switch above).")
            if h0_zero else "",
        ),
        Step(
            "⑦ Input weights W_xh",
            aligned(
                rf"{dLi}{{\partial W_{{xh}}}} &= \delta\,x^\top = {M(d.delta)}{tex_row(d.x)}",
                rf"&= {M(d.dL_dW_xh)}{_norm_note(d.dL_dW_xh)}",
            ),
        ),
    ]
    if bias:
        steps.append(Step(
            "Biases (the lecture's layer; not in the course's equations)",
            aligned(rf"{dLi}{{\partial b}} &= \delta,\qquad {dLi}{{\partial b_y}} = {dLi}{{\partial z}} = {n(d.dL_dz)}"),
        ))
    steps.append(Step(
        "⑧ The whole training set",
        aligned(
            r"L = \sum_i L_i \;&\Rightarrow\; \frac{\partial L}{\partial W} = \sum_i \frac{\partial L_i}{\partial W}",
            r"\text{SGD:}\quad W &\leftarrow W - \gamma \sum_{i \in \text{batch}} \frac{\partial L_i}{\partial W}",
        ),
    ))
    return steps
