"""Minibatch training with BPTT gradients, logged at every iteration:

    theta(t+1) = theta(t) - gamma(t) grad L(t; theta(t))      (or momentum / adam, see optim.py)

Each iteration t: draw the batch of iteration t, forward, backward (BPTT), log ||grad L|| and
||dL/ds(n)|| before any clipping, clip if asked (a visible step), update, validate. A run whose
loss, gradients or parameters stop being finite is stopped there and reported (exploded_at,
exploded_what), keeping the last finite parameters. Nothing is printed.

Batches depend only on (seed, t): epoch e = t // (M // B) visits the M samples in the order
np.random.default_rng([seed, e]).permutation(M), B at a time (the last M mod B of each epoch
are left out, a different few each epoch). So a run continued from its state draws exactly
the batches one longer run would have drawn.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from rnn_engine.activations import check_output, get_activation
from rnn_engine.backward import READOUTS, backward, check_target, check_truncate
from rnn_engine.checks import as_array, real_number, whole_number
from rnn_engine.forward import forward, unfold
from rnn_engine.init import check_seed
from rnn_engine.losses import check_loss, check_target_values, loss_and_grad
from rnn_engine.optim import (
    OPTIMIZERS,
    SCHEDULES,
    OptState,
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    init_opt_state,
    learning_rate,
    step,
)
from rnn_engine.params import PARAM_NAMES, CellParams, check_params

CLIPS = ("none", "norm", "value")


# configuration -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainConfig:
    """One training run; field names double as widget and URL keys."""

    iterations: int = 300  # enough for the toy problems to converge in about a second
    batch_size: int = 32  # minibatch size B; clipped to the number of training samples M
    learning_rate: float = 0.1  # base step size gamma(0); 0.1 is stable for SSE on the toy problems
    schedule: str = "constant"  # gamma(t): "constant" | "step" | "exponential"
    step_every: int = 100  # "step" schedule: multiply by factor every step_every iterations
    factor: float = 0.5  # "step" schedule: the multiplier (halving is the textbook choice)
    decay: float = 0.99  # "exponential" schedule: gamma(t) = gamma(0) decay^t
    optimizer: str = "sgd"  # "sgd" is the lecture's update; "momentum" | "adam" for comparison
    momentum: float = 0.9  # heavy-ball mu, the usual default
    clip: str = "none"  # "none" shows explosions as they are; "norm" | "value" tame them, visibly
    clip_threshold: float = 1.0  # c: max global norm ("norm") or max |g_i| ("value")
    seed: int = 0  # the batch order; same seed, same run
    validate_every: int = 1  # validation loss every k iterations (NaN in between) to save time
    beta1: float = 0.9  # adam's first-moment decay (Kingma & Ba's default)
    beta2: float = 0.999  # adam's second-moment decay (Kingma & Ba's default)
    eps: float = 1e-8  # adam's guard against division by zero (Kingma & Ba's default)

    def __post_init__(self):
        whole_number(self.iterations, "iterations", 1)
        whole_number(self.batch_size, "batch_size", 1)
        real_number(self.learning_rate, "learning_rate", 0.0)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of: {', '.join(SCHEDULES)}.")
        whole_number(self.step_every, "step_every", 1)
        real_number(self.factor, "factor", 0.0, low_open=True)
        real_number(self.decay, "decay", 0.0, low_open=True)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}.")
        real_number(self.momentum, "momentum", 0.0, 1.0, high_open=True)
        if self.clip not in CLIPS:
            raise ValueError(f"unknown clip {self.clip!r}; choose one of: {', '.join(CLIPS)}.")
        real_number(self.clip_threshold, "clip_threshold", 0.0, low_open=True)
        try:
            check_seed(self.seed)
        except ValueError:
            raise ValueError(f"seed must be a whole number >= 0; got {self.seed!r}.") from None
        whole_number(self.validate_every, "validate_every", 1)
        real_number(self.beta1, "beta1", 0.0, 1.0, high_open=True)
        real_number(self.beta2, "beta2", 0.0, 1.0, high_open=True)
        real_number(self.eps, "eps", 0.0, low_open=True)


# data --------------------------------------------------------------------------------------
def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Dataset:
    """Sequences with targets; time is the first axis, samples the second."""

    x_train: np.ndarray  # (N, M, D)
    t_train: np.ndarray  # (M, K) for readout "last", (N, M, K) for "all"
    x_val: np.ndarray | None = None  # (N_val, M_val, D)
    t_val: np.ndarray | None = None  # (M_val, K) or (N_val, M_val, K)
    readout: str = "last"  # where the loss is read out: "last" step or "all" steps
    classification: bool = False  # also report accuracy

    def __post_init__(self):
        if self.readout not in READOUTS:
            raise ValueError(f"unknown readout {self.readout!r}; choose 'last' or 'all'.")
        x = as_array(self.x_train, "x_train", (None, None, None), "(N, M, D) = (steps, samples, inputs)")
        N, M, D = x.shape
        if N < 1 or M < 1 or D < 1:
            raise ValueError(f"x_train needs at least one step, sample and input; got shape {x.shape}.")
        t = self._targets(self.t_train, "t_train", N, M, None)
        object.__setattr__(self, "x_train", _frozen(x))
        object.__setattr__(self, "t_train", _frozen(t))
        if (self.x_val is None) != (self.t_val is None):
            raise ValueError("x_val and t_val must be given together (or both left out).")
        if self.x_val is not None:
            xv = as_array(self.x_val, "x_val", (None, None, D), f"(N, M_val, D) with D = {D} as in x_train")
            if xv.shape[0] < 1 or xv.shape[1] < 1:
                raise ValueError(f"x_val needs at least one step and sample; got shape {xv.shape}.")
            tv = self._targets(self.t_val, "t_val", xv.shape[0], xv.shape[1], t.shape[-1])
            object.__setattr__(self, "x_val", _frozen(xv))
            object.__setattr__(self, "t_val", _frozen(tv))
        if not isinstance(self.classification, (bool, np.bool_)):
            raise ValueError(f"classification must be True or False; got {self.classification!r}.")
        object.__setattr__(self, "classification", bool(self.classification))

    def _targets(self, value, name: str, N: int, M: int, K: int | None) -> np.ndarray:
        if self.readout == "last":
            return as_array(value, name, (M, K), f"(M, K) with M = {M} samples, for readout='last'")
        return as_array(value, name, (N, M, K), f"(N, M, K) with N = {N}, M = {M}, for readout='all'")

    @property
    def M(self) -> int:
        """Number of training samples."""
        return self.x_train.shape[1]

    @property
    def has_validation(self) -> bool:
        return self.x_val is not None


def batch_indices(t: int, M: int, B: int, seed: int) -> np.ndarray:
    """Sample indices of iteration t's batch: (B,), a function of (seed, t) only (B <= M)."""
    B = min(int(B), int(M))
    per_epoch = M // B
    epoch, i = divmod(int(t), per_epoch)
    return _epoch_order(int(seed), epoch, int(M))[i * B : (i + 1) * B]  # (B,)


@functools.lru_cache(maxsize=8)
def _epoch_order(seed: int, epoch: int, M: int) -> np.ndarray:
    """The shuffled order of the M samples in one epoch: (M,), read-only (drawn once per epoch)."""
    return _frozen(np.random.default_rng([seed, epoch]).permutation(M))


def _take(data_t: np.ndarray, idx: np.ndarray, readout: str) -> np.ndarray:
    return data_t[idx] if readout == "last" else data_t[:, idx]


# evaluation --------------------------------------------------------------------------------
def loss_value(params: CellParams, x, t, activation="tanh", output="sigmoid", loss="sse", readout="last") -> float:
    """L(theta) on (x, t), forward only: x (N, B, D), t (B, K) or (N, B, K)."""
    check_loss(loss, output)
    trace = forward(params, x, activation, output)
    t = check_target_values(check_target(t, trace, readout), loss)
    return _loss_from(trace.z, trace.y, t, loss, output, readout)


def _loss_from(z, y, t, loss, output, readout) -> float:
    N, B, K = y.shape
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        if readout == "last":
            L, _ = loss_and_grad(z[N - 1], y[N - 1], t, loss, output)
        else:
            L, _ = loss_and_grad(z.reshape(N * B, K), y.reshape(N * B, K), t.reshape(N * B, K), loss, output)
    return float(L)


def accuracy(y: np.ndarray, t: np.ndarray, output: str, readout: str = "last") -> float:
    """Fraction correct: softmax argmax_k y == argmax_k t; otherwise per output (y > 0.5) == (t > 0.5)."""
    if readout == "last":
        y = y[-1]  # (B, K)
    if output == "softmax":
        return float(np.mean(np.argmax(y, axis=-1) == np.argmax(t, axis=-1)))
    return float(np.mean((y > 0.5) == (t > 0.5)))


# the record --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class History:
    """One row per iteration of this call; T = iterations_done.

    If the run exploded, its last row is iteration exploded_at: the non-finite measurements
    are recorded there, but its update was not kept (param_norm is NaN when the update was not
    even tried, inf/NaN when it produced non-finite parameters).
    """

    iteration: np.ndarray  # (T,) absolute iteration number t (continues across calls)
    loss: np.ndarray  # (T,) training loss on the batch, before the update
    val_loss: np.ndarray  # (T,) validation loss after the update; NaN when not evaluated
    accuracy: np.ndarray | None  # (T,) on the batch (classification only)
    val_accuracy: np.ndarray | None  # (T,) on the validation set (classification with validation)
    state_grad_norms: np.ndarray  # (T, N) entry [i, n-1] = ||dL/ds(n)||
    grad_norm: np.ndarray  # (T,) ||grad L||, global norm before clipping
    grad_norm_after_clip: np.ndarray  # (T,) global norm of the gradient actually used
    param_norm: np.ndarray  # (T,) ||theta|| after the update
    lr: np.ndarray  # (T,) gamma(t)
    clipped: np.ndarray  # (T,) bool: clipping changed the gradient
    exploded_at: int | None = None  # iteration at which something became non-finite
    exploded_what: str | None = None  # e.g. "gradient norm of W_s became inf"
    stopped_by_callback: bool = False
    iterations_done: int = 0

    COLUMNS = ("iteration", "loss", "val_loss", "accuracy", "val_accuracy", "grad_norm",
               "grad_norm_after_clip", "param_norm", "lr", "clipped")

    def to_frame_dict(self) -> dict:
        """Column name -> list, for CSV export; state_grad_norm_n is ||dL/ds(n)||, n = 1..N."""
        out = {}
        for name in self.COLUMNS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value.tolist()
        for n in range(self.state_grad_norms.shape[1]):
            out[f"state_grad_norm_{n + 1}"] = self.state_grad_norms[:, n].tolist()
        return out

    def append(self, later: History) -> History:
        """This history followed by a later one (e.g. a continued run)."""
        arrays = {}
        for f in fields(self):
            if f.name in ("exploded_at", "exploded_what", "stopped_by_callback", "iterations_done"):
                continue
            a, b = getattr(self, f.name), getattr(later, f.name)
            arrays[f.name] = None if a is None or b is None else np.concatenate([a, b])
        return History(
            **arrays,
            exploded_at=later.exploded_at if later.exploded_at is not None else self.exploded_at,
            exploded_what=later.exploded_what if later.exploded_what is not None else self.exploded_what,
            stopped_by_callback=later.stopped_by_callback,
            iterations_done=self.iterations_done + later.iterations_done,
        )


@dataclass(frozen=True, eq=False)
class TrainResult:
    params: CellParams  # final parameters (the cell's type) (the last finite ones if the run exploded)
    history: History
    state: OptState  # pass back with these params to continue where this run stopped


@dataclass
class _Log:
    """Growing lists for one call of train (private, mutable)."""

    rows: dict = field(default_factory=lambda: {n: [] for n in History.COLUMNS})
    state_grad_norms: list = field(default_factory=list)

    def add(self, **row):
        for name, value in row.items():
            if name == "state_grad_norms":
                self.state_grad_norms.append(value)
            else:
                self.rows[name].append(value)


def _first_nonfinite(grads: CellParams) -> tuple[str, float]:
    """(name, norm) of the first non-finite gradient, W_s first (the recurrent culprit)."""
    for name in ("W_s", *[n for n in PARAM_NAMES if n != "W_s"]):
        g = getattr(grads, name)
        if not np.isfinite(g).all():
            return name, (float("nan") if np.isnan(g).any() else float("inf"))
    return "", 0.0


def _describe(x: float) -> str:
    return "NaN" if np.isnan(x) else "inf"


# the loop ----------------------------------------------------------------------------------
def train(
    params: CellParams,
    data: Dataset,
    activation: str = "tanh",
    output: str = "sigmoid",
    loss: str = "sse",
    truncate: int | None = None,
    config: TrainConfig = TrainConfig(),  # noqa: B008 (frozen, so a shared default is safe)
    callback: Callable[[int, dict], bool | None] | None = None,
    state: OptState | None = None,
) -> TrainResult:
    """Train for config.iterations iterations (see the module docstring); never raises on explosion.

    callback(t, info) runs after every completed iteration with info = {iteration, loss,
    val_loss, grad_norm}; returning False stops the run (stopped_by_callback=True).
    state = result.state continues a previous run (iteration numbers and schedules continue).
    """
    check_params(params)
    if not isinstance(data, Dataset):
        raise ValueError(f"data must be a Dataset; got {type(data).__name__}.")
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig; got {type(config).__name__}.")
    get_activation(activation)
    check_output(output)
    check_loss(loss, output)
    N, M, D = data.x_train.shape
    K = data.t_train.shape[-1]
    if D != params.D or K != params.K:
        raise ValueError(
            f"the data has D = {D} inputs and K = {K} outputs but the parameters expect "
            f"D = {params.D} and K = {params.K}."
        )
    check_truncate(truncate, N)
    check_target_values(data.t_train, loss)
    if data.has_validation:
        check_target_values(data.t_val, loss)
    if state is None:
        state = init_opt_state(params, config.optimizer)
    elif not isinstance(state, OptState) or state.optimizer != config.optimizer:
        raise ValueError(
            f"state must be the OptState of a previous run with optimizer {config.optimizer!r}; "
            "leave it out to start afresh."
        )
    if callback is not None and not callable(callback):
        raise ValueError("callback must be a function callback(t, info) or None.")

    B = min(config.batch_size, M)
    readout = data.readout
    classify = data.classification
    validate = data.has_validation
    log = _Log()
    exploded_at = exploded_what = None
    stopped = False

    for i in range(config.iterations):
        t = state.t
        idx = batch_indices(t, M, B, config.seed)  # (B,)
        x_b = data.x_train[:, idx]  # (N, B, D)
        t_b = _take(data.t_train, idx, readout)  # (B, K) or (N, B, K)
        gamma_t = learning_rate(t, config.learning_rate, config.schedule, config.step_every,
                                config.factor, config.decay)
        trace = unfold(params, x_b, activation, output)  # x_b: from the checked Dataset
        res = backward(params, trace, t_b, loss, readout, truncate, contributions=False)
        g_norm = global_norm(res.grads)
        row = dict(iteration=t, loss=res.loss, val_loss=np.nan, grad_norm=g_norm,
                   grad_norm_after_clip=g_norm, param_norm=np.nan, lr=gamma_t, clipped=False,
                   state_grad_norms=res.state_grad_norms)
        if classify:
            row["accuracy"] = accuracy(trace.y, t_b, output, readout)
            row["val_accuracy"] = np.nan

        # 1. the loss and the gradient must be finite to take a step
        if not np.isfinite(res.loss):
            exploded_what = f"loss became {_describe(res.loss)}"
        elif not res.grads.is_finite():
            name, norm = _first_nonfinite(res.grads)
            exploded_what = f"gradient norm of {name} became {_describe(norm)}"
        if exploded_what is not None:
            log.add(**row)
            exploded_at = t
            break

        # 2. clipping, a visible step (norms above are from before it)
        grads = res.grads
        if config.clip == "norm":
            grads, _, row["clipped"] = clip_by_global_norm(grads, config.clip_threshold)
        elif config.clip == "value":
            grads, _, row["clipped"] = clip_by_value(grads, config.clip_threshold)
        if row["clipped"]:
            row["grad_norm_after_clip"] = global_norm(grads)

        # 3. the update theta(t) -> theta(t+1)
        new_params, new_state = step(params, grads, state, gamma_t, config.optimizer, config.momentum,
                                     config.beta1, config.beta2, config.eps)
        with np.errstate(over="ignore", invalid="ignore"):
            row["param_norm"] = new_params.norm()
        if not new_params.is_finite():
            name, bad = _first_nonfinite(new_params)
            exploded_what = (
                f"parameter {name} became {_describe(bad)} after the update "
                f"(gradient norm {g_norm:.3g}, learning rate {gamma_t:.3g})"
            )
            log.add(**row)
            exploded_at = t
            break
        params, state = new_params, new_state

        # 4. validation with theta(t+1)
        last = i == config.iterations - 1
        if validate and ((t + 1) % config.validate_every == 0 or last):
            val = unfold(params, data.x_val, activation, output)  # x_val comes from the checked Dataset
            y_v, z_v = val.y, val.z  # (N, M_val, K) each
            row["val_loss"] = _loss_from(z_v, y_v, data.t_val, loss, output, readout)
            if classify:
                row["val_accuracy"] = accuracy(y_v, data.t_val, output, readout)
            if not np.isfinite(row["val_loss"]):  # the training loss is finite, the validation one not
                exploded_what = f"validation loss became {_describe(row['val_loss'])} after the update"
                log.add(**row)
                exploded_at = t
                break
        log.add(**row)

        if callback is not None:
            info = {"iteration": t, "loss": row["loss"], "val_loss": row["val_loss"], "grad_norm": g_norm}
            if callback(t, info) is False:
                stopped = True
                break

    T = len(log.rows["iteration"])
    history = History(
        iteration=np.asarray(log.rows["iteration"], dtype=np.int64).reshape(T),  # (T,)
        loss=np.asarray(log.rows["loss"], dtype=np.float64).reshape(T),  # (T,)
        val_loss=np.asarray(log.rows["val_loss"], dtype=np.float64).reshape(T),  # (T,)
        accuracy=np.asarray(log.rows["accuracy"], dtype=np.float64).reshape(T) if classify else None,
        val_accuracy=(np.asarray(log.rows["val_accuracy"], dtype=np.float64).reshape(T)
                      if classify and validate else None),
        state_grad_norms=np.asarray(log.state_grad_norms, dtype=np.float64).reshape(T, N),  # (T, N)
        grad_norm=np.asarray(log.rows["grad_norm"], dtype=np.float64).reshape(T),  # (T,)
        grad_norm_after_clip=np.asarray(log.rows["grad_norm_after_clip"], dtype=np.float64).reshape(T),
        param_norm=np.asarray(log.rows["param_norm"], dtype=np.float64).reshape(T),  # (T,)
        lr=np.asarray(log.rows["lr"], dtype=np.float64).reshape(T),  # (T,)
        clipped=np.asarray(log.rows["clipped"], dtype=bool).reshape(T),  # (T,)
        exploded_at=exploded_at,
        exploded_what=exploded_what,
        stopped_by_callback=stopped,
        iterations_done=T,
    )
    return TrainResult(params=params, history=history, state=state)
