"""train, optimisers, clipping, explosion handling and loss_value for the LSTM and the GRU."""
import numpy as np
import pytest

from rnn_engine import GRUParams, LSTMParams, backward, forward
from rnn_engine.init import init_params
from rnn_engine.optim import clip_by_global_norm, clip_by_value, init_opt_state, step
from rnn_engine.train import Dataset, TrainConfig, loss_value, train
from tests.test_train import _separable

KINDS = {"lstm": LSTMParams, "gru": GRUParams}


@pytest.mark.parametrize("cell", sorted(KINDS))
@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.5), ("momentum", 0.1), ("adam", 0.05)])
def test_training_lowers_the_loss(cell, optimizer, lr):
    data = _separable()
    p = init_params(2, 8, 1, seed=0, cell=cell)
    r = train(p, data, loss="bce", config=TrainConfig(iterations=120, batch_size=16, learning_rate=lr,
                                                      optimizer=optimizer))
    h = r.history
    assert type(r.params) is KINDS[cell] and h.exploded_at is None and h.state_grad_norms.shape == (120, 5)
    assert np.mean(h.loss[-20:]) < 0.5 * np.mean(h.loss[:20])
    assert h.val_loss[-1] == pytest.approx(loss_value(r.params, data.x_val, data.t_val, loss="bce"))
    assert p == init_params(2, 8, 1, seed=0, cell=cell)  # untouched


@pytest.mark.parametrize("cell", sorted(KINDS))
def test_same_seed_same_run_and_continuing_equals_one_long_run(cell):
    data = _separable()
    p = init_params(2, 4, 1, seed=2, cell=cell)
    kw = dict(batch_size=12, learning_rate=0.2, optimizer="adam", seed=5)
    long = train(p, data, truncate=3, config=TrainConfig(iterations=20, **kw))
    assert long.params == train(p, data, truncate=3, config=TrainConfig(iterations=20, **kw)).params
    first = train(p, data, truncate=3, config=TrainConfig(iterations=8, **kw))
    second = train(first.params, data, truncate=3, config=TrainConfig(iterations=12, **kw), state=first.state)
    assert second.params == long.params  # bit-identical
    assert type(second.state.m) is KINDS[cell]


@pytest.mark.parametrize("cell", sorted(KINDS))
def test_explosion_stops_cleanly_and_clipping_tames_it(cell):
    """A step of 1e306 times the gradient overflows the parameters; the run stops there, keeping the last
    finite params; clipping by value caps every entry of the gradient."""
    rng = np.random.default_rng(0)
    data = Dataset(rng.normal(size=(40, 16, 2)), rng.normal(size=(16, 1)) * 5)
    p = init_params(2, 4, 1, scale=3.0, seed=0, cell=cell, gate_bias=3.0)
    cfg = TrainConfig(iterations=30, batch_size=8, learning_rate=1e306)
    r = train(p, data, activation="linear", output="linear", config=cfg)
    h = r.history
    assert h.exploded_at is not None and "became" in h.exploded_what and r.params.is_finite()
    assert h.iterations_done == h.exploded_at + 1
    clipped = train(p, data, activation="linear", output="linear",
                    config=TrainConfig(iterations=5, batch_size=8, learning_rate=1e-3, clip="value", clip_threshold=1.0))
    assert clipped.history.clipped.all() and clipped.params.is_finite()


@pytest.mark.parametrize("cell", sorted(KINDS))
def test_optimiser_steps_and_clipping_keep_the_params_type(cell):
    p = init_params(2, 3, 2, seed=1, cell=cell)
    x, t = np.random.default_rng(1).normal(size=(4, 5, 2)), np.random.default_rng(2).uniform(size=(5, 2))
    g = backward(p, forward(p, x), t).grads
    assert type(g) is KINDS[cell]
    for clip in (clip_by_global_norm, clip_by_value):
        clipped, before, _ = clip(g, 1e-3)
        assert type(clipped) is KINDS[cell] and before > 1e-3
    for optimizer in ("sgd", "momentum", "adam"):
        new, state = step(p, g, init_opt_state(p, optimizer), 0.1, optimizer)
        assert type(new) is KINDS[cell] and state.t == 1
        assert not np.array_equal(new.W_s, p.W_s)
