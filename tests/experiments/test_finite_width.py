"""core.experiments.finite_width and core.theory.fluctuations: the spread of the output's
size over draws of the weights, against exact finite-width laws (chi-square facts in
tests/core/reference.py) and Hanin & Rolnick 2018's 5 sum 1/n_l."""

import math

import numpy as np
import pytest

from core import NetworkSpec, theory
from core.experiments.finite_width import log_norm_ratios
from tests.core.reference import e_log_chi2, relu_square_sum_log_moments, var_log_chi2


def exact_relu_he(width, depth):
    """Each layer: ln(2/n) + ln S, S = sum of n relu(g)^2, independent across layers."""
    m, v = relu_square_sum_log_moments(width)
    return depth * (math.log(2 / width) + m), depth * v


def exact_linear(width, depth, sigma_w2=1.0):
    """Each layer: ln(sigma_w2 / n) + ln chi2_n."""
    return depth * (math.log(sigma_w2 / width) + e_log_chi2(width)), depth * var_log_chi2(width)


@pytest.mark.parametrize("activation,width,depth,exact", [("relu", 100, 20, exact_relu_he),
                                                          ("linear", 64, 10, exact_linear)])
def test_spread_over_seeds_matches_the_exact_finite_width_law(activation, width, depth, exact):
    """400 seeds. The sample variance of k near-normal draws has standard error
    sigma^2 sqrt(2 / (k - 1)); the sample mean sigma / sqrt(k). Four of each allowed."""
    k = 400
    spec = NetworkSpec(depth=depth, width=width, activation=activation, init="kaiming_normal")
    r = log_norm_ratios(spec, seeds=k)[:, 0]
    mean, var = exact(width, depth)
    assert abs(np.var(r, ddof=1) - var) < 4 * var * math.sqrt(2 / (k - 1))
    assert abs(np.mean(r) - mean) < 4 * math.sqrt(var / k)


@pytest.mark.parametrize("width,depth", [(100, 20), (64, 32), (32, 16), (200, 10)])
def test_hanin_rolnick_law_within_20_percent_where_width_is_twice_depth(width, depth):
    law = theory.log_norm_law("relu", 2.0, [width] * depth)
    mean, var = exact_relu_he(width, depth)
    assert law.variance == pytest.approx(5 * depth / width, rel=1e-12)
    assert law.variance == pytest.approx(var, rel=0.2)
    assert law.mean == pytest.approx(mean, abs=0.2 * var)


def test_law_for_linear_and_leaky_relu():
    """kappa = E phi^4 / E phi^2 ^2 - 1: 3 - 1 = 2 for linear; leaky relu between 2 and 5."""
    assert theory.log_norm_law("linear", 1.0, [50] * 10).variance == pytest.approx(2 * 10 / 50)
    assert 2 * 10 / 50 < theory.log_norm_law("leaky_relu", 2.0, [50] * 10).variance < 5 * 10 / 50


def test_law_refuses_activations_it_does_not_cover():
    with pytest.raises(ValueError, match="tanh"):
        theory.log_norm_law("tanh", 1.0, [100] * 10)


def test_a_spread_needs_two_draws():
    with pytest.raises(ValueError, match="seeds"):
        log_norm_ratios(NetworkSpec(depth=2, width=8), seeds=1)
