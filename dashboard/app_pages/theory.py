"""Theory: the spectrum of W_s, the slopes phi'(a(n)) and the measured Jacobians against the bound; for a gated
cell (dashboard/theory_gated.py) its gates and the direct term of its Jacobian against the full one."""
import numpy as np
import streamlit as st

from dashboard import compute, diagnose, theory_gated, ui
from dashboard.config import RADII
from dashboard.figures import theory as figs
from rnn_engine import get_activation
from rnn_engine.theory import bound_curve, eigenvalues, singular_values, vanishing_condition


def elman(exp) -> None:
    """The Elman cell: ds(n)/ds(n-1) = diag(phi'(a(n))) W_s, capped by kappa sigma_max(W_s) (Pascanu et al. 2013)."""
    ui.header(
        "Theory: why the gradient vanishes",
        "Each step back in time multiplies the gradient by the Jacobian diag(φ′(a(n))) W_s. Its size is capped by "
        "κ = max φ′ times the largest singular value of W_s; below 1, the gradient must shrink geometrically.",
        r"\frac{\partial s(n)}{\partial s(n-1)} = \mathrm{diag}\big(\varphi'(a(n))\big)\, W_s,\qquad "
        r"\Big\|\frac{\partial s(N)}{\partial s(n)}\Big\|_2 \le \big(\kappa\,\sigma_{\max}(W_s)\big)^{N-n},\qquad "
        r"\sigma_{\max}(W_s) < \tfrac{1}{\kappa} \Rightarrow \text{vanishing}",
    )

    with ui.plain_errors(reset_key="theory_reset_weights"):
        s = compute.setup(exp)
        trace, res = compute.gradients(exp, jacobians=True)

    W_s = s.params.W_s  # (H, H)
    act = get_activation(exp.activation)
    cond = vanishing_condition(W_s, act)
    kappa, sigma_max, rho, rate = cond["kappa"], cond["sigma_max"], cond["rho"], cond["product"]
    N, H = exp.N, exp.H

    c1, c2, c3, c4 = st.columns(4)
    c1.metric("ρ(W_s) = max |λ|", f"{rho:.3f}")
    c2.metric("σ_max(W_s)", f"{sigma_max:.3f}")
    c3.metric("κ = max φ′", f"{kappa:g}", help=act.formula)
    c4.metric("κ·σ_max(W_s)", f"{rate:.3f}", help="The most one step back can multiply the gradient's norm by.")

    # --- Try it: the sufficient condition with the current numbers, and what to change to break it. ---------
    with st.container(border=True):
        st.markdown(f"**Sufficient condition for vanishing: σ_max(W_s) < 1/κ.** Here σ_max(W_s) = {sigma_max:.3f} and "
                    f"1/κ = {1 / kappa:.3g}: the condition **{'holds' if cond['vanishes'] else 'does not hold'}**.")
        st.write(cond["explanation"])
        edited_W_s = '"W_s"' in exp.weights
        r_edge = rho / rate if rate > 0 else float("inf")  # the spectral radius at which kappa*sigma_max = 1
        if edited_W_s:
            st.info("W_s was edited on the Weights page, so the sidebar's initialisation settings do not change it: "
                    "edit it there (or reset it) to move σ_max(W_s) across 1/κ.", icon=":material/edit:")
        elif not np.isfinite(r_edge) or rho == 0:
            st.info("W_s has spectral radius 0 (all its eigenvalues are 0), so the spectral-radius setting cannot rescale it; "
                    "raise the init scale or choose another initialisation.", icon=":material/lightbulb:")
        elif cond["vanishes"]:
            option = next((r for r in RADII if r >= r_edge * (1 + 1e-6)), None)
            tip = (f"Rescaling W_s keeps the ratio σ_max/ρ = {sigma_max / rho:.3f}, so κ·σ_max reaches 1 at spectral radius "
                   f"ρ = {r_edge:.3f}. ")
            tip += (f"To break the condition, raise **Spectral radius of W_s** in the sidebar to {option:g} or more."
                    if option is not None else
                    f"The sidebar's largest spectral radius ({RADII[-1]:g}) is not enough with {act.name}; "
                    "choose tanh or relu (κ = 1) instead.")
            st.info(tip + " Breaking it does not force the gradient to survive: it only removes the guarantee that it vanishes.",
                    icon=":material/lightbulb:")
        else:
            option = next((r for r in reversed(RADII) if 0 < r <= r_edge * (1 - 1e-6)), None)
            tip = f"κ·σ_max drops below 1 when the spectral radius of W_s is below {r_edge:.3f}. "
            tip += (f"To make the vanishing certain, lower **Spectral radius of W_s** in the sidebar to {option:g}."
                    if option is not None else "No spectral radius in the sidebar is that small; lower the init scale.")
            st.info(tip, icon=":material/lightbulb:")

    # --- The spectrum of W_s ------------------------------------------------------------------------
    lam = eigenvalues(W_s)  # (H,) complex
    sig = singular_values(W_s)  # (H,)
    with ui.main_chart():
        left, right = st.columns(2)
        with left:
            ui.chart(figs.eigenvalues(lam, kappa, ui.theme()), "theory-eigenvalues")
            outside = int(np.sum(np.abs(lam) > 1.0))
            st.caption(f"ρ(W_s) = {rho:.3f}: {outside} of {H} eigenvalues lie outside the unit circle. "
                       + ("With a linear φ a gradient grows over long spans exactly when some |λ| > 1; "
                          f"φ′ ≤ κ = {kappa:g} only shrinks it further. "
                          if outside else "With every |λ| < 1, even a linear φ lets the gradient vanish over long spans. ")
                       + (f"Eigenvalues outside the dashed circle |λ| = 1/κ = {1 / kappa:.3g} would rule out the guarantee."
                          if not np.isclose(kappa, 1.0) else "Here 1/κ = 1, so the unit circle is also the 1/κ circle."))
        with right:
            ui.chart(figs.singular_values(sig, kappa, ui.theme()), "theory-singular-values")
            above = int(np.sum(sig >= 1 / kappa))
            st.caption(f"σ_max(W_s) = {sigma_max:.3f} against 1/κ = {1 / kappa:.3g}: {above} of {H} singular values reach the "
                       "line (orange). Only σ_max enters the bound; it is never smaller than ρ(W_s) = "
                       f"{rho:.3f}.")

    # --- phi'(a(n)) over the steps -------------------------------------------------------------------
    dphi = act.dphi(trace.a, trace.s[1:])  # (N, B, H)
    flat = dphi.reshape(N, -1)  # (N, B*H)
    ui.chart(figs.dphi_distribution(flat, kappa, ui.theme()), "theory-dphi")
    med = float(np.nanmedian(flat))
    st.caption(f"Over all {N} steps, {trace.B} sequences and {H} units the median slope is φ′ = {med:.3f} against its "
               f"maximum κ = {kappa:g} ({'boxes: quartiles, whiskers: min–max' if N <= figs.BOX_MAX_N else 'bands: 10–90 % and min–max'}). "
               f"Every slope below κ makes the real gradient shrink faster than the bound (κ σ_max)^(N−n) says.")

    # --- Measured Jacobians against the bound ------------------------------------------------------------
    bound = bound_curve(kappa, sigma_max, N)  # (N+1,)
    log = res.log
    if log.product_norms is None:
        st.info(f"At H = {H} and N = {N} the Jacobian products cost too much to compute live (H³·N = {H ** 3 * N:.1e} "
                f"flops, budget {compute.JACOBIAN_BUDGET:.0e}); only the bound is drawn. Lower H or N to see the measured "
                "curve.", icon=":material/hourglass:")
    ui.chart(figs.jacobian_products(log.product_norms, bound, ui.theme()), "theory-jacobian-products")
    if log.product_norms is not None:
        p0, b0 = log.product_norms[0], bound[0]
        if not np.isfinite(p0):
            n_bad = int(np.flatnonzero(~np.isfinite(log.product_norms))[-1])
            st.caption(f"‖∂s(N)/∂s(n)‖₂ overflowed to infinity at n = {n_bad}, going back from N: the product of the "
                       "Jacobians grows faster than a float64 can hold. The run explodes; the curve stops where it overflowed.")
        elif not np.isfinite(b0):
            st.caption(f"For the first sequence of the batch, ‖∂s(N)/∂s(0)‖₂ = {diagnose.number(p0)}; the bound "
                       f"(κ σ_max)^N overflowed to infinity, so it says nothing here: the product may grow this fast.")
        else:
            below = bool(np.all(log.product_norms <= bound * (1 + 1e-9)))
            at = bool(np.any(log.product_norms[bound > 0] >= bound[bound > 0] * (1 - 1e-6)))
            where = ("stays below" if not at else "reaches but never crosses") if below else "crosses"
            st.caption(f"For the first sequence of the batch, ‖∂s(N)/∂s(0)‖₂ = {diagnose.number(p0)} against the bound "
                       f"{diagnose.number(b0)}: the measured curve {where} the dashed line"
                       + ("; the gap is what slopes φ′(a(n)) below κ, and directions that W_s does not stretch by σ_max, "
                          "take away." if below and not at else
                          " (every slope is κ and W_s stretches every direction by σ_max: the bound is exact)." if below
                          else "."))
    else:
        st.caption(f"The bound alone: after {N} steps back at most {bound[0]:.2e} of the gradient can be left.")
    if np.any(bound == 0) or (log.product_norms is not None and np.any(log.product_norms == 0)):
        st.caption("Where a curve stops on the left, its value fell below 10⁻³⁰⁸, the smallest number a float64 holds: "
                   "it underflowed to 0, and a log axis cannot draw 0.")
    if log.jacobian_norms is not None:
        jac = log.jacobian_norms
        ui.chart(figs.local_jacobians(jac, rate, ui.theme()), "theory-local-jacobians")
        st.caption(f"Each step's Jacobian has spectral norm between {np.nanmin(jac):.3f} and {np.nanmax(jac):.3f} "
                   f"(mean {np.nanmean(jac):.3f}), never above κ·σ_max(W_s) = {rate:.3f}. The product of {N} such factors "
                   "is the curve above.")


exp = ui.experiment()
if exp.cell == "elman":
    elman(exp)
else:
    theory_gated.show(exp)
