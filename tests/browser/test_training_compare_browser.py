"""The Training page's Play / Pause and the Compare page's one-click pairs, in a real browser."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard import presets
from dashboard.config import to_query
from tests.browser.conftest import exceptions, settled_value, wait_for_app

MAIN = '[data-testid="stMain"]'
# The live view's numbers, read together: the metric "iteration t" and the points on the first curve of the
# loss chart (the first plotly chart); null while either is missing (the fragment redraws both every frame,
# and a chart in the middle of a redraw has no _fullData yet).
LIVE_JS = """() => {
    const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(m => m.innerText.includes('iteration t'));
    const v = m && m.querySelector('[data-testid="stMetricValue"]');
    const t = v ? parseInt(v.innerText.trim(), 10) : NaN;
    const p = document.querySelector('.js-plotly-plot');
    const points = p && p._fullData && p._fullData.length ? p._fullData[0]._length : 0;
    return Number.isNaN(t) ? null : {t, points};
}"""


def iteration(page) -> int:
    """The metric "iteration t", read when the app is at rest."""
    return settled_value(page, f"() => {{ const s = ({LIVE_JS})(); return s && s.t; }}")


def live(page, condition: str, arg=None, timeout: float = 30_000) -> dict:
    """{t, points} of the first frame (read in one evaluation) for which condition(s, arg) holds."""
    return page.wait_for_function(
        f"(arg) => {{ const s = ({LIVE_JS})(); return s !== null && ({condition})(s, arg) ? s : false; }}",
        arg=arg, timeout=timeout).json_value()


def test_training_play_pause(page, app_url, artifacts):
    page.goto(f"{app_url}/training")
    wait_for_app(page)
    assert iteration(page) == 0
    expect(page.locator(MAIN)).to_contain_text("nothing trained yet", timeout=30_000)
    page.get_by_role("button", name="Play").click()
    # the first frame with a loss curve; its iteration and its points come from the same evaluation
    first = live(page, "(s) => s.points > 0")
    assert first["t"] > 0
    # the fragment ticks on its own: wait for the next frames (no fixed sleep: the machine may be busy).
    # The chart is redrawn on every frame, so a second read may catch it mid-redraw (no _fullData yet):
    # the growth, and the iteration that goes with it, are measured inside the one wait that saw them.
    grown = live(page, "(s, first) => s.points > first.points + 10", arg=first)
    assert grown["points"] > first["points"] + 10, "the loss chart did not grow while playing"
    assert grown["t"] > first["t"]
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m => m.innerText.includes('paused'))""",
        timeout=30_000)
    wait_for_app(page)
    paused_t = iteration(page)
    page.wait_for_timeout(1200)  # not a synchronisation: 1.2 s (3 frames) in which nothing may change
    assert iteration(page) == paused_t, "still training after Pause"
    assert not exceptions(page)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / "training_default_played.png"), full_page=True)


def test_training_long_run_stops(page, app_url, artifacts):
    page.goto(f"{app_url}/training?iterations=5000")
    wait_for_app(page)
    page.get_by_role("button", name="Train 5000 iterations now").click()
    # the bar once a first chunk is done (its text then carries the loss): what the screenshot is for
    expect(page.locator(f'{MAIN} [data-testid="stProgress"]')).to_contain_text(", loss ", timeout=30_000)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / "training_long_run_progress.png"))
    page.locator(MAIN).get_by_role("button", name="Stop training").click()
    expect(page.locator(MAIN)).to_contain_text("Stopped at iteration", timeout=30_000)
    wait_for_app(page)
    stopped = iteration(page)
    assert 0 < stopped < 5000
    page.wait_for_timeout(1500)  # not a synchronisation: 1.5 s in which nothing may change
    assert iteration(page) == stopped, "training went on after Stop"
    assert not exceptions(page)


def test_training_exploding_presets(page, app_url, artifacts):
    for name in ("exploding",):  # exploding_clipped renders in the AppTest; one page load less here
        page.goto(f"{app_url}/training?{to_query(presets.get(name).experiment)}")
        wait_for_app(page)
        page.get_by_role("button", name=re.compile(r"Step")).click()
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
        wait_for_app(page)
        assert iteration(page) > 0
        assert not exceptions(page)
        page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / f"training_{name}.png"), full_page=True)
    # a run that does blow up: a linear read-out cannot saturate, so the 1.5^N growth reaches the loss
    exp = presets.get("exploding").experiment.replace(output="linear")
    page.goto(f"{app_url}/training?{to_query(exp)}")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"Step")).click()
    page.wait_for_selector("text=Training exploded at iteration", timeout=30_000)
    wait_for_app(page)
    # the annotation on the curves: at least two of them (the charts come after the error message)
    expect(page.locator("text=/exploded at iteration \\d+:/").nth(1)).to_be_attached(timeout=30_000)
    assert not exceptions(page)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / "training_exploded.png"), full_page=True)


def test_compare_pair_and_its_link(page, app_url, artifacts):
    page.goto(f"{app_url}/compare")
    wait_for_app(page)
    page.get_by_role("radio", name="learns at N = 10, fails at N = 50").click()
    page.wait_for_function("() => location.search.includes('b_field=N')", timeout=30_000)
    wait_for_app(page)
    main = page.locator(MAIN)
    for text in ("N = 10", "N = 50", "What this comparison shows"):
        expect(main).to_contain_text(text, timeout=30_000)
    assert not exceptions(page)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / "compare_N10_N50.png"), full_page=True)

    # the sidebar's link (A and B) opened in a fresh session shows the same comparison
    code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').last
    for part in ("iterations=2000", "b_field=N", "b_value=50"):
        expect(code).to_contain_text(part, timeout=30_000)
    link = code.inner_text().strip()
    fresh = page.context.new_page()
    fresh.goto(link)
    wait_for_app(fresh)
    fresh.wait_for_selector(".js-plotly-plot", timeout=30_000)
    for legend in ("B: N = 50", "A: N = 10"):  # the chart legends
        expect(fresh.locator(MAIN)).to_contain_text(legend, timeout=30_000)
    assert not exceptions(fresh)
