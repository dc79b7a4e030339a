"""Per-layer variance through depth, on a log10 axis that holds 1e-400 and 1e450 alike."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .style import COLORS, figure, finite_or_none, hline, layout, power_axis, series, vline

# Variance at which a typical batch's largest value reaches the format's maximum:
# values ~ N(0, var) reach about 4.5 standard deviations in a few thousand draws.
FLOAT16_MAX = 65504.0
FLOAT32_MAX = 3.4028234663852886e38
_TAIL_SIGMAS = 4.5
OVERFLOW_LOG10_VAR = {
    "float16": 2 * math.log10(FLOAT16_MAX / _TAIL_SIGMAS),
    "float32": 2 * math.log10(FLOAT32_MAX / _TAIL_SIGMAS),
}


def variance_figure(curves: dict[str, np.ndarray], theory: dict[str, np.ndarray] | None = None,
                    overflow_layer: int | None = None, title: str = "Variance through depth",
                    y_title: str = "variance (log scale)", show_limits: bool = True,
                    underflow_layer: int | None = None,
                    band: dict[str, np.ndarray] | None = None) -> go.Figure:
    """One line per curve (name -> log10 values per layer, layer 1 first), the theory's
    prediction dashed beside it, the float16/float32 overflow levels marked, and the
    layer from which values are inf/NaN (overflow) or rounded to zero (underflow).
    `band`: name -> (2, depth) lowest and highest log10 values per layer, shaded."""
    return figure(*variance_parts(curves, theory, overflow_layer, title, y_title, show_limits,
                                  underflow_layer, band))


def variance_parts(curves, theory=None, overflow_layer=None, title="Variance through depth",
                   y_title="variance (log scale)", show_limits=True, underflow_layer=None,
                   band=None) -> tuple[list[dict], dict]:
    """variance_figure's (data, layout) as dicts, for builders that add to them."""
    data, all_vals = [], []
    for name, (lo_vals, hi_vals) in (band or {}).items():
        lo_y, hi_y = finite_or_none(lo_vals), finite_or_none(hi_vals)
        all_vals += [v for v in lo_y + hi_y if v is not None]
        x = np.arange(1, len(lo_y) + 1, dtype=np.float32)
        data.append(dict(type="scatter", x=x, y=lo_y, mode="lines", line=dict(width=0),
                         showlegend=False, hoverinfo="skip"))
        data.append(dict(type="scatter", x=x, y=hi_y, mode="lines", line=dict(width=0),
                         fill="tonexty", fillcolor=COLORS["band"], name=name, hoverinfo="skip"))
    for i, (name, vals) in enumerate(curves.items()):
        y = finite_or_none(vals)
        all_vals += [v for v in y if v is not None]
        data.append(dict(
            type="scatter", x=np.arange(1, len(y) + 1, dtype=np.float32), y=y, name=name,
            mode="lines+markers", **series(i, len(curves), markers=True),
            hovertemplate="layer %{x}: 10^%{y:.2f}<extra>" + name + "</extra>"))
    for i, (name, vals) in enumerate((theory or {}).items()):
        y = finite_or_none(vals)
        all_vals += [v for v in y if v is not None]
        data.append(dict(
            type="scatter", x=np.arange(1, len(y) + 1, dtype=np.float32), y=y, name=name,
            mode="lines",
            line=dict(color=COLORS["theory"], width=2, dash="dash" if i == 0 else "dot"),
            hovertemplate="layer %{x}: 10^%{y:.2f}<extra>" + name + "</extra>"))
    lo, hi = (min(all_vals), max(all_vals)) if all_vals else (-1.0, 1.0)
    reached, marks = (lo, hi), []
    if show_limits:
        for dtype, level in OVERFLOW_LOG10_VAR.items():
            if lo - 3 <= level <= hi + 3:
                marks.append(hline(level, dict(color=COLORS["limit"], dash="dot", width=2),
                                   f"{dtype} overflows near here"))
                lo, hi = min(lo, level), max(hi, level)
    for layer, what in ((overflow_layer, "inf/NaN"), (underflow_layer, "rounded to 0")):
        if layer is not None:
            marks.append(vline(layer + 1, dict(color=COLORS["limit"], width=3),
                               f"{what} from layer {layer + 1}"))
    pad = max(0.5, 0.05 * (hi - lo))
    look = layout(title, yaxis=power_axis(lo - pad, hi + pad, reached=reached,
                                          title=dict(text=y_title)),
                  xaxis=dict(title=dict(text="layer"), rangemode="tozero"))
    if marks:
        look.update(shapes=[s for s, _ in marks], annotations=[a for _, a in marks])
    return data, look
