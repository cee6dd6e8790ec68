"""The parameters of a recurrent layer with a read-out, in the lecture's symbols.

    a(n) = W_x x(n) + W_s s(n-1) + b        (H,D) (H,H) (H,)
    y(n) = g(W_y s(n) + b_y)                (K,H) (K,)
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from rnn_engine.checks import as_matrix, as_vector

PARAM_NAMES = ("W_x", "W_s", "b", "W_y", "b_y")


@dataclass(frozen=True, eq=False)
class Params:
    """theta = (W_x, W_s, b, W_y, b_y); also used to hold dL/dtheta."""

    W_x: np.ndarray  # (H, D)
    W_s: np.ndarray  # (H, H)
    b: np.ndarray  # (H,)
    W_y: np.ndarray  # (K, H)
    b_y: np.ndarray  # (K,)

    def __post_init__(self):
        W_x = as_matrix(self.W_x, "W_x")
        H, D = W_x.shape
        W_s = as_matrix(self.W_s, "W_s", shape=(H, H), meaning="(H, H) with H = rows of W_x")
        b = as_vector(self.b, "b", length=H, meaning="(H,) with H = rows of W_x")
        W_y = as_matrix(self.W_y, "W_y")
        if W_y.shape[1] != H:
            raise ValueError(
                f"W_y must have shape (K, H) with H = {H} (the rows of W_x); got {W_y.shape}."
            )
        b_y = as_vector(self.b_y, "b_y", length=W_y.shape[0], meaning="(K,) with K = rows of W_y")
        for name, value in zip(PARAM_NAMES, (W_x, W_s, b, W_y, b_y), strict=True):
            value.flags.writeable = False  # never changed behind the caller's back
            object.__setattr__(self, name, value)

    # sizes ---------------------------------------------------------------
    @property
    def H(self) -> int:
        """Hidden size."""
        return self.W_s.shape[0]

    @property
    def D(self) -> int:
        """Input size."""
        return self.W_x.shape[1]

    @property
    def K(self) -> int:
        """Output size."""
        return self.W_y.shape[0]

    # helpers for optimisers and checks -----------------------------------
    def items(self):
        """(name, array) pairs in the order W_x, W_s, b, W_y, b_y."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def map(self, fn, *others: Params) -> Params:
        """Params(fn(p, o1, ...)) applied field by field."""
        return Params(
            *(fn(getattr(self, n), *(getattr(o, n) for o in others)) for n in PARAM_NAMES)
        )

    def replace(self, **changes) -> Params:
        """A copy with some fields replaced."""
        values = {n: getattr(self, n) for n in PARAM_NAMES}
        values.update(changes)
        return Params(**values)

    def norm(self) -> float:
        """Global Euclidean norm sqrt(sum over all entries of theta^2)."""
        return float(np.sqrt(sum(float(np.vdot(v, v)) for _, v in self.items())))

    def is_finite(self) -> bool:
        return all(bool(np.isfinite(v).all()) for _, v in self.items())

    def to_dict(self) -> dict:
        """Nested lists, for JSON."""
        return {n: v.tolist() for n, v in self.items()}

    @staticmethod
    def unchecked(*arrays) -> Params:
        """Params(W_x, W_s, b, W_y, b_y) without the shape and finiteness checks.

        For gradients and optimiser states, which may legitimately be non-finite when a run
        explodes; the arrays are made read-only as in the checked constructor.
        """
        p = object.__new__(Params)
        for name, value in zip(PARAM_NAMES, arrays, strict=True):
            value = np.array(value, dtype=np.float64)
            value.flags.writeable = False
            object.__setattr__(p, name, value)
        return p

    @staticmethod
    def from_dict(d: dict) -> Params:
        missing = [n for n in PARAM_NAMES if n not in d]
        if missing:
            raise ValueError(f"parameters are missing {', '.join(missing)}.")
        return Params(**{n: d[n] for n in PARAM_NAMES})

    def __eq__(self, other) -> bool:
        return isinstance(other, Params) and all(
            np.array_equal(a, getattr(other, n)) for n, a in self.items()
        )

    __hash__ = None
