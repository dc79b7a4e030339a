"""The Depth scales page's charts on synthetic numbers: what each draws, where, and that
nothing non-finite is drawn (a diverged run, a layer with no defined pair, an exact zero
singular value)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from figures import depth_scales as dfig

from .test_histograms import arr, as_json


def by_name(fig, name):
    return next(t for t in fig["data"] if t.get("name") == name)


def drawn(values) -> list:
    return [v for v in arr(values).tolist() if v is not None]


# -- correlation ------------------------------------------------------------------------

def test_the_correlation_chart_draws_the_mean_band_map_and_c_star():
    mean = np.array([0.5, 0.6, np.nan, 0.8])
    fig = as_json(dfig.correlation_figure(mean, mean - 0.1, mean + 0.1,
                                          np.array([0.5, 0.62, 0.7, 0.79]), 0.27, 0.5))
    measured = by_name(fig, dfig.MEASURED)
    assert arr(measured["y"]).tolist()[2] is None          # no pair: a gap, not a NaN
    assert drawn(measured["y"]) == pytest.approx([0.5, 0.6, 0.8])
    assert drawn(by_name(fig, dfig.PREDICTED)["y"]) == pytest.approx([0.5, 0.62, 0.7, 0.79])
    (line,) = fig["layout"]["shapes"]
    assert line["y0"] == line["y1"] == 0.27 and "c* = 0.27" in fig["layout"]["annotations"][0]["text"]
    lo, hi = fig["layout"]["yaxis"]["range"]
    assert lo <= 0.27 and hi >= 0.9                      # every point and the guide inside
    assert "c₀ = 0.5" in fig["layout"]["title"]["text"]


def test_without_a_map_nothing_but_the_measurement_is_drawn():
    mean = np.full(3, 0.9)
    fig = as_json(dfig.correlation_figure(mean, mean, mean, None, None, 0.2))
    assert dfig.PREDICTED not in [t.get("name") for t in fig["data"]]
    assert "shapes" not in fig["layout"]


# -- trainability -----------------------------------------------------------------------

DEPTHS, SIGMA_W2 = (5, 10, 20), (0.5, 1.0, 2.0, 4.0)


def grid_figure(loss, **kw):
    fine = np.linspace(0.5, 4.0, 8)
    xi = np.array([1.0, 2.0, 5.0, 40.0, math.inf, 8.0, 4.0, 3.0])
    return as_json(dfig.trainability_figure(DEPTHS, SIGMA_W2, loss,
                                            {"ξ_c": (fine, xi), "6 ξ_c": (fine, 6 * xi)}, **kw))


def test_a_diverged_cell_takes_the_top_of_the_scale_and_says_so():
    loss = np.array([[-0.4, -0.5, -0.5, -0.3], [0.1, -0.4, -0.5, math.inf],
                     [0.3, 0.2, -0.4, 0.45]])
    fig = grid_figure(loss)
    heat = fig["data"][0]
    z = arr(heat["z"])
    top = fig["layout"]["coloraxis"]["cmax"]
    assert top == pytest.approx(0.5) and fig["layout"]["coloraxis"]["cmin"] == -top
    assert np.isfinite(z).all() and z[1, 3] == pytest.approx(top)
    assert heat["customdata"][1][3] == "diverged" and heat["customdata"][0][0] == "-0.400 nats"


def test_curves_past_the_deepest_row_are_gaps():
    fig = grid_figure(np.zeros((3, 4)))
    y_top = fig["layout"]["yaxis"]["range"][1]
    assert y_top == 25                                    # half a step past depth 20
    six = arr(by_name(fig, "6 ξ_c")["y"]).tolist()
    assert six[:3] == [6.0, 12.0, None] and six[4] is None     # 30 > 25, and ∞
    assert all(v is None or v <= y_top for v in six)


@given(st.floats(0.1, 6.0), st.integers(1, 40))
def test_the_point_and_a_live_column_are_drawn_where_asked(s, depth):
    fig = grid_figure(np.zeros((3, 4)), point=(s, depth),
                      column=(s, (5, 20), np.array([-0.2, math.inf])))
    point = by_name(fig, "your network")
    assert point["x"] == [s] and point["y"] == [depth]
    column = next(t for t in fig["data"] if t["name"].startswith("your column"))
    assert arr(column["x"]) == pytest.approx([s, s]) and arr(column["y"]).tolist() == [5, 20]
    assert column["marker"]["coloraxis"] == "coloraxis"
    assert column["customdata"] == ["-0.200 nats", "diverged"]


def test_the_critical_line_is_drawn_only_inside_the_grid():
    inside = grid_figure(np.zeros((3, 4)), critical=1.76)
    assert inside["layout"]["shapes"][0]["x0"] == 1.76
    assert "shapes" not in grid_figure(np.zeros((3, 4)), critical=9.0)["layout"]


def test_the_boundary_chart_draws_each_side_s_median_and_range_against_steps():
    sides = {"ordered": [np.array([4.0, 5.0, 9.0]), np.array([]), np.array([8.0, 10.0])],
             "chaotic": [np.array([3.0]), np.array([4.0, 4.4]), np.array([4.3, 3.9])]}
    fig = as_json(dfig.boundary_figure([250, 1000, 4000], sides, shown=1000))
    ordered, chaotic = by_name(fig, "ordered"), by_name(fig, "chaotic")
    assert arr(ordered["x"]).tolist() == [250, 1000, 4000]
    assert arr(ordered["y"]).tolist() == [5.0, None, 9.0]          # no column: a gap
    assert ordered["error_y"]["array"] == [4.0, None, 1.0]          # up to the highest
    assert ordered["error_y"]["arrayminus"] == [1.0, None, 1.0]     # down to the lowest
    assert drawn(chaotic["y"]) == pytest.approx([3.0, 4.2, 4.1])
    ring = by_name(fig, "the grid above (1000 steps)")
    assert ring["x"] == [1000.0, 1000.0] and ring["y"] == [None, pytest.approx(4.2)]
    (line,) = fig["layout"]["shapes"]
    assert line["y0"] == line["y1"] == 6.0 and "6 ξ_c" in fig["layout"]["annotations"][0]["text"]
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert fig["layout"]["yaxis"]["range"][1] >= 10.0          # the highest error bar inside


# -- isometry ---------------------------------------------------------------------------

@settings(max_examples=25)
@given(st.lists(st.floats(-60, 5), min_size=4, max_size=50), st.integers(0, 5))
def test_each_histogram_counts_its_values_in_percent(values, zeros):
    """Per depth and weight draw the bars add up to the share of nonzero values."""
    row = np.array(values + [-math.inf] * zeros)
    ones = np.where(np.isfinite(row), 0.0, -math.inf)
    spectra = {"Gaussian": np.stack([row, row + 1]), "orthogonal": np.stack([ones, ones])}
    fig = as_json(dfig.isometry_figure((3, 6), spectra))
    bars = [t for t in fig["data"] if t["type"] == "bar"]
    assert len(bars) == 4
    for bar in bars:
        share = arr(bar["y"]).astype(float).sum()
        expected = 100 * len(values) / (len(values) + zeros)
        assert share == pytest.approx(expected, rel=1e-5)
    assert [b["xaxis"] for b in bars] == ["x", "x", "x2", "x2"]


def test_an_exact_isometry_is_one_bar_at_one():
    ones = np.zeros((1, 32))                         # log10 1 = 0
    fig = as_json(dfig.isometry_figure((10,), {"orthogonal": ones}))
    y = arr(fig["data"][0]["y"]).astype(float)
    x = arr(fig["data"][0]["x"]).astype(float)
    assert y.max() == pytest.approx(100) and abs(x[np.argmax(y)]) < 0.05
    lo, hi = fig["layout"]["xaxis"]["range"]
    assert lo < 0 < hi


# -- finite width -----------------------------------------------------------------------

def test_the_finite_width_bars_and_the_laws_curve_share_one_scale():
    """The bars are % of the finite values; the law's normal density times the bar width
    is the % a bar would hold: it integrates to about 100 over ± 3 standard deviations."""
    values = np.random.default_rng(0).normal(-1.0, 2.0, 4000)
    fig = as_json(dfig.finite_width_figure(np.append(values, -np.inf), (-1.0, 4.0)))
    bars, law = fig["data"]
    assert arr(bars["y"]).astype(float).sum() == pytest.approx(100, rel=1e-5)
    x, y = arr(law["x"]).astype(float), arr(law["y"]).astype(float)
    width = np.diff(arr(bars["x"]).astype(float))[0]
    assert np.trapezoid(y, x) / width == pytest.approx(100, rel=0.01)
    peak = np.argmax(y)
    assert x[peak] == pytest.approx(-1.0, abs=0.1)
    assert "4000 values" in bars["name"]


def test_no_law_and_no_values_draw_an_empty_histogram():
    fig = as_json(dfig.finite_width_figure(np.array([-np.inf, -np.inf]), None))
    assert len(fig["data"]) == 1 and arr(fig["data"][0]["y"]).astype(float).sum() == 0
