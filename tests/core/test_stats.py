"""Reported per-layer statistics against direct computations on the kept tensors
(true value = stored * 10**log10_scale)."""

import math

import numpy as np
import pytest

from core import NetworkSpec, simulate, stats

SPECS = {
    "tanh": NetworkSpec(depth=5, width=40, batch=64, activation="tanh", weight_var=3.0 / 40,
                        bias_var=0.2, seed=1),
    "tanh_bn_gain": NetworkSpec(depth=4, width=32, batch=50, activation="tanh",
                                init="kaiming_normal", norm="batch", norm_gamma=2.5,
                                norm_beta=0.3, seed=2),
    "sigmoid_spatial": NetworkSpec(depth=4, width=24, batch=20, spatial=4, activation="sigmoid",
                                   weight_var=8.0 / 24, input_dist="uniform", seed=3),
    "relu_residual": NetworkSpec(depth=6, width=30, batch=40, activation="relu",
                                 init="kaiming_normal", residual=True, residual_scale=0.5,
                                 bias_var=0.5, seed=4),
    "relu_dying": NetworkSpec(depth=6, width=30, batch=16, activation="relu",
                              weight_var=2 / 30, bias_var=4.0, seed=5),
    "gelu_layernorm_after": NetworkSpec(depth=4, width=32, batch=30, spatial=2, activation="gelu",
                                        norm="layer", norm_position="after", seed=6),
    # variance x500 per layer: 1e54 by the end, so the stored tensors carry scales
    "linear_large": NetworkSpec(depth=20, width=50, batch=30, activation="linear",
                                weight_var=10.0, seed=7),
    "elu_group": NetworkSpec(depth=3, width=32, batch=600, activation="elu", norm="group",
                             groups=4, seed=8),   # > HIST_SAMPLE values per layer
}


def kept(res, name, layer):
    t = res.tensors
    return t[name][layer] * 10.0 ** t[name + "_log10_scale"][layer]


def log10_var(x):
    return math.log10(float(np.var(x)))


@pytest.fixture(scope="module", params=sorted(SPECS))
def run(request):
    return simulate(SPECS[request.param], keep_tensors=True)


def test_shapes(run):
    d, w = run.spec.depth, run.spec.width
    for f in ("preact_mean", "preact_var", "act_mean", "act_var", "log10_preact_var",
              "log10_act_var", "log10_out_var", "saturated_frac", "dead_frac", "grad_var",
              "log10_grad_var", "weight_grad_ratio", "log10_weight_grad_ratio"):
        assert getattr(run, f).shape == (d,), f
    assert run.dead_units.shape == (d, w)
    assert run.act_hist.shape == (d, len(run.hist_edges) - 1)


def test_variances_and_means_match_the_kept_tensors(run):
    for layer in range(run.spec.depth):
        h, a, out = (kept(run, n, layer) for n in ("preact", "act", "out"))
        g = kept(run, "grad_preact", layer)
        assert run.log10_preact_var[layer] == pytest.approx(log10_var(h), abs=1e-12)
        assert run.log10_act_var[layer] == pytest.approx(log10_var(a), abs=1e-12)
        assert run.log10_out_var[layer] == pytest.approx(log10_var(out), abs=1e-12)
        assert run.log10_grad_var[layer] == pytest.approx(log10_var(g), abs=1e-12)
        assert run.preact_var[layer] == pytest.approx(np.var(h), rel=1e-11)
        assert run.act_var[layer] == pytest.approx(np.var(a), rel=1e-11)
        assert run.grad_var[layer] == pytest.approx(np.var(g), rel=1e-11)
        sd = math.sqrt(np.var(h))
        assert run.preact_mean[layer] == pytest.approx(np.mean(h), abs=1e-12 * sd)
        assert run.act_mean[layer] == pytest.approx(np.mean(a), abs=1e-12 * math.sqrt(np.var(a)) + 1e-15)


def test_layers_chain(run):
    """The kept tensors are one network: h_{l+1} = x_l W + b with x_l the block output."""
    t = run.tensors
    x = t["x0"]
    for layer in range(run.spec.depth):
        want = x @ t["weights"][layer] + t["biases"][layer]
        np.testing.assert_allclose(kept(run, "preact", layer), want, rtol=1e-11,
                                   atol=1e-11 * np.abs(want).max())
        x = kept(run, "out", layer)


def test_weight_grad_ratio(run):
    t = run.tensors
    for layer in range(run.spec.depth):
        gw = kept(run, "grad_weight", layer)
        want = np.std(gw) / np.std(t["weights"][layer])
        assert run.weight_grad_ratio[layer] == pytest.approx(want, rel=1e-11)
        assert run.log10_weight_grad_ratio[layer] == pytest.approx(math.log10(want), abs=1e-12)


def activation_input(run, layer):
    """What the activation saw: the pre-activation itself when there is no norm before it."""
    spec = run.spec
    assert spec.norm == "none" or spec.norm_position == "after"
    return kept(run, "preact", layer)


def test_saturation_and_dead_units(run):
    spec, act = run.spec, run.activation
    w = spec.width
    for layer in range(spec.depth):
        a = kept(run, "act", layer).reshape(-1, w)
        if act.bounded is not None:
            lo, hi = act.bounded
            unit = (2 * a - (lo + hi)) / (hi - lo)           # tanh: a itself; sigmoid: 2a - 1
            sat = np.abs(unit) > spec.saturation_threshold   # 0.97: Karpathy's histogram legend
            dead = np.all(np.abs(unit) > spec.dead_threshold, axis=0)   # 0.99 on every example
        elif act.relu_like:
            if spec.norm != "none" and spec.norm_position == "before":
                continue                                     # u is not kept; tested elsewhere
            u = activation_input(run, layer).reshape(-1, w)
            sat = u <= 0
            dead = np.all(u <= 0, axis=0)
        else:
            sat = np.zeros_like(a, dtype=bool)
            dead = np.zeros(w, dtype=bool)
        assert run.saturated_frac[layer] == pytest.approx(sat.mean(), abs=1e-15)
        np.testing.assert_array_equal(run.dead_units[layer], dead)
        assert run.dead_frac[layer] == pytest.approx(dead.mean(), abs=1e-15)
        # heatmaps: the first examples x units of the same criteria
        rows, cols = min(sat.shape[0], stats.MAP_EXAMPLES), min(w, stats.MAP_UNITS)
        np.testing.assert_array_equal(run.saturation_map(layer), sat[:rows, :cols])
        if act.bounded is not None:
            np.testing.assert_array_equal(run.dead_map(layer),
                                          (np.abs(unit) > spec.dead_threshold)[:rows, :cols])
            # other thresholds: exact except within float16's rounding (2^-11 near 1)
            mag = np.abs(unit)[:rows, :cols]
            off = run.saturation_map(layer, 0.8) != (mag > 0.8)
            assert np.all(np.abs(mag[off] - 0.8) <= 2.0**-11)
        elif act.relu_like:
            np.testing.assert_array_equal(run.dead_map(layer), sat[:rows, :cols])


def test_some_runs_have_saturation_or_dead_units():
    """The checks above are not vacuous: these specs do saturate and do kill units."""
    tanh = simulate(SPECS["tanh"])
    assert 0.05 < tanh.saturated_frac.max() < 1
    relu = simulate(SPECS["relu_dying"])
    assert relu.dead_units.any() and not relu.dead_units.all()


def test_act_histogram(run):
    spec = run.spec
    edges = run.hist_edges
    for layer in range(spec.depth):
        sample = kept(run, "act", layer).reshape(-1)[:stats.HIST_SAMPLE]
        counts = run.act_hist[layer]
        assert counts.sum() == sample.size
        if run.activation.bounded is not None:
            lo, hi = run.activation.bounded
            np.testing.assert_allclose(edges, np.linspace(lo, hi, len(edges)))
            true_edges = edges
            assert run.hist_log10_scale[layer] == 0
        else:
            true_edges = edges * 10.0 ** run.hist_log10_scale[layer]
            # the edges follow the layer's scale: its rms is one unit of hist_edges
            rms = math.sqrt(np.mean(sample**2))
            assert 10.0 ** run.hist_log10_scale[layer] == pytest.approx(rms, rel=1e-12)
        # values beyond the ends are counted in the end bins
        want, _ = np.histogram(np.clip(sample, true_edges[0], true_edges[-1]), true_edges)
        np.testing.assert_array_equal(counts, want)


def test_grad_histograms(run):
    edges = run.grad_hist_edges
    for layer in range(run.spec.depth):
        for name, counts in (("grad_preact", run.grad_hist[layer]),
                             ("grad_weight", run.weight_grad_hist[layer])):
            sample = kept(run, name, layer).reshape(-1)[:stats.HIST_SAMPLE]
            z = sample / math.sqrt(np.mean(sample**2))
            want, _ = np.histogram(np.clip(z, edges[0], edges[-1]), edges)
            assert counts.sum() == sample.size
            np.testing.assert_array_equal(counts, want)


def test_moments_of_scaled_values_beyond_float64():
    m, lv = stats.moments(np.array([1.0, -1.0, 1.0, -1.0]), 400.0)
    assert lv == pytest.approx(800.0, abs=1e-12)
    m, lv = stats.moments(np.array([3.0, 5.0]), -500.0)
    assert lv == pytest.approx(-1000.0, abs=1e-12)              # var([3, 5]) = 1
    assert m == 0.0 or abs(m) < 1e-300


def test_relu_off_units_after_norm_use_the_normalized_input():
    """With the norm before the activation, a relu unit is off where gamma * x_hat + beta
    <= 0 (what the activation sees), not where the pre-activation is."""
    from .test_norms import reference_normalize
    spec = NetworkSpec(depth=3, width=16, batch=12, spatial=2, activation="relu",
                       norm="layer", norm_gamma=0.7, norm_beta=-0.4, bias_var=0.3, seed=9)
    res = simulate(spec, keep_tensors=True)
    for layer in range(spec.depth):
        u = 0.7 * reference_normalize(kept(res, "preact", layer), "layer") - 0.4
        off = u.reshape(-1, spec.width) <= 0
        # the activation output is relu(u): a direct check that u is what it saw
        np.testing.assert_allclose(kept(res, "act", layer), np.maximum(u, 0), atol=1e-12)
        assert res.saturated_frac[layer] == pytest.approx(off.mean(), abs=1e-15)
        np.testing.assert_array_equal(res.dead_units[layer], off.all(axis=0))
        np.testing.assert_array_equal(res.dead_map(layer), off[:stats.MAP_EXAMPLES, :stats.MAP_UNITS])


def test_heatmap_values_are_exact_at_the_spec_thresholds():
    """Values packed into float16 for the heatmaps: at the spec's thresholds, comparing the
    stored values gives exactly the float64 answer, even within float16's rounding."""
    from core.activations import get
    rng = np.random.default_rng(0)
    shape = (stats.MAP_EXAMPLES, stats.MAP_UNITS)
    centre = rng.choice([0.97, 0.99], shape)
    unit = (centre + rng.uniform(-1e-3, 1e-3, shape)) * rng.choice([-1.0, 1.0], shape)
    unit[0, :2] = [0.97, -0.99]                       # exactly at the thresholds: not over
    u = np.zeros_like(unit)
    vals = stats.map_values(get("tanh"), unit, u, (0.97, 0.99))
    assert vals.dtype == np.float16
    for t in (0.97, 0.99):
        np.testing.assert_array_equal(np.abs(vals.astype(np.float64)) > t, np.abs(unit) > t)
    # and no value moved by more than one float16 step (2^-11 near 1)
    assert np.max(np.abs(vals.astype(np.float64) - unit)) <= 2.0**-11


def test_true_mean_of_scaled_values_near_the_float64_limits():
    """The mean is reported in true units whenever float64 can hold it (inf beyond)."""
    assert stats.moments(np.array([1e-5, 3e-5]), 301.0)[0] == pytest.approx(2e296, rel=1e-12)
    assert stats.moments(np.array([-1e3, -3e3]), -301.0)[0] == pytest.approx(-2e-298, rel=1e-12)
    assert stats.moments(np.array([1.0, 3.0]), 400.0)[0] == math.inf
    assert stats.moments(np.array([-1.0, -3.0]), 400.0)[0] == -math.inf
    assert stats.moments(np.array([1.0, 3.0]), -400.0)[0] == 0.0
    assert stats.moments(np.array([-1.0, 1.0]), 400.0)[0] == 0.0


def test_statistic_groups_compute_what_they_name_and_the_same_numbers():
    """A page asks simulate for the groups it draws (ui.pages.Page.stats): activation
    histograms without the gradients' ones and the other way round, each equal to a full
    run's."""
    spec = NetworkSpec(depth=4, width=24, batch=32, activation="tanh", seed=3)
    full = simulate(spec)
    acts = simulate(spec, stats=("histograms",))
    grads = simulate(spec, stats=("weight_grads", "grad_histograms"))
    assert acts.grad_hist is None and acts.weight_grad_hist is None
    assert grads.act_hist is None and grads.hist_log10_scale is None
    np.testing.assert_array_equal(acts.act_hist, full.act_hist)
    np.testing.assert_array_equal(grads.grad_hist, full.grad_hist)
    np.testing.assert_array_equal(grads.weight_grad_hist, full.weight_grad_hist)
