"""Switching the cell in the sidebar, as a student would, on the graph, gradients and compare pages: the page
redraws for the new cell in its own words, the address bar follows, and no setting but the cell changes."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SIGNATURE_JS, exceptions, settled_value, wait_for_app

SIDEBAR = '[data-testid="stSidebar"]'
# What each page says for a cell that it does not say for another (in the main area).
SAYS = {
    ("graph", "LSTM"): "The unfolded graph: LSTM", ("graph", "GRU"): "The unfolded graph: GRU",
    ("gradients", "LSTM"): "mean forget gate f", ("gradients", "GRU"): "mean update gate z",
    ("compare", "LSTM"): "gated cell: no such bound", ("compare", "GRU"): "gated cell: no such bound",
}


def choose_cell(page, shown: str) -> None:
    page.locator(f"{SIDEBAR} [data-testid='stSelectbox']").filter(has_text="Cell").first.click()
    page.get_by_role("option", name=shown, exact=True).click()


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


@pytest.mark.parametrize("where", ["graph", "gradients", "compare"])
def test_switching_the_cell_redraws_the_page_for_that_cell(page, app_url, artifacts, where):
    page.goto(f"{app_url}/{where}?v=2&N=20")
    wait_for_app(page)
    before = settled_value(page, SIGNATURE_JS)
    for shown, value in (("LSTM", "lstm"), ("GRU", "gru"), ("RNN (Elman)", "elman")):
        choose_cell(page, shown)
        if value == "elman":
            page.wait_for_function("() => !location.search.includes('cell=')", timeout=60_000)
        else:
            page.wait_for_function("(v) => location.search.includes('cell=' + v)", arg=value, timeout=60_000)
        wait_for_app(page)
        page.screenshot(path=str(artifacts / f"cells_{where}_{value}.png"))
        assert not exceptions(page), f"{where}, {shown}: {exceptions(page)[0][:300]}"
        signature = settled_value(page, SIGNATURE_JS)
        if value == "elman":
            assert signature == before, f"{where}: back to the RNN, the first chart is not the RNN's again"
        else:
            assert signature != before, f"{where}: the first chart did not change for the {shown}"
            expect(page.locator('[data-testid="stMain"]')).to_contain_text(SAYS[where, shown], timeout=30_000)
        assert "N=20" in page.evaluate("() => location.search"), "switching the cell changed N"
