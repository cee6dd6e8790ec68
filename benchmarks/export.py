"""Figure export speed: the first export (Chromium's start-up) and every later one (target: well under 1 s).

Exports a real page figure (the gradient decay curve and the heatmap, projector theme, 1920x1080)
through one kaleido server and prints the time of each call.

    python benchmarks/export.py            # 5 repeats per format
    python benchmarks/export.py --quick    # 2 repeats
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import export  # noqa: E402
from dashboard.figures import gradients as gfigs  # noqa: E402


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    repeats = 2 if ap.parse_args().quick else 5
    reason = export.unavailable()
    if reason:
        sys.exit(reason)
    N, T = 100, 300
    n = np.arange(1, N + 1)
    decay = gfigs.decay_curve(0.85 ** (N - n), 0.9 ** (N - n), "screen")
    heat = gfigs.heatmap(np.outer(np.linspace(1, 2, T), 0.85 ** (N - n)), np.arange(T), theme="screen")  # (T, N)

    first = timed(lambda: export.to_bytes(decay, "png"))
    print(f"first export (starts Chromium)      {first:7.2f} s")
    for name, fig in (("decay curve", decay), (f"heatmap {T}x{N}", heat)):
        for fmt, scale in (("png", 1), ("png", 2), ("svg", 1), ("pdf", 1)):
            times = [timed(lambda: export.to_bytes(fig, fmt, scale=scale)) for _ in range(repeats)]  # noqa: B023
            label = f"{name}, {fmt}{' 2x' if scale == 2 else ''}"
            print(f"later export: {label:<22} median {np.median(times):5.2f} s   max {max(times):5.2f} s")


if __name__ == "__main__":
    main()
