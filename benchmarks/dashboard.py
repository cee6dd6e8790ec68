"""Dashboard speed: from a slider change to the redrawn chart, in a real headless Chromium.

On the gradients page (/gradients) the sidebar's sequence-length slider N is moved one step with the
keyboard (focus the thumb, ArrowRight) and the clock runs until the first plotly chart of the page
holds different data and the server has reported the script run finished (its script_finished
message has arrived over the websocket).
Every step is a new N, so nothing comes from a cache. The same is measured on benchmarks/trivial_app.py
(one slider, one plotly line chart of a few points): the floor that Streamlit itself sets.

What follows the run is not timed but waited for (up to 5 s, until the server has been quiet for 0.5 s)
before the next change: the gradients page fills its training heatmap in after the page, in 0.1 s slices.
A change made while a slice runs waits for it, so that cost is inside the numbers (the large case never
gets quiet within 5 s).

Scenarios: the default experiment, the same with an LSTM (/gradients?v=2&cell=lstm), and N = 500, H = 128.
Targets (dashboard issue): median within 1.5x of the floor for the default, under 2x for the large one.

    python benchmarks/dashboard.py                 # 10 changes per scenario
    python benchmarks/dashboard.py --repeats 5     # fewer
    python benchmarks/dashboard.py --only default   # one scenario (the floor is always measured)
    python benchmarks/dashboard.py --app /tmp/old/dashboard/app.py   # another checkout (before/after)

The floor and each scenario take turns change by change, so both see the same load.

The machine may be shared: the load average is printed before and after; compare runs with that in mind.
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

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM_FLAGS,
    N_SLIDER,
    SIGNATURE_JS,
    free_port,
    start_streamlit,
    wait_for_app,
)

SCENARIOS = {  # name -> (app script, url path and query)
    "floor": (ROOT / "benchmarks" / "trivial_app.py", ""),
    "default": (ROOT / "dashboard" / "app.py", "gradients?v=2"),
    "LSTM": (ROOT / "dashboard" / "app.py", "gradients?v=2&cell=lstm"),
    "N=500,H=128": (ROOT / "dashboard" / "app.py", "gradients?v=2&N=500&H=128"),
}
TARGETS = {"default": 1.5, "LSTM": 2.0, "N=500,H=128": 2.0}

# Streamlit's status widget shows "Running..." only after 500 ms, so it cannot tell when a short run ends.
# Instead every websocket message is scanned (a ForwardMsg, protobuf): field 6 is script_finished, and
# values 0 (finished) and 1 (compile error) end a full script run. window.__stRuns counts them.
COUNT_RUNS_JS = """(() => {
    window.__stRuns = 0;
    window.__stLastMessage = performance.now();
    const scan = buf => {
        const b = new Uint8Array(buf);
        let i = 0;
        const varint = () => { let r = 0, m = 1, x; do { x = b[i++]; r += (x & 127) * m; m *= 128; } while (x & 128 && i < b.length); return r; };
        while (i < b.length) {
            const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
            if (field === 6 && wire === 0) return varint();
            if (wire === 0) varint(); else if (wire === 2) { const n = varint(); i += n; } else if (wire === 1) i += 8;
            else if (wire === 5) i += 4; else return -1;
        }
        return -1;
    };
    const count = buf => { const status = scan(buf); if (status === 0 || status === 1) window.__stRuns += 1; };
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', ev => {
                window.__stLastMessage = performance.now();
                if (ev.data instanceof ArrayBuffer) count(ev.data);
                else if (ev.data instanceof Blob) ev.data.arrayBuffer().then(count);
            });
        }
    };
})();"""
QUIET_JS = "(ms) => performance.now() - window.__stLastMessage > ms"
CHANGED_JS = ("([before, runs]) => { const s = (" + SIGNATURE_JS + ")(); "
              "return s !== null && s !== before && window.__stRuns > runs; }")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(q / 100 * len(v) + 0.5)) - 1))
    return v[k]


def settle(page, quiet_ms: int = 500, most_ms: int = 5000) -> None:
    """Before the next change: wait until the server has sent nothing for quiet_ms (work that follows a
    run, such as the heatmap filling in, is over), but at most most_ms; a user does not wait longer."""
    try:
        page.wait_for_function(QUIET_JS, arg=quiet_ms, timeout=most_ms, polling=50)
    except Exception:  # noqa: BLE001 (still busy: measure the next change while it works, as a user would)
        pass


def open_page(browser, url: str, timeout_s: float):
    """A fresh browser context on url, loaded, its first chart drawn and the server quiet."""
    context = browser.new_context(viewport={"width": 1500, "height": 1400})
    context.add_init_script(COUNT_RUNS_JS)
    page = context.new_page()
    page.goto(url)
    wait_for_app(page, timeout=timeout_s * 1000)
    page.wait_for_selector(".js-plotly-plot", timeout=timeout_s * 1000)
    settle(page)
    return page


def time_change(page, timeout_s: float) -> float:
    """Seconds from ArrowRight on the N slider to the redrawn chart of a finished run."""
    before, runs = page.evaluate(SIGNATURE_JS), page.evaluate("window.__stRuns")
    page.locator(N_SLIDER).focus()
    t0 = time.perf_counter()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(CHANGED_JS, arg=[before, runs], timeout=timeout_s * 1000, polling="raf")
    dt = time.perf_counter() - t0
    settle(page)
    return dt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10, help="timed slider changes per scenario (default 10)")
    ap.add_argument("--only", nargs="*", choices=[n for n in SCENARIOS if n != "floor"],
                    help="run only these dashboard scenarios (the floor is always measured beside them)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for one redraw")
    ap.add_argument("--app", type=Path, default=None,
                    help="the dashboard's app.py to measure (default: this checkout's), e.g. an older export")
    args = ap.parse_args(argv)
    if args.app is not None:
        for name, (_script, path) in list(SCENARIOS.items()):
            if name != "floor":
                SCENARIOS[name] = (args.app.resolve(), path)
    names = args.only or [n for n in SCENARIOS if n != "floor"]

    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        print("chromium is not on PATH (apt-get install chromium).", file=sys.stderr)
        return 2
    log_dir = ROOT / "tests" / "artifacts"
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    results: dict[str, tuple[list[float], list[float]]] = {}  # scenario -> (its times, the floor's beside it)
    servers = {}
    try:
        for script in {SCENARIOS[n][0] for n in ["floor", *names]}:
            port = free_port()
            servers[script] = (port, start_streamlit(script, port, log_dir / f"bench_{script.stem}.log"))

        def url(name: str) -> str:
            script, path = SCENARIOS[name]
            return f"http://127.0.0.1:{servers[script][0]}/{path}"

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS, headless=True)
            for name in names:
                # The floor and the scenario take turns, so both see the same load on a shared machine.
                pages = {"floor": open_page(browser, url("floor"), args.timeout),
                         name: open_page(browser, url(name), args.timeout)}
                times: dict[str, list[float]] = {"floor": [], name: []}
                for i in range(args.repeats + 1):  # the first round warms up (first figure of its kind)
                    for which, page in pages.items():
                        dt = time_change(page, args.timeout)
                        if i:
                            times[which].append(dt)
                for page in pages.values():
                    page.context.close()
                results[name] = (times[name], times["floor"])
                print(f"  {name:<12} " + " ".join(f"{t * 1000:.0f}" for t in times[name]) + " ms;  floor beside it "
                      + " ".join(f"{t * 1000:.0f}" for t in times["floor"]) + " ms", flush=True)
            browser.close()
    finally:
        for _, proc in servers.values():
            proc.terminate()
            proc.wait(10)

    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\n{'scenario':<13}{'n':>4}{'median ms':>11}{'p90 ms':>9}{'floor med':>11}{'floor p90':>11}"
          f"{'x floor':>9}{'target':>8}  verdict")
    for name, (times, floor) in results.items():
        med, p90, fmed = statistics.median(times), percentile(times, 90), statistics.median(floor)
        ratio = med / fmed
        target = TARGETS.get(name)
        verdict = "met" if ratio <= target else "MISSED"
        print(f"{name:<13}{len(times):>4}{med * 1000:>11.0f}{p90 * 1000:>9.0f}{fmed * 1000:>11.0f}"
              f"{percentile(floor, 90) * 1000:>11.0f}{ratio:>9.2f}{target:>7.1f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
