"""Initialization charts: every scheme side by side, the initial loss against the readout
scale, and one example's softmax probabilities.

Pure functions: per-layer numbers in, a Plotly figure out.
"""

from __future__ import annotations

import math
import numpy as np
import plotly.graph_objects as go

from .style import (COLORS, PALETTE, figure, finite_or_none, hline, layout, power_axis,
                    power_label, power_ticks)

VERDICT_COLORS = {"stable": PALETTE[2], "drifting": PALETTE[6], "exploding": PALETTE[1],
                  "vanishing": PALETTE[0], "overflow": PALETTE[4], "underflow": PALETTE[4],
                  "zero": PALETTE[3]}
# The verdict in a second carrier besides colour: the line's dash, and a word under the title.
VERDICT_DASHES = {"stable": "solid", "drifting": "longdashdot", "exploding": "dash",
                  "vanishing": "dot", "overflow": "dashdot", "underflow": "dashdot",
                  "zero": "longdash"}
VERDICT_WORDS = {"stable": "steady", "drifting": "drifts", "exploding": "explodes",
                 "vanishing": "vanishes", "overflow": "overflows", "underflow": "rounds to 0",
                 "zero": "all zero"}
# Each panel row in pixels: four title lines above the plot, tick labels under it.
TITLE_PX, PANEL_PX, TICKS_PX = 88, 170, 40


def schemes_figure(curves: dict[str, np.ndarray], verdicts: dict[str, str],
                   subtitles: dict[str, str], y_title: str, cols: int = 3,
                   notes: dict[str, str] | None = None) -> go.Figure:
    """Small multiples, one panel and one trace per scheme (name -> log10 values per layer),
    on a shared log axis; each line coloured, dashed and titled by its verdict (green
    solid steady, black long-dash-dot drifting, red dashed exploding, blue dotted
    vanishing), `notes` (name -> a few words, such as the share saturated) after the
    word. Three panels a row keep the 16 px titles apart on a 1280 px screen (four
    touch); the panels are laid out by hand (make_subplots costs ~10x more)."""
    names = list(curves)
    rows = max(1, math.ceil(len(names) / cols))
    row_px = TITLE_PX + PANEL_PX + TICKS_PX
    plot_px = rows * row_px
    data, axes, titles, finite_vals = [], {}, [], []
    gap_x = 0.02
    for k, name in enumerate(names):
        r, c = divmod(k, cols)
        ax = "" if k == 0 else str(k + 1)
        x0, x1 = c / cols + gap_x, (c + 1) / cols - gap_x
        y1 = 1 - (r * row_px + TITLE_PX) / plot_px
        y0 = y1 - PANEL_PX / plot_px
        axes[f"xaxis{ax}"] = dict(domain=[x0, x1], anchor=f"y{ax}")
        axes[f"yaxis{ax}"] = dict(domain=[y0, y1], anchor=f"x{ax}", showticklabels=c == 0)
        if r == rows - 1:
            axes[f"xaxis{ax}"]["title"] = dict(text="layer")
        if c == 0:
            axes[f"yaxis{ax}"]["title"] = dict(text=y_title)
        if k:
            axes[f"xaxis{ax}"]["matches"] = "x"
            axes[f"yaxis{ax}"]["matches"] = "y"
        kind = verdicts.get(name, "")
        titles.append(_panel_title(name, subtitles.get(name, ""), kind, (x0 + x1) / 2, y1,
                                   (notes or {}).get(name, "")))
        y = finite_or_none(curves[name])
        finite_vals += [v for v in y if v is not None]
        data.append(dict(
            type="scatter", x=np.arange(1, len(y) + 1, dtype=np.float32), y=y, name=name,
            mode="lines", line=dict(color=VERDICT_COLORS.get(kind, PALETTE[8]), width=3,
                                    dash=VERDICT_DASHES.get(kind, "solid")),
            showlegend=False, xaxis=f"x{ax}", yaxis=f"y{ax}",
            hovertemplate="layer %{x}: 10^%{y:.2f}<extra>" + f"{name} ({kind})</extra>"))
    lo, hi = (min(finite_vals), max(finite_vals)) if finite_vals else (-1.0, 1.0)
    pad = max(0.5, 0.05 * (hi - lo))
    for key, axis in axes.items():
        if key.startswith("yaxis"):
            axis.update(power_axis(lo - pad, hi + pad, max_ticks=5, reached=(lo, hi),
                                   plot_px=PANEL_PX))
            if not axis["showticklabels"]:         # decade marks only beside the labels
                axis.pop("minor", None)
    # the settings line under the title leaves the sidebar's init out (ui.charts)
    return figure(data, layout("Every init scheme on the same network", height=plot_px + 104,
                               annotations=titles, above=10, margin=dict(b=50),
                               hovermode="closest", meta=dict(compares=["init"]), **axes))


def _panel_title(name: str, subtitle: str, kind: str, x: float, y: float,
                 note: str = "") -> dict:
    """Name (its variant on a line of its own), subtitle and verdict word above a panel."""
    head = name.replace(" (", "<br>(") if " (" in name else name + "<br> "
    word = VERDICT_WORDS.get(kind, kind) + (f", {note}" if note else "")
    return dict(text=f"<b>{head}</b><br>{subtitle}<br><i>{word}</i>", x=x, y=y,
                xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                showarrow=False)       # "auto" would push the outer columns' titles out


def loss_figure(scales: np.ndarray, log10_loss: np.ndarray, loss_uniform: float,
                current_scale: float, current_log10_loss: float, classes: int) -> go.Figure:
    """The mean initial loss against the readout scale (both on log axes), log(classes)
    marked, and the current scale as a point."""
    x = np.log10(np.asarray(scales, dtype=np.float64))
    y = finite_or_none(log10_loss)
    data = [dict(type="scatter", x=x.astype(np.float32), y=y, name="initial loss",
                 mode="lines+markers", line=dict(color=PALETTE[1], width=3), marker=dict(size=5),
                 customdata=np.asarray(scales, dtype=np.float32),
                 hovertemplate="scale %{customdata:.3g}: loss 10^%{y:.3f}<extra></extra>")]
    if math.isfinite(current_log10_loss):
        data.append(dict(
            type="scatter", x=[math.log10(current_scale)], y=[current_log10_loss],
            mode="markers",
            name=f"readout scale {current_scale:g}: loss {10 ** current_log10_loss:.4g}"
            if current_log10_loss < 300 else f"readout scale {current_scale:g}",
            marker=dict(size=15, color=COLORS["limit"], symbol="diamond",
                        line=dict(color="black", width=1.5))))
    level = math.log10(loss_uniform)
    shape, note = hline(level, dict(color=COLORS["theory"], dash="dash", width=2),
                        f"log {classes} = {loss_uniform:.4f}: knows nothing, says so")
    vals = [v for v in y if v is not None] + [level]
    lo, hi = min(vals), max(vals)
    pad = max(0.2, 0.05 * (hi - lo))
    tickvals, ticktext = _ticks(lo - pad, hi + pad)
    xt = list(range(math.floor(x.min()), math.ceil(x.max()) + 1))
    return figure(data, layout(
        "Confidently wrong at init", height=430, shapes=[shape], annotations=[note],
        yaxis=dict(title=dict(text="initial loss (log scale)"), range=[lo - pad, hi + pad],
                   tickvals=tickvals, ticktext=ticktext),
        xaxis=dict(title=dict(text="readout scale (multiplies the last layer)"), tickvals=xt,
                   ticktext=[power_label(k) for k in xt]),
        hovermode="closest"))


def _ticks(lo: float, hi: float):
    """1, 3, 10, 30, ... when the range is short; powers of ten otherwise."""
    if hi - lo > 4:
        return power_ticks(lo, hi, max_ticks=7)
    vals = [k + math.log10(m) for k in range(math.floor(lo), math.ceil(hi) + 1) for m in (1, 3)]
    vals = [v for v in vals if lo <= v <= hi]
    return vals, [f"{10 ** v:.0f}" if v >= 0 else f"{10 ** v:.2g}" for v in vals]


def softmax_figure(probs: np.ndarray, label: int, scale: float,
                   reference: np.ndarray | None = None, reference_scale: float | None = None,
                   example: int = 0) -> go.Figure:
    """One example's softmax probabilities over the classes, its true class highlighted,
    the uniform 1/classes marked; optionally the same example at a reference scale."""
    classes = len(probs)
    x = np.arange(classes, dtype=np.float32)
    data = []
    if reference is not None:
        data.append(dict(type="bar", x=x, y=np.asarray(reference, dtype=np.float32),
                         name=f"readout scale {reference_scale:g}",
                         marker=dict(color="rgba(85, 85, 85, 0.35)")))
    colors = [COLORS["limit"] if c == label else PALETTE[0] for c in range(classes)]
    data.append(dict(type="bar", x=x, y=np.asarray(probs, dtype=np.float32),
                     name=f"readout scale {scale:g} (true class in orange)",
                     marker=dict(color=colors)))
    shape, note = hline(1.0 / classes, dict(color=COLORS["theory"], dash="dash", width=2),
                        f"1/{classes}: knows nothing")
    return figure(data, layout(
        f"Example {example}: what the network predicts", height=430, shapes=[shape],
        annotations=[note], xaxis=dict(title=dict(text="class"), dtick=max(1, classes // 14)),
        yaxis=dict(title=dict(text="probability"), range=[0, 1.02]),
        barmode="group", bargap=0.15, hovermode="closest"))


def verdict_subtitle(sigma_w2: float) -> str:
    return f"fan_in × Var(W) = {sigma_w2:.3g}"
