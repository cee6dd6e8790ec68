"""Every page's URL, typed or bookmarked with its query, opens that page in a real Chromium: no "Page not
found" dialog (watched for from the first byte until a moment after the page has drawn), the page's own title,
its entry highlighted in the sidebar navigation, the sidebar set from the query, the query kept in the address
and in the copy-link box. The root `/` becomes `/graph` in place, so the back button leaves the app.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import N_SLIDER, NAV_LINK, exceptions, settled_value, wait_for_app

QUERY = "N=9&H=4&v=2"  # small and fast; both differ from the defaults (N=10, H=16), so applying them is visible
# url path -> (the page's title, its entry in the sidebar navigation); "" is the root, which opens the graph
PAGES = {
    "": ("The unfolded graph", "Unfolded graph"),
    "graph": ("The unfolded graph", "Unfolded graph"),
    "gradients": ("Gradients through time", "Gradients through time"),
    "training": ("Training", "Training"),
    "theory": ("Theory: why the gradient vanishes", "Theory"),
    "weights": ("The weights", "Weights"),
    "credit": ("Credit assignment", "Credit"),
    "compare": ("Compare two configurations", "Compare"),
    "seed": ("Seed example: bird classifier", "Seed example: bird classifier"),
}
# Installed before any page script: notes it if Streamlit's "Page not found" dialog ever shows up.
WATCH_NOT_FOUND = """
window.__notFound = 0;
new MutationObserver(() => {
    for (const d of document.querySelectorAll('[role="dialog"]'))
        if (d.textContent.includes('Page not found')) window.__notFound += 1;
}).observe(document, {childList: true, subtree: true, characterData: true});
"""
WATCH_MS = 1000  # the dialog comes after the first render: keep watching this long after the page settled
STATE_JS = f"""() => ({{
    title: [...document.querySelectorAll('[data-testid="stMain"] h1')].map(h => h.innerText.trim()),
    current: [...document.querySelectorAll('{NAV_LINK}')]  // the highlighted one has a background
        .filter(a => getComputedStyle(a).backgroundColor !== 'rgba(0, 0, 0, 0)')
        .map(a => a.innerText.replace(/^\\S+\\s+/, '').trim()),
    n: document.querySelector('{N_SLIDER}')?.getAttribute('value'),
    link: document.querySelector('[data-testid="stSidebar"] [data-testid="stCode"]')?.innerText.trim(),
    not_found: window.__notFound,
}})"""


@pytest.fixture
def tab(page):
    """The browser page, watching every document it loads for the "Page not found" dialog."""
    page.add_init_script(WATCH_NOT_FOUND)
    return page


def open_url(page, url: str) -> dict:
    page.goto(url)
    wait_for_app(page)
    page.wait_for_timeout(WATCH_MS)
    wait_for_app(page)
    return settled_value(page, STATE_JS)


def query_of(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


@pytest.mark.parametrize("url_path", list(PAGES), ids=[p or "root" for p in PAGES])
def test_each_url_opens_its_page_with_the_query(tab, app_url, artifacts, url_path):
    page = tab
    title, nav = PAGES[url_path]
    state = open_url(page, f"{app_url}/{url_path}?{QUERY}")
    page.screenshot(path=str(artifacts / f"url_{url_path or 'root'}.png"))
    assert state["not_found"] == 0, f"/{url_path}: Streamlit showed 'Page not found'"
    assert exceptions(page) == []
    assert state["title"][:1] == [title], state
    assert state["current"] == [nav], f"the sidebar should highlight {nav!r}: {state['current']}"
    assert state["n"] == "9", f"N=9 from the query should set the N slider: {state}"
    landed = urlparse(page.url)
    assert landed.path == f"/{url_path or 'graph'}", page.url  # the root becomes the graph page's own address
    assert query_of(page.url) == {"N": "9", "H": "4", "v": "2"}, page.url
    link = urlparse(state["link"])
    assert (link.path, query_of(state["link"])) == (landed.path, {"N": "9", "H": "4", "v": "2"}), state["link"]


def test_an_unknown_path_still_says_page_not_found(tab, app_url):
    page = tab
    """The watcher above can see the dialog: a path that is no page gets it (and then the graph)."""
    state = open_url(page, f"{app_url}/no-such-page?{QUERY}")
    assert state["not_found"] > 0, state
    assert state["title"][:1] == ["The unfolded graph"] and state["n"] == "9", state


def test_the_back_button_leaves_the_root_and_the_copied_link_reopens_the_page(tab, app_url, artifacts):
    page = tab
    page.goto("about:blank")
    open_url(page, f"{app_url}/?{QUERY}")
    page.locator(NAV_LINK).filter(has_text="Theory").click()
    page.wait_for_url("**/theory?*")  # the address changes at the click, before the page's run
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text("Theory: why the gradient vanishes",
                                                                        timeout=30_000)
    wait_for_app(page)
    state = settled_value(page, STATE_JS)
    assert state["title"][:1] == ["Theory: why the gradient vanishes"] and state["n"] == "9", state
    page.go_back()  # to the graph, which the root became
    page.wait_for_url("**/graph?*")
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text("The unfolded graph", timeout=30_000)
    wait_for_app(page)
    assert settled_value(page, STATE_JS)["title"][:1] == ["The unfolded graph"]
    page.go_back()  # out of the app: `/` is not in the history to bounce back from
    page.wait_for_url("about:blank")

    copied = state["link"]  # the Theory page's copy-link box
    state = open_url(page, copied)
    page.screenshot(path=str(artifacts / "url_copied_link.png"))
    assert state["not_found"] == 0 and state["title"][:1] == ["Theory: why the gradient vanishes"], state
    assert state["n"] == "9" and page.url == copied, (page.url, copied)
