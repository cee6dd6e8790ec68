"""The recurrent network unfolded along the time axis, each edge coloured by the gradient flowing back through it.

One column per time step n, one row per node: x(n) -> a(n) -> s(n) -> y(n) -> loss, with the recurrent
edge s(n-1) -> a(n) (where W_s acts; s(0) on the left). BPTT sends the gradient back along every edge:

    s(n-1) <- a(n):  W_s^T delta(n)          a(n) <- s(n):  delta(n) = phi'(a(n)) * dL/ds(n)
    x(n)  -> a(n):   delta(n) x(n)^T (step n's share of dL/dW_x)
    s(n)  <- y(n):   W_y^T dl_n/dz(n) (only where a loss term l_n is read)

Gated cells add the path that lets the gradient survive. LSTM: a row c(n) between the gates a(n) and
s(n), and the cell-state path c(n-1) -> c(n), coloured by ||f(n) * dL/dc(n)|| (the constant error
carousel). GRU: the gated shortcut s(n-1) -> s(n), coloured by ||z(n) * dL/ds(n)||; W_s's path
s(n-1) -> a(n) is drawn as for the Elman cell.

For long sequences only the first and last few steps (and the selected one) are drawn; the rest is
elided behind a "… k steps …" column, so N = 1000 stays as readable as N = 10.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboard import theme as th

ROWS = {"x": 0.0, "a": 1.0, "s": 2.0, "y": 3.0, "L": 4.0}
ROW_NAMES = {"screen": ("input x(n)", "pre-activation a(n)", "state s(n)", "read-out y(n)", "loss"),
             "projector": ("x(n)", "a(n)", "s(n)", "y(n)", "loss")}
LSTM_ROWS = {"x": 0.0, "a": 1.0, "c": 2.0, "s": 3.0, "y": 4.0, "L": 5.0}
LSTM_ROW_NAMES = {"screen": ("input x(n)", "gates a(n): i f g o", "cell state c(n)", "state s(n)", "read-out y(n)",
                             "loss"),
                  "projector": ("x(n)", "gates a(n)", "c(n)", "s(n)", "y(n)", "loss")}
GATE_NAMES = {"elman": "pre-activation", "lstm": "gates i, f, g, o", "gru": "gates r, z and candidate g"}
# Node labels are set in the look's own text size (th.font_size), so the nodes grow to hold them, and the
# number of columns drawn follows from the width of a node: ROOM is the plot width (px) each look is laid out
# for. Screen: a ~1040 px chart beside the sidebar. Projector: between a 1920x1080 slide (~1600 px: nodes
# with air between them) and the ~1420 px chart of a 1920 px wide browser in projector mode (~1120 px:
# nodes almost touching).
ROOM = {"screen": 780, "projector": 1250}
PAD_EM, GAP_EM = 0.5, 0.6  # space inside a node around its label, and between neighbouring nodes (in em)
ARROW_EM = 0.8  # at least this much of every vertical arrow shows between two rows of nodes (in em)
# Advance widths (em) of Arial / Liberation Sans for the characters of the node labels; others count 0.556.
ADVANCE = {**dict.fromkeys("sxyL", 0.5), "(": 0.333, ")": 0.333, "ℓ": 0.42, "…": 1.0}
# Line sizes in px per look: node outline, edge widths
SIZES = {"screen": dict(outline=1.4, wmin=1.2, wmax=7.0), "projector": dict(outline=2.5, wmin=2.5, wmax=12.0)}
NO_GRADIENT = "#bbbbbb"  # edges where exactly zero gradient flows (truncated, or no loss read)
OVERFLOW = th.OKABE_ITO[3]  # edges whose gradient overflowed to inf / NaN
HIGHLIGHT = "rgba(230, 159, 0, 0.16)"  # Okabe-Ito orange, behind the selected step


@dataclass(frozen=True)
class EdgeGradients:
    """The gradient norms the graph is coloured by; entry n-1 belongs to step n (Frobenius over the batch).

    recurrent: (N,) ||dL/ds(n-1)||, the gradient at s(n-1) (n = 1: s(0)); it equals ||W_s^T delta(n)||,
               the part that came back through W_s, wherever no loss term is read at step n-1
    preact:    (N,) ||delta(n)|| = ||dL/da(n)||
    input:     (N,) ||delta(n) x(n)^T||, step n's share of dL/dW_x
    state:     (N,) ||dL/ds(n)||, total (for the hover on the nodes)
    readout:   (N,) ||W_y^T dl_n/dz(n)||, NaN where no loss term is read at step n
    s0:        ||dL/ds(0)||
    loss:      L
    cell:      "elman" | "lstm" | "gru"
    direct:    (N,) gated cells: ||f(n) * dL/dc(n)|| (LSTM) or ||z(n) * dL/ds(n)|| (GRU), what step n hands to
               step n-1 through the direct term (log.direct_grad)
    cell_state: (N,) LSTM: ||dL/dc(n)||;  c0: ||dL/dc(0)||
    """

    recurrent: np.ndarray
    preact: np.ndarray
    input: np.ndarray
    state: np.ndarray
    readout: np.ndarray
    s0: float
    loss: float
    cell: str = "elman"
    direct: np.ndarray | None = None
    cell_state: np.ndarray | None = None
    c0: float = float("nan")

    def __post_init__(self):
        if self.cell != "elman" and self.direct is None:
            raise ValueError(f"a {self.cell.upper()} graph needs the direct-term gradients (log.direct_grad).")
        if self.cell == "lstm" and self.cell_state is None:
            raise ValueError("an LSTM graph needs ||dL/dc(n)|| (log.cell_grad).")

    @property
    def N(self) -> int:
        return len(self.preact)

    @property
    def read(self) -> np.ndarray:
        """(N,) bool: a loss term is read at step n."""
        return ~np.isnan(self.readout)

    @property
    def rows(self) -> dict[str, float]:
        """Node row -> y position: x, a, (c,) s, y, L."""
        return LSTM_ROWS if self.cell == "lstm" else ROWS


def edge_values(g: EdgeGradients) -> np.ndarray:
    """Every gradient norm an edge of the graph carries (the colour scale spans their log10 range)."""
    extra = [a for a in (g.direct, g.cell_state) if a is not None]
    return np.concatenate([g.recurrent, g.preact, g.input, g.readout[g.read], [g.s0], *extra])


def colour_range(g: EdgeGradients) -> tuple[float, float]:
    """(min, max) of log10 of the edges' gradient norms: the graph's colour scale."""
    s = _Scale(edge_values(g), "screen")
    return s.lo, s.hi


def label_em(text: str) -> float:
    """Width of a node label in em (Arial's advance widths)."""
    return sum(ADVANCE.get(c, 0.556) for c in text)


def node_px(N: int, theme: str = "screen") -> float:
    """Diameter (px) of a node: the widest label of an N-step graph, a(N), in the look's text size, plus padding."""
    return (label_em(f"a({N})") + PAD_EM) * th.font_size(theme)


def limits(N: int, theme: str = "screen") -> tuple[int, int, int]:
    """(max_full, head, tail): up to max_full steps all are drawn; beyond, the first `head`, the last `tail`
    and the selected step, each elided run of steps taking one column. As many columns as ROOM holds nodes
    of the size the labels of an N-step graph need (s(0), head, gap, selected, gap, tail).
    """
    columns = int(ROOM[theme] // (node_px(N, theme) + GAP_EM * th.font_size(theme)))
    ends = max(2, columns - 5)  # head + tail
    head = max(1, ends // 3)
    return columns - 1, head, ends - head


# (max_full, head, tail) per look for graphs of up to 99 steps (labels up to a(99)); the page asks for max_full
LIMITS = {theme: limits(99, theme) for theme in th.THEMES}


def drawn_steps(N: int, selected: int | None = None, theme: str = "screen") -> list[int]:
    """The steps n in 1..N that are drawn: all of them for N <= max_full, else head + selected + tail."""
    max_full, head, tail = limits(N, theme)
    if N <= max_full:
        return list(range(1, N + 1))
    keep = set(range(1, head + 1)) | set(range(N - tail + 1, N + 1))
    if selected is not None and 1 <= selected <= N:
        keep.add(int(selected))
    for n in sorted(keep):  # a gap of a single step is drawn rather than elided
        if n + 2 in keep and n + 1 not in keep:
            keep.add(n + 1)
    return sorted(keep)


def elided_ranges(N: int, drawn: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of steps that is not drawn."""
    out, prev = [], 0
    for n in list(drawn) + [N + 1]:
        if n - prev > 1:
            out.append((prev + 1, n - 1))
        prev = n
    return out


def describe_drawn(N: int, drawn: list[int]) -> str:
    """'steps 1–3, 500, 993–1000 drawn; 4–499, 501–992 elided' (or 'all N steps drawn')."""
    gaps = elided_ranges(N, drawn)
    if not gaps:
        return f"all {N} steps drawn" if N > 1 else "the single step drawn"
    return f"steps {_runs(drawn)} drawn; {', '.join(_span(a, b) for a, b in gaps)} elided"


def _span(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}–{b}"


def _runs(ns: list[int]) -> str:
    runs, start = [], None
    for i, n in enumerate(ns):
        start = n if start is None else start
        if i + 1 == len(ns) or ns[i + 1] != n + 1:
            runs.append(_span(start, n))
            start = None
    return ", ".join(runs)


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "inf (overflow)" if v > 0 else "NaN (overflow)"
    return f"{v:.3e}"


def _recurrent_hover(g: EdgeGradients, n: int) -> str:
    """Hover of the edge s(n-1) -> a(n): the gradient that reaches s(n-1)."""
    head = f"<b>s({n - 1}) → a({n})</b> through W_s<br>gradient reaching s({n - 1}):<br>"
    v = _fmt(g.recurrent[n - 1])
    if n == 1 or not g.read[n - 2]:
        return head + f"‖W_sᵀ δ({n})‖ = ‖∂L/∂s({n - 1})‖ = {v}"
    return head + f"‖∂L/∂s({n - 1})‖ = {v}<br>(W_sᵀ δ({n}) plus the gradient of ℓ({n - 1}), read at s({n - 1}))"


def _direct_hover(g: EdgeGradients, n: int) -> str:
    """Hover of the gated cell's direct path into step n: c(n-1) -> c(n) (LSTM) or s(n-1) -> s(n) (GRU)."""
    if g.cell == "lstm":
        return (f"<b>c({n - 1}) → c({n})</b>, the cell-state path (constant error carousel)<br>"
                f"∂c({n})/∂c({n - 1}) = diag(f({n})); gradient handed back:<br>"
                f"‖f({n}) ⊙ ∂L/∂c({n})‖ = {_fmt(g.direct[n - 1])}")
    return (f"<b>s({n - 1}) → s({n})</b>, the gated shortcut<br>direct term diag(z({n})); gradient handed back:<br>"
            f"‖z({n}) ⊙ ∂L/∂s({n})‖ = {_fmt(g.direct[n - 1])}")


class _Scale:
    """log10 of a gradient norm -> Viridis colour and line width, over the range of the whole sequence."""

    def __init__(self, values: np.ndarray, theme: str):
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v) & (v > 0)]
        if v.size:
            lo, hi = float(np.log10(v.min())), float(np.log10(v.max()))
        else:
            lo, hi = -1.0, 1.0
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        self.lo, self.hi = lo, hi
        self.wmin, self.wmax = SIZES[theme]["wmin"], SIZES[theme]["wmax"]

    def t(self, value: float) -> float | None:
        """Position in [0, 1] on the colour scale; None for 0, inf, NaN."""
        if not (np.isfinite(value) and value > 0):
            return None
        return float(np.clip((np.log10(value) - self.lo) / (self.hi - self.lo), 0.0, 1.0))

    def style(self, value: float) -> tuple[str, float, str]:
        """(colour, width, dash) of an edge carrying a gradient of this norm."""
        t = self.t(value)
        if t is not None:
            return sample_colorscale(th.MAGNITUDE_SCALE, [t])[0], self.wmin + (self.wmax - self.wmin) * t, "solid"
        if value == 0:
            return NO_GRADIENT, self.wmin, "dot"
        return OVERFLOW, self.wmax, "solid"


def unfolded(g: EdgeGradients, selected: int | None = None, theme: str = "screen",
             title: str = "The unfolded network: each arrow coloured by the gradient flowing back through it"
             ) -> go.Figure:
    """The unfolded graph; `selected` (1..N) is highlighted and always drawn."""
    N = g.N
    if selected is not None and not 1 <= selected <= N:
        raise ValueError(f"selected step must be in 1..{N}; got {selected}.")
    drawn = drawn_steps(N, selected, theme)
    size = SIZES[theme]
    font = th.font_size(theme)  # node labels in the look's text size, like the tick labels
    node = node_px(N, theme)
    scale = _Scale(edge_values(g), theme)
    R, lstm = g.rows, g.cell == "lstm"
    top = R["L"]

    # Columns: s(0) at 0, then each drawn step; a gap column wherever steps are elided.
    col: dict[int, float] = {0: 0.0}
    gaps: list[tuple[float, int, int]] = []  # (column, first, last elided step)
    c, prev = 0.0, 0
    for n in drawn:
        if n - prev > 1:
            c += 1.0
            gaps.append((c, prev + 1, n - 1))
        c += 1.0
        col[n] = c
        prev = n
    ncols = c + 1

    edges: list[tuple[float, float, float, float, float, str]] = []  # x0, y0, x1, y1, value, hover

    def edge(x0, y0, x1, y1, value, text):
        edges.append((x0, y0, x1, y1, value, text))

    for n in drawn:
        cn = col[n]
        src = col.get(n - 1)
        if src is None:  # s(n-1) is elided: the edge starts at the gap marker
            src = next(gc for gc, a, b in gaps if a <= n - 1 <= b)
        edge(src, R["s"], cn, R["a"], g.recurrent[n - 1], _recurrent_hover(g, n))
        edge(cn, R["x"], cn, R["a"], g.input[n - 1],
             f"<b>x({n}) → a({n})</b> through W_x<br>step {n}'s share of ∂L/∂W_x:<br>"
             f"‖δ({n}) x({n})ᵀ‖ = {_fmt(g.input[n - 1])}")
        into = "c" if lstm else "s"
        edge(cn, R["a"], cn, R[into], g.preact[n - 1],
             (f"<b>a({n}) → {into}({n})</b> through φ" if g.cell == "elman" else
              f"<b>a({n}) → {into}({n})</b>: {GATE_NAMES[g.cell]}") + f"<br>gradient flowing back into a({n}):<br>"
             f"‖δ({n})‖ = ‖∂L/∂a({n})‖ = {_fmt(g.preact[n - 1])}")
        if lstm:
            edge(cn, R["c"], cn, R["s"], g.cell_state[n - 1],
                 f"<b>c({n}) → s({n})</b>: s({n}) = o({n}) ⊙ φ(c({n}))<br>gradient reaching c({n}):<br>"
                 f"‖∂L/∂c({n})‖ = {_fmt(g.cell_state[n - 1])}")
        if g.cell != "elman":
            row = "c" if lstm else "s"
            edge(src, R[row], cn, R[row], g.direct[n - 1], _direct_hover(g, n))
        if g.read[n - 1]:
            edge(cn, R["s"], cn, R["y"], g.readout[n - 1],
                 f"<b>s({n}) → y({n})</b> through W_y<br>gradient of the loss read at step {n}:<br>"
                 f"‖W_yᵀ ∂ℓ/∂z({n})‖ = {_fmt(g.readout[n - 1])}")
    for gc, a, _b in gaps:  # the recurrent edge out of the last drawn state before the gap
        if g.cell != "gru":  # (the GRU's shortcut below is drawn on the same line)
            edge(col[a - 1], R["s"], gc, R["s"], g.recurrent[a - 1], _recurrent_hover(g, a))
        if g.cell != "elman":
            row = "c" if lstm else "s"
            edge(col[a - 1], R[row], gc, R[row], g.direct[a - 1], _direct_hover(g, a))

    fig = go.Figure()
    annotations = []
    for x0, y0, x1, y1, value, _ in edges:
        color, width, dash = scale.style(value)
        if dash == "dot":  # zero gradient: a thin dotted line, no arrow head
            fig.add_shape(type="line", x0=x0, y0=y0, x1=x1, y1=y1, layer="below",
                          line=dict(color=color, width=width, dash="dot"))
            continue
        annotations.append(dict(
            x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True,
            arrowhead=2, arrowsize=float(np.clip(2.4 / width, 0.4, 1.3)), arrowwidth=width, arrowcolor=color,
            standoff=node / 2 + 1, startstandoff=node / 2 + 1,
        ))
    # Faint edges that carry no gradient at all: read-outs where no loss is read.
    for n in drawn:
        if not g.read[n - 1]:
            fig.add_shape(type="line", x0=col[n], y0=R["s"], x1=col[n], y1=R["y"], layer="below",
                          line=dict(color=NO_GRADIENT, width=1.2, dash="dot"))

    # Selected step: a band behind its column.
    if selected is not None:
        fig.add_shape(type="rect", x0=col[selected] - 0.45, x1=col[selected] + 0.45, y0=-0.55, y1=top + 0.55,
                      fillcolor=HIGHLIGHT, line=dict(width=0, color="rgba(0,0,0,0)"), layer="below")

    # Hover on the edges: invisible markers at the midpoints; they also carry the colour bar.
    mx = [(e[0] + e[2]) / 2 for e in edges]
    my = [(e[1] + e[3]) / 2 for e in edges]
    mz = [np.log10(e[4]) if np.isfinite(e[4]) and e[4] > 0 else np.nan for e in edges]
    fig.add_trace(go.Scatter(
        x=mx, y=my, mode="markers", name="edges", showlegend=False, hoverinfo="text",
        hovertext=[e[5] for e in edges],
        marker=dict(size=node * 0.5, opacity=0, color=mz, colorscale=th.MAGNITUDE_SCALE,
                    cmin=scale.lo, cmax=scale.hi,  # the colour bar: the look's thickness and text (template)
                    colorbar=dict(title=dict(text="log₁₀ ‖gradient‖", side="right"))),
    ))

    # Nodes.
    nx, ny, label, hover, fill = [], [], [], [], []
    nx.append(0.0), ny.append(R["s"]), label.append("s(0)"), fill.append("white")
    hover.append(f"<b>s(0)</b>, the initial state<br>‖∂L/∂s(0)‖ = {_fmt(g.s0)}")
    if lstm:
        nx.append(0.0), ny.append(R["c"]), label.append("c(0)"), fill.append("white")
        hover.append(f"<b>c(0)</b>, the initial cell state<br>‖∂L/∂c(0)‖ = {_fmt(g.c0)}")
    for n in drawn:
        cn = col[n]
        nodes = [
            ("x", f"x({n})", f"<b>x({n})</b>, the input at step {n}<br>‖δ({n}) x({n})ᵀ‖ = {_fmt(g.input[n - 1])}"),
            ("a", f"a({n})", f"<b>a({n})</b> = W_x x({n}) + W_s s({n - 1}) + b" + (
                f" ({GATE_NAMES[g.cell]})" if g.cell != "elman" else "") + f"<br>‖δ({n})‖ = {_fmt(g.preact[n - 1])}"),
            ("s", f"s({n})", f"<b>s({n})</b> = " + {"elman": f"φ(a({n}))", "lstm": f"o({n}) ⊙ φ(c({n}))",
                                                      "gru": f"(1 − z({n})) ⊙ g({n}) + z({n}) ⊙ s({n - 1})"}[g.cell]
             + f"<br>‖∂L/∂s({n})‖ = {_fmt(g.state[n - 1])}"),
        ]
        if lstm:
            nodes.insert(2, ("c", f"c({n})", f"<b>c({n})</b> = f({n}) ⊙ c({n - 1}) + i({n}) ⊙ g({n})<br>"
                                             f"‖∂L/∂c({n})‖ = {_fmt(g.cell_state[n - 1])}"))
        for row, text, tip in nodes:
            nx.append(cn), ny.append(R[row]), label.append(text), hover.append(tip), fill.append("white")
        read = bool(g.read[n - 1])
        nx.append(cn), ny.append(R["y"]), label.append(f"y({n})"), fill.append("white" if read else "#f2f2f2")
        hover.append(f"<b>y({n})</b> = g(W_y s({n}) + b_y)<br>" + (
            f"a loss term is read here: ‖W_yᵀ ∂ℓ/∂z({n})‖ = {_fmt(g.readout[n - 1])}" if read
            else "not read by the loss: no gradient flows from here"))
    for gc, a, b in gaps:
        k = b - a + 1
        for row in ("c", "s") if lstm else ("s",):
            nx.append(gc), ny.append(R[row]), label.append("…"), fill.append("#f2f2f2")
            hover.append(f"{k} step{'s' if k > 1 else ''} not drawn: n = {_span(a, b)}")
    fig.add_trace(go.Scatter(
        x=nx, y=ny, mode="markers+text", text=label, textposition="middle center", showlegend=False,
        hoverinfo="text", hovertext=hover, name="nodes",
        textfont=dict(size=font),
        marker=dict(size=node, color=fill, line=dict(color="#333333", width=size["outline"])),
    ))
    # Loss nodes.
    read_drawn = [n for n in drawn if g.read[n - 1]]
    if read_drawn:
        many = len([n for n in range(1, N + 1) if g.read[n - 1]]) > 1
        lx = [col[n] for n in read_drawn]
        for n in read_drawn:
            annotations.append(dict(x=col[n], y=R["L"], ax=col[n], ay=R["y"], xref="x", yref="y",
                                    axref="x", ayref="y", text="", showarrow=True, arrowhead=2, arrowwidth=1.5,
                                    arrowcolor="#555555", standoff=node / 2 + 1, startstandoff=node / 2 + 1))
        fig.add_trace(go.Scatter(
            x=lx, y=[R["L"]] * len(lx), mode="markers+text", showlegend=False, name="loss",
            text=[f"ℓ({n})" if many else "L" for n in read_drawn], textposition="middle center",
            textfont=dict(size=font, color="white"),
            marker=dict(size=node, color="#333333", symbol="square"), hoverinfo="text",
            hovertext=[(f"<b>ℓ({n})</b>, the loss term read at step {n}; L = Σ ℓ(n) = {g.loss:.4g}" if many
                        else f"<b>L</b> = {g.loss:.4g}, read at step {n}") for n in read_drawn],
        ))
    # Elision labels.
    for gc, a, b in gaps:
        k = b - a + 1
        annotations.append(dict(x=gc, y=R["a"] - 0.05, xref="x", yref="y", showarrow=False, name="elided",
                                text=f"{k}<br>step{'s' if k > 1 else ''}", font=dict(size=font, color="#555555")))

    tickvals = [0.0] + [col[n] for n in drawn] + [gc for gc, _, _ in gaps]
    ticktext = ["0"] + [f"<b>{n}</b>" if n == selected else str(n) for n in drawn] + ["⋯" for _ in gaps]
    order = np.argsort(tickvals)
    # Tall enough that every vertical arrow shows between two rows of nodes (the rows, plus title and x axis).
    height = int(np.ceil((top + 1.2) * (node + ARROW_EM * font) + 8 * font))
    fig.update_layout(
        title=title, annotations=annotations, hovermode="closest",
        height=height if height > th.look(theme).height else None,
        xaxis=dict(title=f"time step n  ({describe_drawn(N, drawn)})", tickvals=[tickvals[i] for i in order],
                   ticktext=[ticktext[i] for i in order], range=[-0.6, max(ncols, 8) - 0.4], showgrid=False, zeroline=False,
                   fixedrange=True),
        yaxis=dict(tickvals=list(R.values()), ticktext=list((LSTM_ROW_NAMES if lstm else ROW_NAMES)[theme]),
                   range=[-0.6, top + 0.6], showgrid=False,
                   zeroline=False, fixedrange=True),
    )
    return th.apply(fig, theme)


def overview(state_grad: np.ndarray, drawn: list[int], selected: int | None = None, theme: str = "screen",
             zrange: tuple[float, float] | None = None,
             title: str = "Every step at a glance: ‖∂L/∂s(n)‖ for n = 1..N") -> go.Figure:
    """log10 ||dL/ds(n)|| over all N steps as one coloured strip, the drawn steps marked above it.

    zrange: (min, max) of the colour scale, e.g. colour_range(g) to match the graph's colours.
    """
    N = len(state_grad)
    v = np.asarray(state_grad, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(np.isfinite(v) & (v > 0), np.log10(np.where(v > 0, v, 1.0)), np.nan)  # (N,)
    n = np.arange(1, N + 1)
    fig = go.Figure(go.Heatmap(
        x=n, y=["‖∂L/∂s(n)‖"], z=z[None, :], colorscale=th.MAGNITUDE_SCALE, showscale=False,
        zmin=None if zrange is None else zrange[0], zmax=None if zrange is None else zrange[1],
        hovertemplate="n = %{x}<br>log₁₀ ‖∂L/∂s(n)‖ = %{z:.2f}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=drawn, y=["drawn in the graph"] * len(drawn), mode="markers", showlegend=False, name="drawn",
        marker=dict(symbol="line-ns", size=th.font_size(theme), line=dict(width=max(2.0, th.line_width(theme) / 2),
                                                                          color="#555555")),
        hovertemplate="step %{x} is drawn in the graph<extra></extra>",
    ))
    if selected is not None:
        fig.add_vline(x=selected, line=dict(color=th.OKABE_ITO[1], width=3))
    fig.update_layout(title=title, height=230 if theme == "projector" else 190,
                      margin=dict(t=50, b=45), xaxis_title="time step n",
                      yaxis=dict(showgrid=False, fixedrange=True, range=[-0.5, 1.5]),  # categories in trace order
                      # (categoryorder="array" breaks plotly.js on a heatmap axis)
                      xaxis=dict(range=[0.5, N + 0.5], showgrid=False))
    return th.apply(fig, theme)
