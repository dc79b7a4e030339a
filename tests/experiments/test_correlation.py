"""core.experiments.correlation: the measured correlation of input pairs through the engine,
against exact invariants (orthogonal weights keep inner products) and the correlation map
at large width (tolerance from the finite-width spread)."""

import math

import numpy as np
import pytest

from core import NetworkSpec, theory
from core.experiments.correlation import correlated_pairs, pair_correlations


@pytest.mark.parametrize("c0", [-0.6, 0.0, 0.999])
def test_pairs_have_exactly_the_asked_correlation_and_size(c0):
    x = correlated_pairs(5, 300, c0, 1 / 3, np.random.default_rng(0))
    a, b = x[0::2], x[1::2]
    np.testing.assert_allclose(np.sum(a * b, axis=1) / np.sqrt(np.sum(a * a, axis=1) * np.sum(b * b, axis=1)),
                               c0, atol=1e-12)
    np.testing.assert_allclose(np.mean(x * x, axis=1), 1 / 3, rtol=1e-12)


def test_orthogonal_linear_network_keeps_the_correlation_exactly():
    """W orthogonal (gain 1), no bias: h = x W keeps every inner product."""
    spec = NetworkSpec(depth=6, width=64, activation="linear", init="orthogonal", gain=1.0)
    c = pair_correlations(spec, 0.3, pairs=3)
    np.testing.assert_allclose(c, 0.3, atol=1e-12)


@pytest.mark.parametrize("activation,sw2,sb2,c0", [("tanh", 2.5, 0.05, 0.9),     # chaotic: decorrelates
                                                   ("tanh", 1.2, 0.05, 0.0),     # ordered: collapses
                                                   ("tanh", 4.0, 0.0, 0.5),      # odd, no bias: c* = 0
                                                   ("relu", 2.0, 0.0, 0.0)])     # He: arc-cosine map
def test_measured_correlation_follows_the_map_at_large_width(activation, sw2, sb2, c0):
    """Width 512, 32 pairs, one seed. A cosine similarity of n-vectors has finite-width
    noise of order 1/sqrt(n) (shared by the pairs through the weights, so averaging over
    pairs does not remove it); 2 / sqrt(n) allows two of it."""
    n, depth = 512, 12
    spec = NetworkSpec(depth=depth, width=n, activation=activation, weight_var=sw2 / n, bias_var=sb2)
    measured = pair_correlations(spec, c0, pairs=32).mean(axis=1)
    predicted = theory.correlation_trajectory(activation, sw2, sb2, c0, depth)
    np.testing.assert_array_less(np.abs(measured - predicted), 2 / math.sqrt(n))


def test_chaotic_pairs_settle_at_c_star():
    n = 512
    spec = NetworkSpec(depth=40, width=n, activation="tanh", weight_var=4.0 / n, bias_var=0.05)
    measured = pair_correlations(spec, 0.95, pairs=32).mean(axis=1)
    c_star = theory.c_star("tanh", 4.0, 0.05)
    assert c_star < 0.5
    assert abs(measured[-10:].mean() - c_star) < 2 / math.sqrt(n)


@pytest.mark.parametrize("c0", [1.5, -1.01, math.nan])
def test_a_correlation_outside_minus_one_to_one_is_refused(c0):
    with pytest.raises(ValueError, match="c0="):
        pair_correlations(NetworkSpec(depth=2, width=8), c0)
