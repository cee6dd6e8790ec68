"""The address bar is the experiment: read when it is new, written after every run.

A link, a bookmark, Back and Forward bring a new address; its query then sets every control (the
sidebar's and the page's own) before they are drawn. After the page has run, the address is written
from what the controls hold: the experiment's fields, the page's own settings, the projector look, and
any key the app does not know (utm_source, ...), kept as it was.

The app owns its address instead of binding widgets with bind="query-params": Streamlit keeps only
some bound keys when the user switches pages (selectboxes and number inputs were dropped), so the
address bar stopped describing the experiment. Nothing here draws.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

FRESH = "_address_fresh"  # {key: [values]} of an address to apply in this run; absent otherwise
SEEDED = "_address_seeded"  # page keys already set from the fresh address
WRITTEN = "_address_written"  # the query this session last wrote (None before the first write)
PAGE_PREFIXES = ("b_", "seed_", "credit_")  # keys of one page's own controls: dropped from the address on other pages


def start_run() -> None:
    """Before any control: is the address new in this run (the session's first run, Back or Forward)?"""
    ctx = get_script_run_ctx()
    history = bool(getattr(ctx, "is_history_navigation", False))
    if WRITTEN not in st.session_state or history:
        st.session_state[FRESH] = {k: st.query_params.get_all(k) for k in st.query_params}
        st.session_state[SEEDED] = set()
    else:
        st.session_state.pop(FRESH, None)


def fresh_query() -> dict[str, list[str]] | None:
    """The new address's query to apply in this run, or None when the controls keep their values."""
    return st.session_state.get(FRESH)


def last(values: list[str]) -> str:
    """The value a repeated key stands for: the last one, as from_query reads it."""
    return values[-1] if values else ""


def whole(lo: int, hi: int):
    """A parse for seed(): a whole number from lo to hi, else ValueError saying so."""
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number from {lo} to {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"expected a whole number from {lo} to {hi}")
        return value
    return parse


def seed(key: str, parse, default) -> str | None:
    """Before a page's own control `key` is drawn: on a new address, its value from the address (its default
    when the address has none). parse(raw) gives the value or raises ValueError; then the default is used and
    the notice returned."""
    fresh = fresh_query()
    if fresh is None or key in st.session_state[SEEDED]:
        return None
    st.session_state[SEEDED].add(key)
    if key not in fresh:
        st.session_state[key] = default
        return None
    raw = last(fresh[key])
    try:
        st.session_state[key] = parse(raw)
    except (ValueError, TypeError, KeyError) as exc:
        st.session_state[key] = default
        return f"URL parameter {key}={raw!r} ignored ({exc}); using {default}."
    return None


def write(query: dict[str, str], owned: set[str]) -> None:
    """After the page ran: the address holds `query`; of the keys the app owns (`owned`, and every page's
    own keys) nothing else; keys the app does not know stay as they were."""
    keep = {k: st.query_params.get_all(k) for k in st.query_params
            if k not in query and k not in owned and not k.startswith(PAGE_PREFIXES)}
    want = {**{k: [v] for k, v in query.items()}, **keep}
    if {k: st.query_params.get_all(k) for k in st.query_params} != want:
        st.query_params.from_dict(want)
    st.session_state[WRITTEN] = want
