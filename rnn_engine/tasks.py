"""Learning tasks: seeded generators of input sequences x (N, M, D) and targets.

Every task answers one question for a student: what must the network remember, and
for how many steps? Time is the first axis, as in forward(): x[n] is x(n+1).

    bird          the seed's one-step classifier, features fed in N chunks (lag up to N - 1)
    adding        Hochreiter & Schmidhuber (1997), Exp. 4: add two marked values (lag >= N/2)
    first_symbol  report the first of N symbols at step N (lag N - 1)
    sine          predict a noisy sine one step ahead (a short memory suffices)
    copy          copy memory (Arjovsky, Shah & Bengio 2016): recall S symbols after a lag of T steps
    temporal_order  Hochreiter & Schmidhuber (1997), Exp. 6a: the order of two far-apart symbols, 4 classes

constant_baseline(task, loss) is the loss of the best input-blind constant prediction, the line a
network must get below to have learnt anything.

Randomness is explicit: rng = np.random.default_rng(seed); the same arguments give the
same arrays.
"""
from __future__ import annotations

import math
import string
from dataclasses import dataclass, replace

import numpy as np

from rnn_engine.checks import real_number, whole_number
from rnn_engine.features import FeatureSet, load_bundled

MAX_ELEMENTS = 20_000_000  # N * M * D, about 160 MB of float64

TASKS: dict[str, str] = {
    "bird": "Bird / not bird from an image feature vector, fed in N chunks; one label at the last step.",
    "adding": "Adding problem (Hochreiter & Schmidhuber 1997): sum the two marked values, report at the last step.",
    "first_symbol": "Remember the first symbol of the sequence and name it at the last step.",
    "sine": "Predict a noisy sine wave one step ahead, at every step.",
    "copy": "Copy memory (Arjovsky et al. 2016): recall S symbols in order after a lag of T steps.",
    "temporal_order": "Temporal order (Hochreiter & Schmidhuber 1997): which of X, Y came first and second.",
}

OPTIONS: dict[str, dict] = {  # allowed options and their defaults
    "bird": {"features": None, "standardize": True},
    "adding": {},
    "first_symbol": {"n_symbols": 4, "noise": 0.0, "lag": None},
    "sine": {"period": 20.0, "noise": 0.1},
    "copy": {"n_symbols": 8, "n_recall": None},
    "temporal_order": {},
}


@dataclass(frozen=True, eq=False)
class Task:
    """Inputs, targets and the recommended read-out and loss for one learning task."""

    name: str
    x: np.ndarray  # (N, M, D)
    target: np.ndarray  # (M, K) for readout "last", (N, M, K) for "all"
    readout: str  # "last" | "all"
    output: str  # recommended read-out g
    loss: str  # recommended loss
    classification: bool
    description: str  # one sentence: what to remember, over how many steps
    class_names: tuple | None = None

    def __post_init__(self):
        for field in ("x", "target"):
            arr = np.array(getattr(self, field), dtype=np.float64)
            arr.flags.writeable = False
            object.__setattr__(self, field, arr)

    @property
    def N(self) -> int:
        """Sequence length (steps)."""
        return self.x.shape[0]

    @property
    def M(self) -> int:
        """Number of samples (sequences)."""
        return self.x.shape[1]

    @property
    def D(self) -> int:
        """Input size."""
        return self.x.shape[2]

    @property
    def K(self) -> int:
        """Output size."""
        return self.target.shape[-1]

    def __iter__(self):
        """x, target = make_task(...): the (x, target) pair the contract's forward and backward take."""
        return iter((self.x, self.target))

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Task)
            and (self.name, self.readout, self.output, self.loss) == (other.name, other.readout, other.output, other.loss)
            and np.array_equal(self.x, other.x)
            and np.array_equal(self.target, other.target)
        )

    __hash__ = None


# ---------------------------------------------------------------------------
# entry points


def make_task(name: str, N: int, n_samples: int | None, seed: int = 0, **options) -> Task:
    """Generate task `name` with N steps and n_samples sequences, reproducibly from `seed`.

    Options per task (defaults): bird: features=None (the bundled set), standardize=True;
    first_symbol: n_symbols=4, noise=0.0; sine: period=20.0, noise=0.1; adding: none.
    """
    if not isinstance(name, str) or name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of: {', '.join(TASKS)}.")
    N = whole_number(N, "N", 1, meaning="the number of steps")
    seed = whole_number(seed, "seed", 0, meaning="the random seed")
    unknown = sorted(set(options) - set(OPTIONS[name]))
    if unknown:
        allowed = ", ".join(OPTIONS[name]) or "none"
        raise ValueError(f"task {name!r} has no option {', '.join(map(repr, unknown))}; its options are: {allowed}.")
    opts = {**OPTIONS[name], **options}
    if name == "bird":
        if n_samples is not None and n_samples != 0:
            n_samples = whole_number(n_samples, "n_samples", 1, meaning="the number of samples (None or 0: all)")
    else:
        if n_samples is None:
            raise ValueError("n_samples must be a whole number >= 1 (the number of sequences); got None.")
        n_samples = whole_number(n_samples, "n_samples", 1, meaning="the number of sequences")
    rng = np.random.default_rng(seed)
    return _MAKERS[name](N, n_samples, rng, **opts)


def split_task(task: Task, val_fraction: float = 0.25, seed: int = 0) -> tuple[Task, Task]:
    """(train, validation): a seeded split of the M samples, about val_fraction held out.

    Classification tasks are split per class (stratified), so both parts keep the class mix.
    """
    if not isinstance(task, Task):
        raise ValueError(f"task must be a Task from make_task; got {type(task).__name__}.")
    val_fraction = real_number(val_fraction, "val_fraction", 0.0, 1.0, low_open=True, high_open=True)
    seed = whole_number(seed, "seed", 0, meaning="the random seed")
    M = task.M
    if M < 2:
        raise ValueError(f"a split needs at least 2 samples; the task has n_samples = {M}.")
    rng = np.random.default_rng(seed)
    n_val = min(max(round(M * val_fraction), 1), M - 1)
    order = rng.permutation(M)  # (M,)
    if task.classification:
        t = task.target if task.readout == "last" else task.target[-1]  # (M, K)
        cls = (t[:, 0] > 0.5).astype(int) if task.K == 1 else t.argmax(axis=1)  # (M,)
        c = cls[order]
        rank = np.empty(M)  # position of each sample within its class, spread over [0, 1)
        for k in np.unique(c):
            where = np.flatnonzero(c == k)
            rank[where] = (np.arange(where.size) + 0.5) / where.size
        order = order[np.argsort(rank, kind="stable")]
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    return _subset(task, train_idx), _subset(task, val_idx)


def _subset(task: Task, idx: np.ndarray) -> Task:
    target = task.target[idx] if task.readout == "last" else task.target[:, idx]
    return replace(task, x=task.x[:, idx], target=target)


# ---------------------------------------------------------------------------
# the tasks


def _bird(N: int, n_samples: int | None, rng, features, standardize) -> Task:
    """One-step classification of feature vectors, split over N steps.

    N = 1: x(1) is the whole vector (the seed example). N > 1: the F features are cut into
    N consecutive chunks of c = ceil(F / N) features, zero-padded, x(n) = chunk n. For
    N > F, c = 1 and the steps after step F carry only zero padding: the features must be
    remembered over N - F further steps before the label is read out (the long-lag case).
    Samples: the first n_samples of a seeded permutation (None, 0 or > M: all).
    """
    if features is None:
        features = load_bundled()
    if not isinstance(features, FeatureSet):
        raise ValueError(f"option features must be a FeatureSet (from load_features) or None; got {type(features).__name__}.")
    if not isinstance(standardize, (bool, np.bool_)):
        raise ValueError(f"option standardize must be True or False; got {standardize!r}.")
    X = features.X  # (M_all, F)
    if standardize:  # z-scores with the statistics of the whole set; constant features stay 0
        sd = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    M_all, F = X.shape
    M = M_all if not n_samples or n_samples > M_all else n_samples
    idx = rng.permutation(M_all)[:M]  # (M,)
    c = math.ceil(F / N)  # features per step
    _check_size(N, M, c)
    padded = np.zeros((M, N * c))  # (M, N*c)
    padded[:, :F] = X[idx]
    x = padded.reshape(M, N, c).transpose(1, 0, 2).copy()  # (N, M, c)
    target = features.labels[idx, None]  # (M, 1)
    names = features.class_names
    what = f"{names[1]} / {names[0]}"
    if N == 1:
        desc = f"Classify each {F}-feature vector as {what} in one step: nothing has to be remembered."
    elif N <= F:
        desc = (
            f"Classify {what} from {F} features fed {c} per step over {N} steps: the first chunk "
            f"must be remembered for {_steps(N - 1)}."
        )
    else:
        desc = (
            f"Classify {what} from {F} features fed one per step, followed by {N - F} steps of zero "
            f"padding: the first feature must be remembered for {_steps(N - 1)}."
        )
    return Task("bird", x, target, "last", "sigmoid", "sse", True, desc, names)


def _adding(N: int, M: int, rng) -> Task:
    """The adding problem of Hochreiter & Schmidhuber (1997), experiment 4, at fixed length N.

    x(n) = (value, marker): value ~ U[-1, 1]; exactly two steps have marker 1.0. The first,
    X1, is one of the first W1 = min(10, N//2) steps; the second, X2, one of the still
    unmarked steps among the first W2 = max(W1 + 1, N//2) (the paper's "first T/2 - 1
    still unmarked pairs"), so the last mark is at step <= N/2 + 1 and must be kept for
    at least N/2 - 1 steps. As in the paper, the first and the last step carry marker -1
    unless they are marked. Target at step N: 0.5 + (X1 + X2)/4, in [0, 1].
    Differences from the paper: N is fixed (the paper draws lengths in [T, 1.1 T]) and X1
    is kept when step 1 is marked (the paper sets it to 0; for short N that is not rare).
    N = 1: both marks fall on the only step (marker 1.0), target 0.5 + X1/2.
    N = 2: the marks are steps 1 and 2, no -1 markers.
    """
    _check_size(N, M, 2)
    x = np.zeros((N, M, 2))  # (N, M, 2)
    x[:, :, 0] = rng.uniform(-1.0, 1.0, (N, M))
    rows = np.arange(M)
    if N == 1:
        x[0, :, 1] = 1.0
        target = 0.5 + x[0, :, 0, None] / 2.0  # (M, 1)
    else:
        W1 = min(10, N // 2)
        W2 = max(W1 + 1, N // 2)
        i1 = rng.integers(0, W1, M)  # (M,)
        i2 = rng.integers(0, W2 - 1, M)  # (M,) index among the W2 - 1 unmarked steps
        i2 = i2 + (i2 >= i1)  # skip i1
        x[0, :, 1] = -1.0
        x[N - 1, :, 1] = -1.0
        x[i1, rows, 1] = 1.0
        x[i2, rows, 1] = 1.0
        target = 0.5 + (x[i1, rows, 0] + x[i2, rows, 0])[:, None] / 4.0  # (M, 1)
    if N == 1:
        desc = "Report 0.5 + X1/2 for the one value X1 shown (both marks fall on the only step): no memory needed."
    else:
        lag = N - max(W1 + 1, N // 2)
        desc = (
            f"Add the two values marked 1.0 (both within the first {max(W1 + 1, N // 2)} of {N} steps) and "
            f"report 0.5 + (X1 + X2)/4 at step {N}: the values must be kept for at least {_steps(lag)}."
        )
    return Task("adding", x, target, "last", "sigmoid", "mse", False, desc, None)


def _first_symbol(N: int, M: int, rng, n_symbols, noise, lag) -> Task:
    """The one-hot of a random symbol k in 0..n_symbols-1 at step N - lag (lag None: N - 1, i.e. at
    step 1), x(n) = noise * N(0, I) at every other step.

    Target at step N: one-hot of k. The symbol must be remembered for `lag` steps while the
    distractor noise (standard deviation `noise`, default 0) is ignored.
    """
    n_symbols = whole_number(n_symbols, "n_symbols", 2, 100, meaning="the number of symbols")
    noise = real_number(noise, "option noise", 0.0)
    lag = N - 1 if lag is None else whole_number(lag, "option lag", 0, N - 1, meaning=f"steps to remember, N = {N}")
    _check_size(N, M, n_symbols)
    k = rng.integers(0, n_symbols, M)  # (M,)
    onehot = np.eye(n_symbols)[k]  # (M, n_symbols)
    shown = N - 1 - lag  # code index of the step that shows the symbol
    x = np.zeros((N, M, n_symbols))  # (N, M, n_symbols)
    x[shown] = onehot
    if noise > 0 and N > 1:
        others = np.arange(N) != shown  # (N,) every other step, in order (lag N - 1: steps 2..N)
        x[others] = noise * rng.standard_normal((N - 1, M, n_symbols))
    names = tuple(string.ascii_uppercase[:n_symbols]) if n_symbols <= 26 else tuple(f"s{j}" for j in range(n_symbols))
    noisy = f", ignoring noise of size {noise:g} in between" if noise > 0 and N > 1 else ""
    which = "first of" if shown == 0 else f"symbol shown at step {shown + 1} of the"
    desc = (
        f"Name the {which} {N} inputs (one of {n_symbols} symbols) at the last step: it must be "
        f"remembered for {_steps(lag)}{noisy}."
    )
    return Task("first_symbol", x, onehot, "last", "softmax", "ce", True, desc, names)


def _sine(N: int, M: int, rng, period, noise) -> Task:
    """x(n) = sin(2 pi n / period + phase) + noise * e(n),  target(n) = sin(2 pi (n+1) / period + phase).

    Code index n = 0..N-1 (step n+1); phase ~ U[0, 2 pi) per sample, e(n) ~ N(0, 1).
    """
    period = real_number(period, "option period (steps per wave)", 0.0, low_open=True)
    noise = real_number(noise, "option noise", 0.0)
    _check_size(N, M, 1)
    phase = rng.uniform(0.0, 2 * np.pi, M)  # (M,)
    n = np.arange(N + 1)[:, None]  # (N+1, 1)
    clean = np.sin(2 * np.pi * n / period + phase)  # (N+1, M)
    x = (clean[:N] + noise * rng.standard_normal((N, M)))[:, :, None]  # (N, M, 1)
    target = clean[1:, :, None]  # (N, M, 1)
    desc = (
        f"Predict the clean sine (period {period:g} steps) one step ahead from noisy samples at each of "
        f"{_steps(N)}: the last few steps must be remembered to tell whether the wave is rising or falling."
    )
    return Task("sine", x, target, "all", "linear", "mse", False, desc, None)


def _copy(N: int, M: int, rng, n_symbols, n_recall) -> Task:
    """The copy-memory task of Arjovsky, Shah & Bengio (2016), at N = T + 2S steps.

    Inputs one-hot over A + 2 symbols (the A data symbols, then blank, then the delimiter): steps 1..S show
    S symbols drawn uniformly from the A; steps S+1..S+T-1 are blank, step S+T is the delimiter, steps
    S+T+1..N are blank again, while the network must output the S symbols in order. The lag from a symbol
    to its recall is S + T steps. (The paper: A = 8, S = 10, its "T - 1 blanks and a delimiter" are our T.)

    Targets (N, M, A), read out at every step with a softmax and cross-entropy: one-hot of the k-th symbol
    at recall step S+T+k, and all zero at the other N - S steps, so that l_m = -1/(N M) sum t log y is
    exactly zero there and sends no gradient (the loss is still the mean over all N M rows, as in the paper).
    The best input-blind guess is uniform over the A symbols at the recall steps: cross-entropy
    S ln(A) / (T + 2S) = S ln(A) / N, the paper's baseline (constant_baseline gives it for the sample drawn).
    n_recall None: S = min(10, (N - 1) // 2).
    """
    A = whole_number(n_symbols, "option n_symbols", 2, 100, meaning="the alphabet A of symbols to copy")
    if N < 3:
        raise ValueError(f"the copy task needs N >= 3 steps (S symbols, a lag of T >= 1, S recall steps); got N = {N}.")
    S = min(10, (N - 1) // 2) if n_recall is None else whole_number(
        n_recall, "option n_recall", 1, (N - 1) // 2, meaning=f"symbols to remember, with N = {N} >= 2 n_recall + 1")
    T = N - 2 * S
    _check_size(N, M, A + 2)
    k = rng.integers(0, A, (S, M))  # (S, M) the symbols
    x = np.zeros((N, M, A + 2))  # (N, M, A+2)
    x[np.arange(S)[:, None], np.arange(M)[None, :], k] = 1.0
    x[S : N - S - 1, :, A] = 1.0  # blanks between
    x[N - S - 1, :, A + 1] = 1.0  # the delimiter at step S + T
    x[N - S :, :, A] = 1.0  # blanks while recalling
    target = np.zeros((N, M, A))  # (N, M, A) no loss before the recall steps
    target[np.arange(N - S, N)[:, None], np.arange(M)[None, :], k] = 1.0
    desc = (f"Recall {S} symbols (of {A}) in order after a lag of {_steps(T)}: each must be remembered for "
            f"{_steps(S + T)}; loss only at the last {_steps(S)}.")
    return Task("copy", x, target, "all", "softmax", "ce", False, desc, None)


def temporal_order_positions(N: int) -> tuple[int, int, int, int]:
    """(lo1, hi1, lo2, hi2): the steps t1 in lo1..hi1 and t2 in lo2..hi2 (1-based) that carry X or Y,
    the paper's [10, 20] and [50, 60] for N = 100, scaled to N and kept between B at step 1 and E at step N."""
    lo1, hi1 = max(2, round(N / 10)), max(2, round(2 * N / 10))
    hi2 = min(max(hi1 + 1, round(6 * N / 10)), N - 1)
    lo2 = min(max(hi1 + 1, round(5 * N / 10)), hi2)
    return lo1, hi1, lo2, hi2


def _temporal_order(N: int, M: int, rng) -> Task:
    """The temporal-order problem of Hochreiter & Schmidhuber (1997), experiment 6a, at fixed length N.

    Inputs one-hot over 8 symbols a, b, c, d, X, Y, B, E: B at step 1, E at step N, X or Y at a step t1
    and at a step t2 (temporal_order_positions: t1 in [N/10, 2N/10], t2 in [5N/10, 6N/10]), random a..d
    everywhere else. Target at step N, four classes: XX, XY, YX, YY (the paper's Q, R, S, U). The first
    must be remembered for N - t1 steps. Chance is 25 %; the constant baseline's cross-entropy ln 4.
    """
    if N < 4:
        raise ValueError(f"the temporal-order task needs N >= 4 steps (B, X/Y, X/Y, E); got N = {N}.")
    _check_size(N, M, 8)
    lo1, hi1, lo2, hi2 = temporal_order_positions(N)
    symbols = rng.integers(0, 4, (N, M))  # (N, M) a..d
    t1 = rng.integers(lo1, hi1 + 1, M)  # (M,) 1-based steps
    t2 = rng.integers(lo2, hi2 + 1, M)
    which = rng.integers(0, 2, (2, M))  # (2, M) 0 = X, 1 = Y
    rows = np.arange(M)
    symbols[t1 - 1, rows] = 4 + which[0]
    symbols[t2 - 1, rows] = 4 + which[1]
    symbols[0], symbols[N - 1] = 6, 7  # B, E
    x = np.eye(8)[symbols]  # (N, M, 8)
    target = np.eye(4)[2 * which[0] + which[1]]  # (M, 4)
    desc = (f"Tell the order of X and Y shown at steps {lo1}-{hi1} and {lo2}-{hi2} of {N} (four classes, chance "
            f"25 %): the first must be remembered for at least {_steps(N - hi1)}.")
    return Task("temporal_order", x, target, "last", "softmax", "ce", True, desc, ("XX", "XY", "YX", "YY"))


_MAKERS = {"bird": _bird, "adding": _adding, "first_symbol": _first_symbol, "sine": _sine, "copy": _copy,
           "temporal_order": _temporal_order}


def constant_baseline(task: Task, loss: str | None = None, output: str | None = None,
                      batch_size: int | None = None) -> float | None:
    """The loss of the best input-blind constant prediction y = c at every read-out row (samples x steps
    for readout "all"), with t-bar the mean target over those rows (K,):

        mse  mean over outputs of Var(t_k)              sse  (batch_size x steps read out) x sum_k Var(t_k)
        bce  sum_k H(t-bar_k), binary entropy            ce (softmax)  -sum_k t-bar_k log(t-bar_k / sum_j t-bar_j)

    For ce the constant is the distribution t-bar / sum t-bar (rows whose target is all zero, such as the
    copy task's, cost nothing whatever is predicted: its baseline is S ln(A) / N for uniform symbols); for
    one-hot targets it is -sum t-bar log t-bar. None where no such constant exists (ce with a sigmoid
    read-out). loss and output default to the task's; batch_size (for sse, the losses summed per batch)
    defaults to all M samples.
    """
    if not isinstance(task, Task):
        raise ValueError(f"task must be a Task from make_task; got {type(task).__name__}.")
    loss = task.loss if loss is None else loss
    output = task.output if output is None else output
    if loss not in ("sse", "mse", "bce", "ce"):
        raise ValueError(f"unknown loss {loss!r}; choose one of: sse, mse, bce, ce.")
    t = task.target.reshape(-1, task.K)  # (rows, K)
    tbar, var = t.mean(axis=0), t.var(axis=0)  # (K,)
    if loss == "mse":
        return float(var.mean())
    if loss == "sse":
        B = task.M if batch_size is None else min(whole_number(batch_size, "batch_size", 1), task.M)
        return float(B * (task.N if task.readout == "all" else 1) * var.sum())
    if loss == "bce":
        p = np.clip(tbar, 1e-12, 1 - 1e-12)
        return float(-np.sum(tbar * np.log(p) + (1 - tbar) * np.log(1 - p)))
    if output != "softmax":
        return None
    total = tbar.sum()
    if total == 0:
        return 0.0
    p = np.clip(tbar / total, 1e-12, 1.0)
    return float(-np.sum(tbar * np.log(p)))


# ---------------------------------------------------------------------------
# checks


def _steps(k: int) -> str:
    return f"{k} step" if k == 1 else f"{k} steps"


def _check_size(N: int, M: int, D: int) -> None:
    if N * M * D > MAX_ELEMENTS:
        raise ValueError(
            f"N x n_samples x D = {N} x {M} x {D} = {N * M * D:,} inputs is too large "
            f"(limit {MAX_ELEMENTS:,}); use fewer steps N or fewer samples n_samples."
        )
