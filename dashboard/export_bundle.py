"""A page's figures as one bundle: image files plus config.json and link.txt, as a ZIP or into a folder.

config.json is Experiment.to_dict() (load it back with dashboard.experiment_file.read); link.txt is the
URL whose query reproduces the experiment (dashboard.config.to_query). Each figure can carry a one-line
settings subtitle (config.settings_line) so that a slide says what it shows.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import plotly.graph_objects as go

from dashboard import export
from dashboard import theme as th
from dashboard.config import Experiment, settings_line, to_query
from dashboard.seed import SIDEBAR_USES

CONFIG_NAME = "config.json"
LINK_NAME = "link.txt"
AT_INITIAL_WEIGHTS = {"graph", "theory", "weights"}  # pages drawn at θ(0): their subtitle names no training
PAGE_USES = {"seed": SIDEBAR_USES}  # pages that use only some of the settings
PAGE_WORDS = {"seed": "Bird classifier, one step · ",  # what a page's subtitle starts with
              "compare": "A: "}  # the sidebar's experiment is A; B's changes are in the legend


def subtitle(exp: Experiment, page: str) -> str:
    """The settings line under the title of an exported figure of `page` (its url path)."""
    return PAGE_WORDS.get(page, "") + settings_line(exp, PAGE_USES.get(page), trained=page not in AT_INITIAL_WEIGHTS)


def with_subtitle(fig: go.Figure, line: str) -> go.Figure:
    """A copy of fig whose title's subtitle ends with line (a line below the figure's own note, if it has one)."""
    out = go.Figure(fig)
    note = out.layout.title.subtitle.text
    out.layout.title.subtitle.text = f"{note}<br>{line}" if note else line
    return out


def config_json(exp: Experiment) -> str:
    return json.dumps(exp.to_dict(), indent=2, ensure_ascii=False) + "\n"


def link(exp: Experiment, base: str = "", extra: dict | None = None) -> str:
    """base?query reproducing exp (base: the app's URL without its query, '' for the bare query)."""
    query = to_query(exp)
    if extra:
        from urllib.parse import urlencode

        query = "&".join(q for q in (query, urlencode(extra)) if q)
    base = base.split("?")[0]
    return f"{base}?{query}" if query else (base or "?")


def _variants(formats: list[str], scale: float) -> list[tuple[str, float]]:
    """(format, scale) pairs; 'png2x' in formats means a PNG at scale 2."""
    out = []
    for f in formats:
        if f == "png2x":
            out.append(("png", 2.0))
        else:
            out.append((f, scale if f == "png" else 1.0))
    return out


def render(figures: dict[str, go.Figure], formats: list[str], width: int = th.SLIDE_SIZE[0],
           height: int = th.SLIDE_SIZE[1], scale: float = 1, theme: str | None = "projector",
           subtitles: dict[str, str] | None = None):
    """Yield (file name, bytes) for every figure in every format, each with its line of `subtitles` (figure name ->
    line; none for a figure not in it). Raises export.ExportUnavailable."""
    for name, fig in figures.items():
        if subtitles and subtitles.get(name):
            fig = with_subtitle(fig, subtitles[name])
        for fmt, sc in _variants(formats, scale):
            yield export.file_name(name, fmt, sc), export.to_bytes(fig, fmt, width, height, sc, theme)


def page_zip(figures: dict[str, go.Figure], exp: Experiment, link_text: str, formats: list[str],
             theme: str | None = "projector", page: str | None = None) -> bytes:
    """ZIP holding each figure in each format, config.json and link.txt; with page (its url path), each figure
    carries the settings subtitle."""
    lines = {name: subtitle(exp, page) for name in figures} if page else None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in render(figures, formats, theme=theme, subtitles=lines):
            z.writestr(name, data)
        z.writestr(CONFIG_NAME, config_json(exp))
        z.writestr(LINK_NAME, link_text + "\n")
    return buf.getvalue()


def write_files(figures: dict[str, go.Figure], out: Path, formats: list[str], width: int, height: int,
                scale: float, theme: str | None, exp: Experiment, link_text: str,
                subtitles: dict[str, str] | None = None) -> list[Path]:
    """Write every figure in every format (each with its line of `subtitles`), config.json and link.txt into out;
    the paths written."""
    written = []
    for name, data in render(figures, formats, width, height, scale, theme, subtitles):
        path = out / name
        path.write_bytes(data)
        written.append(path)
    for name, text in ((CONFIG_NAME, config_json(exp)), (LINK_NAME, link_text + "\n")):
        (out / name).write_text(text)
        written.append(out / name)
    return written
