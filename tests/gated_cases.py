"""Small LSTM and GRU problems for the gated-cell tests, away from relu's kink and from saturation."""
from __future__ import annotations

import numpy as np

from rnn_engine import GRUParams, LSTMParams, forward

GATED = {"lstm": LSTMParams, "gru": GRUParams}
N, B, D, H, K = 4, 3, 2, 3, 3
KINK = 1e-3  # every |a| (and the LSTM's |c|) stays this far from relu's kink, far beyond the eps perturbations


def make_case(cell, seed, activation="tanh", readout="last", random_s0=True, sizes=(N, B, D, H, K)):
    """(params, x, target, s0, c0): c0 is None for the GRU, or when random_s0 is False."""
    N_, B_, D_, H_, K_ = sizes
    kind = GATED[cell]
    G = len(kind.blocks)
    for attempt in range(200):
        rng = np.random.default_rng([seed, attempt])
        params = kind(
            W_x=rng.normal(scale=0.8, size=(G * H_, D_)),  # (G*H, D)
            W_s=rng.normal(scale=0.6, size=(G * H_, H_)),  # (G*H, H)
            b=rng.normal(scale=0.5, size=G * H_),  # (G*H,)
            W_y=rng.normal(scale=0.8, size=(K_, H_)),  # (K, H)
            b_y=rng.normal(scale=0.5, size=K_),  # (K,)
        )
        x = rng.normal(size=(N_, B_, D_))  # (N, B, D)
        s0 = rng.normal(scale=0.5, size=(B_, H_)) if random_s0 else None  # (B, H)
        c0 = rng.normal(scale=0.5, size=(B_, H_)) if random_s0 and cell == "lstm" else None  # (B, H)
        target = rng.uniform(size=(B_, K_) if readout == "last" else (N_, B_, K_))
        trace = forward(params, x, activation, "linear", s0, c0)
        far = np.abs(trace.a).min() > KINK and (trace.c is None or np.abs(trace.c[1:]).min() > KINK)
        if far and np.abs(trace.z).max() < 4:
            return params, x, target, s0, c0
    raise AssertionError("no case away from the kink")


def seed_of(*names) -> int:
    return sum(ord(c) * (i + 1) for i, c in enumerate("".join(map(str, names)))) % 10_000
