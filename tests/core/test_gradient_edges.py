"""Where the backward pass leaves the format's range, and why a gradient is exactly zero:
the result names the pass and the layer of every inf or NaN, and tells a gradient the
network makes zero by construction from one the format rounded away."""

import functools
import math

import numpy as np
import pytest

from core import NetworkSpec, simulate
from core.profile import profile
from core.simulate import Overflow


def first_nonfinite_going_back(log10_var: np.ndarray) -> int | None:
    """The highest layer whose log10 variance is NaN or +inf (inf or NaN among its values)."""
    bad = np.flatnonzero(np.isnan(log10_var) | np.isposinf(log10_var))
    return int(bad.max()) if bad.size else None


# Chaotic tanh (chi1 > 1): the forward pass stays in [-1, 1], the gradient outgrows
# float16 on its way back; the run names the backward pass and a layer, not the forward.
CHAOTIC16 = NetworkSpec(activation="tanh", depth=53, weight_var=1.259, bias_var=0.1, seed=1,
                        dtype="float16")


@functools.cache
def chaotic16():
    return simulate(CHAOTIC16)


def test_float16_backward_overflow_names_the_backward_pass_and_its_layer():
    spec, res = CHAOTIC16, chaotic16()
    assert res.overflow_layer is None and np.isfinite(res.log10_preact_var).all()
    assert math.isfinite(res.loss)
    layer = first_nonfinite_going_back(res.log10_grad_var)
    assert layer is not None and 0 < layer < spec.depth - 1
    assert (res.first_overflow.where, res.first_overflow.layer) == ("backward", layer)
    # the layer above it is finite, its gradient's std within 1000x of float16's largest
    assert 2 * math.log10(65504) - 6 < res.log10_grad_var[layer + 1] < 2 * math.log10(65504)
    assert profile(spec).first_overflow == res.first_overflow


def test_float16_dl_dh_and_dl_dw_overflows_are_tracked_apart():
    res = chaotic16()
    assert res.grad_overflow_layer == first_nonfinite_going_back(res.log10_grad_var)
    assert res.weight_grad_overflow_layer == first_nonfinite_going_back(
        res.log10_weight_grad_ratio)


def test_dl_dw_overflowing_before_dl_dh_is_named_with_both_layers():
    # BatchNorm's beta = 100 adds 100 to every unit of a residual stream, layer after
    # layer: dL/dW = x^T dL/dh sums those large inputs over the batch, and passes
    # float16's 65504 a few layers before dL/dh itself does
    spec = NetworkSpec(depth=12, width=8, batch=2, activation="linear", norm="batch",
                       norm_gamma=100.0, norm_beta=100.0, residual=True, dtype="float16")
    res = simulate(spec)
    assert res.overflow_layer is None and math.isfinite(res.loss)
    grad = first_nonfinite_going_back(res.log10_grad_var)
    weight = first_nonfinite_going_back(res.log10_weight_grad_ratio)
    assert weight > grad
    assert res.first_overflow == Overflow("backward", grad, weight)


def test_logits_overflow_names_the_readout():
    # saturated tanh, so the last layer is +-1; readout_scale 1000 over 1024 units puts
    # the logits' std near 3e4: some pass float16's 65504
    spec = NetworkSpec(activation="tanh", depth=3, width=1024, batch=16, weight_var=0.01,
                       readout_scale=1000.0, dtype="float16")
    res = simulate(spec)
    assert res.overflow_layer is None and np.isfinite(res.log10_act_var).all()
    assert not math.isfinite(res.loss)
    assert res.first_overflow == Overflow("readout", spec.depth - 1)


def test_float64_runs_never_report_an_overflow():
    spec = NetworkSpec(activation="linear", depth=120, width=64, batch=16, weight_var=1.0)
    res = simulate(spec)                                  # the gradient grows 64^119 = 10^215
    assert res.log10_grad_var[0] > 200 and res.first_overflow is None


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_instance_norm_over_two_positions_is_zero_by_construction_not_underflow(dtype, activation):
    # two values normalize to -gamma and +gamma, an odd phi keeps them opposite, and the
    # readout averages them: the logits are 0 for every input and the loss is ln 27
    spec = NetworkSpec(norm="instance", spatial=2, activation=activation, batch=32, dtype=dtype)
    res = simulate(spec)
    assert res.loss == pytest.approx(math.log(27), abs=2e-3)
    assert np.isneginf(res.log10_grad_var).all()
    assert res.grad_underflow_layer is None
    assert (res.grad_zero_layer, res.grad_zero_cause) == (spec.depth - 1, "readout")


def test_instance_norm_after_the_activation_fixes_the_readout_for_any_activation():
    spec = NetworkSpec(norm="instance", norm_position="after", spatial=2, activation="relu",
                       batch=32, dtype="float16")
    res = simulate(spec)
    assert np.isneginf(res.log10_grad_var).all() and res.grad_underflow_layer is None
    assert res.grad_zero_cause == "readout"


def test_every_unit_off_is_said_as_off():
    spec = NetworkSpec(activation="relu", norm="batch", norm_beta=-100.0, depth=5, batch=32)
    res = simulate(spec)
    assert np.isneginf(res.log10_grad_var).all()
    assert (res.grad_zero_layer, res.grad_zero_cause) == (4, "off")
    assert res.grad_underflow_layer is None


def test_a_gradient_float16_rounds_away_is_still_underflow():
    # tanh at sigma_w^2 = 0.5: the gradient shrinks ~0.3 decades a layer, below float16's
    # 6e-8 long before layer 1; in float64 it is nonzero
    spec = NetworkSpec(activation="tanh", depth=120, width=64, batch=16, weight_var=0.5 / 64,
                       dtype="float16")
    res = simulate(spec)
    assert np.isneginf(res.log10_grad_var[0])
    assert np.isfinite(simulate(spec.replace(dtype="float64")).log10_grad_var).all()
    assert res.grad_underflow_layer is not None and res.grad_zero_cause is None


def test_a_softmax_certain_on_every_example_is_said_as_certain_not_underflow():
    # readout_scale 1000: the one example's margin between its two logits is far past
    # float64's e^-745, so its right class gets probability exactly 1 and the loss 0
    spec = NetworkSpec(depth=1, width=2, batch=1, activation="elu", weight_var=1.0,
                       classes=2, readout_scale=1000.0, seed=1)
    res = simulate(spec)
    assert res.loss == 0.0 and np.isneginf(res.log10_grad_var).all()
    assert (res.grad_zero_layer, res.grad_zero_cause) == (0, "certain")
    assert res.grad_underflow_layer is None
