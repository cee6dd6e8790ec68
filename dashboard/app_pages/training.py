"""Training: loss, accuracy and gradient norm as the network learns; Play / Pause / Step / Reset.

A live run (live_run.LiveRun) sits in st.session_state: changing γ, the optimiser, clipping, the
schedule or the batch size continues it from its current weights; changing anything else restarts it.
Play advances a chunk per frame at the end of the page, redrawing only the numbers and the curves; any click
stops the frame loop at its next drawing (no timer: a late tick could undo a switch to another page).
"""
import time

import numpy as np
import streamlit as st

from dashboard import compute, diagnose, live_run, ui
from dashboard.figures import training as figs

RUN, PLAYING, LONG, ACTION, NOTE = "live_run", "live_playing", "live_long", "live_action", "live_note"
TICK = 0.35  # seconds between frames while playing
PLAY_SECONDS = 0.2  # wall time one frame may spend training
LONG_SECONDS = 0.3  # wall time between progress updates (and Stop checks) of a long run

# The update the sidebar's optimiser makes: (what it is, its equation); the lecture's is plain SGD.
UPDATES = {
    "sgd": ("Minibatch SGD, the lecture's update: at every iteration t the network sees one batch, BPTT gives the "
            "gradient ∇L, and the weights take a step against it.",
            r"\theta(t+1) = \theta(t) - \gamma(t)\,\nabla L(t;\theta(t))"),
    "momentum": ("Minibatch SGD with momentum: at every iteration t BPTT gives the gradient ∇L of one batch; the step "
                 "is a velocity v that keeps a share μ of the previous steps.",
                 r"v(t+1) = \mu\, v(t) - \gamma(t)\,\nabla L(t;\theta(t)),\qquad \theta(t+1) = \theta(t) + v(t+1)"),
    "adam": ("Minibatch training with Adam (Kingma & Ba 2015): at every iteration t BPTT gives the gradient ∇L of one "
             "batch; each weight's step is γ(t) times the running mean of its gradient over the root of the running "
             "mean of its square, so every weight moves at about the same pace.",
             r"\theta(t+1) = \theta(t) - \gamma(t)\,\frac{\hat m(t)}{\sqrt{\hat v(t)} + \epsilon},\quad "
             r"m \leftarrow \beta_1 m + (1-\beta_1)\nabla L,\quad v \leftarrow \beta_2 v + (1-\beta_2)(\nabla L)^2"),
}
exp = ui.experiment()
what, equation = UPDATES[exp.optimizer]
ui.header("Training", what + " Press Play to watch the loss fall (or blow up); change γ while it runs.", equation)


def _act(name: str) -> None:
    """Button callback: remember what was pressed; the page body does it (after the sidebar is read)."""
    st.session_state[ACTION] = name


def _run_for(exp) -> live_run.LiveRun:
    """The live run for exp: kept and retuned when only training settings changed, restarted otherwise."""
    run = st.session_state.get(RUN)
    if run is None or run.architecture != live_run.architecture(exp):
        if run is not None and run.t > 0:
            changed = live_run.changed_fields(run.architecture, live_run.architecture(exp))
            st.info(f"You changed {live_run.describe_changes(changed)}: that is a different network or data set, so "
                    "training restarted from its initial weights θ(0) at iteration 0.", icon=":material/restart_alt:")
        st.session_state[PLAYING] = False
        st.session_state[LONG] = None
        return live_run.start_run(exp)
    if run.settings != exp:
        changed = live_run.changed_fields(run.settings, exp, [n for n in live_run.LIVE_SETTINGS if n != "iterations"])
        run = live_run.retune(run, exp)
        if changed and run.t > 0:
            st.info(f"Changed {live_run.describe_changes(changed)} at iteration {run.t}: training continues from the "
                    f"current weights θ({run.t}) with the new setting (dotted line on the curves).",
                    icon=":material/tune:")
    return run


with ui.plain_errors():
    run = _run_for(exp)
    action = st.session_state.pop(ACTION, None)
    if action == "play":
        st.session_state[PLAYING], st.session_state[LONG] = True, None
    elif action == "pause":
        st.session_state[PLAYING] = False
    elif action == "step":
        st.session_state[PLAYING] = False
        run = live_run.advance(run, live_run.chunk_size(exp))
    elif action == "reset":
        st.session_state[PLAYING], st.session_state[LONG] = False, None
        run = live_run.start_run(exp)
    elif action == "long":
        st.session_state[PLAYING] = False
        st.session_state[LONG] = (run.t, min(run.t + exp.iterations, run.limit))
    elif action == "stop":
        st.session_state[LONG] = None
        st.session_state[NOTE] = f"Stopped at iteration {run.t}."
st.session_state[RUN] = run
playing = bool(st.session_state.get(PLAYING)) and not run.finished
long_run = st.session_state.get(LONG)  # (start, target) of a "Train N now" in progress, or None
if long_run is not None and (run.finished or run.t >= long_run[1]):  # done (or interrupted right at the end)
    long_run = st.session_state[LONG] = None
step = live_run.chunk_size(exp)

# --- controls ---------------------------------------------------------------------------------------
cols = st.columns([1, 1, 1.2, 1, 2.2])
cols[0].button("Play", icon=":material/play_arrow:", type="primary", width="stretch", key="live_play_btn",
               on_click=_act, args=("play",), disabled=playing or run.finished or long_run is not None,
               help="Train continuously, a few iterations per frame, until you press Pause.")
cols[1].button("Pause", icon=":material/pause:", width="stretch", key="live_pause_btn", on_click=_act,
               args=("pause",), disabled=not playing)
cols[2].button(f"Step +{step}", icon=":material/skip_next:", width="stretch", key="live_step_btn", on_click=_act,
               args=("step",), disabled=playing or run.finished or long_run is not None,
               help=f"{ui.count(step, 'iteration')}, then stop (about 0.2 s of training for this network).")
cols[3].button("Reset", icon=":material/replay:", width="stretch", key="live_reset_btn", on_click=_act,
               args=("reset",), disabled=run.history is None and not playing,
               help="Back to the initial weights θ(0), iteration 0.")
cols[4].button(f"Train {ui.count(exp.iterations, 'iteration')} now", icon=":material/fast_forward:", width="stretch",
               key="live_long_btn", on_click=_act, args=("long",),
               disabled=playing or run.finished or long_run is not None,
               help="As fast as possible, with a progress bar and a Stop button. The number is the sidebar's "
                    "Training → Iterations.")
# projector mode: the curves right under the buttons, on the screen (ui.main_chart's aim); otherwise after this note
curves_here = st.empty() if ui.theme() == "projector" else None
st.caption("Changing γ, the optimiser, clipping, the schedule or the batch size keeps the trained weights: the run "
           "continues with the new setting. Changing the task, the network, its initialisation, the seed or the "
           "truncation restarts from θ(0).")
note = st.session_state.pop(NOTE, None)
if note:
    st.info(note, icon=":material/stop_circle:")

# --- a long run: trained here in chunks; Stop (any click) interrupts the script between chunks --------
if long_run is not None:
    start, target = long_run
    stop_slot = st.empty()
    stop_slot.button("Stop training", icon=":material/stop:", key="live_stop_btn", on_click=_act, args=("stop",),
                     help="Stops after the chunk in progress; the weights trained so far are kept.")
    bar = st.progress(0.0, text=f"Training: iteration {run.t} of {target}")
    chunk = live_run.chunk_size(exp, LONG_SECONDS, most=500)
    with ui.plain_errors():
        while run.t < target and not run.finished:
            run = live_run.advance(run, min(chunk, target - run.t), seconds=LONG_SECONDS)
            st.session_state[RUN] = run  # saved before the next st call, where a click can interrupt us
            bar.progress((run.t - start) / max(1, target - start),
                         text=f"Training: iteration {run.t} of {target}, loss {run.history.loss[-1]:.4g}")
    st.session_state[LONG] = None
    st.rerun()  # redraw the buttons, which were drawn disabled for the long run


def _last_finite(v: np.ndarray) -> float:
    v = np.asarray(v, dtype=float)
    ok = np.isfinite(v)
    return float(v[ok][-1]) if ok.any() else float("nan")


def _fmt(x: float) -> str:
    """A number as shown; NaN and inf are shown as such (an exploded run)."""
    return "NaN" if np.isnan(x) else "inf" if np.isinf(x) else f"{x:.4g}"


def loss_sentence(h, baseline: float | None, summed: bool = False) -> str:
    """What the loss curve says, with the current numbers (validation loss when there is one: less noisy)."""
    val = np.asarray(h.val_loss, dtype=float)
    val = val[np.isfinite(val)]
    loss = np.asarray(h.loss, dtype=float)
    ok = np.isfinite(loss)
    if h.exploded_at is not None:
        text = f"At iteration {h.exploded_at} the run exploded ({h.exploded_what})."
        i = np.flatnonzero(ok)
        if i.size == 1:
            text = f"The training loss was {_fmt(loss[i[0]])} at t = {h.iteration[i[0]]}; " + text[0].lower() + text[1:]
        elif i.size > 1:
            text = (f"The training loss was {_fmt(loss[i[0]])} at t = {h.iteration[i[0]]} and {_fmt(loss[i[-1]])} at "
                    f"t = {h.iteration[i[-1]]}; " + text[0].lower() + text[1:])
        return text + " Points after it cannot be drawn: the numbers are no longer finite."
    loss = loss[ok]
    if val.size >= 3:
        which, first, last = "validation loss", val[0], val[-1]
    elif loss.size >= 20:
        k = min(20, loss.size // 5)
        which, first, last = f"training loss (mean of {k} iterations)", loss[:k].mean(), loss[-k:].mean()
    else:
        return (f"Only {ui.count(len(h.loss), 'iteration')} so far: each point is one batch, so the curve is noisy; "
                "train a little longer to see a trend.")
    text = f"The {which} went from {_fmt(first)} at the start to {_fmt(last)} now"
    r = last / first if first > 0 else np.nan
    text += ("." if not np.isfinite(r) else
             f" ({diagnose.percent(r)} of its start: the network is learning)." if r < 0.8 else
             f" ({diagnose.percent(r)} of its start: it has barely moved)." if r <= 1.1 else
             f" ({diagnose.percent(r)} of its start: it went up; γ may be too large).")
    if baseline is not None and baseline > 0 and loss.size:
        if val.size and not summed:  # a mean over sequences: comparable with the per-sequence baseline
            which, now = "validation loss", val[-1]
        else:  # sse sums over a batch, like the baseline
            k = min(20, max(1, loss.size // 5))
            which, now = f"training loss (mean of the last {k})", loss[-k:].mean()
        r = now / baseline
        verdict = ("well below it: the network has learned something from its inputs." if r < 0.9 else
                   "about the same: it has not yet learned to use its inputs." if r <= 1.1 else
                   "above it: worse than ignoring the inputs.")
        text += (f" Predicting the mean target for every sequence would score {baseline:.4g} (green dotted line); "
                 f"the {which}, {now:.4g}, is {verdict}")
    return text


def grad_sentence(h, exp) -> str:
    g = h.grad_norm[np.isfinite(h.grad_norm)]
    if g.size == 0:
        return "No finite gradient norm was measured."
    if h.exploded_at is not None:
        i = np.flatnonzero(np.isfinite(h.grad_norm))
        text = f"‖∇L‖ grew to {g.max():.2e}."
        if i.size:
            lr = float(h.lr[i[-1]])
            text = (f"The last finite gradient, at iteration {h.iteration[i[-1]]}, had norm {h.grad_norm[i[-1]]:.2e}: "
                    f"a step of γ‖∇L‖ = {lr * h.grad_norm[i[-1]]:.2e} throws the weights far from anything sensible.")
            if exp.clip == "none":
                text += " Clipping by norm would have capped that step at γ·c."
        return text
    if g.max() < 1e-30:
        return ("‖∇L‖ is 0, or below 10⁻³⁰, at every iteration: no gradient reaches the weights, so nothing can learn. "
                "Typically the read-out is saturated (a sigmoid output at exactly 0 or 1 has slope g′ = 0): "
                "the state s(N) is so large that the output cannot move.")
    text = f"‖∇L‖ ranged from {g.min():.2e} to {g.max():.2e}; now {g[-1]:.2e}."
    n = int(h.clipped.sum())
    if exp.clip == "norm":
        text += (f" Clipping rescaled {n} of {len(h.clipped)} updates to norm {exp.clip_at:g} (× markers): "
                 "the direction is kept, only the step length is capped.") if n else \
            f" Clipping never acted: the norm stayed below c = {exp.clip_at:g}."
    elif exp.clip == "value":
        text += f" Clipping by value changed {n} of {len(h.clipped)} updates (× markers)."
    elif g.max() > 100 * max(np.median(g), 1e-300):
        text += " Spikes far above the typical norm are what gradient clipping is for."
    return text


view_slot = curves_here if curves_here is not None else st.empty()


def live_view(frame: int | None = None) -> None:
    """The numbers and the curves of the live run, into their slot; frame numbers the frames of Play (each
    chart a key of its own, no download menu while it moves)."""
    with view_slot.container():
        _live_view(st.session_state[RUN], frame)


def _chart(fig, name: str, frame: int | None) -> None:
    ui.chart(fig, name, key=None if frame is None else f"{name}_frame{frame}", menu=frame is None)


def _live_view(run, frame: int | None) -> None:
    h = run.history
    s = compute.setup(run.settings)
    m = st.columns(4)
    m[0].metric("iteration t", f"{run.t}", help="Updates applied so far.")
    m[1].metric("training loss", _fmt(h.loss[-1]) if h is not None else "—",
                help=f"Loss ({s.loss}) on the batch of the last iteration.")
    m[2].metric("validation loss", _fmt(_last_finite(h.val_loss)) if h is not None else "—",
                help=f"Loss on the held-out sequences, every {compute.VALIDATE_EVERY} iterations.")
    status = ("exploded" if run.exploded else "playing" if st.session_state.get(PLAYING) else
              "not started" if h is None else "paused")
    m[3].metric("status", status)
    if h is None:
        st.info("Iteration 0: nothing trained yet. Press **Play** to watch the network learn, **Step** for a few "
                f"iterations, or **Train {ui.count(run.settings.iterations, 'iteration')} now**.", icon=":material/info:")
        return
    if run.exploded:
        st.error(f"Training exploded at iteration {h.exploded_at}: {h.exploded_what}. The weights kept are the last "
                 f"finite ones, from before iteration {h.exploded_at}. Lower the learning rate γ or turn on gradient "
                 "clipping in the sidebar (Training), then press Reset.", icon=":material/warning:")
    elif run.t >= run.limit:
        st.warning(f"The live run stops at {run.limit} iterations"
                   + ("" if run.limit == live_run.MAX_LIVE_ITERATIONS else
                      f" at N = {run.architecture.N} (its history, N numbers per iteration, stays within "
                      f"{live_run.LIVE_HISTORY_BYTES // 2**20} MB per session)") + "; press Reset to start again.")
    boom = dict(exploded_at=h.exploded_at, exploded_what=h.exploded_what, changes=run.changes, theme=ui.theme())
    baseline = compute.constant_baseline(run.settings)
    val_note = ""
    if s.loss == "sse":  # a sum over sequences: the validation set is larger than a batch
        B, M_val = min(run.settings.batch, s.train.x.shape[1]), s.val.x.shape[1]
        val_note = f"; sse summed over {M_val} sequences, training over a batch of {B}"
    _chart(figs.loss_curves(h.iteration, h.loss, h.val_loss, compute.VALIDATE_EVERY, loss_name=s.loss,
                            baseline=baseline, val_note=val_note, title=f"Loss during training ({s.loss})", **boom),
           "training-loss", frame)
    st.caption(loss_sentence(h, baseline, summed=s.loss == "sse"))
    if h.accuracy is not None:
        _chart(figs.accuracy_curves(h.iteration, h.accuracy, h.val_accuracy, compute.VALIDATE_EVERY, **boom),
               "training-accuracy", frame)
        acc = _last_finite(h.val_accuracy if h.val_accuracy is not None else h.accuracy)
        st.caption(f"Latest accuracy: {acc:.1%} of the validation sequences classified correctly.")
    _chart(figs.grad_norm_curve(h.iteration, h.grad_norm, h.grad_norm_after_clip, h.clipped,
                                run.settings.clip, run.settings.clip_at, **boom), "training-grad-norm", frame)
    st.caption(grad_sentence(h, run.settings))


live_view()

if run.history is not None or playing:
    if playing:
        st.caption("Pause to download the training history as CSV.")
    else:
        ui.csv_download("Download the training history (CSV)", run.history.to_frame_dict, "training_history.csv")

# Play: a frame every TICK s, after the rest of the page (the link and the address written first). A click on
# Pause, a setting or another page stops this run at its next drawing; the next run carries on from the run kept.
if playing:
    ui.finish_run()
    frame = 0
    while True:
        started = time.monotonic()
        with ui.plain_errors():
            run = live_run.advance(st.session_state[RUN], live_run.chunk_size(exp), seconds=PLAY_SECONDS)
        st.session_state[RUN] = run
        if run.finished:  # exploded or at the limit: redraw the buttons, enabled again
            st.session_state[PLAYING] = False
            st.rerun()
        frame += 1
        live_view(frame)
        if not st.context.headers:  # no browser (AppTest, the headless export): one frame, nothing would stop more
            break
        time.sleep(max(0.0, TICK - (time.monotonic() - started)))
