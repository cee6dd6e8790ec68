"""init_params for the gated cells: block by block, seeded, gate biases; the Elman cell's numbers unchanged."""
import numpy as np
import pytest

from rnn_engine import GRUParams, LSTMParams, Params
from rnn_engine.init import INIT_SCHEMES, init_params

CELLS = {"lstm": (LSTMParams, ("i", "f", "g", "o")), "gru": (GRUParams, ("r", "z", "g"))}


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_seeded_and_of_the_cells_type(cell, scheme):
    a = init_params(3, 5, 2, scheme=scheme, seed=7, cell=cell)
    assert a == init_params(3, 5, 2, scheme=scheme, seed=7, cell=cell)
    assert a != init_params(3, 5, 2, scheme=scheme, seed=8, cell=cell)
    G = {"elman": 1, "lstm": 4, "gru": 3}[cell]
    assert type(a) is {"elman": Params, "lstm": LSTMParams, "gru": GRUParams}[cell]
    assert a.W_x.shape == (G * 5, 3) and a.W_s.shape == (G * 5, 5) and a.b.shape == (G * 5,)
    assert (a.H, a.D, a.K, a.G) == (5, 3, 2, G)


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_elman_is_the_default_and_unchanged(scheme):
    assert init_params(3, 5, 2, scheme=scheme, seed=4) == init_params(3, 5, 2, scheme=scheme, seed=4, cell="elman")


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_blocks_drawn_one_by_one(cell):
    kind, blocks = CELLS[cell]
    H, D = 6, 3
    glorot = init_params(D, H, 2, scheme="glorot", seed=1, cell=cell)
    for name in blocks:
        assert np.abs(glorot.block(name, "W_x")).max() <= np.sqrt(6 / (H + D))  # fans of one block
        assert np.abs(glorot.block(name, "W_s")).max() <= np.sqrt(6 / (2 * H))
    orth = init_params(D, H, 2, scheme="orthogonal", seed=1, cell=cell)
    for name in blocks:
        Q = orth.block(name)
        np.testing.assert_allclose(Q.T @ Q, np.eye(H), atol=1e-12)
    assert not np.allclose(orth.block(blocks[0]), orth.block(blocks[1]))  # each block its own Q
    ident = init_params(D, H, 2, scheme="identity", scale=0.9, seed=1, cell=cell)
    np.testing.assert_array_equal(ident.block("g"), 0.9 * np.eye(H))  # the candidate's block only
    for name in blocks:
        if name != "g":
            np.testing.assert_array_equal(ident.block(name), 0.9 * glorot.block(name))  # gates: as glorot
    np.testing.assert_array_equal(ident.W_x, 0.9 * glorot.W_x)  # W_s's scheme never moves W_x, W_y
    np.testing.assert_array_equal(orth.W_y, glorot.W_y)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_spectral_radius_per_recurrent_block(cell, scheme):
    p = init_params(2, 7, 1, scheme=scheme, spectral_radius=0.8, seed=3, cell=cell)
    for name in CELLS[cell][1]:
        assert np.max(np.abs(np.linalg.eigvals(p.block(name)))) == pytest.approx(0.8, rel=1e-12)


@pytest.mark.parametrize("cell, gate", [("lstm", "f"), ("gru", "z")])
def test_gate_bias(cell, gate):
    p = init_params(2, 4, 1, seed=0, cell=cell)
    np.testing.assert_array_equal(p.block(gate, "b"), np.ones(4))  # default 1.0
    others = [n for n in CELLS[cell][1] if n != gate]
    assert not any(p.block(n, "b").any() for n in others) and not p.b_y.any()
    q = init_params(2, 4, 1, seed=0, cell=cell, gate_bias=-2.5)
    np.testing.assert_array_equal(q.block(gate, "b"), np.full(4, -2.5))
    np.testing.assert_array_equal(q.W_s, p.W_s)
    b = np.arange(len(CELLS[cell][1]) * 4, dtype=float)
    np.testing.assert_array_equal(init_params(2, 4, 1, cell=cell, b=b).b, b)  # an explicit b is taken as it is


@pytest.mark.parametrize("kwargs, message", [
    (dict(cell="rnn"), "unknown cell 'rnn'"),
    (dict(cell=None), "unknown cell"),
    (dict(gate_bias=1.0), "gate_bias is only for the gated cells"),
    (dict(cell="lstm", gate_bias=1.0, b=np.zeros(8)), "b or gate_bias"),
    (dict(cell="lstm", gate_bias=np.nan), "gate_bias must be a finite number"),
    (dict(cell="lstm", W_s=np.ones((2, 2))), r"W_s must have shape \(4H, H\) = \(8, 2\)"),
    (dict(cell="gru", W_x=np.ones((2, 2))), r"W_x must have shape \(3H, D\) = \(6, 2\)"),
    (dict(cell="gru", b=np.ones(2)), r"b must have shape \(3H,\) = \(6,\)"),
    (dict(cell="lstm", scale=0.0, spectral_radius=1.0), "W_si .*spectral radius 0"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        init_params(2, 2, 1, **kwargs)
