"""The update rules (core.train.optimizers) against their closed forms: SGD on a
quadratic, momentum's geometric series under a constant gradient, and Adam's bias
correction, which makes its step exactly lr * sign(g) (up to eps) under one."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.train import optimizers
from core.train.optimizers import ADAM_EPS, SGD_MOMENTUM, Adam, Momentum, SGD

LR = 0.05


def _steps(rule, grad_of, p0, steps):
    """p after `steps` updates of `rule`, the gradient at p given by grad_of(p)."""
    p = np.array(p0, dtype=float)
    opt = rule([p], lr=LR)
    for t in range(1, steps + 1):
        p -= opt.delta(0, grad_of(p), t)
    return p


@pytest.mark.parametrize("curvature", [0.5, 2.0, 30.0])
def test_sgd_on_a_quadratic_contracts_by_one_minus_lr_times_curvature(curvature):
    """f(p) = a p^2 / 2: p_t = p_0 (1 - lr a)^t."""
    p = _steps(SGD, lambda p: curvature * p, [1.0, -3.0], 40)
    np.testing.assert_allclose(p, np.array([1.0, -3.0]) * (1 - LR * curvature) ** 40, rtol=1e-10)


def test_momentum_under_a_constant_gradient_sums_a_geometric_series():
    """b_t = g (1 + mu + ... + mu^(t-1)) = g (1 - mu^t) / (1 - mu)."""
    g = np.array([2.0, -0.5])
    opt = Momentum([np.zeros(2)], lr=LR)
    for t in range(1, 60):
        expected = LR * g * (1 - SGD_MOMENTUM**t) / (1 - SGD_MOMENTUM)
        np.testing.assert_allclose(opt.delta(0, g, t), expected, rtol=1e-12)


@given(st.floats(1e-3, 1e3), st.integers(1, 200))
def test_adam_under_a_constant_gradient_steps_lr_times_its_sign(size, steps):
    """With g constant, the bias-corrected m and v are g and g^2 at every step, so each
    step is lr g / (|g| + eps), whatever the gradient's size."""
    g = np.array([size, -size])
    opt = Adam([np.zeros(2)], lr=LR)
    for t in range(1, steps + 1):
        delta = opt.delta(0, g, t)
    np.testing.assert_allclose(delta, LR * g / (np.abs(g) + ADAM_EPS), rtol=1e-9)


def test_each_rule_keeps_as_many_state_arrays_as_it_declares():
    params = [np.zeros((3, 2)), np.zeros(4)]
    for name in optimizers.OPTIMIZERS:
        opt = optimizers.make(name, params, LR)
        assert len(opt.state) == optimizers.OPTIMIZER_BUFFERS[name]
        assert all(a.shape == p.shape for buf in opt.state for a, p in zip(buf, params))
    assert optimizers.OPTIMIZER_BUFFERS == {"sgd": 0, "momentum": 1, "adam": 2}
