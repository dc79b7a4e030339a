"""figures.gradients on synthetic per-layer numbers: what goes in is what is drawn."""

import math

import numpy as np
import pytest

from figures import gradients as g

ACT = np.array([-1.0, -1.1, -1.2, -1.3])
GRAD = np.array([-9.0, -7.0, np.inf, np.nan])
THEORY = np.array([-8.5, -7.0, -5.5, -4.0])


def ys(trace):
    return [None if v is None else float(v) for v in trace.y]


def test_flow_figure_draws_the_numbers_and_never_inf():
    fig = g.flow_figure(ACT, GRAD, THEORY)
    names = [t.name for t in fig.data]
    assert names == [g.FORWARD, g.BACKWARD, g.THEORY]
    assert ys(fig.data[0]) == pytest.approx(list(ACT))
    assert ys(fig.data[1])[:2] == [-9.0, -7.0] and ys(fig.data[1])[2:] == [None, None]
    assert ys(fig.data[2]) == pytest.approx(list(THEORY))
    assert [t.name for t in g.flow_figure(ACT, GRAD).data] == [g.FORWARD, g.BACKWARD]


def test_histograms_are_densities_with_the_legend_given():
    edges = np.linspace(-4, 4, 9)
    hist = np.array([[0, 1, 2, 5, 5, 2, 1, 0], [0] * 8, [8, 0, 0, 0, 0, 0, 0, 8]])
    fig = g.histogram_figure(hist, edges, [0, 1, 2], ["a", "b", "c"], "t", "x")
    assert [t.name for t in fig.data] == ["a", "c"]          # the empty layer is left out
    for tr in fig.data:
        assert np.sum(np.asarray(tr.y, dtype=float)) * 1.0 == pytest.approx(1.0)   # width 1
        assert np.asarray(tr.x).dtype == np.float32
    assert np.asarray(fig.data[0].x) == pytest.approx(np.arange(-3.5, 4, 1.0))


def test_legends():
    assert g.grad_legend(2, -6.0) == "layer 3: std 0.001"
    assert g.ratio_legend(0, math.log10(0.25)) == "layer 1: grad:data 0.25"
    assert "10" in g.grad_legend(0, -400.0)                 # readable at 1e-200


def test_phase_figure_marks_the_network_and_the_line():
    sb2 = np.linspace(0, 1, 5)
    sw2 = np.array([1.0, 2.0, 2.5, 3.0, np.nan])
    fig = g.phase_figure(sb2, sw2, 0.5, 100.0, 5.5, "tanh")
    line = [t for t in fig.data if t.name.startswith("critical")][0]
    assert np.asarray(line.x) == pytest.approx(sb2[:4])
    assert np.asarray(line.y) == pytest.approx(np.log10(sw2[:4]), abs=1e-6)
    point = fig.data[-1]
    assert list(point.x) == [0.5] and list(point.y) == [pytest.approx(2.0)]
    assert "5.5" in point.name
    lo, hi = fig.layout.yaxis.range
    assert lo < 0 < 2 < hi
