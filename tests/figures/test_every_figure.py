"""Every figure the pages draw: valid Plotly as built, sound as drawn, and the same as its
stored snapshot.

The snapshots (tests/figures/snapshots/*.json) are what a fixed set of links draws
(tests/figures/snapshot.py: every page and tab, every activation and normalization, ...).
After an intended change to a figure, see what changed and store it:

    python -m tests.figures.snapshot --compare tests/figures/snapshots
    python -m tests.figures.snapshot --write tests/figures/snapshots

then read the files' git diff before committing them.

The builders write plain dicts and skip Plotly's validation (figures.style.figure), so
every figure of the builders' cases (bench.figures) is rebuilt with full validation: it
must construct, and validation must change nothing in what Streamlit sends (a string
title that Plotly would turn into {"text": ...}, a None it would drop, a wrong type it
would coerce all show up as a difference). Every figure, built or drawn by a link, also
keeps the rules in `unsound`: no NaN or infinity as data, every point and guide inside
an axis range that is set, a log axis's data positive, every label of a guide on its
line, every axis a trace names present.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import sys
from contextlib import contextmanager

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from bench.figures import cases
from figures import (depth_scales, gradients, heatmaps, histograms, init, norms, style,
                     training, variance)
from tests.figures import snapshot
from ui import controls
from ui.pages import PAGES
from ui.training_request import OPT_C
from views.lessons import PAGE_TABS, library

BUILDER_MODULES = (variance, gradients, histograms, heatmaps, init, norms, training,
                   depth_scales)
# A float32 array holds its values to about 6e-8 relative: a band drawn to the axis's
# edge may pass it by that much.
EDGE = 1e-6
# Curves of a function drawn over measured data, walked over the function's input and
# clipped by the data's axis range (core.activations.local_gradient_curve).
CLIPPED = ("local gradient",)


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


def builders() -> dict[tuple[str, str], object]:
    """(module, name) -> function: every public figure builder."""
    return {(m.__name__.split(".")[-1], name): fn
            for m in BUILDER_MODULES for name, fn in inspect.getmembers(m, inspect.isfunction)
            if fn.__module__ == m.__name__ and not name.startswith("_")
            and inspect.signature(fn).return_annotation in ("go.Figure", go.Figure)}


# -- the builders' own cases ---------------------------------------------------------------

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
    assert set(builders()) - built == set()
    assert len(builders()) >= 14


def test_builders_keep_numpy_arrays():
    """Arrays go out as typed arrays (base64), float32 where the data is float."""
    for case in small_cases():
        if case.name in ("tanh variance", "tanh activation histograms", "tanh density map"):
            fig = sent(case.build())
            x = fig["data"][-1]["x"]
            assert isinstance(x, dict) and x["dtype"] in ("f4", "i2"), (case.name, x)


def test_every_built_figure_is_sound():
    failures = {c.name: unsound(snapshot.normalised([sent(c.build())])[0]) for c in small_cases()}
    assert not {k: v for k, v in failures.items() if v}


def test_the_cases_draw_every_limit_and_guide():
    """The float16 overflow level, the overflow and underflow lines, the softmax's
    1/classes, and the training charts' -ln(1/27), 10^-3 and eval-mode guides."""
    marks = {a["text"].split(" ")[0] for c in small_cases()
             for a in sent(c.build())["layout"].get("annotations", [])}
    assert {"float16", "inf/NaN", "rounded", "1/27:", "−ln(1/27)", "10⁻³", "eval"} <= marks, marks


# -- every figure a link draws, against its snapshot ------------------------------------------

@contextmanager
def recording_builders(called: set):
    """Every figure builder, wherever a page imported it, records its name when called."""
    found = builders()
    originals = {fn: key for key, fn in found.items()}

    def wrap(fn, key):
        @functools.wraps(fn)
        def recorded(*args, **kwargs):
            called.add(key)
            return fn(*args, **kwargs)
        return recorded

    patched = []
    for module in [m for name, m in sys.modules.items()
                   if m is not None and name.split(".")[0] in ("figures", "views", "ui")]:
        for attr, value in list(vars(module).items()):
            if inspect.isfunction(value) and value in originals:
                patched.append((module, attr, value))
                setattr(module, attr, wrap(value, originals[value]))
    try:
        yield
    finally:
        for module, attr, value in patched:
            setattr(module, attr, value)


BUILT_BY_LINKS: set = set()


@functools.cache
def drawn(name: str) -> tuple[dict, ...]:
    with recording_builders(BUILT_BY_LINKS):
        return tuple(snapshot.normalised(snapshot.render(snapshot.BY_NAME[name])))


@pytest.mark.parametrize("name", list(snapshot.BY_NAME))
def test_every_figure_matches_its_snapshot(name):
    link = snapshot.BY_NAME[name]
    lines = snapshot.report(link, snapshot.load(snapshot.STORED, link), list(drawn(name)),
                            shown_lines=8)
    assert not lines, ("\n".join(lines) + "\n\nIf the change is intended, store it and read "
                       f"the diff:\n    {snapshot.REGENERATE}")


@pytest.mark.parametrize("name", list(snapshot.BY_NAME))
def test_every_figure_drawn_is_sound(name):
    problems = {snapshot.title(f): unsound(f) for f in drawn(name)}
    assert drawn(name) and not {k: v for k, v in problems.items() if v}


def test_the_links_draw_every_builder():
    for name in snapshot.BY_NAME:
        drawn(name)
    assert set(builders()) - BUILT_BY_LINKS == set()


def test_the_links_cover_every_page_tab_and_choice():
    """Every page, every tab of a page with tabs, every lesson, and every value of the
    sidebar's choices that change what a figure draws, on some link."""
    page_links = [link for link in snapshot.LINKS if not link.reveal]

    def values(key: str, default) -> set:
        return {link.params.get(key, default) for link in page_links}

    assert {p.url_path for p in PAGES} <= {link.page for link in snapshot.LINKS}
    for page, (key, tabs) in PAGE_TABS.items():
        shown = {link.params.get(key, tabs[0]) for link in page_links if link.page == page}
        assert set(tabs) <= shown, page
    revealed = {link.params["lesson"] for link in snapshot.LINKS if link.reveal}
    assert set(library().lessons) <= revealed
    for key in ("activation", "norm", "dtype", "input_dist", "norm_position"):
        control = controls.BY_KEY[key]
        assert set(control.options) <= values(key, control.default), key
    assert set(OPT_C.options) <= values(OPT_C.key, OPT_C.default)
    assert {"true"} <= values("residual", "false") and {"1"} <= values("present", "0")


def test_a_change_is_reported_per_figure_and_a_rounding_is_not():
    link = snapshot.LINKS[0]
    fig = {"data": [{"name": "h", "y": [1.0, 2.0]}], "layout": {"title": {"text": "t"}}}
    moved = {"data": [{"name": "h", "y": [1.0, 2.1]}], "layout": {"title": {"text": "t"}}}
    rounded = {"data": [{"name": "h", "y": [1.0, 2.0 * (1 + 1e-9)]}], "layout": {"title": {"text": "t"}}}
    assert snapshot.report(link, [fig], [rounded]) == []
    lines = snapshot.report(link, [fig], [moved])
    assert "figure 0 ('t')" in lines[0] and ".data[0 'h'].y[1]: 2.0 -> 2.1" in lines[1]
    other = {"data": [], "layout": {"title": {"text": "new"}}}
    paired = snapshot.report(link, [fig], [other, moved])            # by title
    assert "figure 1 ('t')" in paired[1] and paired[2] == lines[1]
    assert "1 figures in the snapshot, 2 now" in snapshot.report(link, [fig], [other, fig])[0]
    assert len(snapshot.report(link, [fig], [other, fig])) == 1
    assert "no snapshot" in snapshot.report(link, None, [fig])[0]


def test_snapshots_keep_typed_arrays_as_dtype_and_values():
    fig = sent(style.figure([dict(type="scatter", y=np.array([0.1, 2.0], dtype=np.float32))],
                            style.layout("t")))
    y = snapshot.normalised([fig])[0]["data"][0]["y"]
    assert y == {"dtype": "f4", "values": [0.1000000015, 2.0]}      # float32's 0.1, 10 digits


# -- the rules every figure keeps -----------------------------------------------------------

@pytest.mark.parametrize("trace, layout, rule", [
    (dict(y=[1.0, None, math.nan]), {}, "NaN or infinity as data"),
    (dict(y=[1.0, 5.0]), dict(yaxis=dict(range=[0, 4])), "outside the range"),
    (dict(y=[0.0, 10.0]), dict(yaxis=dict(type="log")), "below 0 on a log axis"),
    (dict(y=[100.0]), dict(yaxis=dict(type="log", range=[0, 1])), "outside the range"),
    (dict(y=[1.0], yaxis="y2"), {}, "no axis y2"),
    (dict(type="heatmap", z=[[0.0, 3.0]], zmin=0.0, zmax=2.0), {}, "z outside"),
    (dict(y=[1.0]), dict(yaxis=dict(range=[0, 4]), shapes=[
        dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=5, y1=5)]), "shape at y"),
    (dict(y=[1.0]), dict(yaxis=dict(type="log"), shapes=[
        dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=100, y1=100)], annotations=[
        dict(text="guide", xref="paper", yref="y", x=0, y=100)]), "no line at y = 100"),
])
def test_the_rules_catch_what_they_name(trace, layout, rule):
    fig = {"data": [trace], "layout": {"xaxis": {}, "yaxis": {}, **layout}}
    assert any(rule in p for p in unsound(fig)), unsound(fig)


def test_a_guide_labelled_at_its_log10_on_a_log_axis_is_sound():
    fig = {"data": [dict(y=[1.0, 300.0])], "layout": dict(
        xaxis={}, yaxis=dict(type="log", range=[-1, 3]),
        shapes=[dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=100, y1=100)],
        annotations=[dict(text="guide", xref="paper", yref="y", x=0, y=2.0)])}
    assert unsound(fig) == []


def unsound(fig: dict) -> list[str]:
    """How a normalised figure breaks the rules in the module docstring (empty: none)."""
    layout, bad = fig["layout"], []
    for i, tr in enumerate(fig["data"]):
        where = f"trace {i} {tr.get('name', '')!r}"
        for letter in "xy":
            axis = layout.get(_axis_key(tr.get(f"{letter}axis", letter)))
            if axis is None:
                bad.append(f"{where}: no axis {tr.get(f'{letter}axis', letter)}")
            elif tr.get("type") != "heatmap":
                clipped = str(tr.get("name", "")).startswith(CLIPPED)
                bad += [f"{where} {letter}: {p}" for p in _off_axis(_numbers(tr.get(letter)), axis)
                        if not (clipped and "outside the range" in p)]
        z = _numbers(tr.get("z"))
        if z.size and not np.isfinite(z).all():
            bad.append(f"{where}: NaN or infinity in z")
        if z.size and "zmin" in tr and not tr["zmin"] <= z.min() <= z.max() <= tr["zmax"]:
            bad.append(f"{where}: z outside [zmin, zmax]")
    bad += _guides_off_axis(layout) + _labels_off_their_lines(layout)
    return bad


def _axis_key(ref: str) -> str:
    """"x2" -> "xaxis2"; "y domain" -> "yaxis"."""
    ref = ref.split(" ")[0]
    return f"{ref[0]}axis{ref[1:]}"


def _numbers(values) -> np.ndarray:
    """A trace's numeric values, gaps (None) left out; empty for text (category) data."""
    if isinstance(values, dict):
        values = values["values"]
    flat = [v for v in np.ravel(np.asarray(values if values is not None else [], dtype=object))
            if v is not None]
    if any(isinstance(v, str) for v in flat):
        return np.zeros(0)
    return np.asarray(flat, dtype=float)


def _off_axis(vals: np.ndarray, axis: dict) -> list[str]:
    if not np.isfinite(vals).all():
        return ["NaN or infinity as data"]
    if axis.get("type") == "log":
        if (vals <= 0).any():
            return ["data at or below 0 on a log axis"]
        vals = np.log10(vals)
    if vals.size == 0 or "range" not in axis or axis.get("autorange") is True:
        return []
    lo, hi = sorted(axis["range"])
    slack = EDGE * max(1.0, abs(lo), abs(hi))
    out = vals[(vals < lo - slack) | (vals > hi + slack)]
    return [f"{out[:3].tolist()} outside the range {axis['range']}"] if out.size else []


def _in_axis_units(value: float, axis: dict) -> float:
    """A shape's coordinate on `axis` as its range counts: log10 on a log axis."""
    return math.log10(value) if axis.get("type") == "log" else value


def _guides_off_axis(layout: dict) -> list[str]:
    """A line or band placed in data coordinates lies inside its axis's range."""
    bad = []
    for s in layout.get("shapes", []):
        for letter in "xy":
            ref = s.get(f"{letter}ref", "paper")
            axis = layout.get(_axis_key(ref)) if ref.startswith(letter) and " " not in ref else None
            if axis is not None:
                ends = np.array([s[f"{letter}0"], s[f"{letter}1"]], dtype=float)
                bad += [f"shape at {letter} = {ends.tolist()}: {p}" for p in _off_axis(ends, axis)]
    return bad


def _labels_off_their_lines(layout: dict) -> list[str]:
    """An annotation placed in data coordinates labels a line at that coordinate (on a
    log axis Plotly places a shape by its value, an annotation by its log10)."""
    bad = []
    for a in layout.get("annotations", []):
        for letter in "xy":
            ref = a.get(f"{letter}ref", "paper")
            if ref == "paper" or " " in ref:
                continue
            axis = layout.get(_axis_key(ref), {})
            lines = [_in_axis_units(s[f"{letter}0"], axis) for s in layout.get("shapes", [])
                     if s.get(f"{letter}ref") == ref and s.get(f"{letter}0") == s.get(f"{letter}1")]
            if not any(math.isclose(a[letter], v, rel_tol=1e-9, abs_tol=1e-9) for v in lines):
                bad.append(f"label {a.get('text', '')!r}: no line at {letter} = {a[letter]}")
    return bad
