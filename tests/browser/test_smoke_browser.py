"""Smoke test in a real Chromium: every page renders without an exception and with a chart, the N slider
redraws the gradients chart, a garbled URL gives a notice (not a traceback), and every preset loads.
"""
from __future__ import annotations

from playwright.sync_api import expect

from dashboard.config import DEFAULT
from dashboard.presets import all_presets
from tests.browser.conftest import (
    N_SLIDER,
    SIGNATURE_JS,
    exceptions,
    settled_value,
    wait_for_app,
    wait_for_heatmap,
)

PAGES = ("graph", "gradients", "training", "theory", "weights", "credit", "compare", "seed")  # url paths


# What the N-slider test checks once the page is final, all read in one evaluation (see settled_value).
AFTER_SLIDER_JS = f"""() => ({{
    n: Number(document.querySelector('{N_SLIDER}').getAttribute('value')),
    has_x: document.querySelector('.js-plotly-plot').data[0].x != null,
    url: location.href,
    link: document.querySelector('[data-testid="stSidebar"] [data-testid="stCode"]').innerText,
}})"""
# Pages that draw their charts only after a first action (the training page starts at iteration 0).
FIRST_ACTION = {"training": "Step"}


def url_of(app_url: str, url_path: str) -> str:
    """Streamlit serves the default page (the graph) at the root; its own path shows "Page not found"."""
    return f"{app_url}/" if url_path == "graph" else f"{app_url}/{url_path}"


def charts(page) -> int:
    return settled_value(page, "() => document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot').length")


def page_not_found(page) -> bool:
    return "Page not found" in page.locator("body").inner_text()


def test_every_page_renders(page, app_url, artifacts):
    problems = []
    for url_path in PAGES:
        page.goto(url_of(app_url, url_path))
        wait_for_app(page)
        if url_path in FIRST_ACTION and charts(page) == 0:
            page.locator('[data-testid="stMain"] button').filter(has_text=FIRST_ACTION[url_path]).first.click()
        try:
            page.wait_for_selector('[data-testid="stMain"] .js-plotly-plot', timeout=20_000)
        except Exception:  # noqa: BLE001 (reported below with the page name)
            pass
        wait_for_app(page)  # the run that drew the chart has finished (a click's chart comes before its end)
        page.mouse.move(0, 0)  # no tooltip over the page
        page.screenshot(path=str(artifacts / f"smoke_{url_path}.png"), full_page=True)
        if errs := exceptions(page):
            problems.append(f"/{url_path}: exception on the page: {errs[0][:400]}")
        if page_not_found(page):
            problems.append(f"/{url_path}: Streamlit says 'Page not found'")
        if charts(page) < 1:
            problems.append(f"/{url_path}: no plotly chart on the page")
    assert not problems, "\n".join(problems)


def test_n_slider_redraws_gradients_chart_and_the_heatmap_fills_in(page, app_url, artifacts):
    page.goto(f"{app_url}/gradients")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stMain"] .js-plotly-plot', timeout=20_000)
    before = settled_value(page, SIGNATURE_JS)
    n0 = int(settled_value(page, f"() => document.querySelector('{N_SLIDER}').getAttribute('value')"))
    page.locator(N_SLIDER).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"(before) => {{ const s = ({SIGNATURE_JS})(); return s !== null && s !== before; }}",
                           arg=before, timeout=30_000)
    # The heatmap trains after the page is drawn: it must fill in to every iteration, for the new N. Once it
    # has, the page is final: the slider, the first chart, the URL and the link are read in the same moment.
    heat = wait_for_heatmap(page)
    after = settled_value(page, AFTER_SLIDER_JS)
    assert after["n"] == n0 + 1
    assert after["has_x"]
    assert f"N={n0 + 1}" in after["url"], f"the URL does not carry the new N: {after['url']}"
    link = after["link"]
    assert "iterations=" not in link, f"a setting other than N changed: {link}"
    expected = [DEFAULT.iterations, n0 + 1]
    assert heat == expected, f"heatmap is {heat[0]} iterations x {heat[1]} steps, expected {expected[0]} x {expected[1]}"
    assert not exceptions(page)
    page.screenshot(path=str(artifacts / "smoke_gradients_after_slider.png"), full_page=True)


def test_garbled_url_gives_a_notice(page, app_url, artifacts):
    page.goto(f"{app_url}/?N=abc&lr=7")
    wait_for_app(page)
    page.screenshot(path=str(artifacts / "smoke_garbled_url.png"), full_page=True)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("URL parameter N='abc' ignored", timeout=30_000)
    expect(sidebar).to_contain_text("URL parameter lr='7' ignored", timeout=30_000)
    assert not exceptions(page)
    assert charts(page) >= 1, "the page falls back to the defaults and still draws"


def test_every_preset_loads_from_the_sidebar(page, app_url, artifacts):
    page.goto(f"{app_url}/")  # the graph page: quick to redraw, and it draws every preset's network
    wait_for_app(page)
    problems = []
    for name, preset in all_presets().items():
        box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Load a demonstration")
        box.click()
        page.get_by_role("option", name=preset.title, exact=True).click()
        page.wait_for_function("(text) => document.querySelector('[data-testid=\"stSidebar\"]').innerText.includes(text)",
                               arg=preset.explains[:60], timeout=30_000)
        wait_for_app(page)
        page.screenshot(path=str(artifacts / f"smoke_preset_{name}.png"), full_page=True)
        if errs := exceptions(page):
            problems.append(f"{name}: exception: {errs[0][:300]}")
        n = int(settled_value(page, f"() => document.querySelector('{N_SLIDER}').getAttribute('value')"))
        if n != preset.experiment.N:
            problems.append(f"{name}: the N slider shows {n}, the preset says {preset.experiment.N}")
    assert not problems, "\n".join(problems)
