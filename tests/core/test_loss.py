"""The readout loss: softmax cross-entropy of readout_scale * mean_positions(x_L) @ W_out
against the labels, re-derived from the kept tensors; log(classes) for a network that
knows nothing (FACTS: 3.2958 for 27 classes)."""

import math

import numpy as np
import pytest

from core import NetworkSpec, simulate


def independent_loss(spec, t):
    x_last = t["out"][-1] * 10.0 ** t["out_log10_scale"][-1]
    pooled = x_last.mean(axis=1)
    z = spec.readout_scale * pooled @ t["w_out"]
    zmax = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - zmax).sum(axis=1)) + zmax[:, 0]
    return float(np.mean(lse - z[np.arange(spec.batch), t["labels"]])), z


def test_log_27():
    assert math.log(27) == pytest.approx(3.2958, abs=5e-5)            # FACTS


@pytest.mark.parametrize("classes", [2, 10, 27, 1000])
def test_loss_uniform_is_log_classes(classes):
    res = simulate(NetworkSpec(depth=2, width=16, batch=8, classes=classes))
    assert res.loss_uniform == math.log(classes)


def test_tiny_readout_scale_gives_log_classes():
    """readout_scale 1e-6: logits z ~ 1e-6; loss - log C = mean_b(mean_c z_bc - z_b,y_b)
    + O(z^2), whose sd is sd(z) sqrt((1 + 1/C) / B)."""
    spec = NetworkSpec(depth=3, width=32, batch=256, activation="tanh", weight_var=1 / 32,
                       classes=27, readout_scale=1e-6, seed=0)
    res = simulate(spec, keep_tensors=True)
    want, z = independent_loss(spec, res.tensors)
    assert res.loss == pytest.approx(want, rel=1e-14)
    sd_first_order = z.std() * math.sqrt((1 + 1 / 27) / spec.batch)
    assert 4 * sd_first_order < 1e-6                      # so the claim below is 4 sd
    assert abs(res.loss - math.log(27)) < 1e-6
    assert abs(res.loss - 3.2958) < 1e-4


@pytest.mark.parametrize("spatial", [1, 3])
def test_large_readout_scale_is_confidently_wrong(spatial):
    spec = NetworkSpec(depth=3, width=100, batch=64, spatial=spatial, activation="tanh",
                       weight_var=1 / 100, classes=27, readout_scale=10.0, seed=1)
    res = simulate(spec, keep_tensors=True)
    want, _ = independent_loss(spec, res.tensors)
    assert res.loss == pytest.approx(want, rel=1e-13)
    assert res.loss > 2 * math.log(27)                    # far above knowing nothing


@pytest.mark.parametrize("kw", [dict(norm="layer", residual=True), dict(activation="relu", spatial=2),
                                dict(norm="batch", norm_position="after", input_dist="uniform")])
def test_loss_matches_independent_cross_entropy(kw):
    spec = NetworkSpec(depth=4, width=24, batch=12, weight_var=0.1, classes=5, seed=2, **kw)
    res = simulate(spec, keep_tensors=True)
    want, _ = independent_loss(spec, res.tensors)
    assert res.loss == pytest.approx(want, rel=1e-13)
    assert res.log10_loss == pytest.approx(math.log10(want), abs=1e-13)


def test_loss_beyond_float64_is_the_logit_gap():
    """Logits ~1e300: softmax is one-hot on the largest logit, the loss is
    mean_b(max_c z_bc - z_b,y_b), reported exactly in log10 (and as a number while
    float64 can hold it)."""
    spec = NetworkSpec(depth=200, width=100, batch=8, activation="linear", weight_var=10.0,
                       seed=3)
    res = simulate(spec, keep_tensors=True)
    t = res.tensors
    stored, scale = t["out"][-1], t["out_log10_scale"][-1]
    z = spec.readout_scale * stored[:, 0, :] @ t["w_out"]          # true logits: z * 10**scale
    gap = np.mean(z.max(axis=1) - z[np.arange(spec.batch), t["labels"]])
    assert scale > 290
    assert res.log10_loss == pytest.approx(math.log10(gap) + scale, abs=1e-12)
    want = math.log10(gap) + scale
    assert res.loss == (pytest.approx(10.0**want, rel=1e-11) if want < 308 else math.inf)
