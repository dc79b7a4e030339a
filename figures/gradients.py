"""Gradient-flow charts: forward and backward variance through depth, the mean-field phase
diagram, and Karpathy's per-layer gradient histograms.

Pure functions: per-layer numbers and pre-binned counts in, a Plotly figure out.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import COLORS, figure, format_power, layout, power_axis, series
from .variance import variance_figure

FORWARD = "forward: activation variance"
BACKWARD = "backward: gradient Var(dL/dh)"
THEORY = "theory: gradient (χ₁ per layer)"


def flow_figure(log10_act_var, log10_grad_var, theory_log10_grad_var=None,
                overflow_layer: int | None = None,
                underflow_layer: int | None = None) -> go.Figure:
    """The forward activation variance and the backward gradient variance per layer on one
    log axis, with the mean-field gradient prediction dashed when there is one."""
    theory = None if theory_log10_grad_var is None else {THEORY: theory_log10_grad_var}
    return variance_figure({FORWARD: log10_act_var, BACKWARD: log10_grad_var}, theory,
                           overflow_layer, title="Forward and backward through depth",
                           underflow_layer=underflow_layer)


def histogram_figure(hist: np.ndarray, edges: np.ndarray, layers: Sequence[int],
                     legends: Sequence[str], title: str, x_title: str) -> go.Figure:
    """One density line per chosen layer (Karpathy's overlaid histograms), counts given
    per layer on shared edges; empty layers (all values inf/NaN) are left out."""
    data = []
    centers = (0.5 * (edges[:-1] + edges[1:])).astype(np.float32)
    width = np.diff(edges)
    for k, (layer, legend) in enumerate(zip(layers, legends)):
        counts = np.asarray(hist[layer], dtype=np.float64)
        total = counts.sum()
        if total <= 0:
            continue
        data.append(dict(
            type="scatter", x=centers, y=(counts / (total * width)).astype(np.float32),
            name=legend, mode="lines", **series(k, width=2.5),
            hovertemplate="%{x:.2f}: %{y:.3f}<extra>" + legend + "</extra>"))
    look = layout(title, height=430, xaxis=dict(title=dict(text=x_title)),
                  yaxis=dict(title=dict(text="density"), rangemode="tozero"),
                  hovermode="closest")
    return figure(data, look)


def grad_legend(layer: int, log10_var: float) -> str:
    """'layer 3: std 1.2e-3' (readable at 1e-300 too)."""
    return f"layer {layer + 1}: std {format_power(0.5 * log10_var)}"


def ratio_legend(layer: int, log10_ratio: float) -> str:
    """'layer 3: grad:data 4.5e-3' — Karpathy's std(dL/dW) / std(W)."""
    return f"layer {layer + 1}: grad:data {format_power(log10_ratio)}"


def phase_figure(line_sigma_b2: np.ndarray, line_sigma_w2: np.ndarray, sigma_b2: float,
                 sigma_w2: float, chi1: float, activation: str) -> go.Figure:
    """The critical line chi1 = 1 in the (sigma_b^2, sigma_w^2) plane, with this network
    marked: below the line gradients vanish (ordered), above it they explode (chaotic)."""
    data = []
    ok = np.isfinite(line_sigma_w2)
    y_line = np.log10(line_sigma_w2[ok]) if ok.any() else np.zeros(0)
    y_point = math.log10(sigma_w2)
    ys = list(y_line) + [y_point]
    lo, hi = min(ys) - 0.7, max(ys) + 0.7
    x_hi = float(max(line_sigma_b2.max() if line_sigma_b2.size else 1.0, sigma_b2)) * 1.05
    if ok.any():
        x = line_sigma_b2[ok].astype(np.float32)
        # Hatched one way and dotted the other as well as tinted: the regions' legend
        # swatches must not differ by colour alone.
        for edge, color, shape, name in (
                (hi, "rgba(213, 94, 0, 0.10)", "/", "chaotic: gradients explode"),
                (lo, "rgba(0, 114, 178, 0.10)", ".", "ordered: gradients vanish")):
            data.append(dict(
                type="scatter", x=np.concatenate([x, x[::-1]]),
                y=np.concatenate([y_line, np.full(len(x), edge)]).astype(np.float32),
                fill="toself", fillcolor=color, line=dict(width=0), name=name,
                fillpattern=dict(shape=shape, fgcolor=color.replace("0.10", "0.3"), size=14),
                hoverinfo="skip"))
        data.append(dict(
            type="scatter", x=x, y=y_line.astype(np.float32), name="critical line: χ₁ = 1",
            mode="lines", line=dict(color=COLORS["theory"], width=3),
            hovertemplate="σ_b² %{x:.3g}: σ_w² = %{customdata:.3g}<extra>critical</extra>",
            customdata=line_sigma_w2[ok].astype(np.float32)))
    data.append(dict(
        type="scatter", x=[float(sigma_b2)], y=[y_point], mode="markers",
        name=f"this network (χ₁ = {chi1:.3g})",
        marker=dict(size=16, color=COLORS["limit"], symbol="diamond",
                    line=dict(color="black", width=1.5)),
        hovertemplate=f"σ_b² = {sigma_b2:.3g}, σ_w² = {sigma_w2:.3g}, χ₁ = {chi1:.3g}<extra></extra>"))
    return figure(data, layout(
        f"Phase diagram for {activation}", height=400,
        yaxis=power_axis(lo, hi, max_ticks=7,
                         title=dict(text="σ_w² = fan_in × Var(W) (log scale)")),
        xaxis=dict(title=dict(text="σ_b² = bias variance"), range=[-0.02 * x_hi, x_hi]),
        hovermode="closest"))
