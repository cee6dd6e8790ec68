"""Large float64 buffers kept per thread and reused, so that a call does not pay for fresh memory.

A fresh large array costs a page fault per 4 KB page when it is first written (the C allocator hands
freed memory back to the system); at lecture sizes that was a third of forward + backward. Two kinds:

    scratch(name, shape)   never leaves a call (backward's dL/ds(n), delta(n)): the same buffer every call
    recycled(shape)        becomes part of a result (the trace's a(n), s(n)): a kept buffer is handed out
                           again only once nothing refers to it any more, not even a view
"""
from __future__ import annotations

import sys
import threading

import numpy as np

MAX_BYTES = 2**26  # larger scratch buffers (64 MB) are not kept
RECYCLE_BYTES = 2**27  # results kept for reuse, per thread: 128 MB, the least recently used dropped first
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


def _references(kept: list, i: int) -> int:
    return sys.getrefcount(kept[i])


_UNREFERENCED = _references([np.empty(0)], 0)  # the count when only the list refers to it (+ the call's own)


def recycled(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float64 array of this shape to return in a result: a kept one that nothing else
    refers to (every numpy view holds a reference to it), else a new one, kept for a later call."""
    kept = _local.__dict__.setdefault("results", [])  # least recently used first
    for i in reversed(range(len(kept))):  # the most recently used first: its memory is the likeliest in cache
        if kept[i].shape == shape and _references(kept, i) == _UNREFERENCED:
            kept.append(kept.pop(i))
            return kept[-1]
    arr = np.empty(shape)
    kept.append(arr)
    while sum(k.nbytes for k in kept) > RECYCLE_BYTES:
        kept.pop(0)  # whoever still refers to it keeps it alive; it is just no longer reused
    return arr
