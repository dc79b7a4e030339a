"""Normalization charts: which values share statistics (the GroupNorm paper's picture),
per-layer percentages, batchmate sensitivity, the train/eval mismatch, and activation
histograms of a few variants.

Pure functions: masks, per-layer numbers or pre-binned counts in, a Plotly figure out.
Small multiples are laid out by hand (make_subplots costs ~10x more per rerun).
"""

from __future__ import annotations

import math
import textwrap
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import FONT_SIZE, PALETTE, figure, finite_or_none, layout, merge, series
from .variance import variance_parts

SET_COLORS = [[0.0, "#e8e8e8"], [0.33, "#e8e8e8"], [0.34, "#6baed6"], [0.66, "#6baed6"],
              [0.67, "#08306b"], [1.0, "#08306b"]]      # other / same statistics / the cell
SETS_TOP = 0.72              # the panels' top: four title lines of 16 px fit above
# Every chart here compares normalizations (or BatchNorm's modes): the settings line
# under its title leaves the sidebar's own out (ui.charts.settings_for).
COMPARES = dict(compares=["norm"])


def sets_figure(masks: dict[str, np.ndarray], examples: Sequence[int], channels: Sequence[int],
                positions: Sequence[int], cell: tuple[int, int, int],
                subtitles: dict[str, str] | None = None) -> go.Figure:
    """One panel per normalization: examples down, channels across (each channel a block of
    its positions); the cell in dark blue, the values it is normalized with in light blue.
    masks: title -> bool [example, channel, position] on the pictured indices."""
    names = list(masks)
    n_ex, n_ch, n_pos = len(examples), len(channels), len(positions)
    data, axes, notes, shapes = [], {}, [], []
    cols = len(names)
    shown = _labelled_channels(channels)
    for k, name in enumerate(names):
        m = np.asarray(masks[name], dtype=np.float32).reshape(n_ex, n_ch * n_pos)
        z = m.copy()
        if cell[0] in examples and cell[1] in channels and cell[2] in positions:
            r = list(examples).index(cell[0])
            c = list(channels).index(cell[1]) * n_pos + list(positions).index(cell[2])
            z[r, c] = 2.0
        ax = "" if k == 0 else str(k + 1)
        x0, x1 = k / cols + 0.012, (k + 1) / cols - 0.012
        axes[f"xaxis{ax}"] = dict(
            domain=[x0, x1], anchor=f"y{ax}", showgrid=False, zeroline=False,
            tickvals=[i * n_pos + (n_pos - 1) / 2 for i in shown],
            ticktext=[str(channels[i]) for i in shown], tickangle=0,
            # one axis title, under the middle panel: five would run into each other
            title=dict(text=("channel" + (" × position" if n_pos > 1 else ""))
                       if k == cols // 2 else ""))
        axes[f"yaxis{ax}"] = dict(
            domain=[0.0, SETS_TOP], anchor=f"x{ax}", autorange="reversed", showgrid=False,
            zeroline=False, tickvals=list(range(n_ex)), ticktext=[str(n) for n in examples],
            showticklabels=k == 0)
        if k == 0:
            axes["yaxis"]["title"] = dict(text="example")
        head = name.replace(" (", "<br>(") if " (" in name else name + "<br> "
        sub = "<br>".join(textwrap.wrap(subtitles.get(name, "") if subtitles else "", 12))
        notes.append(dict(text=f"<b>{head}</b><br>{sub}", x=(x0 + x1) / 2, y=SETS_TOP + 0.02,
                          xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                          showarrow=False, font=dict(size=FONT_SIZE)))
        text = [[f"example {examples[r]}, channel {channels[c // n_pos]}, position "
                 f"{positions[c % n_pos]}" for c in range(n_ch * n_pos)] for r in range(n_ex)]
        for i in range(n_ch - 1):            # a gap in the channel numbers: mark it
            if channels[i + 1] != channels[i] + 1:
                shapes.append(dict(type="line", xref=f"x{ax}", yref=f"y{ax}",
                                   x0=(i + 1) * n_pos - 0.5, x1=(i + 1) * n_pos - 0.5,
                                   y0=-0.5, y1=n_ex - 0.5, line=dict(color="#333", width=2)))
        data.append(dict(type="heatmap", z=z, zmin=0, zmax=2, colorscale=SET_COLORS,
                         showscale=False, xgap=2, ygap=2, xaxis=f"x{ax}", yaxis=f"y{ax}",
                         name=name, text=text,
                         hovertemplate="%{text}<extra>" + name + "</extra>"))
    return figure(data, layout("Which values each normalization averages together", height=460,
                               annotations=notes, shapes=shapes, above=10,
                               hovermode="closest", meta=COMPARES, **axes))


def _labelled_channels(channels: Sequence[int], most: int = 4) -> list[int]:
    """Which of the pictured channels get a label: the first of each run of neighbours
    (the picture skips channels), or every few when they all follow on; five panels a
    row leave about 110 px a panel at 1280 px, room for four 16 px numbers.

    >>> _labelled_channels([0, 1, 2, 25, 26, 27, 50, 51, 52, 75, 76, 77])
    [0, 3, 6, 9]
    >>> _labelled_channels(list(range(12)))
    [0, 3, 6, 9]
    """
    starts = [i for i in range(len(channels)) if i == 0 or channels[i] != channels[i - 1] + 1]
    if 1 < len(starts) <= most:
        return starts
    return list(range(0, len(channels), max(1, math.ceil(len(channels) / most))))


def lineup_variance_figure(curves: dict[str, np.ndarray], title: str,
                           y_title: str = "variance (log scale)") -> go.Figure:
    """figures.variance.variance_figure for a lineup: one line per variant."""
    data, look = variance_parts(curves, title=title, y_title=y_title, show_limits=False)
    return figure(data, merge(look, meta=COMPARES))


def fraction_figure(curves: dict[str, np.ndarray], title: str, y_title: str) -> go.Figure:
    """Per-layer fractions (0..1) as percentages, one line per name; NaN left out."""
    return figure(*_fraction_parts(curves, title, y_title))


def _fraction_parts(curves, title, y_title) -> tuple[list[dict], dict]:
    data = []
    for i, (name, vals) in enumerate(curves.items()):
        y = [None if v is None else 100.0 * v for v in finite_or_none(vals)]
        data.append(dict(
            type="scatter", x=np.arange(1, len(y) + 1, dtype=np.float32), y=y, name=name,
            mode="lines+markers", **series(i, len(curves), markers=True),
            hovertemplate="layer %{x}: %{y:.2f}%<extra>" + name + "</extra>"))
    return data, layout(title, height=420, xaxis=dict(title=dict(text="layer")),
                        yaxis=dict(title=dict(text=y_title), ticksuffix="%", rangemode="tozero"),
                        meta=COMPARES)


def mismatch_figure(mismatch: np.ndarray, train_batches: int) -> go.Figure:
    """||eval output - train output|| / ||train output|| per layer, in %."""
    y = [None if v is None else 100.0 * v for v in finite_or_none(mismatch)]
    bars = dict(type="bar", x=np.arange(1, len(y) + 1, dtype=np.float32), y=y,
                marker=dict(color=PALETTE[1]), name="eval vs train",
                hovertemplate="layer %{x}: %{y:.1f}%<extra></extra>")
    return figure([bars], layout(
        f"Train/eval mismatch after {train_batches} training "
        f"batch{'es' if train_batches != 1 else ''}", height=420, meta=COMPARES,
        xaxis=dict(title=dict(text="layer")),
        yaxis=dict(title=dict(text="relative difference"), ticksuffix="%", rangemode="tozero")))


def activation_hist_figure(hists: dict[str, tuple[np.ndarray, np.ndarray, float]],
                           title: str, x_title: str) -> go.Figure:
    """Density lines of a few runs' activations at one layer: name -> (counts, edges,
    log10 scale of the edges: true edges = edges * 10**scale)."""
    data = []
    for i, (name, (counts, edges, log10_scale)) in enumerate(hists.items()):
        counts = np.asarray(counts, dtype=np.float64)
        total = counts.sum()
        if total <= 0 or not math.isfinite(log10_scale) or abs(log10_scale) > 300:
            continue
        true_edges = np.asarray(edges, dtype=np.float64) * 10.0**log10_scale
        centers = 0.5 * (true_edges[:-1] + true_edges[1:])
        dens = counts / (total * np.diff(true_edges))
        data.append(dict(
            type="scatter", x=centers.astype(np.float32), y=dens.astype(np.float32),
            name=name, mode="lines", **series(i),
            hovertemplate="%{x:.3g}: %{y:.3g}<extra>" + name + "</extra>"))
    look = layout(title, height=420, xaxis=dict(title=dict(text=x_title)),
                  yaxis=dict(title=dict(text="density"), rangemode="tozero"), hovermode="closest",
                  meta=COMPARES)
    return figure(data, look)


def sensitivity_figure(curves: dict[str, np.ndarray]) -> go.Figure:
    """How much example 0's output changes when its batchmates are swapped, per layer."""
    data, look = _fraction_parts(curves, "Does one example depend on its batchmates?",
                                 "change of example 0's output")
    for tr in data:
        if not tr["name"].startswith("BatchNorm"):
            tr["line"]["dash"] = "dash"
    return figure(data, look)
