"""The correlation map of two inputs, c*, chi_c, xi_c and xi_q (core.theory.correlation)
against closed forms (Cho & Saul 2009's arc-cosine kernels, Gaussian moments, the linear
map), the papers' numbers (Schoenholz et al. 2017: tanh at sigma_b^2 = 0.05 is critical
near sigma_w^2 = 1.76) and brute-force iteration with the tests' own quadrature."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import activations, theory
from core.activations import ACTIVATIONS

from .reference import (chi_at, dense_pair, dense_single, gauss_hermite, gauss_hermite_pair,
                        gauss_trapezoid, iterate_correlation_map, iterate_length_map)

QS = [1e-6, 0.3, 1.0, 7.0, 1e4, 1e12]
CS = [-0.999999, -0.99, -0.5, 0.0, 0.3, 0.9, 0.999, 0.999999]


def arccos1(q, c):
    """E[relu(u1) relu(u2)]: Cho & Saul's k_1 / 2 = q (sin t + (pi - t) cos t) / (2 pi), t = arccos c."""
    t = math.acos(c)
    return q * (math.sin(t) + (math.pi - t) * math.cos(t)) / (2 * math.pi)


def arccos0(c):
    """P(u1 > 0, u2 > 0) = (pi - arccos c) / (2 pi): Cho & Saul's k_0 / 2."""
    return (math.pi - math.acos(c)) / (2 * math.pi)


# -- the quadrature ------------------------------------------------------------------------

@pytest.mark.parametrize("q", QS)
@pytest.mark.parametrize("c", CS)
def test_bivariate_quadrature_matches_arc_cosine_kernels(q, c):
    relu = activations.get("relu")
    assert theory.bivariate_expectation(relu.fn, relu.fn, q, c) == pytest.approx(
        arccos1(q, c), abs=1e-10 * q)
    assert theory.bivariate_expectation(relu.deriv, relu.deriv, q, c) == pytest.approx(
        arccos0(c), abs=1e-9)


@pytest.mark.parametrize("q", [0.01, 1.0, 50.0])
@pytest.mark.parametrize("c", [-0.7, 0.2, 0.95])
def test_bivariate_quadrature_gaussian_moments(q, c):
    be = theory.bivariate_expectation
    assert be(lambda u: u, lambda u: u, q, c) == pytest.approx(q * c, rel=1e-9, abs=1e-12 * q)
    assert be(lambda u: u**2, lambda u: u**2, q, c) == pytest.approx(q * q * (1 + 2 * c * c), rel=1e-9)
    assert be(lambda u: u**3, lambda u: u, q, c) == pytest.approx(3 * q * q * c, rel=1e-9, abs=1e-12 * q * q)
    # Sheppard: E[sign u1 sign u2] = (2 / pi) arcsin c
    assert be(np.sign, np.sign, q, c) == pytest.approx(2 / math.pi * math.asin(c), abs=1e-9)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "gelu", "silu"])
@pytest.mark.parametrize("q", [0.1, 1.0, 2.0])
@pytest.mark.parametrize("c", [-0.9, 0.0, 0.5, 0.99])
def test_bivariate_quadrature_matches_gauss_hermite_for_smooth_phi(name, q, c):
    f = activations.get(name).fn
    assert theory.bivariate_expectation(f, f, q, c) == pytest.approx(
        gauss_hermite_pair(f, f, q, c), abs=1e-9)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "linear"])
@pytest.mark.parametrize("q", [0.5, 3.0])
@pytest.mark.parametrize("c", [-0.8, 0.1, 0.97])
def test_homogeneous_closed_forms_agree_with_quadrature(name, q, c):
    act = activations.get(name)
    for deriv, f in ((False, act.fn), (True, act.deriv)):
        assert theory.cross_moment(name, q, c, deriv) == pytest.approx(
            theory.bivariate_expectation(f, f, q, c), abs=1e-9 * max(q, 1.0))


# -- large q: asymptotes in closed form, the remainder near 0 ------------------------------

UNBOUNDED = ["gelu", "silu", "elu", "selu"]


@pytest.mark.parametrize("name, deriv, q, c", [
    ("gelu", False, 1e4, 0.5), ("gelu", True, 1e4, -0.9), ("silu", False, 1e6, 0.99),
    ("elu", True, 1e6, -0.9), ("selu", True, 1e6, 0.99), ("selu", False, 16.0, 0.999)])
def test_large_q_cross_moment_matches_a_brute_force_double_integral(name, deriv, q, c):
    # past q ~ 10^3 a quadrature whose panels follow the Gaussian steps over the few
    # units about 0 where phi leaves its asymptotes; the brute force resolves both
    act = activations.get(name)
    f = act.deriv if deriv else act.fn
    assert theory.cross_moment(name, q, c, deriv) == pytest.approx(dense_pair(f, f, q, c),
                                                                   rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(UNBOUNDED), st.booleans(), st.floats(math.log10(16.0), 140.0))
def test_large_q_cross_moment_of_independent_and_identical_inputs(name, deriv, log_q):
    # c = 0: E[f]^2; c = 1: E[f^2]; c = -1: E[f(u) f(-u)]: one-dimensional, by brute force
    act, q = activations.get(name), 10.0**log_q
    f = act.deriv if deriv else act.fn
    mean = dense_single(f, q)
    assert theory.cross_moment(name, q, 0.0, deriv) == pytest.approx(mean * mean, rel=1e-8)
    assert theory.cross_moment(name, q, 1.0, deriv) == pytest.approx(
        dense_single(lambda u: f(u) ** 2, q), rel=1e-8)
    assert theory.cross_moment(name, q, -1.0, deriv) == pytest.approx(
        dense_single(lambda u: f(u) * f(-u), q), rel=1e-8, abs=1e-12 * q)


@pytest.mark.parametrize("name", UNBOUNDED)
@pytest.mark.parametrize("c", [-0.6, 0.3, 0.999])
def test_cross_moment_is_continuous_where_the_split_takes_over(name, c):
    below, above = np.nextafter(theory.correlation.SPLIT_Q, 0), theory.correlation.SPLIT_Q
    for deriv in (False, True):
        assert theory.cross_moment(name, above, c, deriv) == pytest.approx(
            theory.cross_moment(name, below, c, deriv), rel=1e-8)


# -- the map ---------------------------------------------------------------------------------

@pytest.mark.parametrize("c,q,sw2,sb2", [(0.3, 1.0, 1.0, 0.0), (-0.5, 2.0, 3.0, 0.5), (0.9, 0.1, 0.2, 1.0)])
def test_linear_correlation_map_closed_form(c, q, sw2, sb2):
    expected = (sw2 * q * c + sb2) / (sw2 * q + sb2)
    assert theory.correlation_map("linear", c, q, sw2, sb2) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("c", [-0.9, 0.0, 0.5, 0.99])
def test_relu_map_without_bias_is_the_normalised_arc_cosine_kernel(c):
    """Cho & Saul 2009: c' = (sqrt(1 - c^2) + (pi - arccos c) c) / pi, whatever q and sigma_w2."""
    expected = (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / math.pi
    for q, sw2 in ((1.0, 2.0), (1e-3, 0.7), (1e5, 3.0)):
        assert theory.correlation_map("relu", c, q, sw2, 0.0) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(ACTIVATIONS)), log_q=st.floats(-4, 4),
       c=st.floats(-1, 1), sw2=st.floats(0.1, 5), sb2=st.floats(0, 1))
def test_map_keeps_identical_inputs_identical_and_stays_a_correlation(name, log_q, c, sw2, sb2):
    q = 10.0**log_q
    assert theory.correlation_map(name, 1.0, q, sw2, sb2) == 1.0
    assert -1.0 <= theory.correlation_map(name, c, q, sw2, sb2) <= 1.0


def test_trajectory_starts_from_the_inputs_second_moments():
    sw2, sb2, q0, c0 = 1.7, 0.2, 1 / 3, 0.25
    c = theory.correlation_trajectory("tanh", sw2, sb2, c0, 3, q0=q0)
    q1 = sw2 * q0 + sb2
    assert c[0] == pytest.approx((sw2 * q0 * c0 + sb2) / q1, rel=1e-14)
    assert c[1] == pytest.approx(theory.correlation_map("tanh", c[0], q1, sw2, sb2), rel=1e-14)
    q2 = theory.length_map("tanh", q1, sw2, sb2)
    assert c[2] == pytest.approx(theory.correlation_map("tanh", c[1], q2, sw2, sb2), rel=1e-9)


# -- order, chaos and the edge between them -----------------------------------------------

@pytest.mark.parametrize("sb2,expected", [(0.0, 1.0), (0.05, 1.76)])
def test_tanh_edge_of_chaos_matches_the_papers(sb2, expected):
    """sigma_b^2 = 0: chi1 = sigma_w2 phi'(0)^2 at q* = 0; 0.05: Schoenholz et al. 2017's 1.76."""
    assert theory.critical_sigma_w2("tanh", sb2) == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize("sb2", [0.01, 0.05, 0.3])
def test_tanh_edge_of_chaos_is_where_brute_force_chi1_crosses_one(sb2):
    w = theory.critical_sigma_w2("tanh", sb2)
    for side, sign in ((0.995, -1), (1.005, 1)):
        q = iterate_length_map(np.tanh, w * side, sb2)
        assert sign * (chi_at(activations.get("tanh").deriv, w * side, q) - 1) > 0


@pytest.mark.parametrize("sb2", [0.05, 0.3])
def test_xi_c_diverges_like_one_over_the_distance_to_the_edge(sb2):
    """chi_c = 1 - kappa |sigma_w2 - w| + ... on both sides, so xi_c |sigma_w2 / w - 1|
    settles to a constant as sigma_w2 -> w."""
    w = theory.critical_sigma_w2("tanh", sb2)
    for sign in (-1, 1):
        scaled = [theory.depth_scales("tanh", w * (1 + sign * e), sb2).xi_c * e
                  for e in (0.02, 0.01, 0.005)]
        assert all(math.isfinite(s) and s > 0 for s in scaled)
        assert scaled[2] == pytest.approx(scaled[1], rel=0.05)
        assert scaled[1] == pytest.approx(scaled[0], rel=0.1)
    assert theory.depth_scales("tanh", w, sb2).xi_c > 1e4


def test_ordered_phase_collapses_every_pair_onto_one_vector():
    s = theory.depth_scales("tanh", 1.5, 0.05)
    assert s.chi1 < 1 and s.c_star == 1.0 and s.chi_c == s.chi1
    c = theory.correlation_trajectory("tanh", 1.5, 0.05, 0.0, 150)
    assert np.all(np.diff(c) > 0) and 1 - c[-1] < 1e-4
    assert (1 - c[-1]) / (1 - c[-2]) == pytest.approx(s.chi1, rel=1e-3)     # at rate chi1


@pytest.mark.parametrize("sw2", [2.5, 4.0])
def test_chaotic_fixed_point_matches_brute_force_iteration(sw2):
    s = theory.depth_scales("tanh", sw2, 0.05)
    assert s.chi1 > 1 and s.c_star < 1
    cs = iterate_correlation_map(np.tanh, sw2, 0.05, s.q_star, 0.9, 400)
    assert s.c_star == pytest.approx(cs[-1], abs=1e-7)
    assert theory.correlation_map("tanh", s.c_star, s.q_star, sw2, 0.05) == pytest.approx(s.c_star, abs=1e-9)


def test_odd_phi_without_bias_decorrelates_completely():
    """Poole et al. 2016: for odd phi and sigma_b = 0 the chaotic phase's c* is 0."""
    assert abs(theory.c_star("tanh", 4.0, 0.0)) < 1e-9
    assert theory.correlation_map("tanh", 0.0, 2.0, 4.0, 0.0) == 0.0


@pytest.mark.parametrize("sw2", [1.2, 1.5, 2.5, 4.0])
def test_xi_c_from_direct_iteration_of_the_map(sw2):
    """Brute force: |c_l - c*| shrinks by exp(-1 / xi_c) a layer near c* (the map iterated
    with the tests' own Gauss-Hermite rule)."""
    s = theory.depth_scales("tanh", sw2, 0.05)
    d = 1e-5
    start = s.c_star - d if s.c_star == 1.0 else s.c_star + d
    cs = iterate_correlation_map(np.tanh, sw2, 0.05, s.q_star, start, 2)
    ratio = (cs[2] - s.c_star) / (cs[1] - s.c_star)
    assert ratio == pytest.approx(math.exp(-1 / s.xi_c), rel=1e-4)


@pytest.mark.parametrize("name,sw2,sb2", [("tanh", 1.5, 0.05), ("tanh", 3.0, 0.3), ("elu", 1.2, 0.1),
                                          ("gelu", 1.5, 0.1)])
def test_xi_q_from_direct_iteration_of_the_length_map(name, sw2, sb2):
    """Schoenholz et al. 2017: |q_l - q*| shrinks by exp(-1 / xi_q) a layer; iterated here
    with the tests' own trapezoid rule."""
    s = theory.depth_scales(name, sw2, sb2)
    f = activations.get(name).fn
    step = lambda q: sw2 * gauss_trapezoid(lambda u: f(u) ** 2, q) + sb2
    q = s.q_star * (1 + 1e-5)
    ratio = (step(step(q)) - s.q_star) / (step(q) - s.q_star)
    assert ratio == pytest.approx(math.exp(-1 / s.xi_q), rel=1e-3)


def test_relu_depth_scales_closed_forms():
    """relu, sigma_w2 < 2: q* = sigma_b2 / (1 - sigma_w2 / 2), chi1 = sigma_w2 / 2 and the
    length map is linear with slope sigma_w2 / 2, so xi_c = xi_q = -1 / ln(sigma_w2 / 2)."""
    s = theory.depth_scales("relu", 1.2, 0.3)
    assert s.q_star == pytest.approx(0.3 / 0.4) and s.c_star == 1.0
    assert s.xi_c == pytest.approx(-1 / math.log(0.6)) and s.xi_q == pytest.approx(-1 / math.log(0.6))


def test_runaway_signal_keeps_relus_marginal_correlation():
    """relu at sigma_w2 > 2: q* = inf, the bias no longer counts and the normalised
    arc-cosine map has slope 1 at c = 1: c* = 1 with no finite depth scale."""
    s = theory.depth_scales("relu", 3.0, 0.1)
    assert s.q_star == math.inf and s.c_star == 1.0 and s.chi_c == 1.0
    assert s.xi_c == math.inf and s.xi_q == math.inf
    assert theory.correlation_step("relu", math.inf, 0.0, 3.0, 0.1) == (math.inf, pytest.approx(1 / math.pi))


def test_vanishing_signal_without_bias_freezes_the_correlation():
    """tanh, sigma_b2 = 0, sigma_w2 < 1: q -> 0, where tanh is linear, so the map tends to
    the identity (xi_c infinite) while q decays with chi1 = sigma_w2 a layer."""
    s = theory.depth_scales("tanh", 0.5, 0.0)
    assert s.q_star == 0.0 and s.chi1 == pytest.approx(0.5)
    assert s.xi_q == pytest.approx(-1 / math.log(0.5))
    assert s.xi_c == math.inf
    assert theory.correlation_map("tanh", 0.3, 1e-200, 0.5, 0.0) == pytest.approx(0.3, rel=1e-12)


def test_gauss_hermite_pair_reference_is_exact_for_polynomials():
    """The reference itself: E[u1^2 u2^2] = q^2 (1 + 2 c^2)."""
    assert gauss_hermite_pair(lambda u: u**2, lambda u: u**2, 1.5, 0.4) == pytest.approx(
        1.5**2 * (1 + 2 * 0.16), rel=1e-12)
    assert gauss_hermite(lambda u: u**2, 2.0) == pytest.approx(2.0, rel=1e-12)
