"""init_params: seeded, exact spectral radius, the schemes do what their names say."""
import numpy as np
import pytest

from rnn_engine.init import INIT_SCHEMES, init_params


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_same_seed_same_numbers(scheme):
    a = init_params(3, 5, 2, scheme=scheme, seed=7)
    b = init_params(3, 5, 2, scheme=scheme, seed=7)
    assert a == b
    assert a.b.tolist() == [0.0] * 5 and a.b_y.tolist() == [0.0, 0.0]


def test_different_seed_different_numbers():
    assert init_params(3, 5, 2, seed=1) != init_params(3, 5, 2, seed=2)


def test_scheme_of_W_s_does_not_change_W_x_and_W_y():
    ref = init_params(3, 6, 2, scheme="glorot", seed=3)
    for scheme in ("orthogonal", "identity"):
        p = init_params(3, 6, 2, scheme=scheme, seed=3)
        np.testing.assert_array_equal(p.W_x, ref.W_x)
        np.testing.assert_array_equal(p.W_y, ref.W_y)
    # an explicit W_x does not shift the others either
    p = init_params(3, 6, 2, scheme="glorot", seed=3, W_x=np.ones((6, 3)))
    np.testing.assert_array_equal(p.W_x, np.ones((6, 3)))
    np.testing.assert_array_equal(p.W_s, ref.W_s)
    np.testing.assert_array_equal(p.W_y, ref.W_y)


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
@pytest.mark.parametrize("r", [0.5, 1.0, 3.0])
def test_spectral_radius_rescaling_is_exact(scheme, r):
    p = init_params(2, 8, 1, scheme=scheme, spectral_radius=r, seed=4)
    assert np.max(np.abs(np.linalg.eigvals(p.W_s))) == pytest.approx(r, rel=1e-12)


def test_orthogonal_is_orthogonal():
    p = init_params(2, 10, 1, scheme="orthogonal", seed=5)
    np.testing.assert_allclose(p.W_s.T @ p.W_s, np.eye(10), atol=1e-12)
    q = init_params(2, 10, 1, scheme="orthogonal", scale=0.5, seed=5)
    np.testing.assert_allclose(q.W_s, 0.5 * p.W_s, rtol=1e-15)


def test_identity_is_scale_times_I():
    p = init_params(2, 4, 3, scheme="identity", scale=0.9)
    np.testing.assert_array_equal(p.W_s, 0.9 * np.eye(4))


def test_normal_variance():
    p = init_params(400, 400, 400, scheme="normal", scale=2.0, seed=0)
    assert p.W_s.std() == pytest.approx(2.0 / np.sqrt(400), rel=0.02)
    assert p.W_x.std() == pytest.approx(2.0 / np.sqrt(400), rel=0.02)


def test_glorot_limits():
    p = init_params(3, 6, 2, scheme="glorot", seed=0)
    assert np.abs(p.W_x).max() <= np.sqrt(6 / 9)
    assert np.abs(p.W_s).max() <= np.sqrt(6 / 12)
    assert np.abs(p.W_y).max() <= np.sqrt(6 / 8)


def test_explicit_W_s_overrides_and_is_rescaled():
    W = np.diag([2.0, -0.5])
    p = init_params(1, 2, 1, W_s=W)
    np.testing.assert_array_equal(p.W_s, W)
    q = init_params(1, 2, 1, W_s=W, spectral_radius=1.0)
    np.testing.assert_allclose(q.W_s, W / 2.0)


def test_every_parameter_can_be_given_explicitly():
    rng = np.random.default_rng(7)
    W_x, W_y, b, b_y = rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    p = init_params(2, 3, 4, seed=5, W_x=W_x, W_y=W_y, b=b, b_y=b_y)
    for name, given in dict(W_x=W_x, W_y=W_y, b=b, b_y=b_y).items():
        np.testing.assert_array_equal(getattr(p, name), given)
    np.testing.assert_array_equal(p.W_s, init_params(2, 3, 4, seed=5).W_s)  # the draw order is kept


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(D=0), "D"), (dict(H=-1), "H"), (dict(K=2.5), "K"), (dict(scheme="xavier"), "scheme"),
        (dict(scale=-1.0), "scale"), (dict(seed=-3), "seed"), (dict(spectral_radius=np.nan), "spectral_radius"),
        (dict(W_s=np.ones((3, 3))), "W_s"), (dict(W_x=np.ones((2, 3))), "W_x"),
        (dict(W_s=[[1.0, np.inf], [0.0, 1.0]]), "W_s"),
        (dict(W_y=np.ones((2, 2))), "W_y"), (dict(b=np.ones(3)), "b"), (dict(b_y=[np.nan]), "b_y"),
        (dict(scale="1.0"), "scale"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    args = dict(D=2, H=2, K=1) | kwargs
    with pytest.raises(ValueError, match=field):
        init_params(**args)


def test_zero_W_s_cannot_be_rescaled():
    with pytest.raises(ValueError, match="spectral radius 0"):
        init_params(2, 3, 1, scale=0.0, spectral_radius=1.0)
    with pytest.raises(ValueError, match="spectral_radius"):
        init_params(2, 2, 1, W_s=[[0.0, 1.0], [0.0, 0.0]], spectral_radius=1.0)
