"""Histogram, density-map and per-layer-percent builders on synthetic statistics."""

import base64
import json

import numpy as np
import pytest

from core.activations import get, local_gradient_curve
from figures.histograms import (SHARE_FLOOR_LOG10, activation_histograms, centers, density,
                                format_percent, layer_density_map, legend_label,
                                percent_by_layer, saturated_ranges)

EDGES = np.linspace(-1, 1, 9)                     # 8 bins of width 0.25
HIST = np.array([[0, 1, 2, 5, 5, 2, 1, 0],
                 [4, 0, 0, 1, 1, 0, 0, 4],
                 [10, 0, 0, 0, 0, 0, 0, 30]])
MEANS = np.array([0.0, 0.01, 0.5])
LOG10_VARS = np.log10([0.09, 0.64, 1.0])
FRACS = np.array([0.0, 0.5, 1.0])


def arr(v):
    """A figure array as numpy, decoding Plotly's base64 typed arrays."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(s) for s in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v)


def as_json(fig):
    return json.loads(fig.to_json())


def all_finite(fig_json) -> bool:
    for tr in fig_json["data"]:
        for key in ("x", "y", "z"):
            if key in tr and tr[key] is not None:
                a = arr(tr[key])
                if a.dtype.kind == "f" and not np.isfinite(a).all():
                    return False
    return True


def test_density_integrates_to_one_and_empty_rows_are_zero():
    d = density(HIST[0], EDGES)
    assert float((d * np.diff(EDGES)).sum()) == pytest.approx(1.0)
    assert not density(np.zeros(8), EDGES).any()


def test_overlay_draws_the_chosen_rows_as_density_with_legends():
    curve = local_gradient_curve(get("tanh"), -1, 1)
    fig = activation_histograms(EDGES, HIST, [1, 3], MEANS, LOG10_VARS, FRACS, "saturated",
                                [("local gradient 1 − t²", *curve)], saturated_ranges((-1, 1), 0.97))
    f = as_json(fig)
    assert len(f["data"]) == 3                              # two layers and one gradient
    first, third, grad = f["data"]
    assert arr(first["y"]) == pytest.approx(density(HIST[0], EDGES).astype(np.float32))
    assert arr(third["y"]) == pytest.approx(density(HIST[2], EDGES).astype(np.float32))
    assert arr(first["x"]) == pytest.approx(centers(EDGES))
    assert arr(first["y"]).dtype == np.float32
    assert first["name"] == "layer 1: mean +0.000, std 0.3, saturated 0.00%"
    assert third["name"] == "layer 3: mean +0.500, std 1, saturated 100.00%"
    assert grad["yaxis"] == "y2"                            # drawn under the histogram
    assert arr(grad["y"]) == pytest.approx(1 - arr(grad["x"]) ** 2, abs=1e-6)
    shapes = f["layout"]["shapes"]                           # the saturated regions, both panels
    assert {(round(s["x0"], 3), round(s["x1"], 3)) for s in shapes} == {(-1, -0.97), (0.97, 1)}
    assert all_finite(f)


def test_overlay_without_a_fraction_and_one_gradient_per_layer():
    grads = [(f"g{k}", np.array([-1.0, 0, 1]), np.array([0.5, 1, 0.5])) for k in (1, 2)]
    f = as_json(activation_histograms(EDGES, HIST, [1, 2], MEANS, LOG10_VARS, None, None, grads))
    names = [t["name"] for t in f["data"]]
    assert "saturated" not in names[0] and names[0].startswith("layer 1: mean")
    showlegend = [t.get("showlegend", True) for t in f["data"][2:]]
    assert showlegend == [True, False]                       # one legend entry for the set
    colours = [t["line"]["color"] for t in f["data"]]
    assert colours[2] == colours[0] and colours[3] == colours[1]


def test_legend_stays_readable_at_huge_and_overflowed_values():
    assert "10³⁰⁰" in legend_label(4, 1e300, 600.0, 0.25, "off")
    assert legend_label(4, float("inf"), float("nan"), None, None) == \
        "layer 4: mean overflow, std overflow"
    assert legend_label(1, 2e-5, -2.0, 0.0123, "off").endswith("off 1.23%")
    assert "std 1010," in legend_label(2, 4.2, 2 * 3.0043, 0.0, "off")


def test_saturated_ranges_for_tanh_and_sigmoid():
    (a, b), (c, d) = saturated_ranges((-1.0, 1.0), 0.9)
    assert (a, b, c, d) == pytest.approx((-1, -0.9, 0.9, 1))
    (a, b), (c, d) = saturated_ranges((0.0, 1.0), 0.97)
    assert (a, b, c, d) == pytest.approx((0, 0.015, 0.985, 1))


def test_density_map_is_log_share_per_layer_with_a_floor():
    f = as_json(layer_density_map(EDGES, HIST, valid_layers=3, marks=[-0.97, 0.97]))
    (hm,) = f["data"]
    z = arr(hm["z"])
    assert z.shape == (3, 8) and z.dtype == np.float32
    share = 100 * HIST[1] / HIST[1].sum()
    expect = np.where(share > 0, np.log10(np.where(share > 0, share, 1)), SHARE_FLOOR_LOG10)
    assert z[1] == pytest.approx(expect.astype(np.float32))
    assert z[2, 7] == pytest.approx(np.log10(75.0))
    assert arr(hm["y"]).tolist() == [1, 2, 3]
    assert len([s for s in f["layout"]["shapes"] if s["type"] == "line"]) == 2
    assert all_finite(f)


def test_density_map_blanks_layers_past_an_overflow():
    f = as_json(layer_density_map(EDGES, HIST, valid_layers=1))
    z = arr(f["data"][0]["z"])
    assert (z[1:] == SHARE_FLOOR_LOG10).all() and (z[0] > SHARE_FLOOR_LOG10).any()
    assert any("inf/NaN from layer 2" in a["text"] for a in f["layout"]["annotations"])


def test_percent_by_layer_cuts_at_the_overflow_and_marks_layers():
    fr = np.array([0.1, 0.2, 0.3, np.nan, np.inf])
    f = as_json(percent_by_layer({"saturated": fr}, valid_layers=3, marks=[2, 3, 5]))
    line, marks = f["data"]
    assert arr(line["y"]) == pytest.approx([10, 20, 30])
    assert arr(line["x"]).tolist() == [1, 2, 3]
    assert arr(marks["x"]).tolist() == [2, 3] and arr(marks["y"]) == pytest.approx([20, 30])
    assert all_finite(f)
    assert f["layout"]["xaxis"]["range"] == [0.5, 5.5]


def test_percent_by_layer_two_curves_scale_to_the_larger():
    f = as_json(percent_by_layer({"dead": np.array([0.0, 0.1]), "sat": np.array([0.2, 0.5])}))
    assert len(f["data"]) == 2
    assert f["layout"]["yaxis"]["range"][1] == pytest.approx(55)


def test_format_percent():
    assert format_percent(0.0379) == "3.79%"
    assert format_percent(1.0) == "100.00%"
    assert format_percent(0.9999) == "99.990%"
