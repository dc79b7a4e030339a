"""Linear and ReLU networks against their closed forms (FACTS.md), within sampling error.

One example per network (batch 1), many independent networks. Given the layer input x,
h = x W has iid N(0, Var(W) |x|^2) entries, so exactly

    linear: var_l = Var(W)^(l+1) |x_0|^2 prod_{k<l} chi2_N  chi2_{N-1} / N
    relu:   var_l = Var(W)^(l+1) |x_0|^2 prod_{k<l} S_k     chi2_{N-1} / N

with |x_0|^2 ~ chi2_N, S = sum_j relu(z_j)^2 = chi2_K, K ~ Binomial(N, 1/2), all factors
independent (np.var's centring turns the last chi2_N into chi2_{N-1}). The expected log
therefore carries the finite-width drift E ln(chi2_n / n) = digamma(n/2) + ln(2/n) < 0.
"""

import math

import numpy as np
import pytest

from core import NetworkSpec, simulate

from .reference import e_log_chi2, relu_square_sum_log_moments, var_log_chi2

LN10 = math.log(10)


def runs(seeds, **kw):
    return np.array([simulate(NetworkSpec(batch=1, seed=s, **kw)).log10_preact_var
                     for s in range(seeds)])


def check_log_moments(log10_vars, mean_ln, var_ln):
    """Per layer: the sample mean of ln var within 4 standard errors of the exact mean,
    and the sample variance within 4 of its standard errors (sqrt(2 / (S - 1)) relative
    for near-normal ln var)."""
    s = log10_vars.shape[0]
    ln_vars = log10_vars * LN10
    for layer in range(ln_vars.shape[1]):
        se = math.sqrt(var_ln[layer] / s)
        assert abs(ln_vars[:, layer].mean() - mean_ln[layer]) < 4 * se, layer
        assert ln_vars[:, layer].var(ddof=1) == pytest.approx(var_ln[layer],
                                                              rel=4 * math.sqrt(2 / (s - 1)))


def test_linear_width_100_unit_weights_reaches_1e20():
    n, depth, seeds, var_w = 100, 10, 200, 1.0
    got = runs(seeds, depth=depth, width=n, activation="linear", weight_var=var_w)
    mean_ln = [(l + 1) * (math.log(var_w) + e_log_chi2(n)) + e_log_chi2(n - 1) - math.log(n)
               for l in range(depth)]
    var_ln = [(l + 1) * var_log_chi2(n) + var_log_chi2(n - 1) for l in range(depth)]
    check_log_moments(got, mean_ln, var_ln)
    # FACTS: 100^10 = 1e20, up to the drift 10 * (digamma(50) + ln(2/100)) / ln 10 = -0.044
    drift = mean_ln[-1] / LN10 - 20
    assert -0.06 < drift < -0.04
    assert abs(got[:, -1].mean() - 20) < abs(drift) + 4 * math.sqrt(var_ln[-1] / seeds) / LN10


def test_linear_networks_are_homogeneous_in_the_weight_scale():
    """Same seed, Var(W) 1 and 0.001: every layer's variance differs by exactly
    0.001^(l+1). FACTS: Var(W) = 0.001 at width 100 gives 1e-10 after 10 layers."""
    for seed in range(5):
        base = simulate(NetworkSpec(depth=10, width=100, batch=8, activation="linear",
                                    weight_var=1.0, seed=seed)).log10_preact_var
        small = simulate(NetworkSpec(depth=10, width=100, batch=8, activation="linear",
                                     weight_var=0.001, seed=seed)).log10_preact_var
        np.testing.assert_allclose(small - base, -3.0 * np.arange(1, 11), atol=1e-9)
        assert abs(small[-1] + 10) < 0.5        # one network: ~ -10 up to its own noise


def test_relu_he_init_keeps_variance_and_halves_second_moment():
    """FACTS: relu halves the second moment, q' = N Var(W) q / 2; He (Var(W) = 2/N) is
    the fixed point."""
    n, depth, seeds = 100, 10, 200
    var_w = 2.0 / n
    got = runs(seeds, depth=depth, width=n, activation="relu", weight_var=var_w)
    e_s, v_s = relu_square_sum_log_moments(n)
    assert abs(e_s - math.log(n / 2)) < 3 / n            # E ln S -> ln(N/2): the halving
    mean_ln = [(l + 1) * math.log(var_w) + e_log_chi2(n) + l * e_s + e_log_chi2(n - 1)
               - math.log(n) for l in range(depth)]
    var_ln = [var_log_chi2(n) + l * v_s + var_log_chi2(n - 1) for l in range(depth)]
    check_log_moments(got, mean_ln, var_ln)
    # the first pre-activation has variance N Var(W) Var(x_0) = 2, and He keeps E[var]
    # there (test below); the expected log drifts down by E ln(2S/N) ~ -2.5/N per layer
    assert mean_ln[-1] / LN10 < math.log10(2)


@pytest.mark.parametrize("activation,input_dist,var_w,var_b", [
    ("relu", "uniform", 0.016, 0.4), ("linear", "normal", 0.016, 0.4),
    ("relu", "normal", 0.016, 0.4), ("relu", "normal", 0.02, 0.0)])     # the last: He
def test_expected_variance_follows_recursion_with_bias(activation, input_dist, var_w, var_b):
    """E[var] is exactly linear: with h_j ~ N(0, Var(W)|x|^2 + var_b) given x,
    m_{l+1} = Var(W) E|phi(h_l)|^2 + var_b = N Var(W) m_l c + var_b (c = 1/2 relu, 1
    linear), m_0 = N Var(W) E[x^2] + var_b, and E[np.var(h_l)] = m_l (1 - 1/N)."""
    n, depth, seeds = 100, 8, 200
    res = [simulate(NetworkSpec(depth=depth, width=n, batch=1, activation=activation,
                                weight_var=var_w, bias_var=var_b, input_dist=input_dist,
                                seed=s)) for s in range(seeds)]
    v = np.array([r.preact_var for r in res])
    c = 0.5 if activation == "relu" else 1.0
    m = n * var_w * (1.0 if input_dist == "normal" else 1 / 3) + var_b
    for layer in range(depth):
        # standard error of the mean over independent networks, from the sample itself
        se = v[:, layer].std(ddof=1) / math.sqrt(seeds)
        assert abs(v[:, layer].mean() - m * (1 - 1 / n)) < 4 * se, layer
        m = n * var_w * c * m + var_b
