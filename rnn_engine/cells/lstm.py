"""The LSTM cell (torch.nn.LSTM with bias_hh = 0), forward step and backward step side by side.

    forward   a(n) = W_x x(n) + W_s s(n-1) + b = [a_i, a_f, a_g, a_o]
              i, f, o = sigmoid(a_i, a_f, a_o),   g = phi(a_g)
              c(n) = f * c(n-1) + i * g,          s(n) = o * phi(c(n))

    backward  dL/dc(n) = dL/ds(n) * o * phi'(c(n)) + f(n+1) * dL/dc(n+1)       (total derivative)
              dL/da_i = dL/dc(n) * g * i (1 - i)        dL/da_f = dL/dc(n) * c(n-1) * f (1 - f)
              dL/da_g = dL/dc(n) * i * phi'(a_g)        dL/da_o = dL/ds(n) * phi(c(n)) * o (1 - o)
              dL/ds(n-1) <- W_s^T dL/da(n),             dL/dc(n-1) <- f(n) * dL/dc(n)

The state carried from step to step is the pair (s, c). Its Jacobian, with q the factors above
(q_i = g i', q_f = c(n-1) f', q_g = i phi'(a_g), q_o = phi(c) o') and u = o * phi'(c(n)):

    dc(n)/ds(n-1) = sum_k diag(q_k) W_sk (k = i, f, g)      dc(n)/dc(n-1) = diag(f(n))   <- the direct term
    ds(n)/ds(n-1) = diag(q_o) W_so + diag(u) dc(n)/ds(n-1)  ds(n)/dc(n-1) = diag(u * f(n))

diag(f(n)) is the constant error carousel (Hochreiter & Schmidhuber 1997; the forget gate: Gers et al. 2000).
"""
from __future__ import annotations

import numpy as np

from rnn_engine.activations import gate_sigmoid, get_activation
from rnn_engine.cells import Back, Cell, matmul_rows
from rnn_engine.scratch import recycled, scratch


def forward(params, a, s, phi, c0):
    """One step: eight calls on (B, 4H) or (B, H) blocks, none of which allocates."""
    N, B, H = a.shape[0], a.shape[1], params.H
    gates = recycled((N, B, 4 * H))  # (N, B, 4H) i, f, g, o
    c = recycled((N + 1, B, H))  # (N+1, B, H) c(0..N)
    c[0] = 0.0 if c0 is None else c0
    phi_c = recycled((N, B, H))  # (N, B, H) phi(c(n))
    W_sT = np.ascontiguousarray(params.W_s.T)  # (H, 4H)
    recurrent = np.empty((B, 4 * H))  # (B, 4H) W_s s(n-1)
    ig = np.empty((B, H))  # (B, H) i * g

    def step(n):
        np.matmul(s[n], W_sT, out=recurrent)
        np.add(a[n], recurrent, out=a[n])  # a(n), blocks i, f, g, o
        gate_sigmoid(a[n, :, : 2 * H], out=gates[n, :, : 2 * H])  # i, f
        phi(a[n, :, 2 * H : 3 * H], out=gates[n, :, 2 * H : 3 * H])  # g
        gate_sigmoid(a[n, :, 3 * H :], out=gates[n, :, 3 * H :])  # o
        i, f, g, o = gates[n, :, :H], gates[n, :, H : 2 * H], gates[n, :, 2 * H : 3 * H], gates[n, :, 3 * H :]
        np.multiply(f, c[n], out=c[n + 1])
        np.multiply(i, g, out=ig)
        np.add(c[n + 1], ig, out=c[n + 1])  # c(n) = f * c(n-1) + i * g
        phi(c[n + 1], out=phi_c[n])
        np.multiply(o, phi_c[n], out=s[n + 1])  # s(n) = o * phi(c(n))

    return step, {"a": a[:, :, 2 * H : 3 * H], "preact": a, "gates": gates, "c": c, "phi_c": phi_c}


def backward(params, trace) -> Back:
    """The factors q (N, B, 4, H) and u (N, B, H) of the module docstring for every step at once, and the step."""
    N, B, H = trace.a.shape
    dphi = get_activation(trace.activation).dphi
    G = trace.gates.reshape(N, B, 4, H)
    i, f, g, o = G[:, :, 0], G[:, :, 1], G[:, :, 2], G[:, :, 3]
    q = scratch("lstm q", (N, B, 4, H))  # (N, B, 4, H)
    np.subtract(1.0, G, out=q)
    np.multiply(q, G, out=q)  # gate (1 - gate) for every block; the g block is replaced below
    np.multiply(q[:, :, 0], g, out=q[:, :, 0])  # q_i = g i (1 - i)
    np.multiply(q[:, :, 1], trace.c[:-1], out=q[:, :, 1])  # q_f = c(n-1) f (1 - f)
    np.multiply(dphi(trace.a, g, out=q[:, :, 2]), i, out=q[:, :, 2])  # q_g = i phi'(a_g)
    np.multiply(q[:, :, 3], trace.phi_c, out=q[:, :, 3])  # q_o = phi(c(n)) o (1 - o)
    u = dphi(trace.c[1:], trace.phi_c, out=scratch("lstm u", (N, B, H)))  # (N, B, H)
    np.multiply(u, o, out=u)  # u = o * phi'(c(n))
    W_s = params.W_s

    def step(n, dLds, carried, delta_x, delta_s, rec, dLdc, carry):
        np.multiply(dLds, u[n], out=dLdc)
        if carried is not None:
            np.add(dLdc, carried, out=dLdc)  # dL/dc(n)
        qn = q[n]
        da = delta_x.reshape(*delta_x.shape[:-1], 4, H)  # (..., B, 4, H) view
        np.multiply(dLdc[..., None, :], qn[..., :3, :], out=da[..., :3, :])  # dL/da_i, dL/da_f, dL/da_g
        np.multiply(dLds, qn[..., 3, :], out=da[..., 3, :])  # dL/da_o
        if rec is not None:
            matmul_rows(delta_x, W_s, rec)  # W_s^T dL/da(n)
        if carry is not None:
            np.multiply(f[n], dLdc, out=carry)  # f(n) * dL/dc(n), to step n-1

    return Back(step=step, state_size=2 * H, direct=f, factors={"q": q, "u": u, "f": f},
                factors_size=4 * H, carries_c=True)


def jacobians(params, trace, back: Back, sample: int, lo: int, hi: int) -> np.ndarray:
    """d(s, c)(n) / d(s, c)(n-1) for code steps lo..hi-1 of one sample: (hi - lo, 2H, 2H), state order (s, c)."""
    H = params.H
    q = back.factors["q"][lo:hi, sample]  # (M, 4, H)
    u = back.factors["u"][lo:hi, sample]  # (M, H)
    f = back.factors["f"][lo:hi, sample]  # (M, H)
    W = params.W_s.reshape(4, H, H)  # blocks i, f, g, o
    J = np.zeros((hi - lo, 2 * H, 2 * H))  # (M, 2H, 2H)
    dc_ds = np.einsum("mkh,khj->mhj", q[:, :3], W[:3])  # (M, H, H) sum_k diag(q_k) W_sk
    J[:, H:, :H] = dc_ds
    J[:, H:, H:] = f[:, :, None] * np.eye(H)  # diag(f)
    J[:, :H, :H] = q[:, 3, :, None] * W[3] + u[:, :, None] * dc_ds
    J[:, :H, H:] = (u * f)[:, :, None] * np.eye(H)
    return J


CELL = Cell("lstm", forward, backward, jacobians)
