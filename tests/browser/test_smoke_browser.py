"""Smoke test in a real Chromium: every page renders without an exception and with a chart, the N slider
redraws the gradients chart, a garbled URL gives a notice (not a traceback), and every preset loads.
"""
from __future__ import annotations

from dashboard.config import DEFAULT
from dashboard.presets import all_presets
from tests.browser.conftest import N_SLIDER, SIGNATURE_JS, exceptions, wait_for_app

PAGES = ("graph", "gradients", "training", "theory", "weights", "compare", "seed")  # url paths


HEATMAP_DONE_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const heat = Array.from(main.querySelectorAll('.js-plotly-plot')).find(gd => gd.data && gd.data[0].type === 'heatmap');
    return Boolean(heat) && !main.querySelector('[data-testid="stProgress"]');
}"""
# Pages that draw their charts only after a first action (the training page starts at iteration 0).
FIRST_ACTION = {"training": "Step"}


def url_of(app_url: str, url_path: str) -> str:
    """Streamlit serves the default page (the graph) at the root; its own path shows "Page not found"."""
    return f"{app_url}/" if url_path == "graph" else f"{app_url}/{url_path}"


def charts(page) -> int:
    return len(page.query_selector_all('[data-testid="stMain"] .js-plotly-plot'))


def page_not_found(page) -> bool:
    return "Page not found" in page.locator("body").inner_text()


def test_every_page_renders(page, app_url, artifacts):
    problems = []
    for url_path in PAGES:
        page.goto(url_of(app_url, url_path))
        wait_for_app(page)
        if url_path in FIRST_ACTION and charts(page) == 0:
            page.locator('[data-testid="stMain"] button').filter(has_text=FIRST_ACTION[url_path]).first.click()
            wait_for_app(page)
        try:
            page.wait_for_selector('[data-testid="stMain"] .js-plotly-plot', timeout=20_000)
        except Exception:  # noqa: BLE001 (reported below with the page name)
            pass
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
    before = page.evaluate(SIGNATURE_JS)
    slider = page.locator(N_SLIDER)
    n0 = int(slider.get_attribute("value"))
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"(before) => {{ const s = ({SIGNATURE_JS})(); return s !== null && s !== before; }}",
                           arg=before, timeout=30_000)
    wait_for_app(page)
    assert int(page.locator(N_SLIDER).get_attribute("value")) == n0 + 1
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].x") is not None
    assert f"N={n0 + 1}" in page.url, f"the URL does not carry the new N: {page.url}"
    # The heatmap trains after the page is drawn: it must fill in to every iteration, for the new N.
    page.wait_for_function(HEATMAP_DONE_JS, timeout=60_000)
    heat = page.evaluate("""() => { const gd = Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
        .find(g => g.data[0].type === 'heatmap'); const z = gd.data[0].z;
        return z.shape !== undefined ? String(z.shape).split(',').map(Number) : [z.length, z[0].length]; }""")
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').inner_text()
    assert "iterations=" not in link, f"a setting other than N changed: {link}"
    expected = [DEFAULT.iterations, n0 + 1]
    assert heat == expected, f"heatmap is {heat[0]} iterations x {heat[1]} steps, expected {expected[0]} x {expected[1]}"
    assert not exceptions(page)
    page.screenshot(path=str(artifacts / "smoke_gradients_after_slider.png"), full_page=True)


def test_garbled_url_gives_a_notice(page, app_url, artifacts):
    page.goto(f"{app_url}/?N=abc&lr=7")
    wait_for_app(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    page.screenshot(path=str(artifacts / "smoke_garbled_url.png"), full_page=True)
    assert "URL parameter N='abc' ignored" in sidebar, sidebar[:1000]
    assert "URL parameter lr='7' ignored" in sidebar, sidebar[:1000]
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
        n = int(page.locator(N_SLIDER).get_attribute("value"))
        if n != preset.experiment.N:
            problems.append(f"{name}: the N slider shows {n}, the preset says {preset.experiment.N}")
    assert not problems, "\n".join(problems)
