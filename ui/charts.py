"""Every chart reaches the page through `show`: one place decides how charts read.

Streamlit's chart theme (st.plotly_chart's default, theme="streamlit") merges its own look
into the figure's template in the browser: 12 px ticks and legend, 14 px axis titles in
grey #808495 (3.7:1 on white). Plotly takes an axis's own tick font, even a template's,
before the figure's layout.font, so the 16 px that figures.style sets never showed. With
theme=None the figure is drawn as figures.style wrote it: 16 px text in #31333F (12.6:1).

`show` also keeps every text at or above 16 px (a builder may ask for less) and, in
presenter mode (`st.session_state["_present"]`, set by the shell), scales all text by
20/16 and the chart's height with it, for the back of a lecture hall.

An exported chart (the toolbar's "Download plot as png") is drawn `EXPORT_WIDTH` px wide
at twice the resolution, so a legend laid out in one row beside the title stays whole.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from figures.style import FONT_SIZE, PRESENT_FONT_SIZE, figure, power_ticks

EXPORT_WIDTH = 1200         # px: a full-width chart's legend fits beside its title
EXPORT_SCALE = 2            # a PNG sharp enough for a slide or a printed handout


def show(fig: go.Figure, where=st, key: str | None = None, **kwargs) -> None:
    """Draw `fig` in `where` (st, a column, a container) with the app's chart look."""
    present = bool(st.session_state.get("_present"))
    fig = readable(fig, present)
    config = {"toImageButtonOptions": export_options(fig, key), **kwargs.pop("config", {})}
    where.plotly_chart(fig, key=key, theme=None, config=config, **kwargs)


def export_options(fig: go.Figure, key: str | None) -> dict:
    """Plotly's toImageButtonOptions: a PNG `EXPORT_WIDTH` px wide at the figure's own
    height, at `EXPORT_SCALE`, named after the chart."""
    return dict(format="png", filename=f"layerscope_{key or 'chart'}", width=EXPORT_WIDTH,
                height=fig.layout.height or 450, scale=EXPORT_SCALE)


def readable(fig: go.Figure, present: bool = False) -> go.Figure:
    """`fig` with no text under 16 px; in presenter mode every text and the height
    scaled by 20/16 (no text under 20 px). Returns `fig` itself when nothing changes.

    >>> fig = figure([dict(type="scatter", y=[1])],
    ...              dict(height=400, font=dict(size=16), xaxis=dict(tickfont=dict(size=11))))
    >>> readable(fig).layout.xaxis.tickfont.size
    16
    >>> big = readable(fig, present=True).layout
    >>> big.font.size, big.xaxis.tickfont.size, big.height
    (20, 20, 500)
    """
    floor = PRESENT_FONT_SIZE if present else FONT_SIZE
    if not present and _fonts_fine(fig):
        return fig
    scale = floor / FONT_SIZE
    layout = fig.layout.to_plotly_json()             # a copy of the layout only
    font = layout.setdefault("font", {})
    changed = "size" not in font
    font.setdefault("size", FONT_SIZE)               # unset, Plotly would draw 12 px
    changed |= _raise_fonts(layout, floor, scale)
    for axis in _log_axes(layout):
        changed |= _log_ticks(axis)
    if present and layout.get("height"):
        layout["height"] = round(layout["height"] * scale)
    if not (changed or present):
        return fig
    return figure([t.to_plotly_json() for t in fig.data], layout)


def _fonts_fine(fig: go.Figure) -> bool:
    """Every font size in the layout set, none under 16 px: read from the figure's own
    layout dict without copying it (a copy with Streamlit's template costs ~1 ms)."""
    raw = getattr(fig, "_layout", None)
    if not isinstance(raw, dict):
        return False
    raw = {k: v for k, v in raw.items() if k != "template"}
    return ((raw.get("font") or {}).get("size", 0) >= FONT_SIZE
            and all("tickvals" in axis for axis in _log_axes(raw))
            and not _raise_fonts(raw, FONT_SIZE, 1.0, dry_run=True))


def _log_axes(layout: dict) -> list[dict]:
    return [v for k, v in layout.items()
            if k[1:5] == "axis" and isinstance(v, dict) and v.get("type") == "log"]


def _log_ticks(axis: dict) -> bool:
    """Explicit ticks for a log axis that has none, as figures.style labels its own log
    axes (1, 2, 5 a decade on a short one): Plotly labels its own 2, 3, ... 9 at three
    quarters of the font size, 12 px. True if it set them.

    >>> ax = dict(type="log", range=[0.3, 1.5])
    >>> _log_ticks(ax), ax["ticktext"]
    (True, ['2', '5', '10', '20'])
    """
    if "tickvals" in axis or len(axis.get("range") or ()) != 2:
        return False
    logs, text = power_ticks(*sorted(axis["range"]))
    axis.update(tickmode="array", tickvals=[10.0 ** v for v in logs], ticktext=text)
    return True


def _raise_fonts(node, floor: int, scale: float, dry_run: bool = False) -> bool:
    """Scale every explicit font size under `node` (a layout dict) by `scale`, to at least
    `floor`, in place (dry_run: only say whether any would change); True if any changed."""
    changed = False
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, dict) and str(key).endswith("font") and "size" in value:
            size = max(floor, round(value["size"] * scale))
            changed |= size != value["size"]
            if not dry_run:
                value["size"] = size
        if isinstance(value, (dict, list)):
            changed |= _raise_fonts(value, floor, scale, dry_run)
    return changed
