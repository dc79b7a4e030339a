"""One look for every chart: large type for projectors, colours that survive them."""

from __future__ import annotations

import math
import re

import numpy as np
import plotly.graph_objects as go

from .numbers import format_power, power_label  # noqa: F401  (format_power: re-exported)

FONT_SIZE = 16              # the smallest text on a chart, read from the back of a room
PRESENT_FONT_SIZE = 20      # the same in presenter mode (ui.charts scales to it)
TEXT = "#31333F"            # Streamlit's body text: 12.6:1 on white
# Streamlit's own body font, which the page has loaded, so charts read like the text. A
# downloaded PNG cannot load it: it is drawn in the first of the others the viewer has,
# all about as wide (ENTRY_CHAR_PX makes room for them).
FONT = dict(family='"Source Sans", "Source Sans Pro", Arial, Helvetica, "Liberation Sans", '
                   'sans-serif', size=FONT_SIZE, color=TEXT)
# Okabe and Ito's colour-blind-safe set first (blue, vermillion, bluish green, reddish
# purple, orange, sky blue, black): under deuteranopia any two stay ΔE2000 > 12 apart,
# where Plotly's red and green fall to 5 (tests/figures/test_colour_vision.py).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#882255", "#7F7F7F", "#117733")
COLORS = {
    "preact": PALETTE[0],
    "act": PALETTE[1],
    "grad": PALETTE[2],
    "theory": "#555555",
    "limit": PALETTE[4],
    "dead": "#7f3b08",
    "band": "rgba(0, 114, 178, 0.18)",       # the pre-activation blue, see-through
}
# A second carrier besides colour: the i-th line of a chart gets the i-th dash and marker.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross",
           "triangle-down", "pentagon", "hexagon")


# Every cartesian axis gets these; `layout` finds the axes by their layout key. Automargin:
# large tick labels push the plot in rather than being cut at the figure's edge.
GRID = {"gridcolor": "#e5e5e5", "zerolinecolor": "#cccccc", "automargin": True}
_AXIS = re.compile(r"^[xy]axis\d*$")


def figure(data: list[dict], layout: dict) -> go.Figure:
    """The Figure these plain dicts describe, with room made for its legend at the
    page's width (`legend_room`), wrapped once without Plotly's validation.

    Building with the graph_objects API (go.Scatter, update_layout, add_hline, ...) has
    Plotly validate every property as it is set: 15-35 ms per figure, on every rerun of
    a page that draws 3-6 of them, about a fifth of the server's CPU under a class's
    load. Wrapping finished dicts costs 1-2 ms. So the builders write valid Plotly by
    hand, and tests/figures/test_every_figure.py rebuilds every figure the pages draw
    with full validation. Plotly validates the second and later axes of a multi-panel
    layout (xaxis2, ...) whatever it is told, so those figures still cost a few ms.

    >>> fig = figure([dict(type="scatter", y=[1, 2])], layout("t"))
    >>> fig.data[0].type, fig.layout.title.text, fig.layout.xaxis.gridcolor
    ('scatter', 't', '#e5e5e5')
    """
    return wrap(data, legend_room(layout, data))


def wrap(data: list[dict], layout: dict) -> go.Figure:
    """The Figure of these finished dicts, wrapped as they are (`figure` makes room for
    the legend first)."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def layout(title: str, height: int = 460, above: int = 0, **props) -> dict:
    """The common look as a layout dict: `props` on top (a dict value such as margin or
    legend is merged one level deep, as update_layout does; None and empty lists are left
    out, as validation leaves them), then the grid colours on xaxis, yaxis and every
    other axis given.

    The head (`head`) stacks title, settings and legend at the top left, so that none of
    them can run into another at any width. `above`: px a builder needs between the
    head and its plot (panel titles drawn over the top row); `height` counts the head
    and `above`, not the legend's rows (`figure` adds those).
    """
    out = dict(
        title=dict(text=title, x=0.01, xanchor="left", yref="container", y=1.0,
                   yanchor="top", pad=dict(t=TITLE_PAD), font=dict(size=TITLE_SIZE)),
        font=FONT,
        height=height,
        margin=dict(l=70, r=20, t=HEAD_PX + above, b=60),
        # No named template: resolving one costs ~15 ms per figure, every rerun. The
        # figure is drawn as it is written here: ui.charts turns Streamlit's theme off.
        plot_bgcolor="white",
        legend=dict(TOP_LEGEND),
        hovermode="x unified",
    )
    out = merge(out, **props)
    for key in {"xaxis", "yaxis", *filter(_AXIS.match, out)}:
        out[key] = {**out.get(key, {}), **GRID}
    return head(out)


def merge(look: dict, **props) -> dict:
    """`look` with `props` on top, as update_layout sets them: a dict value merged one
    level deep into the one there, None and empty lists left out (as validation does).

    >>> merge(dict(margin=dict(l=70, b=60), height=400), margin=dict(b=90), shapes=[])
    {'margin': {'l': 70, 'b': 90}, 'height': 400}
    """
    out = dict(look)
    for key, value in props.items():
        if value is None or (isinstance(value, list) and not value):
            continue
        base = out.get(key)
        out[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return out


# -- the head: title, settings and legend stacked above the plot ---------------------------
# Pixels measured in Chromium on Plotly.js 4 with 16 px Source Sans (the browser
# readability test checks the result): the title's 20 px line from the top, the gap to
# the settings lines and each of them, and the legend's rows with its padding.
TITLE_SIZE = FONT_SIZE + 4
TITLE_PAD = 10              # px above the title
HEAD_PX = 44                # the title's line (with TITLE_PAD) and the gap under it
SUBTITLE_GAP, SUBTITLE_PX = 10, 21
LEGEND_ROW_PX, LEGEND_PAD_PX = 24, 21
# A legend entry: its symbol and gaps (45 px), then its text, given ENTRY_CHAR_PX a
# character: Source Sans averages 6.4-7.4 px at 16 px, but a downloaded PNG is drawn
# in the viewer's own sans-serif (Arial, Liberation Sans: 6.7-8.0), its layout measured
# in Source Sans; with every entry that wide, the PNG's legend stays apart too. Plotly
# lays the legend out in such columns, as many as fit the plot's width (the chart's
# less about 90 px of margins), at any width.
ENTRY_SYMBOL_PX, ENTRY_CHAR_PX, SIDE_MARGINS_PX = 45, 8.0, 90
NOTE_COLOR = "#555555"      # the settings line: 7.5:1 on white, quieter than the title
# The widths a chart is drawn at on a 1280 px screen with the sidebar open: the page's
# content column, and one of two columns side by side (the narrowest charts).
FULL_PX, HALF_PX = 820, 400
# The legend, under the title at the left, in the figure's own pixels (yref container):
# Plotly then keeps the plot below it however many rows it wraps to, and an export,
# drawn from this same layout, holds all of it. maxheight 1: never a scrolling legend,
# which a PNG would cut.
TOP_LEGEND = dict(orientation="h", xref="container", x=0.01, xanchor="left",
                  yref="container", yanchor="top", maxheight=1)


def head(look: dict, lines: int = 0, scale: float = 1.0) -> dict:
    """`look` with `lines` settings lines under the title (at `scale`: the type's size
    relative to FONT_SIZE) and the top legend just under the head. The figure grows by
    what the lines take, so its plot keeps its size. A builder's `above` sits between
    head and plot: such a figure has no legend (it would cover what is drawn there).

    >>> look = head(layout("t", height=400), lines=2)
    >>> look["height"], look["margin"]["t"], round(look["legend"]["y"], 3)
    (452, 96, 0.788)
    """
    extra = round((SUBTITLE_GAP + SUBTITLE_PX * lines) * scale) if lines else 0
    top = look.get("margin", {}).get("t", HEAD_PX) + extra
    out = merge(look, height=look["height"] + extra, margin=dict(t=top))
    legend = out.get("legend") or {}
    if legend.get("yref") == "container" and legend.get("yanchor") == "top":
        out["legend"] = {**legend, "y": 1 - top / out["height"]}
    return out


def legend_names(data: list[dict]) -> list[str]:
    """The entries Plotly lists in a legend of these traces: every named trace not left
    out, heatmaps only when asked for (Plotly leaves them out)."""
    return [str(t["name"]) for t in data if t.get("name") is not None
            and t.get("showlegend", t.get("type") != "heatmap")]


def entry_width(names: list[str]) -> int:
    """The width of a legend entry's text (Plotly's entrywidth) that holds every name."""
    return math.ceil(ENTRY_CHAR_PX * max(map(len, names), default=0))


def legend_columns(names: list[str], width: float) -> int:
    """How many of the legend's columns fit the plot of a chart `width` px wide.

    >>> legend_columns(["a", "b", "c"], 400), legend_columns(["layer 1: std 0.85"] * 3, 400)
    (3, 1)
    """
    column = ENTRY_SYMBOL_PX + entry_width(names)
    return int(max(1, min(len(names), (width - SIDE_MARGINS_PX) // column)))


def legend_px(names: list[str], width: float) -> int:
    """The height the legend of `names` takes under the head, in a chart `width` px wide
    (none for fewer than two names: Plotly draws no legend then)."""
    if len(names) < 2:
        return 0
    rows = math.ceil(len(names) / legend_columns(names, width))
    return rows * LEGEND_ROW_PX + LEGEND_PAD_PX


def legend_room(look: dict, data: list[dict], width: float = FULL_PX,
                scale: float = 1.0, made: float | None = None) -> dict:
    """`look` with its top legend's entries as wide as the widest needs, and taller by
    the room the legend takes in a chart `width` px wide (less the room `made` for it
    already, for a chart that many px wide), so the plot keeps its size there: Plotly
    puts the plot under the legend, however tall.

    >>> data = [dict(type="scatter", name=n) for n in ("a", "b", "c")]
    >>> look = legend_room(layout("t", height=400), data)
    >>> look["height"], look["legend"]["entrywidth"]
    (445, 8)
    """
    legend = look.get("legend") or {}
    if legend.get("yref") != "container" or look.get("showlegend") is False:
        return look
    names = legend_names(data)
    if len(names) < 2:
        return look
    extra = legend_px(names, width) - (0 if made is None else legend_px(names, made))
    look = merge(look, height=look["height"] + round(extra * scale),
                 legend=dict(entrywidthmode="pixels", entrywidth=round(entry_width(names) * scale)))
    return head(look)


def series(i: int, n: int = 1, width: float = 3, markers: bool = False) -> dict:
    """The look of the i-th of n lines on one chart: a colour, a dash and (with markers)
    a marker symbol of its own, so that no two lines are told apart by colour alone.
    Markers are open and earlier ones larger, so lines that lie exactly on top of each
    other (a linear layer's h and φ(h), LayerNorm and RMSNorm) still show every symbol,
    each inside the one drawn before it.

    >>> series(1, 3, markers=True)["marker"]
    {'symbol': 'square-open', 'size': 11, 'line': {'width': 2}}
    """
    look = {"line": dict(color=PALETTE[i % len(PALETTE)], width=width,
                         dash=DASHES[i % len(DASHES)])}
    if markers:
        look["marker"] = dict(symbol=SYMBOLS[i % len(SYMBOLS)] + "-open",
                              size=8 + 3 * min(max(n - 1 - i, 0), 3), line=dict(width=2))
    return look


def hline(y: float, line: dict, text: str, end: str = "left") -> tuple[dict, dict]:
    """add_hline(y, line=line, annotation_text=text, annotation_position="top left") as
    a layout shape across the plot and an annotation above its left end (`end`="right":
    its right end)."""
    x = 0 if end == "left" else 1
    return (dict(type="line", xref="x domain", yref="y", x0=0, x1=1, y0=y, y1=y, line=line),
            dict(text=text, showarrow=False, xref="x domain", yref="y", x=x, y=y,
                 xanchor=end, align=end, yanchor="bottom"))


def vline(x: float, line: dict, text: str) -> tuple[dict, dict]:
    """add_vline(x, line=line, annotation_text=text, annotation_position="top right") as
    a layout shape up the plot and an annotation right of its top end."""
    return (dict(type="line", xref="x", yref="y domain", x0=x, x1=x, y0=0, y1=1, line=line),
            dict(text=text, showarrow=False, xref="x", yref="y domain", x=x, y=1,
                 xanchor="left", align="left", yanchor="top"))


# A minor (unlabelled) decade mark needs this much room from the next: closer, a 16 px
# label's superscript at the neighbouring decade is crossed by it, and 10²⁰ reads like 10²⁶.
MINOR_MIN_PX = 12
PLOT_PX = 340               # a `layout` chart's plot height: 460 px less its margins


def power_axis(lo: float, hi: float, max_ticks: int = 9,
               reached: tuple[float, float] | None = None, plot_px: float = PLOT_PX,
               **props) -> dict:
    """A log10 axis (values are log10 of the quantity) from lo to hi, ticks labelled 10^k
    (power_ticks), and an unlabelled minor tick at every other decade when the axis,
    `plot_px` long, gives each decade `MINOR_MIN_PX`; labelled ticks are drawn outside as
    long as the minor ones, so the labels stand clear of both.

    >>> ax = power_axis(-1.2, 2.5, title=dict(text="v"))
    >>> ax["ticktext"], ax["range"]
    (['10⁻¹', '1', '10¹', '10²'], [-1.2, 2.5])
    >>> power_axis(-1.0, 21.0, reached=(2.0, 20.0))["ticktext"][-1]
    '10²⁰'
    >>> "minor" in power_axis(-1.0, 29.0, plot_px=170)     # 5.7 px a decade: no marks
    False
    """
    tickvals, ticktext = power_ticks(lo, hi, max_ticks, reached)
    axis = dict(props, tickvals=tickvals, ticktext=ticktext, range=[lo, hi], zeroline=False)
    minor = [float(k) for k in _decades(lo, hi) if k not in tickvals]
    if minor and plot_px / max(hi - lo, 1e-9) >= MINOR_MIN_PX:
        axis.update(ticks="outside", ticklen=5,
                    minor=dict(tickmode="array", tickvals=minor, ticks="outside", ticklen=5,
                               showgrid=False))
    return axis


def finite_or_none(values) -> list:
    """Plotly draws None as a gap; inf and NaN must never be drawn as if they were data."""
    arr = np.asarray(values, dtype=float)
    return [float(v) if math.isfinite(v) else None for v in arr]


def power_ticks(lo: float, hi: float, max_ticks: int = 9,
                reached: tuple[float, float] | None = None) -> tuple[list[float], list[str]]:
    """Labelled ticks on a log10 axis from lo to hi: at most about `max_ticks`, evenly
    spaced, and always at the lowest and highest decade the data reaches (`reached`, the
    data's extremes as log10; default: the axis's own ends), so the top of an exploding
    curve reads as 10^20 without hovering.

    >>> power_ticks(-1.0, 21.0, reached=(2.0, 20.0))[0]
    [-1.0, 2.0, 5.0, 8.0, 11.0, 14.0, 17.0, 20.0]
    >>> power_ticks(0.0, 17.0, max_ticks=5)[0]   # no step divides 17: 2 gives way to 0
    [0.0, 7.0, 12.0, 17.0]
    """
    if hi - lo < 2.5:                            # too few decades to read it by
        return short_ticks(lo, hi)
    inside = _decades(lo, hi)
    r_lo, r_hi = reached if reached is not None else (inside[0], inside[-1])
    bottom = min(max(round(r_lo), inside[0]), inside[-1])
    top = min(max(round(r_hi), bottom), inside[-1])
    step = _step(top - bottom, max(1, math.ceil((inside[-1] - inside[0]) / max(max_ticks - 1, 1))))
    vals = {k for k in inside if (top - k) % step == 0 and abs(k - bottom) * 2 >= step}
    vals = sorted(vals | {bottom, top})
    return [float(v) for v in vals], [power_label(v) for v in vals]


def short_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks for a log10 axis shorter than 2.5 decades, so that two or more are labelled:
    1, 3 a decade; 1, 2, 5 under 1.5 decades; 1, 1.5, 2, 3, 5, 7 under 0.8; as plain
    numbers from 0.001 to 1000.

    >>> short_ticks(-0.5, 0.1)[1]
    ['0.5', '0.7', '1']
    >>> short_ticks(5.1, 7.2)[1]
    ['3×10⁵', '10⁶', '3×10⁶', '10⁷']
    """
    span = hi - lo
    steps = (1, 1.5, 2, 3, 5, 7) if span < 0.8 else (1, 2, 5) if span < 1.5 else (1, 3)
    vals = [k + math.log10(m) for k in range(math.floor(lo), math.ceil(hi) + 1) for m in steps
            if lo <= k + math.log10(m) <= hi]
    return vals, [number_label(v) for v in vals]


def number_label(v: float) -> str:
    """10^v as a tick label: a plain number from 0.001 to 1000, else m×10^k.

    >>> number_label(-1.0), number_label(0.30103), number_label(5.0), number_label(5.30103)
    ('0.1', '2', '10⁵', '2×10⁵')
    """
    k = math.floor(v + 1e-9)
    m = round(10 ** (v - k), 1)
    m = int(m) if m == int(m) else m
    if -3 <= k <= 2:
        return f"{m * 10.0 ** k:g}"
    return power_label(k) if m == 1 else f"{m}×{power_label(k)}"


def _step(span: int, wanted: int) -> int:
    """`wanted`, or a step up to twice that which divides span, so both ends sit on it."""
    for step in range(wanted, 2 * wanted):
        if span % step == 0:
            return step
    return wanted


def _decades(lo: float, hi: float) -> list[int]:
    """The integer powers of ten from lo to hi (log10 values), ends included."""
    return list(range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1))
