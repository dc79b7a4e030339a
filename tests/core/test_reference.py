"""The test suite's own special functions, checked against exact values and lgamma."""

import math

import numpy as np
import pytest

from .reference import (EULER_GAMMA, digamma, e_log_chi2, gauss_hermite,
                        relu_square_sum_log_moments, trigamma, var_log_chi2)


def test_digamma_exact_values():
    assert digamma(1.0) == pytest.approx(-EULER_GAMMA, abs=1e-14)
    assert digamma(0.5) == pytest.approx(-EULER_GAMMA - 2 * math.log(2), abs=1e-14)
    for n in (2, 5, 10, 50):                     # psi(n + 1) = H_n - gamma
        harmonic = sum(1.0 / k for k in range(1, n + 1))
        assert digamma(n + 1.0) == pytest.approx(harmonic - EULER_GAMMA, abs=1e-13)


@pytest.mark.parametrize("x", [0.1, 0.7, 3.3, 7.9, 49.5, 500.0])
def test_digamma_is_derivative_of_lgamma(x):
    h = 1e-5 * max(1.0, x)
    fd = (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)
    # central difference error ~ h^2 psi''/6 + eps lgamma / h
    assert digamma(x) == pytest.approx(fd, rel=1e-8, abs=1e-9)


def test_trigamma_exact_values():
    assert trigamma(1.0) == pytest.approx(math.pi**2 / 6, abs=1e-14)
    assert trigamma(0.5) == pytest.approx(math.pi**2 / 2, abs=1e-13)
    for x in (0.3, 2.2, 9.0, 120.0):
        h = 1e-4 * x
        fd = (digamma(x + h) - digamma(x - h)) / (2 * h)
        assert trigamma(x) == pytest.approx(fd, rel=1e-7)


def test_log_chi2_moments_by_monte_carlo():
    rng = np.random.default_rng(0)
    n_samples = 400_000
    for k in (1, 3, 10, 99):
        s = np.log(rng.chisquare(k, n_samples))
        # the sample mean's error is sd / sqrt(n): allow 5 standard errors
        se = math.sqrt(var_log_chi2(k) / n_samples)
        assert abs(s.mean() - e_log_chi2(k)) < 5 * se
        # the sample variance's relative error is ~ sqrt(2 / n) for near-normal ln S;
        # ln chi2_1 is skewed, so allow 10 times that
        assert s.var() == pytest.approx(var_log_chi2(k), rel=10 * math.sqrt(2 / n_samples))


def test_relu_square_sum_moments_by_monte_carlo():
    rng = np.random.default_rng(1)
    n, reps = 20, 100_000
    z = rng.standard_normal((reps, n))
    s = np.log(np.sum(np.maximum(z, 0) ** 2, axis=1))
    mean, var = relu_square_sum_log_moments(n)
    assert abs(s.mean() - mean) < 5 * math.sqrt(var / reps)
    assert s.var() == pytest.approx(var, rel=10 * math.sqrt(2 / reps))


def test_gauss_hermite_moments():
    assert gauss_hermite(lambda u: u**2, 2.5) == pytest.approx(2.5, rel=1e-13)
    assert gauss_hermite(lambda u: u**4, 2.5) == pytest.approx(3 * 2.5**2, rel=1e-13)
    assert gauss_hermite(np.cos, 0.7) == pytest.approx(math.exp(-0.35), rel=1e-13)
