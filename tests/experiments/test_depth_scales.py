"""core.experiments.depth_scales: each tab's numbers against closed forms (linear and
orthogonal networks, He ReLU's finite-width law, relu's xi_c), and the budgets: what
runs fits them, keeps sigma_w2, and says when it shrank."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from core import NetworkSpec, theory
from core.experiments import depth_scales as ds
from core.experiments.jacobian import jacobian_flops


# -- order and chaos ----------------------------------------------------------------------

def test_a_linear_network_without_bias_keeps_every_pairs_correlation():
    """h = x W: the map is the identity, c_l = c0 at every layer. A layer of n Gaussian
    units moves one pair's sample correlation by (1 - c^2) / sqrt(n) (standard deviation),
    independently from layer to layer; 16 pairs in nearly orthogonal directions average
    that down by 4. Four standard deviations allowed."""
    depth, n, pairs, c0 = 6, 1024, 16, 0.3
    spec = NetworkSpec(depth=depth, width=n, activation="linear", weight_var=1 / n)
    corr = ds.correlations(spec, c0=c0, pairs=pairs)
    assert corr.predicted == pytest.approx([c0] * depth, abs=1e-12)
    sd = (1 - c0**2) * np.sqrt(np.arange(1, depth + 1) / n / pairs)
    assert np.all(np.abs(corr.mean - c0) <= 4 * sd)
    assert math.isinf(corr.scales.xi_c)


def test_a_layer_with_no_pair_defined_is_a_gap():
    spec = NetworkSpec(depth=8, width=32, activation="tanh", weight_var=3 / 32, bias_var=0.05)
    corr = ds.correlations(spec, pairs=5)
    measured = corr.measured.copy()
    measured[3] = np.nan                       # no pair defined there (every unit zero)
    gap = ds.Correlations(0.5, measured, None, corr.scales)
    assert np.isnan(gap.mean[3]) and np.isnan(gap.low[3]) and np.isfinite(gap.mean[4])


@pytest.mark.parametrize("change", [dict(norm="layer"), dict(residual=True)])
def test_the_map_is_drawn_for_plain_networks_only(change):
    spec = NetworkSpec(depth=4, width=16, activation="tanh", **change)
    assert ds.correlations(spec, pairs=2).predicted is None


def test_xi_c_along_sigma_w2_is_relus_closed_form():
    """relu at sigma_b2 = 0.5: q* = 0.5 / (1 - sigma_w2 / 2), c* = 1 and chi_c = chi1 =
    sigma_w2 / 2 below He's 2, so xi_c = -1 / ln(sigma_w2 / 2)."""
    s = np.array([0.5, 1.0, 1.5])
    assert ds.xi_c_curve("relu", 0.5, s) == pytest.approx(-1 / np.log(s / 2), rel=1e-9)


# -- dynamical isometry ---------------------------------------------------------------------

def test_linear_isometry_gaussian_against_orthogonal():
    """Orthogonal layers at gain 1: every squared singular value exactly 1, predicted
    variance 0. Gaussian at sigma_w2 = 1: mean 1 and variance / mean^2 = L predicted
    (Saxe et al. 2014; Pennington et al. 2017)."""
    spec = NetworkSpec(depth=12, width=32, activation="linear", weight_var=1 / 32)
    iso = ds.isometry(spec)
    orth, gauss = iso.spectra["orthogonal"], iso.spectra["Gaussian"]
    assert np.abs(orth.log10_sv2).max() < 1e-12
    for i, depth in enumerate(iso.depths):
        assert orth.predicted[i].rel_var == 0.0 and orth.measured(i)[1] == pytest.approx(0, abs=1e-12)
        assert gauss.predicted[i].rel_var == pytest.approx(depth)
        assert gauss.predicted[i].log10_mean == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(width=st.integers(8, 1024), depth=st.integers(1, 200),
       activation=st.sampled_from(["linear", "tanh", "relu"]),
       weight_var=st.floats(1e-4, 1.0), budget=st.floats(1e6, 1e9))
def test_the_jacobians_width_fits_the_budget_and_keeps_sigma_w2(width, depth, activation,
                                                                 weight_var, budget):
    """The width halves until one input of each weight draw fits (or reaches MIN_WIDTH),
    then as many inputs as fit; both draws keep the spec's sigma_w2. Planned, not run:
    the plan is what `isometry` runs."""
    spec = NetworkSpec(depth=depth, width=width, activation=activation, weight_var=weight_var,
                       batch=8)
    depths = ds.isometry_depths(depth)
    used, inputs = ds.isometry_plan(spec, len(depths), budget)
    halvings = [width]
    while halvings[-1] // 2 >= ds.MIN_WIDTH:
        halvings.append(halvings[-1] // 2)
    one = lambda w: 2 * jacobian_flops(w, depth, 1, len(depths))
    k = halvings.index(used)
    assert one(used) <= budget or k == len(halvings) - 1        # fits, or the narrowest
    assert all(one(w) > budget for w in halvings[:k])            # every wider one did not
    cost = 2 * jacobian_flops(used, depth, inputs, len(depths))
    assert 1 <= inputs <= ds.MAX_INPUTS and (inputs == 1 or cost <= budget)
    assert inputs == ds.MAX_INPUTS or one(used) * (inputs + 1) > budget
    for s in ds.weight_specs(spec, used).values():
        assert s.width == used and s.sigma_w2 == pytest.approx(spec.sigma_w2, rel=1e-12)


def test_a_shrunk_isometry_says_so():
    spec = NetworkSpec(depth=40, width=256, activation="tanh", weight_var=1 / 256)
    iso = ds.isometry(spec, max_flops=2e7)
    (fix,) = iso.fixes
    assert (fix.field, fix.asked, fix.why) == ("width", 256, "budget")
    assert iso.spectra["Gaussian"].spec.width == fix.used < 256
    assert ds.isometry(spec.replace(width=16, weight_var=1 / 16), max_flops=2e7).fixes == ()


def test_a_normalized_network_has_no_jacobian_spectrum_here():
    with pytest.raises(ValueError, match="normalization"):
        ds.isometry(NetworkSpec(depth=3, width=16, norm="layer"))


# -- finite width ---------------------------------------------------------------------------

def test_relu_he_spread_over_draws_and_inputs_is_hanin_and_rolnicks():
    """Every input's ln ||x_L||^2 / ||x_0||^2 has the same law under random Gaussian
    weights (rotation invariance), so pooling 8 inputs per draw estimates it too. Width 100,
    depth 10: the law's variance 5 * 10 / 100 = 0.5, within 20 % of the exact one (Hanin &
    Rolnick's large-width approximation) and sampling error on 100 draws."""
    spec = NetworkSpec(depth=10, width=100, activation="relu", init="kaiming_normal")
    fw = ds.finite_width(spec)
    assert fw.law.variance == pytest.approx(0.5) and fw.kappa == 5
    assert fw.log_ratios.shape == (ds.MAX_SEEDS, ds.EXAMPLES)
    draws = fw.log_ratios.shape[0]
    assert np.var(fw.finite, ddof=1) == pytest.approx(0.5, rel=0.2 + 4 * math.sqrt(2 / draws))


@pytest.mark.parametrize("change, why", [
    (dict(activation="tanh"), "activation"), (dict(bias_var=0.1), "bias"),
    (dict(norm="layer"), "norm"), (dict(residual=True), "residual"),
    (dict(init="orthogonal"), "orthogonal"), ({}, None)])
def test_the_law_is_drawn_only_where_it_holds(change, why):
    spec = NetworkSpec(depth=3, width=16, activation="relu", init="kaiming_normal").replace(**change)
    assert ds.law_missing(spec) == why
    fw = ds.finite_width(spec, max_weights=1e4)
    assert (fw.law is None) == (why is not None) and (fw.no_law == why)


@settings(max_examples=30, deadline=None)
@given(width=st.integers(2, 1024), depth=st.integers(1, 200), budget=st.floats(1e3, 1e8))
def test_draws_fit_the_budget_between_the_floor_and_the_ceiling(width, depth, budget):
    spec = NetworkSpec(depth=depth, width=width, batch=8)
    n = ds.seed_count(spec, budget)
    assert ds.MIN_SEEDS <= n <= ds.MAX_SEEDS
    assert n == ds.MIN_SEEDS or n * depth * width**2 <= budget


def test_a_network_too_big_for_the_fewest_draws_runs_narrower_and_says_so():
    spec = NetworkSpec(depth=50, width=512, activation="relu", init="kaiming_normal")
    fw = ds.finite_width(spec, max_weights=1e6)
    (fix,) = fw.fixes
    assert fix.asked == 512 and fw.width == fix.used
    assert ds.MIN_SEEDS * 50 * fw.width**2 <= 4e6 < ds.MIN_SEEDS * 50 * (2 * fw.width)**2
    assert fw.law.variance == pytest.approx(5 * 50 / fw.width)


def test_an_all_dead_output_is_counted_not_dropped():
    """relu at width 2: both units of a layer are off for an input with probability about
    1/4 per layer, so after 4 layers many outputs are exactly 0 (ln = -inf) and many not."""
    spec = NetworkSpec(depth=4, width=2, activation="relu", init="kaiming_normal")
    fw = ds.finite_width(spec, max_weights=1e3)
    dead = np.isneginf(fw.log_ratios)
    assert 0 < dead.sum() < dead.size
    assert np.isfinite(fw.finite).all() and fw.finite.size == dead.size - dead.sum()


# -- reading a grid -------------------------------------------------------------------------

@given(st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=1, max_size=6))
def test_trained_depth_is_where_training_first_stops(rows):
    trains = np.array(rows).T                       # (3 depths, columns)
    depths = (5, 10, 20)
    deepest = ds.trained_depth(depths, trains)
    for col, d in zip(trains.T, deepest):
        k = next((i for i, ok in enumerate(col) if not ok), len(col))   # first failure
        assert d == (depths[k - 1] if k else 0)


@given(st.lists(st.integers(1, 100), min_size=1, max_size=12, unique=True),
       st.floats(0, 2000))
def test_spread_within_picks_the_most_depths_the_budget_affords(depths, budget):
    depths = tuple(sorted(depths))
    picked = ds.spread_within(depths, float, budget)
    assert picked[0] == depths[0] and set(picked) <= set(depths) and list(picked) == sorted(picked)
    if len(picked) > 1:
        assert sum(picked) <= budget and picked[-1] == depths[-1]
    if sum(depths) <= budget:
        assert picked == depths


def test_boundary_multiples_only_where_the_boundary_is_inside_the_grid():
    trains = np.array([[1, 1, 0, 1], [1, 0, 0, 1], [0, 0, 0, 1]], dtype=bool)
    xi = np.array([2.0, 5.0, 1.0, math.inf])
    m = ds.boundary_multiples((10, 20, 30), trains, xi)
    assert m[0] == pytest.approx(20 / 2) and m[1] == pytest.approx(10 / 5)
    assert np.isnan(m[2]) and np.isnan(m[3])        # nothing trains / everything does


@pytest.mark.parametrize("activation, sigma_w2, sigma_b2", [
    ("tanh", 1.76, 0.05), ("relu", 2.0, 0.0), ("gelu", 1.5, 0.1), ("sigmoid", 20.0, 0.0)])
def test_the_orthogonal_prediction_is_free_probabilitys(activation, sigma_w2, sigma_b2):
    """The orthogonal moments the page shows are theory.jacobian_moments' own."""
    spec = NetworkSpec(depth=12, width=16, activation=activation, weight_var=sigma_w2 / 16,
                       bias_var=sigma_b2)
    iso = ds.isometry(spec)
    for i, d in enumerate(iso.depths):
        direct = theory.jacobian_moments(activation, sigma_w2, sigma_b2, d, orthogonal=True)
        shown = iso.spectra["orthogonal"].predicted[i]
        assert shown.log10_mean == pytest.approx(direct.log10_mean, abs=1e-12)
        assert shown.rel_var == pytest.approx(direct.rel_var, rel=1e-12, abs=1e-12)
