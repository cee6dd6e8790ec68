"""The GRU cell (torch.nn.GRU with bias_hh = 0), forward step and backward step side by side.

    forward   [a_r, a_z] = W_x[r, z] x(n) + W_s[r, z] s(n-1) + b[r, z],   r, z = sigmoid(a_r, a_z)
              a_g = W_xg x(n) + b_g + r * (W_sg s(n-1)),                  g = phi(a_g)
              s(n) = (1 - z) * g + z * s(n-1)

    backward  dL/da_z = dL/ds(n) * (s(n-1) - g) * z (1 - z)      dL/da_g = dL/ds(n) * (1 - z) * phi'(a_g)
              dL/da_r = dL/da_g * (W_sg s(n-1)) * r (1 - r)
              dL/ds(n-1) <- W_s^T [dL/da_r, dL/da_z, r * dL/da_g] + z * dL/ds(n)

W_x and b see dL/da = [dL/da_r, dL/da_z, dL/da_g]; W_s sees [dL/da_r, dL/da_z, r * dL/da_g] (delta_s).
The Jacobian, with q_z = (s(n-1) - g) z', q_g = (1 - z) phi'(a_g), q_r = (W_sg s(n-1)) r':

    ds(n)/ds(n-1) = diag(z(n)) + diag(q_z) W_sz + diag(q_g) (diag(r) W_sg + diag(q_r) W_sr)

diag(z(n)) is the direct term: z = 1 copies the state and its gradient unchanged.
"""
from __future__ import annotations

import numpy as np

from rnn_engine.activations import gate_sigmoid, get_activation
from rnn_engine.cells import Back, Cell, matmul_rows
from rnn_engine.scratch import recycled, scratch


def forward(params, a, s, phi, c0):
    """One step: ten calls on (B, 3H), (B, 2H) or (B, H) blocks, none of which allocates.

    s(n) is computed as s(n-1) + (1 - z) * (g - s(n-1)), so that z = 1 keeps s(n-1) exactly."""
    N, B, H = a.shape[0], a.shape[1], params.H
    gates = recycled((N, B, 3 * H))  # (N, B, 3H) r, z, g
    recurrent = recycled((N, B, 3 * H))  # (N, B, 3H) W_s s(n-1); its g block is kept in the trace
    W_sT = np.ascontiguousarray(params.W_s.T)  # (H, 3H)
    tmp = np.empty((B, H))  # (B, H)
    one_minus_z = np.empty((B, H))  # (B, H)

    def step(n):
        np.matmul(s[n], W_sT, out=recurrent[n])
        np.add(a[n, :, : 2 * H], recurrent[n, :, : 2 * H], out=a[n, :, : 2 * H])  # a_r, a_z
        gate_sigmoid(a[n, :, : 2 * H], out=gates[n, :, : 2 * H])  # r, z
        r, z, g = gates[n, :, :H], gates[n, :, H : 2 * H], gates[n, :, 2 * H :]
        np.multiply(r, recurrent[n, :, 2 * H :], out=tmp)
        np.add(a[n, :, 2 * H :], tmp, out=a[n, :, 2 * H :])  # a_g = W_xg x + b_g + r * W_sg s(n-1)
        phi(a[n, :, 2 * H :], out=g)
        np.subtract(g, s[n], out=tmp)
        np.subtract(1.0, z, out=one_minus_z)
        np.multiply(one_minus_z, tmp, out=tmp)
        np.add(s[n], tmp, out=s[n + 1])  # s(n) = s(n-1) + (1 - z) (g - s(n-1)) = (1 - z) g + z s(n-1)

    return step, {"a": a[:, :, 2 * H :], "preact": a, "gates": gates, "recurrent_g": recurrent[:, :, 2 * H :]}


def backward(params, trace) -> Back:
    """The factors q_z, q_g (N, B, 2, H) and q_r (N, B, H) of the module docstring for every step, and the step."""
    N, B, H = trace.a.shape
    G = trace.gates.reshape(N, B, 3, H)
    r, z, g = G[:, :, 0], G[:, :, 1], G[:, :, 2]
    q = scratch("gru q", (N, B, 2, H))  # (N, B, 2, H) q_z, q_g
    np.subtract(1.0, z, out=q[:, :, 0])
    np.multiply(q[:, :, 0], z, out=q[:, :, 0])
    np.subtract(trace.s[:-1], g, out=q[:, :, 1])
    np.multiply(q[:, :, 0], q[:, :, 1], out=q[:, :, 0])  # q_z = (s(n-1) - g) z (1 - z)
    get_activation(trace.activation).dphi(trace.a, g, out=q[:, :, 1])
    np.multiply(q[:, :, 1], 1.0 - z, out=q[:, :, 1])  # q_g = (1 - z) phi'(a_g)
    q_r = scratch("gru q_r", (N, B, H))  # (N, B, H)
    np.subtract(1.0, r, out=q_r)
    np.multiply(q_r, r, out=q_r)
    np.multiply(q_r, trace.recurrent_g, out=q_r)  # q_r = W_sg s(n-1) r (1 - r)
    W_s = params.W_s

    def step(n, dLds, carried, delta_x, delta_s, rec, dLdc, carry):
        dx = delta_x.reshape(*delta_x.shape[:-1], 3, H)  # (..., B, 3, H) views
        ds = delta_s.reshape(*delta_s.shape[:-1], 3, H)
        np.multiply(dLds[..., None, :], q[n], out=dx[..., 1:, :])  # dL/da_z, dL/da_g
        np.multiply(dx[..., 2, :], q_r[n], out=dx[..., 0, :])  # dL/da_r
        np.copyto(ds[..., :2, :], dx[..., :2, :])
        np.multiply(dx[..., 2, :], r[n], out=ds[..., 2, :])  # r * dL/da_g
        if rec is not None:
            matmul_rows(delta_s, W_s, rec)
            kept = np.multiply(z[n], dLds, out=scratch("gru z dL/ds", dLds.shape))
            np.add(rec, kept, out=rec)  # + z(n) * dL/ds(n)

    return Back(step=step, state_size=H, direct=z, factors={"q": q, "q_r": q_r, "r": r, "z": z},
                factors_size=3 * H, separate_delta_s=True)


def jacobians(params, trace, back: Back, sample: int, lo: int, hi: int) -> np.ndarray:
    """ds(n)/ds(n-1) for code steps lo..hi-1 of one sample: (hi - lo, H, H)."""
    H = params.H
    q = back.factors["q"][lo:hi, sample]  # (M, 2, H)
    q_r = back.factors["q_r"][lo:hi, sample]  # (M, H)
    r, z = back.factors["r"][lo:hi, sample], back.factors["z"][lo:hi, sample]  # (M, H)
    W_r, W_z, W_g = params.W_s.reshape(3, H, H)
    da_g = r[:, :, None] * W_g + q_r[:, :, None] * W_r  # (M, H, H) da_g/ds(n-1)
    J = q[:, 0, :, None] * W_z + q[:, 1, :, None] * da_g  # (M, H, H)
    J[:, np.arange(H), np.arange(H)] += z
    return J


CELL = Cell("gru", forward, backward, jacobians)
