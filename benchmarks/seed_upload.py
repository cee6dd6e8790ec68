"""Seed page work for a large upload: every computation the page makes for one file, timed stage by stage.

The issue's cases: an NPZ of 12000 x 1000 features and a CSV of 60000 rows took 248 s and 176 s before the
page sampled rows (dashboard/seed.py fit_rows); the target is the work budget, a few seconds.

    python benchmarks/seed_upload.py FILE [FILE ...]      # e.g. files written by --make DIR
    python benchmarks/seed_upload.py --make /tmp/seedfiles # write the two cases (NPZ 12000 x 1000, CSV 60000 rows)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard import compute, seed as sd  # noqa: E402,F401  (compute: one BLAS thread, as in the app)


def make(folder: Path) -> list[Path]:
    """The issue's two files: mostly-zero 12000 x 1000 features (NPZ, compressed), 60000 rows of 2 features (CSV)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    y = (rng.random(12000) < 0.5).astype(float)  # (M,)
    X = np.zeros((12000, 1000))  # (M, F)
    X[:, :8] = np.round(rng.normal(size=(12000, 8)) + 0.8 * y[:, None], 1)
    np.savez_compressed(folder / "wide.npz", X=X, y=y)
    a = rng.normal(size=60000)
    label = (a + rng.normal(size=60000) > 0).astype(int)
    rows = ["f1,f2,label"] + [f"{a[i]:.2f},{rng.integers(0, 9)},{label[i]}" for i in range(60000)]
    (folder / "long.csv").write_text("\n".join(rows) + "\n")
    return [folder / "wide.npz", folder / "long.csv"]


def page_work(path: Path, H: int = 16, lr: float = 0.01, iterations: int = 200, seed: int = 0) -> dict[str, float]:
    """Seconds per stage, as the seed page runs them for a fresh upload at the sidebar's defaults."""
    times, t0 = {}, time.perf_counter()

    def stage(name):
        nonlocal t0
        times[name] = time.perf_counter() - t0
        print(f"  {name:<22} {times[name]:7.2f} s", flush=True)
        t0 = time.perf_counter()

    fs = sd.read_upload(path.read_bytes(), path.name)
    stage("read")
    fit = sd.fit_rows(fs, seed)
    sp = sd.make_split(fit, seed)
    few = sd.few_features(fit, sp)
    stage("sample, split")
    sd.train_classifier(fit, sp, H, lr, iterations, seed, False, few)
    sd.train_classifier(fit, sp, H, lr, iterations, seed, False, None)
    stage("RNN (few, all inputs)")
    for kernel in ("linear", "rbf"):
        sd.svm_predict(fit.X[sp.train], fit.labels[sp.train], fit.X[sp.test], kernel)
        stage(f"SVM {kernel}")
    sd.reach(fit, H, seed)
    stage("reach (N > 1)")
    print(f"  {'total':<22} {sum(times.values()):7.2f} s  ({fit.M} of {fs.M} rows used)")
    return times


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--make", type=Path, help="write the issue's two files into this folder and time them")
    args = ap.parse_args()
    for f in (make(args.make) if args.make else []) + args.files:
        print(f"{f.name}:")
        page_work(f)
