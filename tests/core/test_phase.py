"""core.phase: the critical line chi1 = 1, checked against FACTS.md, against theory.chi1
at every point of the line, and against theory.critical_sigma_w2's root search."""

import math

import numpy as np
import pytest

from core import phase, theory



@pytest.mark.parametrize("name, value", [("linear", 1.0), ("relu", 2.0),
                                         ("leaky_relu", 2.0 / (1 + 0.01**2))])
def test_homogeneous_lines_are_flat(name, value):
    sb2, sw2 = phase.critical_line(name)
    assert sb2[0] == 0 and sb2[-1] == 1.0
    assert sw2 == pytest.approx(np.full_like(sw2, value), rel=1e-12)


def test_tanh_line_matches_the_reference_numbers():
    # FACTS.md: at sigma_b^2 = 0.05 the critical sigma_w^2 is about 1.761; at 0 it is 1.
    assert phase.critical_sigma_w2_at("tanh", 0.05) == pytest.approx(1.761, abs=2e-3)
    assert phase.critical_sigma_w2_at("tanh", 0.0) == pytest.approx(1.0, abs=1e-9)
    sb2, sw2 = phase.critical_line("tanh")
    assert np.all(np.diff(sw2) > 0)                # the line bends upward with the bias


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "elu", "selu", "gelu", "silu"])
def test_every_point_of_the_line_has_chi1_one(name):
    """chi1 at the attractor reached from the input is below 1 just under the line and at
    least 1 just over it (gelu and silu jump there, from q* = 0 to the runaway branch)."""
    sb2, sw2 = phase.critical_line(name)
    for b, w in list(zip(sb2, sw2))[1::5]:
        if not math.isfinite(w):
            continue
        assert theory.chi1(name, w * (1 - 1e-6), b) < 1.0 <= theory.chi1(name, w * (1 + 1e-6), b)


def test_phase_points():
    p = phase.phase_point("relu", 1.0, 0.0)                 # half of He: chi1 = 1/2
    assert (p.phase, p.chi1) == ("ordered", pytest.approx(0.5))
    assert p.depth_scale == pytest.approx(1 / math.log(2))
    assert phase.phase_point("relu", 2.0, 0.0).phase == "critical"
    chaotic = phase.phase_point("tanh", 100.0, 0.0)
    assert chaotic.phase == "chaotic" and chaotic.chi1 > 1
    assert chaotic.critical_sigma_w2 == pytest.approx(1.0)
    # sigmoid' <= 1/4, so chi1 <= sigma_w2 / 16: no edge below 16 (nan: none below 10^4)
    assert not phase.phase_point("sigmoid", 1.0, 10.0).critical_sigma_w2 <= 16


@pytest.mark.parametrize("activation", ["tanh", "relu", "selu", "gelu"])
def test_stored_lines_are_the_traced_ones(activation):
    """The table the app draws from (python -m core.phase) is what the root finder gives:
    every stored point re-traced for the cheap activations, a few for gelu (seconds each)."""
    sb2, stored = phase.critical_line(activation)
    assert len(sb2) == 21 and sb2[-1] == 1.0
    picks = range(21) if activation != "gelu" else (0, 10, 20)
    for k in picks:
        want = theory.critical_sigma_w2(activation, float(sb2[k]))
        if math.isfinite(want):
            assert stored[k] == pytest.approx(want, rel=1e-9)
        else:
            assert math.isnan(stored[k])


@pytest.mark.parametrize("activation", ["tanh", "relu", "selu", "sigmoid"])
def test_stored_points_are_the_root_finders(activation):
    """Every stored (sigma_b2, q0) point of the app's slider steps is the root found anew
    (a cached call is taken out of the way by asking the theory directly)."""
    for b in phase.STORED_SIGMA_B2:
        for q0 in phase.STORED_Q0:
            want = theory.critical_sigma_w2(activation, b, q0)
            got = phase.critical_sigma_w2_at(activation, b, q0)
            if math.isfinite(want):
                assert got == pytest.approx(want, rel=1e-9), (b, q0)
            else:
                assert math.isnan(got), (b, q0)
