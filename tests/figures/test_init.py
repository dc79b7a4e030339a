"""figures.init on synthetic numbers: one trace per scheme, the loss curve, softmax bars."""

import json
import math

import numpy as np
import pytest

from figures import init as f


def test_schemes_figure_one_trace_per_scheme_on_shared_axes():
    curves = {f"s{i}": np.array([0.0, 0.5 * i, float(i)]) for i in range(10)}
    curves["s9"] = np.array([0.0, np.inf, np.nan])
    verdicts = {k: ("stable" if i % 2 else "exploding") for i, k in enumerate(curves)}
    fig = f.schemes_figure(curves, verdicts, {k: "sub" for k in curves}, "variance")
    assert [t.name for t in fig.data] == list(curves)
    assert list(fig.data[3].y) == [0.0, 1.5, 3.0]
    assert list(fig.data[9].y) == [0.0, None, None]
    assert fig.data[1].line.color == f.VERDICT_COLORS["stable"]
    assert fig.data[0].line.color == f.VERDICT_COLORS["exploding"]
    axes = [fig.layout[f"yaxis{'' if k == 0 else k + 1}"] for k in range(10)]
    assert all(tuple(a.range) == tuple(axes[0].range) for a in axes)
    assert all(tuple(a.tickvals) == tuple(axes[0].tickvals) for a in axes)
    assert len({t.xaxis for t in fig.data}) == 10
    assert len(fig.to_json()) < 60_000


def test_loss_figure():
    scales = np.array([0.01, 0.1, 1.0, 10.0])
    loss = np.array([3.2958, 3.31, 5.0, 42.0])
    fig = f.loss_figure(scales, np.log10(loss), math.log(27), 1.0, math.log10(5.0), 27)
    curve, point = fig.data
    assert np.asarray(curve.x) == pytest.approx(np.log10(scales), abs=1e-6)
    assert list(curve.y) == pytest.approx(list(np.log10(loss)))
    assert list(point.y) == [pytest.approx(math.log10(5.0))] and "loss 5" in point.name
    shapes = fig.layout.shapes
    assert any(s.y0 == pytest.approx(math.log10(math.log(27))) for s in shapes)
    assert "3.2958" in json.dumps(fig.to_plotly_json()["layout"]["annotations"], ensure_ascii=False)


def test_loss_figure_gaps_for_overflow():
    fig = f.loss_figure(np.array([1.0, 10.0]), np.array([np.nan, np.nan]), math.log(27),
                        1.0, math.nan, 27)
    assert list(fig.data[0].y) == [None, None] and len(fig.data) == 1


def test_softmax_bars():
    probs = np.full(27, 0.01)
    probs[3] = 1 - 0.26
    ref = np.full(27, 1 / 27)
    fig = f.softmax_figure(probs, 5, 3.0, ref, 0.01, example=2)
    ref_bar, bars = fig.data
    assert np.asarray(bars.y) == pytest.approx(probs)
    assert np.asarray(ref_bar.y) == pytest.approx(ref)
    colors = list(bars.marker.color)
    assert colors[5] != colors[0] and colors.count(colors[5]) == 1
    assert "Example 2" in fig.layout.title.text
    assert len(f.softmax_figure(probs, 5, 3.0).data) == 1


def test_schemes_figure_has_no_decade_marks_where_they_would_cross_the_labels():
    """Schemes from 10⁰ to 10²⁶ over a 170 px panel: about 6 px a decade, so an unlabelled
    mark at every decade would cut through the superscripts of 10²⁰ and 10²⁶."""
    curves = {"steady": np.zeros(10), "explodes": np.linspace(0.0, 26.0, 10)}
    fig = json.loads(f.schemes_figure(curves, {"steady": "stable", "explodes": "exploding"},
                                      {k: "" for k in curves}, "variance").to_json())
    ys = [v for k, v in fig["layout"].items() if k.startswith("yaxis")]
    assert len(ys) == 2 and all("minor" not in axis for axis in ys)
    labelled = ys[0]["ticktext"]
    assert "10²⁶" in labelled and len(labelled) <= 7


def test_schemes_figure_marks_every_decade_where_there_is_room():
    curves = {"steady": np.zeros(10), "grows": np.linspace(0.0, 6.0, 10)}
    fig = json.loads(f.schemes_figure(curves, {"steady": "stable", "grows": "stable"},
                                      {k: "" for k in curves}, "variance").to_json())
    axis = fig["layout"]["yaxis"]
    assert set(axis["minor"]["tickvals"]) | set(axis["tickvals"]) >= set(range(0, 7))
    assert axis["ticks"] == "outside" and axis["ticklen"] >= axis["minor"]["ticklen"]
