"""The Training page's live run: play / pause / step / reset.

A live run keeps its weights while the training settings change: the next iterations simply use
the new γ, optimiser, clipping, schedule or batch size. Any other field describes a different
network or data set (its "architecture"), so changing it starts a new run.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from dashboard import yield_point
from dashboard.compute import check_pass, dataset, setup, train_config
from dashboard.config import DEFAULT, Experiment
from rnn_engine.optim import OptState, init_opt_state
from rnn_engine.params import Params
from rnn_engine.train import train

LIVE_SETTINGS = ("lr", "schedule", "optimizer", "clip", "clip_at", "iterations", "batch")
MAX_LIVE_ITERATIONS = 10_000  # a live run stops here, or earlier at long sequences (limit):
LIVE_HISTORY_BYTES = 32 * 2**20  # its history grows by N + 12 numbers per iteration and is kept in session state
_SETTING_SYMBOL = {"lr": "γ", "schedule": "schedule", "optimizer": "optimiser", "clip": "clipping",
                   "clip_at": "clip threshold", "batch": "batch size B"}


def architecture(exp: Experiment) -> Experiment:
    """exp with every live setting at its default: two Experiments with the same architecture
    describe the same network, data and initial weights."""
    return exp.replace(**{name: getattr(DEFAULT, name) for name in LIVE_SETTINGS})


def changed_fields(old: Experiment, new: Experiment, names=None) -> list[tuple[str, object, object]]:
    """[(field, old value, new value)] for the fields (default: all) that differ."""
    names = names or tuple(old.to_dict())
    return [(n, getattr(old, n), getattr(new, n)) for n in names if getattr(old, n) != getattr(new, n)]


def describe_changes(changes: list[tuple[str, object, object]]) -> str:
    """'γ 0.1 → 0.3, clipping none → norm'."""
    return ", ".join(f"{_SETTING_SYMBOL.get(n, n)} {a} → {b}" for n, a, b in changes)


def limit(N: int) -> int:
    """Iterations a live run of sequences of N steps may take: MAX_LIVE_ITERATIONS, or fewer so that its history
    ((N + 12) float64 per iteration) holds at most LIVE_HISTORY_BYTES (4,144 iterations at N = 1000)."""
    return int(min(MAX_LIVE_ITERATIONS, LIVE_HISTORY_BYTES // (8 * (N + 12))))


def chunk_size(exp: Experiment, seconds: float = 0.2, most: int = 10) -> int:
    """Iterations that take about `seconds`: at most `most`, at least 1.

    Cost model per iteration: N steps of forward + BPTT on a batch, about 8 B H (H + D + K)
    flops per step at ~1 GFlop/s for numpy's small matrices, plus ~60 µs Python per step.
    """
    D = K = 4  # the tasks have at most 4 inputs and outputs
    per_iteration = exp.N * (8 * exp.batch * exp.H * (exp.H + D + K) / 1e9 + 60e-6)
    return int(max(1, min(most, seconds // per_iteration)))


@dataclass(frozen=True, eq=False)
class LiveRun:
    """A training run that advances a chunk at a time; replaced, never changed in place."""

    architecture: Experiment  # what the run trains (the live settings at their defaults)
    settings: Experiment  # the Experiment whose training settings the next iterations use
    params: Params  # θ(t), the weights now
    state: OptState  # optimiser memory; state.t = iterations taken
    history: object | None = None  # History of every iteration so far (None before the first)
    changes: tuple = ()  # ((iteration, "γ 0.1 → 0.3"), ...): where the settings changed

    @property
    def t(self) -> int:
        """Iterations taken (updates applied)."""
        return self.state.t

    @property
    def exploded(self) -> bool:
        return self.history is not None and self.history.exploded_at is not None

    @property
    def limit(self) -> int:
        """The iteration this run stops at (live_run.limit of its N)."""
        return limit(self.architecture.N)

    @property
    def finished(self) -> bool:
        """No further iteration is possible: exploded, or at its limit."""
        return self.exploded or self.t >= self.limit


def start_run(exp: Experiment) -> LiveRun:
    """A run at iteration 0 from exp's initial weights θ(0) (refused as compute.check_pass says)."""
    check_pass(exp)
    s = setup(exp)
    return LiveRun(architecture(exp), exp, s.params, init_opt_state(s.params, exp.optimizer))


def retune(run: LiveRun, exp: Experiment) -> LiveRun:
    """The same run (same weights, same iteration) whose next iterations use exp's training settings.

    A change after the first iteration is recorded in run.changes. A new optimiser starts its
    memory afresh (momentum velocity, adam moments at zero) but keeps the iteration count t.
    """
    if architecture(exp) != run.architecture:
        raise ValueError("retune keeps the network: the architecture differs, start a new run instead.")
    changed = changed_fields(run.settings, exp, [n for n in LIVE_SETTINGS if n != "iterations"])
    state = run.state
    if exp.optimizer != state.optimizer:
        state = dataclasses.replace(init_opt_state(run.params, exp.optimizer), t=state.t)
    changes = run.changes + ((run.t, describe_changes(changed)),) if changed and run.t > 0 else run.changes
    return dataclasses.replace(run, settings=exp, state=state, changes=changes)


def advance(run: LiveRun, iterations: int, seconds: float | None = None) -> LiveRun:
    """run after up to `iterations` more iterations (fewer if `seconds` of wall time run out first,
    the run explodes, or it reaches its limit); continues with train(..., state=run.state)."""
    iterations = min(int(iterations), run.limit - run.t)
    if run.finished or iterations < 1:
        return run
    exp = run.settings
    check_pass(exp)  # the batch size is a live setting
    s = setup(exp)
    deadline = None if seconds is None else time.perf_counter() + seconds

    def in_time(t, info):  # train's callback: False stops the run after this iteration
        yield_point.check()
        return deadline is None or time.perf_counter() < deadline

    result = train(run.params, dataset(s), activation=exp.activation, output=s.output, loss=s.loss,
                   truncate=exp.truncate or None, config=train_config(exp, iterations),
                   callback=in_time, state=run.state)
    history = result.history if run.history is None else run.history.append(result.history)
    return dataclasses.replace(run, params=result.params, state=result.state, history=history)
