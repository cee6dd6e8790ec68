"""The Credit page in a real Chromium: /credit?v=2&task=copy draws the itemised heatmap (a lower triangle of
N x N cells in log colour, the rows where the copy task has no loss left out), and the page's own setting stays in the
address."""
from __future__ import annotations

from tests.browser.conftest import exceptions, settled_value, wait_for_app

# The first chart of the page, read at rest: its title, its first trace's type and z shape, the NaN count above
# the diagonal, the number of traces (the heatmap and the grey cells of steps without a loss).
HEATMAP_JS = """() => {
    const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
    if (!gd || !gd.data || !gd._fullData || !gd.querySelector('.heatmaplayer image, .heatmaplayer')) return null;
    const t = gd.data[0];
    const z = t.z;
    const rows = z.shape !== undefined ? Number(String(z.shape).split(',')[0]) : z.length;
    return {title: gd.layout.title.text, type: t.type, rows: rows, traces: gd.data.length,
            h1: document.querySelector('[data-testid="stMain"] h1').innerText.trim()};
}"""


def test_the_copy_task_opens_with_its_itemised_heatmap_and_its_loss_step_moves(page, app_url, artifacts):
    page.goto(f"{app_url}/credit?v=2&task=copy&credit_m=9")
    wait_for_app(page, timeout=120_000)
    drawn = settled_value(page, HEATMAP_JS, timeout=120_000)
    page.screenshot(path=str(artifacts / "credit_copy.png"), full_page=True)
    assert not exceptions(page), exceptions(page)
    assert drawn["h1"] == "Credit assignment"
    assert drawn["type"] == "heatmap" and drawn["title"].startswith("Which loss term reaches which step")
    assert drawn["rows"] == 4, "N = 10: the S = 4 recall steps' loss terms (the 6 before are 0 and left out)"
    assert drawn["traces"] == 1, "the log-coloured triangle, without zeros in the rows drawn"
    charts = settled_value(page, "() => document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot').length")
    assert charts == 5
    assert "credit_m=9" in page.url and "task=Copy+memory" in page.url  # the task as its menu text
    # the loss step's slider, by keyboard: the horizon chart follows and the address keeps it
    page.locator('[data-testid="stMain"] input[type="range"][aria-label="Loss step m"]').focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**credit_m=8**", timeout=60_000)
    title = settled_value(page, """() => {
        const t = [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')]
            .map(gd => gd.layout && gd.layout.title && gd.layout.title.text).find(t => t && t.startsWith('Gradient horizon'));
        return t || null;
    }""")
    assert title.startswith("Gradient horizon of the loss at step m = 8")
