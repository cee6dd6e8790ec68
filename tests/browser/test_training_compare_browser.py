"""The Training page's Play / Pause and the Compare page's one-click pairs, in a real browser."""
from __future__ import annotations

import re

from dashboard import presets
from dashboard.config import to_query
from tests.browser.conftest import exceptions, wait_for_app


def settle(page) -> None:
    """wait_for_app, then also until the header's running indicator (its Stop button) is gone:
    in Streamlit 1.67 a running script shows 'Stop' there, not the word 'Running'."""
    wait_for_app(page)
    page.wait_for_function(
        """() => { const w = document.querySelector('[data-testid="stStatusWidget"]');
                   return !w || !w.innerText.includes('Stop'); }""", timeout=60_000)
    wait_for_app(page)


def iteration(page) -> int:
    text = page.locator('[data-testid="stMetric"]').filter(has_text="iteration t").first.inner_text()
    return int(re.findall(r"\d+", text.split("iteration t")[-1])[0])


def loss_points(page) -> int:
    """Points on the first curve of the loss chart (the first plotly chart on the page), 0 if none yet."""
    return page.evaluate("""() => {
        const p = document.querySelector('.js-plotly-plot');
        return p && p._fullData && p._fullData.length ? p._fullData[0]._length : 0;
    }""")


def test_training_play_pause(page, app_url, artifacts):
    page.goto(f"{app_url}/training")
    settle(page)
    assert iteration(page) == 0
    assert "nothing trained yet" in page.inner_text("body")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => document.querySelector('.js-plotly-plot') !== null", timeout=30_000)
    first_t, first_points = iteration(page), loss_points(page)
    assert first_t > 0
    # the fragment ticks on its own: wait for the next frames (no fixed sleep: the machine may be busy)
    # The chart is redrawn on every frame, so a second read may catch it mid-redraw (no _fullData yet):
    # the growth is measured inside the one wait that saw it.
    grown = page.wait_for_function(
        """(n) => { const p = document.querySelector('.js-plotly-plot');
                    const k = p && p._fullData && p._fullData.length ? p._fullData[0]._length : 0;
                    return k > n + 10 ? k : false; }""",
        arg=first_points, timeout=30_000).json_value()
    assert grown > first_points + 10, "the loss chart did not grow while playing"
    assert iteration(page) > first_t
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m => m.innerText.includes('paused'))""",
        timeout=30_000)
    settle(page)
    paused_t = iteration(page)
    page.wait_for_timeout(1200)
    assert iteration(page) == paused_t, "still training after Pause"
    assert not exceptions(page)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / "training_default_played.png"), full_page=True)


def test_training_long_run_stops(page, app_url, artifacts):
    page.goto(f"{app_url}/training?iterations=5000")
    settle(page)
    page.get_by_role("button", name="Train 5000 iterations now").click()
    page.wait_for_selector('[data-testid="stProgress"]', timeout=30_000)
    page.wait_for_timeout(1500)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / "training_long_run_progress.png"))
    page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop training").click()
    settle(page)
    stopped = iteration(page)
    assert 0 < stopped < 5000
    assert "Stopped at iteration" in page.inner_text('[data-testid="stMain"]')
    page.wait_for_timeout(1500)
    assert iteration(page) == stopped, "training went on after Stop"
    assert not exceptions(page)


def test_training_exploding_presets(page, app_url, artifacts):
    for name in ("exploding",):  # exploding_clipped renders in the AppTest; one page load less here
        page.goto(f"{app_url}/training?{to_query(presets.get(name).experiment)}")
        settle(page)
        page.get_by_role("button", name=re.compile(r"Step")).click()
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
        settle(page)
        assert iteration(page) > 0
        assert not exceptions(page)
        page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / f"training_{name}.png"), full_page=True)
    # a run that does blow up: a linear read-out cannot saturate, so the 1.5^N growth reaches the loss
    exp = presets.get("exploding").experiment.replace(output="linear")
    page.goto(f"{app_url}/training?{to_query(exp)}")
    settle(page)
    page.get_by_role("button", name=re.compile(r"Step")).click()
    page.wait_for_selector("text=Training exploded at iteration", timeout=30_000)
    settle(page)
    assert page.locator("text=/exploded at iteration \\d+:/").count() >= 2  # annotation on the curves
    assert not exceptions(page)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / "training_exploded.png"), full_page=True)


def test_compare_pair_and_its_link(page, app_url, artifacts):
    page.goto(f"{app_url}/compare")
    settle(page)
    page.get_by_role("radio", name="N = 10 vs N = 100").click()
    page.wait_for_function("() => location.search.includes('b_field=N')", timeout=30_000)
    settle(page)
    body = page.inner_text('[data-testid="stMain"]')
    assert "N = 10" in body and "N = 100" in body and "What this comparison shows" in body
    assert not exceptions(page)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.screenshot(path=str(artifacts / "compare_N10_N100.png"), full_page=True)

    # the page's own link (A and B) opened in a fresh session shows the same comparison
    link = page.locator('[data-testid="stMain"] [data-testid="stCode"]').last.inner_text().strip()
    assert "N=10" in link and "b_field=N" in link and "b_value=100" in link
    fresh = page.context.new_page()
    fresh.goto(link)
    settle(fresh)
    fresh.wait_for_selector(".js-plotly-plot", timeout=30_000)
    body = fresh.inner_text('[data-testid="stMain"]')
    assert "B: N = 100" in body and "A: N = 10" in body  # the chart legends
    assert not exceptions(fresh)
