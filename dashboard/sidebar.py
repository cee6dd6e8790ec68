"""The experiment's controls: one widget per Experiment field, bound to the URL.

Sidebar functions only return values; they never compute anything.
"""
from __future__ import annotations

import streamlit as st

from dashboard import presets
from dashboard.config import DEFAULT, FIELDS, Experiment, from_query, spec, to_query

GROUPS = {
    "Task and network": ("task", "N", "H", "activation", "output", "loss"),
    "Initial weights": ("init", "scale", "radius", "seed"),
    "Training": ("lr", "schedule", "optimizer", "clip", "clip_at", "truncate", "batch", "iterations"),
}
SLIDERS = {"N"}  # whole-number ranges drawn as sliders; the others as number inputs


def check_url() -> None:
    """Once per session: note URL parameters that are out of range or garbled (they fall back to defaults)."""
    if "url_notices" not in st.session_state:
        st.session_state.url_notices = from_query(st.query_params.to_dict())[1]


def _widget(name: str):
    sp = spec(name)
    default = getattr(DEFAULT, name)
    common = dict(key=name, help=sp.help or None, bind="query-params")
    if name in st.session_state:
        default = None  # the widget takes its value from session state (a preset, or the user)
    # format_func is spec.text: a bound widget writes the shown text into the URL, and to_query agrees
    if sp.options and all(isinstance(o, str) for o in sp.options):
        kw = {} if default is None else {"index": sp.options.index(default)}
        return st.selectbox(sp.label, sp.options, format_func=sp.text, **kw, **common)
    kw = {} if default is None else {"value": default}
    if sp.options:
        return st.select_slider(sp.label, sp.options, format_func=sp.text, **kw, **common)
    if name in SLIDERS:
        return st.slider(sp.label, sp.lo, sp.hi, step=1, **kw, **common)
    return st.number_input(sp.label, sp.lo, sp.hi, step=1, **kw, **common)


def experiment_controls() -> Experiment:
    """Draw the sidebar and return the Experiment it describes."""
    check_url()
    with st.sidebar:
        for notice in st.session_state.url_notices:
            st.warning(notice, icon=":material/warning:")
        presets.picker()
        values = {}
        for group, names in GROUPS.items():
            with st.expander(group, expanded=group != "Training"):
                for name in names:
                    values[name] = _widget(name)
        values["weights"] = edited_weights()
        exp = Experiment(**values)
        link_box(exp)
    return exp


def link_box(exp: Experiment) -> None:
    """The link that reproduces this experiment, ready to copy (st.code has a copy button)."""
    query = to_query(exp)
    base = (st.context.url or "").split("?")[0]
    st.caption("Link to this exact experiment (copy button on the right):")
    st.code(f"{base}?{query}" if query else base or "(all defaults)", language=None, wrap_lines=True)


# --- Edited weights: set on the Weights page, not a widget; kept in session state and in the URL -------
NOT_WIDGETS = {"weights"}


def edited_weights() -> str:
    """Experiment.weights: st.session_state["weights"], seeded once from the URL; mirrored into the URL."""
    if "weights" not in st.session_state:
        raw = st.query_params.get("weights", "")
        try:
            st.session_state["weights"] = spec("weights").parse(raw, "")
        except ValueError:
            st.session_state["weights"] = ""  # check_url() already shows the notice
    weights = str(st.session_state["weights"] or "")
    if weights and st.query_params.get("weights") != weights:
        st.query_params["weights"] = weights
    elif not weights and "weights" in st.query_params:
        del st.query_params["weights"]
    if weights:
        st.caption(":material/edit: Weights edited on the Weights page are in use on every page.")
    return weights


def reset_weights() -> None:
    """Button callback: back to the initial weights (and fresh, empty editors on the Weights page)."""
    st.session_state["weights"] = ""
    st.session_state["weights_version"] = st.session_state.get("weights_version", 0) + 1


assert set(FIELDS) - NOT_WIDGETS == {n for names in GROUPS.values() for n in names}, "every field needs a widget"
