"""Every chart reaches the page through `show`: one place decides how charts read.

Streamlit's chart theme (st.plotly_chart's default, theme="streamlit") merges its own look
into the figure's template in the browser: 12 px ticks and legend, 14 px axis titles in
grey #808495 (3.7:1 on white). Plotly takes an axis's own tick font, even a template's,
before the figure's layout.font, so the 16 px that figures.style sets never showed. With
theme=None the figure is drawn as figures.style wrote it: 16 px text in #31333F (12.6:1).

`show` also keeps every text at or above 16 px (a builder may ask for less) and, in
presenter mode (`st.session_state["_present"]`, set by the shell), scales all text by
20/16 and the chart's height with it, for the back of a lecture hall.

Under its title every chart names the network it shows (`describe`, once per page: the
shell describes the sidebar's network, a page that draws another says so), so that a
PNG from the toolbar's "Download plot as png", drawn from the same layout, says it too;
it is drawn `EXPORT_WIDTH` px wide at twice the resolution.
"""

from __future__ import annotations

import html
from typing import Sequence

import plotly.graph_objects as go
import streamlit as st

from core import initializers
from core.spec import NetworkSpec
from figures.style import (FONT_SIZE, FULL_PX, HALF_PX, NOTE_COLOR, PRESENT_FONT_SIZE, head,
                           legend_room, power_ticks, wrap)

from .labels import GAIN_FORMULAS, INIT_LABELS, NORM_LABELS, OPTIMIZER_LABELS

EXPORT_WIDTH = 1200         # px: a slide's width; the legend takes fewer rows than on a page
EXPORT_SCALE = 2            # a PNG sharp enough for a slide or a printed handout
NETWORK_KEY = "_chart_network"     # the settings lines `describe` keeps for this run
# A settings line fits a chart at 16 px: one of two columns (HALF_PX), or the page's
# (a lesson's frame in presenter mode with the sidebar open leaves it about 470 px).
LINE_CHARS, WIDE_LINE_CHARS = 52, 64


def show(fig: go.Figure, where=st, key: str | None = None, network: bool = True,
         **kwargs) -> None:
    """Draw `fig` in `where` (st or a container: the page's width; a column: about
    half of it) with the app's chart look, the page's network named under its title
    (not with `network=False`: a chart of no network, such as a class's answers)."""
    present = bool(st.session_state.get("_present"))
    fig = readable(fig, present)
    narrow = where is not st
    lines = settings_for(fig, LINE_CHARS if narrow else WIDE_LINE_CHARS) if network else []
    fig = with_settings(fig, lines, narrow, present)
    config = {"toImageButtonOptions": export_options(fig, key), **kwargs.pop("config", {})}
    where.plotly_chart(fig, key=key, theme=None, config=config, **kwargs)


def export_options(fig: go.Figure, key: str | None) -> dict:
    """Plotly's toImageButtonOptions: a PNG `EXPORT_WIDTH` px wide at the figure's own
    height, at `EXPORT_SCALE`, named after the chart."""
    return dict(format="png", filename=f"layerscope_{key or 'chart'}", width=EXPORT_WIDTH,
                height=fig.layout.height or 450, scale=EXPORT_SCALE)


def describe(specs: Sequence[NetworkSpec], *more: str, leave_out: Sequence[str] = ()) -> None:
    """Name the network of `specs` under the title of every chart this run draws from
    here on: what they share (a setting they differ in, their legend names), less the
    fields `leave_out`, and `more` (how they train)."""
    each = [settings_phrases(s) for s in specs]
    shared = [p for p in each[0] if all(p in e for e in each[1:]) and p[0] not in leave_out]
    st.session_state[NETWORK_KEY] = shared + [("more", m) for m in more]


def describe_text(*phrases: str) -> None:
    """Name `phrases` under the title of every chart this run draws from here on: the
    networks of a chart that are not the sidebar's (the stored trainability grids)."""
    st.session_state[NETWORK_KEY] = [("more", p) for p in phrases]


def describe_training(runs: Sequence) -> None:
    """`describe` for training runs (ui.training.Run): their network and how they train
    (the batch and precision the statistics pages use do not apply)."""
    c = runs[0].config
    describe([r.spec for r in runs], f"{OPTIMIZER_LABELS.get(c.optimizer, c.optimizer)}, "
             f"lr {c.lr:g}, batch {c.batch}, {c.steps} steps, {c.dtype}",
             leave_out=("batch", "dtype"))


def settings_for(fig: go.Figure, width: int = LINE_CHARS) -> list[str]:
    """The settings lines for `fig`, `width` characters at most: the described network,
    less what the figure compares (its layout.meta["compares"]: its legend names them)."""
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    compares = meta.get("compares", ())
    return wrap_phrases([text for field, text in st.session_state.get(NETWORK_KEY) or ()
                         if field not in compares], width)


def settings_phrases(spec: NetworkSpec) -> list[tuple[str, str]]:
    """(field, phrase) for what makes `spec` the network it is: the shape, the init, the
    normalization, the numerics; a field at its usual value (no bias, no residual,
    readout × 1, N(0, 1) input) is left out.

    >>> [p for _, p in settings_phrases(NetworkSpec(activation="tanh", weight_var=0.1))]
    ['tanh', 'depth 10', 'width 100', 'Var(W) = 0.1', 'fan_in × Var(W) = 10', 'no norm', \
'batch 256', 'float64', 'seed 0']
    """
    shape = f"width {spec.width}" + (f" × {spec.spatial} positions" if spec.spatial > 1 else "")
    out = [("activation", spec.activation), ("depth", f"depth {spec.depth}"), ("width", shape)]
    if spec.init == "custom":
        out.append(("init", f"Var(W) = {spec.weight_var:.3g}"))
    else:
        init = INIT_LABELS.get(spec.init, spec.init)
        if spec.init not in initializers.GAINLESS:
            init += ", gain " + (GAIN_FORMULAS.get(spec.activation, "1") if spec.gain is None
                                 else f"{spec.gain:g}")
        out.append(("init", init))
    out.append(("init", f"fan_in × Var(W) = {spec.sigma_w2:.3g}"))
    if spec.bias_var:
        out.append(("bias_var", f"bias Var {spec.bias_var:g}"))
    out.append(("norm", _norm_phrase(spec)))
    if spec.residual:
        out.append(("residual", f"residual × {spec.residual_scale:g}"))
    if spec.readout_scale != 1:
        out.append(("readout_scale", f"readout × {spec.readout_scale:g}"))
    if spec.input_dist != "normal":
        out.append(("input_dist", "pixel-like input"))
    out += [("batch", f"batch {spec.batch}"), ("dtype", spec.dtype), ("seed", f"seed {spec.seed}")]
    return out


def _norm_phrase(spec: NetworkSpec) -> str:
    if spec.norm == "none":
        return "no norm"
    text = NORM_LABELS.get(spec.norm, spec.norm) + (f" ({spec.groups} groups)"
                                                    if spec.norm == "group" else "")
    text += f" {spec.norm_position} φ"
    if (spec.norm_gamma, spec.norm_beta) != (1.0, 0.0):
        text += f", γ = {spec.norm_gamma:g}, β = {spec.norm_beta:g}"
    return text


def wrap_phrases(phrases: list[str], width: int = LINE_CHARS) -> list[str]:
    """The phrases joined by commas into lines of at most `width` characters (a longer
    phrase on a line of its own), as plain text: escaped, so Plotly renders no markup.

    >>> wrap_phrases(["tanh", "depth 10", "a <b>"], width=14)
    ['tanh, depth 10', 'a &lt;b&gt;']
    """
    lines: list[str] = []
    for phrase in phrases:
        if lines and len(lines[-1]) + 2 + len(phrase) <= width:
            lines[-1] += ", " + phrase
        else:
            lines.append(phrase)
    return [html.escape(line, quote=False) for line in lines]


def with_settings(fig: go.Figure, lines: list[str], narrow: bool = False,
                  present: bool = False) -> go.Figure:
    """`fig`, changed in place, with `lines` as its title's subtitle, and room for its
    legend in a column (`narrow`: HALF_PX wide, where its builder made room at FULL_PX).
    Only the layout's parts that change are set: wrapping the figure anew costs up to
    10 ms for a multi-panel one (bench.figures), every chunk while Training trains."""
    if not (lines or narrow):
        return fig
    scale = PRESENT_FONT_SIZE / FONT_SIZE if present else 1.0
    layout = fig.layout.to_plotly_json()
    if lines:
        layout["title"] = dict(layout.get("title") or {}, subtitle=dict(
            text="<br>".join(lines), font=dict(size=round(FONT_SIZE * scale), color=NOTE_COLOR)))
        layout = head(layout, len(lines), scale)
    if narrow:
        layout = legend_room(layout, [t.to_plotly_json() for t in fig.data], HALF_PX, scale,
                             made=FULL_PX)
    for key in ("title", "height", "margin", "legend"):
        if key in layout:
            fig.layout[key] = layout[key]
    return fig


def readable(fig: go.Figure, present: bool = False) -> go.Figure:
    """`fig` with no text under 16 px; in presenter mode every text and the height
    scaled by 20/16 (no text under 20 px). Returns `fig` itself when nothing changes.

    >>> fig = wrap([dict(type="scatter", y=[1])],
    ...            dict(height=400, font=dict(size=16), xaxis=dict(tickfont=dict(size=11))))
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
        # the head, the legend's entries and the room under the plot hold text: they
        # grow with it
        layout["height"] = round(layout["height"] * scale)
        margin = layout.setdefault("margin", {})
        for side in ("t", "b"):
            if side in margin:
                margin[side] = round(margin[side] * scale)
        legend = layout.get("legend") or {}
        if legend.get("entrywidthmode") == "pixels" and legend.get("entrywidth"):
            legend["entrywidth"] = round(legend["entrywidth"] * scale)
    if not (changed or present):
        return fig
    return wrap([t.to_plotly_json() for t in fig.data], layout)


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
