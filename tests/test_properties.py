"""Properties over random configurations (hypothesis): gradients, determinism, purity, shapes."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rnn_engine import ACTIVATIONS, LOSSES, OUTPUTS, READOUTS, Params, backward, forward, gradcheck
from rnn_engine.params import PARAM_NAMES

SETTINGS = settings(max_examples=40, deadline=None, database=None)


@dataclass(frozen=True)
class Case:
    params: Params
    x: np.ndarray  # (N, B, D)
    target: np.ndarray  # (B, K) or (N, B, K)
    s0: np.ndarray | None  # (B, H)
    activation: str
    output: str
    loss: str
    readout: str
    truncate: int | None

    @property
    def sizes(self):
        N, B, D = self.x.shape
        return N, B, D, self.params.H, self.params.K


@st.composite
def cases(draw) -> Case:
    N, B, D = draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    H, K = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    output = draw(st.sampled_from(OUTPUTS))
    loss = draw(st.sampled_from([ls for ls in LOSSES if output != "linear" or ls in ("sse", "mse")]))
    if loss == "bce" and output == "softmax":
        K = max(K, 2)  # with K = 1 softmax is y = 1 and log(1 - y) = -inf
    readout = draw(st.sampled_from(READOUTS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    params = Params(
        W_x=rng.normal(scale=1 / np.sqrt(D), size=(H, D)),
        W_s=rng.normal(scale=1 / np.sqrt(H), size=(H, H)),
        b=rng.normal(scale=0.3, size=H),
        W_y=rng.normal(scale=1 / np.sqrt(H), size=(K, H)),
        b_y=rng.normal(scale=0.3, size=K),
    )
    return Case(
        params=params,
        x=rng.normal(size=(N, B, D)),
        target=rng.uniform(size=(B, K) if readout == "last" else (N, B, K)),
        s0=rng.normal(scale=0.5, size=(B, H)) if draw(st.booleans()) else None,
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        output=output,
        loss=loss,
        readout=readout,
        truncate=draw(st.none() | st.integers(1, N + 1)),
    )


def run(c: Case, jacobians=False):
    trace = forward(c.params, c.x, c.activation, c.output, c.s0)
    return trace, backward(c.params, trace, c.target, c.loss, c.readout, c.truncate, jacobians=jacobians)


@SETTINGS
@given(cases())
def test_gradients_match_finite_differences(c: Case):
    trace = forward(c.params, c.x, c.activation, c.output, c.s0)
    # away from relu's kink, and no saturation shrinking a gradient below the finite differences' noise
    assume(np.abs(trace.a).min() > 1e-3 and np.abs(trace.a).max() < 4 and np.abs(trace.z).max() < 8)
    # Rounding limits finite differences to about ulp(L) / eps per entry: a gradient that is not zero
    # but within a few orders of that floor cannot be checked to 1e-5 (eps = 1e-5 keeps the floor low).
    res = backward(c.params, trace, c.target, c.loss, c.readout, c.truncate)
    floor = 1e-4 * max(abs(res.loss), 1.0)
    assume(all(not g.any() or np.linalg.norm(g) > floor for _, g in res.grads.items()))
    errors = gradcheck(c.params, c.x, c.target, c.activation, c.output, c.loss, c.readout, c.truncate, c.s0, eps=1e-5)
    assert max(errors.values()) < 1e-5, errors


def arrays_of(trace, res) -> dict[str, np.ndarray]:
    out = {f"trace.{f.name}": getattr(trace, f.name) for f in fields(trace) if isinstance(getattr(trace, f.name), np.ndarray)}
    out.update({f"grads.{n}": v for n, v in res.grads.items()})
    out.update({f"log.{f.name}": getattr(res.log, f.name) for f in fields(res.log)
                if isinstance(getattr(res.log, f.name), np.ndarray)})
    out["state_grad_norms"], out["s0_grad"], out["loss"] = res.state_grad_norms, res.s0_grad, np.array(res.loss)
    return out


@SETTINGS
@given(cases())
def test_deterministic_bit_for_bit(c: Case):
    first, second = arrays_of(*run(c, jacobians=True)), arrays_of(*run(c, jacobians=True))
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].dtype == second[name].dtype and first[name].tobytes() == second[name].tobytes(), name


@SETTINGS
@given(cases())
def test_forward_and_backward_mutate_nothing(c: Case):
    inputs = {"x": c.x, "target": c.target, "s0": c.s0, **dict(c.params.items())}
    before = {n: None if v is None else v.copy() for n, v in inputs.items()}
    trace = forward(c.params, c.x, c.activation, c.output, c.s0)
    trace_before = {f.name: np.copy(getattr(trace, f.name)) for f in fields(trace)}
    backward(c.params, trace, c.target, c.loss, c.readout, c.truncate, jacobians=True)
    for name, value in inputs.items():
        assert (value is None and before[name] is None) or np.array_equal(value, before[name]), name
    for name, value in trace_before.items():
        assert np.array_equal(getattr(trace, name), value), name
    for _, value in c.params.items():
        assert not value.flags.writeable


@SETTINGS
@given(cases())
def test_shapes_follow_the_contract(c: Case):
    N, B, D, H, K = c.sizes
    trace, res = run(c, jacobians=True)
    assert (trace.x.shape, trace.a.shape, trace.s.shape) == ((N, B, D), (N, B, H), (N + 1, B, H))
    assert trace.z.shape == trace.y.shape == (N, B, K)
    assert isinstance(res.loss, float)
    for name in PARAM_NAMES:
        g, p = getattr(res.grads, name), getattr(c.params, name)
        assert g.shape == p.shape and g.dtype == np.float64, name
    assert res.state_grad_norms.shape == (N,) and res.s0_grad.shape == (B, H)
    for name in ("state_grad", "preact_grad", "W_s_contrib", "W_x_contrib", "b_contrib", "jacobian_norms"):
        assert getattr(res.log, name).shape == (N,), name
    assert res.log.product_norms.shape == (N + 1,)
    for value in arrays_of(trace, res).values():
        assert value.dtype == np.float64
