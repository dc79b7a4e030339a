"""Saturated layers in float64: tanh/sigmoid/elu/gelu/selu/silu values that round to their
limits must not turn variances and gradients into -inf.

tanh' and sigmoid' are taken from the input wherever 1 - t^2 or s (1 - s) would have
cancelled, so a float64 run never reports -inf for them. elu, selu and gelu have the
limit core.propagate's docstring states: only a layer whose every pre-activation is
past the underflow point (below -37) may report -inf."""

import math

import numpy as np
import pytest

from core import NetworkSpec, simulate
from core.activations import get
from core.stages import local_grad_scaled, saturated_fix

LOG10_FIELDS = ("log10_preact_var", "log10_act_var", "log10_out_var", "log10_grad_var",
                "log10_weight_grad_ratio")
EXACT = ("tanh", "sigmoid", "silu")           # no limit at these sizes
LIMITED = ("elu", "selu", "gelu")             # -inf only past the documented limit


def random_specs(count, seed):
    rng = np.random.default_rng(seed)
    names = EXACT + LIMITED
    for i in range(count):
        yield NetworkSpec(depth=int(rng.integers(1, 31)), width=int(rng.integers(2, 65)),
                          batch=int(rng.integers(1, 65)), activation=names[i % len(names)],
                          weight_var=float(rng.uniform(1e-3, 10.0)),
                          bias_var=float(rng.choice([0.0, rng.uniform(0.0, 1.0)])),
                          seed=int(rng.integers(0, 2**32)))


def non_finite(res):
    return {f: getattr(res, f) for f in LOG10_FIELDS if not np.isfinite(getattr(res, f)).all()}


def some_layer_past_the_limit(spec):
    t = simulate(spec, keep_tensors=True).tensors
    return any((t["preact"][l] * 10.0 ** t["preact_log10_scale"][l] < -37.0).all()
               for l in range(spec.depth))


@pytest.mark.parametrize("chunk", range(4))
def test_random_settings_report_finite_log10_fields(chunk):
    for spec in random_specs(75, seed=chunk):
        res = simulate(spec)
        bad = non_finite(res)
        assert math.isfinite(res.log10_loss)
        if not bad:
            continue
        assert spec.activation in LIMITED, (spec, list(bad))
        for name, values in bad.items():
            assert not np.isnan(values).any() and not (values == np.inf).any(), (spec, name)
        assert some_layer_past_the_limit(spec), (spec, list(bad))


@pytest.mark.parametrize("name", EXACT + LIMITED)
def test_fully_saturated_layers_keep_their_gradient(name):
    """Var(W) = 10 at width 64 puts the pre-activations at |u| ~ 25: tanh and sigmoid
    round to their limits there, and still the gradient reaches the first layer."""
    spec = NetworkSpec(depth=20, width=64, batch=16, activation=name, weight_var=10.0,
                       bias_var=1.0, seed=3)
    res = simulate(spec)
    assert not non_finite(res)
    if name in ("tanh", "sigmoid"):
        assert res.saturated_frac.max() > 0.5


def silu_deriv(u):
    """s (1 + u (1 - s)) with s and 1 - s each from e = exp(-|u|) (no cancellation)."""
    e = math.exp(-abs(u))
    s, rest = (1 / (1 + e), e / (1 + e)) if u > 0 else (e / (1 + e), 1 / (1 + e))
    return s * (1 + u * rest)


TRUE_DERIV = {   # closed forms at large |u|, written without the code's formulas
    "tanh": lambda u: 4.0 * math.exp(-2 * abs(u)) / (1 + math.exp(-2 * abs(u))) ** 2,
    "sigmoid": lambda u: math.exp(-abs(u)) / (1 + math.exp(-abs(u))) ** 2,
    "elu": lambda u: math.exp(u) if u < 0 else 1.0,
    "selu": lambda u: 1.0507009873554805 * 1.6732632423543772 * math.exp(u) if u < 0 else 1.0507009873554805,
    "gelu": lambda u: 0.5 * math.erfc(-u / math.sqrt(2)) + u * math.exp(-u * u / 2) / math.sqrt(2 * math.pi),
    "silu": lambda u: silu_deriv(u),
}


@pytest.mark.parametrize("name", sorted(TRUE_DERIV))
@pytest.mark.parametrize("u", [-400.0, -30.0, -9.0, 9.0, 30.0, 400.0])
def test_derivatives_at_large_inputs(name, u):
    got = float(get(name).deriv(np.array([u]))[0])
    want = TRUE_DERIV[name](u)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-320)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "elu", "gelu", "silu"])
def test_derivatives_match_central_differences_in_the_tails(name):
    act = get(name)
    u = np.array([-25.0, -12.0, -6.0, 6.0, 12.0, 25.0])
    h = 1e-5 * np.abs(u)
    fd = (act.fn(u + h) - act.fn(u - h)) / (2 * h)
    scale = np.maximum(np.abs(act.deriv(u)), 1e-300)
    # where phi itself is far below 1 its difference quotient is exact to ~1e-9 relative;
    # where phi ~ +-1 the quotient of rounded outputs only knows phi' to ~eps / h absolute
    err = np.abs(act.deriv(u) - fd)
    assert np.all((err <= 1e-6 * scale) | (err <= 1e-10))


@pytest.mark.parametrize("name,u", [("tanh", 30.0), ("tanh", 400.0), ("sigmoid", 60.0),
                                    ("sigmoid", 900.0), ("tanh", -400.0)])
def test_saturated_fix_gives_the_true_local_gradient_with_its_scale(name, u):
    act = get(name)
    x = np.array([u, u + 1.0])
    a = act.fn(x)
    fix = saturated_fix(act, a, 0.0, x, 0.0)
    d, scale = local_grad_scaled(act, a, 0.0, fix)
    ln_true = np.log(4.0) - 2 * np.abs(x) if name == "tanh" else -np.abs(x)
    np.testing.assert_allclose(np.log(d) + scale * math.log(10), ln_true, rtol=1e-12)


def test_fix_leaves_unsaturated_units_alone():
    act = get("tanh")
    x = np.array([0.3, -2.0, 1.5])
    assert saturated_fix(act, act.fn(x), 0.0, x, 0.0) is None
