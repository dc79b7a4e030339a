"""Every figure the pages draw reads from the back of a room: no text under 16 px, dark
text (contrast at least 4.5:1 on the white chart), log axes labelled at the decades the
data reaches, labels far enough apart not to collide, and ui.charts raising whatever a
builder forgot (20 px in presenter mode)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from core import NetworkSpec, simulate
from figures import style
from figures.variance import variance_figure
from ui.charts import readable

from .colour_vision import contrast
from .test_every_figure import sent, small_cases

MIN_CONTRAST = 4.5                      # WCAG AA for normal text
LABEL_GAP_PX = 1.4 * style.FONT_SIZE    # between two tick labels' centres


def fonts(node, path=""):
    """(path, font dict) for every font set anywhere in a layout."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        where = f"{path}.{key}"
        if isinstance(value, dict) and str(key).endswith("font"):
            yield where, value
        if isinstance(value, (dict, list)) and key != "template":
            yield from fonts(value, where)


def small_or_faint(layout: dict, floor: int = style.FONT_SIZE) -> list[str]:
    bad = [f"{p}: {f['size']} px" for p, f in fonts(layout) if f.get("size", floor) < floor]
    bad += [f"{p}: {f['color']}" for p, f in fonts(layout)
            if "color" in f and contrast(f["color"]) < MIN_CONTRAST]
    return bad


def test_every_figure_sets_large_dark_text():
    for case in small_cases():
        layout = sent(case.build())["layout"]
        assert layout["font"]["size"] >= style.FONT_SIZE, case.name
        assert contrast(layout["font"]["color"]) >= MIN_CONTRAST, case.name
        assert layout.get("plot_bgcolor", "white") == "white", case.name
        assert not small_or_faint(layout), (case.name, small_or_faint(layout))


def test_the_chart_text_is_dark_where_streamlits_axis_grey_is_not():
    assert contrast(style.TEXT) >= 12
    assert contrast("#808495") < MIN_CONTRAST        # Streamlit's theme's axis titles


def test_readable_raises_small_text_and_scales_for_presenting():
    fig = style.figure([dict(type="scatter", y=[1.0])], style.layout(
        "t", height=400, xaxis=dict(tickfont=dict(size=11)),
        annotations=[dict(text="a", x=0, y=0, font=dict(size=13))]))
    assert not small_or_faint(sent(readable(fig))["layout"])
    shown = sent(readable(fig, present=True))["layout"]
    assert not small_or_faint(shown, floor=style.PRESENT_FONT_SIZE)
    assert shown["title"]["font"]["size"] == 25 and shown["height"] == 500
    untouched = style.figure([dict(type="scatter", y=[1.0])], style.layout("t"))
    assert readable(untouched) is untouched


def test_every_figure_is_readable_in_presenter_mode():
    for case in small_cases():
        layout = sent(readable(case.build(), present=True))["layout"]
        assert not small_or_faint(layout, floor=style.PRESENT_FONT_SIZE), case.name


def power_axes(layout: dict):
    """(name, axis) for every axis labelled in powers of ten."""
    for name, axis in layout.items():
        if name[1:5] == "axis" and any("10" in t for t in axis.get("ticktext", [])):
            yield name, axis


def panel_px(layout: dict, axis: dict, name: str) -> float:
    margin = layout.get("margin", {})
    lo, hi = axis.get("domain", [0, 1])
    if name.startswith("y"):
        return (layout["height"] - margin.get("t", 100) - margin.get("b", 80)) * (hi - lo)
    return 800 * (hi - lo)                 # a half-width chart at 1920 px or a full at 1280


def test_power_axis_labels_do_not_collide():
    for case in small_cases():
        layout = sent(case.build())["layout"]
        for name, axis in power_axes(layout):
            lo, hi = axis.get("range") or (min(axis["tickvals"]), max(axis["tickvals"]))
            px_per_unit = panel_px(layout, axis, name) / (hi - lo)
            gap = min(np.diff(axis["tickvals"]), default=math.inf) * px_per_unit
            assert gap >= LABEL_GAP_PX, (case.name, name, axis["ticktext"], round(gap))


def test_the_exploding_demo_labels_its_top_decade():
    spec = NetworkSpec(depth=10, width=100, activation="linear", weight_var=1.0)
    res = simulate(spec)
    fig = sent(variance_figure({"activation": res.log10_act_var}))
    axis = fig["layout"]["yaxis"]
    assert "10²⁰" in axis["ticktext"]
    assert "10²" in axis["ticktext"]                           # layer 1: 100
    assert set(axis["minor"]["tickvals"]) | set(axis["tickvals"]) >= set(range(2, 21))


@given(lo=st.floats(-400, 400), span=st.floats(2.5, 500), inner=st.floats(0, 1),
       max_ticks=st.integers(3, 12))
def test_power_ticks_label_the_reached_decades(lo, span, inner, max_ticks):
    hi = lo + span
    pad = max(0.5, 0.05 * span)                     # as the builders pad their ranges
    r_lo, r_hi = lo + inner * span / 3, hi - inner * span / 3
    assume(r_hi - r_lo + 2 * pad >= 2.5)            # shorter axes: 1-2-5 labels, below
    vals, text = style.power_ticks(r_lo - pad, r_hi + pad, max_ticks, reached=(r_lo, r_hi))
    assert round(r_hi) in vals and round(r_lo) in vals
    assert vals == sorted(vals) and len(vals) == len(text) == len(set(vals))
    assert len(vals) <= max_ticks + 2
    assert all(r_lo - pad <= v <= r_hi + pad for v in vals)
    if len(vals) > 2:                               # evenly spaced but for one end
        assert len(set(np.diff(vals[1:-1]))) <= 1


@given(lo=st.floats(-400, 400), span=st.floats(0.3, 2.5))
def test_a_short_log_axis_gets_1_2_5_labels(lo, span):
    vals, text = style.power_ticks(lo, lo + span)
    assert len(vals) >= 1 + (span >= 0.45)       # two, on any axis that can hold them
    assert all(lo <= v <= lo + span for v in vals)
    assert min(np.diff(vals), default=span) >= span / 7         # none crowded


@pytest.mark.parametrize("k, text", [(0, "1"), (1, "10¹"), (20, "10²⁰"), (-10, "10⁻¹⁰")])
def test_power_labels(k, text):
    assert style.power_label(k) == text


def test_decade_marks_leave_room_for_the_labels_beside_them():
    """Where a log axis marks its unlabelled decades, each mark has MINOR_MIN_PX to the
    next, and the labelled ticks reach as far out, so no mark cuts into a label."""
    for case in small_cases():
        layout = sent(case.build())["layout"]
        for name, axis in power_axes(layout):
            if "minor" not in axis:
                continue
            lo, hi = axis["range"]
            marks = sorted(set(axis["tickvals"]) | set(axis["minor"]["tickvals"]))
            px = panel_px(layout, axis, name) / (hi - lo)
            assert min(np.diff(marks)) * px >= style.MINOR_MIN_PX, (case.name, name, px)
            assert axis.get("ticks") == "outside", (case.name, name)
            assert axis["ticklen"] >= axis["minor"]["ticklen"], (case.name, name)
