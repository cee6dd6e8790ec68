"""optim: schedules gamma(t), SGD / momentum / Adam steps, clipping that reports the norm before it."""
import numpy as np
import pytest

from rnn_engine.init import init_params
from rnn_engine.optim import (
    OptState,
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    init_opt_state,
    learning_rate,
    step,
)
from rnn_engine.params import Params


def _params(seed=0):
    return init_params(3, 4, 2, seed=seed)


def _grads(seed=1, scale=1.0):
    p = init_params(3, 4, 2, scheme="normal", seed=seed)
    return p.replace(b=np.linspace(-1, 1, 4), b_y=np.array([0.5, -2.0])).map(lambda a: scale * a)


def test_schedules():
    assert learning_rate(0, 0.1) == 0.1 and learning_rate(999, 0.1) == 0.1
    assert [learning_rate(t, 1.0, "step", step_every=10, factor=0.5) for t in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    assert learning_rate(3, 2.0, "exponential", decay=0.9) == pytest.approx(2.0 * 0.9**3)
    with pytest.raises(ValueError, match="schedule"):
        learning_rate(0, 0.1, "cosine")
    with pytest.raises(ValueError, match="t must"):
        learning_rate(-1, 0.1)
    with pytest.raises(ValueError, match="step_every"):
        learning_rate(1, 0.1, "step", step_every=0)


def test_sgd_step_is_theta_minus_lr_g_exactly():
    p, g = _params(), _grads()
    new, state = step(p, g, init_opt_state(p, "sgd"), 0.3)
    for name, value in new.items():
        np.testing.assert_array_equal(value, getattr(p, name) - 0.3 * getattr(g, name))
    assert state.t == 1
    assert p == _params()  # nothing in place


def test_momentum_is_heavy_ball():
    p, g = _params(), _grads()
    s0 = init_opt_state(p, "momentum")
    p1, s1 = step(p, g, s0, 0.1, "momentum", momentum=0.9)
    np.testing.assert_array_equal(p1.W_s, p.W_s - 0.1 * g.W_s)  # v(1) = -lr g
    p2, s2 = step(p1, g, s1, 0.1, "momentum", momentum=0.9)
    v2 = 0.9 * (-0.1 * g.W_s) - 0.1 * g.W_s
    np.testing.assert_allclose(s2.velocity.W_s, v2, rtol=1e-15)
    np.testing.assert_allclose(p2.W_s, p1.W_s + v2, rtol=1e-15)
    assert s2.t == 2


def test_adam_first_step_moves_each_parameter_by_lr():
    p, g = _params(), _grads()
    new, state = step(p, g, init_opt_state(p, "adam"), 0.01, "adam")
    for name, value in new.items():
        gi = getattr(g, name)
        moved = getattr(p, name) - value
        nz = np.abs(gi) > 1e-6
        np.testing.assert_allclose(moved[nz], 0.01 * np.sign(gi[nz]), rtol=1e-4)
    assert state.t == 1 and state.m is not None and state.v is not None


def test_state_must_match_optimizer():
    p, g = _params(), _grads()
    with pytest.raises(ValueError, match="optimizer"):
        step(p, g, init_opt_state(p, "sgd"), 0.1, "adam")
    with pytest.raises(ValueError, match="optimizer"):
        init_opt_state(p, "rmsprop")
    assert isinstance(init_opt_state(p), OptState)


def test_clip_by_global_norm():
    g = _grads(scale=10.0)
    norm = np.sqrt(sum(np.sum(v**2) for _, v in g.items()))
    clipped, before, did = clip_by_global_norm(g, 1.5)
    assert did and before == pytest.approx(norm, rel=1e-14)
    assert global_norm(clipped) == pytest.approx(1.5, rel=1e-14)
    np.testing.assert_allclose(clipped.W_s / g.W_s, 1.5 / norm)  # same direction
    same, before2, did2 = clip_by_global_norm(g, 1e6)
    assert not did2 and same == g and before2 == before


def test_clip_by_value():
    g = _grads(scale=10.0)
    clipped, max_abs, did = clip_by_value(g, 0.5)
    assert did and max_abs == max(np.abs(v).max() for _, v in g.items())
    assert max(np.abs(v).max() for _, v in clipped.items()) == 0.5
    small = g.map(lambda a: np.clip(a, -0.1, 0.1))
    out, m, did = clip_by_value(small, 0.5)
    assert not did and out == small and m <= 0.1
    with pytest.raises(ValueError, match="threshold"):
        clip_by_value(g, 0.0)


def test_global_norm_does_not_overflow_and_reports_nonfinite():
    big = Params.unchecked(np.full((2, 1), 1e200), np.full((2, 2), 1e200), np.zeros(2), np.zeros((1, 2)), np.zeros(1))
    assert global_norm(big) == pytest.approx(np.sqrt(6) * 1e200)
    inf = Params.unchecked(big.W_x, np.full((2, 2), np.inf), big.b, big.W_y, big.b_y)
    assert global_norm(inf) == np.inf
    _, before, did = clip_by_global_norm(inf, 1.0)
    assert before == np.inf and not did


@pytest.mark.parametrize("scale", [1e-200, 1e-150, 1.0, 1e150])
def test_global_norm_is_exact_from_vanishing_to_huge(scale):
    """Vanishing gradients are the subject: a norm of 1e-200 must not underflow to 0 (nor 1e150 overflow)."""
    g = Params.unchecked(np.full((2, 1), 3 * scale), np.full((2, 2), 4 * scale), np.zeros(2), np.zeros((1, 2)),
                         np.zeros(1))
    assert global_norm(g) == pytest.approx(np.sqrt(2 * 9 + 4 * 16) * scale, rel=1e-14)
