"""Bad input to the gated cells: a ValueError that names the cell and its gate blocks, never a traceback."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_engine import GRUParams, LSTMParams, Params, backward, forward, gradcheck
from rnn_engine.optim import init_opt_state, step

RNG = np.random.default_rng(0)
N, B, D, H, K = 3, 2, 2, 16, 3
X = RNG.normal(size=(N, B, D))
T = RNG.uniform(size=(B, K))


def good(kind, G):
    return dict(W_x=RNG.normal(size=(G * H, D)), W_s=RNG.normal(size=(G * H, H)) / 4, b=np.zeros(G * H),
                W_y=RNG.normal(size=(K, H)), b_y=np.zeros(K))


LSTM, GRU = good(LSTMParams, 4), good(GRUParams, 3)


@pytest.mark.parametrize("kind, arrays, field, value, message", [
    (LSTMParams, LSTM, "W_x", np.zeros((H, D)),
     r"W_x must have shape \(4H, D\) = \(64, 2\) for an LSTM: four gate blocks i, f, g, o"),
    (LSTMParams, LSTM, "W_s", np.zeros((H, H)), r"W_s must have shape \(4H, H\) for an LSTM: four gate blocks i, f, g, o"),
    (LSTMParams, LSTM, "b", np.zeros(H), r"b must have shape \(4H,\) = \(64,\) for an LSTM: four gate blocks"),
    (LSTMParams, LSTM, "W_y", np.zeros((K, 4 * H)), r"W_y must have shape \(K, H\) with H = 16"),
    (GRUParams, GRU, "W_x", np.zeros((4 * H, D)), r"W_x must have shape \(3H, D\) = \(48, 2\) for a GRU: three gate blocks r, z, g"),
    (GRUParams, GRU, "W_s", np.zeros((3 * H, H + 1)), r"W_s must have shape \(3H, H\) for a GRU"),
    (GRUParams, GRU, "b", np.zeros(4 * H), r"b must have shape \(3H,\) = \(48,\) for a GRU"),
    (GRUParams, GRU, "b_y", np.zeros(K + 1), r"b_y must have shape"),
    (GRUParams, GRU, "W_s", np.full((3 * H, H), np.nan), r"W_s contains a NaN"),
])
def test_params_of_wrong_shape(kind, arrays, field, value, message):
    with pytest.raises(ValueError, match=message):
        kind(**{**arrays, field: value})


def test_c0_is_only_for_the_lstm():
    for p in (GRUParams(**GRU), Params(np.ones((H, D)), np.eye(H), np.zeros(H), np.ones((K, H)), np.zeros(K))):
        with pytest.raises(ValueError, match="c0 is only for the LSTM"):
            forward(p, X, c0=np.zeros((B, H)))
        with pytest.raises(ValueError, match="c0 is only for the LSTM"):
            gradcheck(p, X, T, c0=np.zeros((B, H)))


@pytest.mark.parametrize("c0, message", [(np.zeros((B + 1, H)), r"c0 must have shape \(B, H\) = \(2, 16\)"),
                                         (np.full((B, H), np.inf), "c0 contains a infinite"),
                                         ("c", "c0 must be an array of numbers")])
def test_bad_c0(c0, message):
    with pytest.raises(ValueError, match=message):
        forward(LSTMParams(**LSTM), X, c0=c0)


def test_trace_of_another_cell():
    lstm, gru = LSTMParams(**LSTM), GRUParams(**GRU)
    with pytest.raises(ValueError, match="params and trace do not belong together: the params are a GRU's but the "
                                         "trace was made by an LSTM"):
        backward(gru, forward(lstm, X), T)
    elman = Params(np.ones((H, D)), np.eye(H) / 4, np.zeros(H), np.ones((K, H)), np.zeros(K))
    with pytest.raises(ValueError, match="the params are an LSTM's but the trace was made by the Elman cell"):
        backward(lstm, forward(elman, X), T)


def test_params_of_another_size_of_the_same_cell():
    small = LSTMParams(LSTM["W_x"][: 4 * 2], LSTM["W_s"][: 4 * 2, :2], np.zeros(8), LSTM["W_y"][:, :2], np.zeros(K))
    with pytest.raises(ValueError, match="params and trace do not belong together"):
        backward(small, forward(LSTMParams(**LSTM), X), T)


def test_gradients_of_another_cell_are_refused_by_the_optimiser():
    lstm = LSTMParams(**LSTM)
    wrong = GRUParams(**GRU)
    with pytest.raises(ValueError, match="grads must be of the params' type, LSTMParams; got GRUParams"):
        step(lstm, wrong, init_opt_state(lstm), 0.1)


def test_gate_of_a_cell_without_it():
    trace = forward(GRUParams(**GRU), X)
    with pytest.raises(ValueError, match="the gru trace has no gate 'f'; its gates are r, z, g"):
        trace.gate("f")
    elman = Params(np.ones((H, D)), np.eye(H) / 4, np.zeros(H), np.ones((K, H)), np.zeros(K))
    with pytest.raises(ValueError, match="the elman trace has no gate 'f'"):
        forward(elman, X).gate("f")
