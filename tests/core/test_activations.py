"""Activations against independent formulas, derivatives against finite differences,
gains against PyTorch's calculate_gain (FACTS.md). GELU's Phi: tests/core/test_normal.py."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from core import activations
from core.activations import ACTIVATIONS, calculate_gain, get

SELU_ALPHA = 1.6732632423543772848170429916717     # Klambauer et al. / PyTorch
SELU_SCALE = 1.0507009873554804934193349852946

REFERENCE = {
    "linear": lambda x: x,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "relu": lambda x: max(x, 0.0),
    "leaky_relu": lambda x: x if x > 0 else 0.01 * x,
    "gelu": lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))),
    "silu": lambda x: x / (1.0 + math.exp(-x)),
    "elu": lambda x: x if x > 0 else math.expm1(x),
    "selu": lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * math.expm1(x)),
}
KINKED = {"relu", "leaky_relu", "selu"}         # derivative jumps at 0
# A grid that avoids 0 by more than any finite-difference step below.
GRID = np.linspace(-12.0, 12.0, 481) + 0.0123


def test_every_activation_has_a_reference():
    assert set(ACTIVATIONS) == set(REFERENCE)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_function_matches_independent_formula(name):
    got = get(name).fn(GRID.copy())
    want = np.array([REFERENCE[name](float(x)) for x in GRID])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_derivative_matches_central_difference(name):
    act = get(name)
    h = 1e-6 * np.maximum(1.0, np.abs(GRID))
    fd = (act.fn(GRID + h) - act.fn(GRID - h)) / (2 * h)
    # truncation ~ h^2 |f'''| / 6 <= 1e-12 here; rounding ~ eps |f| / h <= 3e-9
    np.testing.assert_allclose(act.deriv(GRID), fd, rtol=1e-8, atol=5e-9)


@pytest.mark.parametrize("name", sorted(n for n in REFERENCE if n not in KINKED))
def test_derivative_at_zero_matches_central_difference(name):
    act = get(name)
    h = 1e-6
    fd = (act.fn(np.array([h])) - act.fn(np.array([-h]))) / (2 * h)
    # ELU is C1 but its second derivative jumps (1 on the left, 0 on the right), so the
    # central difference is only first order there: error <= max|phi''| h / 2 = h / 2.
    atol = h / 2 if name == "elu" else 1e-9
    np.testing.assert_allclose(act.deriv(np.array([0.0])), fd, rtol=1e-8, atol=atol)


@pytest.mark.parametrize("name", sorted(n for n, a in ACTIVATIONS.items()
                                        if a.deriv_from_output is not None))
def test_derivative_from_output_agrees(name):
    act = get(name)
    np.testing.assert_allclose(act.deriv_from_output(act.fn(GRID)), act.deriv(GRID),
                               rtol=1e-12, atol=1e-15)


GAINS = {   # FACTS.md: torch.nn.init.calculate_gain
    "linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0),
    "leaky_relu": math.sqrt(2.0 / (1.0 + 0.01**2)), "selu": 0.75,
}


@pytest.mark.parametrize("name", sorted(GAINS))
def test_gain_matches_pytorch(name):
    assert calculate_gain(name) == pytest.approx(GAINS[name], rel=1e-15)
    assert get(name).gain == pytest.approx(GAINS[name], rel=1e-15)


def test_gain_leaky_relu_slope_argument():
    assert calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04), rel=1e-15)


def test_gain_of_activations_pytorch_does_not_list_defaults_to_one():
    for name in ("gelu", "silu", "elu"):
        assert get(name).gain is None
        assert calculate_gain(name) == 1.0


def test_unknown_activation_raises_naming_it():
    with pytest.raises(ValueError, match="swish"):
        get("swish")


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_asymptotes(name):
    """phi(h) -> slope * h + limit as h -> +-inf: used where h is beyond float64."""
    act = get(name)
    big = 60.0
    assert act.fn(np.array([big]))[0] == pytest.approx(act.pos_slope * big + act.pos_limit,
                                                       abs=1e-12)
    assert act.fn(np.array([-big]))[0] == pytest.approx(-act.neg_slope * big + act.neg_limit,
                                                        abs=1e-12)


@pytest.mark.parametrize("name", sorted(n for n, a in ACTIVATIONS.items() if a.bounded))
def test_bounded_range_and_unit_map(name):
    act = get(name)
    lo, hi = act.bounded
    y = act.fn(GRID)
    assert np.all((y >= lo) & (y <= hi))
    assert act.fn(np.array([40.0]))[0] == pytest.approx(hi, abs=1e-12)
    assert act.fn(np.array([-40.0]))[0] == pytest.approx(lo, abs=1e-12)
    level = act.to_level(np.array([lo, 0.5 * (lo + hi), hi]))
    np.testing.assert_allclose(level, [-1.0, 0.0, 1.0], atol=1e-15)


@pytest.mark.parametrize("name", ["linear", "relu", "leaky_relu"])
def test_homogeneous_activations_commute_with_scaling(name):
    act = get(name)
    assert act.homogeneous
    for c in (1e-3, 7.0, 1e5):
        np.testing.assert_allclose(act.fn(c * GRID), c * act.fn(GRID), rtol=1e-15)


def test_non_homogeneous_are_not_flagged_homogeneous():
    for name in ("tanh", "sigmoid", "gelu", "silu", "elu", "selu"):
        assert not get(name).homogeneous
