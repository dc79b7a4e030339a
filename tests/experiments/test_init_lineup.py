"""core.init_lineup: PyTorch's gain table and init formulas (FACTS.md), and one run per
distinct network standing in exactly for a run per scheme."""

import math

import numpy as np
import pytest

from core import NetworkSpec, SCHEMES, simulate
from core.experiments import init_lineup
from ui import capacity

SMALL = dict(depth=5, width=20, batch=32)



def test_gain_table_is_pytorchs():
    rows = {r.activation: r for r in init_lineup.gain_rows("relu")}
    expected = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2),
                "leaky_relu": math.sqrt(2 / (1 + 0.01**2)), "selu": 0.75}
    for name, gain in expected.items():
        assert rows[name].gain == pytest.approx(gain, rel=1e-12)
        assert rows[name].in_pytorch
    assert not rows["gelu"].in_pytorch and rows["gelu"].gain == 1.0
    assert [r.activation for r in rows.values() if r.current] == ["relu"]


def test_scheme_variances_follow_the_formulas():
    spec = NetworkSpec(width=100, activation="tanh")
    g = 5 / 3
    rows = {r.scheme: r for r in init_lineup.scheme_rows(spec)}
    assert rows["xavier_normal"].weight_var == pytest.approx(g**2 * 2 / 200)
    assert rows["kaiming_uniform"].weight_var == pytest.approx(g**2 / 100)
    assert rows["lecun_normal"].weight_var == pytest.approx(1 / 100)
    assert rows["torch_default"].weight_var == pytest.approx(1 / 300)      # U(+-1/10)
    assert rows["custom"].weight_var == spec.weight_var
    assert rows["orthogonal"].sigma_w2 == pytest.approx(g**2)
    assert rows["lecun_normal"].gain is None and rows["kaiming_normal"].gain == pytest.approx(g)
    for r in rows.values():
        assert r.sigma_w2 == pytest.approx(100 * r.weight_var)


@pytest.mark.parametrize("activation, weight_var, distinct", [("tanh", 0.05, 5), ("relu", 0.01, 6)])
def test_shared_runs_are_the_runs_of_each_scheme(activation, weight_var, distinct):
    spec = NetworkSpec(**SMALL, activation=activation, weight_var=weight_var)
    runs = init_lineup.run_schemes(spec)
    assert list(runs) == list(SCHEMES)
    for scheme, res in runs.items():
        ref = simulate(spec.replace(init=scheme))
        assert res.spec.init == scheme
        for field in ("log10_preact_var", "log10_act_var", "log10_grad_var"):
            assert np.allclose(getattr(res, field), getattr(ref, field), rtol=0, atol=1e-9)
    # square layers: Xavier = Kaiming = the fan_out variants (normal, and uniform), plus
    # orthogonal, LeCun, torch default and custom (= LeCun when Var(W) = 1 / fan_in)
    assert init_lineup.distinct_runs(spec) == distinct


def test_distinct_runs_counts_identical_draws():
    # linear (gain 1), Var(W) = 1 / fan_in: custom = LeCun = Xavier/Kaiming normal
    spec = NetworkSpec(**SMALL, activation="linear", weight_var=1 / 20)
    assert init_lineup.distinct_runs(spec) == 4
    assert init_lineup.distinct_runs(spec.replace(weight_var=0.2)) == 5


def test_within_budget_shrinks_width_and_keeps_the_factor():
    spec = NetworkSpec(depth=200, width=1024, batch=4, activation="linear", weight_var=10.0)
    runs, shrunk = init_lineup.run_schemes_within_budget(spec, schemes=("custom", "lecun_normal"),
                                                         limits=capacity.VIEW)
    assert [(f.field, f.asked, f.why) for f in shrunk] == [("width", 1024, "budget")]
    res = runs["custom"]
    assert res.spec.width < 1024
    assert res.spec.sigma_w2 == pytest.approx(spec.sigma_w2)
    assert np.isfinite(res.log10_preact_var).all() and res.log10_preact_var[-1] > 700
