"""Unfolded graph: the network drawn along the time axis, each edge coloured by the gradient flowing back through it."""
import numpy as np
import streamlit as st

from dashboard import compute, diagnose, edges, ui
from dashboard.figures import graph as figs
from rnn_engine import get_activation
from rnn_engine.theory import singular_values

exp = ui.experiment()
SEEING = ("The recurrent layer drawn once per time step, left to right; backpropagation through time sends the "
          "gradient back along every arrow. Colour and thickness show how much gradient flows back through each one.")
if exp.cell == "lstm":
    ui.header(
        "The unfolded graph: LSTM",
        SEEING + " The top path c(n−1) → c(n) is the cell state: going back it only multiplies by the forget gate "
        "f(n), so where f stays near 1 the gradient passes almost untouched (the constant error carousel).",
        r"c(n) = f(n) \odot c(n-1) + i(n) \odot g(n),\quad s(n) = o(n) \odot \varphi(c(n)),\quad "
        r"\frac{\partial L}{\partial c(n-1)} = f(n) \odot \frac{\partial L}{\partial c(n)} + \dots",
    )
elif exp.cell == "gru":
    ui.header(
        "The unfolded graph: GRU",
        SEEING + " The straight path s(n−1) → s(n) is the gated shortcut: going back it multiplies by the update gate "
        "z(n) alone, no W_s and no φ′, so where z stays near 1 the gradient passes almost untouched.",
        r"s(n) = \big(1 - z(n)\big) \odot g(n) + z(n) \odot s(n-1),\quad "
        r"\frac{\partial L}{\partial s(n-1)} = z(n) \odot \frac{\partial L}{\partial s(n)} + \dots",
    )
else:
    ui.header(
        "The unfolded graph", SEEING,
        r"a(n) = W_x x(n) + W_s s(n-1) + b,\quad s(n) = \varphi(a(n)),\quad "
        r"\frac{\partial L}{\partial s(n-1)} = W_s^\top \delta(n),\quad \delta(n) = \varphi'(a(n)) \odot \frac{\partial L}{\partial s(n)}",
    )

with ui.plain_errors(reset_key="graph_reset_weights"):
    s = compute.setup(exp)
    trace, res = compute.gradients(exp)
    g = edges.edge_gradients(exp)

N, readout = exp.N, s.train.readout
p, log = s.params, res.log

# The step to inspect: 1..N, kept in range when N shrinks.
if N > 1:
    st.session_state.setdefault("graph_step", 1)
    st.session_state["graph_step"] = int(min(max(st.session_state["graph_step"], 1), N))
    n = st.slider("Inspect time step n (highlighted in the graph; always drawn)", 1, N, key="graph_step")
else:
    n = 1

drawn = figs.drawn_steps(N, n, ui.theme())
max_full = figs.LIMITS[ui.theme()][0]
with ui.main_chart():
    ui.chart(figs.unfolded(g, n, ui.theme()), "unfolded-graph")

# Caption: what the colours mean, and what to notice with these numbers.
first, last = log.state_grad[0], log.state_grad[-1]
with np.errstate(divide="ignore", invalid="ignore"):
    ratio = first / last
what = ("Arrows point the way the network computes; their colour (Viridis, log scale) and thickness show the norm of "
        "the gradient that flows back through them in BPTT, summed over the batch of "
        f"{trace.B} sequences. Grey dotted: no gradient flows there. Hover on an arrow or a node for the exact number.")
if N == 1:
    notice = "With N = 1 there is no path back in time: the gradient goes straight from the loss to s(1) and a(1)."
elif not np.isfinite(ratio):
    bad = np.flatnonzero(~np.isfinite(log.state_grad))  # steps (0-based) whose gradient overflowed
    where = (f"already at the loss, step n = {N}: the states s(n) themselves grew past what a float64 holds on the "
             "way forward" if bad.size and bad[-1] == N - 1 else
             f"on the way back, at step n = {bad[-1] + 1} ({N - bad[-1] - 1} steps before the loss)" if bad.size else "")
    notice = (f"The gradient overflowed to infinity {where}: the run explodes. Lower the spectral radius of W_s, or "
              "choose a saturating φ (tanh)."
              if bad.size else
              f"No gradient reaches s({N}) at all (‖∂L/∂s({N})‖ = 0), so there is nothing to carry back: the read-out "
              "passes none on (see the Gradients page).")
elif readout == "last":
    notice = (f"With these weights the gradient reaching s(1) is {ratio:.1e} times the one at s({N}) "
              f"(‖∂L/∂s(1)‖ = {first:.2e}, ‖∂L/∂s({N})‖ = {last:.2e}): "
              + ("it vanishes on the way back, so step 1 barely learns." if ratio < 1e-2 else
                 "it explodes on the way back." if ratio > 1e2 else "it survives the way back."))
else:
    notice = (f"A loss term is read at every step, so every s(n) also receives fresh gradient from its own ℓ(n): "
              f"‖∂L/∂s(1)‖ = {first:.2e} against ‖∂L/∂s({N})‖ = {last:.2e}. The recurrent arrows carry "
              "‖∂L/∂s(n−1)‖, which includes the gradient of ℓ(n−1).")
if exp.truncate and exp.truncate < N:
    notice += f" BPTT is truncated at k = {exp.truncate} steps: nothing flows further back than that."
drawn_note = "" if N <= max_full else (
    f" For readability only {figs.describe_drawn(N, drawn)}; the strip below shows all {N} steps.")
st.caption(what + " " + notice + drawn_note)

if N > max_full:
    ui.chart(figs.overview(log.state_grad, drawn, n, ui.theme(), figs.colour_range(g)), "unfolded-graph-overview")
    st.caption(f"log₁₀ ‖∂L/∂s(n)‖ for all {N} steps on the graph's colour scale; ticks mark the "
               f"{len(drawn)} steps drawn in the graph, the orange line the inspected step n = {n}.")

# The selected step in numbers: what step n hands back to step n-1, and through which path.
if exp.cell != "elman":
    gate, state = ("f", "c") if exp.cell == "lstm" else ("z", "s")
    to_state = log.cell_grad if exp.cell == "lstm" else log.state_grad  # (N,) ||dL/dc(n)|| or ||dL/ds(n)||
    mean_gate = float(log.gate_stats[gate][n - 1, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = log.direct_grad[n - 1] / to_state[n - 1]
    st.subheader(f"Step n = {n}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("‖∂L/∂s(n)‖", diagnose.number(log.state_grad[n - 1]),
              help="The gradient that reaches the state s(n), through every later step.")
    if exp.cell == "lstm":
        c2.metric("‖∂L/∂c(n)‖", diagnose.number(log.cell_grad[n - 1]),
                  help="The gradient that reaches the cell state c(n): from s(n), and through f(n+1) from c(n+1).")
    else:
        c2.metric("‖δ(n)‖ = ‖∂L/∂a(n)‖", diagnose.number(log.preact_grad[n - 1]),
                  help="Over the three blocks of a(n): r, z and the candidate g.")
    c3.metric(f"mean {gate}({n})", f"{mean_gate:.3f}",
              help=f"The {'forget' if gate == 'f' else 'update'} gate at step n, averaged over the units and the batch "
                   f"(10–90 %: {log.gate_stats[gate][n - 1, 1]:.3f}…{log.gate_stats[gate][n - 1, 2]:.3f}).")
    c4.metric(f"‖{gate}(n) ⊙ ∂L/∂{state}(n)‖", diagnose.number(log.direct_grad[n - 1]),
              help=f"What step n hands back to {state}(n−1) through the direct term diag({gate}(n)) alone.")
    if n > 1 and np.isfinite(kept):
        st.caption(
            f"Going back from {state}({n}) to {state}({n - 1}), the direct path multiplies the gradient by {gate}({n}) "
            f"(mean {mean_gate:.3f}): it hands back {diagnose.percent(kept)} of ‖∂L/∂{state}({n})‖, with no W_s and no "
            "φ′ in the way. " + ("A gate near 1 keeps the gradient; that is why it can still reach step 1."
                                 if mean_gate > 0.8 else
                                 "A gate this far below 1 lets the gradient fade like the plain RNN's; raise the gate "
                                 "bias in the sidebar to open it."))
else:
    # The selected step in numbers, with its local Jacobian ds(n)/ds(n-1) = diag(phi'(a(n))) W_s (first sequence).
    act = get_activation(exp.activation)
    dphi = act.dphi(trace.a[n - 1, 0], trace.s[n, 0])  # (H,) phi'(a(n)) for the first sequence
    with np.errstate(over="ignore", invalid="ignore"):
        J = dphi[:, None] * p.W_s  # (H, H) ds(n)/ds(n-1)
        jac = float(np.linalg.norm(J, 2)) if np.isfinite(J).all() else float("inf")
    sigma = float(singular_values(p.W_s)[0])
    bound = act.kappa * sigma

    st.subheader(f"Step n = {n}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("‖∂L/∂s(n)‖", diagnose.number(log.state_grad[n - 1]), help="The gradient that reaches the state s(n), through every later step.")
    c2.metric("‖δ(n)‖ = ‖∂L/∂a(n)‖", diagnose.number(log.preact_grad[n - 1]), help="δ(n) = φ′(a(n)) ⊙ ∂L/∂s(n)")
    c3.metric("‖∂s(n)/∂s(n−1)‖₂", diagnose.number(jac, ".3f"),
              help="Spectral norm of the local Jacobian diag(φ′(a(n))) W_s, for the first sequence of the batch.")
    c4.metric("bound κ·σ_max(W_s)", f"{bound:.3f}", help=f"κ = {act.kappa:g} (max of φ′ for {act.name}), σ_max(W_s) = {sigma:.3f}.")
    shrink = "shrinks" if jac < 1 else "can grow"
    st.caption(
        f"One step back from s({n}) to s({n - 1}) multiplies the gradient by the Jacobian diag(φ′(a({n}))) W_s; its "
        f"spectral norm here is {jac:.3f} (φ′(a({n})) ranges over {dphi.min():.2f}…{dphi.max():.2f} across the "
        f"{exp.H} units), never above κ·σ_max(W_s) = {bound:.3f}. Below 1 the gradient {shrink} with each step back."
        if jac < 1 else
        f"One step back from s({n}) to s({n - 1}) multiplies the gradient by the Jacobian diag(φ′(a({n}))) W_s; its "
        f"spectral norm here is {jac:.3f} (φ′(a({n})) ranges over {dphi.min():.2f}…{dphi.max():.2f}), at most "
        f"κ·σ_max(W_s) = {bound:.3f}. Above 1 the gradient {shrink} along some directions with each step back."
    )
