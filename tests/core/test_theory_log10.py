"""The mean-field prediction stays in log10 end to end: far below 10^-308 (a norm's eps
dominating a vanishing signal) and far above 10^308 it follows closed forms computed
here independently, in mpmath's arbitrary-range arithmetic."""

import math

import mpmath
import numpy as np
import pytest

from core import NetworkSpec, simulate
from core.norms import EPS
from core.theory import predict

mpmath.mp.dps = 30
DEPTH = 64


def closed_form(spec: NetworkSpec, factor) -> list[float]:
    """log10 q for layers 1..depth, from q_1 = sigma_w^2 (the N(0, 1) input has E x^2 = 1)
    and q_{l+1} = factor(q_l, l): the product of per-layer factors, in mpmath."""
    sw2 = mpmath.mpf(spec.sigma_w2)
    q, out = sw2, []
    for layer in range(spec.depth):
        out.append(float(mpmath.log10(q)))
        q = factor(q, sw2, mpmath.mpf(spec.norm_gamma) ** 2, mpmath.mpf(EPS), layer)
    return out


def share(v, eps):
    return v / (v + eps)


# relu(u) for u ~ N(0, s): E relu^2 = s / 2, Var relu = s (1/2 - 1/(2 pi)), so the
# stream's rho^2 is 1/pi and BatchNorm sees sigma_w^2 s (1 - 1/pi) = q (1 - 1/pi) from
# layer 2 on (layer 1 sees the input, whose mean is 0: q).
CASES = {
    "linear, no norm (10^-640)": (
        dict(activation="linear", width=100, weight_var=1e-12),
        lambda q, sw2, g2, eps, layer: sw2 * q),
    "relu, no norm (10^+512)": (
        dict(activation="relu", width=100, weight_var=1e6),
        lambda q, sw2, g2, eps, layer: sw2 * q / 2),
    "relu, LayerNorm before": (
        dict(activation="relu", norm="layer", weight_var=1e-12, norm_gamma=0.01),
        lambda q, sw2, g2, eps, layer: sw2 * g2 * share(q, eps) / 2),
    "relu, RMSNorm before": (
        dict(activation="relu", norm="rms", weight_var=1e-12, norm_gamma=0.05),
        lambda q, sw2, g2, eps, layer: sw2 * g2 * share(q, eps) / 2),
    "relu, BatchNorm before": (
        dict(activation="relu", norm="batch", weight_var=1e-12, norm_gamma=0.01),
        lambda q, sw2, g2, eps, layer: sw2 * g2 * share(q * (1 - (layer > 0) / mpmath.pi), eps) / 2),
    "linear, LayerNorm after": (
        dict(activation="linear", norm="layer", norm_position="after", weight_var=1e-12,
             norm_gamma=0.01),
        lambda q, sw2, g2, eps, layer: sw2 * g2 * share(q, eps)),
    "relu, RMSNorm after": (
        dict(activation="relu", norm="rms", norm_position="after", weight_var=1e-12,
             norm_gamma=0.01),
        lambda q, sw2, g2, eps, layer: sw2 * g2 * share(q / 2, eps)),
}


@pytest.mark.parametrize("name", CASES)
def test_prediction_follows_the_product_of_layer_factors_past_float64(name):
    fields, factor = CASES[name]
    spec = NetworkSpec(**(dict(depth=DEPTH, width=256, batch=32) | fields))
    expected = closed_form(spec, factor)
    assert abs(expected[-1]) > 400                              # far past float64's range
    np.testing.assert_allclose(predict(spec).log10_preact_var, expected, rtol=0, atol=1e-9)


def test_batchnorm_example_far_below_eps_is_not_stuck_at_float64s_floor():
    spec = NetworkSpec(depth=64, width=256, batch=32, activation="relu", weight_var=1e-12,
                       norm="batch", norm_gamma=0.01)
    pred = predict(spec).log10_preact_var
    steps = np.diff(pred)
    # each layer: sigma_w^2 gamma^2 (1/2 - 1/(2 pi)) / eps once the signal is below eps
    per_layer = math.log10(spec.sigma_w2 * 1e-4 * (0.5 - 0.5 / math.pi) / EPS)
    np.testing.assert_allclose(steps[5:], per_layer, rtol=0, atol=1e-9)
    assert pred[-1] < -570


def test_gradient_prediction_through_a_norm_far_below_eps_is_exact():
    # LayerNorm before relu: chi1 = sigma_w^2 gamma^2 E[relu'^2] / (q + eps), relu'^2 = 1/2
    spec = NetworkSpec(depth=DEPTH, width=256, activation="relu", norm="layer",
                       weight_var=1e-12, norm_gamma=0.01)
    pred = predict(spec)
    q = closed_form(spec, CASES["relu, LayerNorm before"][1])
    log_chi = [float(mpmath.log10(spec.sigma_w2 * 1e-4 / 2 / (mpmath.mpf(10) ** lq + EPS)))
               for lq in q]
    np.testing.assert_allclose(np.log10(pred.chi1), log_chi, rtol=0, atol=1e-9)
    # dL/dh_l = chi_l dL/dh_{l+1} in variance: layer l gets chi_l ... chi_{depth-1}
    below_last = [sum(log_chi[k:-1]) for k in range(spec.depth)]
    assert below_last[0] < -500
    np.testing.assert_allclose(pred.log10_grad_var, below_last, rtol=0, atol=1e-7)


def test_prediction_and_simulation_agree_far_below_float64s_range():
    # LayerNorm before relu with the signal far below eps: both reach ~10^-570
    spec = NetworkSpec(depth=DEPTH, width=256, batch=32, activation="relu", norm="layer",
                       weight_var=1e-12, norm_gamma=0.01)
    pred = predict(spec)
    assert pred.covers_forward
    sim = simulate(spec).log10_preact_var
    assert sim[-1] < -500
    np.testing.assert_allclose(sim, pred.log10_preact_var, rtol=0, atol=0.3)
