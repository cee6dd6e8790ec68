"""Compare: configuration A (the sidebar) against B (A with one or two settings changed), on shared axes.

B's widgets are bound to the URL (keys b_field, b_value, b_field2, b_value2), so a link reproduces the
comparison; the one-click pairs set A's sidebar field and B's value together.
"""
import numpy as np
import streamlit as st

from dashboard import address, compute, diagnose, ui
from dashboard.config import HIDDEN_SIZES, LEARNING_RATES, RADII, SCALES, TASK_LABELS, spec
from dashboard.figures import compare as figs
from dashboard.figures import credit as cfigs
from dashboard.figures import gradients as gfigs
from rnn_engine import ACTIVATIONS, get_activation, memory_horizon
from rnn_engine.theory import singular_values

# what B may change, and the values offered (ranged fields get a short list; a URL may carry any valid value)
VARY = {
    "activation": tuple(ACTIVATIONS),
    "N": (5, 10, 20, 30, 50, 100, 200),
    "H": HIDDEN_SIZES,
    "init": spec("init").options,
    "scale": SCALES,
    "radius": RADII,
    "clip": spec("clip").options,
    "truncate": (0, 1, 2, 5, 10, 20, 50),
    "lr": LEARNING_RATES,
    "cell": spec("cell").options,
}
VARY_HELP = ("activation = φ, N = sequence length, H = hidden size, init / scale / radius = initialisation of W_s "
             "(radius 0 = as drawn), clip = gradient clipping, truncate = truncated BPTT (0 = full), "
             "lr = learning rate γ, cell = RNN, LSTM or GRU.")
NONE = "nothing else"
# The gated cells' lecture (preset "RNN forgets, LSTM remembers"): the RNN fails where the LSTM and GRU learn.
LSTM_LECTURE = {"task": "adding", "N": 30, "optimizer": "adam", "lr": 0.01, "iterations": 800, "cell": "elman",
                "gate_bias": 1.0}
# one-click pairs: (A's sidebar fields, B's changes)
PAIRS = {
    "tanh vs sigmoid": ({"activation": "tanh"}, {"activation": "sigmoid"}),
    "learns at N = 10, fails at N = 50": ({"task": "adding", "N": 10, "optimizer": "adam", "lr": 0.01, "iterations": 2000},
                                          {"N": 50}),
    "RNN vs LSTM": (LSTM_LECTURE, {"cell": "lstm"}),
    "LSTM vs GRU": ({**LSTM_LECTURE, "cell": "lstm"}, {"cell": "gru"}),
    "with vs without clipping": ({"clip": "norm"}, {"clip": "none"}),
    "orthogonal vs small normal init": ({"init": "orthogonal", "scale": 1.0, "radius": 0.0},
                                        {"init": "normal", "scale": 0.5}),
}
WEIGHT_FIELDS = {"H", "init", "scale", "radius"}  # B draws its own W_s: edited weights would not apply
B_KEYS = ("b_field", "b_value", "b_field2", "b_value2")

exp = ui.experiment()
ui.header(
    "Compare two configurations",
    "A is the experiment in the sidebar; B is A with the settings you change here. Both are drawn on the same axes "
    "and the same colour scale (A blue, solid; B orange, dashed), so a difference you see is a difference in the numbers.",
    r"\Big\|\frac{\partial L}{\partial s(n)}\Big\| \;\le\; \Big\|\frac{\partial L}{\partial s(N)}\Big\|\,"
    r"\big(\kappa\,\sigma_{\max}(W_s)\big)^{N-n}",
)


def contrast(a, field: str):
    """A value of `field` for B that differs from A's value a (the natural thing to compare against)."""
    preferred = {"activation": ("sigmoid", "tanh"), "N": (100, 10), "H": (64, 16), "init": ("normal", "orthogonal"),
                 "scale": (0.5, 1.0), "radius": (1.25, 0.9), "clip": ("norm", "none"), "truncate": (5, 0),
                 "lr": (0.01, 0.1), "cell": ("lstm", "elman")}[field]
    return preferred[0] if a != preferred[0] else preferred[1]


def options_for(field: str, *extra) -> list[str]:
    """The values offered for `field`, as strings, plus any extra raw value that is valid for it."""
    opts = [str(v) for v in VARY[field]]
    for raw in extra:
        if raw is None:
            continue
        try:
            value = str(spec(field).parse(str(raw), None))
        except ValueError:
            continue
        if value not in opts:
            opts.append(value)
    return opts


def _vary(raw: str, allow_none: bool = False) -> str:
    if raw in VARY or (allow_none and raw == NONE):
        return raw
    raise ValueError(f"choose one of {', '.join(VARY)}")


def set_b_from_address(a_exp) -> None:
    """On a new address (a link, Back, Forward): B's controls from it, each checked; what cannot be used falls
    back to a default and is said once (b_url_notices), until B is changed by hand."""
    if address.fresh_query() is None:
        return
    notices = [address.seed("b_field", _vary, "activation"),
               address.seed("b_field2", lambda raw: _vary(raw, allow_none=True), NONE)]
    for field_key, value_key in (("b_field", "b_value"), ("b_field2", "b_value2")):
        field = st.session_state[field_key]
        if field in VARY:
            notices.append(address.seed(value_key, lambda raw, f=field: str(spec(f).parse(raw, None)),
                                        str(contrast(getattr(a_exp, field), field))))
    st.session_state.b_url_notices = [n for n in notices if n]


def _clear_notices() -> None:
    st.session_state.b_url_notices = []


def _field_changed(value_key: str, field_key: str) -> None:
    """A new field to vary: offer the value that contrasts with A, and forget the pair."""
    _clear_notices()
    st.session_state.b_pair = None
    field = st.session_state.get(field_key)
    if field in VARY:
        st.session_state[value_key] = str(contrast(getattr(ui.experiment(), field), field))


def _apply_pair() -> None:
    """One-click pair: set A's sidebar widgets and B's changes (runs before any widget is drawn)."""
    _clear_notices()
    pair = st.session_state.get("b_pair")
    if pair not in PAIRS:
        return
    a, b = PAIRS[pair]
    for name, value in a.items():
        st.session_state[name] = value
    items = list(b.items())
    st.session_state.b_field, st.session_state.b_value = items[0][0], str(items[0][1])
    if len(items) > 1:
        st.session_state.b_field2, st.session_state.b_value2 = items[1][0], str(items[1][1])
    else:
        st.session_state.b_field2 = NONE


def pair_matches(pair: str, a_exp, b_changes: dict) -> bool:
    a, b = PAIRS[pair]
    return all(getattr(a_exp, k) == v for k, v in a.items()) and b_changes == b


# --- B's widgets -------------------------------------------------------------------------------------
set_b_from_address(exp)
for notice in st.session_state.get("b_url_notices", []):
    st.warning(notice, icon=":material/link_off:")

pill_slot = st.container()
c1, c2, c3, c4 = st.columns(4)
field = c1.selectbox("What to vary in B", list(VARY), key="b_field", help=VARY_HELP,
                     on_change=_field_changed, args=("b_value", "b_field"))
value_opts = options_for(field, st.session_state.get("b_value"))
if st.session_state.get("b_value") not in value_opts:  # first visit: the value that contrasts with A
    st.session_state["b_value"] = str(contrast(getattr(exp, field), field))
raw_b = c2.selectbox(f"B's {field}", value_opts, key="b_value", on_change=_clear_notices,
                     help=f"A's {field} is {getattr(exp, field)} (sidebar).")
field2 = c3.selectbox("…and also vary (optional)", [NONE] + [f for f in VARY if f != field], key="b_field2",
                      on_change=_field_changed, args=("b_value2", "b_field2"))
raw_b2 = None
if field2 != NONE:
    opts2 = options_for(field2, st.session_state.get("b_value2"))
    if st.session_state.get("b_value2") not in opts2:
        st.session_state["b_value2"] = str(contrast(getattr(exp, field2), field2))
    raw_b2 = c4.selectbox(f"B's {field2}", opts2, key="b_value2", on_change=_clear_notices,
                          help=f"A's {field2} is {getattr(exp, field2)} (sidebar).")

b_changes = {field: spec(field).parse(str(raw_b if raw_b is not None else contrast(getattr(exp, field), field)), None)}
if field2 != NONE and raw_b2 is not None:
    b_changes[field2] = spec(field2).parse(str(raw_b2), None)

if st.session_state.get("b_pair") and not pair_matches(st.session_state.b_pair, exp, b_changes):
    st.session_state.b_pair = None  # the pills are drawn below, so this is still allowed
with pill_slot:
    st.pills("One-click comparisons (set A in the sidebar and B here)", list(PAIRS), key="b_pair", on_change=_apply_pair)

# The sidebar's link (and the address) carries B where it differs from what the page picks by itself.
b_query = {"b_field": field, "b_value": str(b_changes[field])}
if field2 != NONE:
    b_query.update(b_field2=field2, b_value2=str(b_changes[field2]))
picked = {"b_field": "activation", "b_value": str(contrast(getattr(exp, field), field)),
          "b_value2": str(contrast(getattr(exp, field2), field2)) if field2 != NONE else None}
ui.add_to_link({k: v for k, v in b_query.items() if picked.get(k) != v})
exp_b = exp.replace(**b_changes)
if exp.weights and WEIGHT_FIELDS & set(b_changes):
    exp_b = exp_b.replace(weights="")
    st.caption("A uses weights edited on the Weights page; B changes the initialisation or H, so B starts from its own "
               "drawn weights.")


def label(e) -> str:
    return ", ".join(f"{k} = {spec(k).display(getattr(e, k))}" for k in b_changes)


label_a, label_b = label(exp), label(exp_b)
if exp_b == exp:
    st.warning(f"B is the same as A ({label_a}): pick another value for B to see a difference.", icon=":material/info:")


# --- the numbers ---------------------------------------------------------------------------------------
def measure(e):
    """(setup, BackwardResult at θ(0), TrainResult of e.iterations, error message or None)."""
    try:
        s = compute.setup(e)
        _, res = compute.gradients(e)
        return s, res, compute.training(e), None
    except ValueError as exc:
        return None, None, None, str(exc)


runs = {"A": measure(exp), "B": measure(exp_b)}
for name, (_, _, _, err) in runs.items():
    if err:
        st.error(f"{name} cannot run: {err}", icon=":material/block:")
if any(r[3] for r in runs.values()):
    ui.stop()
(sa, ra, ta, _), (sb, rb, tb, _) = runs["A"], runs["B"]
ha, hb = ta.history, tb.history


def rate(s, e) -> float:
    """κ σ_max(W_s): the most one step back can multiply the gradient by (the Elman cell's; NaN for a gated cell,
    whose direct term no spectral norm of W_s caps)."""
    if e.cell != "elman":
        return float("nan")
    return get_activation(e.activation).kappa * float(singular_values(s.params.W_s)[0])


def reach(res) -> float:
    """‖∂L/∂s(1)‖ / ‖∂L/∂s(N)‖ at θ(0)."""
    g = res.state_grad_norms
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(g[0] / g[-1])


def _kept(name: str, r: float) -> str:
    """'A keeps 3.2e-05 of the gradient at step N', or in words why there is no such number."""
    if np.isfinite(r):
        return f"{name} keeps {diagnose.number(r, '.1e')} of the gradient at step N"
    if np.isinf(r):
        return f"{name}'s gradient overflowed to infinity on its way back (it explodes)"
    return f"{name} has no such ratio (its gradient overflowed, or is exactly 0 at step N)"


def final_loss(h) -> float:
    """Mean training loss over the last 10 finite iterations (one batch each: noisy)."""
    ok = np.isfinite(h.loss)
    k = min(10, int(ok.sum()))
    return float(np.mean(h.loss[ok][-k:])) if k else float("nan")


def final_val(h) -> float:
    """The last validation loss measured (NaN if none)."""
    v = h.val_loss[np.isfinite(h.val_loss)]
    return float(v[-1]) if v.size else float("nan")


FRACTION = 0.01  # the memory horizon's level: 1 % of ||dL/ds(N)|| (as on the Gradients and Credit pages)
nums = {n: dict(rate=rate(s, e), reach=reach(r), horizon=memory_horizon(r.state_grad_norms, FRACTION), N=e.N,
                loss=final_loss(t.history), val=final_val(t.history),
                boom=t.history.exploded_at, what=t.history.exploded_what, clipped=int(t.history.clipped.sum()),
                T=t.history.iterations_done, clip=e.clip, clip_at=e.clip_at)
        for n, s, e, r, t in (("A", sa, exp, ra, ta), ("B", sb, exp_b, rb, tb))}
loss_name = sa.loss


def fmt(x, spec_=".3g") -> str:
    return "—" if x is None or not np.isfinite(x) else format(x, spec_)


def sentence() -> str:
    """What the comparison shows, with the current numbers."""
    A, B = nums["A"], nums["B"]
    out = []
    if np.isfinite(A["reach"]) and np.isfinite(B["reach"]) and A["reach"] > 0 and B["reach"] > 0:
        r = A["reach"] / B["reach"]
        if r > 3:
            out.append(f"At θ(0), B's first step receives {r:.1e} times less gradient than A's "
                       f"({B['reach']:.1e} vs {A['reach']:.1e} of the gradient at step N).")
        elif r < 1 / 3:
            out.append(f"At θ(0), A's first step receives {1 / r:.1e} times less gradient than B's "
                       f"({A['reach']:.1e} vs {B['reach']:.1e} of the gradient at step N).")
        else:
            out.append(f"At θ(0), the gradient reaches step 1 about equally in A and B "
                       f"({A['reach']:.1e} vs {B['reach']:.1e} of the gradient at step N).")
    if A["horizon"] is not None and B["horizon"] is not None:
        said = [f"all its {v['N']} steps" if v["horizon"] >= v["N"] else f"about {diagnose.remembers(v['horizon'], v['N'])}"
                for v in (A, B)]
        out.append(f"A remembers {said[0]}, B {said[1]} (the memory horizon: how far back ‖∂L/∂s(n)‖ stays above "
                   f"{FRACTION:.0%} of ‖∂L/∂s(N)‖ at θ(0)).")
    for n in ("A", "B"):
        if nums[n]["boom"] is not None:
            out.append(f"{n} exploded at iteration {nums[n]['boom']} ({nums[n]['what']}).")
    if A["boom"] is None and B["boom"] is None:
        key, what = ("val", "validation loss") if np.isfinite(A["val"]) and np.isfinite(B["val"]) else \
            ("loss", "training loss (mean of the last 10 iterations)")
        la, lb = A[key], B[key]
        if np.isfinite(la) and np.isfinite(lb):
            better = "A" if la < lb else "B"
            close = abs(la - lb) < 0.05 * max(abs(la), abs(lb))
            out.append(f"After {exp.iterations} iterations the {what} is {la:.4g} for A and {lb:.4g} for B: "
                       + ("practically the same." if close else f"{better} has learned more."))
            base = compute.constant_baseline(exp) if key == "val" and sa.loss != "sse" else None
            if base is not None and base > 0 and min(la, lb) > 0.9 * base:
                out.append(f"Both are still close to {base:.4g}, the loss of predicting the mean target for every "
                           "sequence: neither has learned much from its inputs yet (raise Iterations in the sidebar).")
    for n in ("A", "B"):
        if nums[n]["clip"] != "none" and nums[n]["clipped"] == 0:
            out.append(f"Clipping never acted in {n}: its gradient norm stayed below c = {nums[n]['clip_at']:g}, "
                       "so here clipping changes nothing.")
    return " ".join(out)


# --- the key numbers, then the pictures ----------------------------------------------------------------
table = {
    "": ["setting", "κ·σ_max(W_s) at θ(0)", "‖∂L/∂s(1)‖ / ‖∂L/∂s(N)‖ at θ(0)",
         f"memory horizon at θ(0): {diagnose.REMEMBERS[0].lower()}{diagnose.REMEMBERS[1:]}",
         f"validation loss ({loss_name}) at the end", f"training loss ({loss_name}), mean of the last 10 iterations",
         "exploded at iteration", "iterations clipped"],
}
for n, lab in (("A", label_a), ("B", label_b)):
    v = nums[n]
    table[n] = [lab, f"{v['rate']:.3f}" if np.isfinite(v["rate"]) else "— (gated cell: no such bound)",
                fmt(v["reach"], ".2e"), diagnose.remembers(v["horizon"], v["N"]), fmt(v["val"], ".4g"), fmt(v["loss"], ".4g"),
                "no" if v["boom"] is None else f"{v['boom']} ({v['what']})",
                f"{v['clipped']} of {v['T']}" if v["clip"] != "none" else "clipping off"]
st.dataframe(table, hide_index=True, width="stretch")
with st.container(border=True):
    st.markdown("**What this comparison shows.** " + sentence())

with ui.main_chart():
    st.subheader("Gradient reaching back in time, at the initial weights θ(0)")
    ui.chart(figs.decay_overlay(ra.state_grad_norms, rb.state_grad_norms, label_a, label_b, ui.theme()), "compare-decay")
bounds = [f"{n}: κ·σ_max(W_s) = {nums[n]['rate']:.3f}" for n in ("A", "B") if np.isfinite(nums[n]["rate"])]
st.caption((f"One step back multiplies the gradient by at most κ·σ_max(W_s) ({'; '.join(bounds)}); a gated cell has no "
            "such bound (its direct term diag(f) or diag(z) passes the gradient on). " if bounds and len(bounds) < 2 else
            f"One step back multiplies the gradient by at most {' and '.join(bounds)}. " if bounds else
            "Both cells are gated: no bound κ·σ_max(W_s) applies (the direct term diag(f) or diag(z) passes the "
            "gradient on). ")
           + "At step 1, " + ", ".join(_kept(n, nums[n]["reach"]) for n in ("A", "B")) + ".")

st.subheader("Which loss term reaches which step, at θ(0) (same colour scale)")
if sa.train.readout == "last":
    st.caption(f"The task ({TASK_LABELS.get(sa.train.name, sa.train.name)}) reads its loss at the last step only: "
               "L = ℓ_N, so each itemised map ‖∂ℓ_m/∂s(n)‖ would be one row, the curve above. For A's and B's loss "
               "terms apart, choose the copy task or the noisy sine in the sidebar.")
else:
    with ui.plain_errors(), st.spinner("Carrying every loss term back, for A and B…"):
        credit = {"A": compute.credit(exp), "B": compute.credit(exp_b)}
    items = {n: c.itemized for n, c in credit.items()}  # (W, W) [m-first, n-first] = ||dl_m/ds(n)||
    bad = [n for n, I in items.items() if not np.isfinite(I).all()]
    if bad:
        st.error(f"{' and '.join(bad)}: the gradient overflows on its way back (an entry of ‖∂ℓ_m/∂s(n)‖ is not a "
                 "finite number), so there is no credit to split.", icon=":material/error:")
    else:
        tops = {n: cfigs.quiet_rows(I) for n, I in items.items()}  # leading rows with no loss term, left out
        if items["A"].shape == items["B"].shape:
            tops = dict.fromkeys(tops, min(tops.values()))
        notes = [f"{n}: the last {I.shape[0]} of {e.N} steps only" for (n, I), e in zip(items.items(), (exp, exp_b))
                 if credit[n].first > 1]
        left_out = {n: f"rows m = {credit[n].first}–{credit[n].first + t - 1}" for n, t in tops.items() if t}
        if len(set(left_out.values())) == 1 and len(left_out) == 2:  # the same rows in both: said once
            notes.append(f"{left_out['A']} left out: no loss term there (ℓ_m = 0)")
        else:
            notes += [f"{r} left out in {n}: no loss term there" for n, r in left_out.items()]
        ui.chart(cfigs.itemized_pair(items["A"], items["B"], (credit["A"].first, credit["B"].first), ui.theme(),
                                     titles=(f"A ({label_a})", f"B ({label_b})"),
                                     title="Which loss term reaches which step: ‖∂ℓ_m/∂s(n)‖ of A and B, one colour scale",
                                     note="; ".join(notes), top=(tops["A"], tops["B"])), "compare-itemized")
        shares = {n: cfigs.near_far(I) for n, I in items.items()}  # (near, far) shares of all the credit
        st.caption(f"Row m is one loss term ℓ_m on its way back to the earlier states; bright reaches far, dark has "
                   f"vanished (the colours span the {cfigs.DECADES:g} decades below the larger map's largest entry). "
                   + " ".join(f"In {n}, {diagnose.percent(shares[n][1])} of the credit comes from loss terms more than "
                              f"{cfigs.FAR} steps ahead ({diagnose.percent(shares[n][0])} from at most 2)."
                              for n in ("A", "B"))
                   + " The Credit page shows one configuration's map in full.")

st.subheader("The same during training (same colour scale)")
zrange = figs.shared_log_range(ha.state_grad_norms, hb.state_grad_norms)
left, right = st.columns(2)
for col, name, h, lab in ((left, "A", ha, label_a), (right, "B", hb, label_b)):
    with col:
        if h.iterations_done:
            ui.chart(gfigs.heatmap(h.state_grad_norms, h.iteration, theme=ui.theme(), zrange=zrange,
                                   title=f"{name}: {lab}"), f"compare-heatmap-{name}")
        else:
            st.warning(f"{name}: no training iteration finished.")
if zrange is not None:
    st.caption(f"Both heatmaps use one colour scale, log₁₀ ‖∂L/∂s(n)‖ from {zrange[0]:.1f} (dark) to "
               f"{zrange[1]:.1f} (yellow): the same colour means the same gradient size in A and B. A row is one "
               "training iteration; a dark left part means the early steps get almost no gradient.")

st.subheader("Learning")
ui.chart(figs.loss_overlay(ha.iteration, ha.loss, hb.iteration, hb.loss, label_a, label_b, ha.exploded_at,
                           hb.exploded_at, loss_name, ui.theme(), val_a=ha.val_loss, val_b=hb.val_loss),
         "compare-loss")
st.caption(f"Bold: validation loss (every {compute.VALIDATE_EVERY} iterations, on held-out sequences). Faint: the "
           "training loss of each iteration's batch, noisy because every batch is different (A and B see the same "
           "batches).")

ui.csv_download("Download the key numbers (CSV)", table, "compare_key_numbers.csv")
st.caption("The link in the sidebar reproduces this comparison, A and B.")
