"""Properties over random configurations of every cell (hypothesis): gradients, determinism, purity, shapes."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rnn_engine import ACTIVATIONS, LOSSES, OUTPUTS, READOUTS, backward, forward, gradcheck
from rnn_engine.params import PARAM_NAMES, PARAMS_TYPES, CellParams

SETTINGS = settings(max_examples=60, deadline=None, database=None)  # about 20 per cell


@dataclass(frozen=True)
class Case:
    params: CellParams
    x: np.ndarray  # (N, B, D)
    target: np.ndarray  # (B, K) or (N, B, K)
    s0: np.ndarray | None  # (B, H)
    c0: np.ndarray | None  # (B, H), LSTM only
    activation: str
    output: str
    loss: str
    readout: str
    truncate: int | None

    def run(self, **kw):
        trace = forward(self.params, self.x, self.activation, self.output, self.s0, self.c0)
        return trace, backward(self.params, trace, self.target, self.loss, self.readout, self.truncate, **kw)


@st.composite
def cases(draw) -> Case:
    cell = draw(st.sampled_from(sorted(PARAMS_TYPES)))
    kind = PARAMS_TYPES[cell]
    N, B, D = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, K = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    output = draw(st.sampled_from(OUTPUTS))
    loss = draw(st.sampled_from([ls for ls in LOSSES if output != "linear" or ls in ("sse", "mse")]))
    if loss == "bce" and output == "softmax":
        K = max(K, 2)  # with K = 1 softmax is y = 1 and log(1 - y) = -inf
    readout = draw(st.sampled_from(READOUTS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    G = len(kind.blocks)
    params = kind(rng.normal(scale=1 / np.sqrt(D), size=(G * H, D)), rng.normal(scale=1 / np.sqrt(H), size=(G * H, H)),
                  rng.normal(scale=0.3, size=G * H), rng.normal(scale=1 / np.sqrt(H), size=(K, H)),
                  rng.normal(scale=0.3, size=K))
    given_states = draw(st.booleans())
    return Case(
        params=params, x=rng.normal(size=(N, B, D)),
        target=rng.uniform(size=(B, K) if readout == "last" else (N, B, K)),
        s0=rng.normal(scale=0.5, size=(B, H)) if given_states else None,
        c0=rng.normal(scale=0.5, size=(B, H)) if given_states and cell == "lstm" else None,
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))), output=output, loss=loss, readout=readout,
        truncate=draw(st.none() | st.integers(1, N + 1)),
    )


@SETTINGS
@given(cases())
def test_gradients_match_finite_differences(c: Case):
    trace, res = c.run()
    kinks = [trace.a] + ([] if trace.c is None else [trace.c[1:]])
    assume(all(np.abs(v).min() > 1e-3 for v in kinks) and np.abs(trace.a).max() < 4 and np.abs(trace.z).max() < 8)
    floor = 1e-4 * max(abs(res.loss), 1.0)  # the finite differences' rounding floor, as in test_properties.py
    assume(all(not g.any() or np.linalg.norm(g) > floor for _, g in res.grads.items()))
    errors = gradcheck(c.params, c.x, c.target, c.activation, c.output, c.loss, c.readout, c.truncate, c.s0,
                       eps=1e-5, c0=c.c0)
    assert max(errors.values()) < 1e-5, errors


def arrays_of(trace, res) -> dict[str, np.ndarray]:
    out = {f"trace.{f.name}": getattr(trace, f.name) for f in fields(trace) if isinstance(getattr(trace, f.name), np.ndarray)}
    out.update({f"grads.{n}": v for n, v in res.grads.items()})
    for f in fields(res.log):
        value = getattr(res.log, f.name)
        if isinstance(value, np.ndarray):
            out[f"log.{f.name}"] = value
        elif isinstance(value, dict):
            out.update({f"log.{f.name}.{k}": v for k, v in value.items()})
    out["s0_grad"], out["loss"] = res.s0_grad, np.array(res.loss)
    if res.c0_grad is not None:
        out["c0_grad"] = res.c0_grad
    return out


@SETTINGS
@given(cases())
def test_deterministic_bit_for_bit(c: Case):
    first, second = arrays_of(*c.run(jacobians=True, itemized=True)), arrays_of(*c.run(jacobians=True, itemized=True))
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].dtype == second[name].dtype and first[name].tobytes() == second[name].tobytes(), name


@SETTINGS
@given(cases())
def test_forward_and_backward_mutate_nothing(c: Case):
    inputs = {"x": c.x, "target": c.target, "s0": c.s0, "c0": c.c0, **dict(c.params.items())}
    before = {n: None if v is None else v.copy() for n, v in inputs.items()}
    trace = forward(c.params, c.x, c.activation, c.output, c.s0, c.c0)
    trace_before = {f.name: np.copy(getattr(trace, f.name)) for f in fields(trace)}
    backward(c.params, trace, c.target, c.loss, c.readout, c.truncate, jacobians=True, itemized=True)
    for name, value in inputs.items():
        assert (value is None and before[name] is None) or np.array_equal(value, before[name]), name
    for name, value in trace_before.items():
        assert np.array_equal(getattr(trace, name), value), name
    for _, value in c.params.items():
        assert not value.flags.writeable


@SETTINGS
@given(cases())
def test_shapes_follow_the_contract(c: Case):
    N, B, D = c.x.shape
    H, K, G = c.params.H, c.params.K, c.params.G
    trace, res = c.run(jacobians=True, itemized=True)
    assert (trace.x.shape, trace.a.shape, trace.s.shape) == ((N, B, D), (N, B, H), (N + 1, B, H))
    assert trace.z.shape == trace.y.shape == (N, B, K) and trace.cell == c.params.cell
    lstm, gated = c.params.cell == "lstm", c.params.cell != "elman"
    assert (trace.c is not None) == lstm and (trace.c is None or trace.c.shape == (N + 1, B, H))
    assert (trace.gates is not None) == gated and (not gated or trace.gates.shape == trace.preact.shape == (N, B, G * H))
    assert type(res.grads) is type(c.params)
    for name in PARAM_NAMES:
        g, p = getattr(res.grads, name), getattr(c.params, name)
        assert g.shape == p.shape and g.dtype == np.float64, name
    assert res.state_grad_norms.shape == (N,) and res.s0_grad.shape == (B, H)
    assert (res.c0_grad is not None) == lstm and (res.c0_grad is None or res.c0_grad.shape == (B, H))
    log = res.log
    for name in ("state_grad", "preact_grad", "W_s_contrib", "W_x_contrib", "b_contrib", "jacobian_norms"):
        assert getattr(log, name).shape == (N,), name
    assert log.product_norms.shape == (N + 1,) and log.unit_grad.shape == (N, H) and log.itemized.shape == (N, N)
    assert (log.cell_grad is not None) == lstm
    assert (log.direct_norms is not None) == gated and (log.block_grad is None or log.block_grad.shape == (N, G))
    assert not np.triu(log.itemized, 1).any()  # zero where n > m
    for value in arrays_of(trace, res).values():
        assert value.dtype == np.float64
