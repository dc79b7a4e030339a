"""Precision: float64 runs stay exact in log10 beyond float64's range (both ways);
float16 overflows where the variance growth says it must; float64 never overflows."""

import math

import numpy as np
import pytest

from core import NetworkSpec, activations, simulate

from .reference import e_log_chi2, var_log_chi2

LOG10_FIELDS = ("log10_preact_var", "log10_act_var", "log10_out_var", "log10_grad_var",
                "log10_weight_grad_ratio")


def assert_log_fields_finite(res):
    for name in LOG10_FIELDS:
        assert np.all(np.isfinite(getattr(res, name))), name
    assert math.isfinite(res.log10_loss) and not math.isnan(res.loss)
    assert res.overflow_layer is None


def reference_log10_vars(spec, t):
    """An independent scaled-arithmetic re-run of a plain network (no norm, no residual,
    no bias) from the kept inputs and weights: every layer's stored values are divided
    by 10**k whenever their rms leaves [1e-10, 1e10], with k tracked exactly. Far below
    the float64 range phi(u) = phi'(0) u (to relative ~u^2 < 1e-40, tiny for |u| < 1e-20),
    so there the activation is its one-sided slope at 0 (selu's differ); forward and
    backward variances in log10."""
    act = activations.get(spec.activation)
    homog = act.homogeneous

    def settle(v, k):
        r = math.sqrt(np.mean(v * v))
        if r > 1e10 or r < 1e-10:
            e = math.floor(math.log10(r))
            return v / 10.0**e, k + e
        return v, k

    x, k = t["x0"].reshape(-1, spec.width), 0
    pre, acts, local = [], [], []
    for w in t["weights"]:
        h, k = settle(x @ w, k)
        pre.append(math.log10(np.var(h)) + 2 * k)
        if homog:
            a = act.fn(h)
            d = act.deriv(h)
        elif k < -20:
            d = act.deriv(np.where(h > 0, 1e-300, -1e-300))
            a = d * h
        else:
            a, d = act.fn(h * 10.0**k), act.deriv(h * 10.0**k)
            k = 0
        a, k = settle(a, k)
        acts.append(math.log10(np.var(a)) + 2 * k)
        local.append(d)
        x = a
    # backward from the kept last-layer gradient dL/dh
    g = t["grad_preact"][-1].reshape(-1, spec.width)
    gk = t["grad_preact_log10_scale"][-1]
    grads = [math.log10(np.var(g)) + 2 * gk]
    for layer in range(spec.depth - 2, -1, -1):
        g, gk = settle((g @ t["weights"][layer + 1].T) * local[layer], gk)
        grads.insert(0, math.log10(np.var(g)) + 2 * gk)
    return np.array(pre), np.array(acts), np.array(grads)


@pytest.mark.parametrize("case", ["huge_linear", "tiny_linear", "tiny_tanh", "tiny_gelu",
                                  "tiny_silu", "tiny_elu", "tiny_selu", "huge_relu"])
def test_log10_variances_exact_beyond_float64(case):
    kind, activation = case.split("_")
    # huge: width 100, Var(W) = 10, 150 layers: variance ~1e450
    # tiny: width 100, Var(W) = 1e-4: x0.01 per layer, ~1e-400 after 200 layers
    var_w, depth = (10.0, 150) if kind == "huge" else (1e-4, 200)
    if activation == "relu":
        var_w = 20.0                              # relu halves: same 1e3 growth per layer
    spec = NetworkSpec(depth=depth, width=100, batch=8, activation=activation,
                       weight_var=var_w, seed=1)
    res = simulate(spec, keep_tensors=True)
    assert_log_fields_finite(res)
    pre, acts, grads = reference_log10_vars(spec, res.tensors)
    # the reference's own error: float64 rounding compounded over the layers, ~1e-13 in log10
    np.testing.assert_allclose(res.log10_preact_var, pre, atol=1e-9)
    np.testing.assert_allclose(res.log10_act_var, acts, atol=1e-9)
    np.testing.assert_allclose(res.log10_grad_var, grads, atol=1e-9)
    if kind == "huge":
        assert res.log10_preact_var[-1] > 400
    else:
        assert res.log10_act_var[-1] < -320           # below float64's smallest normal, 1e-308


def test_huge_case_expected_value():
    """One example per network: log10 var after 150 layers has mean
    150 log10(10) + [150 E ln chi2_100 + E ln chi2_99 - ln 100] / ln 10 (about 449.4,
    the drift of E ln(chi2_n / n) = digamma(n/2) + ln(2/n) taking ~0.65 off 450)."""
    n, depth, seeds = 100, 150, 12
    got = np.array([simulate(NetworkSpec(depth=depth, width=n, batch=1, activation="linear",
                                         weight_var=10.0, seed=s)).log10_preact_var[-1]
                    for s in range(seeds)])
    ln10 = math.log(10)
    mean = (depth * math.log(10.0) + depth * e_log_chi2(n) + e_log_chi2(n - 1) - math.log(n)) / ln10
    sd = math.sqrt(depth * var_log_chi2(n) + var_log_chi2(n - 1)) / ln10
    assert 449 < mean < 450
    assert abs(got.mean() - mean) < 4 * sd / math.sqrt(seeds)


def expected_abs_max(n):
    """m with P(|z| > m) = 1/n for z ~ N(0, 1): where the largest of n |z| sits."""
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if math.erfc(mid / math.sqrt(2)) > 1 / n else (lo, mid)
    return lo


def test_float16_overflows_at_the_predicted_layer():
    """Linear, width 256, Var(W) = 4/256: the std doubles every layer. The first layer whose
    largest |h| passes 65520 (float16 rounds that and beyond to inf) is where
    std_l * m >= 65520, std_l^2 = 4^(l+1) * exp((l+1) E ln(chi2_N / N)), m from the
    batch's batch*width values. One layer is a factor 2 in std; the run's own
    fluctuation of ln std (sd 0.5 sqrt(l * 2 / N) ~ 0.17) is a quarter of that."""
    n, batch = 256, 64
    spec = NetworkSpec(depth=30, width=n, batch=batch, activation="linear",
                       weight_var=4.0 / n, dtype="float16", seed=0)
    m = expected_abs_max(batch * n)
    drift = e_log_chi2(n) - math.log(n)
    expected = next(l for l in range(100)
                    if 0.5 * (l + 1) * (math.log(4.0) + drift) + math.log(m) >= math.log(65520))
    res = simulate(spec)
    assert res.overflow_layer is not None
    assert abs(res.overflow_layer - expected) <= 1
    # the float64 run of the same network does not overflow; its largest |h| crosses
    # float16's limit exactly at the reported layer (float16's rounding, 2^-11 relative
    # per operation, moves the values by ~1% over these layers)
    res64 = simulate(spec.replace(dtype="float64"), keep_tensors=True)
    assert res64.overflow_layer is None
    t = res64.tensors
    peak = [np.abs(t["preact"][l]).max() * 10.0 ** t["preact_log10_scale"][l]
            for l in range(spec.depth)]
    assert peak[res.overflow_layer] > 65504 * 0.98
    assert peak[res.overflow_layer - 1] < 65520 * 1.02


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_low_precision_overflow_reported_and_float64_never(dtype):
    spec = NetworkSpec(depth=60, width=100, batch=16, activation="linear", weight_var=1.0,
                       dtype=dtype, seed=0)
    res = simulate(spec)
    # std x10 per layer: float32 (max 3.4e38) goes at ~layer 37, float16 (65504) at ~4
    limit = 38.5 if dtype == "float32" else 4.8
    m = expected_abs_max(16 * 100)
    expected = math.ceil(limit - math.log10(m)) - 1
    assert abs(res.overflow_layer - expected) <= 1
    assert simulate(spec.replace(dtype="float64")).overflow_layer is None


def test_low_precision_without_overflow_reports_none():
    spec = NetworkSpec(depth=5, width=32, batch=8, activation="tanh", dtype="float16", seed=0)
    assert simulate(spec).overflow_layer is None


LOW_PRECISION_SPECS = [
    dict(activation="tanh", norm="layer", bias_var=0.1),
    dict(activation="relu", norm="batch", norm_position="after", residual=True, residual_scale=0.5),
    dict(activation="gelu", norm="group", groups=4, spatial=2, norm_gamma=1.5, norm_beta=0.3),
    dict(activation="sigmoid", init="xavier_uniform", input_dist="uniform"),
    dict(activation="selu", init="lecun_normal", norm="rms", residual=True),
]


@pytest.mark.parametrize("kw", LOW_PRECISION_SPECS)
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-4), ("float16", 3e-2)])
def test_low_precision_runs_compute_the_same_network(kw, dtype, tol):
    """Where nothing overflows, float32/16 give float64's statistics to their precision:
    log10 variances within ~10 x (eps * depth) (float32 eps 1.2e-7, float16 9.8e-4)."""
    spec = NetworkSpec(depth=6, width=32, batch=16, weight_var=1.0 / 32, seed=4, **kw)
    ref = simulate(spec)
    low = simulate(spec.replace(dtype=dtype))
    assert low.overflow_layer is None
    for name in ("log10_preact_var", "log10_act_var", "log10_out_var", "log10_grad_var"):
        np.testing.assert_allclose(getattr(low, name), getattr(ref, name), atol=tol, err_msg=name)
    assert low.loss == pytest.approx(ref.loss, rel=tol)


@pytest.mark.parametrize("activation", ["linear", "tanh", "relu"])
def test_residual_stream_exact_beyond_float64(activation):
    """x_{l+1} = x_l + alpha phi(x_l W): with Var(W) = 1 at width 64 the variance grows
    x(1 + alpha^2 64 c) per layer (c = 1 linear, 1/2 relu), past 1e308 within 350 layers
    (tanh's stream only grows additively); re-derived with independent scaled arithmetic."""
    spec = NetworkSpec(depth=350, width=64, batch=4, activation=activation, weight_var=1.0,
                       residual=True, residual_scale=0.5, seed=5)
    res = simulate(spec, keep_tensors=True)
    assert_log_fields_finite(res)
    act = activations.get(activation)
    t = res.tensors
    x, k = t["x0"].reshape(-1, spec.width), 0.0
    for layer, w in enumerate(t["weights"]):
        h = x @ w                                       # true h = h * 10**k
        if act.homogeneous:
            a, ka = act.fn(h), k
        else:                                           # |h| >> 1: tanh is +-1 there
            a, ka = act.fn(h * 10.0**k) if k < 300 else np.sign(h), 0.0
        top = max(k, ka)
        x = x * 10.0 ** (k - top) + 0.5 * a * 10.0 ** (ka - top)
        k = top
        e = math.floor(math.log10(math.sqrt(np.mean(x * x))))
        x, k = x / 10.0**e, k + e
        assert res.log10_out_var[layer] == pytest.approx(math.log10(np.var(x)) + 2 * k, abs=1e-9)
    if act.homogeneous:
        assert res.log10_out_var[-1] > 320
