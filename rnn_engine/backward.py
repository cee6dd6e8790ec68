"""Backpropagation through time, with a gradient log at every step.

With delta(n) = dL/da(n) and l_n the loss term read out at step n:

    dL/ds(n) = W_s^T delta(n+1) + dl_n/ds(n)        (total derivative; delta(N+1) = 0)
    delta(n) = phi'(a(n)) * dL/ds(n)
    dL/dW_s = sum_n delta(n) s(n-1)^T,  dL/dW_x = sum_n delta(n) x(n)^T,  dL/db = sum_n delta(n)

Truncated BPTT with k steps: each loss term l_m sends gradient back to a(m), a(m-1), ...,
a(m-k+1) and no further (k = 1: only the step that produced it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_engine.activations import get_activation
from rnn_engine.checks import as_array, whole_number
from rnn_engine.forward import Trace, check_params
from rnn_engine.losses import check_loss, check_target_values, loss_and_grad
from rnn_engine.params import Params
from rnn_engine.scratch import scratch

READOUTS = ("last", "all")
CHUNK_ELEMENTS = 2**18  # per-step (H, P) weight-gradient products formed at once: about 2 MB


@dataclass(frozen=True, eq=False)
class GradLog:
    """Per-step gradient norms; entry n-1 belongs to step n (Frobenius norms over the batch)."""

    state_grad: np.ndarray  # (N,) ||dL/ds(n)||
    preact_grad: np.ndarray  # (N,) ||dL/da(n)|| = ||delta(n)||
    W_s_contrib: np.ndarray | None  # (N,) ||delta(n) s(n-1)^T||, step n's share of dL/dW_s
    W_x_contrib: np.ndarray | None  # (N,) ||delta(n) x(n)^T||   (the three shares: None
    b_contrib: np.ndarray | None  # (N,) ||sum over the batch of delta(n)||   if not asked for)
    jacobian_norms: np.ndarray | None = None  # (N,) ||ds(n)/ds(n-1)||_2 = ||diag(phi'(a(n))) W_s||_2
    product_norms: np.ndarray | None = None  # (N+1,) entry n: ||ds(N)/ds(n)||_2, n = 0..N
    sample: int | None = None  # which sample of the batch the Jacobians belong to


@dataclass(frozen=True, eq=False)
class BackwardResult:
    loss: float
    grads: Params  # dL/dtheta
    state_grad_norms: np.ndarray  # (N,) entry n-1 = ||dL/ds(n)||
    log: GradLog
    s0_grad: np.ndarray  # (B, H) dL/ds(0)


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


def _frobenius(v: np.ndarray) -> np.ndarray:
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
        norms[lo : lo + chunk] = _frobenius(M)
    return dW, norms


def _spectral_norms(mats: np.ndarray) -> np.ndarray:
    """Largest singular value of each (H, H) matrix in an (M, H, H) stack."""
    return np.linalg.svd(mats, compute_uv=False)[:, 0]


def jacobian_log(params: Params, trace: Trace, sample: int) -> tuple[np.ndarray, np.ndarray]:
    """||ds(n)/ds(n-1)||_2 for n = 1..N and ||ds(N)/ds(n)||_2 for n = 0..N, for one sample (0..B-1,
    checked by backward).

    ds(n)/ds(n-1) = diag(phi'(a(n))) W_s;  ds(N)/ds(n) = J(N) J(N-1) ... J(n+1).
    """
    N, B, H = trace.a.shape
    dphi = get_activation(trace.activation).dphi
    d = dphi(trace.a[:, sample], trace.s[1:, sample])  # (N, H) phi'(a(n))
    W_s = params.W_s
    jac = np.empty(N)
    chunk = max(1, int(2**22 // (H * H)))  # about 32 MB of Jacobians at a time
    for lo in range(0, N, chunk):
        J = d[lo : lo + chunk, :, None] * W_s  # (chunk, H, H)
        jac[lo : lo + chunk] = _spectral_norms(J)
    prod = np.empty(N + 1)
    prod[N] = 1.0
    P = np.eye(H)  # ds(N)/ds(n), kept rescaled by exp(log_scale) to avoid over/underflow
    log_scale = 0.0
    with np.errstate(over="ignore", under="ignore"):
        for n in range(N, 0, -1):
            P = (P * d[n - 1]) @ W_s  # ds(N)/ds(n-1) = ds(N)/ds(n) diag(phi'(a(n))) W_s
            sigma = float(np.linalg.norm(P, 2))
            if sigma == 0.0 or not np.isfinite(sigma):
                prod[n - 1] = 0.0 if sigma == 0.0 else np.inf
                prod[: n - 1] = prod[n - 1]
                break
            log_scale += np.log(sigma)
            P /= sigma
            prod[n - 1] = np.exp(log_scale)
    return jac, prod


def _truncated_every_step(direct: np.ndarray, dphi: np.ndarray, W_s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Truncated BPTT with a loss at every step: (dL/ds(n), dL/da(n)), both (N, B, H).

    All N loss terms are carried back together, one lag j at a time: G_j(i) = dl_(i+j)/ds(i)
    within the window, G_0 = dl_i/ds(i) = direct, G_(j+1)(i) = W_s^T (phi'(a(i+1)) * G_j(i+1)),
    for j = 0..k-1 (term m reaches step m - j only if m - j >= 1). Then dL/ds = sum_j G_j and
    dL/da = phi' * dL/ds: every term that reaches s(i) reaches a(i).
    """
    N, B, H = direct.shape
    dLds = direct.copy()  # (N, B, H) sum over j of G_j
    G = np.empty((N, B, H))  # (N, B, H) G_j, rows 0..N-1-j in use
    carried = dphi * direct  # (N, B, H) phi' * G_j
    for j in range(1, k):
        reach = N - j  # terms m = j..N-1 reach step i = m - j
        np.matmul(carried[1 : reach + 1].reshape(-1, H), W_s, out=G[:reach].reshape(-1, H))
        dLds[:reach] += G[:reach]
        np.multiply(dphi[:reach], G[:reach], out=carried[:reach])
    return dLds, dphi * dLds


def backward(
    params: Params,
    trace: Trace,
    target,
    loss: str = "sse",
    readout: str = "last",
    truncate: int | None = None,
    jacobians: bool = False,
    sample: int = 0,
    contributions: bool = True,
) -> BackwardResult:
    """BPTT: loss, dL/dtheta and the per-step gradient log (see the module docstring).

    contributions=False leaves out each step's share of dL/dW_s, dL/dW_x and dL/db (they cost
    as many flops as dL/dW_s; training, which keeps only ||dL/ds(n)||, skips them).

    jacobians=True also logs the spectral norms of ds(n)/ds(n-1) and ds(N)/ds(n) for one
    sample of the batch (it costs H^3 per step).
    """
    check_params(params)
    if not isinstance(trace, Trace):
        raise ValueError(f"trace must be the Trace that forward(params, x) returns; got {type(trace).__name__}.")
    check_loss(loss, trace.output)
    t = check_target_values(check_target(target, trace, readout), loss)
    N, B, H = trace.a.shape
    K = trace.y.shape[2]
    k = check_truncate(truncate, N)
    if jacobians:
        sample = whole_number(sample, "sample", 0, B - 1, meaning="which sample of the batch the Jacobians follow")
    act = get_activation(trace.activation)
    W_s, W_y = params.W_s, params.W_y
    if W_s.shape != (H, H) or W_y.shape[0] != K or params.D != trace.x.shape[2]:
        raise ValueError("params and trace do not belong together: run forward with these params first.")

    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        # Loss, dL/dz at the steps that are read out, the read-out's gradients and dl_n/ds(n).
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
            dLds = scratch("dLds", (N, B, H))  # (N, B, H) dl_n/ds(n); below + W_s^T delta(n+1)
            np.matmul(dz, W_y, out=dLds.reshape(N * B, H))
        db_y = dz.sum(axis=0)  # (K,)

        dphi = act.dphi(trace.a, trace.s[1:], out=scratch("delta", (N, B, H)))  # (N, B, H) phi'(a(n))
        if readout == "all" and k < N:
            dLds, delta = _truncated_every_step(dLds, dphi, W_s, k)
        else:
            delta = dphi  # (N, B, H) overwritten step by step with dL/da(n) = phi'(a(n)) * dL/ds(n)
            delta[: N - k] = 0.0  # outside the truncation window (readout="last")
            carried = scratch("carried", (B, H))  # (B, H) W_s^T delta(n)
            for n in range(N - 1, N - 1 - k, -1):  # two or three calls per step, none allocates
                np.multiply(delta[n], dLds[n], out=delta[n])
                if n > N - k:
                    if readout == "last":
                        np.matmul(delta[n], W_s, out=dLds[n - 1])  # dL/ds(n-1) = W_s^T delta(n)
                    else:
                        np.matmul(delta[n], W_s, out=carried)
                        np.add(dLds[n - 1], carried, out=dLds[n - 1])  # + dl_(n-1)/ds(n-1)

        s0_grad = delta[0] @ W_s  # (B, H) dL/ds(0); zero when truncation stops short of step 1
        dW_s, W_s_shares = _weight_grad(delta, trace.s[:-1], contributions, "W_s")  # (H, H), s(n-1)
        dW_x, W_x_shares = _weight_grad(delta, trace.x, contributions, "W_x")  # (H, D)
        delta_sum = np.ones(B) @ delta  # (N, H) sum over the batch of delta(n) (faster than .sum(axis=1))
        db = delta_sum.sum(axis=0)  # (H,)

        state_norms = _frobenius(dLds)
        log = GradLog(
            state_grad=state_norms,
            preact_grad=_frobenius(delta),
            W_s_contrib=W_s_shares,
            W_x_contrib=W_x_shares,
            b_contrib=_frobenius(delta_sum) if contributions else None,
        )
        if jacobians:
            jac, prod = jacobian_log(params, trace, sample)
            log = GradLog(**{**log.__dict__, "jacobian_norms": jac, "product_norms": prod, "sample": sample})
    grads = Params.unchecked(dW_x, dW_s, db, dW_y, db_y)  # may be non-finite when a run explodes
    return BackwardResult(loss=float(L), grads=grads, state_grad_norms=state_norms, log=log, s0_grad=s0_grad)

