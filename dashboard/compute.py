"""Cached thin wrappers around the engine, keyed by the frozen Experiment.

Data flows one way: Experiment -> task and initial weights -> forward/backward or train -> records.
Nothing here draws; nothing here is a widget.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from dashboard import cache, yield_point
from dashboard.config import Experiment
from rnn_engine import Params, backward, forward, get_activation
from rnn_engine.init import init_params
from rnn_engine.tasks import Task, make_task, split_task
from rnn_engine.tasks import constant_baseline as engine_baseline
from rnn_engine.train import Dataset, TrainConfig, TrainResult, train

try:  # One BLAS thread for the engine: its products are small (B x H by H x H), where OpenBLAS's worker
    # threads only add hand-off cost, and on a busy 2-core machine their spin-waiting made one training
    # iteration 10-15x slower (benchmarks/dashboard.py). Same numbers, only the thread count changes.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
except ImportError:  # threadpoolctl comes with scikit-learn; without it numpy keeps its default threads
    pass

N_SAMPLES = 512  # sequences drawn per task (train + validation)
VALIDATE_EVERY = 5  # validation loss every 5 iterations keeps a redraw fast
JACOBIAN_BUDGET = 4e8  # S^3 * N flops above which the Jacobian log is not computed live (S: jacobian_size)


@dataclass(frozen=True, eq=False)
class Setup:
    """The data and the initial weights an Experiment describes."""

    train: Task
    val: Task
    params: Params
    output: str
    loss: str


def resolve(exp: Experiment, task: Task) -> tuple[str, str]:
    """The read-out g and the loss actually used ('auto' = the task's natural choice)."""
    output = task.output if exp.output == "auto" else exp.output
    loss = task.loss if exp.loss == "auto" else exp.loss
    if loss in ("bce", "ce") and output == "linear":
        raise ValueError(f"loss {loss!r} needs outputs in (0, 1): choose read-out sigmoid or softmax, or loss sse/mse.")
    return output, loss


@cache.memo(max_entries=64)
def setup(exp: Experiment) -> Setup:
    task = make_task(exp.task, exp.N, N_SAMPLES, seed=exp.seed)
    tr, va = split_task(task, val_fraction=0.25, seed=exp.seed)
    D, K = task.x.shape[2], _K(task)
    params = init_params(D, exp.H, K, scheme=exp.init, scale=exp.scale, spectral_radius=exp.radius or None,
                         seed=exp.seed, cell=exp.cell, gate_bias=None if exp.cell == "elman" else exp.gate_bias)
    params = apply_weights(params, exp.weights)
    output, loss = resolve(exp, task)
    return Setup(tr, va, params, output, loss)


# --- Edited weights (the Weights page) -------------------------------------------------------------
EDITABLE = ("W_s", "W_x", "b")  # the arrays the Weights page lets a student type into


def apply_weights(params: Params, weights: str, fix: str = " Reset them on the Weights page.") -> Params:
    """params with the arrays in `weights` (Experiment.weights, JSON) in place of the initial ones, in the params'
    own shapes: W_s (G*H, H), W_x (G*H, D), b (G*H,), G = 1 (Elman), 4 (LSTM, blocks i, f, g, o) or 3 (GRU, r, z, g).

    Raises ValueError with a clear message when the text is not JSON, names an array that cannot be
    edited, or an array has the wrong shape (H or the task changed since the edit) or a non-number; `fix` ends it
    (what to do about it where the weights came from).
    """
    if not weights:
        return params
    try:
        d = json.loads(weights)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("the edited weights are not valid JSON." + fix) from None
    if not isinstance(d, dict):
        raise ValueError('the edited weights must be a JSON object such as {"W_s": [[...]]}.' + fix)
    unknown = sorted(set(d) - set(EDITABLE))
    if unknown:
        raise ValueError(f"the edited weights name {', '.join(map(repr, unknown))}; only "
                         f"{', '.join(EDITABLE)} can be edited." + fix)
    changes = {}
    for name in EDITABLE:
        if name not in d:
            continue
        expected = getattr(params, name).shape
        try:
            value = np.array(d[name])
        except ValueError:  # ragged nesting
            raise ValueError(f"the edited {name} has rows of different lengths; it needs shape {expected}." + fix) from None
        if value.shape != expected:
            gated = params.G > 1  # a gated cell stacks G blocks of H rows: (G*H, H), (G*H, D), (G*H,)
            raise ValueError(f"the edited {name} has shape {value.shape}, but this network ({params.title}, H = "
                             f"{params.H}, D = {params.D}" + (f", {params.block_words()}" if gated else "")
                             + f") needs {expected}: the cell, the hidden size or the task changed since it was "
                             "edited." + fix)
        if value.dtype.kind not in "iuf" or _holds_bool(d[name]):
            raise ValueError(f"the edited {name} holds something that is not a number (text, true/false or "
                             "an empty cell)." + fix)
        bad = np.argwhere(~np.isfinite(value.astype(np.float64)))
        if len(bad):
            where = ", ".join("(" + ", ".join(str(int(i) + 1) for i in idx) + ")" for idx in bad[:3])
            raise ValueError(f"the edited {name} holds NaN or infinity at entry {where} (counting from 1)." + fix)
        changes[name] = value.astype(np.float64)
    return params.replace(**changes)


def _holds_bool(value) -> bool:
    return isinstance(value, bool) or (isinstance(value, list) and any(_holds_bool(v) for v in value))


def _K(task: Task) -> int:
    return task.target.shape[-1]


def batch(task: Task, B: int) -> tuple[np.ndarray, np.ndarray]:
    """The first B sequences of a task: x (N, B, D) and its target."""
    B = min(B, task.x.shape[1])
    x = task.x[:, :B]  # (N, B, D)
    t = task.target[:B] if task.readout == "last" else task.target[:, :B]
    return x, t


def jacobian_size(exp: Experiment) -> int:
    """S, the size of the state the Jacobians J(n) act on: 2H for the LSTM's (s, c), else H."""
    return 2 * exp.H if exp.cell == "lstm" else exp.H


def jacobians_affordable(exp: Experiment) -> bool:
    """S^3 N within the budget: N products (and spectral norms) of S x S Jacobians."""
    return jacobian_size(exp) ** 3 * exp.N <= JACOBIAN_BUDGET


@cache.memo(max_entries=64)
def gradients(exp: Experiment, jacobians: bool = False, _params: Params | None = None, params_key: str = "initial"):
    """(trace, BackwardResult) for the first B training sequences (refused above PASS_BUDGET or PASS_BYTES).

    At the initial weights, or at _params (not hashed: params_key must name them uniquely).
    """
    check_pass(exp)
    s = setup(exp)
    p = s.params if _params is None else _params
    x, t = batch(s.train, exp.batch)
    trace = forward(p, x, exp.activation, s.output)
    res = backward(p, trace, t, s.loss, s.train.readout, truncate=exp.truncate or None,
                   jacobians=jacobians and jacobians_affordable(exp))
    return trace, res


@cache.memo(max_entries=64)
def last_term_gradients(exp: Experiment) -> np.ndarray:
    """(N,) ||dl_N/ds(n)|| at θ(0): the gradient of the last loss term alone, for a task with a loss at every
    step (where ||dL/ds(n)|| also holds the fresh gradient of every later term)."""
    s = setup(exp)
    x, t = batch(s.train, exp.batch)
    trace, _ = gradients(exp)
    last = t[-1] if s.train.readout == "all" else t  # (B, K)
    return backward(s.params, trace, last, s.loss, "last", truncate=exp.truncate or None,
                    contributions=False).state_grad_norms


def median_slope(exp: Experiment, params: Params) -> float:
    """The median of φ′(a(n)) over the steps, the batch and the units, with these weights (for a gated cell of its
    candidate, φ′(a_g(n)) with g = φ(a_g))."""
    s = setup(exp)
    x, _ = batch(s.train, exp.batch)
    trace = forward(params, x, exp.activation, s.output)
    phi_of_a = trace.s[1:] if exp.cell == "elman" else trace.gate("g")  # (N, B, H)
    with np.errstate(invalid="ignore"):
        return float(np.nanmedian(get_activation(exp.activation).dphi(trace.a, phi_of_a)))


def train_config(exp: Experiment, iterations: int | None = None) -> TrainConfig:
    return TrainConfig(
        iterations=iterations or exp.iterations, batch_size=exp.batch, learning_rate=exp.lr,
        schedule=exp.schedule, optimizer=exp.optimizer, clip=exp.clip, clip_threshold=exp.clip_at,
        seed=exp.seed, validate_every=VALIDATE_EVERY,
    )


def dataset(s: Setup) -> Dataset:
    return Dataset(x_train=s.train.x, t_train=s.train.target, x_val=s.val.x, t_val=s.val.target,
                   readout=s.train.readout, classification=s.train.classification)


@cache.memo(max_entries=16)
def training(exp: Experiment) -> TrainResult:
    """A full training run of exp.iterations from the initial weights (refused above WORK_BUDGET)."""
    finished = finished_run(exp)  # the gradients page may have trained it a slice at a time already
    if finished is not None:
        return finished
    check_work(exp)
    s = setup(exp)
    return train(s.params, dataset(s), activation=exp.activation, output=s.output, loss=s.loss,
                 truncate=exp.truncate or None, config=train_config(exp), callback=yield_point.between_iterations)


# Finished runs, whoever trained them: training(exp) in one go, or the gradients page a slice at a time
# (dashboard/heatmap_run.py). Both give the same run, number for number; kept within the caches' budget.
FINISHED_RUNS = 16  # finished runs kept for every session and page (like training's cache)


def finished_run(exp: Experiment) -> TrainResult | None:
    return cache.get("finished", exp)[1]


def remember_finished(exp: Experiment, result: TrainResult) -> None:
    cache.put("finished", exp, result, FINISHED_RUNS)


def constant_baseline(exp: Experiment) -> float | None:
    """The loss of the best input-blind prediction, the same constant for every sequence: what a network that
    ignores its input scores on a batch (a reference line for the loss curve; rnn_engine.constant_baseline).
    None where no such constant exists (ce with a sigmoid read-out)."""
    s = setup(exp)
    return engine_baseline(s.train, s.loss, s.output, exp.batch)


# --- Credit assignment (the Credit page) -----------------------------------------------------------
# Both credit matrices cost N^2 / 2 steps of the cell, each a (rows, G*H) by (G*H, H) product: rows = B for the
# itemised gradients, K (the outputs) for the connectivity of one sample. Above CREDIT_BUDGET flops (about half a
# second on a 2-core machine, benchmarks/engine.py) they are computed over the last W steps only: a window whose
# entries are still exact, since dl_m/ds(n) and dy(m)/dx(n) for n, m in the window depend only on the steps from n
# to m (the window starts from the full run's state s(N-W), and c(N-W) for the LSTM).
# Each is also drawn as a W x W heatmap: above CREDIT_MAX_STEPS steps the browser would parse megabytes for a picture
# no wider than the screen, so the window is at most that long too.
CREDIT_BUDGET = 2e9
CREDIT_MAX_STEPS = 300
# Training runs in one piece and a click waits for it: above this many units (iterations * N * B * G * H^2, about
# 1 s here) the Credit page trains only when asked, so that its sliders stay quick.
TRAIN_BUDGET = 1e9
GATE_BLOCKS = {"elman": 1, "lstm": 4, "gru": 3}  # G: the blocks of W_s (i, f, g, o; r, z, g)


def credit_cost(steps: int, rows: int, exp: Experiment) -> float:
    """Flops of one credit matrix over `steps` steps: steps^2 / 2 * rows * G H^2 (G = 1, 4, 3 gate blocks)."""
    return steps**2 / 2 * rows * GATE_BLOCKS[exp.cell] * exp.H**2


def credit_window(exp: Experiment, rows: int) -> int:
    """The number W of last steps a credit matrix is computed for: N when it fits the budget and CREDIT_MAX_STEPS,
    else the most that do (at least 2)."""
    N = min(exp.N, CREDIT_MAX_STEPS)
    if credit_cost(N, rows, exp) <= CREDIT_BUDGET:
        return N
    return max(2, min(N, int(np.sqrt(2 * CREDIT_BUDGET / (rows * GATE_BLOCKS[exp.cell] * exp.H**2)))))


@dataclass(frozen=True, eq=False)
class Credit:
    """The credit matrices of one set of weights over the window of steps first..N (first = 1: the whole run).

    itemized: (W, W) [m-first, n-first] = ||dl_m/ds(n)||;  connectivity: (W, W) [m-first, n-first] =
    ||dy(m)/dx(n)||_F for the sample;  state_grad: (N,) ||dL/ds(n)|| of the whole run.
    """

    first: int
    itemized: np.ndarray
    connectivity: np.ndarray
    connectivity_first: int
    state_grad: np.ndarray
    sample: int


def _window_trace(p, trace, x: np.ndarray, exp: Experiment, s: Setup, first: int):
    """The run restarted at step `first` from the full run's s(first-1) (and c(first-1)): exact for steps >= first."""
    if first == 1:
        return trace
    c0 = trace.c[first - 1] if exp.cell == "lstm" else None  # (B, H)
    return forward(p, x[first - 1 :], exp.activation, s.output, s0=trace.s[first - 1], c0=c0)


@cache.memo(max_entries=32)
def credit(exp: Experiment, sample: int = 0, _params: Params | None = None, params_key: str = "initial") -> Credit:
    """Credit at θ(0), or at _params (not hashed: params_key names them): the itemised gradients of the first B
    training sequences and the connectivity of one of them, each over the window credit_window allows."""
    from rnn_engine import connectivity

    check_pass(exp)
    s = setup(exp)
    p = s.params if _params is None else _params
    x, t = batch(s.train, exp.batch)  # x (N, B, D)
    trace = forward(p, x, exp.activation, s.output)
    full = backward(p, trace, t, s.loss, s.train.readout, truncate=exp.truncate or None, contributions=False)
    N, B, K = exp.N, x.shape[1], p.W_y.shape[0]
    first = N - credit_window(exp, B) + 1
    c_first = N - credit_window(exp, K) + 1
    starts = [trace.s[first - 1], trace.s[c_first - 1]] + ([trace.c[first - 1], trace.c[c_first - 1]]
                                                          if exp.cell == "lstm" else [])
    if not all(np.isfinite(a).all() for a in starts):  # the run overflowed before the window: nothing to restart
        return Credit(first, np.full((N - first + 1,) * 2, np.nan), np.full((N - c_first + 1,) * 2, np.nan), c_first,
                      full.state_grad_norms, sample)
    sub = _window_trace(p, trace, x, exp, s, first)
    t_sub = t if s.train.readout == "last" else t[first - 1 :]
    k = exp.truncate or None
    items = backward(p, sub, t_sub, s.loss, s.train.readout, truncate=k if k is None or k < sub.N else None,
                     contributions=False, itemized=True).log.itemized  # (W, W)
    if s.train.readout == "all" and s.loss != "sse" and first > 1:  # the loss is a mean over the steps: over the
        items = items * (sub.N / N)  # window's W steps it weighs each term by 1/W, the whole run's by 1/N
    conn = connectivity(p, _window_trace(p, trace, x, exp, s, c_first), sample)  # (W', W')
    return Credit(first, items, conn, c_first, full.state_grad_norms, sample)


# One interaction's training in one piece (Compare, Credit, the export) may cost this many units of
# training_cost: about 20 s on this 2-core machine (0.5-0.9 ns per unit, measured with Elman and LSTM runs
# from N = 100, H = 64 to N = 1000, H = 256). Pages that train a slice at a time (Training, the gradients
# heatmap) are not bound by it. Overridable by the environment variable RNN_LAB_WORK_BUDGET.
WORK_BUDGET = float(os.environ.get("RNN_LAB_WORK_BUDGET", "3e10"))
SECONDS_PER_UNIT = 0.7e-9


def check_work(exp: Experiment) -> None:
    """ValueError naming the setting to lower when exp's training costs more than WORK_BUDGET (or one of its
    iterations more than check_pass allows)."""
    check_pass(exp)
    cost = training_cost(exp)
    if cost <= WORK_BUDGET:
        return
    most = int(WORK_BUDGET // (cost / exp.iterations))
    fix = (f"lower Iterations to {most} or fewer, or lower N, H or the batch size" if most >= 1 else
           "lower N, H or the batch size (even one iteration is too much)")
    raise ValueError(
        f"training {exp.iterations} iterations at N = {exp.N}, H = {exp.H}, batch {exp.batch} would take about "
        f"{cost * SECONDS_PER_UNIT:.0f} s on this server, more than the {WORK_BUDGET * SECONDS_PER_UNIT:.0f} s one "
        f"click may take while others share it: {fix}. (The Training page trains any size a slice at a time.)")


def training_cost(exp: Experiment) -> float:
    """Flops of exp's training, roughly: iterations * N * B * G * H^2."""
    return exp.iterations * exp.N * exp.batch * GATE_BLOCKS[exp.cell] * exp.H**2


# One forward + backward pass (every page draws one; every training iteration is one) in one piece: at N = 1000,
# H = 256, B = 256 it took 46 s (Elman) and 206 s (LSTM) here and held 1-5 GB, for one slider move. Refused above
# PASS_BUDGET units of N * B * G * H^2 (about 7 s here: N = 1000, H = 256 runs at the default B = 32) or PASS_BYTES
# bytes of trace and log (what one session may hold in flight, an eighth of the caches' default budget):
# PASS_ARRAYS arrays of N x B x H float64 per cell, measured with cache.size_of (the trace, the log, the norms).
PASS_BUDGET = WORK_BUDGET / 12
PASS_BYTES = 256 * 2**20
PASS_SECONDS_PER_UNIT = 2.7e-9  # measured at N = 1000, H = 256, B = 256 (large arrays: slower per unit than training)
PASS_ARRAYS = {"elman": 2.2, "lstm": 11.5, "gru": 10.5}


def pass_cost(exp: Experiment) -> tuple[float, float]:
    """(units, bytes) of one forward + backward pass: N * B * G * H^2 and PASS_ARRAYS * N * B * H * 8."""
    return (exp.N * exp.batch * GATE_BLOCKS[exp.cell] * exp.H**2,
            PASS_ARRAYS[exp.cell] * exp.N * exp.batch * exp.H * 8)


def check_pass(exp: Experiment) -> None:
    """ValueError naming the setting to lower (the batch size first, the picture barely depends on it) when one
    forward + backward pass of exp costs more than PASS_BUDGET or holds more than PASS_BYTES."""
    from dashboard.config import BATCH_SIZES

    units, nbytes = pass_cost(exp)
    if units <= PASS_BUDGET and nbytes <= PASS_BYTES:
        return
    fits = [B for B in BATCH_SIZES if B < exp.batch and all(
        a <= b for a, b in zip(pass_cost(exp.replace(batch=B)), (PASS_BUDGET, PASS_BYTES), strict=True))]
    fix = f"lower the batch size to {fits[-1]} or fewer, or lower N or H" if fits else "lower N or H"
    raise ValueError(
        f"one forward and backward pass at N = {exp.N}, H = {exp.H}, batch {exp.batch} ({exp.cell}) would hold about "
        f"{nbytes / 2**20:,.0f} MB and take about {units * PASS_SECONDS_PER_UNIT:.0f} s on this server, more than one "
        f"slider move may take while others share it (at most {PASS_BYTES / 2**20:,.0f} MB and about "
        f"{PASS_BUDGET * PASS_SECONDS_PER_UNIT:.0f} s): {fix}.")
