"""Scratch arrays that never leave a call, kept per thread and reused by the next call.

A fresh large array costs a page fault per 4 KB page when it is first written (the C allocator hands
freed memory back to the system); at lecture sizes that was a third of forward + backward. Only
buffers that no result refers to are kept: one per name, replaced when the shape changes.
"""
from __future__ import annotations

import threading

import numpy as np

MAX_BYTES = 2**26  # larger buffers (64 MB) are not kept
_local = threading.local()


def scratch(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float64 array of this shape: the same one on every call in this thread."""
    kept = _local.__dict__.setdefault("arrays", {})
    arr = kept.get(name)
    if arr is None or arr.shape != shape:
        arr = np.empty(shape)
        if arr.nbytes <= MAX_BYTES:
            kept[name] = arr
    return arr
