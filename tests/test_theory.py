"""theory: spectrum of W_s, the bound (kappa sigma_max)^(N-n), the vanishing condition."""
import numpy as np
import pytest

from rnn_engine.theory import bound_curve, eigenvalues, singular_values, spectral_radius, vanishing_condition


def test_spectrum_of_a_rotation_times_scale():
    c, s = np.cos(0.3), np.sin(0.3)
    W = 0.8 * np.array([[c, -s], [s, c]])
    assert spectral_radius(W) == pytest.approx(0.8)
    np.testing.assert_allclose(singular_values(W), [0.8, 0.8])
    lam = eigenvalues(W)
    assert lam.dtype == np.complex128 and lam.shape == (2,)
    np.testing.assert_allclose(np.sort(lam.imag), [-0.8 * s, 0.8 * s])


def test_singular_values_descending_and_spectral_radius_below_sigma_max():
    W = np.random.default_rng(0).normal(size=(6, 6))
    sv = singular_values(W)
    assert np.all(np.diff(sv) <= 0)
    assert sv[0] == pytest.approx(np.linalg.norm(W, 2))
    assert spectral_radius(W) <= sv[0] + 1e-12
    assert np.all(np.diff(np.abs(eigenvalues(W))) <= 1e-12)


def test_non_normal_matrix_has_rho_zero_but_large_sigma():
    W = np.array([[0.0, 5.0], [0.0, 0.0]])
    assert spectral_radius(W) == 0.0 and singular_values(W)[0] == pytest.approx(5.0)


def test_bound_curve_values():
    np.testing.assert_allclose(bound_curve(1.0, 0.5, 3), [0.125, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(bound_curve(0.25, 2.0, 2), [0.25, 0.5, 1.0])
    assert bound_curve(1.0, 2.0, 0).tolist() == [1.0]
    assert bound_curve(1.0, 10.0, 400)[0] == np.inf  # overflows quietly


def test_bound_curve_holds_for_measured_products():
    from rnn_engine import backward, forward
    from rnn_engine.init import init_params

    p = init_params(2, 5, 1, scheme="orthogonal", scale=0.9, seed=1)
    x = np.random.default_rng(2).normal(size=(12, 1, 2))
    res = backward(p, forward(p, x), np.zeros((1, 1)), jacobians=True)
    bound = bound_curve(1.0, singular_values(p.W_s)[0], 12)
    assert np.all(res.log.product_norms <= bound * (1 + 1e-10))


@pytest.mark.parametrize("bad", [dict(kappa=-1.0), dict(sigma_max=np.nan), dict(N=-1), dict(N=2.0)])
def test_bound_curve_bad_input(bad):
    args = dict(kappa=1.0, sigma_max=1.0, N=3) | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        bound_curve(**args)


def test_vanishing_condition():
    d = vanishing_condition(0.5 * np.eye(3), "tanh")
    assert d["kappa"] == 1.0 and d["sigma_max"] == pytest.approx(0.5) and d["product"] == pytest.approx(0.5)
    assert d["vanishes"] is True and d["rho"] == pytest.approx(0.5)
    assert "0.5" in d["explanation"] and "vanish" in d["explanation"]
    d = vanishing_condition(2.0 * np.eye(3), "sigmoid")  # 0.25 * 2 < 1
    assert d["vanishes"] is True and d["product"] == pytest.approx(0.5)
    d = vanishing_condition(1.5 * np.eye(3), "tanh")
    assert d["vanishes"] is False and "1.5" in d["explanation"]
    assert set(d) == {"kappa", "sigma_max", "product", "vanishes", "rho", "explanation"}


def test_bad_W_s():
    with pytest.raises(ValueError, match="W_s"):
        spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match="W_s"):
        vanishing_condition([[np.nan]], "tanh")
    with pytest.raises(ValueError, match="activation"):
        vanishing_condition(np.eye(2), "swish")
