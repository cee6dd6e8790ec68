"""Gradients through time: the decay curve against its bound, the heatmap over training, per-step shares."""
import time

import numpy as np
import streamlit as st

from dashboard import compute, diagnose, gates, heatmap_run, ui
from dashboard import theme as th
from dashboard.figures import gradients as figs
from rnn_engine import get_activation, memory_horizon
from rnn_engine.theory import singular_values

HEATMAP_SLICE = 0.1  # s of training between two drawings (a click may wait this long)
HEATMAP_REDRAW = 1.0  # s between two partial heatmaps while it fills in (a big one is megabytes to parse and paint)
RUN = "_heatmap_run"  # the heatmap's training so far (heatmap_run.TrainingSoFar), kept across reruns
ASKED = "_heatmap_asked_for"  # the Experiment whose heavy heatmap the user asked to fill in

# What carries the gradient back one step, cell by cell: (the words, the equation).
WAY_BACK = {
    "elman": ("If it falls off as n moves away from N, early steps barely learn: the gradient vanishes.",
              r"\frac{\partial L}{\partial s(n)} = W_s^\top \delta(n+1) + \frac{\partial \ell_n}{\partial s(n)},\quad "
              r"\delta(n) = \varphi'(a(n)) \odot \frac{\partial L}{\partial s(n)},\quad "
              r"\Big\|\frac{\partial s(N)}{\partial s(n)}\Big\| \le (\kappa\,\sigma_{\max}(W_s))^{N-n}"),
    "lstm": ("In the LSTM the cell state c(n) carries the gradient back through the forget gate alone: where f ≈ 1 "
             "it arrives undiminished (the constant error carousel).",
             r"\frac{\partial L}{\partial c(n-1)} = f(n) \odot \frac{\partial L}{\partial c(n)} + \dots,\quad "
             r"c(n) = f(n) \odot c(n-1) + i(n) \odot g(n),\quad s(n) = o(n) \odot \varphi(c(n))"),
    "gru": ("In the GRU the update gate z(n) passes s(n−1) straight on: where z ≈ 1 the gradient arrives undiminished.",
            r"\frac{\partial L}{\partial s(n-1)} = z(n) \odot \frac{\partial L}{\partial s(n)} + \dots,\quad "
            r"s(n) = (1 - z(n)) \odot g(n) + z(n) \odot s(n-1)"),
}
GATE = gates.KEEP  # the gate that keeps the memory: LSTM ("f", "forget gate"), GRU ("z", "update gate")

exp = ui.experiment()
words, equation = WAY_BACK[exp.cell]
ui.header("Gradients through time",
          "Each point is the size of the gradient that reaches the state s(n) from the loss. " + words, equation)

with ui.plain_errors():
    s = compute.setup(exp)
    trace, res = compute.gradients(exp)
log = res.log
N = exp.N
gated = exp.cell != "elman"
kappa = get_activation(exp.activation).kappa
sigma = float(singular_values(s.params.W_s)[0]) if not gated else float("nan")
rate = kappa * sigma  # the Pascanu bound's factor per step: the Elman cell's only
every_step = s.train.readout == "all"
last_term = compute.last_term_gradients(exp) if every_step else None  # (N,) ||dl_N/ds(n)||
decay = res.state_grad_norms if last_term is None else last_term  # one loss term's way back: what the bound holds
with np.errstate(over="ignore", under="ignore"):
    bound = decay[-1] * rate ** (N - np.arange(1, N + 1, dtype=float))  # (N,)
problem = diagnose.gradient_problem(res.state_grad_norms, res.loss, trace.s, trace.y, s.output, s.loss,
                                    s.train.readout)


def unit_words(U: np.ndarray) -> str:
    """What the per-unit heatmap shows, from its numbers: which units carry the gradient furthest back (figs.unit_reach:
    above 1 % of the strongest unit's |dL/ds_i(N)|) and how many go dark within 2 steps of the loss. U: (N, H)."""
    H = U.shape[1]
    reach = figs.unit_reach(U, FRACTION)  # (H,) steps back
    far = int(reach.max())
    level = f"{FRACTION:.0%} of the strongest unit's |∂L/∂s_i({N})|"
    out = (f"Each row is one of the {H} units of s(n), each column a step; bright = a large gradient, dark = almost "
           f"none (the colours span the {figs.DECADES:g} decades below the largest entry, as on the Credit page). ")
    if far == 0:
        return out + f"No unit keeps {level} even one step back."
    where = f"all {N - 1} steps back, to s(1)" if far >= N - 1 else f"{ui.count(far, 'step')} back, to s({N - far})"
    best = np.flatnonzero(reach == far) + 1  # the units that reach furthest, numbered from 1
    if best.size == H:
        out += f"Every unit carries it {where}, above {level}."
    else:
        names = (str(best[0]) if best.size == 1 else ", ".join(map(str, best[:-1])) + " and " + str(best[-1])) \
            if best.size <= 4 else f"{best.size} of the {H}"
        out += (f"Unit{'s' if best.size > 1 else ''} {names} carr{'y' if best.size > 1 else 'ies'} it furthest: "
                f"above {level} {where}; the median unit {ui.count(int(np.median(reach)), 'step')} back.")
    short = int(np.sum(reach <= 2))
    if short and best.size < H:
        out += f" {ui.count(short, 'unit')} go{'es' if short == 1 else ''} dark within 2 steps of the loss."
    return out


def apply_fix(field: str, value) -> None:
    st.session_state[field] = value


FRACTION = 0.01  # the memory horizon's level: 1 % of ||dL/ds(N)|| (as on the Credit page)
c1, c2, c3, c4 = st.columns(4)
c1.metric("‖∂L/∂s(N)‖ at the loss", diagnose.number(res.state_grad_norms[-1]))
c2.metric("‖∂L/∂s(1)‖ at the first step", diagnose.number(res.state_grad_norms[0]))
with np.errstate(divide="ignore", invalid="ignore"):
    ratio = decay[0] / decay[-1]
c3.metric("ℓ(N)'s share reaching step 1" if every_step else "reaches step 1 as a fraction",
          diagnose.number(ratio, ".1e") if np.isfinite(ratio) else "—",
          help="‖∂ℓ_N/∂s(1)‖ / ‖∂ℓ_N/∂s(N)‖: how much of the last loss term's gradient reaches step 1 (with a loss at "
               "every step, ‖∂L/∂s(1)‖ also holds the fresh gradient of ℓ(1), ℓ(2), …)." if every_step else
               "‖∂L/∂s(1)‖ / ‖∂L/∂s(N)‖")
if gated:
    gate, gate_name = GATE[exp.cell]
    stats = log.gate_stats[gate]  # (N, 3) mean, 10th, 90th percentile over units and batch
    c4.metric(f"mean {gate_name} {gate}", f"{float(np.mean(stats[:, 0])):.2f}",
              help=f"The {gate_name}'s mean over the steps, units and batch at θ(0) (its bias starts at "
                   f"{exp.gate_bias:g}). Near 1 the memory, and its gradient, pass on unchanged.")
else:
    c4.metric("κ·σ_max(W_s) per step", f"{rate:.3f}", help=f"κ = {kappa:g} = max φ′ for {exp.activation}, σ_max(W_s) "
              f"= {sigma:.3f}. Below 1: guaranteed to vanish.")

horizon = memory_horizon(res.state_grad_norms, FRACTION)  # None: nothing at the loss to measure against

if problem is not None:
    st.error(problem.message, icon=":material/block:" if problem.kind == "zero" else ":material/error:")
    if problem.fix is not None:
        st.button(problem.fix.label, on_click=apply_fix, args=(problem.fix.field, problem.fix.value),
                  icon=":material/build:", key="gradients_fix")
else:
    with ui.main_chart():
        ui.chart(figs.decay_curve(res.state_grad_norms, bound if not (exp.truncate or gated) else None, ui.theme(),
                                  last_term=last_term, cell_grad=log.cell_grad), "gradient-decay")
    zeros = int(np.sum(res.state_grad_norms == 0))
    notes = []
    if exp.truncate and exp.truncate < N:
        notes.append(f"BPTT is truncated at k = {exp.truncate}: "
                     + (f"the first {zeros} steps receive exactly 0 (the triangles on the 0 line), " if zeros else "")
                     + "no loss term sends gradient further back than k steps, so no bound is drawn.")
    elif gated:
        gate, gate_name = GATE[exp.cell]
        notes.append(f"No bound is drawn: (κ σ_max(W_s))^(N−n) holds for the Elman cell, whose one way back is "
                     f"diag(φ′(a(n))) W_s; the {exp.cell.upper()}'s way back adds the direct term diag({gate}(n)), "
                     f"which no spectral norm of W_s caps. With the {gate_name}s at a mean of "
                     f"{float(np.mean(log.gate_stats[gate][:, 0])):.2f}, step 1 receives "
                     f"{diagnose.number(ratio, '.1e')} of the gradient at step N."
                     + (" The dotted curve is the cell state's ‖∂L/∂c(n)‖: the carousel." if exp.cell == "lstm"
                        else ""))
    elif rate < 1:
        below = bool(np.all(decay <= bound * (1 + 1e-9)))
        notes.append(f"Every step back multiplies the gradient by at most {rate:.3f}, so after {N - 1} steps at most "
                     f"{rate ** (N - 1):.1e} of it is left. The {'green' if every_step else 'measured'} curve "
                     + ("stays below the dashed bound." if below else "crosses the dashed bound: a float64 rounding."))
    else:
        notes.append(f"κ·σ_max(W_s) = {rate:.3f} ≥ 1: the bound allows growth, so nothing forces the gradient to "
                     "vanish; whether it does depends on φ′(a(n)) along the way.")
    if every_step:
        notes.append("A loss term is read at every step: the blue curve is the whole ‖∂L/∂s(n)‖, fresh gradient from "
                     "each ℓ(n) included; the green one follows the last term ℓ(N) alone on its way back, and the bound "
                     "is its bound.")
    st.caption(" ".join(notes))

    st.subheader("How far back it remembers, unit by unit")
    m_col, m_words = st.columns([1.4, 3], vertical_alignment="center")  # room for the label in projector type
    m_col.metric(diagnose.REMEMBERS, diagnose.remembers(horizon, N),
                 help=f"The memory horizon at θ(0): how many steps back from N the gradient ‖∂L/∂s(n)‖ stays above "
                      f"{FRACTION:.0%} of ‖∂L/∂s(N)‖.")
    if horizon is None:
        said = "No memory horizon: ‖∂L/∂s(N)‖ is 0 or not a finite number, so there is nothing to measure against."
    elif horizon >= N:
        said = (f"The memory horizon: ‖∂L/∂s(n)‖ stays above {FRACTION:.0%} of ‖∂L/∂s({N})‖ all the way back to s(1): "
                "every step of the sequence still learns.")
    else:
        said = (f"The memory horizon: {ui.count(int(horizon), 'step')} back from N = {N}. At n = {N - int(horizon)} "
                f"(the dashed line below) and before, ‖∂L/∂s(n)‖ is below {FRACTION:.0%} of ‖∂L/∂s({N})‖: what "
                "happened there barely changes the weights.")
    m_words.caption(said + (" With a loss at every step, ‖∂L/∂s(n)‖ also holds each ℓ(n)'s fresh gradient; the "
                            "Credit page splits it by loss term." if every_step else ""))
    U = log.unit_grad  # (N, H) |dL/ds_i(n)|, root mean square over the batch
    ui.chart(figs.unit_heatmap(U, ui.theme(), horizon), "gradient-units")
    st.caption(unit_words(U))
if exp.clip != "none":
    st.caption(f"Clipping ({exp.clip}, c = {exp.clip_at:g}) acts on the training updates (the heatmap below), not on "
               "the gradient at θ(0) drawn here: these numbers are the same with clipping on or off.")

st.subheader("During training")
normalise = st.toggle("Normalise each iteration (shows the shape of the decay even when the scale drifts)",
                      key="normalise_rows")
# The heatmap needs exp.iterations of training. In a browser it fills in after the whole page is drawn, a slice at
# a time (at the end of this script, so a slider move redraws the curves at once); without one (AppTest, the
# headless export) nothing would come back for it, so the training happens right here.
if getattr(st.session_state.get(RUN), "exp", None) != exp:
    st.session_state[RUN] = heatmap_run.training_so_far(exp)
# Above the work budget the heatmap waits for a click: minutes of training must not start by themselves.
heavy = (compute.training_cost(exp) > compute.WORK_BUDGET and st.session_state.get(ASKED) != exp
         and not st.session_state[RUN].done)
if not st.context.headers and not heavy:
    with ui.plain_errors():
        st.session_state[RUN] = heatmap_run.train_more(st.session_state[RUN], float("inf"))
progress_slot, chart_slot, note_slot = st.empty(), st.empty(), st.empty()


def draw_heatmap(run: heatmap_run.TrainingSoFar, frame: int | None = None) -> None:
    """The heatmap of the run so far into its slots; frame numbers the partial ones (a key of their own each)."""
    T = exp.iterations
    h = None if run.result is None else run.result.history
    progress = f"Training for the heatmap: {run.iterations_done} of {T} iterations…"
    if run.done:
        progress_slot.empty()
    else:
        progress_slot.progress(run.iterations_done / T, text=progress)
    if h is None:
        with chart_slot.container(height=th.look(ui.theme()).height, border=False):  # the chart's room: no jumping
            st.empty()
        return
    rows = h.state_grad_norms
    if not np.isfinite(rows).any() or not (rows[np.isfinite(rows)] > 0).any():
        chart_slot.warning("No iteration had a gradient to draw: ‖∂L/∂s(n)‖ is 0 or overflowed at every step of every "
                           "iteration so far (see the message above).", icon=":material/block:")
    else:
        fig = figs.heatmap(rows, h.iteration, normalise, ui.theme())
        if not run.done:
            fig.update_yaxes(range=[-0.5, T - 0.5])  # the rows still to come keep their place
        with chart_slot.container():
            ui.chart(fig, "gradient-heatmap", key=None if frame is None else f"heatmap_partial_{frame}",
                     menu=frame is None)
    if h.exploded_at is not None:
        note_slot.error(f"Training exploded at iteration {h.exploded_at}: {h.exploded_what}. The heatmap stops there.",
                        icon=":material/error:")
    elif not run.done:
        note_slot.caption("The heatmap fills in as the network trains; the curves above are final.")
    else:
        said = diagnose.collapse(rows, h.grad_norm, h.lr, h.iteration, compute.median_slope(exp, s.params),
                                 compute.median_slope(exp, run.result.params))
        if said:
            note_slot.info(said, icon=":material/trending_down:")
        else:
            note_slot.empty()


draw_heatmap(st.session_state[RUN], frame=None if st.session_state[RUN].done else 0)
if heavy:
    seconds = compute.training_cost(exp) * compute.SECONDS_PER_UNIT
    progress_slot.empty()  # nothing is training
    with chart_slot.container():
        st.info(f"The heatmap needs {ui.count(exp.iterations, 'training iteration')} at N = {exp.N}, H = {exp.H}, batch "
                f"{exp.batch}: about {seconds:.0f} s of this server's time, more than a click starts by itself. Lower "
                "Iterations, N or H in the sidebar, or fill it in now (a slice at a time; any change stops it).",
                icon=":material/hourglass:")
        st.button(f"Fill in the heatmap (about {seconds:.0f} s)", key="heatmap_fill", icon=":material/play_arrow:",
                  on_click=lambda: st.session_state.__setitem__(ASKED, exp))

st.subheader("Which steps contribute to the weight update")
if problem is not None:
    st.caption("Nothing to show: with no finite gradient at θ(0), no step contributes to the update.")
else:
    ui.chart(figs.contributions(log.W_s_contrib, log.W_x_contrib, log.b_contrib, ui.theme()), "gradient-contributions")
    grows = log.preact_grad[0] > log.preact_grad[-1]  # ||δ(1)|| against ||δ(N)||
    st.caption("∂L/∂W_s is the sum over n of δ(n) s(n−1)ᵀ"
               + (" (zero at n = 1: s(0) = 0)" if log.W_s_contrib[0] == 0 else "") + ": "
               + ("here the early steps' shares are the largest: the gradient grows on its way back (it explodes), so "
                  "what happened at the start dominates the update." if grows else
                  "when δ(n) vanishes for early n, those steps add nothing, and the network cannot learn what happened "
                  "there."))

n = np.arange(1, N + 1)
d1, d2 = st.columns(2)
with d1:
    ui.csv_download("Download the gradient log (CSV)", {
        "n": n, "dL_ds_norm": log.state_grad, "dL_da_norm": log.preact_grad,
        "W_s_contribution": log.W_s_contrib, "W_x_contribution": log.W_x_contrib, "b_contribution": log.b_contrib,
    }, "gradient_log.csv")
history_slot = d2.empty()


def history_download(run: heatmap_run.TrainingSoFar) -> None:
    with history_slot.container():
        if run.done:
            ui.csv_download("Download the training history (CSV)", run.result.history.to_frame_dict,
                            "training_history.csv")
        else:
            st.button("Download the training history (CSV)", disabled=True, key="csv_training_history_pending",
                      help="Ready once the heatmap's training has finished.")


history_download(st.session_state[RUN])

# In a browser, the heatmap's training: after everything else is drawn (the link and the address too), a slice at a
# time. Each drawing is a point where a click or a slider move stops this run (a rerun starts at once and continues
# the training where it stopped); no timer, so a switch to another page is never undone by a late tick.
if not st.session_state[RUN].done and not heavy:
    ui.finish_run()
    frame, drawn = 0, time.monotonic()
    while not st.session_state[RUN].done:
        with ui.plain_errors():
            st.session_state[RUN] = run = heatmap_run.train_more(st.session_state[RUN], HEATMAP_SLICE)
        if run.done or time.monotonic() - drawn >= HEATMAP_REDRAW:
            frame += 1
            draw_heatmap(run, frame=None if run.done else frame)
            drawn = time.monotonic()
        else:
            progress_slot.progress(run.iterations_done / exp.iterations,
                                   text=f"Training for the heatmap: {run.iterations_done} of {exp.iterations} iterations…")
    history_download(st.session_state[RUN])
