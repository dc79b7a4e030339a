"""The local gradient drawn under the saturation histograms: phi' against phi's output."""

import math

import numpy as np
import pytest

from core.activations import ACTIVATIONS, get, local_gradient, local_gradient_curve


def test_tanh_and_sigmoid_against_their_formulas():
    t = np.linspace(-1, 1, 41)
    assert local_gradient(get("tanh"), t) == pytest.approx(1 - t**2)
    s = np.linspace(0, 1, 41)
    assert local_gradient(get("sigmoid"), s) == pytest.approx(s * (1 - s))
    # Karpathy's threshold: at |t| = 0.97 only 5.9 % of the gradient passes.
    assert float(local_gradient(get("tanh"), np.array(0.97))) == pytest.approx(0.0591)


def test_bounded_curve_agrees_with_phi_prime_of_the_input():
    for name in ("tanh", "sigmoid"):
        act = get(name)
        h = np.linspace(-4, 4, 101)
        assert local_gradient(act, act.fn(h)) == pytest.approx(act.deriv(h), abs=1e-12)
        lo, hi = act.bounded
        x, g = local_gradient_curve(act, lo, hi)
        assert x[0] == lo and x[-1] == hi
        assert g[0] == pytest.approx(0) and g[-1] == pytest.approx(0)
        assert g.max() == pytest.approx(1.0 if name == "tanh" else 0.25, rel=1e-3)


def test_unbounded_needs_the_curve():
    with pytest.raises(ValueError):
        local_gradient(get("relu"), np.array([1.0]))


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.bounded is None])
@pytest.mark.parametrize("scale", [-300.0, -2.0, 0.0, 1.5, 400.0])
def test_unbounded_curve_points_are_exact_and_finite(name, scale):
    act = get(name)
    x, g = local_gradient_curve(act, -4.0, 4.0, scale)
    assert np.isfinite(x.astype(np.float32)).all() and np.isfinite(g).all()
    assert x.min() >= -12 and x.max() <= 12          # clipped for the chart, never inf
    seen = (x > -4) & (x < 4)
    assert seen.sum() > 100                           # the visible part is well sampled
    assert x.max() >= 3.9                             # and reaches the right end
    if abs(scale) < 100:                              # each visible point is (phi(h)/u, phi'(h))
        unit = 10.0**scale
        # where the output fixes the input (monotone, or gelu/silu above zero), invert it
        unique = seen & ((x > 0) | (act.name not in ("gelu", "silu")))
        unique &= ~((x == 0) & (act.name == "relu"))  # relu's whole off side maps to 0
        for xi, gi in list(zip(x[unique], g[unique]))[::29]:
            h = _invert(act, xi * unit)
            assert float(act.deriv(np.array(h))) == pytest.approx(gi, rel=1e-5, abs=1e-7)


def _invert(act, y):
    """The input with phi(h) = y on phi's increasing branch, by bisection."""
    lo, hi = (-1e6 if act.name not in ("gelu", "silu") else -0.75), 1e6
    for _ in range(90):
        mid = 0.5 * (lo + hi)
        if float(act.fn(np.array(mid))) > y:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def test_relu_off_side_sits_at_zero_with_zero_gradient():
    x, g = local_gradient_curve(get("relu"), -4, 4, 1.7)
    assert set(np.unique(g[x <= 0])) == {0.0}
    assert set(np.unique(g[x > 0])) == {1.0}


def test_leaky_keeps_its_slope_and_elu_fades():
    x, g = local_gradient_curve(get("leaky_relu"), -4, 4)
    assert g[x < 0] == pytest.approx(0.01)
    assert x.min() <= -4                              # reaches the left end of the axis
    x, g = local_gradient_curve(get("elu"), -4, 4)
    neg = x < 0
    assert g[neg] == pytest.approx(x[neg] + 1.0)      # elu: phi' = phi + alpha below 0
    assert x.min() > -1.0


def test_gelu_dips_below_zero_where_two_inputs_meet():
    x, g = local_gradient_curve(get("gelu"), -4, 4)
    assert g.min() == pytest.approx(-0.1285, abs=2e-3)   # gelu' minimum, near h = -1.41
    assert x.min() == pytest.approx(-0.17, abs=1e-2)      # gelu's minimum value
    assert math.isclose(float(g[np.argmin(np.abs(x - 0.0) + (g < 0.4))]), 0.5, abs_tol=0.05)
