"""core.norms.statistics_set against the forward pass: the cells it names are exactly
the ones normalize() averages a cell with (perturb outside: nothing changes; recompute
the cell from the named set: the same number)."""

import math

import numpy as np
import pytest

from core import norms

SHAPE = (5, 6, 3)                 # batch, channels, positions (the picture's order)
KINDS = [("batch", 1), ("layer", 1), ("group", 2), ("group", 3), ("instance", 1), ("rms", 1)]
CELLS = [(0, 0, 0), (3, 4, 2), (4, 5, 1)]


def forward(x_ncp, kind, groups):
    """normalize() on the channels-last layout, answered in (n, c, p) order."""
    y, scale, _ = norms.normalize(np.ascontiguousarray(x_ncp.transpose(0, 2, 1)), 0.0, kind, groups)
    return (y * 10.0**scale).transpose(0, 2, 1)


@pytest.mark.parametrize("kind, groups", KINDS)
@pytest.mark.parametrize("cell", CELLS)
def test_the_set_is_what_the_forward_pass_averages(kind, groups, cell):
    rng = np.random.default_rng(1)
    x = rng.normal(size=SHAPE)
    mask = norms.statistics_set(kind, SHAPE, cell, groups)
    y = forward(x, kind, groups)[cell]
    # recompute the cell from its set alone
    vals = x[mask]
    if kind == "rms":
        expect = x[cell] / math.sqrt(np.mean(vals**2) + norms.EPS)
    else:
        expect = (x[cell] - vals.mean()) / math.sqrt(vals.var() + norms.EPS)
    assert y == pytest.approx(expect, rel=1e-10)
    # values outside the set do not matter; one inside (not the cell) does
    x2 = x.copy()
    x2[~mask] = rng.normal(size=int((~mask).sum())) * 7.0 + 3.0
    assert forward(x2, kind, groups)[cell] == pytest.approx(y, rel=1e-12)
    others = np.argwhere(mask & ~np.isin(np.arange(mask.size).reshape(SHAPE),
                                         [np.ravel_multi_index(cell, SHAPE)]))
    if len(others):
        x3 = x.copy()
        x3[tuple(others[0])] += 5.0
        assert forward(x3, kind, groups)[cell] != pytest.approx(y, rel=1e-6)


def test_set_sizes_and_subgrid():
    b, c, p = SHAPE
    size = {k: int(norms.statistics_set(k, SHAPE, (1, 2, 0), 3).sum())
            for k in ("batch", "layer", "group", "instance", "rms")}
    assert size == {"batch": b * p, "layer": c * p, "group": c // 3 * p, "instance": p,
                    "rms": c * p}
    assert size == {k: norms.statistics_set_size(k, SHAPE, 3) for k in size}
    full = norms.statistics_set("group", SHAPE, (1, 2, 0), 3)
    ex, ch, pos = [0, 1, 4], [0, 2, 3, 5], [1]
    sub = norms.statistics_set("group", SHAPE, (1, 2, 0), 3, ex, ch, pos)
    assert np.array_equal(sub, full[np.ix_(ex, ch, pos)])


def test_bad_arguments():
    with pytest.raises(ValueError):
        norms.statistics_set("batch", SHAPE, (5, 0, 0))
    with pytest.raises(ValueError):
        norms.statistics_set("group", SHAPE, (0, 0, 0), groups=4)
    with pytest.raises(ValueError):
        norms.statistics_set("weight", SHAPE, (0, 0, 0))


def test_picture_indices_show_group_boundaries():
    ex, ch, pos = norms.picture_indices((256, 100, 1), groups=4)
    assert ex == list(range(6)) and pos == [0]
    assert {c // 25 for c in ch} == {0, 1, 2, 3}
    assert norms.picture_indices((4, 8, 16), 2)[1:] == (list(range(8)), [0, 1, 2, 3])
    _, ch, _ = norms.picture_indices((8, 100, 4), groups=5, max_channels=6)
    assert len(ch) == 6 and all(sum(c // 20 == g for c in ch) >= 2 for g in {c // 20 for c in ch})
