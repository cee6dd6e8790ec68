"""Static export of any figure to PNG, SVG or PDF through kaleido and the system Chromium.

One kaleido server (one headless Chromium tab) lives per process, started on the first export with
kaleido.start_sync_server: the first figure costs the browser's start-up (a few seconds), every later
one a few hundred milliseconds. Calls are serialised by a lock (Streamlit runs each download's callable
on its own thread, and kaleido's sync server has one queue). Text is Unicode, MathJax is off: export
works offline.

Where Chromium is missing (or will not start) `unavailable()` says so with the one command that
installs it; nothing else in the app depends on export.

Command line (no browser window; runs the app headlessly and exports what its pages draw):

    python -m dashboard.export --list
    python -m dashboard.export --preset vanishing_tanh --out slides/ [--format png,svg,pdf]
                               [--theme projector|screen] [--width 1920 --height 1080] [--scale 2]
                               [--pages own|all|gradients,training] [--figures gradient-decay,...]
                               [--no-subtitle]
    python -m dashboard.export --config config.json --out slides/ [...]   (a saved experiment, or its ZIP)
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import plotly.graph_objects as go

from dashboard import theme as th

INSTALL = "sudo apt-get install chromium"
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
START_TIMEOUT = 90.0  # s: Chromium's first start on a busy 2-core machine
RENDER_TIMEOUT = 60.0  # s per figure, enforced by kaleido
LOCAL_APP = "http://localhost:8501"  # where `streamlit run dashboard/app.py` serves (link.txt of the CLI)

_lock = threading.Lock()
_state = {"ready": False, "failed": None}  # failed: the reason the server could not start


class ExportUnavailable(RuntimeError):
    """Static export cannot run here (no Chromium, or it would not start)."""


def chromium_path() -> str | None:
    """The Chromium kaleido will drive: $BROWSER_PATH, else chromium (Debian's package) on PATH."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def unavailable() -> str | None:
    """None if export should work, else one sentence saying why not and how to fix it."""
    if _state["failed"]:
        return _state["failed"]
    if chromium_path() is None:
        return f"Figure export needs Chromium, which is not installed here. Install it with: {INSTALL}"
    return None


def _watched(fig, opts: dict, timeout: float) -> bytes:
    """kaleido's sync call, made from a helper thread while watching the server thread.

    A Chromium that fails to launch (or dies) kills kaleido's server thread, after which a call would
    wait forever on its queue; this returns the image, re-raises the render's error, or raises
    ExportUnavailable instead of hanging.
    """
    import kaleido

    server = kaleido._global_server  # the singleton start_sync_server opens
    box: dict = {}

    def call() -> None:
        try:
            box["out"] = kaleido.calc_fig_sync(fig, opts=opts)
        except BaseException as exc:  # noqa: BLE001 (handed to the caller)
            box["error"] = exc

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout
    while worker.is_alive():
        worker.join(0.02)
        if worker.is_alive() and not server._thread.is_alive():
            raise ExportUnavailable(f"Chromium stopped (or never started), so figures cannot be exported. "
                                    f"Reinstall it with: {INSTALL}")
        if time.monotonic() > deadline:
            raise ExportUnavailable(f"Chromium did not answer within {timeout:.0f} s; figure export is off.")
    if "error" in box:
        raise box["error"]
    return box["out"]


def _start() -> None:
    """Start the per-process kaleido server and wait until it renders (caller holds _lock)."""
    import kaleido

    reason = unavailable()
    if reason:
        raise ExportUnavailable(reason)
    try:
        kaleido.start_sync_server(n=1, timeout=RENDER_TIMEOUT, mathjax=False, silence_warnings=True)
        _watched(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), {"format": "png", "width": 64, "height": 64},
                 START_TIMEOUT)
    except ExportUnavailable as exc:
        _off(str(exc))
        raise
    except Exception as exc:  # kaleido/choreographer raise their own types
        _off(f"Figure export failed to start ({type(exc).__name__}: {exc}). Install Chromium with: {INSTALL}")
        raise ExportUnavailable(_state["failed"]) from exc
    _state["ready"] = True


def _off(reason: str) -> None:
    """Export is off for this process, for reason (shown beside the buttons)."""
    import kaleido

    _state["failed"], _state["ready"] = reason, False
    server = kaleido._global_server
    if server.is_running() and not server._thread.is_alive():  # dead: reset the singleton
        kaleido.stop_sync_server(silence_warnings=True)  # (a hung one cannot be joined: it is left alone)


def start() -> None:
    """Make sure the kaleido server runs (blocks for its first start). Raises ExportUnavailable."""
    with _lock:
        if not _state["ready"]:
            _start()


def to_bytes(fig: go.Figure, fmt: str = "png", width: int = th.SLIDE_SIZE[0], height: int = th.SLIDE_SIZE[1],
             scale: float = 1, theme: str | None = "projector") -> bytes:
    """fig as a PNG/SVG/PDF file of width x height (PNG pixels: width*scale x height*scale).

    theme: re-dress the figure in this look first (None: export it exactly as it is).
    Raises ExportUnavailable without Chromium, ValueError for a bad format or size.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not (16 <= width <= 8000 and 16 <= height <= 8000) or not 0.1 <= scale <= 8:
        raise ValueError(f"size {width}x{height} at scale {scale} is out of range (16..8000 px, scale 0.1..8)")
    out = th.for_export(fig, theme, width, height) if theme else go.Figure(fig)
    out.update_layout(width=width, height=height)
    with _lock:
        if not _state["ready"]:
            _start()
        try:
            return _watched(out, {"format": fmt, "width": width, "height": height, "scale": scale},
                            RENDER_TIMEOUT + 15)
        except ExportUnavailable as exc:
            _off(str(exc))
            raise


def file_name(name: str, fmt: str, scale: float = 1) -> str:
    """'gradient-decay.png', 'gradient-decay@2x.png', 'gradient-decay.svg'."""
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "figure"
    suffix = f"@{scale:g}x" if fmt == "png" and scale != 1 else ""
    return f"{stem}{suffix}.{fmt}"


# ---------------------------------------------------------------- command line

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dashboard.export",
        description="Export every figure of a preset's pages (or of a saved experiment's) as slide-ready files, "
                    "plus config.json (the experiment) and link.txt (the query that reproduces it). No browser "
                    "window: the app runs headlessly and the files show exactly what its pages draw.",
        epilog="Pages: by default the preset's own page plus 'gradients' (every preset shows its point "
               "there), every page for --config; --pages all exports every page. Needs Chromium (" + INSTALL +
               "). Exit status: 0 written; 1 written, but a page raised an exception; 2 nothing written (bad "
               "preset or experiment file, format or size, unwritable folder, no Chromium).",
    )
    p.add_argument("--list", action="store_true", help="list the presets and exit")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--preset", help="preset name (see --list)")
    source.add_argument("--config", type=Path, help="a saved experiment: the config.json that the app's \"Save this "
                        "experiment\" downloads (or any export ZIP, which holds it)")
    p.add_argument("--out", type=Path, help="output folder (created if missing)")
    p.add_argument("--format", default="png", help="comma-separated: png,svg,pdf (default png)")
    p.add_argument("--theme", default="projector", choices=th.THEMES,
                   help="figure look (default projector, made for 1920x1080 slides); the screen look is sized "
                        "for ~1000 px charts: with it, try --width 960 --height 540 --scale 2")
    p.add_argument("--width", type=int, default=th.SLIDE_SIZE[0], help="width in px (default 1920)")
    p.add_argument("--height", type=int, default=th.SLIDE_SIZE[1], help="height in px (default 1080)")
    p.add_argument("--scale", type=float, default=1, help="PNG pixel density: 2 writes 3840x2160 (default 1)")
    p.add_argument("--pages", default="own",
                   help="'own' (preset's page + gradients, default), 'all', or comma-separated url paths")
    p.add_argument("--figures", default="",
                   help="only these charts, comma-separated (e.g. gradient-decay,graph_unfolded-graph); default all")
    p.add_argument("--no-subtitle", dest="subtitle", action="store_false",
                   help="leave out the one-line settings subtitle (N, H, cell, ρ(W_s), seed, iterations) under each "
                        "figure's title")
    return p


def _fail(msg: str) -> int:
    print(f"export: error: {msg}", file=sys.stderr)
    return 2


def _writable(out: Path) -> str | None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"cannot write to {out}: {exc.strerror or exc}"
    return None


def main(argv: list[str] | None = None) -> int:
    from dashboard import experiment_file, export_bundle, export_headless, presets

    args = _parser().parse_args(argv)
    catalogue = presets.all_presets()
    if args.list:
        width = max(map(len, catalogue))
        for name, p in catalogue.items():
            print(f"{name:<{width}}  {p.page:<10} {p.title}")
        return 0
    if not (args.preset or args.config) or args.out is None:
        return _fail("give --preset NAME (or --config config.json) and --out DIR (or --list)")
    if args.config is not None:
        try:
            exp, own, source = experiment_file.read_path(args.config), None, f"experiment {str(args.config)!r}"
        except ValueError as exc:
            return _fail(f"cannot export from --config: {exc}")
    elif args.preset not in catalogue:
        return _fail(f"unknown preset {args.preset!r}; choose one of: {', '.join(catalogue)}")
    else:
        exp, own, source = catalogue[args.preset].experiment, catalogue[args.preset].page, f"preset {args.preset!r}"
    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        return _fail(f"unknown format {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}")
    if not (16 <= args.width <= 8000 and 16 <= args.height <= 8000) or not 0.1 <= args.scale <= 8:
        return _fail(f"size {args.width}x{args.height} at scale {args.scale:g} is out of range (16..8000 px, scale 0.1..8)")
    try:
        pages = export_headless.pages_for(own, args.pages)
    except ValueError as exc:
        return _fail(str(exc))
    problem = _writable(args.out) or unavailable()
    if problem:
        return _fail(problem)
    t0 = time.perf_counter()
    starter = threading.Thread(target=_start_quietly, daemon=True)  # Chromium starts while the pages compute
    starter.start()
    figures, errors, notes = export_headless.page_figures(exp, pages, args.theme)
    for note in notes:
        print(f"export: note: {note}", file=sys.stderr)
    for err in errors:
        print(f"export: warning: {err}", file=sys.stderr)
    if args.figures:
        wanted = {w.strip() for w in args.figures.split(",") if w.strip()}
        picked = {k: f for k, f in figures.items() if k in wanted or k.split("_", 1)[1] in wanted}
        if not picked:
            return _fail(f"no figure named {args.figures!r} on {', '.join(pages)}; there are: {', '.join(figures)}")
        figures = picked
    starter.join()
    try:
        extra = {"projector": "true"} if args.theme == "projector" else None
        link_text = export_bundle.link(exp, f"{LOCAL_APP}/{pages[0]}", extra)
        lines = {name: export_bundle.subtitle(exp, name.split("_", 1)[0]) for name in figures} if args.subtitle else None
        written = export_bundle.write_files(figures, args.out, formats, args.width, args.height, args.scale,
                                            args.theme, exp, link_text, lines)
    except ExportUnavailable as exc:
        return _fail(str(exc))
    for path in written:
        print(path)
    print(f"{len(written)} files from {len(figures)} figures of {source} "
          f"({', '.join(pages)}) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 1 if errors else 0


def _start_quietly() -> None:
    try:
        start()
    except ExportUnavailable:
        pass  # reported by write_files


if __name__ == "__main__":
    from dashboard.export import main as _main  # the package module, so its server state is the one pages use

    sys.exit(_main())
