"""A page's figures as one bundle: image files plus config.json and link.txt, as a ZIP or into a folder.

config.json is Experiment.to_dict() (load it back with dashboard.config.from_dict); link.txt is the
URL whose query reproduces the experiment (dashboard.config.to_query).
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import plotly.graph_objects as go

from dashboard import export
from dashboard import theme as th
from dashboard.config import Experiment, to_query

CONFIG_NAME = "config.json"
LINK_NAME = "link.txt"


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
           height: int = th.SLIDE_SIZE[1], scale: float = 1, theme: str | None = "projector"):
    """Yield (file name, bytes) for every figure in every format. Raises export.ExportUnavailable."""
    for name, fig in figures.items():
        for fmt, sc in _variants(formats, scale):
            yield export.file_name(name, fmt, sc), export.to_bytes(fig, fmt, width, height, sc, theme)


def page_zip(figures: dict[str, go.Figure], exp: Experiment, link_text: str, formats: list[str],
             theme: str | None = "projector") -> bytes:
    """ZIP holding each figure in each format, config.json and link.txt."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in render(figures, formats, theme=theme):
            z.writestr(name, data)
        z.writestr(CONFIG_NAME, config_json(exp))
        z.writestr(LINK_NAME, link_text + "\n")
    return buf.getvalue()


def write_files(figures: dict[str, go.Figure], out: Path, formats: list[str], width: int, height: int,
                scale: float, theme: str | None, exp: Experiment, link_text: str) -> list[Path]:
    """Write every figure in every format, config.json and link.txt into out; the paths written."""
    written = []
    for name, data in render(figures, formats, width, height, scale, theme):
        path = out / name
        path.write_bytes(data)
        written.append(path)
    for name, text in ((CONFIG_NAME, config_json(exp)), (LINK_NAME, link_text + "\n")):
        (out / name).write_text(text)
        written.append(out / name)
    return written
