"""The gated cells in words, written once for every page: what each gate block does, which gate keeps the memory.

    LSTM  blocks i, f, g, o:  c(n) = f(n) * c(n-1) + i(n) * g(n),   s(n) = o(n) * phi(c(n))
    GRU   blocks r, z, g:     s(n) = z(n) * s(n-1) + (1 - z(n)) * g(n),   g = phi(W_xg x + b_g + r * (W_sg s(n-1)))

The block order is the engine's (PyTorch's): LSTMParams.blocks, GRUParams.blocks.
"""
from __future__ import annotations

from rnn_engine import GRUParams, LSTMParams

BLOCKS = {"lstm": LSTMParams.blocks, "gru": GRUParams.blocks}  # ('i', 'f', 'g', 'o'), ('r', 'z', 'g')
KEEP = {"lstm": ("f", "forget gate"), "gru": ("z", "update gate")}  # the gate whose direct term keeps the gradient
STATE = {"lstm": "(s, c)", "gru": "s"}  # what the full state Jacobian J(n) acts on
NAMES = {  # gate block -> its name
    "lstm": {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate"},
    "gru": {"r": "reset gate", "z": "update gate", "g": "candidate"},
}
ROLES = {  # gate block -> what it does, in one line
    "lstm": {
        "i": "how much of the candidate g(n) is written into the cell state c(n)",
        "f": "how much of c(n−1) the cell state keeps: f = 1 keeps it, and its gradient, unchanged",
        "g": "the new content φ(a_g(n)) that may be written into c(n)",
        "o": "how much of φ(c(n)) is shown as the state s(n), which is read out and fed back",
    },
    "gru": {
        "r": "how much of s(n−1) the candidate sees: g(n) = φ(W_xg x(n) + b_g + r ⊙ (W_sg s(n−1)))",
        "z": "how much of s(n−1) the state keeps: z = 1 keeps it, and its gradient, unchanged",
        "g": "the new state the cell proposes; it enters s(n) with the weight 1 − z(n)",
    },
}

