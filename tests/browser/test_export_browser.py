"""Figure export in a real Chromium: the download menu under a chart, the plotly camera button, the page
ZIP, and the projector toggle (from the URL and by clicking it).

Downloads are read back from their bytes: PNG size from the IHDR header, PDF page count, ZIP listing.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

from tests.browser.conftest import exceptions, settled_value, wait_for_app, wait_for_heatmap

POPOVER = '[data-testid="stPopover"] button'
LIGHT = "N=12&iterations=20&v=2"  # a small experiment: the page computes fast on a busy machine
TITLE_SIZE_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot .gtitle')]
                        .map(t => parseFloat(t.style.fontSize))"""
ROOT_PX_JS = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
CHARTS_JS = """() => document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot').length"""


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def download(page, click) -> tuple[str, bytes]:
    with page.expect_download(timeout=90_000) as info:
        click()
    d = info.value
    return d.suggested_filename, Path(d.path()).read_bytes()


def test_chart_menu_camera_and_page_zip_download_slide_sized_figures(page, app_url, artifacts):
    page.goto(f"{app_url}/gradients?{LIGHT}")
    wait_for_app(page)
    # the heatmap fills in after the page, and the page then reruns once more: menus opened before that
    # could be redrawn under the mouse, and the ZIP would count a chart not on the page yet
    wait_for_heatmap(page)
    assert not exceptions(page)
    page.locator(POPOVER).first.click()
    page.get_by_role("button", name="PNG 1920×1080").first.wait_for()
    page.screenshot(path=str(artifacts / "export_menu.png"))
    name, png = download(page, lambda: page.get_by_role("button", name="PNG 1920×1080").first.click())
    assert name == "gradient-decay.png" and png_size(png) == (1920, 1080)
    name, pdf = download(page, lambda: page.get_by_role("button", name="PDF (vector, one page)").first.click())
    assert name == "gradient-decay.pdf" and pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == 1
    page.keyboard.press("Escape")

    chart = page.locator('[data-testid="stMain"] .js-plotly-plot').first
    chart.hover()
    camera = chart.locator('.modebar-btn[data-title^="Download plot"]')
    name, png = download(page, lambda: camera.click())
    assert name.endswith(".png") and png_size(png) == (1920, 1080), "the camera button exports at slide size"

    # the same page (one load: pages are slow on a busy machine): all figures as one ZIP
    charts = settled_value(page, CHARTS_JS)
    button = page.get_by_role("button", name=re.compile(r"Download all \d+ figures of this page"))
    button.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "export_zip_button.png"))
    name, data = download(page, lambda: button.click())
    assert name == "rnn-gradient-lab-gradients.zip"
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    assert {"config.json", "link.txt"} <= set(names)
    assert len([n for n in names if n.endswith(".png")]) == charts  # default formats: PNG and PDF
    assert len([n for n in names if n.endswith(".pdf")]) == charts
    assert z.read("link.txt").decode().strip() == f"{app_url}/gradients?{LIGHT}"


def test_projector_toggle_switches_the_whole_app(page, app_url, artifacts):
    page.goto(f"{app_url}/gradients?{LIGHT}&projector=true")
    wait_for_app(page)
    wait_for_heatmap(page)  # no rerun of the page while the titles are measured
    assert not exceptions(page)
    toggle = page.get_by_role("switch", name="Projector mode")
    assert toggle.is_checked()
    big = settled_value(page, TITLE_SIZE_JS)
    root_px = settled_value(page, ROOT_PX_JS)
    page.screenshot(path=str(artifacts / "export_projector_mode.png"))
    # 44 px, or shrunk to fit the chart's width on one line (never below 0.8 x the 30 px base text)
    assert big and max(big) >= 36 and min(big) >= 24, f"projector chart titles: {big}"
    assert root_px >= 20, "the app's own text grows too"

    page.get_by_text("Projector mode").click()
    # the click's rerun has begun once the projector CSS is gone (it is replaced at the top of the page);
    # then wait for the end of that run before measuring the redrawn titles
    page.wait_for_function(f"() => ({ROOT_PX_JS})() < 20", timeout=30_000)
    wait_for_app(page)
    small = settled_value(page, TITLE_SIZE_JS)
    page.screenshot(path=str(artifacts / "export_screen_mode.png"))
    assert small and max(small) <= 20, f"screen chart titles: {small}"
    assert "projector" not in page.url
