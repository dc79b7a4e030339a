"""The training figures: what is drawn is the numbers given, NaN and inf never drawn as
data, the -ln(1/27) and 10^-3 guides where they belong."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

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


RUNS = {"as set": _run([18.2, 5.0, 3.0], [18.0, 3.05]),
        "readout × 0.01": _run([3.31, 2.5, 2.4], [3.31, 2.376]),
        "readout × 0.01, Kaiming init, gain 5/3": _run([3.31, 2.4, 2.3], [3.31, 2.286])}


def test_compared_runs_read_without_their_colours():
    """In greyscale or to a colour-blind student the three runs still differ: each
    validation curve has a dash and a marker of its own and is named at its last point,
    its name a line of 16 px type clear of the others' and of the -ln(1/27) label."""
    fig = tfig.loss_figure(RUNS, math.log(27)).to_plotly_json()
    valid = [t for t in fig["data"] if t["name"].endswith(": validation")]
    assert len({(t["line"].get("dash", "solid"), t["marker"].get("symbol", "circle"))
                for t in valid}) == len(RUNS)
    notes = fig["layout"]["annotations"]
    named = {n["text"]: n for n in notes if n["text"] in RUNS}
    assert set(named) == set(RUNS)
    lo, hi = fig["layout"]["yaxis"]["range"]
    x_lo, x_hi = fig["layout"]["xaxis"]["range"]

    def log10_at(note):                 # a label placed in the plot's fractions, or on a line
        return lo + note["y"] * (hi - lo) if note["yref"] == "y domain" else note["y"]
    for label, r in RUNS.items():       # at the last point of its validation curve
        assert x_lo + named[label]["x"] * (x_hi - x_lo) == pytest.approx(r["eval_steps"][-1])
        assert log10_at(named[label]) == pytest.approx(math.log10(r["valid_loss"][-1]))
    px = tfig.LOSS_PLOT_PX / (hi - lo)
    at = sorted(log10_at(n) * px + n.get("yshift", 0) for n in notes)
    assert min(np.diff(at)) >= 16


def test_a_single_run_keeps_its_own_legend_entries():
    fig = tfig.loss_figure({"as set": RUNS["as set"]}, math.log(27)).to_plotly_json()
    shown = [t["name"] for t in fig["data"] if t.get("showlegend", True)]
    assert shown[:2] == ["as set: minibatch", "as set: validation"]
    assert [n["text"] for n in fig["layout"]["annotations"]] == [
        "−ln(1/27) = 3.2958: knows nothing, says so"]


@given(at=st.lists(st.floats(-500, 500), min_size=1, max_size=8),
       heavy=st.lists(st.booleans(), min_size=8, max_size=8))
def test_spread_labels_keep_their_order_a_gap_apart(at, heavy):
    weights = [1e9 if h else 1.0 for h in heavy[:len(at)]]
    out = tfig.spread(at, weights, 20.0)
    order = sorted(range(len(at)), key=lambda i: at[i])
    placed = [out[i] for i in order]
    assert all(b - a >= 20.0 - 1e-6 for a, b in zip(placed, placed[1:]))
    for i, x in enumerate(at):                 # a label with room where it is stays there
        if all(abs(x - y) >= 40.0 * len(at) for j, y in enumerate(at) if j != i):
            assert out[i] == pytest.approx(x)
