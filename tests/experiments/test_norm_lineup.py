"""core.norm_lineup: every normalization on the same network, adjusted where the shape
does not allow it; what each fixes (saturation, dead units) as numbers; and InstanceNorm's
gradients against an independent float64 backpropagation."""


import numpy as np
import pytest

from core import NORMS, NetworkSpec, make_params, simulate
from core.experiments import norm_lineup
from core.spec import Fix, group_count

SMALL = dict(depth=6, width=24, batch=32)



def test_group_count():
    assert group_count(100, 1, 4) == 4
    assert group_count(100, 1, 8) == 5
    assert group_count(7, 1, 4) == 1
    assert group_count(4, 1, 4) == 2          # 4 groups of 1 channel: 1 value each
    assert group_count(4, 2, 4) == 4          # ... unless there are positions


def test_a_batch_that_cannot_shrink_is_not_said_to_change():
    """At batch 2, InstanceNorm's extra positions leave the batch at 2 (BatchNorm's least):
    its only fix is the positions, never "batch 2 instead of 2"."""
    v = norm_lineup.variant(NetworkSpec(depth=4, width=16, batch=2), "instance", groups=4)
    assert v.spec.batch == 2
    assert [f.field for f in v.fixes] == ["spatial"]


def test_variants_adjust_only_what_needs_it():
    spec = NetworkSpec(**SMALL, norm_gamma=1.5)
    v = norm_lineup.lineup_specs(spec, groups=5)
    assert [n for n in v] == list(NORMS)
    assert v["instance"].spec.spatial == 4 and v["instance"].spec.batch == 8
    assert v["group"].spec.groups == 4 and v["group"].fixes == (Fix("groups", 5, 4, "groups_divide_width"),)
    assert v["batch"].fixes == () and v["batch"].spec == spec.replace(norm="batch")
    assert v["none"].spec.norm_gamma == 1.0
    assert v["layer"].spec.norm_gamma == 1.5
    with_positions = norm_lineup.lineup_specs(spec.replace(spatial=2), groups=4)
    assert with_positions["instance"].fixes == () and with_positions["instance"].spec.spatial == 2


def test_lineup_runs_are_plain_simulations():
    spec = NetworkSpec(**SMALL)
    lineup = norm_lineup.run_lineup(spec, groups=4)
    for n, res in lineup.results.items():
        ref = simulate(norm_lineup.variant(spec, n, 4).spec)
        assert np.array_equal(res.log10_act_var, ref.log10_act_var), n
    assert {f.why for f in lineup.fixes} == {"instance_needs_positions", "instance_same_values"}


def test_what_normalization_fixes_and_what_it_does_not():
    bad = norm_lineup.badly_initialized(NetworkSpec(depth=8, width=64, batch=64))
    assert bad.sigma_w2 == 64
    res = norm_lineup.run_lineup(bad, groups=4).results
    assert res["none"].saturated_frac.mean() > 0.5                     # pinned at +-1
    for n in ("batch", "layer", "group", "rms"):
        assert res[n].saturated_frac.mean() < 0.1, n
    # Dying ReLU: big negative biases switch channels off for every example. Only the
    # per-channel normalizations (BatchNorm, InstanceNorm) re-centre a channel.
    dying = NetworkSpec(depth=8, width=64, batch=64, activation="relu", weight_var=0.001,
                        bias_var=1.0)
    res = norm_lineup.run_lineup(dying, groups=4).results
    assert res["batch"].dead_frac.max() == 0
    assert res["instance"].dead_frac.max() == 0
    for n in ("none", "layer", "group", "rms"):
        assert res[n].dead_frac.mean() > 0.2, n


def test_affine_specs():
    spec = NetworkSpec(**SMALL)
    specs = norm_lineup.affine_specs(spec, "batch", 2.0, 0.5)
    assert list(specs) == ["none", "unit", "chosen"]
    assert specs["chosen"].norm_gamma == 2.0 and specs["unit"].norm_gamma == 1.0
    assert specs["none"].norm == "none" and specs["chosen"].norm == "batch"
    lineup = norm_lineup.run_affine(spec, "batch", 2.0, 0.5)
    assert lineup.results["chosen"].log10_act_var[-1] == pytest.approx(
        simulate(specs["chosen"]).log10_act_var[-1])
    # a large gamma brings tanh saturation back: the network undoes the normalization
    sat = {k: r.saturated_frac.mean() for k, r in norm_lineup.run_affine(
        norm_lineup.badly_initialized(spec), "batch", 3.0, 0.0).results.items()}
    assert sat["unit"] < sat["chosen"] < sat["none"]


def _instance_norm_backprop(spec):
    """dL/dh per layer by hand, plain float64 (values here stay near unit size)."""
    p = make_params(spec)
    eps, x, cache = 1e-5, p.x0, []
    for w, b in zip(p.weights, p.biases):
        h = x @ w + b
        v = h.var(axis=1, keepdims=True)
        xh = (h - h.mean(axis=1, keepdims=True)) / np.sqrt(v + eps)
        cache.append((xh, v))
        x = np.maximum(xh, 0)
    z = x.mean(axis=1) @ p.w_out
    pr = np.exp(z - z.max(axis=1, keepdims=True))
    pr /= pr.sum(axis=1, keepdims=True)
    pr[np.arange(spec.batch), p.labels] -= 1
    g = np.repeat(((pr / spec.batch) @ p.w_out.T)[:, None, :] / spec.spatial, spec.spatial, axis=1)
    out = []
    for i in range(spec.depth - 1, -1, -1):
        xh, v = cache[i]
        gu = g * (xh > 0)
        gh = (gu - gu.mean(axis=1, keepdims=True)
              - xh * (gu * xh).mean(axis=1, keepdims=True)) / np.sqrt(v + eps)
        out.append(np.log10(gh.var()))
        g = gh @ p.weights[i].T
    return np.array(out[::-1])


def test_instance_norm_gradients_match_a_plain_backprop():
    """Some (example, channel) sets have near-eps variance here, so the normalized output
    is renormalized in place; that must not alter what the backward pass reads."""
    spec = NetworkSpec(activation="relu", weight_var=0.001, bias_var=1.0, depth=20,
                       norm="instance", spatial=4, batch=64)
    assert simulate(spec).log10_grad_var == pytest.approx(_instance_norm_backprop(spec), abs=1e-6)


def test_summary_rows():
    lineup = norm_lineup.run_lineup(norm_lineup.badly_initialized(NetworkSpec(**SMALL)), 4)
    rows = {r.norm: r for r in lineup.summary()}
    assert list(rows) == list(NORMS)
    none = lineup.results["none"]
    assert rows["none"].last_saturated == none.saturated_frac[-1]
    assert rows["none"].dead == pytest.approx(none.dead_frac.mean())
    assert rows["none"].backward.decades == pytest.approx(none.log10_grad_var[0] - none.log10_grad_var[-1])
