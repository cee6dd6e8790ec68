"""The gated cells against PyTorch's torch.nn.LSTM and torch.nn.GRU (float64), without torch: the reference
outputs and gradients are stored in tests/data/torch_reference.json by tests/data/make_torch_reference.py."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnn_engine import GRUParams, LSTMParams, backward, forward

REFERENCE = json.loads((Path(__file__).parent / "data" / "torch_reference.json").read_text())
CASES = REFERENCE["cases"]
TOL = dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['cell']}-{c['readout']}" for c in CASES])
def test_forward_states_and_gradients_agree_with_pytorch(case):
    kind = LSTMParams if case["cell"] == "lstm" else GRUParams
    params = kind(*(np.array(case[n]) for n in ("W_x", "W_s", "b", "W_y", "b_y")))
    c0 = np.array(case["c0"]) if case["cell"] == "lstm" else None
    trace = forward(params, np.array(case["x"]), "tanh", "sigmoid", s0=np.array(case["s0"]), c0=c0)
    np.testing.assert_allclose(trace.s[1:], case["s"], **TOL)  # forward pass went well
    if c0 is not None:
        np.testing.assert_allclose(trace.c[1:], case["c"], **TOL)
    res = backward(params, trace, np.array(case["target"]), "sse", case["readout"])
    assert res.loss == pytest.approx(case["loss"], rel=1e-12)
    for name in ("W_x", "W_s", "b", "W_y", "b_y"):  # backward pass went well
        np.testing.assert_allclose(getattr(res.grads, name), case[f"grad_{name}"], err_msg=name, **TOL)
    np.testing.assert_allclose(res.s0_grad, case["grad_s0"], **TOL)
    if c0 is not None:
        np.testing.assert_allclose(res.c0_grad, case["grad_c0"], **TOL)
    else:
        assert res.c0_grad is None


def test_the_reference_covers_both_cells_and_both_readouts():
    assert {(c["cell"], c["readout"]) for c in CASES} == {(c, r) for c in ("lstm", "gru") for r in ("last", "all")}
