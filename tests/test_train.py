"""train: learns a separable toy problem, stops cleanly on explosion, continues seamlessly."""
import numpy as np
import pytest

from rnn_engine.init import init_params
from rnn_engine.optim import OptState
from rnn_engine.train import Dataset, History, TrainConfig, TrainResult, batch_indices, loss_value, train


def _separable(seed=1, N=5, M=64, M_val=32):
    """Class 1 iff the first input, summed over the N steps, is positive."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, M + M_val, 2))  # (N, M, D)
    t = (x[:, :, 0].sum(axis=0) > 0).astype(float)[:, None]  # (M, 1)
    return Dataset(x[:, :M], t[:M], x[:, M:], t[M:], readout="last", classification=True)


def _exploding(N=60, M=16):
    rng = np.random.default_rng(0)
    return Dataset(rng.normal(size=(N, M, 2)), rng.normal(size=(M, 1)))


def test_training_lowers_the_loss():
    data = _separable()
    p = init_params(2, 8, 1, seed=0)
    cfg = TrainConfig(iterations=150, batch_size=16, learning_rate=0.5)
    r = train(p, data, loss="bce", config=cfg)
    h = r.history
    assert isinstance(r, TrainResult) and isinstance(h, History) and isinstance(r.state, OptState)
    assert h.iterations_done == 150 and h.exploded_at is None and not h.stopped_by_callback
    assert h.loss.shape == (150,) and h.state_grad_norms.shape == (150, 5)
    assert h.iteration.tolist() == list(range(150))
    assert np.mean(h.loss[-20:]) < 0.3 * np.mean(h.loss[:20])
    assert h.val_loss[-1] < 0.5 * h.val_loss[0]
    assert h.val_accuracy[-1] >= 0.85 and h.accuracy is not None
    assert not h.clipped.any() and np.all(h.lr == 0.5)
    assert h.val_loss[-1] == pytest.approx(loss_value(r.params, data.x_val, data.t_val, loss="bce"))
    assert p == init_params(2, 8, 1, seed=0)  # the initial params are untouched


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_other_optimizers_learn(optimizer):
    data = _separable()
    lr = 0.05 if optimizer == "adam" else 0.1
    cfg = TrainConfig(iterations=100, batch_size=16, learning_rate=lr, optimizer=optimizer)
    h = train(init_params(2, 8, 1, seed=0), data, loss="bce", config=cfg).history
    assert np.mean(h.loss[-20:]) < 0.5 * np.mean(h.loss[:20])


def test_explosion_stops_cleanly_with_a_message():
    data = _exploding()
    p = init_params(2, 4, 1, spectral_radius=3.0, seed=0)
    cfg = TrainConfig(iterations=50, batch_size=8, learning_rate=0.5)
    r = train(p, data, activation="linear", output="linear", config=cfg)
    h = r.history
    assert h.exploded_at is not None and h.exploded_at < 50
    assert "became" in h.exploded_what and ("inf" in h.exploded_what or "NaN" in h.exploded_what)
    assert h.iterations_done == h.exploded_at + 1 and h.iteration[-1] == h.exploded_at
    assert r.params.is_finite()
    assert r.state.t == h.exploded_at  # the exploded update was not kept
    assert not np.isfinite(h.loss[-1]) or not np.isfinite(h.grad_norm[-1]) or not np.isfinite(h.param_norm[-1])
    frame = h.to_frame_dict()
    assert len(frame["loss"]) == h.iterations_done and "state_grad_norm_60" in frame


def test_a_validation_loss_that_overflows_stops_the_run_and_says_so():
    """Training sequences short enough to stay finite, validation ones long enough to overflow."""
    rng = np.random.default_rng(0)
    N = 400
    x = np.zeros((N, 16, 1))  # (N, M, 1): the first 5 steps are the training sequence, then silence
    x[-5:] = rng.normal(size=(5, 16, 1))
    x_val = rng.normal(size=(N, 8, 1)) + 5.0  # driven at every step
    data = Dataset(x, rng.normal(size=(16, 1)), x_val, rng.normal(size=(8, 1)))
    p = init_params(1, 3, 1, W_s=2.0 * np.eye(3), seed=0)
    r = train(p, data, activation="linear", output="linear",
              config=TrainConfig(iterations=20, batch_size=16, learning_rate=1e-12))
    h = r.history
    assert np.isfinite(h.loss).all()  # the training loss never blew up ...
    assert h.exploded_at == 0 and h.iterations_done == 1  # ... the validation loss did, at once
    assert h.exploded_what.startswith("validation loss became") and not np.isfinite(h.val_loss[-1])


def test_cross_entropy_training_needs_targets_in_0_1():
    data = _separable()
    bad = Dataset(data.x_train, data.t_train * 2.0, data.x_val, data.t_val, readout="last", classification=True)
    with pytest.raises(ValueError, match="between 0 and 1"):
        train(init_params(2, 4, 1, seed=0), bad, loss="bce")


def test_norm_clipping_rescues_the_same_run():
    data = _exploding()
    p = init_params(2, 4, 1, spectral_radius=3.0, seed=0)
    cfg = TrainConfig(iterations=50, batch_size=8, learning_rate=0.5, clip="norm", clip_threshold=1.0)
    r = train(p, data, activation="linear", output="linear", config=cfg)
    h = r.history
    assert h.exploded_at is None and h.iterations_done == 50 and r.params.is_finite()
    assert h.clipped[0] and h.grad_norm[0] > 1e50  # the norm before clipping is the huge one
    np.testing.assert_allclose(h.grad_norm_after_clip[h.clipped], 1.0, rtol=1e-12)
    assert h.loss[-1] < 1e-40 * h.loss[0]


def test_callback_stops_training():
    seen = []

    def callback(t, info):
        seen.append(info)
        return t < 4

    r = train(init_params(2, 4, 1), _separable(), config=TrainConfig(iterations=20, batch_size=8), callback=callback)
    assert r.history.stopped_by_callback and r.history.iterations_done == 5 and r.state.t == 5
    assert [i["iteration"] for i in seen] == [0, 1, 2, 3, 4]
    assert set(seen[0]) >= {"iteration", "loss", "val_loss", "grad_norm"}


def test_same_seed_same_run():
    cfg = TrainConfig(iterations=30, batch_size=8, seed=3)
    a = train(init_params(2, 4, 1), _separable(), config=cfg)
    b = train(init_params(2, 4, 1), _separable(), config=cfg)
    assert a.params == b.params and np.array_equal(a.history.loss, b.history.loss)


@pytest.mark.parametrize("optimizer, schedule", [("sgd", "constant"), ("adam", "step")])
def test_continuing_equals_one_long_run(optimizer, schedule):
    data = _separable()
    p = init_params(2, 4, 1, seed=2)
    kw = dict(batch_size=12, learning_rate=0.2, optimizer=optimizer, schedule=schedule, step_every=7, seed=5)
    long = train(p, data, config=TrainConfig(iterations=25, **kw))
    first = train(p, data, config=TrainConfig(iterations=10, **kw))
    second = train(first.params, data, config=TrainConfig(iterations=15, **kw), state=first.state)
    assert second.params == long.params  # bit-identical
    assert second.state.t == 25 and second.history.iteration.tolist() == list(range(10, 25))
    both = first.history.append(second.history)
    for name in ("loss", "val_loss", "grad_norm", "lr", "state_grad_norms", "accuracy", "iteration"):
        np.testing.assert_array_equal(getattr(both, name), getattr(long.history, name))


def test_batches_are_shuffled_epochs():
    M, B = 10, 3
    per_epoch = [np.concatenate([batch_indices(t, M, B, seed=0) for t in range(e * 3, e * 3 + 3)]) for e in range(3)]
    for idx in per_epoch:
        assert len(set(idx.tolist())) == 9  # no repeats within an epoch
    assert not np.array_equal(per_epoch[0], per_epoch[1])
    np.testing.assert_array_equal(batch_indices(4, M, B, seed=0), batch_indices(4, M, B, seed=0))


def test_validate_every_and_readout_all():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 20, 2))
    t = np.tanh(np.cumsum(x[:, :, :1], axis=0))  # (N, M, 1)
    data = Dataset(x[:, :15], t[:, :15], x[:, 15:], t[:, 15:], readout="all")
    cfg = TrainConfig(iterations=10, batch_size=5, validate_every=4, schedule="exponential", decay=0.5)
    h = train(init_params(2, 3, 1), data, output="linear", config=cfg).history
    assert np.isfinite(h.val_loss[[3, 7, 9]]).all() and np.isnan(h.val_loss[[0, 1, 2, 4, 8]]).all()
    np.testing.assert_allclose(h.lr, 0.1 * 0.5 ** np.arange(10))
    assert h.accuracy is None and h.val_accuracy is None


@pytest.mark.parametrize(
    "kwargs, field",
    [(dict(iterations=0), "iterations"), (dict(batch_size=1.5), "batch_size"), (dict(learning_rate=np.nan), "learning_rate"),
     (dict(schedule="cos"), "schedule"), (dict(optimizer="rmsprop"), "optimizer"), (dict(momentum=1.0), "momentum"),
     (dict(clip="both"), "clip"), (dict(clip_threshold=0), "clip_threshold"), (dict(seed=-1), "seed"),
     (dict(validate_every=0), "validate_every"), (dict(step_every=True), "step_every"), (dict(decay=0.0), "decay")],
)
def test_config_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**kwargs)


def test_dataset_and_train_validation():
    x = np.zeros((3, 4, 2))
    with pytest.raises(ValueError, match="t_train"):
        Dataset(x, np.zeros((5, 1)))
    with pytest.raises(ValueError, match="x_val"):
        Dataset(x, np.zeros((4, 1)), x_val=np.zeros((3, 2, 3)), t_val=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="x_train"):
        Dataset(np.full((3, 4, 2), np.nan), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="readout"):
        Dataset(x, np.zeros((4, 1)), readout="first")
    data = Dataset(x, np.zeros((4, 1)))
    with pytest.raises(ValueError, match="D = 3"):
        train(init_params(3, 2, 1), data)
    with pytest.raises(ValueError, match="state"):
        train(init_params(2, 2, 1), data, config=TrainConfig(optimizer="adam"), state=OptState())
