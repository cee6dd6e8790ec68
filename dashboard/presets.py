"""Presets: known demonstrations, one JSON file each in assets/presets/, loaded in one click."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import streamlit as st

from dashboard.config import FIELDS, Experiment, from_dict

PRESET_DIR = Path(__file__).resolve().parent.parent / "assets" / "presets"


@dataclass(frozen=True)
class Preset:
    name: str  # file stem, used on the command line
    title: str
    explains: str  # one sentence: what the student should see
    page: str  # the page that shows it best
    experiment: Experiment


@cache
def all_presets() -> dict[str, Preset]:
    out = {}
    for path in sorted(PRESET_DIR.glob("*.json")):
        d = json.loads(path.read_text())
        out[path.stem] = Preset(path.stem, d["title"], d["explains"], d.get("page", "gradients"),
                                from_dict(d["settings"]))
    return out


def get(name: str) -> Preset:
    presets = all_presets()
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(presets)}")
    return presets[name]


def _apply() -> None:
    name = st.session_state.get("_preset_choice")
    if not name:
        return
    p = get(name)
    for field in FIELDS:
        st.session_state[field] = getattr(p.experiment, field)
    st.session_state["_preset_loaded"] = name
    st.session_state["_preset_choice"] = None


def picker() -> None:
    presets = all_presets()
    st.selectbox("Load a demonstration", list(presets), index=None, key="_preset_choice",
                 placeholder="Choose a preset…", format_func=lambda n: presets[n].title, on_change=_apply)
    loaded = st.session_state.get("_preset_loaded")
    if loaded in presets:
        st.info(presets[loaded].explains, icon=":material/school:")
