"""Projector mode at 1920x1080, outside the lecture page: every page's main chart is on the screen without
scrolling, and the sidebar's text is larger than without projector mode, every navigation label whole."""
from __future__ import annotations

from tests.browser.conftest import NAV_LINK, exceptions, settled_value, wait_for_app

SCREEN = {"width": 1920, "height": 1080}
# url path -> (the link's label, words of the main chart's title: the chart measured is the page's own)
PAGES = {
    "graph": ("Unfolded graph", "unfolded network"),
    "gradients": ("Gradients through time", "How far back"),
    "training": ("Training", "Loss during training"),
    "theory": ("Theory", "Eigenvalues"),
    "weights": ("Weights", "W_s, the recurrent weights"),
    "credit": ("Credit", "Which loss term"),
    "compare": ("Compare", "A and B"),
    "seed": ("Seed example: bird classifier", "RNN:"),
}
# The main chart's box (the first chart in the main area whose title holds `words`) and the viewport, or null
# while that chart is not there (the previous page's, or none yet).
MAIN_CHART_JS = """(words) => {
    const c = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"]')][0];
    const gd = c && c.querySelector('.js-plotly-plot');
    const title = gd && gd.layout && gd.layout.title ? String(gd.layout.title.text || gd.layout.title || '') : '';
    if (!title.includes(words)) return null;
    const r = c.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: innerWidth, height: innerHeight,
            path: location.pathname};
}"""
SIDEBAR_TEXT_JS = """() => {
    const sb = document.querySelector('[data-testid="stSidebar"]');
    const px = sel => parseFloat(getComputedStyle(sb.querySelector(sel)).fontSize);
    const links = [...sb.querySelectorAll('[data-testid="stPageLink"] a p')];
    return {label: px('[data-testid="stWidgetLabel"] p'), link: px('[data-testid="stPageLink"] a p'),
            value: px('input[type="number"]'),
            cut: links.filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.innerText)};
}"""


def test_every_main_chart_fits_a_1920x1080_screen_in_projector_mode(page, app_url, artifacts):
    page.set_viewport_size(SCREEN)
    page.goto(f"{app_url}/graph?projector=false")
    wait_for_app(page)
    plain = settled_value(page, SIDEBAR_TEXT_JS)
    page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]').filter(has_text="Projector mode").click()
    page.wait_for_url("**projector=true*")
    big = settled_value(page, SIDEBAR_TEXT_JS)
    for what in ("label", "link", "value"):
        assert big[what] >= 1.4 * plain[what], f"sidebar {what}: {big[what]} px in projector mode, {plain[what]} px without"
    assert big["cut"] == [], f"navigation labels cut in projector mode: {big['cut']}"

    problems = []
    for path, (label, words) in PAGES.items():
        if path != "graph":
            page.locator(NAV_LINK).filter(has_text=label).click()
            page.wait_for_url(f"**/{path}?*projector=true*")
        if path == "training":  # the curves appear once something is trained
            page.get_by_role("button", name="Train 200 iterations now").click()
        box = settled_value(page, MAIN_CHART_JS, words, timeout=90_000)
        page.screenshot(path=str(artifacts / f"projector_1920x1080_{path}.png"))
        if errs := exceptions(page):
            problems.append(f"/{path}: exception: {errs[0][:300]}")
        if not (0 <= box["top"] and box["bottom"] <= box["height"] and 0 <= box["left"]
                and box["right"] <= box["width"]):
            problems.append(f"/{path}: main chart at top {box['top']:.0f}, bottom {box['bottom']:.0f}, left "
                            f"{box['left']:.0f}, right {box['right']:.0f} px; the screen is 1920x1080")
    assert not problems, "\n".join(problems)
