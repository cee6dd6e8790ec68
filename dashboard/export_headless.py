"""Run the app without a browser (streamlit.testing AppTest) and collect the figures its pages place.

The command-line export uses this so that it writes exactly what the pages draw, through the same
code path as a visitor with the experiment's link: the Experiment goes in as URL parameters, each
page runs, and ui.chart's record of the run (st.session_state[ui.FIGURES_KEY]) is read back.
"""
from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go

from dashboard.config import Experiment, to_query

APP = Path(__file__).resolve().parent / "app.py"
PAGE_TIMEOUT = 300  # s: a page may train a network on first visit
# Buttons to press (by widget key) before a page's figures are collected: the training page starts at
# iteration 0 and draws its curves once "Train N iterations now" has run.
PRESS = {"training": ("live_long_btn",)}


def app_pages() -> dict[str, str]:
    """url path -> page file, as app.py declares them (st.Page("app_pages/x.py", ..., url_path="x"))."""
    found = re.findall(r'st\.Page\(\s*"(app_pages/[\w]+\.py)"[^\n]*?url_path="([\w-]+)"', APP.read_text())
    if not found:
        raise RuntimeError(f"no st.Page(...) declarations found in {APP}")
    return {url: file for file, url in found}


def pages_for(own: str | None, spec: str = "own") -> list[str]:
    """The url paths to export: 'own' = the preset's page `own` plus gradients (every page for an experiment
    without a page of its own, own=None), 'all', or a comma list."""
    known = app_pages()
    if spec == "all" or (spec == "own" and own is None):  # not the lecture: it draws its script's experiments
        return [p for p in known if p != "lecture"]
    if spec == "own":
        pages = [own] + (["gradients"] if own != "gradients" else [])
    else:
        pages = [p.strip() for p in spec.split(",") if p.strip()]
    bad = [p for p in pages if p not in known]
    if bad or not pages:
        raise ValueError(f"unknown page {', '.join(bad) or '(none)'}; choose from {', '.join(known)}, or own, all")
    return pages


def query_params(exp: Experiment, theme: str) -> dict[str, str]:
    """The URL parameters a browser would carry for exp in theme."""
    from urllib.parse import parse_qsl

    params = dict(parse_qsl(to_query(exp)))
    if theme == "projector":
        params["projector"] = "true"
    return params


def page_figures(exp: Experiment, pages: list[str], theme: str) -> tuple[dict[str, go.Figure], list[str], list[str]]:
    """({'<page>_<chart name>': figure}, problems, notes) for every chart the pages place, in page order.

    problems: pages that raised (a bug); notes: what a page says in st.error (e.g. an explosion, which
    is the demonstration) and pages without a figure.
    """
    from streamlit import logger
    from streamlit.testing.v1 import AppTest

    from dashboard import ui

    logger.set_log_level("CRITICAL")  # bare-mode warnings; page failures are reported as problems

    files = app_pages()
    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT)
    for k, v in query_params(exp, theme).items():
        at.query_params[k] = v
    at.run()
    figures, problems, notes = {}, [], []
    for page in pages:
        at.switch_page(files[page]).run()
        for key in PRESS.get(page, ()):
            buttons = [b for b in at.button if b.key == key and not b.disabled]
            if buttons:
                buttons[0].click().run()
        for exc in at.exception:
            problems.append(f"page {page!r} raised: {exc.message.splitlines()[0] if exc.message else exc.value}")
        for err in at.error:
            notes.append(f"page {page!r} says: {err.value}")
        recorded = at.session_state[ui.FIGURES_KEY] if ui.FIGURES_KEY in at.session_state else {}
        if not recorded:
            notes.append(f"page {page!r} placed no figure")
        for name, fig in recorded.items():
            figures[f"{page}_{name}"] = fig
    return figures, problems, notes
