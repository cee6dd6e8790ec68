"""Gradients through time: the decay curve against its bound, the heatmap over training, per-step shares."""
import time

import numpy as np
import streamlit as st

from dashboard import compute, heatmap_run, ui
from dashboard import theme as th
from dashboard.figures import gradients as figs
from rnn_engine import get_activation
from rnn_engine.theory import singular_values

HEATMAP_TICK = 0.1  # s: the first slice of training starts this soon after the page is drawn
HEATMAP_SLICE = 0.1  # s of training per fragment run (a widget change may wait this long)
HEATMAP_REDRAW = 1.0  # s between two partial heatmaps while it fills in

exp = ui.experiment()
ui.header(
    "Gradients through time",
    "Each point is the size of the gradient that reaches the state s(n) from the loss. "
    "If it falls off as n moves away from N, early steps barely learn: the gradient vanishes.",
    r"\frac{\partial L}{\partial s(n)} = W_s^\top \delta(n+1) + \frac{\partial \ell_n}{\partial s(n)},\quad "
    r"\delta(n) = \varphi'(a(n)) \odot \frac{\partial L}{\partial s(n)},\quad "
    r"\Big\|\frac{\partial s(N)}{\partial s(n)}\Big\| \le (\kappa\,\sigma_{\max}(W_s))^{N-n}",
)

with ui.plain_errors():
    s = compute.setup(exp)
    trace, res = compute.gradients(exp)
log = res.log
kappa = get_activation(exp.activation).kappa
sigma = float(singular_values(s.params.W_s)[0])
rate = kappa * sigma
N = exp.N
with np.errstate(over="ignore", under="ignore"):
    bound = res.state_grad_norms[-1] * rate ** (N - np.arange(1, N + 1, dtype=float))  # (N,)
single_term = s.train.readout == "last" and not exp.truncate

c1, c2, c3, c4 = st.columns(4)
c1.metric("‖∂L/∂s(N)‖ at the loss", f"{res.state_grad_norms[-1]:.2e}")
c2.metric("‖∂L/∂s(1)‖ at the first step", f"{res.state_grad_norms[0]:.2e}")
with np.errstate(divide="ignore", invalid="ignore"):
    ratio = res.state_grad_norms[0] / res.state_grad_norms[-1]
c3.metric("reaches step 1 as a fraction", f"{ratio:.1e}")
c4.metric("κ·σ_max(W_s) per step", f"{rate:.3f}", help=f"κ = {kappa:g} for {exp.activation}, σ_max(W_s) = {sigma:.3f}. Below 1: guaranteed to vanish.")

ui.chart(figs.decay_curve(res.state_grad_norms, bound if single_term else None, ui.theme()), "gradient-decay")
if not single_term:
    st.caption("The bound is drawn only for a single loss at step N with full BPTT: with a loss at every step "
               "(or truncation) each step also receives fresh gradient from its own loss term.")
elif rate < 1:
    st.caption(f"Every step back multiplies the gradient by at most {rate:.3f}, so after {N - 1} steps at most "
               f"{rate ** (N - 1):.1e} of it is left. The measured curve stays below the dashed bound.")
else:
    st.caption(f"κ·σ_max(W_s) = {rate:.3f} ≥ 1: the bound allows growth, so nothing forces the gradient to vanish; "
               "whether it does depends on φ′(a(n)) along the way.")

st.subheader("During training")
normalise = st.toggle("Normalise each iteration (shows the shape of the decay even when the scale drifts)", key="normalise_rows")
# The heatmap needs exp.iterations of training. In a browser it fills in after the page, a slice at a time
# (a fragment that reruns itself), so a slider move redraws the curves at once; without one (AppTest, the
# headless export) nothing would rerun the fragment, so the training happens right here.
if getattr(st.session_state.get("_heatmap_run"), "exp", None) != exp:
    st.session_state["_heatmap_run"] = heatmap_run.training_so_far(exp)
if not st.context.headers:
    with ui.plain_errors():
        st.session_state["_heatmap_run"] = heatmap_run.train_more(st.session_state["_heatmap_run"], float("inf"))
st.session_state["_heatmap_inline"] = True  # the fragment's first call, inside this run: draw, don't train


@st.fragment(run_every=None if st.session_state["_heatmap_run"].done else HEATMAP_TICK)
def training_heatmap():
    run = st.session_state["_heatmap_run"]
    T = exp.iterations
    if not st.session_state.pop("_heatmap_inline", False) and not run.done and run.exp == exp:
        # No Streamlit call during a slice: a call is where a queued rerun (the timer's next tick, a widget
        # change) would cut the slice short and waste it; queued, the next tick simply runs the next slice.
        with ui.plain_errors():
            run = heatmap_run.train_more(run, HEATMAP_SLICE)
        st.session_state["_heatmap_run"] = run
        if run.done:
            st.rerun()  # the whole page once more: the finished heatmap, its CSV, and no more timer
    h = None if run.result is None else run.result.history
    progress = f"Training for the heatmap: {run.iterations_done} of {T} iterations…"
    if h is None:
        with st.container(height=th.look(ui.theme()).height, border=False):  # the chart's room: no jumping
            st.progress(0.0, text=progress)
        return
    if not run.done:
        st.progress(run.iterations_done / T, text=progress)
    # While it fills in, a new heatmap at most every HEATMAP_REDRAW s (a big one is megabytes for the browser
    # to parse and paint); in between the last one again, which Streamlit sends as a reference to the same message.
    look = (exp, normalise, ui.theme())
    last = st.session_state.get("_heatmap_drawn")  # (look, time drawn, figure)
    if run.done or last is None or last[0] != look or time.monotonic() - last[1] >= HEATMAP_REDRAW:
        fig = figs.heatmap(h.state_grad_norms, h.iteration, normalise, ui.theme())
        if not run.done:
            fig.update_yaxes(range=[-0.5, T - 0.5])  # the rows still to come keep their place
        st.session_state["_heatmap_drawn"] = (look, time.monotonic(), fig)
    else:
        fig = last[2]
    ui.chart(fig, "gradient-heatmap")
    if not run.done:
        st.caption("The heatmap fills in as the network trains; the curves above are final.")
    if h.exploded_at is not None:
        st.error(f"Training exploded at iteration {h.exploded_at}: {h.exploded_what}. The heatmap stops there.", icon=":material/error:")


training_heatmap()

st.subheader("Which steps contribute to the weight update")
ui.chart(figs.contributions(log.W_s_contrib, log.W_x_contrib, log.b_contrib, ui.theme()), "gradient-contributions")
st.caption("∂L/∂W_s is the sum over n of δ(n) s(n−1)ᵀ: when δ(n) vanishes for early n, those steps add nothing, "
           "and the network cannot learn what happened there.")

n = np.arange(1, N + 1)
d1, d2 = st.columns(2)
with d1:
    ui.csv_download("Download the gradient log (CSV)", {
        "n": n, "dL_ds_norm": log.state_grad, "dL_da_norm": log.preact_grad,
        "W_s_contribution": log.W_s_contrib, "W_x_contribution": log.W_x_contrib, "b_contribution": log.b_contrib,
    }, "gradient_log.csv")
with d2:
    if st.session_state["_heatmap_run"].done:
        ui.csv_download("Download the training history (CSV)",
                        st.session_state["_heatmap_run"].result.history.to_frame_dict, "training_history.csv")
    else:
        st.button("Download the training history (CSV)", disabled=True, key="csv_training_history_pending",
                  help="Ready once the heatmap's training has finished.")
