"""One look for every chart: large type for projectors, colours that survive them."""

from __future__ import annotations

import math
import re

import numpy as np
import plotly.graph_objects as go

FONT_SIZE = 16
COLORS = {
    "preact": "#1f77b4",
    "act": "#d62728",
    "grad": "#2ca02c",
    "theory": "#555555",
    "limit": "#ff7f0e",
    "dead": "#7f3b08",
    "band": "rgba(31, 119, 180, 0.18)",     # the pre-activation blue, see-through
}
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22")


# Every cartesian axis gets these; `layout` finds the axes by their layout key.
GRID = {"gridcolor": "#e5e5e5", "zerolinecolor": "#cccccc"}
_AXIS = re.compile(r"^[xy]axis\d*$")


def figure(data: list[dict], layout: dict) -> go.Figure:
    """The Figure these plain dicts describe, wrapped once without Plotly's validation.

    Building with the graph_objects API (go.Scatter, update_layout, add_hline, ...) has
    Plotly validate every property as it is set: 15-35 ms per figure, on every rerun of
    a page that draws 3-6 of them, about a fifth of the server's CPU under a class's
    load. Wrapping finished dicts costs 1-2 ms. So the builders write valid Plotly by
    hand, and tests/figures/test_every_figure.py rebuilds every figure the pages draw
    with full validation (and against the old graph_objects builders). Plotly validates
    the second and later axes of a multi-panel layout (xaxis2, ...) whatever it is told,
    so those figures still cost a few ms.

    >>> fig = figure([dict(type="scatter", y=[1, 2])], layout("t"))
    >>> fig.data[0].type, fig.layout.title.text, fig.layout.xaxis.gridcolor
    ('scatter', 't', '#e5e5e5')
    """
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def layout(title: str, height: int = 460, **props) -> dict:
    """The common look as a layout dict: `props` on top (a dict value such as margin or
    legend is merged one level deep, as update_layout does; None and empty lists are left
    out, as validation leaves them), then the grid colours on xaxis, yaxis and every
    other axis given."""
    out = dict(
        title=dict(text=title, x=0.01, font=dict(size=FONT_SIZE + 4)),
        font=dict(size=FONT_SIZE),
        height=height,
        margin=dict(l=70, r=20, t=60, b=60),
        # No named template: resolving one costs ~15 ms per figure, every rerun, and
        # Streamlit's own chart theme styles the figure in the browser anyway.
        plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        hovermode="x unified",
    )
    out = merge(out, **props)
    for key in {"xaxis", "yaxis", *filter(_AXIS.match, out)}:
        out[key] = {**out.get(key, {}), **GRID}
    return out


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


def base_layout(fig: go.Figure, title: str, height: int = 460) -> go.Figure:
    """The common look on a graph_objects Figure (builders here use `layout` instead)."""
    look = layout(title, height)
    fig.update_layout({k: v for k, v in look.items() if not _AXIS.match(k)})
    fig.update_xaxes(GRID)
    fig.update_yaxes(GRID)
    return fig


def hline(y: float, line: dict, text: str) -> tuple[dict, dict]:
    """add_hline(y, line=line, annotation_text=text, annotation_position="top left") as
    a layout shape across the plot and an annotation above its left end."""
    return (dict(type="line", xref="x domain", yref="y", x0=0, x1=1, y0=y, y1=y, line=line),
            dict(text=text, showarrow=False, xref="x domain", yref="y", x=0, y=y,
                 xanchor="left", yanchor="bottom"))


def vline(x: float, line: dict, text: str) -> tuple[dict, dict]:
    """add_vline(x, line=line, annotation_text=text, annotation_position="top right") as
    a layout shape up the plot and an annotation right of its top end."""
    return (dict(type="line", xref="x", yref="y domain", x0=x, x1=x, y0=0, y1=1, line=line),
            dict(text=text, showarrow=False, xref="x", yref="y domain", x=x, y=1,
                 xanchor="left", yanchor="top"))


def power_axis(lo: float, hi: float, max_ticks: int = 9, **props) -> dict:
    """A log10 axis (values are log10 of the quantity) from lo to hi, ticks labelled 10^k.

    >>> power_axis(-1.2, 2.5, title=dict(text="v"))["ticktext"]
    ['10<sup>-2</sup>', '10<sup>-1</sup>', '1', '10<sup>1</sup>', '10<sup>2</sup>', '10<sup>3</sup>']
    """
    tickvals, ticktext = power_ticks(lo, hi, max_ticks)
    return dict(props, tickvals=tickvals, ticktext=ticktext, range=[lo, hi], zeroline=False)


def finite_or_none(values) -> list:
    """Plotly draws None as a gap; inf and NaN must never be drawn as if they were data."""
    arr = np.asarray(values, dtype=float)
    return [float(v) if math.isfinite(v) else None for v in arr]


def power_ticks(lo: float, hi: float, max_ticks: int = 9) -> tuple[list[float], list[str]]:
    """Tick positions on a log10 axis labelled 10^k, spaced to stay readable."""
    lo, hi = math.floor(lo), math.ceil(hi)
    span = max(hi - lo, 1)
    step = max(1, math.ceil(span / max_ticks))
    vals = list(range(lo - lo % step, hi + step, step))
    return [float(v) for v in vals], [power_label(v) for v in vals]


def power_label(k: float) -> str:
    if k == 0:
        return "1"
    return f"10<sup>{int(k)}</sup>"


def format_power(log10_value: float, digits: int = 3) -> str:
    """A number given by its log10, as plain text that stays readable at 1e450."""
    if log10_value == -math.inf:
        return "0"
    if not math.isfinite(log10_value):
        return "overflow"
    if -3 <= log10_value < 4:
        return f"{10 ** log10_value:.{digits}g}"
    k = math.floor(log10_value)
    mant = 10 ** (log10_value - k)
    if round(mant, 2) >= 10:
        mant, k = mant / 10, k + 1
    return f"{mant:.2f} × 10{str(k).translate(_SUPERSCRIPT)}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
