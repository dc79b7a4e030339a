"""Training over steps: the loss curve, every layer's activations as a step x value
density map, per-layer curves over steps (saturated %, update:data and grad:data ratios),
a layer's input statistics (covariate shift) and BatchNorm's train/eval losses.

Numbers in, Plotly figures out, written as plain dicts (figures.style.figure: the page
redraws them every chunk while it trains); inf and NaN are never drawn as data (gaps
instead).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .histograms import SHARE_COLORSCALE, SHARE_FLOOR_LOG10, centers
from .style import COLORS, PALETTE, figure, finite_or_none, layout, series

MAX_POINTS = 1500          # a loss curve longer than this is drawn as means of equal bins
LIVE_POINTS = 400          # while training: the browser redraws the chart every chunk


def binned(steps: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS):
    """(steps, values) reduced to at most max_points bin means (NaN/inf left out of the
    means), so a 100,000-step curve costs the browser what a 1500-step one does.

    >>> s, v = binned(np.arange(10), np.arange(10.0), max_points=5)
    >>> s.tolist(), v.tolist()
    ([0.5, 2.5, 4.5, 6.5, 8.5], [0.5, 2.5, 4.5, 6.5, 8.5])
    """
    steps, values = np.asarray(steps, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if len(values) <= max_points:
        return steps, values
    k = math.ceil(len(values) / max_points)
    n = len(values) // k * k
    ok = np.isfinite(values[:n]).reshape(-1, k)
    sums = np.where(ok, values[:n].reshape(-1, k), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(ok.any(axis=1), sums / ok.sum(axis=1), np.nan)
    return steps[:n].reshape(-1, k).mean(axis=1), means


def _guides(*marks: tuple, log_y: bool = False) -> dict:
    """Horizontal lines across the plot, each (y, text, color, dash, where) with its
    label right or left above it, as layout shapes and annotations. On a log y axis
    (log_y) a shape is placed by its data value and an annotation by the value's log10
    (Plotly's rule for each)."""
    shapes, notes = [], []
    for y, text, color, dash, where in marks:
        shapes.append(dict(type="line", xref="paper", x0=0, x1=1, yref="y", y0=y, y1=y,
                           line=dict(color=color, dash=dash, width=2)))
        notes.append(dict(text=text, xref="paper", x=0.99 if where == "right" else 0.01,
                          xanchor=where, align=where, yref="y", y=math.log10(y) if log_y else y,
                          yanchor="bottom", showarrow=False))
    return dict(shapes=shapes, annotations=notes)


def _uniform_guide(uniform_loss: float, words: str = "") -> tuple:
    return uniform_loss, f"−ln(1/27) = {uniform_loss:.4f}{words}", COLORS["theory"], "dash", "right"


def _title(text: str) -> dict:
    return dict(title=dict(text=text))


LABEL_PX = 22              # a direct label's line at 16 px, and the gap to the next
LOSS_PLOT_PX = 336         # the loss chart's plot height: 440 px less the head and axis
# With runs compared, the legend is a key to the line kinds and each run is named at the
# end of its validation curve: the runs' own entries would not fit one row.
KEY = (("minibatch: thin line", dict(color="#555555", width=1)),
       ("validation: thick line", dict(color="#555555", width=3)))


def loss_figure(runs: dict[str, dict], uniform_loss: float,
                title: str = "Loss while training", max_points: int = MAX_POINTS) -> go.Figure:
    """Per run (label -> dict(steps, loss, eval_steps, valid_loss)): the minibatch loss
    (thin) and the validation loss (thick, in the run's own dash and marker) on a log y
    axis; the initial loss of the first run marked; -ln(1/27) dashed. Runs compared are
    named at the end of their validation curves, so they read without their colours."""
    data, values, ends, x_hi = [], [uniform_loss], [], 0.0
    compared = len(runs) > 1
    for i, (label, r) in enumerate(runs.items()):
        look = series(i, len(runs), markers=True)
        color = look["line"]["color"]
        s, v = binned(r["steps"], r["loss"], max_points)
        y = finite_or_none(v)
        vy = finite_or_none(r["valid_loss"])
        values += [x for x in y + vy if x is not None and x > 0]
        x_hi = max([x_hi, *s[-1:], *np.asarray(r["eval_steps"], dtype=float)[-1:]])
        data.append(dict(
            type="scatter", x=s.astype(np.float32), y=y, mode="lines",
            name=f"{label}: minibatch", line=dict(color=color, width=1), opacity=0.45,
            showlegend=not compared,
            hovertemplate="step %{x:.0f}: loss %{y:.3f}<extra>" + label + "</extra>"))
        data.append(dict(
            type="scatter", x=np.asarray(r["eval_steps"], dtype=np.float32), y=vy,
            mode="lines+markers", name=f"{label}: validation", **look,
            showlegend=not compared,
            hovertemplate="step %{x:.0f}: validation %{y:.3f}<extra>" + label + "</extra>"))
        last = [(float(x), v) for x, v in zip(r["eval_steps"], vy) if v is not None and v > 0]
        if last:
            ends.append((label, *last[-1]))
    if compared:
        data += [dict(type="scatter", x=[None], y=[None], mode="lines", name=name, line=line,
                      hoverinfo="skip") for name, line in KEY]
    first = next(iter(runs.values()), None)
    if first is not None and len(first["loss"]) and math.isfinite(first["loss"][0]):
        start = float(first["loss"][0])
        data.append(dict(
            type="scatter", x=[0.0], y=[start], mode="markers+text",
            name=f"initial loss {start:.4g}", text=[f"  start: {start:.4g}"],
            textposition="middle right",
            marker=dict(size=14, color=COLORS["limit"], symbol="diamond",
                        line=dict(color="black", width=1.5)),
            hovertemplate="initial loss %{y:.4f}<extra></extra>"))
    lo, hi = math.log10(max(min(values), 1e-3)) - 0.05, math.log10(max(values)) + 0.08
    guides = _guides(_uniform_guide(uniform_loss, ": knows nothing, says so"), log_y=True)
    # the steps' range set, a little either side: the start's diamond whole, and each
    # run's label placed at its own end while the runs are at different steps
    x_range = [-0.015 * x_hi, 1.02 * x_hi] if x_hi > 0 else None
    if compared and x_range:
        guides["annotations"] += end_labels(ends, (lo, hi), guides["annotations"], x_range)
    return figure(data, layout(
        title, height=440, hovermode="closest",
        yaxis=dict(type="log", **_title("loss (log scale)"), range=[lo, hi]),
        xaxis=dict(**_title("training step"),
                   **(dict(range=x_range) if x_range else dict(rangemode="tozero"))),
        **guides))


def end_labels(ends: list[tuple[str, float, float]], y_range: tuple[float, float],
               fixed: list[dict] = (), x_range: tuple[float, float] = (0.0, 1.0),
               plot_px: float = LOSS_PLOT_PX) -> list[dict]:
    """A label at the end of each curve ((text, x, y): its last point, on axes of
    `x_range` and, log, `y_range` in log10 units), right-aligned above it, so the runs
    read without their colours. Labels that would touch one another or a `fixed` label
    (above a guide line, y in log10 units) are moved apart as little as they can,
    LABEL_PX apart and in the order of their curves, by an offset in px of the plot
    (`plot_px` tall). Placed in the plot's fractions: a label in data coordinates
    marks a guide line there.

    >>> [n["yshift"] for n in end_labels([("a", 0.5, 10.0), ("b", 1, 10.0)], (0.0, 2.0))]
    [-11, 11]
    """
    (x_lo, x_hi), (lo, hi) = x_range, y_range
    px = plot_px / (hi - lo)
    natural = [math.log10(y) * px for _, _, y in ends]
    placed = spread(natural + [n["y"] * px for n in fixed],
                    [1.0] * len(ends) + [1e9] * len(fixed), LABEL_PX)
    return [dict(text=text, x=(x - x_lo) / (x_hi - x_lo), y=(math.log10(y) - lo) / (hi - lo),
                 xref="x domain", yref="y domain", xanchor="right", align="right",
                 yanchor="bottom", showarrow=False, yshift=round(placed[i] - natural[i]),
                 bgcolor="rgba(255, 255, 255, 0.8)")
            for i, (text, x, y) in enumerate(ends)]


def spread(at: list[float], weights: list[float], gap: float) -> list[float]:
    """Positions for labels wanted `at` these, at least `gap` apart, in the same order:
    labels that would touch form a run `gap` apart, centred on their wanted places
    (weighted: a heavy label hardly moves), runs merged until none touch.

    >>> spread([0.0, 5.0, 100.0], [1, 1, 1], 20)
    [-7.5, 12.5, 100.0]
    >>> [round(v, 3) for v in spread([0.0, 5.0], [1, 1e9], 20)]
    [-15.0, 5.0]
    """
    order = sorted(range(len(at)), key=lambda i: at[i])
    runs = [[i] for i in order]

    def start(run):
        w = sum(weights[i] for i in run)
        return sum(weights[i] * (at[i] - k * gap) for k, i in enumerate(run)) / w

    while True:
        for j in range(len(runs) - 1):
            if start(runs[j + 1]) - (start(runs[j]) + (len(runs[j]) - 1) * gap) < gap:
                runs[j:j + 2] = [runs[j] + runs[j + 1]]
                break
        else:
            break
    out = [0.0] * len(at)
    for run in runs:
        s = start(run)
        for k, i in enumerate(run):
            out[i] = s + k * gap
    return out


def density_over_steps(steps: np.ndarray, hist: np.ndarray, edges: np.ndarray,
                       layers: Sequence[int], x_title: str = "training step",
                       title: str = "Activations over training, one row per layer") -> go.Figure:
    """Karpathy-style "colorful dimension": for each layer (1-based numbers, `layers`),
    a step x value heatmap of the share of the layer's values in each bin (log colour),
    rows stacked; hist[:, i] and edges[i] are layers[i]'s."""
    hist = np.asarray(hist, dtype=np.float64)          # (records, len(layers), bins) shares
    n = max(len(layers), 1)
    gap = 0.02 if n > 1 else 0.0
    h = (1 - gap * (n - 1)) / n
    data, axes = [], {}
    x = np.asarray(steps, dtype=np.float32)
    ticks = list(range(int(SHARE_FLOOR_LOG10), 3))
    for i, layer in enumerate(layers):
        ax = "" if i == 0 else str(i + 1)
        share = 100.0 * hist[:, i, :].T                            # (bins, records)
        with np.errstate(divide="ignore"):
            z = np.where(share > 0, np.log10(np.maximum(share, 1e-12)), SHARE_FLOOR_LOG10)
        z = np.maximum(z, SHARE_FLOOR_LOG10)
        top = 1 - i * (h + gap)
        data.append(dict(
            type="heatmap", x=x, y=centers(edges[i]).astype(np.float32),
            z=z.astype(np.float32), zmin=SHARE_FLOOR_LOG10, zmax=2.0,
            colorscale=SHARE_COLORSCALE, showscale=i == 0,
            colorbar=dict(title=dict(text="share of layer"), tickvals=ticks,
                          ticktext=[f"{10.0 ** t:g}%" for t in ticks]),
            xaxis=f"x{ax}", yaxis=f"y{ax}", name=f"layer {layer}",
            hovertemplate=f"layer {layer}, step %{{x:.0f}}, value %{{y:.3f}}: "
                          "10^%{z:.2f} %<extra></extra>"))
        last = i == n - 1
        axes[f"xaxis{ax}"] = dict(anchor=f"y{ax}", showticklabels=last,
                                  **({"matches": "x"} if i else {}),
                                  **(_title(x_title) if last else {}))
        axes[f"yaxis{ax}"] = dict(domain=[max(top - h, 0.0), min(top, 1.0)], anchor=f"x{ax}",
                                  title=dict(text=f"layer {layer}"), nticks=3)
    # rows tall enough for three full-size ticks each (readable from the back row)
    return figure(data, layout(title, height=min(160 + 120 * n, 1400), hovermode="closest",
                               **axes))


def layers_over_steps(steps: np.ndarray, values: np.ndarray, layers: Sequence[int],
                      title: str, y_title: str, percent: bool = False,
                      guide: tuple[float, str] | None = None,
                      log10_values: bool = False) -> go.Figure:
    """One line per chosen layer (1-based) of a (records, depth) array over steps;
    `guide` = (value, text) dashed; log10_values: the values are log10s, ticked 10^k."""
    x = np.asarray(steps, dtype=np.float32)
    vals = np.asarray(values, dtype=np.float64)
    data = []
    for i, layer in enumerate(layers):
        y = vals[:, layer - 1] * (100.0 if percent else 1.0)
        data.append(dict(
            type="scatter", x=x, y=finite_or_none(y), mode="lines", name=f"layer {layer}",
            **series(i, len(layers), width=2.5),
            hovertemplate="step %{x:.0f}: %{y:.3g}" + ("%" if percent else "")
                          + f"<extra>layer {layer}</extra>"))
    yaxis = _title(y_title)
    if log10_values:
        finite = vals[np.isfinite(vals)]
        lo = min(float(finite.min()) if finite.size else -4.0, guide[0] if guide else 0.0)
        hi = max(float(finite.max()) if finite.size else 0.0, guide[0] if guide else 0.0)
        ks = list(range(math.floor(lo), math.ceil(hi) + 1))
        yaxis.update(tickvals=ks, ticktext=[f"10<sup>{k}</sup>" if k else "1" for k in ks],
                     range=[lo - 0.3, hi + 0.3])
    elif percent:
        yaxis.update(rangemode="tozero")
    marks = () if guide is None else ((guide[0], guide[1], COLORS["theory"], "dash", "left"),)
    return figure(data, layout(title, height=420, hovermode="closest", yaxis=yaxis,
                               xaxis=_title("training step"), **_guides(*marks)))


def shift_figure(runs: dict[str, dict], layer: int) -> go.Figure:
    """A layer's input statistics over steps, per run (label -> dict(steps, mean, std)):
    mean solid, std dotted, so a drift of either shows at once."""
    data = []
    for i, (label, r) in enumerate(runs.items()):
        color = PALETTE[i % len(PALETTE)]
        x = np.asarray(r["steps"], dtype=np.float32)
        data.append(dict(type="scatter", x=x, y=finite_or_none(r["std"]), mode="lines",
                         name=f"{label}: std", line=dict(color=color, width=3),
                         hovertemplate="step %{x:.0f}: std %{y:.3g}<extra></extra>"))
        data.append(dict(type="scatter", x=x, y=finite_or_none(r["mean"]), mode="lines",
                         name=f"{label}: mean", line=dict(color=color, width=2, dash="dot"),
                         hovertemplate="step %{x:.0f}: mean %{y:.3g}<extra></extra>"))
    return figure(data, layout(
        f"What enters layer {layer}'s activation, over training", height=440,
        hovermode="closest", yaxis=_title("value"), xaxis=_title("training step")))


def batch_size_figure(sizes: Sequence[int], train_mode: Sequence[float], eval_mode: float,
                      uniform_loss: float) -> go.Figure:
    """Validation loss of the trained BatchNorm network in train mode (statistics of
    batches of each size) against eval mode (running statistics)."""
    data = [dict(type="bar", x=[f"batch {b}" for b in sizes], y=finite_or_none(train_mode),
                 name="train mode", marker=dict(color=PALETTE[1]),
                 hovertemplate="%{x}: loss %{y:.4f}<extra>train mode</extra>")]
    marks = [_uniform_guide(uniform_loss)]
    if math.isfinite(eval_mode):
        marks.insert(0, (eval_mode, f"eval mode (running statistics): {eval_mode:.4f}",
                         PALETTE[0], "solid", "left"))
    return figure(data, layout(
        "BatchNorm after training: statistics of small batches", height=420,
        yaxis=dict(**_title("validation loss"), rangemode="tozero"), **_guides(*marks)))
