"""Examples x units maps of saturated / off units, with dead columns marked (Karpathy's
`plt.imshow(h.abs() > 0.99)`), one layer large or several side by side.

Each cell is a small integer code, sent as uint8: 0 active, 1 saturated or off on this
example, 2 saturated or off on every example of the batch (a dead unit's column).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import COLORS, FONT_SIZE, figure, layout

ACTIVE, SATURATED, DEAD = 0, 1, 2
CODE_COLORS = ("#f2f2f2", "#3a3a3a", COLORS["dead"])
# Side-by-side maps are cropped to keep the page light; the big map shows all it has.
SMALL_ROWS, SMALL_UNITS = 64, 128


def _colorscale() -> list:
    """A discrete scale for codes 0, 1, 2 on zmin=0, zmax=2."""
    scale = []
    for code, color in enumerate(CODE_COLORS):
        scale += [[max(0.0, (code - 0.5) / 2), color], [min(1.0, (code + 0.5) / 2), color]]
    return scale


def cell_codes(saturated: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """(rows, units) uint8 codes from a boolean map and the units' dead flags (which
    may be longer: the map keeps only the first units)."""
    saturated = np.asarray(saturated, dtype=bool)
    dead = np.asarray(dead, dtype=bool)[: saturated.shape[1]]
    codes = saturated.astype(np.uint8)
    codes[:, dead] *= DEAD                   # saturated cells of a dead column
    return codes


def strip_codes(dead: np.ndarray, units: int) -> np.ndarray:
    """One row: DEAD where a unit (of the first `units`) is dead, else ACTIVE."""
    return np.where(np.asarray(dead, dtype=bool)[:units], DEAD, ACTIVE).astype(np.uint8)[None, :]


def count_label(dead: np.ndarray) -> str:
    """'3 of 100' for a layer's dead flags."""
    dead = np.asarray(dead, dtype=bool)
    return f"{int(np.count_nonzero(dead))} of {dead.size}"


def _heatmap(z: np.ndarray, name: str, hover: str, **axes) -> dict:
    return dict(type="heatmap", z=z, zmin=0, zmax=2, colorscale=_colorscale(), showscale=False,
                name=name, xgap=0, ygap=0, hovertemplate=hover + "<extra></extra>", **axes)


def dead_map_figure(saturated: np.ndarray, dead: np.ndarray, layer: int, word: str,
                    title: str | None = None) -> go.Figure:
    """One layer's examples x units map (dark: `word` on that example) with a strip above
    marking the dead units, whose whole column is also drawn in the dead colour."""
    codes = cell_codes(saturated, dead)
    rows, units = codes.shape
    n_dead = int(np.count_nonzero(np.asarray(dead, dtype=bool)))
    width = len(dead)
    strip = _heatmap(strip_codes(dead, units), "dead units", "unit %{x}: code %{z} (2 = dead)",
                     xaxis="x", yaxis="y2")
    grid = _heatmap(codes, f"layer {layer}", "example %{y}, unit %{x}: code %{z}")
    title = title or (f"Layer {layer}: {word} units per example; {n_dead} of {width} units "
                      f"dead ({100 * n_dead / max(width, 1):.1f}%)")
    return figure([strip, grid], layout(
        title, height=min(360 + 3 * rows, 700), hovermode="closest",
        xaxis=dict(title=dict(text=f"unit (first {units} of {width})" if units < width
                              else "unit"), anchor="y"),
        yaxis=dict(domain=[0.0, 0.91], title=dict(text="example"), autorange="reversed"),
        yaxis2=dict(domain=[0.93, 1.0], anchor="x", showticklabels=False, ticks="",
                    title=dict(text="dead"))))


def small_multiples(maps: Sequence[tuple[int, np.ndarray | None, np.ndarray]], word: str,
                    cols: int = 3, title: str = "Several layers side by side") -> go.Figure:
    """(layer, boolean map or None, dead flags) per panel, cropped to SMALL_ROWS examples
    x SMALL_UNITS units. A panel whose map is None (inf/NaN) says so instead."""
    n = max(len(maps), 1)
    cols = min(cols, n)
    nrows = math.ceil(n / cols)
    hgap, vgap = 0.03, 0.12
    pw, ph = (1 - hgap * (cols - 1)) / cols, (1 - vgap * (nrows - 1)) / nrows
    data, axes, notes = [], {}, []
    for i, (layer, sat, dead) in enumerate(maps):
        r, c = divmod(i, cols)
        ax = "" if i == 0 else str(i + 1)
        x0, y1 = c * (pw + hgap), 1 - r * (ph + vgap)
        axes[f"xaxis{ax}"] = dict(domain=[max(x0, 0.0), min(x0 + pw, 1.0)], anchor=f"y{ax}",
                                    showticklabels=False, ticks="", showgrid=False)
        axes[f"yaxis{ax}"] = dict(domain=[max(y1 - ph, 0.0), min(y1, 1.0)], anchor=f"x{ax}",
                                    showticklabels=False,
                                    ticks="", showgrid=False, autorange="reversed")
        dead = np.asarray(dead, dtype=bool)
        head = (f"layer {layer}: inf/NaN" if sat is None else
                f"layer {layer}: {100 * dead.mean():.0f}% dead")
        notes.append(dict(text=head, x=x0 + pw / 2, y=y1, xref="paper", yref="paper",
                          xanchor="center", yanchor="bottom", showarrow=False,
                          font=dict(size=FONT_SIZE)))
        if sat is None:
            notes.append(dict(text="no finite values", x=x0 + pw / 2, y=y1 - ph / 2,
                              xref="paper", yref="paper", xanchor="center", showarrow=False))
            continue
        codes = cell_codes(np.asarray(sat)[:SMALL_ROWS, :SMALL_UNITS], dead)
        data.append(_heatmap(codes, f"layer {layer}",
                             f"layer {layer}, example %{{y}}, unit %{{x}}: code %{{z}}",
                             xaxis=f"x{ax}", yaxis=f"y{ax}"))
    # each panel's title sits over it: the first row's above the plot
    return figure(data, layout(title, height=104 + 230 * nrows, annotations=notes, above=30,
                               hovermode="closest", margin=dict(l=20, r=20, b=20), **axes))
