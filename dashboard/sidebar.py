"""The experiment's controls: one widget per Experiment field, its key the field's name and URL key.

Sidebar functions only return values; they never compute anything. The address bar is read and written
by dashboard/address.py: here, a new address sets the widgets before they are drawn.
"""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from dashboard import address, experiment_file, export_bundle, presets
from dashboard.config import DEFAULT, FIELDS, Experiment, from_query, settings_line, spec, to_query

GROUPS = {
    "Task and network": ("task", "N", "H", "cell", "gate_bias", "activation", "output", "loss"),
    "Initial weights": ("init", "scale", "radius", "seed"),
    "Training": ("lr", "schedule", "optimizer", "clip", "clip_at", "truncate", "batch", "iterations"),
}
SLIDERS = {"N"}  # whole-number ranges drawn as sliders (with a box for the exact number); the others as number inputs
NOTICES = "url_notices"  # what was wrong with the last new address (shown until the next one)
SHOWN = "experiment"  # the Experiment of the last run (app.py keeps it in session state for the pages)


def set_from_address() -> None:
    """Before any widget: a new address (a link, Back, Forward) sets every field; otherwise every widget keeps
    its value, and one that Streamlit dropped (no widget on the root's redirect page) gets the last shown one."""
    fresh = address.fresh_query()
    if fresh is not None:
        exp, st.session_state[NOTICES] = from_query(fresh)
    else:
        exp = st.session_state.get(SHOWN) or DEFAULT
    for name in FIELDS:
        if fresh is not None or name not in st.session_state:
            st.session_state[name] = getattr(exp, name)


def _widget(name: str, used: bool = True):
    sp = spec(name)
    default = getattr(DEFAULT, name)
    # The value comes from session state (set_from_address, a preset, the user). The default passed is always the
    # Experiment's: a widget made now with it and now without had another default in every other run, and a click
    # during the first run then reset every control to its minimum.
    common = dict(key=name, help=sp.help or None, disabled=not used)
    # format_func is spec.text: what the widget shows is what the URL holds, as to_query writes it
    if sp.options and all(isinstance(o, str) for o in sp.options):
        return st.selectbox(sp.label, sp.options, format_func=sp.display, index=sp.options.index(default), **common)
    if sp.options:
        return st.select_slider(sp.label, sp.options, format_func=sp.display, value=default, **common)
    if name in SLIDERS:
        return _slider_with_entry(name, sp, default, common)
    return st.number_input(sp.label, sp.lo, sp.hi, step=1, value=default, **common)


def _slider_with_entry(name: str, sp, default: int, common: dict) -> int:
    """A slider for sweeping and, beside it, a box to type the exact number (N spans 1..1000 in ~200 px).

    One value and one URL key (the slider's). Whichever of the two differs from the value of the last run was
    changed by the user and gives the value to the other. (Compared here rather than copied in a callback: a
    change that reaches the server during a fragment's run, such as the heatmap filling in, is still seen.)
    """
    exact, last = f"{name}_exact", f"_{name}_last"
    typed = st.session_state.get(exact)
    if isinstance(typed, int) and typed != st.session_state.get(last) and sp.lo <= typed <= sp.hi:
        st.session_state[name] = typed  # the box was changed: the slider follows (it is made below)
    left, right = st.columns([2.6, 1.4], vertical_alignment="bottom", gap="small")
    with left:
        value = st.slider(sp.label, sp.lo, sp.hi, step=1, value=default, **common)
    st.session_state[exact] = st.session_state[last] = value  # the box is made below, so this is still allowed
    right.number_input(f"{sp.label}, exactly", sp.lo, sp.hi, step=1, key=exact, label_visibility="collapsed",
                       disabled=common["disabled"], help=f"Type an exact {name} and press Enter.")
    return value


def experiment_controls(uses: tuple[str, ...] | None = None):
    """Draw the sidebar; return the Experiment it describes and the slot for its link (see link_box).

    uses: the fields the page uses, when it does not use them all; the others are greyed out (they keep their
    values for the other pages).
    """
    set_from_address()
    with st.sidebar:
        for notice in st.session_state.get(NOTICES, []):
            st.warning(notice, icon=":material/warning:")
        presets.picker(_current())
        if uses is not None:
            st.caption("This page uses only " + ", ".join(spec(n).label for n in uses) + "; the other settings "
                       "are greyed out here.")
        values = {}
        for group, names in GROUPS.items():
            with st.expander(group, expanded=group != "Training" or bool(uses and set(uses) & set(names))):
                for name in names:
                    if name == "gate_bias" and values.get("cell") == "elman":  # a gated cell's setting only
                        values[name] = st.session_state.get(name, DEFAULT.gate_bias)
                        continue
                    values[name] = _widget(name, uses is None or name in uses)
        values["weights"] = edited_weights()
        exp = Experiment(**values)
        slot = st.empty()
        file_controls(exp)
    return exp, slot


def _current() -> Experiment | None:
    """The Experiment the widgets hold as this run starts."""
    try:
        return Experiment(**{name: st.session_state[name] for name in FIELDS})
    except (KeyError, TypeError, ValueError):
        return None


def link_box(slot, exp: Experiment, extra: dict | None = None) -> None:
    """The link that reproduces this experiment on this page, ready to copy (st.code has a copy button).

    Drawn into the sidebar's slot after the page ran, so that it also carries the page's own settings
    (`extra`, e.g. the Compare page's B), and the app shows one link, not two.
    """
    query = "&".join(q for q in (to_query(exp), urlencode(extra or {})) if q)
    base = (st.context.url or "").split("?")[0]
    with slot.container():
        st.caption("Link to this exact experiment on this page (copy button on the right):")
        st.code(f"{base}?{query}" if query else base or "(all defaults)", language=None, wrap_lines=True)


# --- The experiment as a file: config.json saved and opened (dashboard/experiment_file.py) -----------------
OPENED = "_opened_file"  # (name, Experiment) of the file last opened, or (name, message) when it could not be
OPENER = "_open_version"  # bumped after a file is opened: a fresh, empty uploader


def file_controls(exp: Experiment) -> None:
    """"Save this experiment" (config.json, the file every export ZIP holds) and "Open an experiment" (that file,
    or such a ZIP). Opening loads it as a preset loads (presets.load): every control, the weights, the address."""
    st.download_button("Save this experiment", data=export_bundle.config_json(exp), file_name="config.json",
                       mime="application/json", on_click="ignore", icon=":material/save:", width="stretch",
                       key="save_experiment", help="config.json with every setting, edited weights included: open "
                       "it here again, or export its figures with python -m dashboard.export --config config.json.")
    key = f"open_experiment_{st.session_state.get(OPENER, 0)}"
    st.file_uploader("Open an experiment", type=["json", "zip"], key=key, on_change=open_file, args=(key,),
                     max_upload_size=experiment_file.MAX_FILE_MB,  # an export ZIP may pass the app's 20 MB
                     help="A config.json saved here (or a ZIP of figures downloaded from the app, which holds one): "
                          "every setting and the edited weights come back, and the address becomes its link.")
    name, result = st.session_state.get(OPENED, (None, None))
    if isinstance(result, str):
        st.error(f"Not opened: {result}", icon=":material/error:")
    elif result is not None and result == exp:
        st.success(f"Opened {name}: {settings_line(exp)}.", icon=":material/folder_open:")


def open_file(key: str) -> None:
    """Uploader callback: the file's experiment into every control (before they are drawn), or what is wrong."""
    upload = st.session_state.get(key)
    if upload is None:  # the file was removed: so is what was said about it
        st.session_state.pop(OPENED, None)
        return
    try:
        exp = experiment_file.read(upload.getvalue(), upload.name)
    except ValueError as exc:
        st.session_state[OPENED] = (upload.name, str(exc))
        return
    presets.load(exp)
    st.session_state[NOTICES] = []  # the old address's notices no longer apply
    st.session_state[OPENED] = (upload.name, exp)
    st.session_state[OPENER] = st.session_state.get(OPENER, 0) + 1


# --- Edited weights: set on the Weights page, not a widget; kept in session state and in the URL -------
NOT_WIDGETS = {"weights"}


def edited_weights() -> str:
    """Experiment.weights: st.session_state["weights"] (set from the address, or by the Weights page)."""
    weights = str(st.session_state.get("weights") or "")
    if weights:
        st.caption(":material/edit: Weights edited on the Weights page are in use on every page.")
    return weights


def reset_weights() -> None:
    """Button callback: back to the initial weights (and fresh, empty editors on the Weights page)."""
    st.session_state["weights"] = ""
    st.session_state["weights_version"] = st.session_state.get("weights_version", 0) + 1


assert set(FIELDS) - NOT_WIDGETS == {n for names in GROUPS.values() for n in names}, "every field needs a widget"
