"""Where a format rounds a varying signal to one value, the run says so: an -inf
variance is never passed off as dead units, nor drawn as data."""

import numpy as np
from hypothesis import given, settings, strategies as st

from core.simulate import simulate
from core.spec import NetworkSpec


def _explained(res) -> bool:
    """Every exactly-zero variance is a rounding the run reports, or relu switching every
    unit off (the only activation with an exact zero)."""
    curves = (res.log10_preact_var, res.log10_act_var, res.log10_grad_var)
    if not any(np.isneginf(c).any() for c in curves):
        return True
    if res.underflow_layer is not None or res.grad_underflow_layer is not None:
        return True
    return res.activation.exact_zero_side


@settings(max_examples=60, deadline=None)
@given(activation=st.sampled_from(["elu", "selu", "gelu", "silu", "tanh", "sigmoid"]),
       norm=st.sampled_from(["none", "batch", "layer"]),
       beta=st.sampled_from([0.0, -5.0, -50.0]), gamma=st.sampled_from([1.0, 10.0, 50.0]),
       log_var=st.floats(-4, 3), bias_var=st.sampled_from([0.0, 1.0, 100.0]),
       depth=st.integers(2, 20), width=st.sampled_from([4, 16]))
def test_float64_zeros_are_reported(activation, norm, beta, gamma, log_var, bias_var,
                                    depth, width):
    spec = NetworkSpec(activation=activation, norm=norm, norm_beta=beta, norm_gamma=gamma,
                       weight_var=10.0 ** log_var, bias_var=bias_var, depth=depth,
                       width=width, batch=8)
    assert _explained(simulate(spec))


def test_elu_pinned_at_its_limit_rounds_in_float64():
    """BatchNorm with beta = -50 puts every elu input near -50, where elu = -1 + e^-50:
    the e^-50 ~ 2e-22 is below float64's resolution at 1 (2.2e-16), so every value is
    exactly -1. The run names the layer where that first happens."""
    spec = NetworkSpec(activation="elu", norm="batch", norm_beta=-50.0, depth=4, width=16)
    res = simulate(spec)
    assert np.isneginf(res.log10_act_var).any()
    assert res.underflow_layer == int(np.flatnonzero(np.isneginf(res.log10_act_var))[0])
