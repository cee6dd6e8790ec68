"""Every bad input to the engine raises ValueError, and the message names the field at fault."""
from __future__ import annotations

import re

import numpy as np
import pytest

from rnn_engine import Params, backward, forward, gradcheck

N, B, D, H, K = 3, 2, 2, 4, 3
RNG = np.random.default_rng(0)
GOOD = {
    "W_x": RNG.normal(size=(H, D)),
    "W_s": RNG.normal(size=(H, H)),
    "b": RNG.normal(size=H),
    "W_y": RNG.normal(size=(K, H)),
    "b_y": RNG.normal(size=K),
}
X = RNG.normal(size=(N, B, D))  # (N, B, D)
S0 = RNG.normal(size=(B, H))  # (B, H)
T_LAST = RNG.uniform(size=(B, K))  # (B, K)
T_ALL = RNG.uniform(size=(N, B, K))  # (N, B, K)


def params(**changes) -> Params:
    return Params(**{**GOOD, **changes})


FIELDS = ("W_x", "W_s", "b", "W_y", "b_y", "x", "s0", "target", "activation", "output", "loss", "readout",
          "truncate", "params", "sample", "eps")


def named_fields(message: str) -> list[str]:
    """The field names a message mentions as words, in order."""
    found = [(m.start(), f) for f in FIELDS for m in re.finditer(rf"(?<![\w']){re.escape(f)}(?![\w'])", message)]
    return [f for _, f in sorted(found)]


def raises_naming(field: str, call, first: bool = True):
    """call() raises ValueError whose message names `field` (first of all fields, unless first=False)."""
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    named = named_fields(message)
    assert field in named, f"{field!r} not named in: {message}"
    assert not first or named[0] == field, f"{field!r} is not the first field named in: {message}"


def with_value(arr: np.ndarray, value: float) -> np.ndarray:
    out = np.array(arr, dtype=float)
    out.flat[out.size // 2] = value
    return out


# Params ----------------------------------------------------------------------------------

WRONG_SHAPES = [
    ("W_x", np.zeros(H)),  # 1-D
    ("W_x", np.zeros((1, H, D))),  # 3-D
    ("W_x", np.zeros((0, D))),  # no hidden units
    ("W_x", np.zeros((H, 0))),  # no inputs
    ("W_s", np.zeros((H, H + 1))),
    ("W_s", np.zeros((H + 1, H + 1))),
    ("W_s", np.zeros(H)),
    ("b", np.zeros(H + 1)),
    ("b", np.zeros((H, 1))),
    ("b", 0.0),
    ("W_y", np.zeros((K, H + 1))),
    ("W_y", np.zeros(H)),
    ("W_y", np.zeros((0, H))),  # no outputs
    ("b_y", np.zeros(K + 1)),
    ("b_y", np.zeros((1, K))),
    ("W_x", "not numbers"),
    ("W_s", [[1.0, 2.0], [3.0]]),  # ragged
    ("W_x", None),  # would read as NaN
    ("b", [1.0, None, 2.0, 3.0]),
    ("W_s", np.eye(H) * (1 + 1j)),  # the imaginary part would be dropped
]


@pytest.mark.parametrize("field, value", WRONG_SHAPES, ids=[f"{f}-{i}" for i, (f, _) in enumerate(WRONG_SHAPES)])
def test_params_of_wrong_shape(field, value):
    raises_naming(field, lambda: params(**{field: value}))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("field", list(GOOD))
def test_params_not_finite(field, value):
    raises_naming(field, lambda: params(**{field: with_value(GOOD[field], value)}))


def test_params_missing_from_dict():
    raises_naming("W_s", lambda: Params.from_dict({n: v for n, v in GOOD.items() if n != "W_s"}))


# x and s0 --------------------------------------------------------------------------------

BAD_X = {
    "2-D": X[0],
    "4-D": X[None],
    "wrong D": np.zeros((N, B, D + 1)),
    "no steps": np.zeros((0, B, D)),
    "no samples": np.zeros((N, 0, D)),
    "nan": with_value(X, np.nan),
    "inf": with_value(X, np.inf),
    "-inf": with_value(X, -np.inf),
    "text": "x",
    "complex": X + 1j,
    "None": None,
}


@pytest.mark.parametrize("name", list(BAD_X))
def test_bad_x(name):
    raises_naming("x", lambda: forward(params(), BAD_X[name]))


BAD_S0 = {
    "1-D": S0[0],
    "wrong B": np.zeros((B + 1, H)),
    "wrong H": np.zeros((B, H + 1)),
    "3-D": S0[None],
    "nan": with_value(S0, np.nan),
    "inf": with_value(S0, np.inf),
}


@pytest.mark.parametrize("name", list(BAD_S0))
def test_bad_s0(name):
    raises_naming("s0", lambda: forward(params(), X, s0=BAD_S0[name]))


# target ------------------------------------------------------------------------------------

BAD_TARGETS = {
    ("last", "all-shaped"): T_ALL,
    ("last", "wrong K"): np.zeros((B, K + 1)),
    ("last", "wrong B"): np.zeros((B + 1, K)),
    ("last", "1-D"): np.zeros(K),
    ("last", "nan"): with_value(T_LAST, np.nan),
    ("last", "inf"): with_value(T_LAST, np.inf),
    ("all", "last-shaped"): T_LAST,
    ("all", "wrong N"): np.zeros((N + 1, B, K)),
    ("all", "wrong K"): np.zeros((N, B, K - 1)),
    ("all", "nan"): with_value(T_ALL, np.nan),
    ("all", "-inf"): with_value(T_ALL, -np.inf),
}


@pytest.mark.parametrize("readout, name", list(BAD_TARGETS))
def test_bad_target(readout, name):
    trace = forward(params(), X, s0=S0)
    raises_naming("target", lambda: backward(params(), trace, BAD_TARGETS[readout, name], readout=readout))


# names and truncate --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["softplus", "Tanh", "", None, ["tanh"], 1])
def test_unknown_activation(value):
    raises_naming("activation", lambda: forward(params(), X, activation=value))


@pytest.mark.parametrize("value", ["tanh", "Softmax", None])
def test_unknown_output(value):
    raises_naming("output", lambda: forward(params(), X, output=value))


@pytest.mark.parametrize("value", ["nll", "SSE", None])
def test_unknown_loss(value):
    trace = forward(params(), X)
    raises_naming("loss", lambda: backward(params(), trace, T_LAST, loss=value))


@pytest.mark.parametrize("value", ["first", "Last", None])
def test_unknown_readout(value):
    trace = forward(params(), X)
    raises_naming("readout", lambda: backward(params(), trace, T_LAST, readout=value))


@pytest.mark.parametrize("loss", ["bce", "ce"])
def test_cross_entropy_needs_bounded_output(loss):
    trace = forward(params(), X, output="linear")
    raises_naming("loss", lambda: backward(params(), trace, T_LAST, loss=loss))
    raises_naming("output", lambda: backward(params(), trace, T_LAST, loss=loss), first=False)


def test_bce_with_a_single_softmax_output():
    """softmax over K = 1 outputs is y = 1, so log(1 - y) = -inf: refused rather than returning inf."""
    p = params(W_y=GOOD["W_y"][:1], b_y=GOOD["b_y"][:1])
    trace = forward(p, X, output="softmax")
    raises_naming("loss", lambda: backward(p, trace, T_LAST[:, :1], loss="bce"))


@pytest.mark.parametrize("value", [0, -1, 1.5, True, False, "2", np.float64(2.0)])
@pytest.mark.parametrize("readout", ["last", "all"])
def test_bad_truncate(value, readout):
    trace = forward(params(), X)
    target = T_LAST if readout == "last" else T_ALL
    raises_naming("truncate", lambda: backward(params(), trace, target, readout=readout, truncate=value))


@pytest.mark.parametrize("value", [2, np.int64(2), N, N + 5, None])
def test_good_truncate(value):
    trace = forward(params(), X)
    assert np.isfinite(backward(params(), trace, T_LAST, truncate=value).loss)


# backward and gradcheck arguments ------------------------------------------------------------


def test_params_from_another_network():
    trace = forward(params(), X)
    other = params(W_x=GOOD["W_x"][:2], W_s=GOOD["W_s"][:2, :2], b=GOOD["b"][:2], W_y=GOOD["W_y"][:, :2])
    raises_naming("params", lambda: backward(other, trace, T_LAST))


@pytest.mark.parametrize("sample", [-1, B, B + 3, "0", 0.5, True, None])
def test_jacobian_sample_out_of_range(sample):
    trace = forward(params(), X)
    raises_naming("sample", lambda: backward(params(), trace, T_LAST, jacobians=True, sample=sample))


@pytest.mark.parametrize("eps", [0.0, -1e-6, np.nan, np.inf, "1e-6"])
def test_gradcheck_bad_eps(eps):
    raises_naming("eps", lambda: gradcheck(params(), X, T_LAST, eps=eps))


def test_gradcheck_bad_inputs_are_named():
    raises_naming("x", lambda: gradcheck(params(), with_value(X, np.nan), T_LAST))
    raises_naming("target", lambda: gradcheck(params(), X, T_ALL))
    raises_naming("truncate", lambda: gradcheck(params(), X, T_LAST, truncate=0))
    raises_naming("s0", lambda: gradcheck(params(), X, T_LAST, s0=S0[:1]))


@pytest.mark.parametrize("bad", ["W", {"W_x": 1}, None])
def test_not_params_or_not_a_trace(bad):
    raises_naming("params", lambda: forward(bad, X))
    raises_naming("params", lambda: backward(bad, forward(params(), X), T_LAST))
    with pytest.raises(ValueError, match=r"^trace must be the Trace"):
        backward(params(), bad, T_LAST)


@pytest.mark.parametrize("loss, output", [("bce", "sigmoid"), ("bce", "softmax"), ("ce", "softmax"), ("ce", "sigmoid")])
@pytest.mark.parametrize("value", [-0.5, 1.5, 5.0])
def test_cross_entropy_targets_outside_0_1(loss, output, value):
    trace = forward(params(), X, output=output)
    with pytest.raises(ValueError, match=rf"loss '{loss}' needs targets between 0 and 1.*holds {value:g}"):
        backward(params(), trace, with_value(T_LAST, value), loss=loss)


def test_squared_losses_take_any_finite_target():
    trace = forward(params(), X, output="linear")
    assert np.isfinite(backward(params(), trace, 5.0 + T_LAST, loss="mse").loss)


# loss_value and learning_rate ------------------------------------------------------------------

@pytest.mark.parametrize("readout, target", [("last", np.zeros((B + 1, K))), ("last", np.zeros((1, 1))),
                                             ("last", with_value(T_LAST, np.nan)), ("all", T_LAST),
                                             ("last", "a")])
def test_loss_value_checks_its_target(readout, target):
    from rnn_engine import loss_value

    raises_naming("target", lambda: loss_value(params(), X, target, readout=readout))


def test_loss_value_checks_readout_and_target_range():
    from rnn_engine import loss_value

    raises_naming("readout", lambda: loss_value(params(), X, T_LAST, readout="first"))
    with pytest.raises(ValueError, match="between 0 and 1"):
        loss_value(params(), X, T_LAST + 1.0, output="sigmoid", loss="bce")
    assert loss_value(params(), X, T_LAST) == backward(params(), forward(params(), X), T_LAST).loss


@pytest.mark.parametrize("kwargs, field", [
    (dict(base=-1.0), "learning rate"), (dict(base=np.nan), "learning rate"), (dict(base="0.1"), "learning rate"),
    (dict(t=-1), "t"), (dict(t=1.0), "t"),
    (dict(schedule="step", factor=0.0), "factor"), (dict(schedule="step", step_every=0), "step_every"),
    (dict(schedule="exponential", decay=-0.5), "decay"), (dict(schedule="cosine"), "schedule"),
])
def test_learning_rate_bad_arguments(kwargs, field):
    from rnn_engine import learning_rate

    args = {"t": 3, "base": 0.1, **kwargs}
    with pytest.raises(ValueError, match=rf"\b{field}\b"):
        learning_rate(**args)
