"""Tiny shape and value checks that fail with a message a student understands."""
from __future__ import annotations

import numbers

import numpy as np


def as_float_array(value, name: str) -> np.ndarray:
    """float64 copy of value, or ValueError naming the field."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers; could not read it ({exc}).") from None
    return arr


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


def choice(value, name: str, options) -> str:
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of: {', '.join(sorted(options))}.")
    return value
