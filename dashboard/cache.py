"""One memory budget for every cache of the dashboard, shared by all sessions of the process.

    @cache.memo(max_entries=64)            # replaces @st.cache_data(max_entries=64)
    def setup(exp: Experiment) -> Setup: ...

A value is kept until the cached values together hold more than BUDGET bytes, or its function holds more
than max_entries; then the least recently used entries go first. BUDGET is set once, here, from the
environment variable RNN_LAB_CACHE_MB (default 2048 MB per process). A value larger than a quarter of the
budget is returned but not kept: one student's N = 1000, H = 256, B = 256 run cannot push out everyone
else's work.

Unlike st.cache_data, values are shared, not copied (no pickling on every hit): callers treat them as
read-only. Arguments whose names start with "_" are not part of the key (as in st.cache_data); the call
must name them by another argument.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import sys
import threading
from collections import OrderedDict

import numpy as np

BUDGET = int(float(os.environ.get("RNN_LAB_CACHE_MB", "2048")) * 2**20)  # bytes, all caches together
LARGEST = 0.25  # a value above this share of the budget is not kept

_entries: OrderedDict = OrderedDict()  # (function name, key) -> (value, bytes), least recently used first
_counts: dict[str, int] = {}  # function name -> entries held
_held = 0  # bytes held in all
_lock = threading.Lock()


def size_of(value, seen: set | None = None) -> int:
    """Bytes a value holds: numpy arrays by their buffers (a view counts its whole base, which it keeps
    alive), dataclasses, tuples, lists and dicts by their parts, anything else by sys.getsizeof."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        base = value
        while isinstance(base.base, np.ndarray):
            base = base.base
        if base is not value:
            return size_of(base, seen)
        return value.nbytes + 112
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return 64 + sum(size_of(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list, set, frozenset)):
        return sys.getsizeof(value) + sum(size_of(v, seen) for v in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(size_of(k, seen) + size_of(v, seen) for k, v in value.items())
    return sys.getsizeof(value)


def held() -> int:
    """Bytes held by every cache together."""
    return _held


def clear() -> None:
    global _held
    with _lock:
        _entries.clear()
        _counts.clear()
        _held = 0


def _drop_oldest(name: str | None = None) -> None:
    """Drop the least recently used entry (of function `name`, or of any)."""
    global _held
    key = next(k for k in _entries if name is None or k[0] == name)
    _, nbytes = _entries.pop(key)
    _counts[key[0]] -= 1
    _held -= nbytes


def get(name: str, key):
    """(True, value) if held (and now the most recently used), else (False, None)."""
    with _lock:
        hit = _entries.get((name, key))
        if hit is None:
            return False, None
        _entries.move_to_end((name, key))
        return True, hit[0]


def put(name: str, key, value, max_entries: int) -> None:
    """Keep value under (name, key) within max_entries for name and BUDGET bytes in all."""
    global _held
    nbytes = size_of(value)
    if nbytes > LARGEST * BUDGET:
        return
    with _lock:
        old = _entries.pop((name, key), None)
        if old is not None:
            _counts[name] -= 1
            _held -= old[1]
        while _counts.get(name, 0) >= max_entries:
            _drop_oldest(name)
        while _entries and _held + nbytes > BUDGET:
            _drop_oldest()
        _entries[(name, key)] = (value, nbytes)
        _counts[name] = _counts.get(name, 0) + 1
        _held += nbytes


def memo(max_entries: int = 64, spinner: str | None = None):
    """Cache a function's results by its arguments (those not starting with "_"), within the budget.
    spinner: a text shown (st.spinner) while a value is computed."""

    def wrap(fn):
        name = f"{fn.__module__}.{fn.__qualname__}"
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def cached(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            key = tuple((k, v) for k, v in bound.arguments.items() if not k.startswith("_"))
            found, value = get(name, key)
            if found:
                return value
            if spinner:
                import streamlit as st

                with st.spinner(spinner):
                    value = fn(*args, **kwargs)
            else:
                value = fn(*args, **kwargs)
            put(name, key, value, max_entries)
            return value

        return cached

    return wrap
