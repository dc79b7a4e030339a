"""Normalization layers (channels-last (batch, positions, channels)) against a plain
per-set loop re-derivation, backward against central finite differences, the log10-scale
path, and BatchNorm's running statistics (PyTorch's conventions, FACTS.md)."""

import math

import numpy as np
import pytest

from core import norms

EPS = 1e-5
SHAPE = (4, 3, 6)                  # batch, positions, channels
KINDS = [("batch", 1), ("layer", 1), ("group", 2), ("group", 3), ("instance", 1), ("rms", 1)]


def statistic_sets(shape, kind, groups=1):
    """Index tuples of the sets each statistic runs over (FACTS.md's table)."""
    b, p, c = shape
    if kind == "batch":
        sets = [(slice(None), slice(None), slice(k, k + 1)) for k in range(c)]
    elif kind == "layer" or kind == "rms":
        sets = [(slice(i, i + 1), slice(None), slice(None)) for i in range(b)]
    elif kind == "instance":
        sets = [(slice(i, i + 1), slice(None), slice(k, k + 1)) for i in range(b) for k in range(c)]
    elif kind == "group":
        cg = c // groups
        sets = [(slice(i, i + 1), slice(None), slice(g * cg, (g + 1) * cg))
                for i in range(b) for g in range(groups)]
    return sets


def reference_normalize(x, kind, groups=1, eps=EPS):
    """Obvious loops over the statistics sets; biased variance, as PyTorch's forward."""
    y = np.empty_like(x)
    for s in statistic_sets(x.shape, kind, groups):
        vals = x[s]
        if kind == "rms":
            y[s] = vals / math.sqrt(float(np.mean(vals**2)) + eps)
        else:
            m = float(np.mean(vals))
            v = float(np.mean((vals - m) ** 2))          # biased
            y[s] = (vals - m) / math.sqrt(v + eps)
    return y


def true_out(x, scale, kind, groups):
    y, s, cache = norms.normalize(x, scale, kind, groups)
    return y * 10.0**s, cache


def sample(seed=0, shape=SHAPE, loc=0.3, sd=1.7):
    return np.random.default_rng(seed).normal(loc, sd, shape)


@pytest.mark.parametrize("kind,groups", KINDS)
@pytest.mark.parametrize("sd", [1.7, 1e-3])          # 1e-3: eps is no longer negligible
def test_forward_matches_loop_rederivation(kind, groups, sd):
    x = sample(sd=sd)
    y, _ = true_out(x.copy(), 0.0, kind, groups)
    np.testing.assert_allclose(y, reference_normalize(x, kind, groups), rtol=1e-12, atol=1e-13)


def test_group_norm_extremes_are_layer_and_instance():
    x = sample(1)
    layer, _ = true_out(x.copy(), 0.0, "layer", 1)
    g1, _ = true_out(x.copy(), 0.0, "group", 1)
    inst, _ = true_out(x.copy(), 0.0, "instance", 1)
    gc, _ = true_out(x.copy(), 0.0, "group", SHAPE[2])
    np.testing.assert_allclose(g1, layer, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(gc, inst, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("kind,groups", KINDS)
def test_normalized_sets_have_zero_mean_unit_variance(kind, groups):
    x = sample(2, sd=30.0)
    y, _ = true_out(x.copy(), 0.0, kind, groups)
    for s in statistic_sets(x.shape, kind, groups):
        v = np.mean(x[s] ** 2) if kind == "rms" else np.var(x[s])
        if kind != "rms":
            assert abs(np.mean(y[s])) < 1e-13
        # second moment (rms) or variance of the output: var / (var + eps), exactly
        got = np.mean(y[s] ** 2) if kind == "rms" else np.var(y[s])
        assert got == pytest.approx(v / (v + EPS), rel=1e-12)


@pytest.mark.parametrize("kind,groups", KINDS)
@pytest.mark.parametrize("sd", [1.7, 1e-3])
def test_backward_matches_finite_differences(kind, groups, sd):
    x = sample(3, sd=sd)
    r = np.random.default_rng(4).standard_normal(SHAPE)     # L = sum(r * y)
    _, cache = true_out(x.copy(), 0.0, kind, groups)
    dx, dscale = norms.normalize_backward(r.copy(), 0.0, cache)
    dx = dx * 10.0**dscale
    # y varies on the scale of the set's spread (its rms for RMSNorm): a step of 1e-5 of
    # it balances truncation (~step^2) against rounding (~eps / step)
    step = 1e-5 * (math.sqrt(np.mean(x**2)) if kind == "rms" else sd)
    fd = np.empty_like(x)
    for idx in np.ndindex(*SHAPE):
        xp, xm = x.copy(), x.copy()
        xp[idx] += step
        xm[idx] -= step
        fd[idx] = (np.sum(r * reference_normalize(xp, kind, groups))
                   - np.sum(r * reference_normalize(xm, kind, groups))) / (2 * step)
    # central differences: O(step^2) truncation, rounding ~ eps * |L| / step
    scale = np.max(np.abs(fd))
    np.testing.assert_allclose(dx, fd, rtol=1e-6, atol=1e-7 * scale)


@pytest.mark.parametrize("kind,groups", KINDS)
@pytest.mark.parametrize("k", [-3.0, 5.0, 150.0, -150.0])
def test_scaled_input_equals_normalizing_true_values(kind, groups, k):
    """(x, k) normalizes like x * 10**k, forward and backward, while that is representable."""
    x = sample(5)
    want, want_cache = true_out(x * 10.0**k, 0.0, kind, groups)
    got, cache = true_out(x.copy(), k, kind, groups)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12 * np.max(np.abs(want)))
    r = np.random.default_rng(6).standard_normal(SHAPE)
    d1, s1 = norms.normalize_backward(r.copy(), 0.0, cache)
    d2, s2 = norms.normalize_backward(r.copy(), 0.0, want_cache)
    # both are dL/d(true x), as (stored, log10 scale)
    np.testing.assert_allclose(d1 * 10.0**s1, d2 * 10.0**s2, rtol=1e-10,
                               atol=1e-12 * np.max(np.abs(d2 * 10.0**s2)))


@pytest.mark.parametrize("kind,groups", [k for k in KINDS])
def test_true_variance_below_float64_range(kind, groups):
    """True variance ~1e-400: eps dominates, y = (x - mean) * 10**scale / sqrt(eps)."""
    x = sample(7)
    scale = -200.0             # x ~ 1, so the true variance is ~1e-400
    y, s, cache = norms.normalize(x.copy(), scale, kind, groups)
    assert np.all(np.isfinite(y)) and math.isfinite(s)
    # reference with eps only: centre on the loop's own set means (no centring for rms)
    centred = reference_normalize(x, kind, groups, eps=1e300) * math.sqrt(1e300)
    # y * 10**s = centred * 10**-200 / sqrt(eps): compare in units of 10**-200
    np.testing.assert_allclose(y * 10.0 ** (s - scale), centred / math.sqrt(EPS), rtol=1e-12,
                               atol=1e-15)
    # the backward pass: dL/dx_true = r / sqrt(eps) minus the set projections, ~ exact
    r = np.random.default_rng(8).standard_normal(SHAPE)
    dx, ds = norms.normalize_backward(r.copy(), 0.0, cache)
    assert np.all(np.isfinite(dx)) and math.isfinite(ds)
    # with var_true / eps ~ 1e-395, y_hat ~ 1e-198 and the projection term vanishes:
    # dL/dx_true = (r - mean_set(r)) / sqrt(eps)   (rms: r / sqrt(eps))
    want = reference_normalize(r, kind, groups, eps=1e300) * math.sqrt(1e300) / math.sqrt(EPS)
    np.testing.assert_allclose(dx * 10.0**ds, want, rtol=1e-12, atol=1e-13)


def test_float32_input_stays_float32_and_accurate():
    x = sample(9).astype(np.float32)
    for kind, groups in KINDS:
        y, s, _ = norms.normalize(x.copy(), 0.0, kind, groups)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y * np.float32(10.0**s),
                                   reference_normalize(x.astype(np.float64), kind, groups),
                                   rtol=1e-5, atol=1e-5)


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="weight"):
        norms.normalize(sample(), 0.0, "weight")


def test_batch_running_stats_follow_pytorch():
    rng = np.random.default_rng(10)
    batches = [rng.normal(1.0 + i, 2.0, (5, 2, 3)) for i in range(4)]
    rm, rv = np.zeros(3), np.ones(3)                  # PyTorch: start at 0 and 1
    for x in batches:
        flat = x.reshape(-1, 3)
        n = flat.shape[0]
        for c in range(3):
            mean = sum(flat[:, c]) / n
            unbiased = sum((flat[:, c] - mean) ** 2) / (n - 1)
            rm[c] = 0.9 * rm[c] + 0.1 * mean
            rv[c] = 0.9 * rv[c] + 0.1 * unbiased
    got_m, got_v = np.zeros(3), np.ones(3)
    for x in batches:
        _, _, cache = norms.normalize(x, 0.0, "batch")
        got_m = norms.update_running(got_m, cache.mean.reshape(-1))
        got_v = norms.update_running(got_v, norms.unbiased(cache))
    np.testing.assert_allclose(got_m, rm, rtol=1e-13)
    np.testing.assert_allclose(got_v, rv, rtol=1e-13)
    assert norms.MOMENTUM == 0.1 and norms.EPS == 1e-5
    # eval mode uses the running statistics
    x = rng.normal(size=(3, 2, 3))
    y, scale, cache = norms.normalize(x, 0.0, "batch", stats=(got_m, got_v))
    np.testing.assert_allclose(y * 10.0**scale, (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-13)
    # and its backward pass is that fixed per-channel scaling
    g = rng.normal(size=x.shape)
    dx, dx_scale = norms.normalize_backward(g, 0.0, cache)
    np.testing.assert_allclose(dx * 10.0**dx_scale, g / np.sqrt(rv + 1e-5), rtol=1e-13)


def test_given_statistics_are_batchnorm_only():
    x = np.ones((4, 1, 2))
    with pytest.raises(ValueError, match="BatchNorm"):
        norms.normalize(x, 0.0, "layer", stats=(np.zeros(2), np.ones(2)))
