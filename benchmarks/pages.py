"""Moving around the dashboard, in a real headless Chromium: each page's first open, a switch between pages,
and an in-app figure download; against Streamlit's floor (benchmarks/trivial_pages_app.py).

    first open, cold   a new server, a new browser context, goto /<page>: until the page is at rest with
                       every chart drawn (tests/browser/conftest.py's SETTLED_JS, held for 0.3 s)
    first open, warm   a new browser context on a server that has served the page before (the caches
                       Streamlit shares between sessions are filled): what the second student meets
    switch             in one session, a click on the sidebar's link to the page, from the graph page
                       (from the gradients page for the graph itself), until at rest
    download           the graph page's "Download figure" -> PNG 1920×1080: first and second click, until the
                       browser has the file

Scenarios: the defaults, and N = 1000, H = 256 (`--only large`). Targets (lecture-ready issue), on a quiet
machine: a switch within 1.5x of the floor, a first open under 3 s for every page, a download under 1.5 s
after the first. The load average is printed before and after: compare runs with that in mind.

    python benchmarks/pages.py                     # both scenarios, 3 repeats
    python benchmarks/pages.py --only default --repeats 1
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_FLAGS, NAV_LINK, free_port, start_streamlit, wait_for_app  # noqa: E402

PAGES = {  # url path -> the link's text in the sidebar
    "graph": "Unfolded graph", "gradients": "Gradients through time", "training": "Training", "theory": "Theory",
    "weights": "Weights", "compare": "Compare", "seed": "Seed example",
}
SCENARIOS = {"default": "v=2", "large": "v=2&N=1000&H=256"}
LOG = Path("/tmp/pages_bench_streamlit.log")


class Server:
    """`streamlit run` of a script on a free port, restartable (a cold cache)."""

    def __init__(self, script: Path):
        self.script, self.proc = script, None

    def start(self) -> str:
        self.stop()
        port = free_port()
        self.proc = start_streamlit(self.script, port, LOG)
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def timed_open(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    wait_for_app(page, timeout=300_000)
    dt = time.perf_counter() - t0
    context.close()
    return dt


def timed_switch(page, text: str, path: str) -> float:
    """Click the sidebar link whose text is `text`; until the address shows /path and the page is at rest."""
    t0 = time.perf_counter()
    page.locator(NAV_LINK).filter(has_text=text).first.click()
    page.wait_for_function("(p) => location.pathname.replace(/^\\/+/, '') === p", arg=path, timeout=300_000)
    wait_for_app(page, timeout=300_000)
    return time.perf_counter() - t0


def timed_download(page) -> float:
    page.get_by_role("button", name="Download figure").first.click()
    button = page.get_by_role("button", name="PNG", exact=False).first
    t0 = time.perf_counter()
    with page.expect_download(timeout=120_000) as info:
        button.click()
    info.value.path()
    dt = time.perf_counter() - t0
    page.keyboard.press("Escape")
    wait_for_app(page)
    return dt


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" + (f" ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else "")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", choices=sorted(SCENARIOS))
    args = ap.parse_args(argv)
    exe = shutil.which("chromium")
    if exe is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    app, floor = Server(ROOT / "dashboard" / "app.py"), Server(ROOT / "benchmarks" / "trivial_pages_app.py")
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS, headless=True)
        try:
            base = floor.start()
            f_open = [timed_open(browser, f"{base}/") for _ in range(args.repeats)]
            context = browser.new_context(viewport={"width": 1500, "height": 1400})
            page = context.new_page()
            page.goto(f"{base}/")
            wait_for_app(page)
            f_switch = [timed_switch(page, *(("Two", "two") if i % 2 == 0 else ("One", ""))) for i in range(2 * args.repeats)]
            context.close()
            floor.stop()
            rows.append(("floor (trivial two-page app)", "", med(f_open), med(f_open), med(f_switch)))
            for scenario, query in SCENARIOS.items():
                if args.only and scenario != args.only:
                    continue
                for path, text in PAGES.items():
                    cold = []
                    for _ in range(args.repeats):
                        base = app.start()
                        cold.append(timed_open(browser, f"{base}/{path}?{query}"))
                    warm = [timed_open(browser, f"{base}/{path}?{query}") for _ in range(args.repeats)]
                    context = browser.new_context(viewport={"width": 1500, "height": 1400})
                    page = context.new_page()
                    switch = []
                    for _ in range(args.repeats):
                        start = "gradients" if path == "graph" else "graph"
                        page.goto(f"{base}/{start}?{query}")
                        wait_for_app(page, timeout=300_000)
                        switch.append(timed_switch(page, text, path))
                    context.close()
                    rows.append((scenario, path, med(cold), med(warm), med(switch)))
                    print(f"  {scenario:8} {path:10} cold {med(cold):18} warm {med(warm):18} switch {med(switch)}",
                          flush=True)
                if scenario == "default":
                    context = browser.new_context(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
                    page = context.new_page()
                    page.goto(f"{base}/graph?{query}")
                    wait_for_app(page)
                    downloads = [timed_download(page) for _ in range(args.repeats + 1)]
                    context.close()
                    print(f"  download PNG 1920×1080 on the graph page: first {downloads[0]:.2f} s, "
                          f"then {med(downloads[1:])} s")
        finally:
            app.stop()
            floor.stop()
            browser.close()
    print("\n| scenario | page | first open, cold s | first open, warm s | switch s |\n|---|---|--:|--:|--:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
