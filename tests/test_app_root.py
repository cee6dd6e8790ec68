"""The root URL `/` is a hidden stand-in for the graph page (dashboard/app.py): Streamlit serves its default
page only at `/`, so the graph page keeps its own url path "graph". In a browser a script moves `/?<query>`
to `/graph?<query>` (tests/browser/test_urls_browser.py); without one, the root offers a link carrying the query.
"""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def test_the_root_hands_over_to_the_graph_page_with_the_query():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["N"], at.query_params["H"] = "9", "4"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (link,) = at.get("page_link")
    assert (link.proto.page, link.proto.query_string) == ("graph", "N=9&H=4")
    assert "history.replaceState" in at.get("html")[0].proto.body  # the browser moves itself, no history entry
    assert not at.sidebar.slider, "no widget before the graph page: the query seeds them there"
    at.switch_page("app_pages/graph.py").run()
    assert not at.exception and at.title[0].value == "The unfolded graph"
    assert at.sidebar.slider(key="N").value == 9
