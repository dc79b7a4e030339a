"""The edge of chaos (critical sigma_w2) and chi1 against closed forms and brute-force
iteration of the length map with the tests' own quadrature (tests/core/reference.py)."""

import math

import pytest

from core import activations, phase, theory
from core.activations import SELU_ALPHA, SELU_SCALE

from .reference import chi_at, iterate_length_map


def iterate(name, sw2, sb2):
    return iterate_length_map(activations.get(name).fn, sw2, sb2)


@pytest.mark.parametrize("name,crit", [("gelu", 2.16), ("silu", 2.43)])   # 2 decimals
def test_gelu_silu_critical_is_the_jump_reached_from_the_input(name, crit):
    w = theory.critical_sigma_w2(name, 0.0)
    assert w == pytest.approx(crit, abs=0.006)
    # brute force on either side: q dies (chi1 = w phi'(0)^2 = w / 4 < 1) or runs away
    assert iterate(name, w * 0.999, 0.0) == 0.0
    assert iterate(name, w * 1.001, 0.0) == math.inf
    assert phase.phase_point(name, w * 0.999, 0.0).phase == "ordered"
    assert phase.phase_point(name, w * 1.001, 0.0).phase == "chaotic"


def test_selu_chi1_at_zero_uses_both_sides():
    two_sided = 0.5 * (SELU_SCALE**2 + (SELU_SCALE * SELU_ALPHA) ** 2)
    assert theory.chi1("selu", 1 / 3, 0.0) == pytest.approx(two_sided / 3, rel=1e-12)
    assert theory.critical_sigma_w2("selu", 0.0) == pytest.approx(1 / two_sided, rel=1e-9)
    assert phase.phase_point("selu", 0.4, 0.0).critical_sigma_w2 == pytest.approx(1 / two_sided)


@pytest.mark.parametrize("name,ref", [("tanh", 1.424), ("elu", 1.383), ("selu", 0.759)])
def test_phase_point_critical_sigma_w2_is_accurate(name, ref):
    """References to 3 decimals from an independent iteration of the length map."""
    w = phase.phase_point(name, 1.0, 0.01).critical_sigma_w2
    assert w == pytest.approx(ref, abs=2e-3)
    for side, sign in ((0.999, -1), (1.001, 1)):       # independent fixed point and chi1
        q = iterate(name, w * side, 0.01)
        assert sign * (chi_at(activations.get(name).deriv, w * side, q) - 1) > 0
    sb2, line = phase.critical_line(name, 0.01, points=2)
    assert line[-1] == pytest.approx(w, rel=1e-12)     # the drawn line agrees
