"""core.normal's Phi and Mills ratio against mpmath at 40 digits (an independent
arbitrary-precision implementation), and against math.erfc where its own rounding
allows."""

import math

import mpmath
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core import normal

mpmath.mp.dps = 40


def true_cdf(x: float) -> float:
    return float(mpmath.ncdf(mpmath.mpf(x)))


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.abs(want))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-38.0, 38.0, allow_nan=False), min_size=1, max_size=32))
def test_cdf_is_within_a_few_ulps_of_the_true_value(xs):
    """Everywhere Phi is a normal float64, its left tail included (relative precision
    there, where 1 + erf would cancel to nothing)."""
    x = np.array(xs)
    want = np.array([true_cdf(v) for v in xs])
    got = normal.cdf(x)
    normal_range = want > 1e-300
    assert np.all(ulps(got, want)[normal_range] <= 8), x[ulps(got, want) > 8]
    assert np.all((got >= 0) & (got <= 1))


def test_cdf_between_table_nodes_and_at_them():
    """The worst place for the Taylor sum is half way between two nodes; at a node it is
    the table itself. Both, over the whole table, every 1/8 of a unit."""
    t0 = np.arange(0, 38 * normal.STEPS, normal.STEPS // 8) / normal.STEPS
    for x in (-t0, -(t0 + 0.5 / normal.STEPS), t0 + 0.5 / normal.STEPS):
        want = np.array([true_cdf(v) for v in x])
        assert ulps(normal.cdf(x), want).max() <= 8


def test_mills_ratio_against_its_definition():
    t = np.concatenate([np.linspace(0, 0.7, 57), np.linspace(0.7, 6, 101),
                        np.geomspace(6, 1e6, 60)])
    want = np.array([float(mpmath.ncdf(-mpmath.mpf(v)) / mpmath.npdf(mpmath.mpf(v)))
                     for v in t])
    assert ulps(normal.mills(t), want).max() <= 6


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-40.0, 40.0, allow_nan=False), min_size=1, max_size=64))
def test_cdf_agrees_with_math_erfc(xs):
    """0.5 erfc(-x / sqrt 2) carries the rounding of x / sqrt 2, relative x^2 eps in
    the far tail: to that allowance, the two agree."""
    x = np.array(xs)
    ref = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in xs])
    got = normal.cdf(x)
    keep = ref > 1e-300
    tol = 1e-15 + 2.2e-16 * x**2
    assert np.all(np.abs(got - ref)[keep] <= (tol * ref)[keep])


def test_cdf_edges_and_dtypes():
    got = normal.cdf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e300, -39.0]))
    assert got[:4].tolist() == [0.5, 0.5, 1.0, 0.0] and math.isnan(got[4])
    assert got[5:].tolist() == [1.0, 0.0, 0.0]                # Phi(-39) < 1e-323
    half = normal.cdf(np.array([[-1.0, 2.0]], dtype=np.float16))
    assert half.dtype == np.float16 and half.shape == (1, 2)
    assert abs(float(half[0, 0]) - true_cdf(-1.0)) < 1e-3
    assert normal.cdf(np.float64(1.5)).shape == ()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-38.0, 38.0, allow_nan=False), min_size=1, max_size=32))
def test_pdf_beside_cdf_is_within_a_few_ulps_of_the_true_value(xs):
    """cdf_pdf's pdf (the node's pdf times exp of the remainder) against mpmath's npdf,
    where the pdf is a normal float64; its Phi is cdf's, bit for bit."""
    x = np.array(xs)
    want = np.array([float(mpmath.npdf(mpmath.mpf(v))) for v in xs])
    phi, pdf = normal.cdf_pdf(x)
    normal_range = want > 1e-300
    assert np.all(ulps(pdf, want)[normal_range] <= 4), x[ulps(pdf, want) > 4]
    assert np.array_equal(phi, normal.cdf(x))


def test_pdf_edges():
    _, pdf = normal.cdf_pdf(np.array([0.0, np.inf, -np.inf, 1e300, 39.0, np.nan]))
    assert pdf[:5].tolist() == [float(mpmath.npdf(0)), 0.0, 0.0, 0.0, 0.0]   # pdf(39) < 1e-323
    assert math.isnan(pdf[5])
