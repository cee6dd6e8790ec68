"""What a lecturer meets in the first minutes, in a real Chromium: a click during the first run changes no
setting, and the address bar describes the experiment after any sequence of presets, widget changes, page
switches and Back/Forward (checked against the sidebar's link, and by opening it in a fresh browser context).
"""
from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from dashboard.config import DEFAULT, Experiment, from_query
from dashboard.presets import all_presets
from tests.browser.conftest import NAV_LINK, exceptions, settled_value, wait_for_app

SIDEBAR = '[data-testid="stSidebar"]'
ADDRESS_AND_LINK_JS = f"""() => ({{
    url: location.href,
    link: document.querySelector('{SIDEBAR} [data-testid="stCode"]')?.innerText.trim(),
    title: document.querySelector('[data-testid="stMain"] h1')?.innerText.trim(),
}})"""


def experiment_of(url: str) -> Experiment:
    """The Experiment a URL's query describes (what a fresh session would open), failing on any notice."""
    exp, notices = from_query({k: v[-1] for k, v in parse_qs(urlparse(url).query).items()})
    assert notices == [], notices
    return exp


def differences(a: Experiment, b: Experiment) -> dict:
    return {f.name: (getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(Experiment)
            if getattr(a, f.name) != getattr(b, f.name)}


# The address and the link, read at rest once they agree (the link box and the address are written by the same
# step after the page; a read between the two would see one already new): null until then, so the wait goes on.
AGREED_JS = f"""() => {{
    const s = ({ADDRESS_AND_LINK_JS})();
    return s.link && new URL(s.link).search === location.search ? s : null;
}}"""


def address_matches_link(page, when: str) -> Experiment:
    try:
        state = settled_value(page, AGREED_JS, timeout=30_000)
    except Exception:  # noqa: BLE001 (they never agreed: report what they say)
        state = settled_value(page, ADDRESS_AND_LINK_JS)
    address, link = experiment_of(state["url"]), experiment_of(state["link"])
    assert differences(address, link) == {}, f"after {when}: the address bar {state['url']} says otherwise than " \
                                             f"the sidebar's link {state['link']}"
    return link


def nav(page, name: str) -> None:
    page.locator(NAV_LINK).filter(has_text=name).click()


def load_preset(page, title: str) -> None:
    box = page.locator(f"{SIDEBAR} [data-testid='stSelectbox']").filter(has_text="Load a demonstration")
    box.click()
    page.get_by_role("option", name=title, exact=True).click()


def test_a_click_during_the_first_run_changes_no_setting(page, app_url, artifacts):
    """Open the root and click Training the moment the sidebar appears, then train: every setting stays."""
    page.goto(f"{app_url}/")
    nav_link = page.locator(NAV_LINK).filter(has_text="Training")
    nav_link.wait_for(timeout=60_000)
    nav_link.click()  # before the graph page has drawn
    button = page.locator('.st-key-live_long_btn button').first
    button.click(timeout=60_000)
    wait_for_app(page, timeout=120_000)
    expect(button).to_contain_text(f"Train {DEFAULT.iterations} iterations now")
    state = settled_value(page, ADDRESS_AND_LINK_JS)
    page.screenshot(path=str(artifacts / "lecture_early_click_training.png"))
    assert differences(experiment_of(state["link"]), DEFAULT) == {}, state["link"]
    assert urlparse(state["url"]).query == "", state["url"]
    assert not exceptions(page)


def test_a_click_during_the_first_run_then_a_change_of_n_changes_only_n(page, app_url):
    page.goto(f"{app_url}/")
    nav_link = page.locator(NAV_LINK).filter(has_text="Gradients through time")
    nav_link.wait_for(timeout=60_000)
    nav_link.click()
    exact = page.locator(f'{SIDEBAR} input[aria-label="Sequence length N, exactly"]')
    exact.fill("12", timeout=60_000)
    exact.press("Enter")
    page.wait_for_function("() => location.search.includes('N=12')", timeout=60_000)
    wait_for_app(page, timeout=120_000)
    link = address_matches_link(page, "a change of N")
    assert differences(link, DEFAULT) == {"N": (12, DEFAULT.N)}


def test_the_address_bar_describes_the_experiment_after_presets_changes_pages_and_back(page, app_url, browser,
                                                                                       artifacts):
    presets = all_presets()
    page.goto(f"{app_url}/gradients")
    wait_for_app(page)
    seen = []
    load_preset(page, presets["vanishing_sigmoid"].title)
    page.wait_for_function("() => location.search.includes('activation=sigmoid')", timeout=60_000)
    seen.append(address_matches_link(page, "the first preset"))
    assert differences(seen[-1], presets["vanishing_sigmoid"].experiment) == {}

    load_preset(page, presets["vanishing_tanh"].title)
    page.wait_for_function("() => location.search.includes('init=normal')", timeout=60_000)
    seen.append(address_matches_link(page, "the second preset"))
    assert differences(seen[-1], presets["vanishing_tanh"].experiment) == {}

    exact = page.locator(f'{SIDEBAR} input[aria-label="Sequence length N, exactly"]')
    exact.fill("33")
    exact.press("Enter")
    page.wait_for_function("() => location.search.includes('N=33')", timeout=60_000)
    seen.append(address_matches_link(page, "a change of N"))
    assert differences(seen[-1], presets["vanishing_tanh"].experiment) == {"N": (33, 50)}

    nav(page, "Theory")
    page.wait_for_url("**/theory?*")
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text("Theory: why the gradient vanishes",
                                                                        timeout=60_000)
    assert differences(address_matches_link(page, "a page switch"), seen[-1]) == {}

    page.go_back()
    page.wait_for_url("**/gradients?*")
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text("Gradients through time", timeout=60_000)
    back = address_matches_link(page, "Back")
    page.go_forward()
    page.wait_for_url("**/theory?*")
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text("Theory: why the gradient vanishes",
                                                                        timeout=60_000)
    final = address_matches_link(page, "Forward")
    assert back in seen and final in seen
    page.screenshot(path=str(artifacts / "lecture_address_bar.png"))

    # The address bar, typed into a fresh browser (no session state), opens the same experiment.
    address = settled_value(page, ADDRESS_AND_LINK_JS)["url"]
    fresh = browser.new_context(viewport={"width": 1500, "height": 1400})
    try:
        other = fresh.new_page()
        other.goto(address)
        wait_for_app(other)
        reopened = experiment_of(settled_value(other, ADDRESS_AND_LINK_JS)["link"])
        assert differences(reopened, final) == {}, "a fresh session opened another experiment"
        assert not exceptions(other)
    finally:
        fresh.close()


def test_back_after_a_preset_that_opens_its_own_page_returns_to_the_page_left_as_it_was(page, app_url):
    """A preset loaded on the graph page opens its own page (Training) as a new address; Back gives the graph
    page with its own settings (it used to come back with the preset's), Forward the preset again."""
    preset = all_presets()["learns_short"]
    before = experiment_of(f"{app_url}/graph?v=2&N=17")
    page.goto(f"{app_url}/graph?v=2&N=17")
    wait_for_app(page)
    load_preset(page, preset.title)
    page.wait_for_url("**/training?*", timeout=60_000)
    assert differences(address_matches_link(page, "the preset"), preset.experiment) == {}
    page.go_back()
    page.wait_for_url("**/graph?*")
    assert differences(address_matches_link(page, "Back"), before) == {}
    page.go_forward()
    page.wait_for_url("**/training?*")
    assert differences(address_matches_link(page, "Forward"), preset.experiment) == {}
    assert not exceptions(page)
