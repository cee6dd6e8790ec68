"""The two looks of every figure: 'screen' for a laptop, 'projector' for the back row of a lecture hall.

Both are white, flat and quiet (no background tint, faint grid, no zero lines, no border around the
legend); the projector look scales everything up for a 1920x1080 slide seen from 20 m: 30 px text,
44 px titles, 6 px lines. Colour scales are colour-blind safe: Okabe-Ito (2008) for lines, Viridis
for magnitudes (perceptually uniform, readable in greyscale), RdBu_r for signed values centred on 0.

Figure builders call `apply(fig, theme)` last; export calls `for_export(fig, theme)`, which can also
re-dress a figure built in the other look (explicit font sizes, line widths and marker sizes scale).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito (2008) colour-blind-safe qualitative palette (yellow last: weak on white).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
MAGNITUDE_SCALE = "Viridis"  # perceptually uniform, colour-blind safe
DIVERGING_SCALE = "RdBu_r"  # for signed weights, centred on 0
THEMES = ("screen", "projector")
SLIDE_SIZE = (1920, 1080)
FONT_FAMILY = "Arial, 'Liberation Sans', Helvetica, sans-serif"  # Liberation Sans has ∂ ‖ σ γ κ φ ₀-₉ ᵀ
INK = "#1a1a1a"  # text and axis lines: near-black reads sharper than grey on a washed-out projector
GRID = "#e3e3e3"
SUBTITLE = 0.7  # plotly's subtitle font size, as a fraction of the title's
LEGEND_GAP = "\u2003\u2003"  # two em spaces after each entry of a horizontal legend in exported images


@dataclass(frozen=True)
class Look:
    """Sizes (px) of one theme."""

    font: int  # tick labels, legend, annotations
    axis_title: int
    title: int
    line: float  # data lines
    marker: int
    axis_line: float
    grid: float
    colorbar: int  # colour bar thickness
    hover: int
    height: int  # on-screen chart height; export sets its own size


LOOKS = {
    "screen": Look(font=14, axis_title=15, title=19, line=2.5, marker=7, axis_line=1.2, grid=1, colorbar=16,
                   hover=14, height=460),
    "projector": Look(font=30, axis_title=32, title=44, line=6.0, marker=14, axis_line=2.5, grid=1.5, colorbar=34,
                      hover=22, height=640),  # 640: under a title, on a 1080 screen
}


def look(theme: str) -> Look:
    if theme not in LOOKS:
        raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(THEMES)}")
    return LOOKS[theme]


def _axis(lk: Look) -> dict:
    return dict(
        showgrid=True, gridcolor=GRID, gridwidth=lk.grid, zeroline=False, showline=True, linecolor=INK,
        linewidth=lk.axis_line, mirror=False, ticks="outside", ticklen=lk.font // 3, tickwidth=lk.axis_line,
        tickcolor=INK, tickfont=dict(size=lk.font), automargin=True,
        title=dict(font=dict(size=lk.axis_title), standoff=lk.font // 2),
        minor=dict(showgrid=False),
    )


def _colorbar(lk: Look) -> dict:
    return dict(thickness=lk.colorbar, outlinewidth=0, ticks="outside", ticklen=lk.font // 3,
                tickfont=dict(size=lk.font), title=dict(font=dict(size=lk.axis_title)))


def _template(name: str) -> go.layout.Template:
    lk = LOOKS[name]
    big = name == "projector"
    cb = _colorbar(lk)
    return go.layout.Template(
        layout=dict(
            font=dict(family=FONT_FAMILY, size=lk.font, color=INK),
            title=dict(font=dict(size=lk.title, weight="bold" if big else "normal"), x=0, xref="paper",
                       xanchor="left", y=1, yref="container", yanchor="top", pad=dict(t=lk.font // 2, b=lk.font // 2),
                       automargin=True),
            paper_bgcolor="white",
            plot_bgcolor="white",
            colorway=list(OKABE_ITO),
            xaxis=_axis(lk),
            yaxis=_axis(lk),
            legend=dict(bgcolor="rgba(255,255,255,0.85)", borderwidth=0, font=dict(size=lk.font),
                        itemwidth=60 if big else 30, title=dict(font=dict(size=lk.font))),
            margin=dict(l=lk.font, r=lk.font * 2, t=lk.font, b=lk.font, pad=0, autoexpand=True),
            colorscale=dict(sequential=MAGNITUDE_SCALE, sequentialminus=MAGNITUDE_SCALE, diverging=DIVERGING_SCALE),
            coloraxis=dict(colorbar=cb),
            hoverlabel=dict(font=dict(size=lk.hover, family=FONT_FAMILY)),
            annotationdefaults=dict(font=dict(size=lk.font), arrowwidth=lk.axis_line, arrowcolor=INK),
            shapedefaults=dict(line=dict(width=lk.axis_line, color=INK)),
            height=lk.height,
            hovermode="closest",
        ),
        data=dict(
            scatter=[go.Scatter(line=dict(width=lk.line), marker=dict(size=lk.marker, colorbar=cb))],
            scattergl=[go.Scattergl(line=dict(width=lk.line), marker=dict(size=lk.marker, colorbar=cb))],
            heatmap=[go.Heatmap(colorbar=cb)],
            contour=[go.Contour(colorbar=cb)],
            histogram2d=[go.Histogram2d(colorbar=cb)],
            bar=[go.Bar(marker=dict(line=dict(width=0)), textfont=dict(size=lk.font))],
            histogram=[go.Histogram(marker=dict(line=dict(width=0)))],
            box=[go.Box(line=dict(width=lk.line / 2), marker=dict(size=lk.marker * 0.6))],
        ),
    )


for _name in THEMES:
    pio.templates[f"rnnlab_{_name}"] = _template(_name)
# New figures start in the screen look: plotly gives its default template to a new figure without the deep
# copy that assigning a template by name costs (~10 ms a figure), so apply() only re-dresses what differs.
pio.templates.default = "rnnlab_screen"


def apply(fig: go.Figure, theme: str = "screen") -> go.Figure:
    """fig with the chosen look (returns the same figure for chaining).

    Scatter lines without an explicit width get the theme's width through the template; lines a
    builder drew with an explicit width (e.g. th.line_width(theme)) keep it, but in the projector look
    none is thinner than half the main line (faint reference lines stay faint through their colour).
    """
    lk = look(theme)  # validates the name
    if theme_of(fig) != theme:  # a new figure already wears the screen look (the default template)
        fig.update_layout(template=f"rnnlab_{theme}")
    if theme == "projector":  # a 1 px line vanishes on a projector: no line thinner than half the main one
        floor = lk.line / 2
        for trace in fig.data:
            line = getattr(trace, "line", None)
            if trace.type in ("scatter", "scattergl") and line is not None and line.width is not None \
                    and line.width < floor:
                line.width = floor
        for shape in fig.layout.shapes:
            if shape.line.width is not None and shape.line.width < floor:
                shape.line.width = floor
    return fig


def line_width(theme: str) -> float:
    return look(theme).line


def marker_size(theme: str) -> int:
    return look(theme).marker


def font_size(theme: str) -> int:
    """Base text size (ticks, legend, annotations) of the theme, in px."""
    return look(theme).font


def theme_of(fig: go.Figure) -> str | None:
    """Which of our looks fig was dressed in (None if neither)."""
    tpl = fig.layout.template
    size = tpl.layout.font.size if tpl is not None and tpl.layout is not None else None
    for name, lk in LOOKS.items():
        if size == lk.font:
            return name
    return None


_SIZE_KEYS = ("size",)
_FONT_KEYS = ("font", "tickfont", "textfont", "titlefont", "insidetextfont", "outsidetextfont")
_WIDTH_KEYS = ("width",)


def _rescale(obj, factor: float, parent: str = "") -> None:
    """Multiply explicit font sizes, line widths and marker sizes in a figure dict by factor (in place)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                _rescale(v, factor, k)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                if k == "size" and parent in _FONT_KEYS + ("marker",):
                    obj[k] = v * factor
                elif k == "width" and parent in ("line", "error_x", "error_y"):
                    obj[k] = v * factor
    elif isinstance(obj, list):
        for item in obj:
            _rescale(item, factor, parent)


def for_export(fig: go.Figure, theme: str = "projector", width: int | None = None,
               height: int | None = None) -> go.Figure:
    """A copy of fig dressed for a static image in `theme` (fig itself is not changed).

    A figure built in the other look is re-dressed: the template changes, and explicit sizes the builder
    set (annotation fonts, line widths, marker sizes) scale by the ratio of the two looks' base fonts.
    The figure's own width/height are dropped: the export size comes from the caller.
    """
    target = look(theme)
    built = theme_of(fig)
    d = copy.deepcopy(fig.to_plotly_json())
    layout = d.setdefault("layout", {})
    layout.pop("template", None)
    layout.pop("width", None)
    layout.pop("height", None)
    layout["autosize"] = True
    if built is not None and built != theme:
        factor = target.font / LOOKS[built].font
        _rescale(d.get("data", []), factor)
        _rescale(layout, factor)
    for trace in d.get("data", []):
        if trace.get("type", "scatter") in ("scatter", "scattergl"):
            trace.setdefault("cliponaxis", False)  # a static image cannot zoom: never cut a marker in half
    legend = layout.get("legend") or {}
    if legend.get("orientation") == "h":  # a static image has no hover: give side-by-side entries air
        for trace in d.get("data", []):
            if trace.get("name") and trace.get("showlegend", True):
                trace["name"] = trace["name"].rstrip() + LEGEND_GAP
    out = go.Figure(d)
    apply(out, theme)
    if width and height:
        out.update_layout(width=width, height=height)
        fit_text(out, width, height, theme)
    return out


def _visible_len(text: str) -> int:
    return len(re.sub(r"<[^>]+>", "", text))


def wrap(text: str | None, font_px: float, width_px: float, bold: bool = False) -> str | None:
    """text broken into lines (<br>) at spaces so that each line fits width_px at font_px.

    Plotly never wraps titles itself: a long one is cut off at the figure's edge. Widths are
    estimated from Arial's mean advance (0.53 em regular, 0.60 em bold), a little generously.
    """
    if not text or "<br>" in text:
        return text
    max_chars = max(10, int(width_px / (font_px * (0.60 if bold else 0.53))))
    if _visible_len(text) <= max_chars:
        return text
    lines: list[str] = []
    for word in text.split():
        if lines and _visible_len(lines[-1]) + 1 + _visible_len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _top_legend_height(fig: go.Figure, width: int, lk: Look) -> int:
    """Estimated px height of a horizontal legend drawn above the plot (0 if there is none)."""
    legend = fig.layout.legend
    if legend.orientation != "h" or (legend.y is not None and legend.y < 1) or fig.layout.showlegend is False:
        return 0
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    if not names:
        return 0
    entries = sum(_visible_len(n) * 0.53 * lk.font + 2 * lk.font + 40 for n in names)  # text, symbol, gap
    rows = max(1, int(np.ceil(entries / (0.9 * width))))
    return int(rows * 1.3 * lk.font + lk.font // 2)


def _one_line_size(text: str, width_px: float, bold: bool = False) -> float:
    """The font size (px) at which text just fits width_px on one line (Arial's mean advance)."""
    return width_px / (max(1, _visible_len(text)) * (0.60 if bold else 0.53))


def fit_text(fig: go.Figure, width: int, height: int, theme: str) -> go.Figure:
    """Fit fig's text (in place) into a width x height image. Plotly neither wraps nor shrinks text: a
    long title is cut off at the figure's edge. A long title (down to 0.8x the base text size) or x-axis
    title (down to 0.65x its size) shrinks to one line, and wraps only below that; a long y-axis or
    colour-bar title wraps.
    """
    lk = look(theme)
    bold = theme == "projector"
    title = fig.layout.title.text
    plot_width = width - 5 * lk.font  # the title starts above the plot, right of the y tick labels
    if title and "<br>" not in title:
        # plotly cannot stack a multi-line title and a top legend: shrink the title to one line first
        fits = _one_line_size(title, plot_width, bold)
        if fits < (fig.layout.title.font.size or lk.title):
            if fits >= 0.8 * lk.font:
                fig.layout.title.font.size = int(fits)
            else:  # very long: the base size, wrapped, anchored on the plot (space made by automargin)
                sub = fig.layout.title.subtitle.text  # drawn under the title: inside the pad, room made for it
                sub_room = int(1.6 * (fig.layout.title.subtitle.font.size or SUBTITLE * lk.font)
                               * (sub.count("<br>") + 1)) if sub else 0
                fig.layout.title.update(text=wrap(title, lk.font, plot_width, bold), font_size=lk.font,
                                        yref="paper", y=1, yanchor="bottom", automargin=True,
                                        pad_b=_top_legend_height(fig, width, lk) + lk.font // 3 + sub_room)

    sub = fig.layout.title.subtitle.text
    if sub:  # its lines (a note, the settings line of an export) shrink to fit; they are never wrapped
        size = fig.layout.title.subtitle.font.size or SUBTITLE * (fig.layout.title.font.size or lk.title)
        fits = min(_one_line_size(line, plot_width) for line in sub.split("<br>"))
        if fits < size:
            fig.layout.title.subtitle.font.size = int(max(fits, 0.5 * lk.font))

    def along(ax, extent: float) -> float:
        lo, hi = ax.domain if ax.domain else (0, 1)
        return 0.9 * extent * (hi - lo)

    def fit_x(ax) -> None:
        text = ax.title.text
        if not text or "<br>" in text:
            return
        room = along(ax, plot_width)
        fits = _one_line_size(text, room)
        if fits < (ax.title.font.size or lk.axis_title):
            floor = 0.65 * lk.axis_title
            ax.title.font.size = int(max(fits, floor))
            if fits < floor:  # a multi-line x title is cut at the bottom: wrap only as a last resort
                ax.title.text = wrap(text, floor, room)

    fig.for_each_xaxis(fit_x)
    fig.for_each_yaxis(lambda ax: ax.title.text and ax.title.update(text=wrap(ax.title.text, lk.axis_title, along(ax, 0.6 * height))))
    for trace in fig.data:
        cb = getattr(trace, "colorbar", None) or getattr(getattr(trace, "marker", None), "colorbar", None)
        if cb is not None and cb.title.text and cb.title.side in (None, "right"):
            cb.title.text = wrap(cb.title.text, lk.axis_title, 0.55 * height)
    return fig


# On screen in a dark browser theme: the figure's colours for a dark page (exports keep the light looks).
DARK_BACKGROUND = "rgba(0,0,0,0)"  # the page's own background shows through
DARK = {INK: "#e6e6e6", GRID: "#30343c", "#333333": "#d0d0d0", "#555555": "#b4b4b4", "#666666": "#a8a8a8",
        "#bbbbbb": "#555a64", "white": DARK_BACKGROUND, "rgba(255,255,255,0.85)": "rgba(30,30,30,0.85)"}


def on_dark(fig: go.Figure) -> go.Figure:
    """A copy of fig for a dark page: light ink, dark background and grid. Node discs drawn with text inside
    (the unfolded graph's) keep their light fill and dark text."""
    d = copy.deepcopy(fig.to_plotly_json())
    layout = _recolour(d.get("layout", {}))  # its template too: the axes' ink and grid come from there
    layout.update(paper_bgcolor=DARK_BACKGROUND, plot_bgcolor=DARK_BACKGROUND)
    layout.setdefault("font", {})["color"] = DARK[INK]
    for trace in d.get("data", []):
        marker = trace.get("marker") or {}
        on_disc = "text" in (trace.get("mode") or "") and marker.get("color") is not None
        fill, text = marker.get("color"), (trace.get("textfont") or {}).get("color", INK)
        trace.update(_recolour(trace))
        if on_disc:  # the discs keep their fill, and their text its (dark) colour
            trace["marker"]["color"] = fill
            trace.setdefault("textfont", {})["color"] = text
    return go.Figure({"data": d.get("data", []), "layout": layout})


def _recolour(obj):
    if isinstance(obj, dict):
        return {k: _recolour(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_recolour(v) for v in obj]
    if isinstance(obj, str):
        return DARK.get(obj, obj)
    return obj


def plotly_config(filename: str = "rnn-gradient-lab") -> dict:
    """st.plotly_chart config: the camera button downloads a slide-sized PNG (1920x1080)."""
    w, h = SLIDE_SIZE
    return {
        "displaylogo": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
        "toImageButtonOptions": {"format": "png", "filename": filename, "width": w, "height": h, "scale": 1},
    }
