"""Engine speed: forward + backward with the per-step gradient log, and a 300-iteration training run.

Sections (--only picks some): elman (the rows below), gated (the LSTM and GRU against PyTorch's fused
torch.nn.LSTM / torch.nn.GRU, float64, the same thread setting; targets ours/torch <= 0.5 at H <= 64 and
<= 1.5 at H = 128; torch computes no per-step log, ours does), train (300 iterations, every cell), credit
(itemised backward against a plain one at N = 200, H = 64, B = 32, target <= 3x; connectivity of one
sample at N = 500, H = 64, target < 0.3 s; every cell).

Prints, for each size, our time, PyTorch autograd's time for the same work (float64, per-step
dL/ds(n) kept via retain_grad) when torch is importable, and the physical floor: the time numpy's
BLAS needs for the same matrix products alone. Targets (issue 2): at most half PyTorch's time where
per-step overhead dominates (H <= 64), at least 70% of the matmul floor where matrices are large.

    python benchmarks/engine.py                # all sizes, one BLAS and torch thread
    python benchmarks/engine.py --quick        # fewer repeats
    python benchmarks/engine.py --threads 0    # the libraries' own thread counts (2 on a 2-core machine)
    python benchmarks/engine.py --cpu-time     # on a busy machine: process CPU time instead of wall time

One thread is the default because it is how the dashboard runs the engine (dashboard/compute.py) and
because it compares like with like: numpy's element-wise work (tanh, phi', the norms) runs on one core
whatever BLAS does, so with two BLAS threads the floor gets a second core for its products that the
rest of the work cannot use, and floor/ours measures that split rather than the engine.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnn_engine import Params, backward, connectivity, forward, init_params  # noqa: E402

LECTURE = [(16, 10, 1), (16, 100, 32), (64, 100, 32), (64, 200, 64), (128, 100, 32), (128, 200, 64)]
LARGE = [(512, 200, 64)]
THREADS = 0  # --threads: 0 leaves numpy's and torch's own choice
D, K = 8, 4


CLOCK = time.perf_counter  # --cpu-time: time.process_time


def best_of(fn, repeats: int) -> float:
    return best_in_turns({"fn": fn}, repeats)["fn"]


def best_in_turns(works: dict, repeats: int) -> dict:
    """Fastest time of each function, running them in turns (a, b, c, a, b, c, ...) so that a change in
    the machine's load hits all of them alike."""
    for fn in works.values():
        fn()  # warm up
    times = {name: [] for name in works}
    for _ in range(repeats):
        for name, fn in works.items():
            t0 = CLOCK()
            fn()
            times[name].append(CLOCK() - t0)
    return {name: min(ts) for name, ts in times.items()}


def make(H, N, B, seed=0):
    rng = np.random.default_rng(seed)
    p = Params(rng.normal(size=(H, D)) / np.sqrt(D), rng.normal(size=(H, H)) / np.sqrt(H), np.zeros(H),
               rng.normal(size=(K, H)) / np.sqrt(H), np.zeros(K))
    x = rng.normal(size=(N, B, D))  # (N, B, D)
    t = rng.uniform(size=(B, K))  # (B, K)
    return p, x, t


def ours(p, x, t):
    return backward(p, forward(p, x, "tanh", "sigmoid"), t, "sse", "last")


def matmul_floor(H, N, B):
    """The work whose time is the floor: the matrix products of forward + backward alone, at their
    shapes, each in the fastest form numpy offers.

    Every product has two different operands, as in the engine: A @ A.T would let BLAS use syrk and do
    half the flops of dL/dW_s = sum_n delta(n) s(n-1)^T, understating the floor.
    """
    rng = np.random.default_rng(1)
    W = rng.normal(size=(H, H))  # (H, H) W_s
    W_yT = rng.normal(size=(H, K))  # (H, K) W_y^T
    s = rng.normal(size=(B, H))  # (B, H) one step's s(n-1) or delta(n)
    step = np.empty((B, H))  # (B, H) its product, written in place as the engine does
    states = rng.normal(size=(N, B, H))  # (N, B, H) s(1..N); the read-out's fastest form is per step
    deltas = rng.normal(size=(N * B, H))  # (N*B, H) delta(1..N)
    xin = rng.normal(size=(N * B, D + 1))  # (N*B, D+1) [x(n), 1]
    W_xb = rng.normal(size=(D + 1, H))  # (D+1, H) [W_x, b]^T
    dz = rng.normal(size=(B, K))  # (B, K) dL/dz(N)

    def work():
        xin @ W_xb  # input projection W_x x(n) + b, all steps
        for _ in range(N):
            np.matmul(s, W, out=step)  # forward recurrence W_s s(n-1)
        np.matmul(states, W_yT)  # read-out z(n) = W_y s(n), all steps
        dz @ W_yT.T  # dl_N/ds(N)
        for _ in range(N):
            np.matmul(s, W, out=step)  # backward recurrence W_s^T delta(n)
        deltas.T @ states.reshape(N * B, H)  # dL/dW_s
        deltas.T @ xin  # dL/dW_x and dL/db
    return work


def torch_work(H, N, B, p, x, t):
    import torch

    if THREADS:
        torch.set_num_threads(THREADS)
    P = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in p.items()}
    X = torch.tensor(x, dtype=torch.float64)
    T = torch.tensor(t, dtype=torch.float64)

    def work():
        for v in P.values():
            v.grad = None
        s = torch.zeros(B, H, dtype=torch.float64)
        states = []
        ax = X.reshape(N * B, D) @ P["W_x"].T + P["b"]
        ax = ax.reshape(N, B, H)
        for n in range(N):
            s = torch.tanh(ax[n] + s @ P["W_s"].T)
            s.retain_grad()
            states.append(s)
        y = torch.sigmoid(s @ P["W_y"].T + P["b_y"])
        loss = ((y - T) ** 2).sum()
        loss.backward()
        return torch.stack([st.grad.norm() for st in states])
    return work


def make_gated(cell, H, N, B, seed=0):
    p = init_params(D, H, K, cell=cell, seed=seed)
    rng = np.random.default_rng(seed)
    return p, rng.normal(size=(N, B, D)), rng.uniform(size=(B, K))  # x (N, B, D), t (B, K)


def torch_fused(cell, H, N, B, p, x, t):
    """torch.nn.LSTM / GRU (fused, float64) with the same weights, read-out and loss: forward + backward."""
    import torch

    if THREADS:
        torch.set_num_threads(THREADS)
    net = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(D, H).double()
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.tensor(p.W_x))
        net.weight_hh_l0.copy_(torch.tensor(p.W_s))
        net.bias_ih_l0.copy_(torch.tensor(p.b))
        net.bias_hh_l0.zero_()
    net.bias_hh_l0.requires_grad_(False)  # bias_hh = 0, as in the engine
    W_y = torch.tensor(p.W_y, requires_grad=True)
    b_y = torch.tensor(p.b_y, requires_grad=True)
    X, T = torch.tensor(x), torch.tensor(t)

    def work():
        net.zero_grad()
        W_y.grad = b_y.grad = None
        out, _ = net(X)
        y = torch.sigmoid(out[-1] @ W_y.T + b_y)
        ((y - T) ** 2).sum().backward()
    return work


def gated_rows(repeats, have_torch, missed):
    print(f"{'cell':>4} {'H':>4} {'N':>4} {'B':>3} | {'ours ms':>9} | {'torch ms':>9} {'ours/torch':>10} | target")
    for cell in ("lstm", "gru"):
        for H, N, B in LECTURE:
            p, x, t = make_gated(cell, H, N, B)
            ours_t = best_of(lambda p=p, x=x, t=t: ours(p, x, t), repeats)
            torch_t = best_of(torch_fused(cell, H, N, B, p, x, t), repeats) if have_torch else float("nan")
            goal = 0.5 if H <= 64 else 1.5
            ratio = ours_t / torch_t
            verdict = "n/a (no torch)" if np.isnan(ratio) else ("met" if ratio <= goal else "MISSED")
            if verdict == "MISSED":
                missed.append(f"{cell} H={H} N={N} B={B}: ours/torch <= {goal}, got {ratio:.2f}")
            print(f"{cell:>4} {H:>4} {N:>4} {B:>3} | {ours_t * 1e3:9.2f} | {torch_t * 1e3:9.2f} {ratio:10.2f} | "
                  f"ours/torch <= {goal}: {verdict}")


def credit_rows(repeats, missed):
    print(f"{'cell':>5} | {'plain ms':>9} {'itemized ms':>11} {'ratio':>6} (readout all) | {'ratio':>6} (last) | "
          f"{'connectivity s':>14} (N=500, one sample)")
    for cell in ("elman", "lstm", "gru"):
        credit_row(cell, repeats, missed)


def credit_row(cell, repeats, missed, H=64, N=200, B=32):
    p, x, t_last = make_gated(cell, H, N, B, seed=1)
    t_all = np.random.default_rng(2).uniform(size=(N, B, K))
    trace = forward(p, x)
    times = best_in_turns({
        "plain": lambda: backward(p, trace, t_all, readout="all"),
        "itemized": lambda: backward(p, trace, t_all, readout="all", itemized=True),
        "plain_last": lambda: backward(p, trace, t_last),
        "itemized_last": lambda: backward(p, trace, t_last, itemized=True),
    }, repeats)
    ratio = times["itemized"] / times["plain"]
    ratio_last = times["itemized_last"] / times["plain_last"]
    long_p, long_x, _ = make_gated(cell, H, 500, 1, seed=3)
    long_trace = forward(long_p, long_x)
    conn = best_of(lambda: connectivity(long_p, long_trace, 0), max(2, repeats // 2))
    for what, value, ok in ((f"{cell} itemized (readout all) <= 3x plain", ratio, ratio <= 3),
                            (f"{cell} itemized (readout last) <= 3x plain", ratio_last, ratio_last <= 3),
                            (f"{cell} connectivity N=500 < 0.3 s", conn, conn < 0.3)):
        if not ok:
            missed.append(f"{what}: got {value:.2f}")
    print(f"{cell:>5} | {times['plain'] * 1e3:9.2f} {times['itemized'] * 1e3:11.2f} {ratio:6.2f}x"
          f" {'met' if ratio <= 3 else 'MISSED':>6}      | {ratio_last:6.2f}x {'met' if ratio_last <= 3 else 'MISSED':>6}"
          f" | {conn:14.3f} {'met' if conn < 0.3 else 'MISSED'}")


def training_time(H, N, B, iterations=300, cell="elman"):
    from rnn_engine.train import Dataset, TrainConfig, train

    p, x, t = make(H, N, 4 * B) if cell == "elman" else make_gated(cell, H, N, 4 * B)
    data = Dataset(x_train=x, t_train=t, x_val=None, t_val=None, readout="last", classification=False)
    cfg = TrainConfig(iterations=iterations, batch_size=B, learning_rate=0.01, validate_every=10**9)
    t0 = CLOCK()
    train(p, data, activation="tanh", output="sigmoid", loss="sse", config=cfg)
    return CLOCK() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS and torch threads (default 1, as the dashboard runs; 0: the libraries' own)")
    ap.add_argument("--cpu-time", action="store_true", help="process CPU time instead of wall-clock time")
    ap.add_argument("--only", default="elman,gated,train,credit", help="comma-separated sections to run")
    args = ap.parse_args()
    sections = set(args.only.split(","))
    global CLOCK, THREADS
    if args.cpu_time:
        CLOCK = time.process_time
    if args.threads:
        from threadpoolctl import threadpool_limits

        THREADS = args.threads
        threadpool_limits(limits=args.threads)
    print(f"threads: {args.threads or 'library default'}; clock: {'process CPU' if args.cpu_time else 'wall'} time")
    repeats = 3 if args.quick else 7
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} (timings are only comparable on a quiet machine)")
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("(torch not importable: `pip install torch==2.13.0` adds the PyTorch column)")
    missed = []
    if "elman" in sections:
        elman_rows(repeats, have_torch, missed)
    if "gated" in sections:
        print()
        gated_rows(repeats, have_torch, missed)
    if "credit" in sections:
        print()
        credit_rows(repeats, missed)
    print("targets missed: " + ("; ".join(missed) if missed else "none"))
    if "train" in sections:
        print()
        for cell in ("elman", "lstm", "gru"):
            for H, N, B in [(16, 50, 32), (64, 100, 32)]:
                print(f"training 300 iterations, {cell}, H={H}, N={N}, B={B}: {training_time(H, N, B, cell=cell):.2f} s")
    print("load average afterwards: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))


def elman_rows(repeats, have_torch, missed):
    print(f"{'H':>4} {'N':>4} {'B':>3} | {'ours ms':>9} | {'torch ms':>9} {'ours/torch':>10} | {'floor ms':>9} "
          f"{'floor/ours':>10} | target")
    for H, N, B in LECTURE + LARGE:
        p, x, t = make(H, N, B)
        reps = repeats if H < 512 else 3
        # ours and the floor in turns (both numpy's BLAS); torch apart, since the idle threads of one
        # library's pool spin for a while and would slow the other down
        best = best_in_turns({"ours": lambda p=p, x=x, t=t: ours(p, x, t), "floor": matmul_floor(H, N, B)}, reps)
        ours_t, floor_t = best["ours"], best["floor"]
        torch_t = best_of(torch_work(H, N, B, p, x, t), reps) if have_torch else float("nan")
        if H <= 64:  # per-step overhead dominates: at most half of PyTorch's time
            ratio, ok, target = ours_t / torch_t, ours_t / torch_t <= 0.5, "ours/torch <= 0.5"
        else:  # large matrices: at least 70% of the matmul floor
            ratio, ok, target = floor_t / ours_t, floor_t / ours_t >= 0.7, "floor/ours >= 0.7"
        verdict = "n/a (no torch)" if np.isnan(ratio) else ("met" if ok else "MISSED")
        if verdict == "MISSED":
            missed.append(f"H={H} N={N} B={B}: {target}, got {ratio:.2f}")
        print(f"{H:>4} {N:>4} {B:>3} | {ours_t * 1e3:9.2f} | {torch_t * 1e3:9.2f} {ours_t / torch_t:10.2f} | "
              f"{floor_t * 1e3:9.2f} {floor_t / ours_t:10.2f} | {target}: {verdict}")


if __name__ == "__main__":
    main()
