"""RNN Gradient Lab: the one entry point, `streamlit run dashboard/app.py`.

The sidebar builds one frozen Experiment (bound to the URL); each page reads it from
st.session_state["experiment"] and only places figures and words.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` only adds dashboard/

from urllib.parse import parse_qsl, urlencode  # noqa: E402

import streamlit as st  # noqa: E402

from dashboard import address, lecture, presenting, presets, sidebar, ui  # noqa: E402
from dashboard.config import FIELDS, VERSION_KEY, Experiment, to_query  # noqa: E402
from dashboard.seed import SIDEBAR_USES  # noqa: E402

# A local icon: a material-symbol icon is fetched from Google's font server, and a lecture hall may be offline.
ICON = Path(__file__).resolve().parent.parent / "assets" / "icon.png"
st.set_page_config(page_title="RNN Gradient Lab", page_icon=str(ICON), layout="wide")


def _open_the_graph() -> None:
    """The app's root URL `/?<query>`: a hidden page that opens `/graph?<query>` (the query is the experiment).

    The browser does it: it rewrites its address in place (history.replaceState: the back button then leaves
    the app instead of bouncing off `/`) and tells Streamlit's page router, which listens for the back and
    forward buttons (popstate), so the graph page runs with the widgets seeded from the same query. Without
    JavaScript (AppTest) this page shows a link instead.
    """
    if presenting.command_line() is not None:  # started on a lecture (--lecture my.yaml): `/` opens the lecture
        st.html(OPEN_THE_GRAPH.replace('new URL("graph"', f'new URL("{LECTURE}"'), unsafe_allow_javascript=True)
        st.page_link(PAGES[-1], label="Open the lecture", icon=PAGES[-1].icon)
        return
    st.html(OPEN_THE_GRAPH, unsafe_allow_javascript=True)
    params = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    st.page_link(GRAPH, label="Open the unfolded graph", icon=":material/account_tree:", query_params=params)


# Relative to the page's address, so it also works under a server.baseUrlPath ("/lab/" -> "/lab/graph").
# Only while the address is still the root: a click on another page that came first wins.
OPEN_THE_GRAPH = """<script>
if (window.location.pathname.endsWith("/")) {
    window.history.replaceState(window.history.state, "",
        new URL("graph" + window.location.search + window.location.hash, window.location.href).href);
    window.dispatchEvent(new PopStateEvent("popstate", {state: window.history.state}));
}
</script>"""

def _open_the_preset_page(url_path: str, query: dict) -> None:
    """A preset was loaded on another page than its own: the browser opens `url_path?query` as a new history
    entry and tells Streamlit's page router (popstate), as for Forward. st.switch_page would first write the
    preset's query into the address of the page being left, so Back would return to that page with the preset's
    settings instead of its own. Without JavaScript (AppTest) a link stands in."""
    target = next(p for p in PAGES if p.url_path == url_path)
    search = urlencode(query)
    st.html(OPEN_THE_PRESET_PAGE.replace("TARGET", json.dumps(f"{url_path}?{search}")), unsafe_allow_javascript=True)
    st.page_link(target, label=f"Open {target.title}", icon=target.icon, query_params=query)
    st.stop()  # the page being left neither runs nor writes its address


OPEN_THE_PRESET_PAGE = """<script>
window.history.pushState(null, "", new URL(TARGET, window.location.href).href);
window.dispatchEvent(new PopStateEvent("popstate", {state: null}));
</script>"""

# Streamlit serves its default page only at `/` ("/graph" would say "Page not found"), so the default is a
# hidden stand-in that switches to the graph page, which keeps the url path "graph" like every other page.
HOME = st.Page(_open_the_graph, title="RNN Gradient Lab", url_path="home", default=True, visibility="hidden")
GRAPH = st.Page("app_pages/graph.py", title="Unfolded graph", icon=":material/account_tree:", url_path="graph")
PAGES = [
    HOME,
    GRAPH,
    st.Page("app_pages/gradients.py", title="Gradients through time", icon=":material/trending_down:", url_path="gradients"),
    st.Page("app_pages/training.py", title="Training", icon=":material/model_training:", url_path="training"),
    st.Page("app_pages/theory.py", title="Theory", icon=":material/functions:", url_path="theory"),
    st.Page("app_pages/weights.py", title="Weights", icon=":material/grid_on:", url_path="weights"),
    st.Page("app_pages/credit.py", title="Credit", icon=":material/call_split:", url_path="credit"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:", url_path="compare"),
    st.Page("app_pages/seed_example.py", title="Seed example: bird classifier", icon=":material/flutter_dash:", url_path="seed"),
    st.Page("app_pages/lecture.py", title="Lecture", icon=":material/co_present:", url_path="lecture"),
]
LECTURE = "lecture"  # its address carries the script and the step, not the experiment (presenting.py)

OWNED = set(FIELDS) | {VERSION_KEY, ui.PROJECTOR_KEY, *presenting.URL_KEYS}  # the URL keys the app writes (and every page's own keys)


def page_links(slot, query: dict) -> None:
    """The navigation, drawn by the app: each link carries the experiment, so switching pages keeps the address.
    (Streamlit's own navigation keeps only keys bound to widgets, and then not all of them.)"""
    with slot.container(gap=None):
        for p in PAGES:
            if p is not HOME:
                st.page_link(p, label=p.title, icon=p.icon, query_params=query, width="stretch")
        st.divider()


def finish(exp: Experiment, link_slot, with_experiment: bool = True) -> None:
    """After the page (also when it stopped early, after an error message): the sidebar's link and the address
    bar, both from what the controls hold, with the page's own settings and the look (on the lecture page the
    script and step alone: the link opens the step as the script sets it)."""
    settings = ui.page_link_settings()
    sidebar.link_box(link_slot, exp if with_experiment else Experiment(), settings)
    query = {**(dict(parse_qsl(to_query(exp))) if with_experiment else {}), **settings, **ui.look_setting()}
    address.write(query, owned=OWNED)


address.start_run()  # before any control: is the address new (a link, Back, Forward)?
presenting.set_command_line(lecture.command_line_script(sys.argv))  # `streamlit run dashboard/app.py -- --lecture x.yaml`
USES = {"seed": SIDEBAR_USES}  # pages that use only some of the sidebar's settings
page = st.navigation(PAGES, position="hidden")  # drawn by page_links, at the top of the sidebar
loaded = presets.take_page_to_open()  # a preset was just loaded: open the page its description talks about
if loaded is not None and loaded.page != page.url_path:
    _open_the_preset_page(loaded.page, {**dict(parse_qsl(to_query(loaded.experiment))), **ui.look_setting()})
if page is HOME:  # before any widget: `/?N=50` opens `/graph?N=50`
    page.run()
    st.stop()
nav_slot = st.sidebar.empty()
ui.start_page()  # projector toggle, empty figure record, no page settings for the link yet
arrived = st.session_state.get("_page_shown") != page.url_path  # the page was opened in this run
st.session_state["_page_shown"] = page.url_path
if page.url_path == LECTURE:  # the step's experiment into the controls, before they are drawn
    presenting.prepare(arrived)
st.session_state[sidebar.SHOWN], link_slot = sidebar.experiment_controls(USES.get(page.url_path))
page_links(nav_slot, {**dict(parse_qsl(to_query(st.session_state[sidebar.SHOWN]))), **ui.look_setting()})
ui.on_finish(lambda: finish(st.session_state[sidebar.SHOWN], link_slot, page.url_path != LECTURE))  # also run by ui.stop()
page.run()
ui.finish_run()
ui.page_downloads(page.url_path or page.title)  # every figure the page placed, as one ZIP


@st.cache_resource(show_spinner=False)
def _freeze_what_is_loaded() -> None:
    """Once per process, after the first run: Streamlit runs gc.collect() after every script and fragment
    run, and scanning the ~10^5 objects of streamlit, plotly and pandas took ~0.1 s each time (0.5 s on a
    busy machine), delaying the next run. Frozen, they are skipped; later garbage is collected as before."""
    import gc

    gc.collect()
    gc.freeze()


_freeze_what_is_loaded()
