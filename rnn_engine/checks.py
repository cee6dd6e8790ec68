"""Tiny shape and value checks that fail with a message a student understands."""
from __future__ import annotations

import numbers

import numpy as np


def as_float_array(value, name: str) -> np.ndarray:
    """float64 copy of value, or ValueError naming the field (None and complex numbers refused,
    rather than read as NaN or silently losing their imaginary part)."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise _unreadable(name, exc) from None
    if raw.dtype.kind == "c":
        raise ValueError(f"{name} holds complex numbers; every entry must be a real number.")
    if value is None or (raw.dtype.kind == "O" and any(v is None for v in raw.flat)):
        raise ValueError(f"{name} is missing (None) or has missing entries; expected an array of numbers.")
    try:
        return np.array(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _unreadable(name, exc) from None


def _unreadable(name: str, exc: Exception) -> ValueError:
    why = "its rows have different lengths" if "inhomogeneous" in str(exc) else str(exc)
    return ValueError(f"{name} must be an array of numbers; could not read it ({why}).")


def require_finite(arr: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        kind = "NaN" if np.isnan(arr[tuple(bad)]) else "infinite"
        where = ", ".join(str(int(i)) for i in bad)
        raise ValueError(f"{name} contains a {kind} value (first at index [{where}]); every entry must be a finite number.")
    return arr


def as_matrix(value, name: str, shape=None, meaning: str = "") -> np.ndarray:
    arr = require_finite(as_float_array(value, name), name)
    if arr.ndim != 2 or (shape is not None and arr.shape != tuple(shape)):
        want = meaning or (f"{tuple(shape)}" if shape is not None else "a 2-D matrix")
        raise ValueError(f"{name} must have shape {want}; got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} must have at least one row and one column; got shape {arr.shape}.")
    return arr


def as_vector(value, name: str, length=None, meaning: str = "") -> np.ndarray:
    arr = require_finite(as_float_array(value, name), name)
    if arr.ndim != 1 or (length is not None and arr.shape[0] != length):
        want = meaning or (f"({length},)" if length is not None else "a 1-D vector")
        raise ValueError(f"{name} must have shape {want}; got shape {arr.shape}.")
    return arr


def as_array(value, name: str, shape: tuple, meaning: str) -> np.ndarray:
    """Finite float64 array whose shape matches `shape` (None = any size)."""
    arr = require_finite(as_float_array(value, name), name)
    if arr.ndim != len(shape) or any(w is not None and w != g for w, g in zip(shape, arr.shape, strict=True)):
        raise ValueError(f"{name} must have shape {meaning}; got shape {arr.shape}.")
    return arr


def whole_number(value, name: str, low: int, high: int | None = None, meaning: str = "") -> int:
    """value as an int in low..high (bools and floats such as 5.0 refused), or ValueError naming the field."""
    span = f">= {low}" if high is None else f"between {low} and {high}"
    about = f" ({meaning})" if meaning else ""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral)
            or value < low or (high is not None and value > high)):
        raise ValueError(f"{name} must be a whole number {span}{about}; got {value!r}.")
    return int(value)


def real_number(value, name: str, low: float = -np.inf, high: float = np.inf,
                low_open: bool = False, high_open: bool = False) -> float:
    """value as a finite float within [low, high] (or open at either end), or ValueError naming the field."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if ok:
        v = float(value)
        ok = np.isfinite(v) and (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        lo = "" if low == -np.inf else f" {'>' if low_open else '>='} {low:g}"
        hi = "" if high == np.inf else f"{' and' if lo else ''} {'<' if high_open else '<='} {high:g}"
        raise ValueError(f"{name} must be a finite number{lo}{hi}; got {value!r}.")
    return v


def choice(value, name: str, options) -> str:
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of: {', '.join(sorted(options))}.")
    return value
