"""core.experiments.jacobian: the input-output Jacobian's singular values against an explicit
product and SVD, mpmath at 120 digits, the exact log-determinant, orthogonal products, and
the moments free probability (Pennington et al. 2017) and Wick's theorem predict."""

import math

import mpmath
import numpy as np
import pytest

from core import NetworkSpec, activations, make_params, theory
from core.experiments.jacobian import jacobian_bytes, jacobian_flops, jacobian_spectrum, spectrum_moments


def explicit_jacobians(spec, depths, inputs=1):
    """dx_l/dx_0 multiplied out in the row convention x_l = phi(x_{l-1} W + b)."""
    p = make_params(spec.replace(batch=inputs))
    act = activations.get(spec.activation)
    out = []
    for i in range(inputs):
        x, jac, per = p.x0[i, 0], np.eye(spec.width), []
        for layer, (w, b) in enumerate(zip(p.weights, p.biases), start=1):
            h = x @ w + b
            step = w * act.deriv(h)[None, :]
            jac = jac @ (np.eye(spec.width) + spec.residual_scale * step if spec.residual else step)
            x = x + spec.residual_scale * act.fn(h) if spec.residual else act.fn(h)
            if layer in depths:
                per.append(jac.copy())
        out.append(per)
    return out, p


@pytest.mark.parametrize("activation,residual", [("tanh", False), ("gelu", False), ("relu", False),
                                                 ("tanh", True), ("selu", False)])
def test_spectrum_equals_svd_of_the_explicit_product(activation, residual):
    spec = NetworkSpec(depth=5, width=24, activation=activation, weight_var=1.5 / 24, bias_var=0.1,
                       residual=residual, residual_scale=0.5)
    got = jacobian_spectrum(spec, depths=(1, 3, 5), inputs=2).log10_sv2
    jacs, _ = explicit_jacobians(spec, (1, 3, 5), inputs=2)
    for i, per in enumerate(jacs):
        for k, jac in enumerate(per):
            sv = np.linalg.svd(jac, compute_uv=False)
            zero = sv < 1e-12 * sv[0]                      # relu's exact zeros, rounded by the SVD
            assert np.isneginf(got[k, i][zero]).all()
            np.testing.assert_allclose(got[k, i][~zero], 2 * np.log10(sv[~zero]), atol=1e-9)


def test_relus_zero_singular_values_are_the_units_that_are_off():
    """Rank of D_1 W_1 ... with D_l of k_l nonzero slopes: min over the layers of k_l."""
    spec = NetworkSpec(depth=6, width=40, activation="relu", weight_var=2 / 40)
    got = jacobian_spectrum(spec).log10_sv2[0, 0]
    p = make_params(spec.replace(batch=1))
    x, live = p.x0[0, 0], []
    for w in p.weights:
        h = x @ w
        live.append(int(np.sum(h > 0)))
        x = np.maximum(h, 0)
    assert np.sum(np.isfinite(got)) == min(live)


def test_deep_graded_spectrum_matches_mpmath():
    """Depth 40, width 12: the singular values spread over 80 decades, beyond float64's
    SVD; mpmath at 120 digits multiplies and decomposes the same weights."""
    spec = NetworkSpec(depth=40, width=12, activation="linear", weight_var=1 / 12)
    got = jacobian_spectrum(spec, depths=(10, 40)).log10_sv2[:, 0]
    weights = make_params(spec.replace(batch=1)).weights
    mpmath.mp.dps = 120
    jac, ref = mpmath.eye(12), []
    for layer, w in enumerate(weights, start=1):
        jac = jac * mpmath.matrix(w.tolist())
        if layer in (10, 40):
            ref.append(sorted((float(2 * mpmath.log10(s)) for s in mpmath.svd_r(jac, compute_uv=False)),
                              reverse=True))
    assert ref[1][0] - ref[1][-1] > 60
    np.testing.assert_allclose(got, np.array(ref), atol=1e-9)


@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_log_singular_values_sum_to_the_log_determinant(activation):
    """sum ln sigma_i = ln |det J| = sum_l (ln |det W_l| + sum ln |phi'(h_l)|): a check on
    every singular value, the ones 10^-400 below the largest included."""
    spec = NetworkSpec(depth=200, width=48, activation=activation, weight_var=1 / 48, bias_var=0.05)
    got = jacobian_spectrum(spec, depths=(100, 200)).log10_sv2[:, 0]
    p = make_params(spec.replace(batch=1))
    act = activations.get(activation)
    x, log_det, ref = p.x0[0, 0], 0.0, []
    for layer, (w, b) in enumerate(zip(p.weights, p.biases), start=1):
        h = x @ w + b
        log_det += np.linalg.slogdet(w)[1] + np.sum(np.log(np.abs(act.deriv(h))))
        x = act.fn(h)
        if layer in (100, 200):
            ref.append(log_det)
    assert got[1].min() < -400
    np.testing.assert_allclose(0.5 * math.log(10) * got.sum(axis=1), ref, rtol=1e-12)


def test_orthogonal_linear_network_is_an_exact_isometry():
    spec = NetworkSpec(depth=200, width=64, activation="linear", init="orthogonal", gain=1.0)
    got = jacobian_spectrum(spec, depths=(1, 100, 200)).log10_sv2
    assert np.abs(got).max() < 1e-11


def wick_variance(n, depth):
    """E over Gaussian W (variance 1/n) of the spectral variance of J J^T, J = W_L ... W_1,
    by Wick's theorem: with A = J J^T, E tr (W A W^T)^2 = tr A^2 (1 + 1/n) + (tr A)^2 / n
    and E (tr W A W^T)^2 = (tr A)^2 + 2 tr A^2 / n."""
    x, y = float(n), float(n) ** 2            # E tr A^2, E (tr A)^2 at A = I
    for _ in range(depth):
        x, y = x * (1 + 1 / n) + y / n, y + 2 * x / n
    return x / n - y / n**2


def test_deep_linear_gaussian_mean_one_variance_depth():
    """Width 256, depth 10, six seeds: the mean squared singular value is 1 and its
    variance wick_variance (= 10.22, L to within L / n) within 4 standard errors of the
    seeds' mean."""
    n, depth, seeds = 256, 10, 6
    means, variances = [], []
    for seed in range(seeds):
        spec = NetworkSpec(depth=depth, width=n, activation="linear", weight_var=1 / n, seed=seed)
        log_mean, rel_var = spectrum_moments(jacobian_spectrum(spec).log10_sv2)
        means.append(10**log_mean)
        variances.append(rel_var * 10 ** (2 * log_mean))
    se = lambda v: 4 * np.std(v, ddof=1) / math.sqrt(seeds)
    assert abs(np.mean(means) - 1.0) < se(means)
    assert abs(np.mean(variances) - wick_variance(n, depth)) < se(variances)
    assert wick_variance(n, depth) == pytest.approx(depth, rel=depth / n)
    predicted = theory.jacobian_moments("linear", 1.0, 0.0, depth)
    assert predicted.log10_mean == 0.0 and predicted.rel_var == depth


@pytest.mark.parametrize("activation,sw2,orthogonal", [("relu", 2.0, False), ("relu", 2.0, True),
                                                       ("tanh", 1.05, True)])
def test_spectrum_moments_follow_free_probability(activation, sw2, orthogonal):
    """Pennington et al. 2017: variance / mean^2 = sum_l (mu2 / mu1^2 - 1 - s1): 2L for He
    relu, L with orthogonal weights, small for tanh near criticality with orthogonal
    weights. Four seeds at width 256, depth 20; allowed: 4 standard errors of the seeds'
    mean plus a finite-width bias of L / n relative (what wick_variance shows for the
    linear case)."""
    n, depth, seeds = 256, 20, 4
    init = dict(init="orthogonal", gain=math.sqrt(sw2)) if orthogonal else dict(weight_var=sw2 / n)
    logs, rels = [], []
    for seed in range(seeds):
        spec = NetworkSpec(depth=depth, width=n, activation=activation, seed=seed, **init)
        log_mean, rel_var = spectrum_moments(jacobian_spectrum(spec).log10_sv2)
        logs.append(log_mean)
        rels.append(rel_var)
    predicted = theory.jacobian_moments(activation, sw2, 0.0, depth, orthogonal=orthogonal)
    se = lambda v: 4 * np.std(v, ddof=1) / math.sqrt(seeds)
    assert abs(np.mean(rels) - predicted.rel_var) < se(rels) + predicted.rel_var * depth / n
    assert abs(np.mean(logs) - predicted.log10_mean) < se(logs) + 0.5 * math.log10(1 + depth / n)


def test_norms_and_impossible_depths_are_refused():
    with pytest.raises(ValueError, match="normalization"):
        jacobian_spectrum(NetworkSpec(depth=3, width=8, norm="layer"))
    with pytest.raises(ValueError, match="depths"):
        jacobian_spectrum(NetworkSpec(depth=3, width=8), depths=(0, 2))
    with pytest.raises(ValueError, match="depths"):
        jacobian_spectrum(NetworkSpec(depth=3, width=8), depths=(4,))


def test_cost_estimates_grow_with_the_cube_of_width():
    assert jacobian_flops(256, 10) == pytest.approx(8 * jacobian_flops(128, 10))
    assert jacobian_bytes(100, 10) >= 10 * 100 * 100 * 8          # at least the weights


def test_singular_values_below_float64s_range_leave_the_rest_defined():
    """GELU at sigma_w2 = 3.16, width 100: the signal runs away, phi' underflows to 0 on
    many units and the smallest singular values fall past 10^-400 within a few layers,
    where a row of the product underflows to zero. The spectrum stays defined (no NaN,
    no exception), and its top values are the explicit product's."""
    spec = NetworkSpec(depth=20, width=100, activation="gelu", weight_var=0.03162)
    got = jacobian_spectrum(spec, depths=(10, 20)).log10_sv2[:, 0]
    assert not np.isnan(got).any()
    (per,), _ = explicit_jacobians(spec, (10, 20))
    for row, jac in zip(got, per):
        top = np.linalg.svd(jac, compute_uv=False)[:3]
        assert row[:3] == pytest.approx(2 * np.log10(top), abs=1e-6)
