"""The parameters of a recurrent layer with a read-out, in the lecture's symbols; the params type is the cell.

    Params       the Elman cell   a(n) = W_x x(n) + W_s s(n-1) + b        (H,D)  (H,H)  (H,)
    LSTMParams   the LSTM         the same sum for four gate blocks i, f, g, o  (4H,D) (4H,H) (4H,)
    GRUParams    the GRU          three gate blocks r, z, g                     (3H,D) (3H,H) (3H,)
    every cell   y(n) = g(W_y s(n) + b_y)                                       (K,H)  (K,)

A gate block is a run of H rows: W_x[k*H:(k+1)*H] is block k (PyTorch's layout, so that weights move between
the two unchanged). The helpers (items, map, replace, norm, ...) are written once, in CellParams.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from rnn_engine.checks import as_matrix, as_vector

PARAM_NAMES = ("W_x", "W_s", "b", "W_y", "b_y")


@dataclass(frozen=True, eq=False)
class CellParams:
    """theta = (W_x, W_s, b, W_y, b_y) of one cell; also used to hold dL/dtheta. Use a subclass."""

    W_x: np.ndarray  # (G*H, D)  G = number of gate blocks (1 for the Elman cell)
    W_s: np.ndarray  # (G*H, H)
    b: np.ndarray  # (G*H,)
    W_y: np.ndarray  # (K, H)
    b_y: np.ndarray  # (K,)

    cell: ClassVar[str] = ""  # the name in the registry of cells (rnn_engine.cells.CELLS)
    blocks: ClassVar[tuple[str, ...]] = ()  # gate blocks in row order
    title: ClassVar[str] = ""  # for messages: "an LSTM"

    def __post_init__(self):
        arrays = self._checked()
        for name, value in zip(PARAM_NAMES, arrays, strict=True):
            value.flags.writeable = False  # never changed behind the caller's back
            object.__setattr__(self, name, value)

    def _checked(self) -> tuple[np.ndarray, ...]:
        """The five arrays as finite float64 of matching shapes (the gated cells; Params has its own)."""
        G, words = len(self.blocks), self.block_words()
        W_s = as_matrix(self.W_s, "W_s")
        H = W_s.shape[1]
        if W_s.shape[0] != G * H:
            raise ValueError(f"W_s must have shape ({G}H, H) for {self.title}: {words}; got shape {W_s.shape} "
                             f"({W_s.shape[0]} rows are not {G} x {H}).")
        W_x = as_matrix(self.W_x, "W_x")
        if W_x.shape[0] != G * H:
            raise ValueError(f"W_x must have shape ({G}H, D) = ({G * H}, {W_x.shape[1]}) for {self.title}: {words} "
                             f"(H = {H}, the columns of W_s); got shape {W_x.shape}.")
        b = as_vector(self.b, "b", length=G * H, meaning=f"({G}H,) = ({G * H},) for {self.title}: {words}")
        W_y = as_matrix(self.W_y, "W_y")
        if W_y.shape[1] != H:
            raise ValueError(f"W_y must have shape (K, H) with H = {H} (the columns of W_s); got {W_y.shape}.")
        b_y = as_vector(self.b_y, "b_y", length=W_y.shape[0], meaning="(K,) with K = rows of W_y")
        return W_x, W_s, b, W_y, b_y

    @classmethod
    def block_words(cls) -> str:
        """'four gate blocks i, f, g, o' (for messages)."""
        count = {1: "one", 2: "two", 3: "three", 4: "four"}.get(len(cls.blocks), str(len(cls.blocks)))
        return f"{count} gate blocks {', '.join(cls.blocks)}"

    # sizes ---------------------------------------------------------------
    @property
    def H(self) -> int:
        """Hidden size (state units)."""
        return self.W_s.shape[1]

    @property
    def D(self) -> int:
        """Input size."""
        return self.W_x.shape[1]

    @property
    def K(self) -> int:
        """Output size."""
        return self.W_y.shape[0]

    @property
    def G(self) -> int:
        """Number of gate blocks: 1 (Elman), 4 (LSTM), 3 (GRU)."""
        return len(self.blocks)

    def block(self, name: str, which: str = "W_s") -> np.ndarray:
        """The rows of W_x, W_s or b that belong to gate block `name`, e.g. lstm.block("f", "b") = b_f."""
        k = self.blocks.index(name)
        return getattr(self, which)[k * self.H : (k + 1) * self.H]

    # helpers for optimisers and checks -----------------------------------
    def items(self):
        """(name, array) pairs in the order W_x, W_s, b, W_y, b_y."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def map(self, fn, *others: CellParams) -> CellParams:
        """The same params type holding fn(p, o1, ...) field by field (checked)."""
        return type(self)(*(fn(getattr(self, n), *(getattr(o, n) for o in others)) for n in PARAM_NAMES))

    def replace(self, **changes) -> CellParams:
        """A copy with some fields replaced."""
        values = {n: getattr(self, n) for n in PARAM_NAMES}
        values.update(changes)
        return type(self)(**values)

    def norm(self) -> float:
        """Global Euclidean norm sqrt(sum over all entries of theta^2)."""
        return float(np.sqrt(sum(float(np.vdot(v, v)) for _, v in self.items())))

    def is_finite(self) -> bool:
        return all(bool(np.isfinite(v).all()) for _, v in self.items())

    def to_dict(self) -> dict:
        """Nested lists, for JSON."""
        return {n: v.tolist() for n, v in self.items()}

    @classmethod
    def unchecked(cls, *arrays) -> CellParams:
        """cls(W_x, W_s, b, W_y, b_y) without the shape and finiteness checks.

        For gradients and optimiser states, which may legitimately be non-finite when a run
        explodes; the arrays are made read-only as in the checked constructor.
        """
        p = object.__new__(cls)
        for name, value in zip(PARAM_NAMES, arrays, strict=True):
            value = np.array(value, dtype=np.float64)
            value.flags.writeable = False
            object.__setattr__(p, name, value)
        return p

    @classmethod
    def from_dict(cls, d: dict) -> CellParams:
        missing = [n for n in PARAM_NAMES if n not in d]
        if missing:
            raise ValueError(f"parameters are missing {', '.join(missing)}.")
        return cls(**{n: d[n] for n in PARAM_NAMES})

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and all(np.array_equal(a, getattr(other, n)) for n, a in self.items())

    __hash__ = None


@dataclass(frozen=True, eq=False)
class Params(CellParams):
    """The Elman cell: a(n) = W_x x(n) + W_s s(n-1) + b, s(n) = phi(a(n)); shapes (H,D) (H,H) (H,) (K,H) (K,)."""

    cell: ClassVar[str] = "elman"
    blocks: ClassVar[tuple[str, ...]] = ("a",)
    title: ClassVar[str] = "the Elman cell"

    def _checked(self) -> tuple[np.ndarray, ...]:
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
        return W_x, W_s, b, W_y, b_y


@dataclass(frozen=True, eq=False)
class LSTMParams(CellParams):
    """The LSTM (torch.nn.LSTM with bias_ih = b, bias_hh = 0): gate blocks i, f, g, o of W_x, W_s, b.

    a(n) = W_x x(n) + W_s s(n-1) + b;  i, f, o = sigmoid(a_i, a_f, a_o), g = phi(a_g);
    c(n) = f * c(n-1) + i * g,  s(n) = o * phi(c(n)).   Shapes (4H,D) (4H,H) (4H,) (K,H) (K,).
    """

    cell: ClassVar[str] = "lstm"
    blocks: ClassVar[tuple[str, ...]] = ("i", "f", "g", "o")
    title: ClassVar[str] = "an LSTM"


@dataclass(frozen=True, eq=False)
class GRUParams(CellParams):
    """The GRU (torch.nn.GRU with bias_ih = b, bias_hh = 0): gate blocks r, z, g of W_x, W_s, b.

    r, z = sigmoid(a_r, a_z) with a = W_x x(n) + W_s s(n-1) + b;  g = phi(W_xg x(n) + b_g + r * (W_sg s(n-1)));
    s(n) = (1 - z) * g + z * s(n-1).   Shapes (3H,D) (3H,H) (3H,) (K,H) (K,).
    """

    cell: ClassVar[str] = "gru"
    blocks: ClassVar[tuple[str, ...]] = ("r", "z", "g")
    title: ClassVar[str] = "a GRU"


PARAMS_TYPES: dict[str, type[CellParams]] = {t.cell: t for t in (Params, LSTMParams, GRUParams)}


def check_params(params) -> CellParams:
    """params as one of the three params types, or ValueError naming it."""
    if not isinstance(params, CellParams) or type(params) is CellParams:
        raise ValueError(f"params must be a Params(W_x, W_s, b, W_y, b_y), an LSTMParams or a GRUParams, e.g. from "
                         f"init_params; got {type(params).__name__}.")
    return params
