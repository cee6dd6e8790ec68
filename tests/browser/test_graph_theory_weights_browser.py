"""The graph, theory and weights pages in a real Chromium: the graph's step slider moves the highlight (by
keyboard), N = 1000 stays readable, the theory charts draw, a typed weight reaches the page; no exception."""
from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.browser.conftest import exceptions, settled_value, wait_for_app

STEP_SLIDER = 'input[type="range"][aria-label^="Inspect time step n"]'
GRAPH_TICKS_JS = """() => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        g => g.data && g.data.some(t => t.name === 'nodes'));
    return gd ? JSON.stringify([gd.layout.xaxis.ticktext, gd.data.find(t => t.name === 'nodes').text]) : null;
}"""


def graph_state(page) -> tuple[list[str], list[str]]:
    """The graph's x tick labels and node labels, read together when the app is at rest."""
    ticks, nodes = json.loads(settled_value(page, GRAPH_TICKS_JS, timeout=30_000))
    return ticks, nodes


def selected(ticks: list[str]) -> str:
    """The highlighted (bold) step among the tick labels."""
    (bold,) = [t for t in ticks if t.startswith("<b>")]
    return bold[3:-4]


def selected_tick(page) -> str:
    return selected(graph_state(page)[0])


def press_until(page, key: str, expected: str) -> None:
    page.locator(STEP_SLIDER).focus()
    page.keyboard.press(key)
    page.wait_for_function(
        f"""() => {{ const s = ({GRAPH_TICKS_JS})(); return s !== null && JSON.parse(s)[0].includes('<b>{expected}</b>'); }}""",
        timeout=30_000)
    wait_for_app(page)


def test_graph_step_slider_moves_the_highlight(page, app_url, artifacts):
    page.goto(f"{app_url}/?N=30&v=2")  # the root opens the graph page
    wait_for_app(page)
    assert selected_tick(page) == "1"
    page.screenshot(path=str(artifacts / "graph_N30.png"), full_page=True)
    press_until(page, "ArrowRight", "2")
    assert selected_tick(page) == "2"
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Step n = 2", timeout=30_000)
    press_until(page, "End", "30")
    assert "s(30)" in graph_state(page)[1]
    assert not exceptions(page)
    page.screenshot(path=str(artifacts / "graph_N30_step30.png"), full_page=True)


def test_graph_at_N_1000_elides_the_middle(page, app_url, artifacts):
    page.goto(f"{app_url}/?N=1000")
    wait_for_app(page)
    ticks, nodes = graph_state(page)
    assert "⋯" in ticks and len([t for t in nodes if t.startswith("s(")]) <= 14
    page.locator(STEP_SLIDER).focus()
    for _ in range(3):
        page.keyboard.press("PageUp")  # big steps into the elided middle
    page.wait_for_function(
        f"""() => {{ const s = ({GRAPH_TICKS_JS})(); if (s === null) return false;
                     const b = JSON.parse(s)[0].find(t => t.startsWith('<b>'));
                     return b && Number(b.slice(3, -4)) > 3; }}""", timeout=30_000)
    wait_for_app(page)
    ticks, nodes = graph_state(page)  # one figure: the keys may have caused more than one rerun
    n = int(selected(ticks))
    assert f"s({n})" in nodes  # the selected step is drawn even in the elided middle
    assert not exceptions(page)
    page.screenshot(path=str(artifacts / "graph_N1000.png"), full_page=True)


def test_theory_page_draws_its_charts(page, app_url, artifacts):
    for query, name in (("", "theory_N30"), ("?N=1000&activation=sigmoid", "theory_N1000_sigmoid")):
        page.goto(f"{app_url}/theory{query}")
        wait_for_app(page)
        assert settled_value(page, "() => document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot').length") >= 5
        expect(page.locator('[data-testid="stMain"]')).to_contain_text("Sufficient condition for vanishing", timeout=30_000)
        assert not exceptions(page)
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_weights_page_typing_a_weight_updates_the_page(page, app_url, artifacts):
    page.goto(f"{app_url}/weights?H=4")
    wait_for_app(page)
    page.screenshot(path=str(artifacts / "weights_H4.png"), full_page=True)
    editor = page.locator('[data-testid="stDataFrame"]').first
    editor.locator("canvas").first.wait_for(timeout=30_000)
    box = editor.bounding_box()
    # Glide data grid: header row, then one row per unit; the first column is the index (s₁..s₄).
    # Double-click the cell W_s[s₁, s₂], type, commit with Enter.
    page.mouse.dblclick(box["x"] + box["width"] * 0.45, box["y"] + 35 + 17)
    cell = page.locator("input.gdg-input")  # the grid's overlay editor
    cell.wait_for(timeout=30_000)
    cell.fill("2.5")
    cell.press("Enter")
    page.wait_for_function("() => new URL(location.href).searchParams.has('weights')", timeout=60_000)
    wait_for_app(page)
    # W_s[s₁, s₂] = 2.5 pushes σ_max(W_s) above 1/κ = 1 (the page reruns once more with the edit applied)
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("lifted σ_max(W_s)", timeout=30_000)
    w = json.loads(settled_value(page, "() => new URL(location.href).searchParams.get('weights')"))
    assert w["W_s"][0][1] == 2.5
    assert not exceptions(page)
    page.screenshot(path=str(artifacts / "weights_H4_edited.png"), full_page=True)
