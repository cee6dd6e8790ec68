"""The Lecture page in a real Chromium, as a lecturer with a clicker meets it: the keys (arrows, PageDown/PageUp,
Space, Home, End) work as soon as the page is open, without a click into it, and not while typing in a field;
the buttons too; and in projector mode, at 1920x1080 and at 1280x720, every step's chart and its settings label
lie wholly inside the window (no scrolling), the chart filling what the text leaves. One page load: the window is
resized on the loaded page, and each step is reached by a key.
"""
from __future__ import annotations

from dashboard import lecture
from tests.browser.conftest import exceptions, settled_value, wait_for_app

SIZES = ((1920, 1080), (1280, 720))
# The stage's chart and label boxes, once plotly has drawn the chart at the box's size (a resize redraws it).
BOXES_JS = """() => {
    const c = document.querySelector('.st-key-lecture_stage [data-testid="stPlotlyChart"]');
    const label = document.querySelector('.st-key-lecture_stage .lecture-label');
    const gd = c && c.querySelector('.js-plotly-plot');
    if (!label || !gd || !gd._fullLayout) return null;
    const r = c.getBoundingClientRect(), l = label.getBoundingClientRect();
    if (Math.abs(gd._fullLayout.height - r.height) > 2 || Math.abs(gd._fullLayout.width - r.width) > 2) return null;
    return {chart: [r.top, r.bottom, r.left, r.right], label: [l.top, l.bottom, l.left, l.right],
            width: innerWidth, height: innerHeight, step: new URLSearchParams(location.search).get('step'),
            title: document.querySelector('.st-key-lecture_stage .lecture-title').innerText};
}"""
STEP_JS = """(want) => {
    const t = document.querySelector('.st-key-lecture_stage .lecture-title');
    const step = new URLSearchParams(location.search).get('step');
    return t && step === want[0] && t.innerText === want[1] ? step : null;
}"""


def at_step(page, k: int, title: str) -> None:
    """Wait until step k is on screen and in the address."""
    settled_value(page, STEP_JS, [str(k), title], timeout=120_000)
    wait_for_app(page, timeout=120_000)


def inside(box, width, height) -> bool:
    top, bottom, left, right = box
    return 0 <= top < bottom <= height and 0 <= left < right <= width


def test_keys_buttons_and_every_step_fits_the_window_in_projector_mode(app_url, page, artifacts):
    steps = lecture.shipped()["vanishing"].steps
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{app_url}/lecture?script=vanishing&step=1&projector=true")
    at_step(page, 1, steps[0].title)

    # no click into the page first: the keys of a clicker and of a keyboard
    for key, k in (("ArrowRight", 2), ("PageDown", 3), (" ", 4), ("ArrowLeft", 3), ("PageUp", 2), ("Home", 1)):
        page.keyboard.press(key)
        at_step(page, k, steps[k - 1].title)
    page.locator('.st-key-lecture_next button').first.click()
    at_step(page, 2, steps[1].title)
    page.locator('.st-key-lecture_back button').first.click()
    at_step(page, 1, steps[0].title)
    box = page.locator('[data-testid="stSidebar"] input[aria-label="Sequence length N, exactly"]')
    box.focus()
    page.keyboard.press("ArrowRight")  # moves the caret in the field, not the lecture
    page.keyboard.press("End")
    box.blur()
    wait_for_app(page)
    at_step(page, 1, steps[0].title)

    # every step at both sizes, resizing the loaded page
    misfits = []
    for k, step in enumerate(steps, start=1):
        if k > 1:
            page.keyboard.press("ArrowRight")
            at_step(page, k, step.title)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            b = settled_value(page, BOXES_JS, timeout=60_000)
            assert b["step"] == str(k) and b["title"] == step.title
            if not (inside(b["chart"], width, height) and inside(b["label"], width, height)):
                misfits.append(f"step {k} at {width}x{height}: chart {b['chart']}, label {b['label']}")
            chart_height = b["chart"][1] - b["chart"][0]
            if chart_height < 0.5 * height:  # the chart fills the window, not a strip of it
                misfits.append(f"step {k} at {width}x{height}: the chart is only {chart_height:.0f} px high")
            if width == 1920:
                page.screenshot(path=str(artifacts / f"lecture_step{k:02d}_1920x1080.png"))
        page.set_viewport_size({"width": 1920, "height": 1080})
    assert not misfits, misfits
    page.keyboard.press("End")  # already at the last step: nothing moves, nothing breaks
    page.keyboard.press("Home")
    at_step(page, 1, steps[0].title)

    # a lecturer's own script, uploaded: a bad one is named with its step and field, a good one opens at step 1
    uploader = page.locator('.st-key-lecture_upload input[type="file"]')
    uploader.set_input_files(files=[{"name": "mine.yaml", "mimeType": "application/yaml",
                                     "buffer": b"title: Mine\nsteps:\n  - {title: One, page: gradient}\n"}])
    said = settled_value(page, """() => [...document.querySelectorAll('[data-testid="stAlertContentError"]')]
        .map(e => e.innerText).find(t => t.includes('mine.yaml')) || null""")
    assert "step 1 (“One”), field page: unknown page 'gradient'" in said
    at_step(page, 1, steps[0].title)  # the lecture on screen stays
    uploader.set_input_files(files=[{"name": "mine.yaml", "mimeType": "application/yaml",
                                     "buffer": b"title: Mine\nsteps:\n  - {title: Only, page: gradients}\n"}])
    at_step(page, 1, "Only")
    assert "script=mine" in page.url
    assert not exceptions(page)
