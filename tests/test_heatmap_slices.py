"""The gradients page trains its heatmap a slice at a time (heatmap_run.train_more): the slices must give the
very run compute.training would, number for number, including where a run explodes."""
import dataclasses

import numpy as np
import pytest

from dashboard import compute, heatmap_run
from dashboard.config import Experiment
from dashboard.presets import get
from rnn_engine.train import train

CASES = [
    Experiment(iterations=37),
    Experiment(N=12, optimizer="adam", schedule="step", clip="norm", iterations=23),
    Experiment(task="sine", N=15, truncate=3, optimizer="momentum", iterations=21),
    Experiment(task="bird", N=1, H=8, iterations=30),
    get("exploding").experiment,  # explodes before its 200 iterations
]


def one_run(exp: Experiment):
    s = compute.setup(exp)
    return train(s.params, compute.dataset(s), activation=exp.activation, output=s.output, loss=s.loss,
                 truncate=exp.truncate or None, config=compute.train_config(exp))


@pytest.mark.parametrize("exp", CASES, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.changed().items()))
def test_slices_give_the_one_run_exactly(exp):
    ref = one_run(exp)
    run, slices = heatmap_run.TrainingSoFar(exp), 0
    while not run.done:
        run = heatmap_run.train_more(run, seconds=0.0)  # one iteration per slice: the most boundaries
        slices += 1
    assert slices == ref.history.iterations_done > 1
    for f in dataclasses.fields(ref.history):
        a, b = getattr(ref.history, f.name), getattr(run.result.history, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f.name)
        else:
            assert a == b, f.name
    for name in ("W_x", "W_s", "b", "W_y", "b_y"):
        np.testing.assert_array_equal(getattr(ref.params, name), getattr(run.result.params, name))
    assert heatmap_run.training_so_far(exp).done, "a finished run is kept for every session"
    np.testing.assert_array_equal(compute.training(exp).history.state_grad_norms, ref.history.state_grad_norms)


def test_exploding_preset_explodes_within_its_iterations():
    run = heatmap_run.train_more(heatmap_run.TrainingSoFar(get("exploding").experiment), seconds=60.0)
    assert run.done and run.result.history.exploded_at is not None
