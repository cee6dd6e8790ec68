"""What every page does the same way: read the Experiment, place a chart, offer a CSV, show errors plainly.

Also the app-wide look and export: `start_page()` (called by app.py before the page) draws the projector
toggle and forgets the previous run's figures; `chart()` places a figure with its download menu and
records it; `page_downloads()` (called by app.py after the page) offers them all as one ZIP.
"""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from functools import partial

import plotly.graph_objects as go
import streamlit as st

from dashboard import address, export, sidebar
from dashboard import theme as th
from dashboard.config import Experiment

FIGURES_KEY = "_figures_this_run"  # {chart name: figure} placed during the current run
LINK_KEY = "_link_settings_this_run"  # the page's own settings that its link must carry (query key -> text)
PROJECTOR_KEY = "projector"  # the sidebar toggle; in the URL as ?projector=true
SLIDE = f"{th.SLIDE_SIZE[0]}×{th.SLIDE_SIZE[1]}"
# (label, format, scale) offered under every chart
VARIANTS = (
    (f"PNG {SLIDE}", "png", 1),
    (f"PNG {th.SLIDE_SIZE[0] * 2}×{th.SLIDE_SIZE[1] * 2} (2×, sharp on 4K)", "png", 2),
    ("SVG (vector, editable)", "svg", 1),
    ("PDF (vector, one page)", "pdf", 1),
)
PROJECTOR_CHART_WIDTH = 1050  # px a full-width chart gets on a projector with the sidebar open (for wrapping)
PROJECTOR_MAX_HEIGHT = 780  # px: a chart right under a page's title (216 px down, 282 for a two-line title) still ends on a 1080 screen
ZIP_FORMATS = {"PNG": "png", "PNG 2×": "png2x", "SVG": "svg", "PDF": "pdf"}
# Projector mode also enlarges the app's own text (Streamlit sizes everything in rem), the sidebar's a little more
# and in a wider sidebar (every navigation label on one line), and trims the space above the title so that each
# page's main chart (ui.main_chart) fits under it on a 1920x1080 screen.
PROJECTOR_CSS = """<style>
html { font-size: 20px; }
[data-testid="stMetricValue"] { font-size: 2.4rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1rem; }
section[data-testid="stSidebar"] { width: 23rem !important; min-width: 23rem !important; }
[data-testid="stSidebar"] [data-testid="stWidgetLabel"] p, [data-testid="stSidebar"] [data-testid="stPageLink"] p,
[data-testid="stSidebar"] [data-testid="stExpander"] summary p, [data-testid="stSidebar"] input,
[data-testid="stSidebar"] [data-baseweb="select"] div, [data-testid="stSidebar"] [data-testid="stMarkdownContainer"] p,
[data-testid="stSidebar"] [data-testid="stSliderThumbValue"] { font-size: 1.1rem; }
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; }
[data-testid="stMain"] h1 { padding-top: 0; padding-bottom: 0.4rem; }
</style>"""
PROJECTOR_LIGHT_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #222; }
</style>"""  # near-black captions read better on a washed-out projector (not in the dark theme)


def experiment() -> Experiment:
    return st.session_state.get("experiment") or Experiment()


def dark() -> bool:
    """The browser shows Streamlit's dark theme (charts on screen follow it; exports keep the light looks)."""
    try:
        return st.context.theme.type == "dark"
    except Exception:  # noqa: BLE001 (no browser: AppTest, the headless export)
        return False


def theme() -> str:
    return "projector" if st.session_state.get("projector") else "screen"


MAIN_SLOT = "_main_chart_slot_this_run"  # projector mode: the place under the title kept for the page's main chart
WHAT_AND_WHY = "What you are seeing, and the equation"


def header(title: str, seeing: str, equation: str) -> None:
    """Page title, the two-line 'what you are seeing' caption and the equation behind it.

    In projector mode the caption and the equation fold into an expander, and the place right under it is kept for
    the page's main chart (main_chart), so that the chart is on the screen without scrolling.
    """
    st.title(title)
    if theme() == "projector":
        with st.expander(WHAT_AND_WHY):
            st.caption(seeing)
            st.latex(equation)
        st.session_state[MAIN_SLOT] = st.container()
    else:
        st.caption(seeing)
        st.latex(equation)


@contextmanager
def main_chart():
    """`with ui.main_chart():` around the page's main chart (with what must sit beside it): in projector mode it is
    drawn under the title (header kept the place), above whatever the page writes first; otherwise where it is."""
    slot = st.session_state.pop(MAIN_SLOT, None)
    with slot if slot is not None else st.container():
        yield


def start_page() -> None:
    """Before the page runs: the projector toggle (top of the sidebar) and an empty figure record."""
    st.session_state[FIGURES_KEY] = {}
    st.session_state[LINK_KEY] = {}
    st.session_state.pop(MAIN_SLOT, None)
    projector_notice = address.seed(PROJECTOR_KEY, parse_bool, False)
    with st.sidebar:
        if projector_notice:
            st.warning(projector_notice, icon=":material/warning:")
        st.toggle("Projector mode", key=PROJECTOR_KEY, value=False,
                  help="Large type and thick lines for a lecture hall, in every chart and in the app's text. "
                       "Downloaded figures always use this look, at slide size.")
    if st.session_state.get(PROJECTOR_KEY):
        st.html(PROJECTOR_CSS + ("" if dark() else PROJECTOR_LIGHT_CSS))


def parse_bool(raw: str) -> bool:
    """A switch in the URL: true/false (also 1/0, yes/no, on/off)."""
    if raw.lower() in ("true", "1", "yes", "on"):
        return True
    if raw.lower() in ("false", "0", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def look_setting() -> dict:
    """The look's URL setting: projector=true when projector mode is on (nothing for the screen look)."""
    return {PROJECTOR_KEY: "true"} if st.session_state.get(PROJECTOR_KEY) else {}


FINISH_KEY = "_finish_this_run"  # what app.py does after the page: the sidebar's link, the address bar


def on_finish(fn) -> None:
    """app.py: fn() is to run once the page is done, also when it stops early (stop())."""
    st.session_state[FINISH_KEY] = fn


def finish_run() -> None:
    fn = st.session_state.pop(FINISH_KEY, None)
    if fn is not None:
        fn()


def stop() -> None:
    """st.stop() for a page that has said why it cannot go on: the link and the address are written first
    (after st.stop() nothing more reaches the browser)."""
    finish_run()
    st.stop()


def add_to_link(settings: dict) -> None:
    """The page's own settings (query key -> text) join the sidebar's link, after the experiment's."""
    st.session_state.setdefault(LINK_KEY, {}).update(settings)


def page_link_settings() -> dict:
    return dict(st.session_state.get(LINK_KEY) or {})


def chart(fig: go.Figure, name: str, key: str | None = None, menu: bool = True, fill: bool = False) -> None:
    """Place a figure with its download menu (menu=False: without, for a frame of a chart still filling in);
    the camera button downloads it at slide size. fill=True: the chart takes the height its container leaves
    (the Lecture page's stage), whatever height the figure asks for."""
    key = key or f"chart_{name}"
    look = theme()
    shown, height = fig, "content"
    if fig.layout.height is None:
        height = th.look(look).height
    if fill:
        shown, height = go.Figure(fig).update_layout(height=None), "stretch"
    if look == "projector":  # big type on a page narrower than a slide: shrink or wrap long titles
        shown = th.fit_text(go.Figure(shown), PROJECTOR_CHART_WIDTH // 2 ** _columns_around(),
                            fig.layout.height or th.look(look).height, look)
        if not fill and (fig.layout.height or 0) > PROJECTOR_MAX_HEIGHT:  # a tall figure (the LSTM's graph): under the title
            shown.layout.height = PROJECTOR_MAX_HEIGHT
    if dark():
        shown = th.on_dark(shown)
    st.plotly_chart(shown, width="stretch", height=height, config=th.plotly_config(name), key=key,
                    theme=None)  # theme=None: our template, not Streamlit's
    st.session_state.setdefault(FIGURES_KEY, {})[name] = fig
    if not menu:
        return
    with st.container(horizontal=True, horizontal_alignment="right"):
        with st.popover("Download figure", icon=":material/download:", type="tertiary", key=f"export_{key}"):
            st.caption(f"Slide-ready: projector look (large type, thick lines), {SLIDE} px, whatever the look "
                       "on screen.")
            problem = export.unavailable()
            if problem:
                st.warning(problem, icon=":material/warning:")
            for label, fmt, scale in VARIANTS:
                st.download_button(
                    label, data=partial(export.to_bytes, fig, fmt, scale=scale), mime=export.FORMATS[fmt],
                    file_name=export.file_name(name, fmt, scale), key=f"dl_{fmt}{scale}_{key}",
                    on_click="ignore", disabled=bool(problem), width="stretch", icon=":material/image:",
                )


def _columns_around() -> int:
    """How many st.columns the chart being placed sits in (0 on the full page width)."""
    try:  # Streamlit keeps no public record of the current container; fall back to full width
        from streamlit.delta_generator_singletons import context_dg_stack

        dg = context_dg_stack.get()[-1]
        return sum(1 for block in dg._ancestor_block_types if block == "column")
    except Exception:  # noqa: BLE001
        return 0


def page_downloads(page_name: str = "figures") -> None:
    """After the page ran: every figure it placed as one ZIP, with config.json and link.txt."""
    from dashboard import export_bundle

    figures = dict(st.session_state.get(FIGURES_KEY) or {})
    if not figures:
        return
    exp = experiment()
    link_text = export_bundle.link(exp, st.context.url or "", look_setting() or None)
    st.divider()
    with st.container(horizontal=True, vertical_alignment="bottom"):
        picked = st.pills("Formats for the ZIP", list(ZIP_FORMATS), selection_mode="multi",
                          default=["PNG", "PDF"], key="zip_formats")
        formats = [ZIP_FORMATS[p] for p in picked or ["PNG"]]
        subtitled = st.checkbox("Settings under each title", value=True, key="zip_subtitle",
                                help="A one-line subtitle on every figure of the ZIP: "
                                     f"“{export_bundle.subtitle(exp, page_name)}”.")
        problem = export.unavailable()
        st.download_button(
            f"Download all {len(figures)} figures of this page (ZIP)",
            data=partial(export_bundle.page_zip, figures, exp, link_text, formats,
                         page=page_name if subtitled else None), mime="application/zip",
            file_name=f"rnn-gradient-lab-{_slug(page_name)}.zip", key="zip_all_figures", on_click="ignore",
            disabled=bool(problem), icon=":material/folder_zip:", type="primary",
        )
    if problem:
        st.warning(problem, icon=":material/warning:")
    else:
        st.caption(f"Projector look at {SLIDE}, plus config.json (this experiment) and link.txt (the link that "
                   "reproduces it).")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text.lower()).strip("-") or "figures"


def count(n: int, word: str) -> str:
    """'1 iteration', '2 iterations'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def csv_bytes(columns: dict) -> bytes:
    """CSV of equal-length columns (name -> sequence)."""
    names = list(columns)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(names)
    for row in zip(*(columns[n] for n in names), strict=False):
        w.writerow(row)
    return buf.getvalue().encode()


def csv_download(label: str, columns, filename: str) -> None:
    """A CSV download of columns (a dict, or a function returning one), built only when clicked."""
    make = columns if callable(columns) else (lambda: columns)
    st.download_button(label, data=lambda: csv_bytes(make()), file_name=filename, mime="text/csv",
                       key=f"csv_{filename}")


@contextmanager
def plain_errors(reset_key: str | None = None):
    """Turn a ValueError from the engine into a clear message on the page instead of a traceback; with reset_key,
    also a button back to the initial weights when weights edited on the Weights page are in use."""
    try:
        yield
    except ValueError as exc:
        st.error(f"This setting cannot run: {exc}", icon=":material/block:")
        if reset_key and experiment().weights:
            st.button("Reset to the initial weights", on_click=sidebar.reset_weights, key=reset_key)
        stop()
