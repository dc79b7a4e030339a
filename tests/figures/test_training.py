"""The training figures: what is drawn is the numbers given, NaN and inf never drawn as
data, the -ln(1/27) and 10^-3 guides where they belong."""

import math

import numpy as np
import pytest

from figures import training as tfig


def _run(loss, valid):
    return dict(steps=np.arange(len(loss)), loss=np.asarray(loss, dtype=float),
                eval_steps=np.arange(len(valid)) * 100, valid_loss=np.asarray(valid, dtype=float))


def test_loss_figure_draws_gaps_not_nan_and_marks_the_uniform_loss():
    fig = tfig.loss_figure({"as set": _run([20.0, 5.0, math.nan, math.inf, 2.5], [19.0, 2.6])},
                           math.log(27)).to_plotly_json()
    mini = next(t for t in fig["data"] if t["name"] == "as set: minibatch")
    assert list(mini["y"]) == [20.0, 5.0, None, None, 2.5]
    start = next(t for t in fig["data"] if t["name"].startswith("initial loss"))
    assert list(start["y"]) == [20.0]
    assert fig["layout"]["yaxis"]["type"] == "log"
    note = fig["layout"]["annotations"][0]
    assert "3.2958" in note["text"]
    # on a log axis a shape takes the data value, an annotation its log10
    assert note["y"] == pytest.approx(math.log10(3.2958), abs=1e-4)


@pytest.mark.parametrize("losses", [[20.0, 5.0, 2.5], [3.3, 3.2, 3.1], [3.3, 80.0, 250.0],
                                    [0.5, 0.2, 0.1]])
def test_uniform_line_sits_at_ln_27_inside_the_log_axis(losses):
    """The dashed -ln(1/27) line is a shape at y = ln 27 (Plotly places shapes on a log
    axis by data value), and ln 27 lies inside the axis range (log10 units), whatever
    the curve's own range."""
    fig = tfig.loss_figure({"as set": _run(losses, losses[::2])}, math.log(27)).to_plotly_json()
    guide = fig["layout"]["shapes"][0]
    assert guide["y0"] == guide["y1"] == pytest.approx(math.log(27), rel=1e-12)
    lo, hi = fig["layout"]["yaxis"]["range"]
    assert lo < math.log10(guide["y0"]) < hi


def test_binned_keeps_means_and_skips_non_finite():
    steps, vals = tfig.binned(np.arange(6), np.array([1.0, 3.0, math.nan, 5.0, 2.0, 4.0]), 3)
    assert vals.tolist() == [2.0, 5.0, 3.0] and steps.tolist() == [0.5, 2.5, 4.5]


def test_ratio_chart_has_the_guide_and_log_ticks():
    vals = np.array([[-3.1, -2.0], [math.nan, -2.5]])
    fig = tfig.layers_over_steps(np.array([0, 20]), vals, [1, 2], "Update:data", "ratio",
                                 guide=(-3.0, "10⁻³"), log10_values=True).to_plotly_json()
    assert [list(t["y"]) for t in fig["data"]] == [[-3.1, None], [-2.0, -2.5]]
    assert fig["layout"]["shapes"][0]["y0"] == -3.0
    assert "10<sup>-3</sup>" in fig["layout"]["yaxis"]["ticktext"]


def test_density_map_one_row_per_layer_with_shares():
    """hist[:, i] and edges[i] belong to layers[i]: each row is drawn from its own."""
    hist = np.zeros((2, 2, 4), dtype=np.float32)
    hist[:, 0, 0] = 1.0                                        # layer 1: every value in bin 0
    hist[:, 1, 1] = 1.0                                        # layer 3: every value in bin 1
    edges = np.array([np.linspace(-1, 1, 5), np.linspace(0, 8, 5)])
    fig = tfig.density_over_steps(np.array([0, 10]), hist, edges, [1, 3])
    assert [t.name for t in fig.data] == ["layer 1", "layer 3"]
    z = np.asarray(fig.data[1].z, dtype=float)
    assert z.shape == (4, 2) and (z[1] == 2.0).all() and (z[0] == -3.0).all()   # 100%, floor
    assert (np.asarray(fig.data[0].z, dtype=float)[0] == 2.0).all()
    assert list(fig.data[1].y) == [1.0, 3.0, 5.0, 7.0]         # layer 3's bin centres
