"""NetworkSpec validation: every invalid value raises ValueError naming the field, the
value and what is allowed; undefined combinations raise; valid edges are accepted."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from core import SCHEMES, NetworkSpec
from core.profile import profile
from core.initializers import GAINLESS
from core.spec import CHOICES, NORM_POSITIONS, NORMS, RANGES

INVALID = [
    ("depth", 0), ("depth", 2001), ("depth", 2.5), ("depth", "3"), ("depth", True), ("depth", None),
    ("width", 1), ("width", 4097), ("batch", 0), ("batch", 65537), ("spatial", 0),
    ("groups", 0), ("classes", 1), ("seed", -1), ("seed", 2**32),
    ("weight_var", 0.0), ("weight_var", -1.0), ("weight_var", math.nan), ("weight_var", math.inf),
    ("weight_var", 1e7), ("weight_var", "1"), ("gain", 0.0), ("gain", 101.0), ("gain", math.nan),
    ("gain", "auto"), ("bias_var", -0.1), ("bias_var", 101.0), ("norm_gamma", 0.0),
    ("norm_gamma", -1.0), ("norm_beta", -101.0), ("norm_beta", 101.0), ("norm_beta", math.inf),
    ("residual_scale", 0.0), ("readout_scale", 1e-7), ("readout_scale", 1e4),
    ("saturation_threshold", 0.4), ("saturation_threshold", 1.0), ("dead_threshold", 1.0),
    ("input_dist", "gaussian"), ("activation", "swish"), ("activation", "Tanh"), ("init", "he"),
    ("norm", "weight"), ("norm", None), ("norm_position", "middle"), ("dtype", "float8"),
    ("dtype", np.float64), ("residual", "yes"), ("residual", 1),
]


@pytest.mark.parametrize("field,value", INVALID, ids=[f"{f}={v!r}" for f, v in INVALID])
def test_invalid_value_raises_naming_field_and_value(field, value):
    with pytest.raises(ValueError) as err:
        NetworkSpec(**{field: value})
    msg = str(err.value)
    assert f"{field}=" in msg
    assert repr(value) in msg
    if field in CHOICES:
        assert repr(CHOICES[field][0]) in msg               # lists what is allowed
    elif field in RANGES:
        lo, hi = RANGES[field]
        assert f"{lo:g}" in msg and f"{hi:g}" in msg          # and the allowed range


def test_every_field_has_an_invalid_case():
    covered = {f for f, _ in INVALID}
    fields = {f.name for f in dataclasses.fields(NetworkSpec)}
    assert fields == covered


@pytest.mark.parametrize("field", sorted(RANGES))
def test_range_edges_are_accepted(field):
    lo, hi = RANGES[field]
    for v in (lo, hi):
        kw = {field: v}
        if field in ("batch", "width", "depth", "spatial"):
            kw.update({k: 1 if k != "width" else 2 for k in ("batch", "depth", "spatial")
                       if k != field})                       # stay under the memory guard
            kw.setdefault("width", 2)
        if field == "groups":
            kw.update(width=int(v) if v >= 2 else 4, norm="group", spatial=2)
        NetworkSpec(**kw)


def test_numpy_scalars_are_accepted():
    spec = NetworkSpec(depth=np.int64(3), width=np.int32(8), weight_var=np.float64(0.5),
                       batch=np.int64(4))
    assert spec.depth == 3


@pytest.mark.parametrize("kw,names", [
    (dict(norm="batch", batch=1, spatial=1), ["norm='batch'", "batch * spatial = 1*1"]),
    (dict(norm="instance", spatial=1), ["norm='instance'", "spatial=1"]),
    (dict(norm="group", width=10, groups=3), ["groups=3", "width=10"]),
    (dict(norm="group", width=8, groups=8, spatial=1), ["groups=8"]),
    (dict(depth=2000, batch=65536, width=4096), ["memory"]),
])
def test_undefined_combinations_raise(kw, names):
    with pytest.raises(ValueError) as err:
        NetworkSpec(**kw)
    for name in names:
        assert name in str(err.value)


def test_defined_neighbours_of_those_combinations_are_accepted():
    NetworkSpec(norm="batch", batch=1, spatial=2)        # 2 values per channel
    NetworkSpec(norm="batch", batch=2, spatial=1)
    NetworkSpec(norm="instance", spatial=2)
    NetworkSpec(norm="group", width=12, groups=3)
    NetworkSpec(norm="group", width=8, groups=8, spatial=2)
    NetworkSpec(norm="layer", batch=1)                   # per-example statistics
    NetworkSpec(norm="none", batch=1, width=10, groups=3)   # groups only matter for group norm


def test_spec_is_frozen_and_replace_validates():
    spec = NetworkSpec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.depth = 3
    assert spec.replace(depth=3).depth == 3
    with pytest.raises(ValueError, match="depth=0"):
        spec.replace(depth=0)


def test_derived_quantities():
    spec = NetworkSpec(width=100, activation="linear", weight_var=1.0)
    assert spec.sigma_w2 == 100.0                          # FACTS: fan_in * Var(W)
    assert spec.fan_in == spec.fan_out == 100
    assert NetworkSpec(dtype="float16").dtype_bits == 16


unused_fields = st.fixed_dictionaries(dict(
    norm=st.sampled_from(NORMS), norm_position=st.sampled_from(NORM_POSITIONS),
    groups=st.sampled_from([1, 2, 4]), norm_gamma=st.sampled_from([1.0, 0.5, 2.0]),
    norm_beta=st.sampled_from([0.0, 0.3]), residual=st.booleans(),
    residual_scale=st.sampled_from([1.0, 0.5]), init=st.sampled_from(SCHEMES),
    gain=st.sampled_from([None, 0.8, 1.5]), weight_var=st.sampled_from([0.01, 0.2, 1.0]),
    activation=st.sampled_from(["tanh", "relu"])))


@given(unused_fields)
def test_canonical_spec_runs_exactly_as_the_spec(fields):
    """The fields `canonical` resets are the ones the run does not read: the canonical
    spec's per-layer curves equal the spec's, bit for bit, and two specs that differ only
    in such fields have one canonical form."""
    spec = NetworkSpec(depth=3, width=8, batch=8, spatial=2, bias_var=0.1, **fields)
    same = spec.canonical()
    assert same.canonical() == same
    for name in ("log10_preact_var", "log10_act_var", "log10_grad_var"):
        np.testing.assert_array_equal(getattr(profile(same), name), getattr(profile(spec), name))
    unused = {"groups": (spec.norm != "group", 2), "norm_gamma": (spec.norm == "none", 3.0),
              "norm_beta": (spec.norm == "none", 1.0),
              "norm_position": (spec.norm == "none", "after"),
              "residual_scale": (not spec.residual, 0.7),
              "gain": (spec.init in GAINLESS, 2.0), "weight_var": (spec.init != "custom", 5.0)}
    for name, (is_unused, other) in unused.items():
        if is_unused:
            assert spec.replace(**{name: other}).canonical() == same, name
