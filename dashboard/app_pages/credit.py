"""Credit: which loss term's gradient reaches which step (RNNbow's itemised gradients), and what each output
still remembers of each input (Distill's connectivity), at θ(0) and after training, for every cell.

The page's own controls (keys credit_*) are in the URL: credit_m (the loss step whose gradient horizon is drawn)
and credit_sample (the sample of the batch whose connectivity is drawn).
"""
import numpy as np
import streamlit as st

from dashboard import address, compute, diagnose, ui
from dashboard.config import TASK_LABELS
from dashboard.figures import credit as figs
from rnn_engine.credit import memory_horizons

FRACTION = 0.01  # the memory horizon's level: 1 % of the gradient at the loss step itself
EVERY_STEP_TASKS = "the copy task (the showcase: recall losses at the end must reach the symbols at the start) or " \
                   "the noisy sine"

exp = ui.experiment()
ui.header("Credit assignment",
          "Which loss term's gradient reaches which step: ‖∂L/∂s(n)‖ of the other pages split by the loss term ℓ_m it "
          "came from (RNNbow's itemised gradients), and how strongly each output still depends on each input "
          "(Distill's connectivity). A plain RNN's credit stops a few steps back; a gated cell's can reach far.",
          r"\frac{\partial L}{\partial s(n)} = \sum_{m \ge n} \frac{\partial \ell_m}{\partial s(n)},\quad "
          r"\frac{\partial \ell_m}{\partial s(n)} = \Big(\prod_{j=n+1}^{m} \frac{\partial s(j)}{\partial s(j-1)}\Big)^{\!\top}"
          r"\frac{\partial \ell_m}{\partial s(m)},\quad C(m, n) = \Big\|\frac{\partial y(m)}{\partial x(n)}\Big\|")

with ui.plain_errors():
    s = compute.setup(exp)
N = exp.N
B = min(exp.batch, s.train.x.shape[1])


# The page's own settings: URL key -> (parse, default). In the URL only where they differ from the default.
SETTINGS = {"credit_m": (address.whole(1, N), N), "credit_sample": (address.whole(0, B - 1), 0)}
if address.fresh_query() is not None:  # a new address: the page's settings from it, what cannot be used said
    st.session_state["credit_url_notices"] = [n for n in (address.seed(key, parse, default)
                                                          for key, (parse, default) in SETTINGS.items()) if n]
for notice in st.session_state.get("credit_url_notices", []):
    st.warning(notice, icon=":material/warning:")


def setting_in_link(key: str, value) -> None:
    """The page's setting joins the sidebar's link (and the address) unless it is at its default."""
    if value != SETTINGS[key][1]:
        ui.add_to_link({key: str(value)})


def clamp(key: str, lo: int, hi: int, default: int) -> None:
    """Keep a remembered value inside a range that changed (another N or batch size). Written every run: a widget
    whose range changed is a new widget to Streamlit, which would otherwise start it at its minimum."""
    v = st.session_state.get(key)
    st.session_state[key] = default if not isinstance(v, (int, np.integer)) else min(max(int(v), lo), hi)


clamp("credit_sample", 0, B - 1, 0)
sample = int(st.session_state["credit_sample"])
with ui.plain_errors(), st.spinner("Carrying every loss term back…"):
    cr = compute.credit(exp, sample)
I = cr.itemized  # (W, W) [m-first, n-first] = ||dl_m/ds(n)||
W, first = I.shape[0], cr.first
every_step = s.train.readout == "all"
windowed = first > 1


def window_words(W: int, rows: int) -> str:
    """Why only the last W steps are drawn (the budget or the heatmap's size), '' for the whole run."""
    if W >= N:
        return ""
    why = (f"the whole run would cost {compute.credit_cost(N, rows, exp):.1e} flops, over the budget of "
           f"{compute.CREDIT_BUDGET:.0e}" if compute.credit_cost(min(N, compute.CREDIT_MAX_STEPS), rows, exp)
           > compute.CREDIT_BUDGET else f"at most {compute.CREDIT_MAX_STEPS} steps are drawn")
    return f"the last {W} of {N} steps only (steps {N - W + 1}–{N}): {why}; each entry shown is exact"


window_note = window_words(W, B)

if not np.isfinite(I).all():
    st.error("The gradient overflowed on its way back (an entry of ‖∂ℓ_m/∂s(n)‖ is not a finite number): there is "
             "no credit to split. Lower the spectral radius or the init scale.", icon=":material/error:")
    ui.stop()
if not (I > 0).any():
    st.error("No loss term sends any gradient back: every ‖∂ℓ_m/∂s(n)‖ is exactly 0.", icon=":material/block:")
    ui.stop()

horizons = memory_horizons(I, FRACTION)  # (W,) per loss term, NaN for a term that sends nothing
loss_rows = np.flatnonzero(I.sum(axis=1) > 0)  # rows of the terms that send gradient
h_last = horizons[loss_rows[-1]]  # the last loss term's horizon (ℓ_N's, unless the task has no loss at N)
m_last = first + int(loss_rows[-1])
near, far = figs.near_far(I)

c1, c2, c3 = st.columns(3)
capped = h_last >= m_last - first + 1
c1.metric(diagnose.REMEMBERS, diagnose.remembers(h_last, m_last - first + 1),
          help=f"The memory horizon of the loss at step {m_last}: how many steps back ‖∂ℓ_{m_last}/∂s(n)‖ stays above "
               f"{FRACTION:.0%} of ‖∂ℓ_{m_last}/∂s({m_last})‖ at θ(0)"
               + (" (it never falls below it: the whole window)." if capped else "."))
c2.metric("credit from at most 2 steps ahead", diagnose.percent(near),
          help="Σ ‖∂ℓ_m/∂s(n)‖ over 0 ≤ m − n ≤ 2, as a share of the sum over all m ≥ n.")
c3.metric(f"credit from more than {figs.FAR} steps ahead", diagnose.percent(far),
          help=f"Σ ‖∂ℓ_m/∂s(n)‖ over m − n > {figs.FAR}, as a share of the sum over all m ≥ n.")
st.caption((f"At θ(0), {diagnose.percent(near)} of all the credit comes from loss terms at most 2 steps ahead of the "
            f"state it reaches and {diagnose.percent(far)} from terms more than {figs.FAR} steps ahead: " if every_step
            else f"At θ(0), of the one loss term ℓ_{N}'s gradient (summed over the steps it reaches), "
            f"{diagnose.percent(near)} arrives within 2 steps of step {N} and {diagnose.percent(far)} more than "
            f"{figs.FAR} steps back: ")
           + (f"with only {N} steps no term can be further ahead than {N - 1}; lengthen N to see far credit."
              if N - 1 <= figs.FAR else
              "the gradient is made of near-future terms; what lies further back barely learns." if far < 0.1 else
              "a good part of the gradient comes from far ahead: early steps still learn from late losses.")
           + (f" Computed for {window_note}." if windowed else ""))

SHOWCASE_N = 60  # the presets' length: a lag the plain RNN cannot bridge, and a heatmap that still reads


def lengthen() -> None:
    st.session_state["N"] = SHOWCASE_N


if N < 30:
    st.button(f"Lengthen to N = {SHOWCASE_N} steps: a lag that tells a cell that forgets from one that remembers",
              on_click=lengthen, icon=":material/straighten:", key="credit_lengthen",
              help="Sets the sidebar's sequence length N. The presets 'Where the credit goes' use it too.")

# 1. the itemised heatmap
top = figs.quiet_rows(I)  # the copy task's rows before the recall: exactly 0, left out of the heatmaps
top_note = (f"rows m = {first}–{first + top - 1} left out: no loss term there (ℓ_m = 0)" if top else "")
heat_note = "; ".join(t for t in (window_note, top_note) if t)
with ui.main_chart():
    st.subheader("Which loss term reaches which step")
    ui.chart(figs.itemized_heatmap(I, first, ui.theme(), note=heat_note, top=top), "credit-itemized")
if not every_step:
    st.info(f"This task ({TASK_LABELS.get(s.train.name, s.train.name)}) reads its loss at the last step only (readout 'last'): L = ℓ_N, so only the "
            f"bottom row m = {N} is non-zero and it is the Gradients page's ‖∂L/∂s(n)‖. Choose a task with a loss at "
            f"every step to see the terms apart: {EVERY_STEP_TASKS}.", icon=":material/info:")
else:
    quiet = W - loss_rows.size
    st.caption("Row m is the gradient of one loss term ℓ_m on its way back to every earlier state; column n is what "
               "reaches s(n), summed over the rows it crosses. "
               + (f"The first {ui.count(top, 'step')} have no loss term (ℓ_m = 0 there: the copy task scores only "
                  "its recall), so their rows are left out; every row drawn sends gradient back to the symbols at the "
                  "start, or fails to. " if top else
                  f"Grey rows: {ui.count(quiet, 'step')} with no loss term (ℓ_m = 0 there). " if quiet else "")
               + f"The colours always span the {figs.DECADES:g} decades below the largest entry (smaller ones are the "
               "darkest), so two cells' maps compare by colour: bright reaches far, dark has vanished. Hover a cell "
               "for its share of what reaches s(n).")



def itemized_columns() -> dict:
    """The lower triangle of the itemised matrix as columns m, n, ||dl_m/ds(n)|| and its share of what reaches s(n)."""
    mm, nn = np.tril_indices(W)  # (W (W+1) / 2,) row and column indices
    return {"m": first + mm, "n": first + nn, "dl_m_ds_n_norm": I[mm, nn], "share_of_s_n": figs.shares(I)[mm, nn]}


ui.csv_download("Download the itemised gradients (CSV)", itemized_columns, "itemized_gradients.csv")

# 2. the gradient horizon of one loss term
st.subheader("The gradient horizon of one loss term")
if every_step and W > 1:
    if st.session_state.get("_credit_N") not in (None, N) and st.session_state.get("credit_m") == st.session_state["_credit_N"]:
        st.session_state["credit_m"] = N  # m was the last step: it stays the last step when N changes
    st.session_state["_credit_N"] = N
    clamp("credit_m", first, N, N)
    m = int(st.slider("Loss step m", first, N, key="credit_m",
                      help="The loss term ℓ_m whose way back is drawn (RNNbow's hover). In the URL as credit_m."))
else:
    m = N
    st.caption(f"The only loss term is ℓ_{N}: its horizon is the Gradients page's curve.")
setting_in_link("credit_m", m)
row = I[m - first, : m - first + 1]  # (m-first+1,) ||dl_m/ds(n)|| for n = first..m
if not (row > 0).any():
    steps_with_loss = first + loss_rows
    st.info(f"ℓ_{m} is exactly 0: this task has no loss at step {m}, so it sends nothing back. Its loss terms are at "
            f"steps {steps_with_loss[0]}–{steps_with_loss[-1]}.", icon=":material/info:")
else:
    h = horizons[m - first]
    ui.chart(figs.horizon_curve(row, m, first, h, FRACTION, ui.theme()), "credit-horizon")
    back = m - first + 1
    st.caption(f"ℓ_{m}'s gradient stays above {FRACTION:.0%} of its value at s({m}) for "
               + (f"the whole window back to s({first})." if h >= back else
                  f"{ui.count(int(h), 'step')} back: at n = {m - int(h)} (the dashed line) and before, it is below."))

# 3. RNNbow's bars
st.subheader("Where the gradient at each step came from")
ui.chart(figs.band_bars(I, first, ui.theme()), "credit-bands")
st.caption(f"Each bar is Σₘ ‖∂ℓ_m/∂s(n)‖, what reaches s(n), split by how far ahead its loss term was: light = the "
           f"state's own and the next terms, dark = more than {figs.FAR} steps ahead. "
           + (f"Over all steps, {diagnose.percent(far)} of the credit is dark"
              + (f": {'the plain RNN' if exp.cell == 'elman' else f'this {exp.cell.upper()}'}'s gradient is made of near terms "
                 "only, and the steps far before a loss get almost nothing." if far < 0.1 else
                 ": the gradient reaches far back, so early steps learn from late losses.")
              if N - 1 > figs.FAR else f"With N = {N} no term is more than {N - 1} steps ahead."))

# 4. Distill's connectivity
st.subheader("What each output still remembers of each input")
clamp("credit_sample", 0, B - 1, 0)
st.number_input(f"Sample of the batch (0 … {B - 1})", 0, B - 1, step=1, key="credit_sample",
                help="Whose inputs and targets are drawn along the axes. In the URL as credit_sample.")
setting_in_link("credit_sample", sample)


def step_texts(x: np.ndarray, target) -> tuple[list[str], list[str]]:
    """Short texts of one sample's input x(n) (N, D) and target per step, for the axes of the connectivity map."""
    task, D = s.train.name, x.shape[1]
    onehot = bool(np.all((x == 0) | (x == 1)) and np.all(x.sum(axis=1) == 1))
    if task == "copy":
        names = [str(k + 1) for k in range(D - 2)] + [figs.BLANK, ":"]
    elif task == "temporal_order":
        names = ["a", "b", "c", "d", "X", "Y", "B", "E"]
    else:
        names = [str(k) for k in range(D)]
    if onehot:
        ins = [names[int(k)] for k in x.argmax(axis=1)]
    else:
        ins = [f"{v[0]:.2g}" + (" ●" if D == 2 and v[1] == 1 else "") for v in x]
    t = np.asarray(target, dtype=float)
    if t.ndim == 1:  # readout 'last': the one target at step N
        t = np.vstack([np.zeros((x.shape[0] - 1, t.shape[0])), t])
    classes = s.train.class_names
    outs = []
    for row_t in t:
        if not row_t.any():
            outs.append("")
        elif t.shape[1] > 1:
            k = int(row_t.argmax())
            outs.append(classes[k] if classes else (names[k] if task == "copy" else str(k)))
        else:
            outs.append(f"{row_t[0]:.2g}")
    return ins, outs


xs, ts = compute.batch(s.train, exp.batch)
tgt = ts[sample] if s.train.readout == "last" else ts[:, sample]
ins, outs = step_texts(xs[:, sample], tgt)
C = cr.connectivity  # (W', W') [m-first, n-first] = ||dy(m)/dx(n)||
cf = cr.connectivity_first
with np.errstate(invalid="ignore"):
    c_h = memory_horizons(C, FRACTION)[-1]  # the last output's horizon
conn_note = window_words(C.shape[0], s.params.W_y.shape[0])
marked = [t in ("X", "Y") for t in ins[cf - 1 :]] if s.train.name == "temporal_order" else None  # what decides the class
ui.chart(figs.connectivity_map(C, cf, ins[cf - 1 :], outs[cf - 1 :], c_h, ui.theme(), sample=sample, note=conn_note,
                               marked=marked), "credit-connectivity")
if np.isfinite(c_h):
    st.caption((f"The output at step {N} depends on every input of the window at more than {FRACTION:.0%} of its "
                f"dependence on x({N})." if c_h >= C.shape[0] else
                f"The output at step {N} still depends on the inputs of the last {int(c_h)} steps at more than "
                f"{FRACTION:.0%} of its dependence on x({N}) (the dashed line); earlier inputs it has all but forgotten.")
               + (f" In the copy task it must still remember the symbols shown at steps 1–{sum(1 for o in outs if o)}."
                  if s.train.name == "copy" else ""))

# 5. evolution of training
st.subheader("Evolution of training")
train_cost = compute.training_cost(exp)  # above compute.TRAIN_BUDGET the page trains only when asked
asked = st.session_state.get("credit_train_for") == exp


def ask_to_train() -> None:
    st.session_state["credit_train_for"] = exp


result = None
if train_cost > compute.TRAIN_BUDGET and not asked and compute.finished_run(exp) is None:
    st.button(f"Train {ui.count(exp.iterations, 'iteration')} now (the sidebar's; {train_cost:.0e} flops, a while "
              "at this size)", on_click=ask_to_train, icon=":material/model_training:", key="credit_train",
              help="Then the itemised map after training appears beside the one at θ(0), on one colour scale.")
    st.caption(f"Training this network ({exp.cell.upper() if exp.cell != 'elman' else 'RNN'}, N = {N}, H = {exp.H}) "
               f"costs more than the {compute.TRAIN_BUDGET:.0e} flops the page spends without asking.")
else:
    with ui.plain_errors(), st.spinner(f"Training {ui.count(exp.iterations, 'iteration')} (the sidebar's)…"):
        result = compute.training(exp)
if result is None:
    pass
elif result.history.exploded_at is not None:
    st.error(f"Training exploded at iteration {result.history.exploded_at}: {result.history.exploded_what}. There are "
             "no trained weights to compare.", icon=":material/error:")
else:
    with ui.plain_errors():
        trained = compute.credit(exp, sample, _params=result.params, params_key="trained")
    I1 = trained.itemized
    if not np.isfinite(I1).all():
        st.error("After training, the gradient overflows on its way back: no credit to split.", icon=":material/error:")
    else:
        ui.chart(figs.itemized_pair(I, I1, first, ui.theme(),
                                    titles=("at θ(0)", f"after {ui.count(exp.iterations, 'iteration')}"),
                                    note=heat_note, top=min(top, figs.quiet_rows(I1))), "credit-training")
        near1, far1 = figs.near_far(I1)
        rows1 = np.flatnonzero(I1.sum(axis=1) > 0)
        h1 = memory_horizons(I1, FRACTION)[rows1[-1]] if rows1.size else float("nan")
        st.caption(f"One colour scale for both. After training, {diagnose.percent(near1)} of the credit comes from at "
                   f"most 2 steps ahead (at θ(0): {diagnose.percent(near)}) and {diagnose.percent(far1)} from more "
                   f"than {figs.FAR} steps ahead (at θ(0): {diagnose.percent(far)}); the last loss term's memory "
                   f"horizon is {int(h1) if np.isfinite(h1) else '—'} steps (at θ(0): {int(h_last)}).")
