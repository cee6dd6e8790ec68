"""The gradients page's heatmap run, trained a slice at a time after the page is drawn.

A slider move must not wait for exp.iterations of training: the gradients page draws its curves at
once and fills the heatmap in afterwards, slice by slice. Slices continue one another exactly (same
batches, schedule and optimiser memory; validation at the same iterations, since a slice stops only
through the callback), so the finished run is the run training(exp) returns, number for number.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from dashboard import yield_point
from dashboard.compute import check_pass, dataset, finished_run, remember_finished, setup, train_config
from dashboard.config import Experiment
from rnn_engine.train import TrainResult, train


@dataclass(frozen=True, eq=False)
class TrainingSoFar:
    """The first iterations_done iterations of the run training(exp) describes."""

    exp: Experiment
    result: TrainResult | None = None  # None before the first iteration

    @property
    def iterations_done(self) -> int:
        return 0 if self.result is None else self.result.history.iterations_done

    @property
    def done(self) -> bool:
        """All exp.iterations taken, or the run exploded (its history says where)."""
        return self.result is not None and (self.result.history.exploded_at is not None
                                            or self.iterations_done >= self.exp.iterations)


def training_so_far(exp: Experiment) -> TrainingSoFar:
    """The finished run if this process has one (any session, any page), else iteration 0."""
    return TrainingSoFar(exp, finished_run(exp))


def train_more(run: TrainingSoFar, seconds: float,
               on_iteration: Callable[[int], None] | None = None) -> TrainingSoFar:
    """run after about `seconds` more iterations (at least one), continuing with state=run's state.

    on_iteration(t) runs after every iteration t (a page updates its progress bar there, which also lets
    Streamlit stop the slice at once when the user changes a widget).
    """
    if run.done:
        return run
    exp = run.exp
    check_pass(exp)
    s = setup(exp)
    params, state = (s.params, None) if run.result is None else (run.result.params, run.result.state)
    deadline = time.perf_counter() + seconds

    def keep_going(t: int, info: dict) -> bool:
        yield_point.check()
        if on_iteration is not None:
            on_iteration(t)
        return time.perf_counter() < deadline

    more = train(params, dataset(s), activation=exp.activation, output=s.output, loss=s.loss,
                 truncate=exp.truncate or None, config=train_config(exp, exp.iterations - run.iterations_done),
                 callback=keep_going, state=state)
    history = more.history if run.result is None else run.result.history.append(more.history)
    so_far = TrainingSoFar(exp, TrainResult(more.params, history, more.state))
    if so_far.done:  # a deadline on the very last iteration is not a stop
        history = replace(history, stopped_by_callback=False)
        so_far = TrainingSoFar(exp, TrainResult(more.params, history, more.state))
        remember_finished(exp, so_far.result)
    return so_far
