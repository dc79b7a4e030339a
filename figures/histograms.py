"""Activation histograms in Karpathy's style, the all-layers density map, and per-layer
percentages (saturated, off, dead).

Every builder takes pre-binned counts or per-layer numbers and returns a Plotly figure:
float32 arrays, a handful of traces, nothing ever drawn from inf or NaN.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from .style import COLORS, FONT_SIZE, PALETTE, TEXT, figure, format_power, layout, series

# The density map colours log10 of each bin's share of its layer (in %); empty bins sit
# at the floor, below the smallest share a 16384-value sample can show (0.006 %).
SHARE_FLOOR_LOG10 = -3.0
SHADE = "rgba(214, 39, 40, 0.10)"       # saturated / off regions, on every chart alike
GRADIENT_COLOR = "#222222"              # apart from every layer's palette colour


def _share_colorscale() -> list:
    """White for empty bins (the floor), then Viridis from the smallest share up."""
    colors = plotly.colors.sequential.Viridis
    start = 0.12              # just below log10(100 / 16384) on the [floor, 2] range
    return [[0.0, "#ffffff"], [start, "#ffffff"]] + [
        [start + (1 - start) * i / (len(colors) - 1), c] for i, c in enumerate(colors)]


SHARE_COLORSCALE = _share_colorscale()
CURVE_COLORS = (COLORS["act"], COLORS["dead"], COLORS["preact"])


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def centers(edges: np.ndarray) -> np.ndarray:
    return 0.5 * (edges[:-1] + edges[1:])


def density(counts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts as a probability density on the edges' units (Karpathy's density=True)."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / (total * np.diff(edges)) if total > 0 else np.zeros_like(counts)


def legend_label(layer: int, mean: float, log10_var: float, frac: float | None,
                 frac_word: str | None) -> str:
    """'layer 3: mean +0.012, std 0.62, saturated 3.79%' (std and mean readable at 1e300)."""
    if math.isfinite(mean) and abs(mean) < 1e4:
        m = f"{mean:+.3f}" if abs(mean) >= 1e-3 or mean == 0 else f"{mean:+.1e}"
    else:
        m = "overflow" if not math.isfinite(mean) else f"{mean:+.2e}"
    log_std = 0.5 * log10_var
    std = f"{10 ** log_std:.0f}" if 3 <= log_std < 4 else format_power(log_std)
    text = f"layer {layer}: mean {m}, std {std}"
    if frac_word is not None and frac is not None:
        text += f", {frac_word} {100 * frac:.2f}%"
    return text


def format_percent(frac: float) -> str:
    return f"{100 * frac:.2f}%" if frac < 0.9995 or frac == 1 else f"{100 * frac:.3f}%"


def saturated_ranges(bounds: tuple[float, float], threshold: float) -> list[tuple[float, float]]:
    """The two value ranges a bounded activation counts as saturated: |unit| > threshold
    on its [-1, 1] scale, mapped back onto its own output range."""
    lo, hi = bounds
    edge = (1.0 - threshold) * (hi - lo) / 2.0
    return [(lo, lo + edge), (hi - edge, hi)]


def _vline(x: float, color: str, dash: str = "dash", yref: str = "y domain") -> dict:
    return dict(type="line", xref="x", yref=yref, x0=x, x1=x, y0=0, y1=1,
                line=dict(color=color, dash=dash, width=2))


def _hline(y: float, color: str) -> dict:
    return dict(type="line", xref="x domain", yref="y", x0=0, x1=1, y0=y, y1=y,
                line=dict(color=color, width=3))


def _note(text: str, x: float, y: float, xref: str, yref: str, **kw) -> dict:
    return dict(text=text, x=x, y=y, xref=xref, yref=yref, showarrow=False,
                font=dict(color=TEXT, size=FONT_SIZE), **kw)


def activation_histograms(edges: np.ndarray, hist: np.ndarray, layers: Sequence[int],
                          means: np.ndarray, log10_vars: np.ndarray, fracs: np.ndarray | None,
                          frac_word: str | None,
                          gradients: Sequence[tuple[str, np.ndarray, np.ndarray]] = (),
                          shade: Sequence[tuple[float, float]] = (),
                          x_title: str = "activation value",
                          title: str = "Activation distribution, layer by layer",
                          gradient_title: str = "local gradient φ′") -> go.Figure:
    """The chosen layers' histograms overlaid as density lines (top), the local gradient
    over the same value axis (bottom).

    hist: (depth, bins) counts on `edges`; layers: 1-based layer numbers to draw; means,
    log10_vars, fracs: per-layer numbers for the legend ("layer k: mean, std, <frac_word>
    %"; no percentage when frac_word is None). gradients: (name, x, phi') curves, one for
    all layers or one per drawn layer (then in that layer's colour). shade: value ranges
    that count as saturated / off."""
    x = _f32(centers(edges))
    data = []
    for i, layer in enumerate(layers):
        k = layer - 1
        label = legend_label(layer, float(means[k]), float(log10_vars[k]),
                             None if fracs is None else float(fracs[k]), frac_word)
        data.append(dict(
            type="scatter", x=x, y=_f32(density(hist[k], edges)), name=label, mode="lines",
            **series(i),
            hovertemplate="value %{x:.3f}: density %{y:.3g}<extra>layer " + str(layer)
                          + "</extra>"))
    per_layer = len(gradients) > 1
    for i, (name, gx, gy) in enumerate(gradients):
        data.append(dict(
            type="scatter", x=_f32(gx), y=_f32(gy), name=name, mode="lines", xaxis="x2",
            yaxis="y2",
            showlegend=not per_layer or i == 0,
            # one per layer: in that layer's colour and dash, as in the panel above
            line=(series(i, width=2)["line"] if per_layer
                  else dict(color=GRADIENT_COLOR, width=3)),
            hovertemplate="value %{x:.3f}: φ′ = %{y:.3g}<extra>" + name + "</extra>"))
    lo, hi = float(edges[0]), float(edges[-1])
    shapes = [dict(type="rect", xref=xr, yref=yr, x0=a, x1=b, y0=0, y1=1, fillcolor=SHADE,
                   line=dict(width=0), layer="below")
              for a, b in shade for xr, yr in (("x", "y domain"), ("x2", "y2 domain"))]
    return figure(data, layout(
        title, height=560,
        xaxis=dict(range=[lo, hi], anchor="y", matches="x2", showticklabels=False),
        yaxis=dict(domain=[0.36, 1.0], title=dict(text="density"), rangemode="tozero"),
        xaxis2=dict(range=[lo, hi], anchor="y2", title=dict(text=x_title)),
        yaxis2=dict(domain=[0.0, 0.3], title=dict(text=gradient_title), rangemode="tozero"),
        shapes=shapes, hovermode="closest", margin=dict(b=80)))


def layer_density_map(edges: np.ndarray, counts: np.ndarray, valid_layers: int,
                      marks: Sequence[float] = (), x_title: str = "activation value",
                      title: str = "All layers at once: where the values sit") -> go.Figure:
    """Layer x value heatmap: each row is one layer's histogram as shares of that layer
    (log colour), so a pile-up at the ends shows at every depth at once.

    valid_layers: rows past it (inf/NaN after an overflow) are left empty and marked.
    marks: values to draw as dashed lines (the saturation threshold)."""
    counts = np.asarray(counts, dtype=np.float64)
    depth = counts.shape[0]
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(totals > 0, 100.0 * counts / totals, 0.0)
        z = np.where(share > 0, np.log10(share), SHARE_FLOOR_LOG10)
    z[valid_layers:] = SHARE_FLOOR_LOG10
    z = np.maximum(z, SHARE_FLOOR_LOG10)
    ticks = list(range(int(SHARE_FLOOR_LOG10), 3))
    shapes = [_vline(m, COLORS["act"]) for m in marks]
    notes = []
    if valid_layers < depth:
        shapes.append(_hline(valid_layers + 0.5, COLORS["limit"]))
        notes.append(_note(f"inf/NaN from layer {valid_layers + 1}", 0.01, valid_layers + 0.5,
                           "x domain", "y", xanchor="left", align="left", yanchor="top"))
    heatmap = dict(
        type="heatmap", x=_f32(centers(edges)), y=np.arange(1, depth + 1, dtype=np.int16),
        z=_f32(z), zmin=SHARE_FLOOR_LOG10, zmax=2.0, colorscale=SHARE_COLORSCALE,
        colorbar=dict(title=dict(text="share of layer"), tickvals=ticks,
                      ticktext=[f"{10.0 ** t:g}%" for t in ticks]),
        hovertemplate="layer %{y}, value %{x:.3f}: 10^%{z:.2f} %<extra></extra>")
    return figure([heatmap], layout(
        title, height=min(300 + 6 * depth, 700), shapes=shapes, annotations=notes,
        xaxis=dict(title=dict(text=x_title), range=[float(edges[0]), float(edges[-1])]),
        yaxis=dict(title=dict(text="layer"), autorange="reversed" if depth > 1 else True),
        hovermode="closest"))


def percent_by_layer(curves: dict[str, np.ndarray], valid_layers: int | None = None,
                     marks: Sequence[int] = (), mark_name: str = "shown above",
                     title: str = "Saturated values, layer by layer",
                     y_title: str = "% of values",
                     colors: Sequence[str] = CURVE_COLORS) -> go.Figure:
    """One line per curve (fractions per layer, layer 1 first) drawn in percent; layers
    from valid_layers on (inf/NaN) are left out; `marks` highlights some layers on the
    first curve, each in the colour it has in the histogram."""
    data, first, top = [], None, 1.0
    for i, (name, fracs) in enumerate(curves.items()):
        fracs = np.asarray(fracs, dtype=np.float64)
        n = len(fracs) if valid_layers is None else min(valid_layers, len(fracs))
        y = _f32(100.0 * fracs[:n])
        if first is None:
            first = y
        top = max(top, float(y.max()) if n else 0.0)
        look = series(i, len(curves), markers=True)
        look["line"]["color"] = colors[i % len(colors)]
        data.append(dict(
            type="scatter", x=np.arange(1, n + 1, dtype=np.int16), y=y, name=name,
            mode="lines+markers", **look,
            hovertemplate="layer %{x}: %{y:.2f}%<extra>" + name + "</extra>"))
    shown = [k for k in marks if first is not None and 1 <= k <= len(first)]
    if shown:
        data.append(dict(
            type="scatter", x=np.asarray(shown, dtype=np.int16),
            y=_f32([first[k - 1] for k in shown]),
            name=mark_name, mode="markers",
            marker=dict(size=14, color=[PALETTE[i % len(PALETTE)] for i in range(len(shown))],
                        line=dict(color="white", width=2)),
            hovertemplate="layer %{x}: %{y:.2f}%<extra></extra>"))
    total = max((len(f) for f in curves.values()), default=1)
    shapes, notes = [], []
    if valid_layers is not None and valid_layers < total:
        shapes.append(_vline(valid_layers + 0.5, COLORS["limit"], dash="solid"))
        notes.append(_note(f"inf/NaN from layer {valid_layers + 1}", valid_layers + 0.5, 1.0,
                           "x", "y domain", xanchor="left", align="left", yanchor="top"))
    return figure(data, layout(
        title, height=400, shapes=shapes, annotations=notes, hovermode="closest",
        yaxis=dict(title=dict(text=y_title), range=[0, 1.1 * top if top < 90 else 102]),
        xaxis=dict(title=dict(text="layer"), range=[0.5, total + 0.5])))
