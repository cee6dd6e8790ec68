"""Lecture: a scripted sequence of steps, one chart each, stepped through with Next / Back or a presenter's clicker.

The stage fills the window: the step's title, what to notice, the settings as one large line, and the chart in the
height that is left. Below it (scroll): every step, the script's menu, its upload and its download. Which step is
on screen is in the address (lecture?script=vanishing&step=4; dashboard/presenting.py).
"""
from __future__ import annotations

import html

import plotly.graph_objects as go
import streamlit as st

from dashboard import compute, lecture, lecture_charts, presenting, ui
from dashboard.config import spec
from rnn_engine.theory import spectral_radius

# Keys a presentation clicker sends (PageDown / PageUp), the arrows, Space, Home and End: one listener on the whole
# document, installed once, that clicks the page's own buttons (so a key does exactly what the click does). Keys
# typed into a field (a sidebar number, the uploader) are left alone, as are keys with Ctrl, Alt or Meta.
KEYS_JS = """<script>
if (!window.rnnLabLectureKeys) {
    window.rnnLabLectureKeys = true;
    const ACTIONS = {ArrowRight: "next", PageDown: "next", " ": "next", ArrowLeft: "back", PageUp: "back",
                     Home: "first", End: "last"};
    document.addEventListener("keydown", (e) => {
        const action = ACTIONS[e.key];
        if (!action || e.ctrlKey || e.altKey || e.metaKey) return;
        const t = e.target;
        if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) || t.closest('[role="slider"], [role="listbox"], [role="combobox"]'))) return;
        const button = document.querySelector(`.st-key-lecture_${action} button`);
        if (!button) return;  // another page of the app
        e.preventDefault();  // no scrolling, and Space does not also press a focused button
        if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
        if (!button.disabled) button.click();
    }, true);
}
</script>"""

# The stage is one window high: the chart takes what the title, the notice and the label leave.
STAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.2rem !important; padding-bottom: 2rem !important; }
.st-key-lecture_stage { flex: none !important; height: calc(100dvh - 4.2rem) !important; gap: 0.35rem !important; }
.st-key-lecture_stage > *, .st-key-lecture_heading > * { flex: 0 0 auto !important; }
.st-key-lecture_stage [data-testid="stMarkdownContainer"] { margin-bottom: 0 !important; }
.st-key-lecture_heading { flex: 1 1 0 !important; min-width: 0; }
.st-key-lecture_stage [data-testid="stElementContainer"]:has([data-testid="stPlotlyChart"]) {
    flex: 1 1 0 !important; min-height: 0 !important; }
.st-key-lecture_stage [data-testid="stFullScreenFrame"],
.st-key-lecture_stage [data-testid="stPlotlyChart"] { height: 100% !important; }
.st-key-lecture_stage p.lecture-title { font-size: 2.1rem; font-weight: 700; line-height: 1.15; margin: 0; }
.st-key-lecture_stage p.lecture-count { font-size: 1rem; opacity: 0.7; margin: 0; }
.st-key-lecture_stage p.lecture-notice { font-size: 1.2rem; line-height: 1.35; margin: 0; }
.st-key-lecture_stage p.lecture-label { font-size: 1.55rem; font-weight: 700; line-height: 1.2; margin: 0;
    font-variant-numeric: tabular-nums; }
.st-key-lecture_stage p.lecture-changed { font-size: 1rem; color: #b35900; margin: 0; }
@media (max-height: 800px) {  /* a small window (1280x720): the text gives the chart more of the height */
    .st-key-lecture_stage p.lecture-title { font-size: 1.6rem; }
    .st-key-lecture_stage p.lecture-notice { font-size: 1rem; line-height: 1.25; }
    .st-key-lecture_stage p.lecture-label { font-size: 1.25rem; }
    .st-key-lecture_stage p.lecture-count { font-size: 0.8rem; }
}
</style>"""


def _line(cls: str, text: str) -> None:
    st.markdown(f'<p class="{cls}">{html.escape(text, quote=False)}</p>', unsafe_allow_html=True)


def settings_label(step: lecture.Step, exp) -> str:
    """The step's settings as the sidebar now holds them: what the chart shows."""
    rho = None
    if not exp.radius and exp.cell == "elman":
        try:
            rho = float(spectral_radius(compute.setup(exp).params.W_s))
        except ValueError:
            pass
    text = lecture.label(exp, rho)
    chart = lecture_charts.CHARTS[step.chart]
    if chart.trains:
        text += " · " + lecture.training_label(exp)
    if step.versus is not None:
        text += " · vs " + lecture_charts.names(step.experiment, step.versus)[1]
    return text


lec, k = presenting.current()
step = lec.steps[k - 1]
n = len(lec.steps)
exp = ui.experiment()  # the sidebar's: the step's own settings, unless the lecturer changed one
ui.add_to_link(presenting.link_settings())
for notice in st.session_state.get(presenting.NOTICES, []):
    st.warning(notice, icon=":material/warning:")

changed = [spec(f).label for f in lecture.differing(step.experiment, exp)]
with st.container(key="lecture_stage", gap=None):
    with st.container(horizontal=True, vertical_alignment="center", key="lecture_top"):
        st.button("Back", key="lecture_back", on_click=presenting.go, args=(k - 1,), disabled=k == 1,
                  icon=":material/arrow_back:", help="Left arrow, PageUp")
        with st.container(key="lecture_heading", gap=None):
            _line("lecture-count", f"Step {k} of {n} · {lec.title}")
            _line("lecture-title", step.title)
        st.button("Next", key="lecture_next", on_click=presenting.go, args=(k + 1,), disabled=k == n,
                  icon=":material/arrow_forward:", type="primary", help="Right arrow, PageDown, Space")
    if step.notice:
        _line("lecture-notice", step.notice if not changed else f"With the script's settings: {step.notice}")
    _line("lecture-label", settings_label(step, exp))
    if changed:
        with st.container(horizontal=True, vertical_alignment="center"):
            _line("lecture-changed", "Changed from the script: " + ", ".join(changed) + ".")
            st.button("Back to the step's settings", key="lecture_restore", on_click=presenting.restore,
                      type="tertiary", icon=":material/undo:")
    chart = lecture_charts.CHARTS[step.chart]
    versus = None
    if step.versus is not None:  # B follows A: B is A with the step's changes, also after a live change to A
        versus = exp.replace(**{f: getattr(step.versus, f) for f in lecture.differing(step.experiment, step.versus)})
    with ui.plain_errors():
        with st.spinner("Training…" if chart.trains else "Computing…"):
            presenting.wait_for_ahead((step.chart, exp, versus))
            fig = chart.draw(exp, versus, ui.theme())
    # On the stage, without its title (the step's title says it) and with the faint per-batch losses behind the bold
    # validation curves left out of the legend: the height goes to the data. The ZIP below keeps the whole figure.
    shown = go.Figure(fig).update_layout(title=None, margin_t=None)
    shown.for_each_trace(lambda t: t.update(showlegend=False), selector=lambda t: (t.opacity or 1) < 1)
    ui.chart(shown, step.chart, key=f"lecture_chart_{step.chart}", menu=False, fill=True)
    st.session_state[ui.FIGURES_KEY][step.chart] = fig
# every other step's numbers (its training runs), the next ones first, while this one is discussed
presenting.compute_ahead([((s.chart, s.experiment, s.versus),
                           lambda s=s: lecture_charts.CHARTS[s.chart].draw(s.experiment, s.versus, "screen"))
                          for s in lec.steps[k:] + lec.steps[:k - 1]])

st.html(STAGE_CSS + KEYS_JS, unsafe_allow_javascript=True)  # after the stage, so that nothing pushes it down

# Below the stage: the whole script, the first and last steps (Home, End), the menu, the upload and the download.
st.subheader("All steps")
with st.container(horizontal=True):
    st.button("First step", key="lecture_first", on_click=presenting.go, args=(1,), disabled=k == 1,
              icon=":material/first_page:", help="Home")
    st.button("Last step", key="lecture_last", on_click=presenting.go, args=(n,), disabled=k == n,
              icon=":material/last_page:", help="End")
for i, s in enumerate(lec.steps, start=1):
    st.button(f"{i}. {s.title}", key=f"lecture_goto_{i}", on_click=presenting.go, args=(i,), type="tertiary",
              disabled=i == k)

st.subheader("Scripts")
known = presenting.scripts()
st.session_state["lecture_pick"] = lec.name
st.selectbox("Lecture", list(known), key="lecture_pick", format_func=lambda name: known[name].title,
             on_change=presenting.pick)
st.download_button("Download this script (YAML)", data=lec.text.encode(), file_name=f"{lec.name}.yaml",
                   mime="application/yaml", key="lecture_download", icon=":material/download:", on_click="ignore")
st.file_uploader("Your own script (YAML or JSON, the shape of the downloaded one)", type=["yaml", "yml", "json"],
                 key="lecture_upload", on_change=presenting.upload)
problem = st.session_state.get(presenting.UPLOAD_PROBLEM)
if problem:
    st.error(f"{problem[0]} is not a lecture script this app can show:\n\n" + "\n".join(f"- {p}" for p in problem[1]),
             icon=":material/block:")
st.caption("Write your own: download this one, change it (its first lines say how) and upload it here, or start "
           "the app on it: `streamlit run dashboard/app.py -- --lecture my.yaml`.")
