"""make_params draws one stream per seed (x0, the weight matrices, then biases, w_out,
labels), whatever depths were asked for before: a cached shorter or longer stream is
extended or cut, never mistaken for another network's."""

import numpy as np
import pytest

from core import NetworkSpec, make_params
from core.initializers import _orthogonal


def _by_hand(spec: NetworkSpec):
    """The stream drawn directly, as the make_params docstring states it."""
    rng = np.random.default_rng(spec.seed)
    x0 = rng.standard_normal((spec.batch, spec.spatial, spec.width))
    if spec.init == "orthogonal":
        ws = [_orthogonal(spec.width, spec.width, rng) for _ in range(spec.depth)]
    else:
        ws = [rng.standard_normal((spec.width, spec.width)) for _ in range(spec.depth)]
    biases = [rng.standard_normal(spec.width) for _ in range(spec.depth)]
    return x0, ws, biases, rng.standard_normal((spec.width, spec.classes)), \
        rng.integers(0, spec.classes, spec.batch)


@pytest.mark.parametrize("init", ["custom", "orthogonal"])
@pytest.mark.parametrize("order", [(3, 9, 5), (9, 3, 5)])
def test_each_depth_draws_its_own_stream_in_any_order(init, order):
    for depth in order:
        spec = NetworkSpec(depth=depth, width=12, batch=6, init=init, weight_var=1.0,
                           gain=1.0, bias_var=1.0, seed=11)
        p = make_params(spec)
        x0, ws, biases, w_out, labels = _by_hand(spec)
        assert np.array_equal(p.x0, x0) and np.array_equal(p.w_out, w_out)
        assert np.array_equal(p.labels, labels) and len(p.weights) == depth
        assert all(np.array_equal(a, b) for a, b in zip(p.weights, ws))
        assert all(np.array_equal(a, b) for a, b in zip(p.biases, biases))
