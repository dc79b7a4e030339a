"""The Depth scales page's charts: two inputs' correlation through depth, which depths
train over sigma_w^2, the Jacobian's squared singular values per depth, and the output's
size over draws of the weights. Numbers in, figure out (the core computes them:
core.experiments.depth_scales)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import (COLORS, PALETTE, figure, finite_or_none, hline, layout, power_axis,
                    series, vline)

MEASURED, PREDICTED = "measured: mean over the pairs", "the correlation map"
PAIR_RANGE = "measured: lowest to highest pair"
# Loss above the input-blind network's best (nats): red above 0 (learned nothing, or
# worse), blue below (learned from the context), white at 0. Diverging, colour-blind safe
# ends (the palette's vermillion and blue).
LOSS_SCALE = [[0.0, PALETTE[0]], [0.5, "#f7f7f7"], [1.0, PALETTE[1]]]


def _x(n: int, start: int = 1) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


# -- order and chaos ------------------------------------------------------------------------

def correlation_figure(mean: np.ndarray, low: np.ndarray, high: np.ndarray,
                       predicted: np.ndarray | None, c_star: float | None, c0: float,
                       title: str = "Two inputs' correlation through depth") -> go.Figure:
    """c_l per layer: the pairs' mean with their lowest-to-highest band, the map's
    prediction dashed, the fixed point c* as a guide (None: not drawn); c0 on the title.
    NaN (a layer where no pair is defined) is a gap."""
    depth = len(mean)
    x = _x(depth)
    lo_y, hi_y = finite_or_none(low), finite_or_none(high)
    data = [dict(type="scatter", x=x, y=lo_y, mode="lines", line=dict(width=0),
                 showlegend=False, hoverinfo="skip"),
            dict(type="scatter", x=x, y=hi_y, mode="lines", line=dict(width=0),
                 fill="tonexty", fillcolor=COLORS["band"], name=PAIR_RANGE, hoverinfo="skip"),
            dict(type="scatter", x=x, y=finite_or_none(mean), name=MEASURED,
                 mode="lines+markers", **series(0, 2, markers=True),
                 hovertemplate="layer %{x}: c = %{y:.3f}<extra>measured</extra>")]
    values = [v for v in lo_y + hi_y if v is not None]
    if predicted is not None:
        pred = finite_or_none(predicted)
        values += [v for v in pred if v is not None]
        data.append(dict(type="scatter", x=x, y=pred, name=PREDICTED, mode="lines",
                         line=dict(color=COLORS["theory"], width=3, dash="dash"),
                         hovertemplate="layer %{x}: c = %{y:.3f}<extra>the map</extra>"))
    marks = []
    if c_star is not None and math.isfinite(c_star):
        values.append(c_star)
        marks.append(hline(c_star, dict(color=COLORS["limit"], dash="dot", width=2),
                           f"c* = {c_star:.3g}"))
    lo = min(values + [c0, 0.0]) if values else -1.0
    look = layout(f"{title} (c₀ = {c0:g})", hovermode="closest",
                  xaxis=dict(title=dict(text="layer"), range=[0.5, depth + 0.5]),
                  yaxis=dict(title=dict(text="correlation c_l of the pre-activations"),
                             range=[max(-1.05, lo - 0.05), 1.05]))
    if marks:
        look.update(shapes=[s for s, _ in marks], annotations=[a for _, a in marks])
    return figure(data, look)


# -- trainability ---------------------------------------------------------------------------

def trainability_figure(depths: Sequence[int], sigma_w2: Sequence[float],
                        above_baseline: np.ndarray, curves: dict[str, tuple],
                        point: tuple[float, int] | None = None,
                        column: tuple[float, Sequence[int], np.ndarray] | None = None,
                        critical: float | None = None, baseline: str = "the unigram entropy",
                        title: str = "Which depths train") -> go.Figure:
    """The grid's final validation loss above `baseline` (nats, depth x sigma_w2) as a
    heatmap, diverging at 0; `curves` name -> (sigma_w2s, depths) drawn over it (a
    depth past the axis is a gap); `point` (sigma_w2, depth) marked; `column` (sigma_w2,
    depths, nats above the baseline) a live column drawn as squares on the same colour
    scale; `critical` the critical sigma_w2, a guide. A loss that is not finite (a run
    that diverged) takes the top of the scale."""
    z = np.asarray(above_baseline, dtype=float)
    extra = np.asarray(column[2], dtype=float) if column is not None else np.zeros(0)
    finite = np.concatenate([z[np.isfinite(z)], extra[np.isfinite(extra)]])
    top = max(float(np.max(np.abs(finite))) if finite.size else 1.0, 0.05)
    (x_lo, x_hi), (_, y_top) = grid_ranges(depths, sigma_w2)
    hover = "σ_w² %{x:.3g}, depth %{y}: %{customdata}<extra></extra>"
    data = [dict(type="heatmap", x=np.asarray(sigma_w2, dtype=np.float32),
                 y=np.asarray(depths, dtype=np.float32), z=_clipped(z, top),
                 customdata=_loss_words(z), coloraxis="coloraxis", hovertemplate=hover,
                 name="stored grid")]
    if column is not None:
        s, col_depths, _ = column
        data.append(dict(type="scatter", x=np.full(len(col_depths), s, dtype=np.float32),
                         y=np.asarray(col_depths, dtype=np.float32), mode="markers",
                         name=f"your column, σ_w² = {s:.3g}", customdata=_loss_words(extra),
                         marker=dict(symbol="square", size=22, color=_clipped(extra, top),
                                     coloraxis="coloraxis", line=dict(color="black", width=2)),
                         hovertemplate=hover))
    for i, (name, (xs, ys)) in enumerate(curves.items()):
        ys = np.asarray(ys, dtype=float)
        shown = np.where(np.isfinite(ys) & (ys <= y_top), ys, np.nan)
        data.append(dict(type="scatter", x=np.asarray(xs, dtype=np.float32),
                         y=finite_or_none(shown), name=name, mode="lines",
                         line=dict(color=["black", COLORS["theory"]][i % 2], width=3,
                                   dash=["solid", "dash"][i % 2]),
                         hovertemplate="σ_w² %{x:.3g}: %{y:.3g} layers<extra>" + name
                         + "</extra>"))
    if point is not None:
        data.append(dict(type="scatter", x=[float(point[0])], y=[float(point[1])],
                         mode="markers", name="your network",
                         marker=dict(size=18, color=COLORS["limit"], symbol="diamond",
                                     line=dict(color="black", width=1.5)),
                         hovertemplate="σ_w² %{x:.3g}, depth %{y}<extra>your network</extra>"))
    look = layout(title, height=520, hovermode="closest",
                  xaxis=dict(title=dict(text="σ_w² = fan_in × Var(W)"), range=[x_lo, x_hi]),
                  yaxis=dict(title=dict(text="depth (layers)"), range=[0, y_top]),
                  coloraxis=dict(colorscale=LOSS_SCALE, cmin=-top, cmax=top,
                                 colorbar=dict(title=dict(text=f"loss − {baseline}<br>(nats)",
                                                          side="right"))))
    if critical is not None and x_lo <= critical <= x_hi:
        shape, note = vline(critical, dict(color=COLORS["theory"], dash="dot", width=2),
                            "critical σ_w²")
        look.update(shapes=[shape], annotations=[note])
    return figure(data, look)


def grid_ranges(depths: Sequence[int], sigma_w2: Sequence[float]) -> tuple[tuple, tuple]:
    """The trainability chart's axis ranges ((sigma_w2 low, high), (0, depth top)): the
    grid's cells whole, half a step past the outer columns and the deepest row.

    >>> grid_ranges((5, 10, 20), (0.5, 1.0, 2.0))
    ((0.25, 2.5), (0, 25.0))
    """
    y_top = max(depths) + (depths[-1] - depths[-2] if len(depths) > 1 else 1) / 2
    x_lo = min(sigma_w2) - (sigma_w2[1] - sigma_w2[0] if len(sigma_w2) > 1 else 0.5) / 2
    x_hi = max(sigma_w2) + (sigma_w2[-1] - sigma_w2[-2] if len(sigma_w2) > 1 else 0.5) / 2
    return (x_lo, x_hi), (0, y_top)


def _clipped(z: np.ndarray, top: float) -> np.ndarray:
    """Not finite (diverged): the top of the scale, so that no NaN or inf is drawn."""
    return np.where(np.isfinite(z), np.clip(z, -top, top), top).astype(np.float32)


def _loss_words(z: np.ndarray) -> np.ndarray:
    """Hover text: the loss's distance from the baseline, or that the run diverged."""
    words = np.vectorize(lambda v: f"{v:+.3f} nats" if math.isfinite(v) else "diverged",
                         otypes=[object])
    return words(np.asarray(z, dtype=float)) if np.size(z) else np.zeros(np.shape(z), object)


def boundary_figure(steps: Sequence[int], sides: dict[str, Sequence[np.ndarray]],
                    shown: int | None = None, paper: float = 6.0,
                    title: str = "Where training stops, in depth scales") -> go.Figure:
    """Per side of the critical sigma_w2 (`sides`: name -> one array of boundary multiples
    per step count), the median multiple of xi_c up to which a grid trained against its
    step count (log axis), with the columns' lowest to highest as error bars; `paper`
    (Schoenholz et al. 2017's multiple) dashed; `shown` (the grid on the heatmap) ringed.
    A step count with no column on a side is a gap."""
    steps = np.asarray(steps, dtype=np.float32)
    data, tops = [], [paper]
    for i, (name, per_steps) in enumerate(sides.items()):
        med = [float(np.median(m)) if len(m) else None for m in per_steps]
        up = [float(np.max(m)) - v if v is not None else None for m, v in zip(per_steps, med)]
        down = [v - float(np.min(m)) if v is not None else None for m, v in zip(per_steps, med)]
        tops += [float(np.max(m)) for m in per_steps if len(m)]
        data.append(dict(type="scatter", x=steps, y=med, name=name, mode="lines+markers",
                         error_y=dict(type="data", symmetric=False, array=up, arrayminus=down,
                                      thickness=2, width=6, color=PALETTE[i % len(PALETTE)]),
                         **series(i, len(sides), markers=True),
                         hovertemplate="%{x} steps: %{y:.2f} ξ_c<extra>" + name + "</extra>"))
    if shown is not None and shown in steps:
        data.append(dict(type="scatter", x=[float(shown)] * len(sides), mode="markers",
                         y=[d["y"][list(steps).index(shown)] for d in data[:len(sides)]],
                         name=f"the grid above ({shown} steps)", hoverinfo="skip",
                         marker=dict(size=26, symbol="circle-open", color="black",
                                     line=dict(width=2))))
    # the paper's line labelled at its right end: the short grids' bars reach it at the left
    shape, note = hline(paper, dict(color=COLORS["theory"], dash="dash", width=2),
                        f"Schoenholz et al. 2017: {paper:g} ξ_c", end="right")
    look = layout(title, height=420, hovermode="closest",
                  xaxis=dict(title=dict(text="training steps per network"), type="log",
                             tickvals=steps.tolist(), ticktext=[str(int(s)) for s in steps]),
                  yaxis=dict(title=dict(text="deepest depth that trains / ξ_c"),
                             range=[0, 1.15 * max(tops)]),
                  shapes=[shape], annotations=[note])
    return figure(data, look)


# -- dynamical isometry ---------------------------------------------------------------------

BINS = 40


def isometry_figure(depths: Sequence[int], spectra: dict[str, np.ndarray],
                    title: str = "Squared singular values of the input-output Jacobian"
                    ) -> go.Figure:
    """One panel per depth (rows), one histogram per weight draw (`spectra`: name ->
    (len(depths), n) log10 squared singular values), on a log axis shared by the panels,
    in % of the values; exact zeros (-inf) are left out (the page counts them)."""
    finite = np.concatenate([v[np.isfinite(v)] for v in spectra.values()] or [np.zeros(0)])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if hi - lo < 0.5:                       # an exact isometry: all at one value
        lo, hi = lo - 0.25, hi + 0.25
    edges = np.linspace(lo, hi, BINS + 1)
    centers = ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
    rows = len(depths)
    gap = 0.06
    height = (1 - gap * (rows - 1)) / rows
    data, look = [], {}
    top_share = 1.0
    for r, depth in enumerate(depths):
        axis = "" if r == 0 else str(r + 1)
        for i, (name, values) in enumerate(spectra.items()):
            v = values[r][np.isfinite(values[r])]
            share = 100 * np.histogram(v, edges)[0] / max(values[r].size, 1)
            top_share = max(top_share, float(share.max()) if share.size else 0.0)
            data.append(dict(type="bar", x=centers, y=share.astype(np.float32),
                             name=name, legendgroup=name, showlegend=r == 0,
                             marker=dict(color=PALETTE[i], opacity=0.6,
                                         pattern=dict(shape=["", "/"][i % 2])),
                             xaxis=f"x{axis}", yaxis=f"y{axis}",
                             hovertemplate=f"depth {depth}: 10^%{{x:.2f}}: %{{y:.1f}} %"
                                           f"<extra>{name}</extra>"))
        bottom = 1 - (r + 1) * height - r * gap
        look[f"yaxis{axis}"] = dict(domain=[bottom, bottom + height], anchor=f"x{axis}",
                                    title=dict(text=f"depth {depth}: %"))
        look[f"xaxis{axis}"] = power_axis(lo, hi, max_ticks=7, anchor=f"y{axis}",
                                          matches="x" if r else None,
                                          showticklabels=r == rows - 1,
                                          title=dict(text="squared singular value (log scale)")
                                          if r == rows - 1 else None)
    for r in range(rows):
        axis = "" if r == 0 else str(r + 1)
        look[f"yaxis{axis}"]["range"] = [0, top_share * 1.08]
        look[f"xaxis{axis}"] = {k: v for k, v in look[f"xaxis{axis}"].items() if v is not None}
    # room on the right for the last tick's label, which sits on the axis's end
    return figure(data, layout(title, height=150 + 170 * rows, barmode="overlay", bargap=0,
                               hovermode="closest", margin=dict(r=40), **look))


# -- finite width ---------------------------------------------------------------------------

def finite_width_figure(values: np.ndarray, law: tuple[float, float] | None,
                        law_name: str = "the law: normal, variance 5 Σ 1/n_l",
                        title: str = "The output's size over draws of the weights"
                        ) -> go.Figure:
    """A histogram of ln(||x_L||^2 / ||x_0||^2) (finite values only) in % of them, and
    `law` (mean, variance) as a normal density scaled to the bars."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    mean, var = law if law is not None else (None, None)
    lo, hi = (float(v.min()), float(v.max())) if v.size else (-1.0, 1.0)
    if law is not None and var > 0:
        lo, hi = min(lo, mean - 3 * math.sqrt(var)), max(hi, mean + 3 * math.sqrt(var))
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    bins = int(min(40, max(8, math.sqrt(max(v.size, 1)) * 2)))
    edges = np.linspace(lo, hi, bins + 1)
    share = 100 * np.histogram(v, edges)[0] / max(v.size, 1)
    data = [dict(type="bar", x=((edges[:-1] + edges[1:]) / 2).astype(np.float32),
                 y=share.astype(np.float32), name=f"measured ({v.size} values)",
                 marker=dict(color=PALETTE[0], opacity=0.7),
                 hovertemplate="%{x:.2f}: %{y:.1f} %<extra>measured</extra>")]
    top = float(share.max()) if share.size else 1.0
    if law is not None and var > 0:
        x = np.linspace(lo, hi, 200)
        density = np.exp(-(x - mean) ** 2 / (2 * var)) / math.sqrt(2 * math.pi * var)
        curve = 100 * density * (edges[1] - edges[0])          # % of values per bin
        top = max(top, float(curve.max()))
        data.append(dict(type="scatter", x=x.astype(np.float32), y=curve.astype(np.float32),
                         mode="lines", name=law_name,
                         line=dict(color=COLORS["theory"], width=3, dash="dash"),
                         hovertemplate="%{x:.2f}: %{y:.1f} %<extra>the law</extra>"))
    look = layout(title, hovermode="closest", bargap=0.05,
                  xaxis=dict(title=dict(text="ln(‖x_L‖² / ‖x_0‖²)"), range=[lo, hi]),
                  yaxis=dict(title=dict(text="% of the values"), range=[0, top * 1.1]))
    return figure(data, look)
