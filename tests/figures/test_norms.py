"""figures.norms on synthetic masks and numbers: what goes in is what is drawn."""

import numpy as np
import pytest

from core import norms
from figures import norms as f


def test_sets_figure_draws_the_masks_and_the_cell():
    shape, cell = (6, 8, 2), (0, 0, 0)
    ex, ch, pos = norms.picture_indices(shape, groups=2, max_channels=4)
    masks = {k: norms.statistics_set(k, shape, cell, 2 if k == "group" else 1, ex, ch, pos)
             for k in ("batch", "group")}
    fig = f.sets_figure(masks, ex, ch, pos, cell, {"batch": "12 values"})
    assert [t.name for t in fig.data] == ["batch", "group"]
    for tr, (k, m) in zip(fig.data, masks.items()):
        z = np.asarray(tr.z, dtype=float)
        assert z.shape == (len(ex), len(ch) * len(pos))
        assert z[0, 0] == 2.0                                   # the cell itself
        flat = m.reshape(len(ex), -1).astype(float)
        flat[0, 0] = 2.0
        assert np.array_equal(z, flat)
    # channels 0, 1, 4, 5 are shown: one gap, marked in each panel
    assert ch == [0, 1, 4, 5] and len(fig.layout.shapes) == 2


def test_fraction_and_mismatch_in_percent():
    fig = f.fraction_figure({"a": np.array([0.5, np.nan, 0.25])}, "t", "y")
    assert list(fig.data[0].y) == [50.0, None, 25.0]
    fig = f.mismatch_figure(np.array([0.1, 0.2, np.inf]), 3)
    assert list(fig.data[0].y) == [pytest.approx(10.0), pytest.approx(20.0), None]
    assert "3 training batches" in fig.layout.title.text


def test_activation_histograms_in_true_units():
    edges = np.linspace(-4, 4, 9)
    counts = np.array([0, 0, 1, 3, 3, 1, 0, 0])
    fig = f.activation_hist_figure({"big": (counts, edges, 2.0), "empty": (counts * 0, edges, 0.0)},
                                   "t", "x")
    assert [t.name for t in fig.data] == ["big"]
    x = np.asarray(fig.data[0].x, dtype=float)
    assert x == pytest.approx((np.arange(-3.5, 4, 1.0)) * 100.0)
    assert np.sum(np.asarray(fig.data[0].y, dtype=float)) * 100.0 == pytest.approx(1.0, rel=1e-5)


def test_lineup_variance_and_sensitivity_legends_under_the_title():
    curves = {f"v{i}": np.array([0.0, -1.0]) for i in range(6)}
    fig = f.lineup_variance_figure(curves, "t")
    assert [t.name for t in fig.data] == list(curves)
    legend, margin = fig.layout.legend, fig.layout.margin
    assert legend.yref == "container" and legend.yanchor == "top"
    assert (1 - legend.y) * fig.layout.height == pytest.approx(margin.t)     # the head's foot
    sens = f.sensitivity_figure({"BatchNorm, batch 2": np.array([0.5, 0.6]),
                                 "LayerNorm, batch 8": np.zeros(2)})
    assert sens.data[1].line.dash == "dash" and sens.data[0].line.dash == "solid"
    assert list(sens.data[0].y) == [50.0, 60.0]
