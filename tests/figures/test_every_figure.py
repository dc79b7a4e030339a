"""Every figure the pages draw, built from real core output, is valid Plotly.

The builders write plain dicts and skip Plotly's validation (figures.style.figure: it
cost 15-35 ms per figure per rerun). Here every figure is rebuilt with full validation:
it must construct, and validation must change nothing in what Streamlit sends (a string
title that Plotly would turn into {"text": ...}, a None it would drop, a wrong type it
would coerce all show up as a difference). Some builders are also checked against
copies of their former graph_objects versions, kept below for that purpose only.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from bench.figures import cases
from figures import gradients, heatmaps, histograms, init, norms, style, training, variance
from figures.histograms import SHARE_COLORSCALE, SHARE_FLOOR_LOG10, centers
from figures.style import (COLORS, FONT, FONT_SIZE, GRID, PALETTE, finite_or_none, power_axis,
                           power_ticks, series)

BUILDER_MODULES = (variance, gradients, histograms, heatmaps, init, norms, training)


@functools.cache
def small_cases():
    """The pages' figures on networks of depth 12 (tanh, an overflowing float16 ReLU, GELU,
    a float16 tanh that vanishes to zero, the init and normalization comparisons, the
    Training page's charts after 100 steps)."""
    return tuple(cases(depth=12, width=32, batch=64, train_steps=100))


def sent(fig: go.Figure) -> dict:
    """The figure as Streamlit sends it to the browser (st.plotly_chart)."""
    return json.loads(pio.to_json(fig, validate=False))


def validated(fig: go.Figure) -> go.Figure:
    return go.Figure(fig.to_dict())           # full validation: raises on anything invalid


def test_every_figure_is_valid_plotly_as_built():
    failures = []
    for case in small_cases():
        fig = case.build()
        try:
            same = sent(validated(fig)) == sent(fig)
        except ValueError as err:              # Plotly's validation error
            failures.append(f"{case.name}: {str(err)[:300]}")
            continue
        if not same:
            failures.append(f"{case.name}: validation changes the figure")
    assert not failures, failures


def test_the_check_catches_what_validation_would_fix_or_refuse():
    as_string = style.figure([dict(type="scatter", y=[1.0])],
                             style.layout("t", xaxis=dict(title="layer")))
    assert sent(validated(as_string)) != sent(as_string)      # title -> {"text": "layer"}
    typo = style.figure([dict(type="scatter", y=[1.0], colour="red")], style.layout("t"))
    with pytest.raises(ValueError):
        validated(typo)


def test_cases_cover_every_builder():
    built = {(c.module, c.function) for c in small_cases()}
    builders = {(m.__name__.split(".")[-1], name)
                for m in BUILDER_MODULES for name, fn in inspect.getmembers(m, inspect.isfunction)
                if fn.__module__ == m.__name__ and not name.startswith("_")
                and inspect.signature(fn).return_annotation in ("go.Figure", go.Figure)}
    assert builders - built == set()
    assert len(builders) >= 14


def test_builders_keep_numpy_arrays():
    """Arrays go out as typed arrays (base64), float32 where the data is float."""
    for case in small_cases():
        if case.name in ("tanh variance", "tanh activation histograms", "tanh density map"):
            fig = sent(case.build())
            x = fig["data"][-1]["x"]
            assert isinstance(x, dict) and x["dtype"] in ("f4", "i2"), (case.name, x)


# -- the former graph_objects builders, verbatim but for names --------------------------

def old_base_layout(fig, title, height=460):
    fig.update_layout(
        title=dict(text=title, x=0.01, font=dict(size=FONT_SIZE + 4)), font=FONT,
        height=height, margin=dict(l=70, r=20, t=60, b=60), plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        hovermode="x unified")
    fig.update_xaxes(GRID)
    fig.update_yaxes(GRID)
    return fig


def old_variance_figure(curves, theory=None, overflow_layer=None, title="Variance through depth",
                        y_title="variance (log scale)", show_limits=True, underflow_layer=None,
                        band=None):
    fig = go.Figure()
    all_vals = []
    for name, (lo_vals, hi_vals) in (band or {}).items():
        lo_y, hi_y = finite_or_none(lo_vals), finite_or_none(hi_vals)
        all_vals += [v for v in lo_y + hi_y if v is not None]
        x = np.arange(1, len(lo_y) + 1, dtype=np.float32)
        fig.add_trace(go.Scatter(x=x, y=lo_y, mode="lines", line=dict(width=0),
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=hi_y, mode="lines", line=dict(width=0), fill="tonexty",
                                 fillcolor=COLORS["band"], name=name, hoverinfo="skip"))
    for i, (name, vals) in enumerate(curves.items()):
        y = finite_or_none(vals)
        all_vals += [v for v in y if v is not None]
        fig.add_trace(go.Scatter(
            x=np.arange(1, len(y) + 1, dtype=np.float32), y=y, name=name, mode="lines+markers",
            **series(i, len(curves), markers=True),
            hovertemplate="layer %{x}: 10^%{y:.2f}<extra>" + name + "</extra>"))
    for i, (name, vals) in enumerate((theory or {}).items()):
        y = finite_or_none(vals)
        all_vals += [v for v in y if v is not None]
        fig.add_trace(go.Scatter(
            x=np.arange(1, len(y) + 1, dtype=np.float32), y=y, name=name, mode="lines",
            line=dict(color=COLORS["theory"], width=2, dash="dash" if i == 0 else "dot"),
            hovertemplate="layer %{x}: 10^%{y:.2f}<extra>" + name + "</extra>"))
    lo, hi = (min(all_vals), max(all_vals)) if all_vals else (-1.0, 1.0)
    reached = (lo, hi)
    if show_limits:
        for dtype, level in variance.OVERFLOW_LOG10_VAR.items():
            if lo - 3 <= level <= hi + 3:
                fig.add_hline(y=level, line=dict(color=COLORS["limit"], dash="dot", width=2),
                              annotation_text=f"{dtype} overflows near here",
                              annotation_position="top left")
                lo, hi = min(lo, level), max(hi, level)
    for layer, what in ((overflow_layer, "inf/NaN"), (underflow_layer, "rounded to 0")):
        if layer is not None:
            fig.add_vline(x=layer + 1, line=dict(color=COLORS["limit"], width=3),
                          annotation_text=f"{what} from layer {layer + 1}",
                          annotation_position="top right")
    pad = max(0.5, 0.05 * (hi - lo))
    fig.update_yaxes(title=y_title, **power_axis(lo - pad, hi + pad, reached=reached))
    fig.update_xaxes(title="layer", rangemode="tozero")
    return old_base_layout(fig, title)


def old_phase_figure(line_sigma_b2, line_sigma_w2, sigma_b2, sigma_w2, chi1, activation):
    fig = go.Figure()
    ok = np.isfinite(line_sigma_w2)
    y_line = np.log10(line_sigma_w2[ok]) if ok.any() else np.zeros(0)
    y_point = math.log10(sigma_w2)
    ys = list(y_line) + [y_point]
    lo, hi = min(ys) - 0.7, max(ys) + 0.7
    x_hi = float(max(line_sigma_b2.max() if line_sigma_b2.size else 1.0, sigma_b2)) * 1.05
    if ok.any():
        x = line_sigma_b2[ok].astype(np.float32)
        fig.add_trace(go.Scatter(
            x=np.concatenate([x, x[::-1]]), y=np.concatenate(
                [y_line, np.full(len(x), hi)]).astype(np.float32),
            fill="toself", fillcolor="rgba(213, 94, 0, 0.10)", line=dict(width=0),
            fillpattern=dict(shape="/", fgcolor="rgba(213, 94, 0, 0.3)", size=14),
            name="chaotic: gradients explode", hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=np.concatenate([x, x[::-1]]), y=np.concatenate(
                [y_line, np.full(len(x), lo)]).astype(np.float32),
            fill="toself", fillcolor="rgba(0, 114, 178, 0.10)", line=dict(width=0),
            fillpattern=dict(shape=".", fgcolor="rgba(0, 114, 178, 0.3)", size=14),
            name="ordered: gradients vanish", hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=x, y=y_line.astype(np.float32), name="critical line: χ₁ = 1", mode="lines",
            line=dict(color=COLORS["theory"], width=3),
            hovertemplate="σ_b² %{x:.3g}: σ_w² = %{customdata:.3g}<extra>critical</extra>",
            customdata=line_sigma_w2[ok].astype(np.float32)))
    fig.add_trace(go.Scatter(
        x=[float(sigma_b2)], y=[y_point], mode="markers", name=f"this network (χ₁ = {chi1:.3g})",
        marker=dict(size=16, color=COLORS["limit"], symbol="diamond",
                    line=dict(color="black", width=1.5)),
        hovertemplate=f"σ_b² = {sigma_b2:.3g}, σ_w² = {sigma_w2:.3g}, χ₁ = {chi1:.3g}<extra></extra>"))
    fig.update_yaxes(title="σ_w² = fan_in × Var(W) (log scale)", **power_axis(lo, hi, 7))
    fig.update_xaxes(title="σ_b² = bias variance", range=[-0.02 * x_hi, x_hi])
    fig = old_base_layout(fig, f"Phase diagram for {activation}", height=400)
    fig.update_layout(hovermode="closest")
    fig.update_layout(style.legend_below(fig.layout.to_plotly_json(), len(fig.data)))
    return fig


def old_softmax_figure(probs, label, scale, reference=None, reference_scale=None, example=0):
    classes = len(probs)
    x = np.arange(classes, dtype=np.float32)
    fig = go.Figure()
    if reference is not None:
        fig.add_trace(go.Bar(x=x, y=np.asarray(reference, dtype=np.float32),
                             name=f"readout scale {reference_scale:g}",
                             marker=dict(color="rgba(85, 85, 85, 0.35)")))
    colors = [COLORS["limit"] if c == label else PALETTE[0] for c in range(classes)]
    fig.add_trace(go.Bar(x=x, y=np.asarray(probs, dtype=np.float32),
                         name=f"readout scale {scale:g} (true class in orange)",
                         marker=dict(color=colors)))
    fig.add_hline(y=1.0 / classes, line=dict(color=COLORS["theory"], dash="dash", width=2),
                  annotation_text=f"1/{classes}: knows nothing", annotation_position="top left")
    fig.update_xaxes(title="class", dtick=max(1, classes // 14))
    fig.update_yaxes(title="probability", range=[0, 1.02])
    fig = old_base_layout(fig, f"Example {example}: what the network predicts", height=430)
    fig.update_layout(barmode="group", bargap=0.15, hovermode="closest")
    return fig


# the Training page's builders before they wrote dicts

def old_guide(fig, y: float, text: str, color: str = COLORS["theory"],
               dash: str = "dash", where: str = "right", log_y: bool = False) -> None:
    """A horizontal line across the plot with its label: a layout shape and annotation
    (plotly's add_hline costs tens of milliseconds a figure, redrawn every chunk). On a
    log axis the shape takes the value and the annotation its log10."""
    fig.layout.shapes += (dict(type="line", xref="paper", x0=0, x1=1, yref="y", y0=y, y1=y,
                               line=dict(color=color, dash=dash, width=2)),)
    fig.layout.annotations += (dict(text=text, xref="paper", x=0.99 if where == "right" else 0.01,
                                    xanchor=where, yref="y", y=math.log10(y) if log_y else y,
                                    yanchor="bottom",
                                    showarrow=False),)


def old_loss_figure(runs: dict[str, dict], uniform_loss: float,
                    title: str = "Loss while training", max_points: int = training.MAX_POINTS) -> go.Figure:
    """Per run (label -> dict(steps, loss, eval_steps, valid_loss)): the minibatch loss
    (thin) and the validation loss (thick, markers) on a log y axis; the initial loss
    of the first run marked; -ln(1/27) dashed."""
    fig = go.Figure()
    values = [uniform_loss]
    for i, (label, r) in enumerate(runs.items()):
        color = PALETTE[i % len(PALETTE)]
        s, v = training.binned(r["steps"], r["loss"], max_points)
        y = finite_or_none(v)
        values += [x for x in y if x is not None and x > 0]
        fig.add_trace(go.Scatter(
            x=s.astype(np.float32), y=y, mode="lines", name=f"{label}: minibatch",
            line=dict(color=color, width=1), opacity=0.45,
            hovertemplate="step %{x:.0f}: loss %{y:.3f}<extra>" + label + "</extra>"))
        vy = finite_or_none(r["valid_loss"])
        values += [x for x in vy if x is not None and x > 0]
        fig.add_trace(go.Scatter(
            x=np.asarray(r["eval_steps"], dtype=np.float32), y=vy, mode="lines+markers",
            name=f"{label}: validation", line=dict(color=color, width=3), marker=dict(size=6),
            hovertemplate="step %{x:.0f}: validation %{y:.3f}<extra>" + label + "</extra>"))
    first = next(iter(runs.values()), None)
    if first is not None and len(first["loss"]) and math.isfinite(first["loss"][0]):
        start = float(first["loss"][0])
        fig.add_trace(go.Scatter(
            x=[0.0], y=[start], mode="markers+text", name=f"initial loss {start:.4g}",
            text=[f"  start: {start:.4g}"], textposition="middle right",
            marker=dict(size=14, color=COLORS["limit"], symbol="diamond",
                        line=dict(color="black", width=1.5)),
            hovertemplate="initial loss %{y:.4f}<extra></extra>"))
    old_guide(fig, uniform_loss, f"−ln(1/27) = {uniform_loss:.4f}: knows nothing, says so",
              log_y=True)
    lo, hi = max(min(values), 1e-3), max(values)
    fig.update_yaxes(type="log", title="loss (log scale)",
                     range=[math.log10(lo) - 0.05, math.log10(hi) + 0.08])
    fig.update_xaxes(title="training step", rangemode="tozero")
    fig = old_base_layout(fig, title, height=480)
    fig.update_layout(hovermode="closest")
    return fig


def old_density_over_steps(steps: np.ndarray, hist: np.ndarray, edges: np.ndarray,
                           layers: Sequence[int], x_title: str = "training step",
                           title: str = "Activations over training, one row per layer") -> go.Figure:
    """Karpathy-style "colorful dimension": for each chosen layer (1-based), a step x value
    heatmap of the share of the layer's values in each bin (log colour), rows stacked."""
    hist = np.asarray(hist, dtype=np.float64)          # (records, len(layers), bins) shares
    n = max(len(layers), 1)
    gap = 0.02 if n > 1 else 0.0
    h = (1 - gap * (n - 1)) / n
    data, layout = [], {}
    x = np.asarray(steps, dtype=np.float32)
    ticks = list(range(int(SHARE_FLOOR_LOG10), 3))
    for i, layer in enumerate(layers):
        ax = "" if i == 0 else str(i + 1)
        share = 100.0 * hist[:, i, :].T                            # (bins, records)
        with np.errstate(divide="ignore"):
            z = np.where(share > 0, np.log10(np.maximum(share, 1e-12)), SHARE_FLOOR_LOG10)
        z = np.maximum(z, SHARE_FLOOR_LOG10)
        top = 1 - i * (h + gap)
        data.append(go.Heatmap(
            x=x, y=centers(edges[i]).astype(np.float32), z=z.astype(np.float32),
            zmin=SHARE_FLOOR_LOG10, zmax=2.0, colorscale=SHARE_COLORSCALE, showscale=i == 0,
            colorbar=dict(title="share of layer", tickvals=ticks,
                          ticktext=[f"{10.0 ** t:g}%" for t in ticks]),
            xaxis=f"x{ax}", yaxis=f"y{ax}", name=f"layer {layer}",
            hovertemplate=f"layer {layer}, step %{{x:.0f}}, value %{{y:.3f}}: "
                          "10^%{z:.2f} %<extra></extra>"))
        layout[f"xaxis{ax}"] = dict(anchor=f"y{ax}", matches="x" if i else None,
                                    showticklabels=i == n - 1,
                                    title=x_title if i == n - 1 else None)
        layout[f"yaxis{ax}"] = dict(domain=[max(top - h, 0.0), min(top, 1.0)], anchor=f"x{ax}",
                                    title=dict(text=f"layer {layer}"), nticks=3)
    fig = go.Figure(data=data, layout=layout)
    old_base_layout(fig, title, height=min(160 + 120 * n, 1400))
    fig.update_layout(hovermode="closest")
    return fig


def old_layers_over_steps(steps: np.ndarray, values: np.ndarray, layers: Sequence[int],
                          title: str, y_title: str, percent: bool = False,
                          guide: tuple[float, str] | None = None,
                          log10_values: bool = False) -> go.Figure:
    """One line per chosen layer (1-based) of a (records, depth) array over steps;
    `guide` = (value, text) dashed; log10_values: the values are log10s, ticked 10^k."""
    fig = go.Figure()
    x = np.asarray(steps, dtype=np.float32)
    vals = np.asarray(values, dtype=np.float64)
    for i, layer in enumerate(layers):
        y = vals[:, layer - 1] * (100.0 if percent else 1.0)
        fig.add_trace(go.Scatter(
            x=x, y=finite_or_none(y), mode="lines", name=f"layer {layer}",
            line=dict(color=PALETTE[i % len(PALETTE)], width=2.5,
                      dash=style.DASHES[i % len(style.DASHES)]),
            hovertemplate="step %{x:.0f}: %{y:.3g}" + ("%" if percent else "")
                          + f"<extra>layer {layer}</extra>"))
    if guide is not None:
        old_guide(fig, guide[0], guide[1], where="left")
    if log10_values:
        finite = vals[np.isfinite(vals)]
        lo = min(float(finite.min()) if finite.size else -4.0, guide[0] if guide else 0.0)
        hi = max(float(finite.max()) if finite.size else 0.0, guide[0] if guide else 0.0)
        ks = list(range(math.floor(lo), math.ceil(hi) + 1))
        fig.update_yaxes(tickvals=ks, ticktext=[f"10<sup>{k}</sup>" if k else "1" for k in ks],
                         range=[lo - 0.3, hi + 0.3])
    elif percent:
        fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(title=y_title)
    fig.update_xaxes(title="training step")
    fig = old_base_layout(fig, title, height=420)
    fig.update_layout(hovermode="closest")
    return fig


def old_shift_figure(runs: dict[str, dict], layer: int) -> go.Figure:
    """A layer's input statistics over steps, per run (label -> dict(steps, mean, std)):
    mean solid, std dotted, so a drift of either shows at once."""
    fig = go.Figure()
    for i, (label, r) in enumerate(runs.items()):
        color = PALETTE[i % len(PALETTE)]
        x = np.asarray(r["steps"], dtype=np.float32)
        fig.add_trace(go.Scatter(x=x, y=finite_or_none(r["std"]), mode="lines",
                                 name=f"{label}: std", line=dict(color=color, width=3),
                                 hovertemplate="step %{x:.0f}: std %{y:.3g}<extra></extra>"))
        fig.add_trace(go.Scatter(x=x, y=finite_or_none(r["mean"]), mode="lines",
                                 name=f"{label}: mean", line=dict(color=color, width=2, dash="dot"),
                                 hovertemplate="step %{x:.0f}: mean %{y:.3g}<extra></extra>"))
    fig.update_yaxes(title="value")
    fig.update_xaxes(title="training step")
    fig = old_base_layout(fig, f"What enters layer {layer}'s activation, over training", height=440)
    fig.update_layout(hovermode="closest", legend=dict(orientation="h", y=-0.25, x=0,
                                                       xanchor="left", yanchor="top"))
    return fig


def old_batch_size_figure(sizes: Sequence[int], train_mode: Sequence[float], eval_mode: float,
                          uniform_loss: float) -> go.Figure:
    labels = [f"batch {b}" for b in sizes]
    fig = go.Figure(go.Bar(x=labels, y=finite_or_none(train_mode), name="train mode",
                           marker_color=PALETTE[1],
                           hovertemplate="%{x}: loss %{y:.4f}<extra>train mode</extra>"))
    if math.isfinite(eval_mode):
        old_guide(fig, eval_mode, f"eval mode (running statistics): {eval_mode:.4f}",
               PALETTE[0], "solid", "left")
    old_guide(fig, uniform_loss, f"−ln(1/27) = {uniform_loss:.4f}")
    fig.update_yaxes(title="validation loss", rangemode="tozero")
    fig = old_base_layout(fig, "BatchNorm after training: statistics of small batches", height=420)
    return fig


OLD = {("variance", "variance_figure"): old_variance_figure,
       ("gradients", "phase_figure"): old_phase_figure,
       ("init", "softmax_figure"): old_softmax_figure,
       **{("training", name): globals()[f"old_{name}"]
          for name in ("loss_figure", "density_over_steps", "layers_over_steps",
                       "shift_figure", "batch_size_figure")}}


def test_same_figures_as_the_graph_objects_builders():
    compared, marks = [], set()
    for case in small_cases():
        old = OLD.get((case.module, case.function))
        if old is None:
            continue
        new = sent(case.build())
        assert new == sent(old(*case.args, **case.kwargs)), case.name
        compared.append(case.name)
        marks |= {a["text"].split(" ")[0] for a in new["layout"].get("annotations", [])}
    assert len(compared) == 16     # 4 variance, 3 phase, 1 softmax, 8 training
    # the overflow level, the overflow and underflow lines, the softmax's 1/classes, and
    # the training charts' -ln(1/27), 10^-3 and eval-mode guides
    assert {"float16", "inf/NaN", "rounded", "1/27:", "−ln(1/27)", "10⁻³", "eval"} <= marks, marks


def test_base_layout_keeps_its_look_for_graph_objects_figures():
    def two_panels():
        return go.Figure([go.Scatter(y=[1.0, 2.0]), go.Scatter(y=[3.0], xaxis="x2", yaxis="y2")],
                         layout=dict(xaxis2=dict(domain=[0.6, 1.0]), yaxis2=dict(anchor="x2")))
    assert sent(style.base_layout(two_panels(), "t", 400)) == sent(old_base_layout(two_panels(), "t", 400))
