"""The CSV downloads hold the numbers the pages show: the gradient log and the training history."""
import csv
import io

import numpy as np

from dashboard.ui import csv_bytes
from rnn_engine import Dataset, TrainConfig, backward, forward, init_params, make_task, train


def read(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_the_gradient_log_round_trips_through_csv_exactly():
    task = make_task("adding", 20, 8, seed=3)
    p = init_params(task.D, 6, task.K, seed=3)
    res = backward(p, forward(p, task.x), task.target, "mse")
    rows = read(csv_bytes({"n": np.arange(1, 21), "dL_ds_norm": res.log.state_grad}))
    assert [int(r["n"]) for r in rows] == list(range(1, 21))
    np.testing.assert_array_equal([float(r["dL_ds_norm"]) for r in rows], res.log.state_grad)  # repr: exact


def test_the_training_history_csv_has_one_row_per_iteration_and_the_per_step_norms():
    task = make_task("adding", 5, 16, seed=0)
    p = init_params(task.D, 4, task.K, seed=0)
    data = Dataset(task.x, task.target, readout="last")
    h = train(p, data, output="sigmoid", loss="mse", config=TrainConfig(iterations=7, batch_size=4)).history
    rows = read(csv_bytes(h.to_frame_dict()))
    assert len(rows) == 7
    np.testing.assert_array_equal([float(r["loss"]) for r in rows], h.loss)
    np.testing.assert_array_equal([float(r["state_grad_norm_5"]) for r in rows], h.state_grad_norms[:, 4])
