"""Verdicts that hold for the network, not for one draw of it (core.experiments.diagnose)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from core.experiments import diagnose, init_lineup
from core.profile import profile
from core.simulate import simulate
from core.spec import NetworkSpec

SEEDS = range(12)


@pytest.mark.parametrize("kw", [
    dict(activation="relu", init="kaiming_normal", width=16),
    dict(activation="relu", init="kaiming_normal", width=100),
    dict(activation="linear", init="xavier_normal", width=16),
])
def test_seed_spread_estimates_the_spread_over_seeds(kw):
    """For networks whose layers multiply the variance by independent random factors, the
    one-run estimate matches the standard deviation measured over 12 seeds (within the
    sampling error of both: a factor of 1.6)."""
    runs = [profile(NetworkSpec(depth=30, batch=128, seed=s, **kw)) for s in SEEDS]
    changes = [r.log10_preact_var[-1] - r.log10_preact_var[0] for r in runs]
    estimates = [diagnose.seed_spread(r.log10_preact_var) for r in runs]
    measured = float(np.std(changes, ddof=1))
    assert measured / 1.6 < float(np.median(estimates)) < measured * 1.6


def test_relu_schemes_of_equal_factor_agree_over_seeds():
    """ReLU at depth 30: Kaiming normal and uniform (and Xavier, with the relu gain) all
    have fan_in x Var(W) = 2. Whatever the seed, the lineup finds no trend in any of them:
    each draw wanders (stable within a factor of ten, drifting past it), none explodes or
    vanishes."""
    spec = NetworkSpec(activation="relu", depth=30, width=100)
    schemes = ("kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform")
    for seed in range(5):
        runs = init_lineup.run_schemes(spec.replace(seed=seed), schemes)
        kinds = {s: diagnose.diagnose(r).forward.kind for s, r in runs.items()}
        assert set(kinds.values()) <= {"stable", "drifting"}, (seed, kinds)


def test_a_dead_layer_bypassed_by_the_skip_path_is_not_an_overflow():
    """float64 cannot overflow; an exactly-zero gradient at a dead layer that the residual
    stream goes around is neither overflow nor the end of the gradient."""
    spec = NetworkSpec(activation="relu", residual=True, width=2, batch=2, depth=20,
                       bias_var=1.0, weight_var=0.1)
    res = simulate(spec)
    g = res.log10_grad_var
    assert np.isneginf(g).sum() >= 2 and np.isfinite(g[0])
    back = diagnose.diagnose(res).backward
    assert back.kind not in ("overflow", "zero")
    top = np.flatnonzero(np.isfinite(g))[-1]          # the highest layer with a gradient
    assert back.decades == pytest.approx(g[0] - g[top])


def test_float16_underflow_is_not_called_dead():
    """Linear float16 with fan_in x Var(W) = 0.1: the variance falls 10x a layer until the
    values drop below float16's smallest subnormal (2^-24 ~ 6e-8, variance ~ 3.6e-15) and
    round to zero. That is underflow, not units switching off (linear units never do)."""
    spec = NetworkSpec(activation="linear", weight_var=0.001, depth=60, dtype="float16")
    res = simulate(spec)
    d = diagnose.diagnose(res)
    assert d.forward.kind == "underflow" and "dead" not in d.problems
    k = res.underflow_layer
    smallest = 2.0 ** -24
    assert res.log10_preact_var[k - 1] > 2 * math.log10(smallest / 10)   # still held
    assert np.isneginf(res.log10_preact_var[k:]).all()
    assert res.log10_preact_var[k - 1] < 2 * math.log10(smallest * 1e3)  # near the floor
    # the same network in float64 keeps shrinking, 1 decade a layer, with no zero
    exact = simulate(spec.replace(dtype="float64"))
    assert np.isfinite(exact.log10_preact_var).all()
    assert diagnose.diagnose(exact).forward.kind == "vanishing"


def test_relu_units_off_in_float16_are_dead_not_underflow():
    """BatchNorm with beta = -1 and gamma = 0.1 before relu: gamma z + beta <= 0 for every
    value (z would need to pass 10), so the units are off for real, in any precision."""
    spec = NetworkSpec(activation="relu", norm="batch", norm_gamma=0.1, norm_beta=-1.0,
                       dtype="float16")
    res = simulate(spec)
    assert res.underflow_layer is None and res.grad_underflow_layer is None
    assert diagnose.diagnose(res).forward.kind == "zero"


def test_the_word_is_monotone_in_the_change_and_severity_is_stated():
    """Within a factor of ten: stable; up to a factor of 100: drifting; past it a trend,
    severe past a factor of 1000."""
    assert diagnose.trend(np.linspace(0.0, 0.95, 20)).kind == "stable"
    drift = diagnose.trend(np.linspace(0.0, 1.4, 20))
    assert drift.kind == "drifting" and not drift.spread_matters
    strong = diagnose.trend(np.linspace(0.0, -2.5, 20))
    assert strong.kind == "vanishing" and not strong.severe
    assert diagnose.trend(np.linspace(0.0, -3.5, 20)).severe


@settings(max_examples=200)
@given(st.lists(st.floats(-40, 40), min_size=2, max_size=60))
def test_the_word_never_contradicts_the_change(curve):
    """Whatever the curve (jitter included): stable exactly within a factor of ten, a trend
    only past a factor of 100, and past a factor of 1000 always a trend, in its direction."""
    t = diagnose.trend(np.array(curve))
    d = abs(t.decades)
    assert (t.kind == "stable") == (d <= diagnose.STABLE_DECADES)
    if t.kind in ("exploding", "vanishing"):
        assert d > diagnose.DRIFT_DECADES and (t.kind == "exploding") == (t.decades > 0)
    if d > diagnose.SEVERE_DECADES:
        assert t.kind in ("exploding", "vanishing")
    assert t.decades == pytest.approx(t.ends[1] - t.ends[0])


def test_batchnorm_at_batch_two_has_no_gradient_left_to_call_steady():
    """At batch 2 BatchNorm maps any two values to -1 and +1, so the gradient through it is
    rounding error: it jumps by decades from layer to layer and ends ~30 decades below the
    last layer's. That jitter is no seed spread: the gradient vanishes."""
    spec = NetworkSpec(activation="tanh", depth=10, width=100, weight_var=1.0, norm="batch",
                       batch=2)
    back = diagnose.diagnose(simulate(spec)).backward
    assert back.decades < -diagnose.SEVERE_DECADES
    assert back.kind == "vanishing" and back.layers == (10, 1)


def test_a_saturated_network_can_still_grow_its_gradient():
    """tanh with fan_in x Var(W) = 10: over a third of the last layer's values past 0.97,
    where tanh passes at most 1 - 0.97^2 of the gradient, and yet chi_1 = 10 E[phi'^2] > 1,
    so the gradient grows on its way back. The diagnosis carries both facts."""
    d = diagnose.diagnose(simulate(NetworkSpec(activation="tanh", depth=10, width=100,
                                               weight_var=0.1)))
    assert d.saturating and d.backward.kind == "exploding" and d.saturated_yet_growing
    assert d.passes == pytest.approx(1 - 0.97 ** 2)
