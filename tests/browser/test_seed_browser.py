"""The seed-example page in a real Chromium: it renders, a new sample changes the derivation's numbers,
the projector look with the digits, the hand-over to the gradients page; no exception anywhere."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from dashboard.config import TASK_LABELS
from tests.browser.conftest import exceptions, settled_value, wait_for_app

SAMPLE = 'input[aria-label^="Sample i"]'
MAIN = '[data-testid="stMain"]'


def derivation_text(page) -> str:
    """The rendered KaTeX of the derivation (every formula on the page), read in one go when the app is at rest."""
    return settled_value(page, f"""() => [...document.querySelectorAll('{MAIN} [data-testid="stMarkdownContainer"] .katex')]
                                          .map(e => e.innerText).join('\\n')""")


def count(page, selector: str) -> int:
    """How many elements match, counted when the app is at rest."""
    return settled_value(page, "(sel) => document.querySelectorAll(sel).length", selector)


def screenshot(page, path) -> None:
    """The whole page: Streamlit scrolls an inner container, so grow the viewport to its height first."""
    size = page.viewport_size
    height = page.evaluate(f"() => document.querySelector('{MAIN}').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 100, 12_000)})
    # a chart whose box changed with the viewport is redrawn at its new width before the shot
    page.wait_for_function(f"""() => [...document.querySelectorAll('{MAIN} .js-plotly-plot')].every(gd =>
        gd._fullLayout && Math.abs(gd._fullLayout.width - gd.getBoundingClientRect().width) < 1)""", timeout=30_000)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def test_seed_page_renders_and_a_sample_change_updates_the_numbers(page, app_url, artifacts):
    page.goto(f"{app_url}/seed")
    wait_for_app(page)
    main = page.locator(MAIN)
    main.get_by_text("3 · The same classifier over N > 1 steps").wait_for(timeout=60_000)
    wait_for_app(page)
    assert not exceptions(page)
    expect(main).to_contain_text("Sample 0: true class t =", timeout=30_000)
    expect(main).to_contain_text("hand vs BPTT", timeout=30_000)
    assert count(page, f"{MAIN} .js-plotly-plot") == 5
    assert count(page, f"{MAIN} .katex") >= 10
    screenshot(page, artifacts / "seed_default.png")
    before = derivation_text(page)

    page.locator(SAMPLE).fill("12")
    page.locator(SAMPLE).press("Enter")
    main.get_by_text("Sample 12: true class t =").wait_for(timeout=60_000)
    wait_for_app(page)
    assert not exceptions(page)
    assert derivation_text(page) != before, "the derivation's numbers follow the sample"
    expect(page).to_have_url(re.compile(r"[?&]seed_sample=12(&|$)"), timeout=30_000)
    screenshot(page, artifacts / "seed_sample12.png")


def test_seed_page_projector_digits_random_h0(page, app_url, artifacts):
    query = "seed_source=Digits+(scikit-learn+8%C3%978+images)&seed_h0=random+h%E2%82%80&projector=true"
    page.goto(f"{app_url}/seed?{query}")
    wait_for_app(page)
    main = page.locator(MAIN)
    main.get_by_text("3 · The same classifier over N > 1 steps").wait_for(timeout=60_000)
    wait_for_app(page)
    assert not exceptions(page)
    expect(main).to_contain_text("scikit-learn digits 3 vs 8", timeout=30_000)
    assert re.search(r"Sample 0: a “3”", main.inner_text()) or page.query_selector(f"{MAIN} .js-plotly-plot")
    screenshot(page, artifacts / "seed_projector_digits.png")


def test_seed_page_hands_over_to_the_gradients_page(page, app_url, artifacts):
    page.goto(f"{app_url}/seed?seed_N=16&seed_iters=50")  # 50 iterations: the gradients page trains them too
    wait_for_app(page)
    button = page.get_by_role("button", name=re.compile(r"See it step by step \(N = 16\)"))
    button.wait_for(timeout=60_000)
    wait_for_app(page)
    button.click()
    page.wait_for_url(re.compile(r"/gradients"), timeout=60_000)
    wait_for_app(page)
    page.locator(MAIN).get_by_text("Gradients through time").first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert not exceptions(page)
    url = settled_value(page, "() => location.href")  # bound widgets rewrite the URL during the run
    query = parse_qs(urlparse(url).query)
    # bound widgets write their displayed label into the URL
    assert query.get("task") == [TASK_LABELS["bird"]] and query.get("N") == ["16"], url
    assert query.get("iterations") == ["50"], url
    screenshot(page, artifacts / "seed_to_gradients.png")
