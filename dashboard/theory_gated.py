"""The Theory page for a gated cell: its gates per step, and the direct term of its Jacobian against the full one.

    LSTM  c(n) = f(n) * c(n-1) + i(n) * g(n),      dc(n)/dc(n-1) = diag(f(n))              (the carousel)
    GRU   s(n) = z(n) * s(n-1) + (1 - z(n)) * g(n),  ds(n)/ds(n-1) = diag(z(n)) + (paths through W_s)

The Elman cell's bound ||ds(N)/ds(n)||_2 <= (kappa sigma_max(W_s))^(N-n) does not hold here: the direct term does
not pass through W_s. What the page draws instead is measured (rnn_engine GradLog: gate_stats, jacobian_norms,
product_norms, direct_norms, direct_product_norms).
"""
from __future__ import annotations

import warnings

import numpy as np
import streamlit as st

from dashboard import compute, diagnose, gates, ui
from dashboard.config import CELLS, GATE_BIASES, Experiment
from dashboard.figures import theory as figs

EQUATIONS = {  # two lines: one equation is wider than the page
    "lstm": r"\begin{gathered}c(n) = f(n) \odot c(n-1) + i(n) \odot g(n),\qquad s(n) = o(n) \odot \varphi(c(n)) \\ "
            r"\frac{\partial c(n)}{\partial c(n-1)} = \mathrm{diag}\big(f(n)\big),\qquad "
            r"\Big\|\prod_{m=n+1}^{N} \mathrm{diag}\big(f(m)\big)\Big\|_2 = \max_i \prod_{m=n+1}^{N} f_i(m)"
            r"\end{gathered}",
    "gru": r"\begin{gathered}s(n) = z(n) \odot s(n-1) + \big(1 - z(n)\big) \odot g(n) \\ "
           r"\frac{\partial s(n)}{\partial s(n-1)} = \mathrm{diag}\big(z(n)\big) + \mathrm{diag}(q_z) W_{sz} + "
           r"\mathrm{diag}(q_g)\big(\mathrm{diag}(r) W_{sg} + \mathrm{diag}(q_r) W_{sr}\big)\end{gathered}",
}
SEEING = {
    "lstm": "The cell state c(n) goes back one step through the forget gate alone: ∂c(n)/∂c(n−1) = diag(f(n)), the "
            "constant error carousel. Where f(n) ≈ 1 the gradient arrives undiminished, however small W_s is.",
    "gru": "The state goes back one step through the update gate and through W_s: the direct term diag(z(n)) passes "
           "s(n−1), and its gradient, straight on. Where z(n) ≈ 1 the gradient arrives undiminished.",
}


def sigmoid(b: float) -> float:
    """sigma(b) = 1 / (1 + e^-b): where a gate with bias b starts."""
    return float(1.0 / (1.0 + np.exp(-b)))


def share(x: float) -> str:
    """A kept fraction as a page says it: a percentage down to 0.1 %, a power of ten below (1.2e-30, not 0.000… %)."""
    return diagnose.percent(x) if np.isfinite(x) and x >= 1e-3 else diagnose.number(x, ".1e")


def show(exp: Experiment) -> None:
    cell, name = exp.cell, CELLS[exp.cell]
    gate, gate_name = gates.KEEP[cell]
    state = gates.STATE[cell]
    ui.header(f"Theory: how the {name}'s {gate_name} carries the gradient back", SEEING[cell], EQUATIONS[cell])
    with ui.plain_errors(reset_key="theory_reset_weights"):
        s = compute.setup(exp)
        trace, res = compute.gradients(exp, jacobians=True)
    log, N = res.log, exp.N
    stats = log.gate_stats  # gate -> (N, 3) mean, 10th, 90th percentile over units and batch
    with np.errstate(invalid="ignore"), _quiet():
        mean = float(np.nanmean(stats[gate][:, 0]))
        lo, hi = float(np.nanmean(stats[gate][:, 1])), float(np.nanmean(stats[gate][:, 2]))
    problem = diagnose.gradient_problem(res.state_grad_norms, res.loss, trace.s, trace.y, s.output, s.loss,
                                        s.train.readout)
    if problem is not None and problem.kind == "overflow":
        st.warning(problem.message, icon=":material/error:")
    direct, product = log.direct_product_norms, log.product_norms  # (N+1,) each, or None
    back = 1 if N > 1 else 0  # entry 1: from N back to step 1 (N = 1: to the initial state, one factor)

    c1, c2, c3, c4 = st.columns(4)
    c1.metric(f"mean {gate_name} {gate}", f"{mean:.2f}",
              help=f"The mean of {gate}(n) over the {N} steps, {trace.B} sequences and {exp.H} units at θ(0); its bias "
                   f"starts at {exp.gate_bias:g} (the sidebar's gate bias).")
    c2.metric(f"{gate}: 10–90 %", f"{lo:.2f} – {hi:.2f}", help="The 10th and 90th percentiles over units and "
              "batch, averaged over the steps.")
    if direct is not None:
        c3.metric(f"∏ diag({gate}) keeps, N → {back}", share(direct[back]),
                  help=f"‖diag({gate}(N)) ⋯ diag({gate}({back + 1}))‖₂ = max_i ∏ {gate}_i(m): the best-kept unit's share along "
                       "the direct terms alone, for the first sequence of the batch.")
        c4.metric(f"full Jacobian keeps, N → {back}", share(product[back]),
                  help=f"‖∂{state}(N)/∂{state}({back})‖₂: every path back, the direct term and those through W_s.")

    # --- Why no Pascanu bound, and what to change -----------------------------------------------------------
    with st.container(border=True):
        st.markdown(f"**Why the bound (κ·σ_max(W_s))^(N−n) does not apply to the {name}.**")
        st.write(
            "For the plain RNN a step back multiplies the gradient by one matrix, diag(φ′(a(n))) W_s, whose norm is "
            "at most κ·σ_max(W_s); below 1 the gradient must vanish, whatever the data. "
            f"The {name}'s step back is a sum: the direct term diag({gate}(n)), which does not pass through W_s at "
            f"all, plus the paths through W_s (scaled by the gates' slopes). The direct term's size is set by the "
            f"{gate_name} values, not by any singular value of W_s, so no power of κ·σ_max caps the product: with "
            f"{gate}(n) near 1 the gradient survives however small W_s is, and with {gate}(n) near 0 it vanishes "
            "however large W_s is.")
        wider = max((b for b in GATE_BIASES if b > exp.gate_bias), default=None)  # the sidebar's most open
        st.info(f"The sidebar's **gate bias** (now {exp.gate_bias:+g}) is b_{gate}, the bias of the {gate_name}: "
                f"{gate}(n) starts near σ({exp.gate_bias:+g}) = {sigmoid(exp.gate_bias):.2f}. "
                + (f"Raise it to {wider:+g} (σ = {sigmoid(wider):.2f}) and watch the direct terms' curve below "
                   "flatten"
                   if wider is not None else "It is at the sidebar's largest")
                + (", or set it to −3 and watch the LSTM forget like the plain RNN." if cell == "lstm" and
                   exp.gate_bias > -3 else "."), icon=":material/lightbulb:")

    # --- The gates per step ----------------------------------------------------------------------------------
    labels = {g: gates.NAMES[cell][g] for g in stats}
    with ui.main_chart():
        ui.chart(figs.gate_values(stats, gate, labels, ui.theme()), "theory-gates")
    others = ", ".join(f"{g} (mean {float(np.nanmean(stats[g][:, 0])):.2f})" for g in stats if g != gate)
    kept_state = "c(n−1)" if cell == "lstm" else "s(n−1)"
    st.caption(f"{'An' if gate_name[0] in 'aeiou' else 'A'} {gate_name} near 1 keeps the gradient: it passes "
               f"{kept_state}, and the gradient back to it, on unchanged. Here {gate}(n) has a mean of {mean:.2f} (10–90 % of units "
               f"and batch: {lo:.2f} – {hi:.2f}). The other gates: {others}; "
               + ("i decides what is written into c(n), o what of it is shown as s(n)." if cell == "lstm" else
                  "r decides how much of s(n−1) the candidate g(n) sees.")
               + (" With N = 1 each panel has one point; its bar is the 10–90 % range." if N == 1 else ""))

    # --- The direct terms against the full Jacobian ------------------------------------------------------------
    if product is None:
        S = compute.jacobian_size(exp)
        st.info(f"At H = {exp.H} and N = {N} the Jacobian products cost too much to compute live (S³·N = "
                f"{S ** 3 * N:.1e} flops for the {S} × {S} Jacobian of {state}, budget {compute.JACOBIAN_BUDGET:.0e}); "
                "lower H or N to see them. The gates above are measured at any size.", icon=":material/hourglass:")
        return
    ui.chart(figs.direct_products(product, direct, gate, state, ui.theme()), "theory-direct-products")
    st.caption(what_you_see(cell, gate, gate_name, state, mean, direct, product, N))
    if np.any(direct == 0) or np.any(product == 0):
        st.caption("Where a curve stops on the left and triangles sit on the 0 line, its value fell below 10⁻³⁰⁸, the "
                   "smallest number a float64 holds: it underflowed to 0, which a log axis cannot draw.")
    jac, one = log.jacobian_norms, log.direct_norms  # (N,) each
    ui.chart(figs.gated_local_jacobians(jac, one, gate, state, ui.theme()), "theory-direct-local")
    with np.errstate(invalid="ignore"), _quiet():
        st.caption(f"Each step's full Jacobian J(n) = ∂{state}(n)/∂{state}(n−1) has spectral norm between "
                   f"{np.nanmin(jac):.3f} and {np.nanmax(jac):.3f} (mean {np.nanmean(jac):.3f}); its direct term "
                   f"diag({gate}(n)) alone between {np.nanmin(one):.3f} and {np.nanmax(one):.3f}. Neither is capped by "
                   "κ·σ_max(W_s): the direct term is as close to 1 as the most open unit's gate"
                   + (", and J(n) for the pair (s, c) also holds the paths from c(n−1) into s(n)." if cell == "lstm"
                      else "."))


def what_you_see(cell: str, gate: str, gate_name: str, state: str, mean: float, direct: np.ndarray,
                 product: np.ndarray, N: int) -> str:
    """The sentence of what a student should see, from the numbers: how much of the product is left at step 1."""
    if N == 1:
        return (f"With N = 1 there is no step back to multiply over: both products are 1 at n = 1, and the single "
                f"factor J(1) takes the gradient to the initial state, where the direct term keeps "
                f"{share(direct[0])} and the full Jacobian {share(product[0])}.")
    if not np.isfinite(product[1]):
        n_bad = int(np.flatnonzero(~np.isfinite(product))[-1])
        return (f"‖∂{state}(N)/∂{state}(n)‖₂ overflowed to infinity at n = {n_bad}, going back from N: the paths "
                "through W_s grow faster than a float64 can hold; the curve stops where it overflowed.")
    kept, full = direct[1], product[1]
    text = (f"What you should see at the initial weights θ(0): with the {gate_name} at a mean of {mean:.2f}, the "
            f"direct terms alone keep {share(kept)} of the gradient from step N = {N} back to step 1 (the best-kept "
            f"unit, {N - 1} factors {gate} < 1), and the full Jacobian keeps {share(full)}. ")
    if kept >= 0.1:
        return text + f"The {gate_name} alone is open enough to carry the memory over all {N} steps."
    text += f"The {gate_name} alone lets it fade" + (
        "; the paths through W_s carry more back, as in a plain RNN. " if full > 2 * kept else ". ")
    if mean < 0.5:
        text += (f"With {gate} this far below 1 the {CELLS[cell]} forgets like the plain RNN; raise the gate bias to "
                 f"open {gate}.")
    else:
        text += f"Raise the gate bias to open {gate} further and keep the gradient on the direct path."
    return text


def _quiet():
    """Silence numpy's 'mean of empty slice' when a run overflowed and a statistic is all NaN."""
    return warnings.catch_warnings(action="ignore", category=RuntimeWarning)
