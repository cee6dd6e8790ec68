"""Write tests/data/torch_reference.json: torch.nn.LSTM / torch.nn.GRU (float64) outputs and gradients for a
few small fixed weights and inputs, the independent reference tests/test_gated_torch.py checks the engine
against without torch.

    python tests/data/make_torch_reference.py        (needs torch; pip install torch==2.13.0)

Each case: weights W_x = weight_ih_l0, W_s = weight_hh_l0, b = bias_ih_l0 (bias_hh_l0 = 0), a read-out
y(n) = sigmoid(W_y s(n) + b_y), x, s0 (and c0), a target and L = sum (y - t)^2 over the steps read out
(the engine's loss "sse", output "sigmoid"). Stored: the states s(1..N) (and c(1..N)), L, and dL/d of every
weight, of s0 and of c0. Nothing here imports the engine.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("torch_reference.json")
CASES = [  # cell, N, B, D, H, K, readout, seed
    ("lstm", 5, 3, 2, 4, 2, "last", 0),
    ("lstm", 6, 2, 3, 3, 2, "all", 1),
    ("gru", 5, 3, 2, 4, 2, "last", 2),
    ("gru", 6, 2, 3, 3, 2, "all", 3),
]


def case(cell, N, B, D, H, K, readout, seed) -> dict:
    rng = np.random.default_rng(seed)
    G = 4 if cell == "lstm" else 3
    w = {"W_x": rng.normal(scale=0.7, size=(G * H, D)), "W_s": rng.normal(scale=0.6, size=(G * H, H)),
         "b": rng.normal(scale=0.5, size=G * H), "W_y": rng.normal(scale=0.8, size=(K, H)),
         "b_y": rng.normal(scale=0.3, size=K)}
    x = rng.normal(size=(N, B, D))
    s0 = rng.normal(scale=0.5, size=(B, H))
    c0 = rng.normal(scale=0.5, size=(B, H))
    target = rng.uniform(size=(B, K) if readout == "last" else (N, B, K))

    net = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(D, H).double()
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.tensor(w["W_x"]))
        net.weight_hh_l0.copy_(torch.tensor(w["W_s"]))
        net.bias_ih_l0.copy_(torch.tensor(w["b"]))
        net.bias_hh_l0.zero_()
    W_y = torch.tensor(w["W_y"], requires_grad=True)
    b_y = torch.tensor(w["b_y"], requires_grad=True)
    h0 = torch.tensor(s0[None], requires_grad=True)
    cc0 = torch.tensor(c0[None], requires_grad=True)
    X = torch.tensor(x)
    if cell == "lstm":
        out, _ = net(X, (h0, cc0))
        # c(1..N): the fused module returns only c(N), so step the same module one step at a time
        cs, h, c = [], h0, cc0
        for n in range(N):
            _, (h, c) = net(X[n : n + 1], (h, c))
            cs.append(c[0])
        cells = torch.stack(cs)
    else:
        out, _ = net(X, h0)
    y = torch.sigmoid(out @ W_y.T + b_y)  # (N, B, K)
    y = y[-1] if readout == "last" else y
    L = ((y - torch.tensor(target)) ** 2).sum()
    L.backward()
    result = {
        "cell": cell, "readout": readout, **{k: v.tolist() for k, v in w.items()},
        "x": x.tolist(), "s0": s0.tolist(), "target": target.tolist(),
        "s": out.detach().numpy().tolist(), "loss": float(L.detach()),
        "grad_W_x": net.weight_ih_l0.grad.numpy().tolist(), "grad_W_s": net.weight_hh_l0.grad.numpy().tolist(),
        "grad_b": net.bias_ih_l0.grad.numpy().tolist(), "grad_W_y": W_y.grad.numpy().tolist(),
        "grad_b_y": b_y.grad.numpy().tolist(), "grad_s0": h0.grad[0].numpy().tolist(),
    }
    if cell == "lstm":
        result.update(c0=c0.tolist(), c=cells.detach().numpy().tolist(), grad_c0=cc0.grad[0].numpy().tolist())
    return result


def main():
    torch.set_num_threads(1)
    data = {"torch": torch.__version__, "cases": [case(*c) for c in CASES]}
    OUT.write_text(json.dumps(data, indent=None) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
