"""core.profile: the light run gives simulate's numbers, field for field."""


import numpy as np
import pytest

from core import NetworkSpec, simulate
from core import profile

FIELDS = ("log10_preact_var", "log10_act_var", "log10_out_var", "log10_grad_var",
          "saturated_frac", "dead_frac")



@pytest.mark.parametrize("kw", [
    dict(), dict(activation="relu", bias_var=1.0, weight_var=0.001),
    dict(activation="linear", weight_var=1.0, depth=60),            # beyond float64's range
    dict(norm="batch", norm_position="after", residual=True),
    dict(norm="group", groups=4, spatial=2, activation="gelu"),
    dict(activation="linear", weight_var=0.1, depth=20, dtype="float16"),   # overflows
    dict(activation="sigmoid", dtype="float32", input_dist="uniform"),
])
def test_same_numbers_as_simulate(kw):
    spec = NetworkSpec(**({"depth": 6, "width": 16, "batch": 32} | kw))
    light, full = profile.profile(spec), simulate(spec)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(light, f), getattr(full, f), err_msg=f)
    assert light.overflow_layer == full.overflow_layer
    assert light.loss == full.loss or (np.isnan(light.loss) and np.isnan(full.loss))
