"""Every weight-init scheme against the formulas of FACTS.md (torch.nn.init), within
sampling error; uniform schemes within their bound; orthogonal is orthogonal."""

import math

import numpy as np
import pytest

from core import NetworkSpec, initializers, make_params
from core.initializers import SCHEMES, sample_weights

FAN_IN, FAN_OUT = 300, 700          # rectangular, so fan_in and fan_out modes differ

# FACTS.md, written out here independently: (variance, uniform bound or None)
def expected(scheme, fan_in, fan_out, gain, custom_var):
    if scheme == "custom":
        return custom_var, None
    if scheme == "xavier_normal":
        return (gain * math.sqrt(2 / (fan_in + fan_out))) ** 2, None
    if scheme == "xavier_uniform":
        b = gain * math.sqrt(6 / (fan_in + fan_out))
        return b * b / 3, b
    if scheme == "kaiming_normal":
        return (gain / math.sqrt(fan_in)) ** 2, None
    if scheme == "kaiming_normal_fan_out":
        return (gain / math.sqrt(fan_out)) ** 2, None
    if scheme == "kaiming_uniform":
        b = math.sqrt(3) * gain / math.sqrt(fan_in)
        return b * b / 3, b
    if scheme == "kaiming_uniform_fan_out":
        b = math.sqrt(3) * gain / math.sqrt(fan_out)
        return b * b / 3, b
    if scheme == "lecun_normal":
        return 1 / fan_in, None
    if scheme == "torch_default":
        b = 1 / math.sqrt(fan_in)
        return b * b / 3, b
    if scheme == "orthogonal":       # squared Frobenius norm gain^2 min(m, n) over m n entries
        return gain**2 * min(fan_in, fan_out) / (fan_in * fan_out), None
    raise AssertionError(scheme)


SAMPLED = [s for s in SCHEMES if s != "orthogonal"]


@pytest.mark.parametrize("scheme", SAMPLED)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_empirical_variance_matches_formula(scheme, gain):
    rng = np.random.default_rng(7)
    w = sample_weights(scheme, FAN_IN, FAN_OUT, rng, gain=gain, custom_var=0.37)
    assert w.shape == (FAN_IN, FAN_OUT)
    var, bound = expected(scheme, FAN_IN, FAN_OUT, gain, 0.37)
    assert initializers.weight_var(scheme, FAN_IN, FAN_OUT, gain, 0.37) == pytest.approx(var, rel=1e-14)
    n = w.size
    # Sample variance of n iid draws: relative sd sqrt((kurtosis - 1) / n); kurtosis 3
    # (normal) or 9/5 (uniform). Mean: sd sqrt(var / n). Five standard errors each.
    kurt = 9 / 5 if bound is not None else 3.0
    assert abs(w.var() / var - 1) < 5 * math.sqrt((kurt - 1) / n)
    assert abs(w.mean()) < 5 * math.sqrt(var / n)
    # the shape of the distribution: sample kurtosis (sd ~ sqrt(24 / n) for a normal,
    # smaller for a uniform) tells the two families apart
    k = np.mean((w - w.mean()) ** 4) / w.var() ** 2
    assert abs(k - kurt) < 5 * math.sqrt(24 / n)
    if bound is not None:
        assert np.all(np.abs(w) <= bound)
        # the largest of n uniform |values| falls short of b by ~ b / n
        assert np.abs(w).max() > bound * (1 - 20 / n)


@pytest.mark.parametrize("scheme", ["xavier_uniform", "kaiming_uniform", "kaiming_uniform_fan_out",
                                    "torch_default"])
def test_uniform_bound_function(scheme):
    gain = 1.3
    var, bound = expected(scheme, FAN_IN, FAN_OUT, gain, 1.0)
    if scheme == "torch_default":
        gain = 1.0
    assert initializers.uniform_bound(scheme, FAN_IN, FAN_OUT, gain) == pytest.approx(bound, rel=1e-14)


def test_torch_default_bound_is_one_over_sqrt_fan_in():
    rng = np.random.default_rng(3)
    w = sample_weights("torch_default", 400, 50, rng, gain=7.0)      # gain is ignored
    assert np.abs(w).max() <= 1 / math.sqrt(400)
    assert np.abs(w).max() > (1 / math.sqrt(400)) * (1 - 20 / w.size)
    assert initializers.uniform_bound("torch_default", 400, 400) == pytest.approx(0.05)   # and its bias: U(+-1/sqrt(fan_in))


@pytest.mark.parametrize("scheme", sorted(initializers.GAINLESS))
def test_gainless_schemes_ignore_gain(scheme):
    a = initializers.weight_var(scheme, 64, 32, gain=1.0, custom_var=0.2)
    b = initializers.weight_var(scheme, 64, 32, gain=4.0, custom_var=0.2)
    assert a == b


@pytest.mark.parametrize("shape", [(50, 50), (80, 30), (30, 80), (1, 7), (7, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal(shape, gain):
    rng = np.random.default_rng(11)
    w = sample_weights("orthogonal", *shape, rng, gain=gain)
    assert w.shape == shape
    rows, cols = shape
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(shape)), atol=1e-12)
    var, _ = expected("orthogonal", rows, cols, gain, 1.0)
    assert np.mean(w**2) == pytest.approx(var, rel=1e-12)


def test_orthogonal_is_haar_distributed():
    """Haar: every entry of a random n x n orthogonal matrix has mean 0 and E[q^2] = 1/n.
    (QR of a Gaussian without the sign fix gives a biased sign on the diagonal.)"""
    rng = np.random.default_rng(5)
    n, reps = 3, 3000
    q = np.array([sample_weights("orthogonal", n, n, rng) for _ in range(reps)])
    sd = math.sqrt(1 / n / reps)            # sd of the mean of q_ij (Var q_ij = 1/n)
    assert np.all(np.abs(q.mean(axis=0)) < 5 * sd)
    # E[q^2] = 1/n per entry; Var(q^2) = E q^4 - 1/n^2 = 3/(n(n+2)) - 1/n^2
    sd2 = math.sqrt((3 / (n * (n + 2)) - 1 / n**2) / reps)
    assert np.all(np.abs((q**2).mean(axis=0) - 1 / n) < 5 * sd2)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_network_weights_follow_the_spec(scheme):
    """make_params draws every layer from the spec's scheme with the activation's gain."""
    spec = NetworkSpec(depth=4, width=300, batch=2, activation="tanh", init=scheme,
                       weight_var=0.05, seed=2)
    var, bound = expected(scheme, 300, 300, 5 / 3 if scheme not in initializers.GAINLESS else 1.0,
                          0.05)
    assert spec.effective_weight_var == pytest.approx(var, rel=1e-14)
    assert spec.sigma_w2 == pytest.approx(300 * var, rel=1e-14)
    w = np.stack(make_params(spec).weights)
    assert w.shape == (4, 300, 300)
    if scheme == "orthogonal":
        for layer in w:
            np.testing.assert_allclose(layer.T @ layer, (5 / 3) ** 2 * np.eye(300), atol=1e-11)
        return
    kurt = 9 / 5 if bound is not None else 3.0
    assert abs(w.var() / var - 1) < 5 * math.sqrt((kurt - 1) / w.size)
    if bound is not None:
        assert np.all(np.abs(w) <= bound)


def test_explicit_gain_overrides_activation_gain():
    spec = NetworkSpec(width=100, activation="tanh", init="kaiming_normal", gain=3.0)
    assert spec.effective_weight_var == pytest.approx(9 / 100)
    spec = NetworkSpec(width=100, activation="relu", init="kaiming_normal")
    assert spec.effective_weight_var == pytest.approx(2 / 100)       # He
    assert spec.sigma_w2 == pytest.approx(2.0)


def test_unknown_scheme_raises():
    with pytest.raises(ValueError, match="glorot"):
        initializers.weight_var("glorot", 3, 3)


@pytest.mark.parametrize("init", ["kaiming_uniform", "xavier_normal", "torch_default"])
def test_make_params_draws_the_documented_stream(init):
    """make_params scales cached unscaled draws; the numbers must be exactly those of one
    default_rng(seed) drawing x0, then each weight as rng.uniform(-b, b) / rng.normal(0, std),
    then w_out and the labels (the stream its docstring states)."""
    spec = NetworkSpec(depth=3, width=6, batch=5, init=init, seed=11)
    rng = np.random.default_rng(11)
    x0 = rng.standard_normal((5, 1, 6))
    if init in initializers.UNIFORM:
        b = initializers.uniform_bound(init, 6, 6, spec.effective_gain)
        ws = [rng.uniform(-b, b, (6, 6)) for _ in range(3)]
    else:
        ws = [rng.normal(0.0, math.sqrt(spec.effective_weight_var), (6, 6)) for _ in range(3)]
    w_out = rng.standard_normal((6, spec.classes))
    got = make_params(spec)
    assert np.array_equal(got.x0, x0) and np.array_equal(got.w_out, w_out)
    for g, w in zip(got.weights, ws):
        assert np.array_equal(g, w)
    assert np.array_equal(got.labels, rng.integers(0, spec.classes, 5))
