"""A lecture hall may have no internet: with every request to another host refused, every page loads, draws its
charts and asks for nothing outside the app (fonts, icons, scripts)."""
from __future__ import annotations

from urllib.parse import urlparse

from tests.browser.conftest import VIEWPORT, exceptions, settled_value, wait_for_app

PAGES = ("graph", "gradients", "training", "theory", "weights", "credit", "compare", "seed")
CHARTS_JS = "() => document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot').length"


def test_every_page_works_with_the_network_unplugged(browser, app_url, artifacts):
    asked: list[str] = []

    def only_the_app(route):
        url = route.request.url
        if urlparse(url).hostname in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            asked.append(url)
            route.abort("internetdisconnected")

    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.route("**/*", only_the_app)
        page = context.new_page()
        problems = []
        for path in PAGES:
            page.goto(f"{app_url}/{path}?N=8&iterations=20&v=2")
            wait_for_app(page, timeout=120_000)
            charts = settled_value(page, CHARTS_JS)
            if exceptions(page):
                problems.append(f"{path}: {exceptions(page)[0][:200]}")
            if path != "training" and charts == 0:  # the training page draws its curves after a first step
                problems.append(f"{path}: no chart")
        page.screenshot(path=str(artifacts / "offline_seed.png"))
    finally:
        context.close()
    assert not asked, f"the app asked for {sorted(set(asked))}"
    assert not problems, problems
