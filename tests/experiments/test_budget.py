"""core.budget: comparisons shrink the batch, then the width, keeping fan_in x Var(W)."""

from dataclasses import replace

import pytest

from core import NetworkSpec
from core.experiments import budget
from ui import capacity

VIEW, FORWARD_VIEW = capacity.VIEW, capacity.FORWARD_VIEW



def test_defaults_are_untouched():
    spec = NetworkSpec()
    assert budget.fit(spec, 6, VIEW) == (spec, ())      # the largest lineup: six norms
    assert budget.fit(spec, 1, FORWARD_VIEW, examples=5000, weight_draws=1) == (spec, ())


def test_batch_halves_before_the_width():
    spec = NetworkSpec(depth=50, width=256, batch=1024)
    small, fixes = budget.fit(spec, 6, VIEW)
    assert small.width == 256 and small.batch < 1024
    assert [(f.field, f.asked, f.used) for f in fixes] == [("batch", 1024, small.batch)]
    assert 6 * small.depth * small.width**2 * small.batch <= VIEW.macs


@pytest.mark.parametrize("init", ["custom", "kaiming_normal", "torch_default"])
def test_width_shrinks_with_the_same_factor(init):
    spec = NetworkSpec(depth=200, width=1024, batch=4, init=init, weight_var=0.003)
    small, fixes = budget.fit(spec, 6, VIEW)
    assert small.width < 1024
    assert [(f.field, f.asked, f.used, f.why) for f in fixes] == [("width", 1024, small.width, "budget")]
    assert small.sigma_w2 == pytest.approx(spec.sigma_w2)
    assert 6 * small.depth * small.width**2 <= VIEW.weights


def test_examples_mode_keeps_the_batch():
    spec = NetworkSpec(depth=100, width=512, batch=256)
    small, fixes = budget.fit(spec, 1, VIEW, examples=12 * 256, weight_draws=1)
    assert small.batch == 256 and small.width < 512
    assert 12 * 256 * small.depth * small.width**2 <= VIEW.macs


def test_groups_follow_the_width():
    spec = NetworkSpec(depth=200, width=768, batch=4, norm="group", groups=3)
    small, _ = budget.fit(spec, 6, VIEW)
    assert small.width % small.groups == 0


def test_small_width_pays_for_its_values():
    """Depth 200, width 21, batch 1024 x 16 positions: few products, but 69 million
    layer values (each touched by every element-wise pass, several held for backward).
    The batch shrinks until the values fit; the width and depth stay."""
    spec = NetworkSpec(depth=200, width=21, batch=1024, spatial=16, norm="batch",
                       residual=True, activation="gelu")
    small, fixes = budget.fit(spec, 1, VIEW)
    values = small.depth * small.batch * small.spatial * small.width
    work, fixed = budget.ACTIVATION_WORK["gelu"], small.depth * budget.LAYER_VALUES
    assert values * work + fixed <= VIEW.values < 2 * values * work + fixed  # halved just enough
    assert values <= VIEW.held
    assert (small.width, small.depth) == (21, 200)
    assert [(f.field, f.asked) for f in fixes] == [("batch", 1024)]


def test_eval_batches_are_cut_to_the_budget():
    spec = NetworkSpec(depth=200, width=16, batch=1024, spatial=16)
    assert budget.affordable_batches(spec, 200, FORWARD_VIEW) == 1
    spec = NetworkSpec()
    per_batch = spec.depth * spec.batch * spec.width
    k = budget.affordable_batches(spec, 10**6, FORWARD_VIEW)
    assert k * per_batch <= FORWARD_VIEW.values < (k + 1) * per_batch
    assert budget.affordable_batches(spec, 3, FORWARD_VIEW) == 3


def test_every_layer_of_every_run_pays_a_fixed_cost():
    """At small batches a layer costs its hundred-odd NumPy calls, not its values: a deep
    six-network lineup halves its batch until values and fixed costs fit together, no
    further; a light budget the fixed cost alone exceeds takes the smallest batch and
    leaves the width alone (a narrower layer costs the same calls)."""
    spec = NetworkSpec(depth=60)
    small, _ = budget.fit(spec, 6, VIEW)

    def work(batch):
        return 6 * spec.depth * (batch * spec.width + budget.LAYER_VALUES)
    assert work(small.batch) <= VIEW.values < work(2 * small.batch)
    assert 6 * spec.depth * 2 * small.batch * spec.width <= VIEW.values   # values alone: 2x
    light, _ = budget.fit(NetworkSpec(depth=200), 1, replace(VIEW, values=4e5, held=4e5))
    assert (light.batch, light.width) == (budget.MIN_BATCH, 100)


@pytest.mark.parametrize("activation", ["linear", "tanh", "relu", "sigmoid", "gelu", "silu",
                                        "elu", "selu", "leaky_relu"])
@pytest.mark.parametrize("depth", [10, 30, 48, 60])
def test_costlier_activations_pay_with_their_batch(activation, depth):
    """A lineup's values weigh ACTIVATION_WORK times tanh's (GELU's Phi, the exps of
    sigmoid and its kin): the batch halves until the weighted values and the layers'
    fixed cost fit, no further, and never stays above tanh's."""
    spec = NetworkSpec(depth=depth, activation=activation)
    small, _ = budget.fit(spec, 6, VIEW)
    work = budget.ACTIVATION_WORK.get(activation, 1.0)
    assert work >= 1.0

    def cost(batch):
        return 6 * depth * (batch * spec.width * work + budget.LAYER_VALUES)
    assert cost(small.batch) <= VIEW.values
    assert small.batch == spec.batch or VIEW.values < cost(2 * small.batch)
    assert small.batch <= budget.fit(spec.replace(activation="tanh"), 6, VIEW)[0].batch
