"""Presets: known demonstrations, one JSON file each in assets/presets/, loaded in one click."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import streamlit as st

from dashboard.config import FIELDS, Experiment, from_dict, spec

PRESET_DIR = Path(__file__).resolve().parent.parent / "assets" / "presets"


@dataclass(frozen=True)
class Claim:
    """A number the description states: what it prints, and the range the measured value must lie in."""

    quantity: str  # a function of dashboard/measures.py
    says: str  # printed where the description has {name} ("" for a claim the words make without a number)
    low: float
    high: float
    name: str = ""  # its placeholder in the description (default: the quantity)
    changes: tuple = ()  # (field, value) pairs: measured on the preset's experiment with these changes (the RNN
    # that the LSTM preset is set against, say)

    def experiment(self, base: Experiment) -> Experiment:
        return base.replace(**dict(self.changes)) if self.changes else base


@dataclass(frozen=True)
class Preset:
    name: str  # file stem, used on the command line
    title: str
    explains: str  # what the student should see, with the claims' numbers filled in
    page: str  # the url path of the page that shows it best
    experiment: Experiment
    claims: tuple[Claim, ...] = ()  # every number in explains; checked by tests/test_presets.py


def parse_claims(d: dict) -> tuple[Claim, ...]:
    """{name: {"says", "from", "to", and optionally "quantity" (default: the name) and "with" (changes)}}."""
    out = []
    for name, c in d.items():
        changes = tuple((k, spec(k).parse(str(v), None)) for k, v in c.get("with", {}).items())
        out.append(Claim(c.get("quantity", name), c.get("says", ""), float(c["from"]), float(c["to"]), name, changes))
    return tuple(out)


@cache
def all_presets() -> dict[str, Preset]:
    out = {}
    for path in sorted(PRESET_DIR.glob("*.json")):
        d = json.loads(path.read_text())
        claims = parse_claims(d.get("claims", {}))
        explains = d["explains"].format(**{c.name: c.says for c in claims})
        out[path.stem] = Preset(path.stem, d["title"], explains, d.get("page", "gradients"),
                                from_dict(d["settings"]), claims)
    return out


def get(name: str) -> Preset:
    presets = all_presets()
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(presets)}")
    return presets[name]


CHOICE, LOADED, GOTO = "_preset_choice", "_preset_loaded", "_preset_goto"


def _apply() -> None:
    """Callback of the picker: every setting from the preset, and its page to open (app.py switches)."""
    name = st.session_state.get(CHOICE)
    if not name:
        return
    load(get(name).experiment)
    st.session_state[LOADED] = name
    st.session_state[GOTO] = name


def load(exp: Experiment) -> None:
    """Before the widgets are drawn (a callback): every control shows exp, the Weights page's editors start afresh
    on its weights, and the address written after the run is exp's link. A preset and an opened file load so."""
    for field in FIELDS:
        st.session_state[field] = getattr(exp, field)
    st.session_state["weights_version"] = st.session_state.get("weights_version", 0) + 1


def picker(current: Experiment | None) -> None:
    """The preset menu. It shows the loaded preset, and what to notice in it, until a setting is changed."""
    presets = all_presets()
    loaded = st.session_state.get(LOADED)
    if loaded not in presets or (current is not None and current != presets[loaded].experiment):
        loaded = st.session_state[LOADED] = None
    st.session_state[CHOICE] = loaded  # the menu is made below, so this is still allowed (its own state is lost
    # when the page switches in the run that loaded the preset)
    st.selectbox("Load a demonstration", list(presets), index=None, key=CHOICE,
                 placeholder="Choose a preset…", format_func=lambda n: presets[n].title, on_change=_apply)
    if loaded:
        st.info(presets[loaded].explains, icon=":material/school:")


def take_page_to_open() -> Preset | None:
    """The preset just loaded, once (its page is to be opened), or None."""
    name = st.session_state.pop(GOTO, None)
    return None if name is None else get(name)
