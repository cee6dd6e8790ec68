"""Backpropagation through time for every cell, with a gradient log at every step.

With delta(n) = dL/da(n) and l_n the loss term read out at step n (the Elman cell):

    dL/ds(n) = W_s^T delta(n+1) + dl_n/ds(n)        (total derivative; delta(N+1) = 0)
    delta(n) = phi'(a(n)) * dL/ds(n)
    dL/dW_s = sum_n delta(n) s(n-1)^T,  dL/dW_x = sum_n delta(n) x(n)^T,  dL/db = sum_n delta(n)

The gated cells' steps (rnn_engine/cells/) send back the recurrent part of dL/ds(n-1) (and, for the
LSTM, f(n) * dL/dc(n)) in place of W_s^T delta(n); what every cell shares is here: the read-out and the
loss, the loop over time, the stack of all loss terms (truncation with a loss at every step, the
itemised log), the weight gradients and the log.

Truncated BPTT with k steps: each loss term l_m sends gradient back to a(m), a(m-1), ...,
a(m-k+1) and no further (k = 1: only the step that produced it); for the LSTM along s and c alike.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rnn_engine.activations import get_activation
from rnn_engine.cells import Back, cell_of, spectral_norms
from rnn_engine.checks import as_array, whole_number
from rnn_engine.forward import Trace
from rnn_engine.losses import check_loss, check_target_values, loss_and_grad
from rnn_engine.params import PARAMS_TYPES, CellParams, check_params
from rnn_engine.scratch import scratch

READOUTS = ("last", "all")
CHUNK_ELEMENTS = 2**18  # per-step (H, P) weight-gradient products formed at once: about 2 MB


@dataclass(frozen=True, eq=False)
class GradLog:
    """Per-step gradient norms; entry n-1 belongs to step n (Frobenius norms over the batch).

    The fields after `sample` default to None, so that code written for the Elman cell keeps working.
    """

    state_grad: np.ndarray  # (N,) ||dL/ds(n)||
    preact_grad: np.ndarray  # (N,) ||dL/da(n)|| = ||delta(n)||; gated cells: over every gate block of a(n)
    W_s_contrib: np.ndarray | None  # (N,) ||delta(n) s(n-1)^T||, step n's share of dL/dW_s
    W_x_contrib: np.ndarray | None  # (N,) ||delta(n) x(n)^T||   (the three shares: None
    b_contrib: np.ndarray | None  # (N,) ||sum over the batch of delta(n)||   if not asked for)
    jacobian_norms: np.ndarray | None = None  # (N,) ||J(n)||_2, J(n) the state Jacobian: diag(phi'(a(n))) W_s
    #   (Elman); d(s, c)(n)/d(s, c)(n-1), 2H x 2H (LSTM); ds(n)/ds(n-1) (GRU)
    product_norms: np.ndarray | None = None  # (N+1,) entry n: ||J(N) ... J(n+1)||_2 = ||d state(N)/d state(n)||_2
    sample: int | None = None  # which sample of the batch the Jacobians belong to
    cell_grad: np.ndarray | None = None  # (N,) LSTM: ||dL/dc(n)|| (total derivative); None for the other cells
    block_grad: np.ndarray | None = None  # (N, G) ||dL/da_k(n)|| per gate block k, in the params' block order
    #   (GRU: dL/da_g is the candidate's, before r); with the shares
    gate_stats: dict | None = None  # gated cells, with the shares: gate name -> (N, 3) columns mean, 10th and
    #   90th percentile over units and batch of the gate at step n (LSTM i, f, o; GRU r, z)
    unit_grad: np.ndarray | None = None  # (N, H) |dL/ds_i(n)|, root mean square over the batch; with the shares:
    #   as costly as they are to bookkeep over (N, B, H), and training (contributions=False) keeps only the norms
    direct_norms: np.ndarray | None = None  # (N,) gated cells, jacobians=True: ||direct term of J(n)||_2 = max_i of
    #   f_i(n) (LSTM, dc(n)/dc(n-1) = diag(f)) or z_i(n) (GRU, diag(z))
    direct_product_norms: np.ndarray | None = None  # (N+1,) entry n: ||diag(f(N)) ... diag(f(n+1))||_2 (or z)
    itemized: np.ndarray | None = None  # (N, N) itemized=True: [m-1, n-1] = ||dl_m/ds(n)||, zero where n > m
    direct_grad: np.ndarray | None = None  # (N,) gated cells, with the shares: ||d(n) * dL/dc(n)|| (LSTM, d = f)
    #   or ||d(n) * dL/ds(n)|| (GRU, d = z), what step n hands to step n-1 through the direct term alone


@dataclass(frozen=True, eq=False)
class BackwardResult:
    loss: float
    grads: CellParams  # dL/dtheta, the params' own type
    state_grad_norms: np.ndarray  # (N,) entry n-1 = ||dL/ds(n)||
    log: GradLog
    s0_grad: np.ndarray  # (B, H) dL/ds(0)
    c0_grad: np.ndarray | None = None  # (B, H) LSTM: dL/dc(0); None for the other cells


def check_target(target, trace: Trace, readout: str) -> np.ndarray:
    if readout not in READOUTS:
        raise ValueError(f"unknown readout {readout!r}; choose 'last' (loss at step N) or 'all' (loss at every step).")
    N, B, K = trace.y.shape
    if readout == "last":
        return as_array(target, "target", (B, K), f"(B, K) = ({B}, {K}) for readout='last'")
    return as_array(target, "target", (N, B, K), f"(N, B, K) = ({N}, {B}, {K}) for readout='all'")


def check_truncate(truncate, N: int) -> int:
    """k as an int in 1..N (None or k >= N: full BPTT)."""
    if truncate is None:
        return N
    return min(whole_number(truncate, "truncate", 1, meaning="steps back; None for full BPTT"), N)


def frobenius(v: np.ndarray) -> np.ndarray:
    """||v[n]||_F for each n of an (N, ...) array."""
    flat = v.reshape(v.shape[0], -1)
    return np.sqrt(np.vecdot(flat, flat))


def _weight_grad(delta: np.ndarray, u: np.ndarray, shares: bool, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """dL/dW = sum_n delta(n)^T u(n) for (N, B, H) delta and (N, B, P) u, and, if shares,
    each step's share ||delta(n)^T u(n)||_F as an (N,) array.

    The shares cost as many flops as dL/dW itself. When the batch is small against H and P they
    come from ||A^T C||_F^2 = sum((A A^T) * (C C^T)) (B^2 (H + P) flops per step); otherwise the
    per-step (H, P) products are formed once, a bounded number of steps at a time, and both
    measured and summed, so that dL/dW costs nothing extra.
    """
    N, B, H = delta.shape
    P = u.shape[2]
    if not shares or 3 * B * (H + P) < H * P:
        dW = delta.reshape(N * B, H).T @ u.reshape(N * B, P)  # (H, P)
        if not shares:
            return dW, None
        g1 = np.matmul(delta, delta.transpose(0, 2, 1))  # (N, B, B)
        g2 = np.matmul(u, u.transpose(0, 2, 1))  # (N, B, B)
        return dW, np.sqrt(np.maximum(np.einsum("nij,nij->n", g1, g2), 0.0))
    dW = np.zeros((H, P))  # (H, P)
    norms = np.empty(N)  # (N,)
    chunk = max(1, CHUNK_ELEMENTS // (H * P))
    products = scratch(f"dL/d{name} products", (min(chunk, N), H, P))  # (chunk, H, P) delta(n)^T u(n)
    ones = np.ones(min(chunk, N))  # (chunk,) sum over the steps as one matrix-vector product
    for lo in range(0, N, chunk):
        M = products[: min(chunk, N - lo)]
        np.matmul(delta[lo : lo + chunk].transpose(0, 2, 1), u[lo : lo + chunk], out=M)
        dW += (ones[: len(M)] @ M.reshape(len(M), H * P)).reshape(H, P)
        norms[lo : lo + chunk] = frobenius(M)
    return dW, norms


def jacobian_log(params: CellParams, trace: Trace, back: Back, sample: int) -> tuple[np.ndarray, np.ndarray]:
    """||J(n)||_2 for n = 1..N and ||J(N) ... J(n+1)||_2 for n = 0..N, for one sample (0..B-1, checked by
    backward); J(n) the cell's state Jacobian (see GradLog.jacobian_norms). For the Elman cell
    J(n) = ds(n)/ds(n-1) = diag(phi'(a(n))) W_s and the product is ds(N)/ds(n).

    The products are built from step N backwards, P <- P J(n), in chunks of Jacobians of about 32 MB.
    """
    N = trace.N
    size = back.state_size
    jac = np.empty(N)  # (N,)
    prod = np.empty(N + 1)  # (N+1,)
    prod[N] = 1.0
    P = np.eye(size)  # J(N) ... J(n+1), kept rescaled by exp(log_scale) to avoid over/underflow
    log_scale = 0.0
    chunk = max(1, int(2**22 // (size * size)))
    done = False
    with np.errstate(over="ignore", under="ignore"):
        for hi in range(N, 0, -chunk):
            lo = max(0, hi - chunk)
            J = cell_of(params).jacobians(params, trace, back, sample, lo, hi)  # (hi - lo, size, size)
            jac[lo:hi] = spectral_norms(J)
            for n in range(hi, lo, -1):  # step n, code index n-1
                if done:
                    break
                P = P @ J[n - 1 - lo]
                sigma = float(np.linalg.norm(P, 2))
                if sigma == 0.0 or not np.isfinite(sigma):
                    prod[: n] = 0.0 if sigma == 0.0 else np.inf
                    done = True
                    break
                log_scale += np.log(sigma)
                P /= sigma
                prod[n - 1] = np.exp(log_scale)
    return jac, prod


def direct_log(back: Back, sample: int) -> tuple[np.ndarray, np.ndarray]:
    """The gated cells' direct terms diag(d(n)), d = f (LSTM) or z (GRU), for one sample:
    ||diag(d(n))||_2 = max_i d_i(n) (n = 1..N) and ||diag(d(N)) ... diag(d(n+1))||_2 = max_i prod d_i (n = 0..N)."""
    d = back.direct[:, sample]  # (N, H), in (0, 1)
    N = d.shape[0]
    prod = np.ones((N + 1, d.shape[1]))  # (N+1, H) entry n: prod over steps n+1..N
    with np.errstate(under="ignore"):
        prod[:N] = np.cumprod(d[::-1], axis=0)[::-1]
    return d.max(axis=1), prod.max(axis=1)


def gate_statistics(trace: Trace) -> dict[str, np.ndarray] | None:
    """Gate name -> (N, 3): mean, 10th and 90th percentile over units and batch at each step (the gates only,
    not the candidate g); None for the Elman cell. Percentiles as np.percentile's default (linear between
    the order statistics at positions q (M - 1), M = B*H), from one sort of every gate at once (a partial
    sort for M > 2048, where it is the faster)."""
    if trace.gates is None:
        return None
    names = [name for name in PARAMS_TYPES[trace.cell].blocks if name != "g"]
    N, B, H = trace.s.shape[0] - 1, trace.s.shape[1], trace.s.shape[2]
    v = np.empty((len(names), N, B * H))  # (gates, N, B*H), one copy of each gate
    for k, name in enumerate(names):
        v[k].reshape(N, B, H)[...] = trace.gate(name)
    positions = np.array([0.1, 0.9]) * (B * H - 1)
    lo = np.floor(positions).astype(int)
    hi = np.minimum(lo + 1, B * H - 1)
    if B * H > 2048:
        part = np.partition(v, np.unique(np.concatenate([lo, hi])), axis=2)  # (gates, N, B*H)
    else:
        part = np.sort(v, axis=2)  # (gates, N, B*H)
    weight = positions - lo  # (2,)
    pct = part[:, :, lo] * (1.0 - weight) + part[:, :, hi] * weight  # (gates, N, 2)
    mean = v.mean(axis=2)  # (gates, N)
    return {name: np.column_stack([mean[k], pct[k]]) for k, name in enumerate(names)}


def carry_back(back: Back, direct: np.ndarray, k: int, on_lag=None) -> tuple[np.ndarray, np.ndarray | None]:
    """All loss terms carried back together, one lag j at a time (not one backward pass per term).

    G_j(i) = dl_(i+j)/ds(i) at code positions i = m - j >= 0 of the terms m: G_0 = dl_m/ds(m) = direct, and
    G_(j+1)(i) the recurrent part the cell's step sends back from G_j(i+1) (the LSTM carries the pair
    (dl/ds, f * dl/dc)), for j = 0..k-1: term m reaches step m - j only if j < k (truncated BPTT). Terms
    whose dl_m/ds(m) is zero (no loss read out at m, as in the copy task's silent steps) are left out.
    on_lag(j, i, G_j, delta_j) is called at every lag with the positions i (a slice or an index array), G_j
    and delta_j = dl_(i+j)/da(i) at them ((len(i), B, H) and (len(i), B, G*H); scratch: read, do not keep).
    The rows of `direct` may be samples or any other stack (the connectivity's K outputs of one sample).

    Returns the sums over j, dL/ds(i) (written into direct) and, for the LSTM, the carried part of dL/dc(i)
    (the step adds dL/ds(i) * o * phi'(c(i))); every term that reaches s(i) reaches a(i), so the cell's step
    once on the sums gives dL/da.
    """
    N, B, H = direct.shape
    GH = back.factors_size
    delta = scratch("stack delta", (N, B, GH))  # (N, B, G*H) dl/da of the terms at one lag
    delta_s = scratch("stack delta_s", (N, B, GH)) if back.separate_delta_s else delta
    dLdc = scratch("stack dL/dc", (N, B, H)) if back.carries_c else None  # (N, B, H) likewise
    recs = [scratch(f"stack G{i}", (N, B, H)) for i in range(2)]  # (N, B, H) per term: dl/ds one step back
    carries = [scratch(f"stack C{i}", (N, B, H)) for i in range(2)] if back.carries_c else [None, None]
    C_sum = None
    if back.carries_c:
        C_sum = scratch("stack C sum", (N, B, H))  # (N, B, H)
        C_sum.fill(0.0)
    terms = np.flatnonzero(direct.reshape(N, -1).any(axis=1))  # (Q,) the steps m that read out a loss
    dense = terms.size == N  # every step: positions are slices, no gathering
    G, C = (direct if dense else direct[terms]), None  # (Q, B, H) lag 0: the seeds, nothing carried along c
    first = 0  # terms[first:] are the ones still alive (m >= j)
    for j in range(min(k, N)):
        alive = terms[first:]
        count = alive.size
        if count == 0:
            break
        at = slice(0, count) if dense else alive - j  # their positions i = m - j
        drop = 1 if alive[0] == j else 0  # the term that has reached position 0 goes no further
        more = j < k - 1 and count > drop
        rec, carry = recs[j % 2], carries[j % 2]
        back.step(at, G[:count], None if C is None else C[:count], delta[:count], delta_s[:count],
                  rec[:count] if more else None, None if dLdc is None else dLdc[:count],
                  carry[:count] if more and carry is not None else None)
        if on_lag is not None:
            on_lag(j, at, G[:count], delta[:count])
        if not more:
            break
        G, C = rec[drop:count], None if carry is None else carry[drop:count]  # the states one step back
        to = slice(0, count - 1) if dense else alive[drop:] - j - 1
        direct[to] += G
        if C_sum is not None:
            C_sum[to] += C
        first += drop
    return direct, C_sum


def _fast_elman(trace: Trace, W_s: np.ndarray, dLds: np.ndarray, k: int, readout: str):
    """The Elman cell's full loop, its step inlined (two or three in-place calls per step, faster than the
    cells' shared loop at lecture sizes): returns delta (N, B, H) and dL/ds(0)."""
    N, B, H = trace.a.shape
    delta = get_activation(trace.activation).dphi(trace.a, trace.s[1:], out=scratch("delta", (N, B, H)))
    delta[: N - k] = 0.0  # outside the truncation window (readout="last"); overwritten below with phi' * dL/ds
    carried = scratch("carried", (B, H))  # (B, H) W_s^T delta(n)
    for n in range(N - 1, N - 1 - k, -1):
        np.multiply(delta[n], dLds[n], out=delta[n])
        if n > N - k:
            if readout == "last":
                np.matmul(delta[n], W_s, out=dLds[n - 1])  # dL/ds(n-1) = W_s^T delta(n)
            else:
                np.matmul(delta[n], W_s, out=carried)
                np.add(dLds[n - 1], carried, out=dLds[n - 1])  # + dl_(n-1)/ds(n-1)
    return delta, delta[0] @ W_s  # dL/ds(0): zero when truncation stops short of step 1


def _loop(back: Back, dLds: np.ndarray, k: int, readout: str):
    """The shared loop over time, from step N back through the k steps of the window (full BPTT, or a loss
    at the last step only): (delta_x, delta_s, dL/dc or None, dL/ds(0), dL/dc(0) or None)."""
    N, B, H = dLds.shape
    delta_x = scratch("delta_x", (N, B, back.factors_size))  # (N, B, G*H) dL/da(n)
    delta_s = scratch("delta_s", delta_x.shape) if back.separate_delta_s else delta_x
    dLdc = scratch("dL/dc", (N, B, H)) if back.carries_c else None  # (N, B, H)
    for arr in (delta_x, delta_s, dLdc):
        if arr is not None:
            arr[: N - k] = 0.0  # outside the truncation window
    rec = scratch("rec", (B, H))  # (B, H) recurrent part of dL/ds(n-1)
    carry = np.zeros((B, H)) if back.carries_c else None  # (B, H) f(n) dL/dc(n), to step n-1
    s0_grad = np.zeros((B, H))  # (B, H)
    carried = None
    for n in range(N - 1, N - 1 - k, -1):
        into = dLds[n - 1] if readout == "last" and n > N - k else rec  # dl_(n-1)/ds(n-1) = 0: write directly
        back.step(n, dLds[n], carried, delta_x[n], delta_s[n], into, None if dLdc is None else dLdc[n], carry)
        carried = carry
        if n == 0:
            s0_grad[:] = rec
        elif readout == "all":
            np.add(dLds[n - 1], rec, out=dLds[n - 1])
    if k < N:
        carry = None if carry is None else np.zeros((B, H))  # the window stops short of step 1
    return delta_x, delta_s, dLdc, s0_grad, carry


def _every_step(back: Back, direct: np.ndarray, k: int, on_lag=None):
    """A loss at every step, all terms carried back together (carry_back), then the cell's step once on the
    sums for dL/da: (dL/ds, delta_x, delta_s, dL/dc or None, dL/ds(0), dL/dc(0) or None)."""
    N, B, H = direct.shape
    dLds, C_sum = carry_back(back, direct, k, on_lag)
    delta_x = scratch("delta_x", (N, B, back.factors_size))  # (N, B, G*H)
    delta_s = scratch("delta_s", delta_x.shape) if back.separate_delta_s else delta_x
    dLdc = scratch("dL/dc", (N, B, H)) if back.carries_c else None  # (N, B, H)
    s0_grad = np.empty((1, B, H))  # (1, B, H)
    c0_grad = np.empty((1, B, H)) if back.carries_c else None
    for steps, rec, carry in ((slice(1, N), None, None), (slice(0, 1), s0_grad, c0_grad)):
        back.step(steps, dLds[steps], None if C_sum is None else C_sum[steps], delta_x[steps], delta_s[steps], rec,
                  None if dLdc is None else dLdc[steps], carry)
    return dLds, delta_x, delta_s, dLdc, s0_grad[0], None if c0_grad is None else c0_grad[0]


def read_out(params: CellParams, trace: Trace, t: np.ndarray, loss: str, readout: str, k: int):
    """The loss, the read-out's gradients dL/dW_y, dL/db_y and the direct terms dl_n/ds(n) (N, B, H) (zero
    outside the truncation window for readout="last"; scratch) of a checked target t."""
    N, B, H = trace.s.shape[0] - 1, trace.s.shape[1], trace.s.shape[2]
    K = trace.y.shape[2]
    W_y = params.W_y
    if readout == "last":
        L, dz = loss_and_grad(trace.z[N - 1], trace.y[N - 1], t, loss, trace.output)  # dz: (B, K)
        dW_y = dz.T @ trace.s[N]  # (K, H)
        dLds = scratch("dLds", (N, B, H))  # (N, B, H) dL/ds(n), n = 1..N; written below step by step
        dLds[: N - k] = 0.0  # outside the truncation window
        np.matmul(dz, W_y, out=dLds[N - 1])  # dl_N/ds(N)
    else:
        L, dz = loss_and_grad(trace.z.reshape(N * B, K), trace.y.reshape(N * B, K), t.reshape(N * B, K),
                              loss, trace.output)  # dz: (N*B, K)
        dW_y = dz.T @ trace.s[1:].reshape(N * B, H)  # (K, H)
        dLds = scratch("dLds", (N, B, H))  # (N, B, H) dl_n/ds(n); below + the recurrent part
        np.matmul(dz, W_y, out=dLds.reshape(N * B, H))
    return L, dW_y, dz.sum(axis=0), dLds  # dz.sum: (K,) dL/db_y


def check_pair(params, trace) -> None:
    """params and trace made by the same cell and sizes, or ValueError."""
    check_params(params)
    if not isinstance(trace, Trace):
        raise ValueError(f"trace must be the Trace that forward(params, x) returns; got {type(trace).__name__}.")
    if trace.cell != params.cell:
        raise ValueError(f"params and trace do not belong together: the params are {params.title}'s but the trace "
                         f"was made by {PARAMS_TYPES[trace.cell].title}; run forward with these params first.")
    if params.H != trace.s.shape[2] or params.K != trace.y.shape[2] or params.D != trace.x.shape[2]:
        raise ValueError("params and trace do not belong together: run forward with these params first.")


def backward(
    params: CellParams,
    trace: Trace,
    target,
    loss: str = "sse",
    readout: str = "last",
    truncate: int | None = None,
    jacobians: bool = False,
    sample: int = 0,
    contributions: bool = True,
    itemized: bool = False,
) -> BackwardResult:
    """BPTT for any cell: loss, dL/dtheta and the per-step gradient log (see the module docstring).

    contributions=False leaves out each step's share of dL/dW_s, dL/dW_x and dL/db and the other per-step
    extras of the log (block_grad, gate_stats, unit_grad; the shares cost as many flops as dL/dW_s;
    training, which keeps only ||dL/ds(n)||, skips them).

    jacobians=True also logs the spectral norms of the state Jacobians J(n) and of their products back from
    N for one sample of the batch (it costs S^3 per step, S the state's size), and for the gated cells those
    of the direct terms diag(f(n)) or diag(z(n)).

    itemized=True also logs ||dl_m/ds(n)|| for every loss term l_m and step n (credit.py); with a loss at
    every step it carries all N terms back together, N / 2 times the recurrent products of a plain backward.
    """
    check_pair(params, trace)
    check_loss(loss, trace.output)
    t = check_target_values(check_target(target, trace, readout), loss)
    N, B, H = trace.s.shape[0] - 1, trace.s.shape[1], trace.s.shape[2]
    k = check_truncate(truncate, N)
    if jacobians:
        sample = whole_number(sample, "sample", 0, B - 1, meaning="which sample of the batch the Jacobians follow")
    W_s = params.W_s
    cell = cell_of(params)

    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        L, dW_y, db_y, dLds = read_out(params, trace, t, loss, readout, k)
        items = np.zeros((N, N)) if itemized else None  # (N, N) [m-1, n-1] = ||dl_m/ds(n)||
        every_step = readout == "all" and (k < N or itemized)
        back = None if params.cell == "elman" and not every_step else cell.backward(params, trace)
        dLdc = c0_grad = None
        if back is None:  # Elman fast path
            delta_x, s0_grad = _fast_elman(trace, W_s, dLds, k, readout)
            delta_s = delta_x
        elif every_step:
            on_lag = None if items is None else (lambda j, at, G, delta: _record_lag(items, j, at, G))
            dLds, delta_x, delta_s, dLdc, s0_grad, c0_grad = _every_step(back, dLds, k, on_lag)
        else:
            delta_x, delta_s, dLdc, s0_grad, c0_grad = _loop(back, dLds, k, readout)

        dW_s, W_s_shares = _weight_grad(delta_s, trace.s[:-1], contributions, "W_s")  # (G*H, H), s(n-1)
        dW_x, W_x_shares = _weight_grad(delta_x, trace.x, contributions, "W_x")  # (G*H, D)
        delta_sum = np.ones(B) @ delta_x  # (N, G*H) sum over the batch of delta(n) (faster than .sum(axis=1))
        db = delta_sum.sum(axis=0)  # (G*H,)

        state_norms = frobenius(dLds)
        if items is not None and readout == "last":
            items[N - 1] = state_norms  # the only loss term is l_N
        extras = {}
        if contributions:
            extras["unit_grad"] = np.sqrt(np.einsum("nbh,nbh->nh", dLds, dLds) / B)  # (N, H)
            if params.cell != "elman":
                blocks = delta_x.reshape(N, B, params.G, H)
                extras["block_grad"] = np.sqrt(np.einsum("nbkh,nbkh->nk", blocks, blocks))  # (N, G)
                extras["gate_stats"] = gate_statistics(trace)
                extras["direct_grad"] = frobenius(back.direct * (dLds if dLdc is None else dLdc))  # (N,)
        log = GradLog(
            state_grad=state_norms,
            preact_grad=frobenius(delta_x),
            W_s_contrib=W_s_shares,
            W_x_contrib=W_x_shares,
            b_contrib=frobenius(delta_sum) if contributions else None,
            cell_grad=None if dLdc is None else frobenius(dLdc),
            itemized=items,
            **extras,
        )
        if jacobians:
            back = back or cell.backward(params, trace)
            jac, prod = jacobian_log(params, trace, back, sample)
            more = {"jacobian_norms": jac, "product_norms": prod, "sample": sample}
            if back.direct is not None:
                more["direct_norms"], more["direct_product_norms"] = direct_log(back, sample)
            log = replace(log, **more)
    grads = type(params).unchecked(dW_x, dW_s, db, dW_y, db_y)  # may be non-finite when a run explodes
    return BackwardResult(loss=float(L), grads=grads, state_grad_norms=state_norms, log=log, s0_grad=s0_grad,
                          c0_grad=c0_grad)


def positions(at, count: int) -> np.ndarray:
    """The positions i of carry_back's on_lag as an index array."""
    return np.arange(at.start, at.start + count) if isinstance(at, slice) else at


def _record_lag(items: np.ndarray, j: int, at, G: np.ndarray) -> None:
    """items[i + j, i] = ||G_j(i)|| = ||dl_(i+j)/ds(i)|| for the terms of lag j at positions i."""
    i = positions(at, G.shape[0])
    items[i + j, i] = frobenius(G)
