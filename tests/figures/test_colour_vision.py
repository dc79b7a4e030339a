"""Colour is never the only carrier: in every figure the pages draw, two traces that look
alike but for their colour (same kind, mode, dash, marker symbol and fill pattern) must
stay apart for a deuteranope: CIEDE2000 of at least MIN_DELTA_E between the colours as
Machado et al.'s deuteranopia simulation shows them. The same holds for the colours
inside one trace (a highlighted bar, the markers of several layers) and for the few
colours of a discrete heatmap scale (the dead-unit maps, the normalization sets)."""

from __future__ import annotations

import itertools

import pytest

from figures import init, style

from .colour_vision import delta_e
from .test_every_figure import sent, small_cases

# Okabe and Ito's closest pair (vermillion and orange) is 12.5 apart for a deuteranope;
# Plotly's default red and green, 4.6; lines 10 apart are told apart at a glance.
MIN_DELTA_E = 10.0


def _line_colour(tr: dict):
    line = tr.get("line") or {}
    if "lines" in tr.get("mode", "lines") and line.get("width", 2) != 0:
        return line.get("color")
    return None


def colours(tr: dict) -> list[str]:
    """The colours a trace is drawn in (lines, markers, bars, fills)."""
    found = [_line_colour(tr)]
    if tr.get("type") == "bar" or "markers" in tr.get("mode", ""):
        c = (tr.get("marker") or {}).get("color")
        found += c if isinstance(c, list) else [c]
    if tr.get("fill") not in (None, "none"):
        found.append(tr.get("fillcolor"))
    return sorted({c for c in found if isinstance(c, str)})


def carriers(tr: dict) -> tuple:
    """Everything besides colour that tells a trace apart at a glance."""
    mode = tr.get("mode", "bar" if tr.get("type") == "bar" else "lines")
    marker = (tr.get("marker") or {}).get("symbol", "circle") if "markers" in mode else None
    return (tr.get("type"), mode, (tr.get("line") or {}).get("dash", "solid"), marker,
            tr.get("fill"), (tr.get("fillpattern") or {}).get("shape"))


def too_close(pairs) -> list[tuple]:
    return [(a, b, round(delta_e(a, b), 1)) for a, b in pairs if delta_e(a, b) < MIN_DELTA_E]


def clashes(fig: dict) -> list[tuple]:
    """Pairs of colours that carry a difference alone and look alike to a deuteranope."""
    groups: dict[tuple, set[str]] = {}
    found = []
    for tr in fig["data"]:
        cs = colours(tr)
        found += too_close(itertools.combinations(cs, 2))        # within one trace
        if len(cs) == 1:
            groups.setdefault(carriers(tr), set()).add(cs[0])
        scale = tr.get("colorscale")
        if tr.get("type") == "heatmap" and isinstance(scale, list):
            steps = sorted({c for _, c in scale})
            if len(steps) <= 4:                                  # a discrete scale
                found += too_close(itertools.combinations(steps, 2))
    for cs in groups.values():
        found += too_close(itertools.combinations(sorted(cs), 2))
    return found


def test_no_figure_tells_traces_apart_by_colour_alone():
    failures = {c.name: clashes(sent(c.build())) for c in small_cases()}
    assert not {k: v for k, v in failures.items() if v}


def test_the_check_catches_plotly_red_and_green():
    """Verdicts in Plotly's red and green, every line solid: a clash; the app's series
    (a colour and a dash each): none."""
    fig = style.figure([dict(type="scatter", mode="lines", y=[1, 2], line=dict(color=c))
                        for c in ("#d62728", "#2ca02c")], style.layout("t"))
    assert clashes(sent(fig))
    fig = style.figure([dict(type="scatter", mode="lines", y=[1, 2], **style.series(i))
                        for i in range(2)], style.layout("t"))
    assert not clashes(sent(fig))


@pytest.mark.parametrize("a, b", list(itertools.combinations(range(7), 2)))
def test_the_first_seven_palette_colours_stay_apart(a, b):
    assert delta_e(style.PALETTE[a], style.PALETTE[b]) >= MIN_DELTA_E


def test_init_verdicts_have_a_dash_and_a_word_each():
    kinds = list(init.VERDICT_COLORS)
    assert len({init.VERDICT_DASHES[k] for k in ("stable", "exploding", "vanishing")}) == 3
    assert all(init.VERDICT_WORDS[k] for k in kinds)
    fig = init.schemes_figure({"a": [0.0, 1.0], "b": [0.0, 5.0], "c": [0.0, -5.0]},
                              {"a": "stable", "b": "exploding", "c": "vanishing"},
                              {}, "variance")
    words = " ".join(a.text for a in fig.layout.annotations)
    assert all(w in words for w in ("steady", "explodes", "vanishes"))
