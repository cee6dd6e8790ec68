"""Weights: W_s, W_x, b and W_y as heatmaps; for a small network, type new values and see every page follow.
A gated cell's W_s (G*H, H), W_x (G*H, D) and b (G*H,) show their gate blocks (LSTM i, f, g, o; GRU r, z, g), with
rho and sigma_max per recurrent block W_sk instead of the Elman cell's kappa * sigma_max(W_s) against 1.

The edits live in Experiment.weights (JSON of the arrays that differ from the initial ones), kept in
st.session_state["weights"] and the URL by the sidebar; compute.setup applies them, so every page updates.
"""
import json

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import compute, gates, sidebar, ui
from dashboard.config import CELLS
from dashboard.figures import weights as figs
from rnn_engine import get_activation
from rnn_engine.theory import singular_values, spectral_radius

EDIT_MAX_H = 8  # the editors are offered up to this hidden size
EDITOR_ROW_PX = 35  # st.data_editor's row height: a gated cell's editor shows all its G*H rows, none scrolled away

exp = ui.experiment()
blocks = gates.BLOCKS.get(exp.cell, ())  # () for the Elman cell; its gate blocks, in row order, otherwise
if not blocks:
    ui.header(
        "The weights",
        "Every number the recurrent layer computes with, red for positive and blue for negative. For a small "
        f"network (H ≤ {EDIT_MAX_H}) you can type new values: every page then uses the edited weights.",
        r"a(n) = W_x\, x(n) + W_s\, s(n-1) + b,\qquad y(n) = g\big(W_y\, s(n) + b_y\big)",
    )
else:
    keep, keep_name = gates.KEEP[exp.cell]
    ui.header(
        f"The weights of the {CELLS[exp.cell]}: {len(blocks)} gate blocks {', '.join(blocks)}",
        f"W_s, W_x and b stack one block of H rows per gate, in the order {', '.join(blocks)} (PyTorch's): row "
        f"{keep}₃ computes the pre-activation of unit 3's {keep_name}. Red for positive, blue for negative. For a small "
        f"network (H ≤ {EDIT_MAX_H}) you can type new values: every page then uses the edited weights.",
        r"a(n) = W_x\, x(n) + W_s\, s(n-1) + b = \begin{bmatrix}" + r" \\ ".join(f"a_{k}(n)" for k in blocks)
        + r"\end{bmatrix},\qquad y(n) = g\big(W_y\, s(n) + b_y\big)",
    )


def reset_button(where: str) -> None:
    st.button("Reset to the initial weights", on_click=sidebar.reset_weights, key=f"weights_reset_{where}",
              icon=":material/restart_alt:")


try:
    initial = compute.setup(exp.replace(weights="")).params
    p = compute.setup(exp).params
except ValueError as exc:
    st.error(f"These weights cannot be used: {exc}", icon=":material/block:")
    if exp.weights:
        reset_button("error")
    ui.stop()

act = get_activation(exp.activation)
kappa, H, D = act.kappa, p.H, p.D
edited = set(json.loads(exp.weights)) if exp.weights else set()


def frame(name: str, value: np.ndarray) -> pd.DataFrame:
    """The array as a labelled table: rows s₁..s_H (gated: i₁..i_H, f₁..f_H, …), columns s₁..s_H / x₁..x_D / b."""
    rows = figs.rows(H, blocks)
    if name == "b":
        return pd.DataFrame({"b": value}, index=rows)
    return pd.DataFrame(value, index=rows, columns=figs.labels("s" if name == "W_s" else "x", value.shape[1]))


# --- The editors (small networks only) ------------------------------------------------------------------
problems: list[str] = []
current = {"W_s": p.W_s, "W_x": p.W_x, "b": p.b}
if H <= EDIT_MAX_H:
    st.subheader("Edit the weights")
    st.caption("Double-click a cell, type a number, press Enter. The edit applies at once, on every page, and goes "
               "into the link in the sidebar.")
    version = st.session_state.get("weights_version", 0)  # bumped by the reset button: fresh editors
    typed = {}
    cols = st.columns([max(H, 3), max(D, 2), 2])
    for col, name in zip(cols, ("W_s", "W_x", "b"), strict=True):
        with col:
            st.markdown(f"**{name}**" + (" · edited" if name in edited else ""))
            df = st.data_editor(frame(name, current[name]), key=f"edit_{name}_{version}", num_rows="fixed",
                                height=EDITOR_ROW_PX * (len(current[name]) + 1) + 3 if blocks else "auto",
                                column_config={c: st.column_config.NumberColumn(c, format="%.3f")
                                               for c in frame(name, current[name]).columns})
            full = df.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)  # (H, C); text -> NaN
            arr = full[:, 0] if name == "b" else full  # (H,) for b
            bad = np.argwhere(~np.isfinite(full))
            if len(bad):
                cells = ", ".join(f"row {df.index[i]}, column {df.columns[j]}" for i, j in bad[:3])
                problems.append(f"{name}: the cell at {cells} is empty or not a number. Type a number there; "
                                f"{name} keeps its previous values until then, your other edits stay.")
                typed[name] = current[name]
            else:
                typed[name] = arr
    for msg in problems:
        st.error(msg, icon=":material/error:")
    # Only the arrays that differ from the initial ones go into the experiment (and the link).
    # Six significant digits keep the link short; typed numbers rarely carry more, and rounding is idempotent.
    changes = {n: [float(f"{x:.6g}") for x in v.ravel()] for n, v in typed.items()
               if not np.array_equal(v, getattr(initial, n))}
    changes = {n: np.reshape(v, typed[n].shape).tolist() for n, v in changes.items()}
    new = json.dumps(changes, separators=(",", ":")) if changes else ""
    if new != exp.weights:
        st.session_state["weights"] = new
        st.rerun()
else:
    st.info(f"Editing is offered for H ≤ {EDIT_MAX_H}, where a matrix still fits on a slide; lower the hidden size "
            f"in the sidebar (now H = {H}) to type weights.", icon=":material/info:")
if exp.weights:
    st.caption(f"Edited: {', '.join(sorted(edited))}. The sidebar's initialisation settings (scheme, scale, "
               "spectral radius, seed) no longer change the edited arrays.")
    reset_button("edited")

def gated_view() -> None:
    """A gated cell: rho and sigma_max per recurrent gate block W_sk (H, H), what each block does, the stacked
    heatmaps with the blocks marked, rows aligned across W_s, W_x and b."""
    names, roles = gates.NAMES[exp.cell], gates.ROLES[exp.cell]
    st.subheader("The recurrent gate blocks W_sk")
    for col, k in zip(st.columns(len(blocks)), blocks, strict=True):
        W_k, W_k0 = p.block(k, "W_s"), initial.block(k, "W_s")  # (H, H) each
        rho, sigma = spectral_radius(W_k), float(singular_values(W_k)[0])
        changed = "W_s" in edited and not np.allclose(W_k, W_k0, rtol=1e-5, atol=1e-9)  # the link rounds to 6 digits
        rho0, sigma0 = spectral_radius(W_k0), float(singular_values(W_k0)[0])
        col.metric(f"ρ(W_s{k}), {names[k]}", f"{rho:.3f}", delta=f"{rho - rho0:+.3f} by the edit" if changed else None,
                   delta_color="off", help=f"max |λ| of the {H} × {H} block of W_s that feeds the {names[k]}.")
        col.metric(f"σ_max(W_s{k})", f"{sigma:.3f}", delta=f"{sigma - sigma0:+.3f} by the edit" if changed else None,
                   delta_color="off")
    if exp.radius and "W_s" not in edited:
        st.caption(f"The sidebar's spectral radius rescales each block on its own (rnn_engine.init): every W_sk starts "
                   f"at ρ = {exp.radius:g}.")
    st.markdown("\n".join(f"- **{k}, {names[k]}** (rows {k}₁…{k}{figs.sub(H)}): {roles[k]}." for k in blocks))
    keep, keep_name = gates.KEEP[exp.cell]
    st.caption(f"No single σ_max caps a gated cell's gradient: its step back holds the direct term diag({keep}(n)), "
               f"which does not pass through W_s (see the Theory page). A block's ρ and σ_max say how strongly "
               f"s(n−1) drives that gate. The {keep_name}'s bias b_{keep} starts at the sidebar's gate bias, "
               f"{exp.gate_bias:+g}; its rows in b show it.")
    # Side by side the rows line up across the three; the projector's large type needs the full width for each.
    left, middle, right = st.columns([3, 1.7, 1.3]) if ui.theme() == "screen" else (st.container(),) * 3
    with left, ui.main_chart():
        ui.chart(figs.recurrent(p.W_s, ui.theme(), zmax, "W_s" in edited, blocks), "weights-W_s")
    with middle:
        ui.chart(figs.input_weights(p.W_x, ui.theme(), zmax, "W_x" in edited, blocks), "weights-W_x")
    with right:
        ui.chart(figs.bias(p.b, ui.theme(), zmax, "b" in edited, blocks), "weights-b")
    biggest = np.unravel_index(np.argmax(np.abs(p.W_s)), p.W_s.shape)
    st.caption(f"The three matrices share their rows: row {figs.rows(H, blocks)[biggest[0]]} of W_s, W_x and b together "
               f"make that unit's gate pre-activation. The largest recurrent entry is "
               f"W_s[{figs.rows(H, blocks)[biggest[0]]}, {figs.labels('s', H)[biggest[1]]}] = {p.W_s[biggest]:.3f}. One "
               f"colour scale (±{zmax:.2f}) for all four matrices.")


def elman_view() -> None:
    """The Elman cell: rho and sigma_max of W_s against 1/kappa, and the heatmaps."""
    # --- The recurrent matrix in numbers: live rho and sigma_max against 1/kappa ------------------------------
    rho, sigma = spectral_radius(p.W_s), float(singular_values(p.W_s)[0])
    rho0, sigma0 = spectral_radius(initial.W_s), float(singular_values(initial.W_s)[0])
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("ρ(W_s) = max |λ|", f"{rho:.3f}", delta=f"{rho - rho0:+.3f} by the edit" if "W_s" in edited else None,
              delta_color="off")
    c2.metric("σ_max(W_s)", f"{sigma:.3f}", delta=f"{sigma - sigma0:+.3f} by the edit" if "W_s" in edited else None,
              delta_color="off")
    c3.metric("1/κ", f"{1 / kappa:.3g}", help=f"κ = {kappa:g} = max φ′ for {act.name}.")
    c4.metric("κ·σ_max(W_s)", f"{kappa * sigma:.3f}", help="Below 1 the gradient through time must vanish.")
    if sigma >= 1 / kappa and "W_s" in edited and sigma0 < 1 / kappa:
        st.warning(f"Your edit lifted σ_max(W_s) to {sigma:.3f}, above 1/κ = {1 / kappa:.3g} (it was {sigma0:.3f}): the "
                   "guarantee that the gradient vanishes is gone" + (f", and ρ(W_s) = {rho:.3f} > 1/κ lets it grow along "
                                                                      "an eigenvector." if rho > 1 / kappa else ".")
                   + " See the Theory and Gradients pages.", icon=":material/warning:")
    elif sigma >= 1 / kappa:
        st.info(f"σ_max(W_s) = {sigma:.3f} ≥ 1/κ = {1 / kappa:.3g}: nothing forces the gradient to vanish.",
                icon=":material/info:")
    else:
        st.caption(f"σ_max(W_s) = {sigma:.3f} < 1/κ = {1 / kappa:.3g}: every step back shrinks the gradient by at least "
                   f"the factor {kappa * sigma:.3f}; raise the entries of W_s to cross the line.")

    # --- Heatmaps ------------------------------------------------------------------------------------------
    with ui.main_chart():
        left, right = st.columns([3, 2])
        with left:
            ui.chart(figs.recurrent(p.W_s, ui.theme(), zmax, "W_s" in edited), "weights-W_s")
            biggest = np.unravel_index(np.argmax(np.abs(p.W_s)), p.W_s.shape)
            st.caption(f"Row i, column j: how strongly s_j(n−1) drives a_i(n). The largest entry is "
                       f"W_s[{figs.labels('s', H)[biggest[0]]}, {figs.labels('s', H)[biggest[1]]}] = {p.W_s[biggest]:.3f}; its size "
                       f"overall is what σ_max(W_s) = {sigma:.3f} measures. One colour scale (±{zmax:.2f}) for all four "
                       "matrices.")
        with right:
            ui.chart(figs.input_weights(p.W_x, ui.theme(), zmax, "W_x" in edited), "weights-W_x")
            st.caption(f"How the {D} input{'s' if D > 1 else ''} x(n) enter each unit at every step.")
            ui.chart(figs.bias(p.b, ui.theme(), zmax, "b" in edited), "weights-b")
            st.caption("b shifts every a(n); a large |b| pushes tanh or sigmoid into saturation, where φ′ is small."
                       if np.abs(p.b).max() > 0 else "b starts at zero; edit it to shift every a(n).")


zmax = float(max(np.abs(p.W_s).max(), np.abs(p.W_x).max(), np.abs(p.b).max(), np.abs(p.W_y).max())) or 1.0
if blocks:
    gated_view()
else:
    elman_view()
ui.chart(figs.readout(p.W_y, ui.theme(), zmax), "weights-W_y")
st.caption(f"W_y reads the state out: z(n) = W_y s(n) + b_y, {p.K} output{'s' if p.K > 1 else ''}. "
           "It is not editable here; the gradient reaches the state through it.")
