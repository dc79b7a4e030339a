"""The length map's fixed point and attractors against brute-force iteration of the map
with the tests' own trapezoid quadrature (tests/core/reference.py) and closed forms."""

import math

import pytest

from core import NetworkSpec, activations, phase, theory

from .reference import chi_at, iterate_length_map


def iterate(name, sw2, sb2, q0=1.0):
    return iterate_length_map(activations.get(name).fn, sw2, sb2, q0)


@pytest.mark.parametrize("name,sb2,q_ref,chi_ref", [("gelu", 0.05, 0.1245, 0.627),
                                                   ("silu", 0.05, 0.108, 0.549),
                                                   ("gelu", 0.001, 0.002, None),
                                                   ("silu", 0.001, 0.002, None)])
def test_fixed_point_is_the_one_the_input_reaches(name, sb2, q_ref, chi_ref):
    q = iterate(name, 2.0, sb2)
    assert q == pytest.approx(q_ref, rel=0.01)
    assert theory.fixed_point(name, 2.0, sb2) == pytest.approx(q, rel=1e-8)
    assert theory.chi1(name, 2.0, sb2) == pytest.approx(chi_at(activations.get(name).deriv, 2.0, q),
                                                        rel=1e-8)
    if chi_ref:
        assert theory.chi1(name, 2.0, sb2) == pytest.approx(chi_ref, abs=1e-3)
    # and the runaway branch is still there, reported as a second attractor
    found = theory.attractors(name, 2.0, sb2)
    assert found[-1] == math.inf and found[0] == pytest.approx(q, rel=1e-8)
    assert phase.phase_point(name, 2.0, sb2).bistable


def test_q0_is_the_input_second_moment():
    # U[0, 1] input: q_1 = sw2 / 3; linear at sw2 = 1 keeps it
    assert theory.fixed_point("linear", 1.0, 0.0, q0=1 / 3) == pytest.approx(1 / 3)
    q = iterate("gelu", 2.2, 0.0, q0=1 / 3)
    assert theory.fixed_point("gelu", 2.2, 0.0, q0=1 / 3) == q == 0.0
    assert theory.fixed_point("gelu", 2.2, 0.0) == math.inf


def test_he_relu_is_marginal_not_runaway():
    sw2 = NetworkSpec(activation="relu", init="kaiming_normal").sigma_w2
    assert sw2 * 0.5 != 1.0                    # He's sigma_w2 times 1/2 is not exactly 1 in floats
    assert theory.fixed_point("relu", sw2, 0.0) == pytest.approx(2.0)    # q stays at 2 * 1
    p = phase.phase_point("relu", sw2, 0.0)
    assert p.phase == "critical" and p.depth_scale == math.inf
    assert theory.fixed_point("linear", 1.0, 0.0) == 1.0
