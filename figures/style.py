"""One look for every chart: large type for projectors, colours that survive them."""

from __future__ import annotations

import math

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


def base_layout(fig: go.Figure, title: str, height: int = 460) -> go.Figure:
    fig.update_layout(
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
    fig.update_xaxes(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
    fig.update_yaxes(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
    return fig


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
