"""RNN Gradient Lab: the one entry point, `streamlit run dashboard/app.py`.

The sidebar builds one frozen Experiment (bound to the URL); each page reads it from
st.session_state["experiment"] and only places figures and words.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` only adds dashboard/

import streamlit as st  # noqa: E402

from dashboard import sidebar, ui  # noqa: E402

st.set_page_config(page_title="RNN Gradient Lab", page_icon=":material/replay:", layout="wide")


def _open_the_graph() -> None:
    """The app's root URL `/?<query>`: a hidden page that opens `/graph?<query>` (the query is the experiment).

    The browser does it: it rewrites its address in place (history.replaceState: the back button then leaves
    the app instead of bouncing off `/`) and tells Streamlit's page router, which listens for the back and
    forward buttons (popstate), so the graph page runs with the widgets seeded from the same query. Without
    JavaScript (AppTest) this page shows a link instead.
    """
    st.html(OPEN_THE_GRAPH, unsafe_allow_javascript=True)
    params = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    st.page_link(GRAPH, label="Open the unfolded graph", icon=":material/account_tree:", query_params=params)


# Relative to the page's address, so it also works under a server.baseUrlPath ("/lab/" -> "/lab/graph").
OPEN_THE_GRAPH = """<script>
window.history.replaceState(window.history.state, "",
    new URL("graph" + window.location.search + window.location.hash, window.location.href).href);
window.dispatchEvent(new PopStateEvent("popstate", {state: window.history.state}));
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
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:", url_path="compare"),
    st.Page("app_pages/seed_example.py", title="Seed example: bird classifier", icon=":material/flutter_dash:", url_path="seed"),
]

page = st.navigation(PAGES)
if page is HOME:  # before any widget: `/?N=50` opens `/graph?N=50`
    page.run()
    st.stop()
ui.start_page()  # projector toggle, empty figure record
st.session_state["experiment"] = sidebar.experiment_controls()
page.run()
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
