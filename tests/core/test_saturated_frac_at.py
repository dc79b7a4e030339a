"""Result.saturated_frac_at: the saturated fraction at any threshold from one cached run."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from core import NetworkSpec, simulate, stats
from core.activations import get

SMALL = dict(depth=4, width=32, batch=64)


@pytest.fixture(scope="module")
def tanh_run():
    return simulate(NetworkSpec(**SMALL, weight_var=0.15), keep_tensors=True)


def test_grid_values_equal_a_direct_count(tanh_run):
    res = tanh_run
    assert res.saturated_frac_grid.shape == (4, len(stats.SATURATION_GRID))
    for layer, act in enumerate(res.tensors["act"]):
        mag = np.abs(act * 10.0 ** res.tensors["act_log10_scale"][layer])
        for t in (0.5, 0.8, 0.97, 0.99, 0.995, 0.9999):
            assert res.saturated_frac_at(t)[layer] == np.count_nonzero(mag > t) / mag.size


def test_equals_a_fresh_simulation_at_that_threshold(tanh_run):
    for t in (0.6, 0.9, 0.99, 0.999):
        other = simulate(NetworkSpec(**SMALL, weight_var=0.15, saturation_threshold=t))
        assert np.array_equal(tanh_run.saturated_frac_at(t), other.saturated_frac)
    assert np.array_equal(tanh_run.saturated_frac_at(), tanh_run.saturated_frac)


def test_between_grid_points_it_interpolates_monotonically(tanh_run):
    a, mid, b = (tanh_run.saturated_frac_at(t) for t in (0.97, 0.975, 0.98))
    assert (a >= mid).all() and (mid >= b).all()
    assert mid == pytest.approx((a + b) / 2)
    with pytest.raises(ValueError):
        tanh_run.saturated_frac_at(0.3)


def test_sigmoid_counts_on_the_unit_scale():
    res = simulate(NetworkSpec(**SMALL, activation="sigmoid", weight_var=1.0), keep_tensors=True)
    s = res.tensors["act"][1]
    assert res.saturated_frac_at(0.9)[1] == np.count_nonzero(np.abs(2 * s - 1) > 0.9) / s.size


def test_unbounded_activations_have_no_threshold():
    relu = simulate(NetworkSpec(**SMALL, activation="relu"))
    assert relu.saturated_frac_grid is None
    assert np.array_equal(relu.saturated_frac_at(0.6), relu.saturated_frac)   # the off fraction
    assert relu.saturated_frac[0] == pytest.approx(0.5, abs=0.1)
    lin = simulate(NetworkSpec(**SMALL, activation="linear"))
    assert not lin.saturated_frac_at(0.9).any()


def test_nan_is_never_saturated():
    assert stats.saturated_fractions(np.array([np.nan, 0.999, -1.0, 0.2]),
                                     (0.5, 0.999)).tolist() == [0.5, 0.25]


_GRID = np.array(stats.SATURATION_GRID)
# values where an inexact count would slip: the thresholds themselves, their neighbouring
# doubles, every lattice point, float16 values (a float16 run's), ties of the rounding
_EDGY = np.unique(np.concatenate([
    _GRID, np.nextafter(_GRID, 0), np.nextafter(_GRID, 2), np.arange(10_001) / 1e4,
    (np.arange(10_001) + 0.5) / 1e4, np.arange(0x3800, 0x3C01).astype(np.uint16)
    .view(np.float16).astype(np.float64), [0.0, 1.0, 1.5, np.nextafter(1.0, 2)]]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_EDGY.tolist()),
                          st.floats(0, 2, allow_nan=False), st.just(np.nan)),
                min_size=1, max_size=400),
       st.integers(1, 64))
def test_grid_counts_are_exact_at_and_beside_every_threshold(values, block):
    mag = np.array(values)
    old, stats._BLOCK = stats._BLOCK, block        # block edges anywhere in the array
    try:
        got = stats.saturated_fractions(mag)
    finally:
        stats._BLOCK = old
    want = [np.count_nonzero(mag > t) / mag.size for t in _GRID]    # NaN > t is False
    assert got.tolist() == want


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 40), st.integers(1, 200), st.randoms(use_true_random=False),
       st.sampled_from([0.5, 0.97, 0.99]), st.sampled_from([0.9, 0.99, 0.9999]))
def test_one_pass_counts_match_each_count_taken_alone(width, rows, block, rnd, thr, dead_thr):
    """saturation's blocked pass (|x| made once per block, then counted three ways)
    against each statistic computed on its own over the whole array, signs and NaN
    included, in blocks of any number of rows (one row to all of them)."""
    unit = np.array([rnd.choice(_EDGY.tolist()) * rnd.choice([1, -1]) if rnd.random() < 0.9
                     else np.nan for _ in range(rows * width)]).reshape(rows, 1, width)
    old, stats._BLOCK = stats._BLOCK, block
    try:
        frac, dead, at = stats.saturation(get("tanh"), unit, unit, thr, dead_thr, grid=True)
    finally:
        stats._BLOCK = old
    mag = np.abs(unit.reshape(rows, width))
    assert frac == np.count_nonzero(mag > thr) / mag.size
    assert dead.tolist() == (mag > dead_thr).all(axis=0).tolist()          # NaN: not dead
    assert at.tolist() == [np.count_nonzero(mag > t) / mag.size for t in _GRID]
