"""`NetworkSpec`: everything that defines one simulated network, checked on creation.

>>> from core.spec import NetworkSpec
>>> spec = NetworkSpec(depth=10, width=100, activation="linear", weight_var=1.0)
>>> spec.sigma_w2                 # fan_in * Var(W): the per-layer variance multiplier
100.0
>>> NetworkSpec(width=1)          # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
ValueError: width=1 is out of range: allowed 2 to 4096
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from numbers import Integral, Real
from typing import Mapping

from . import activations, initializers
from .stats import MAP_EXAMPLES, MAP_UNITS

NORMS = ("none", "batch", "layer", "group", "instance", "rms")
NORM_POSITIONS = ("before", "after")     # before the activation (usual) or after it
INPUT_DISTS = ("normal", "uniform")      # N(0, 1), or pixel-like U[0, 1] with mean 1/2
DTYPES = ("float64", "float32", "float16")
MAX_RUN_BYTES = 4 * 2**30               # what one run may hold at once (`run_bytes`): 4 GiB
CACHED_DRAWS_BYTES = 32 * 2**20          # a shape's draws up to this size are kept for reuse
INSTANCE_POSITIONS = 4                   # what InstanceNorm gets when a link gives it 1

# (low, high) inclusive ranges of the numeric fields.
RANGES = {
    "depth": (1, 2000),
    "width": (2, 4096),
    "batch": (1, 65536),
    "spatial": (1, 4096),
    "weight_var": (1e-12, 1e6),
    "gain": (1e-3, 100.0),
    "bias_var": (0.0, 100.0),
    "groups": (1, 4096),
    "norm_gamma": (1e-3, 100.0),
    "norm_beta": (-100.0, 100.0),
    "residual_scale": (1e-3, 100.0),
    "classes": (2, 10000),
    "readout_scale": (1e-6, 1e3),
    "seed": (0, 2**32 - 1),
    "saturation_threshold": (0.5, 0.9999),
    "dead_threshold": (0.5, 0.9999),
}
CHOICES = {
    "input_dist": INPUT_DISTS,
    "activation": tuple(activations.ACTIVATIONS),
    "init": initializers.SCHEMES,
    "norm": NORMS,
    "norm_position": NORM_POSITIONS,
    "dtype": DTYPES,
}
_INT_FIELDS = {"depth", "width", "batch", "spatial", "groups", "classes", "seed"}


@dataclass(frozen=True)
class NetworkSpec:
    # -- shape: batch examples, `width` channels (= fan_in = fan_out), `spatial` positions
    depth: int = 10
    width: int = 100
    batch: int = 256
    spatial: int = 1                 # >1: (batch, channels, positions) with 1x1 channel mixing
    input_dist: str = "normal"
    # -- each layer: h = x W + b -> [norm] -> activation -> [norm] -> x + alpha * f(x)
    activation: str = "tanh"
    init: str = "custom"             # "custom" draws W ~ N(0, weight_var)
    weight_var: float = 0.01         # Var(W) per entry, used by init="custom"
    gain: float | None = None        # None: PyTorch's calculate_gain(activation)
    bias_var: float = 0.0
    norm: str = "none"
    norm_position: str = "before"
    groups: int = 1                  # GroupNorm's G; must divide width
    norm_gamma: float = 1.0          # initial learned scale
    norm_beta: float = 0.0           # initial learned shift
    residual: bool = False
    residual_scale: float = 1.0      # alpha in x + alpha * f(x)
    # -- readout: logits = readout_scale * mean_positions(x_L) @ W_out, W_out ~ N(0, 1)
    classes: int = 27
    readout_scale: float = 1.0       # Karpathy's fix multiplies the last layer by 0.01
    # -- numerics and diagnostics
    dtype: str = "float64"
    seed: int = 0
    # Two cutoffs, both Karpathy's (makemore part 3), kept because students meet both:
    # his per-layer "saturated %" counts |t| > 0.97, his dead-neuron picture whitens
    # |t| > 0.99. One number for both would disagree with one of his plots, so every share
    # the app prints names its cutoff instead (Activation.flat_rule).
    saturation_threshold: float = 0.97   # |tanh| above this counts as saturated
    dead_threshold: float = 0.99         # saturated on every example above this: dead

    def __post_init__(self):
        for f in fields(self):
            _check_field(f.name, getattr(self, f.name))
        self._check_combination()

    def _check_combination(self):
        for fix in norm_fixes(self.norm, self.width, self.batch, self.spatial, self.groups):
            raise ValueError(_UNDEFINED[fix.why].format(s=self, fix=fix))
        check_memory(vars(self))

    # -- derived quantities, named as in the mean-field papers
    @property
    def fan_in(self) -> int:
        return self.width            # 1x1 channel mixing: fan_in = channels

    @property
    def fan_out(self) -> int:
        return self.width

    @property
    def effective_gain(self) -> float:
        return activations.calculate_gain(self.activation) if self.gain is None else self.gain

    @property
    def effective_weight_var(self) -> float:
        """Var(W) that the chosen init scheme draws from."""
        return initializers.weight_var(self.init, self.fan_in, self.fan_out,
                                       self.effective_gain, self.weight_var)

    @property
    def sigma_w2(self) -> float:
        """fan_in * Var(W), the sigma_w^2 of mean-field theory."""
        return self.fan_in * self.effective_weight_var

    @property
    def dtype_bits(self) -> int:
        return int(self.dtype[5:])

    def replace(self, **changes) -> "NetworkSpec":
        return replace(self, **changes)

    def canonical(self) -> "NetworkSpec":
        """The same network with every field it does not use at its default
        (`canonical_values`): two specs that run alike compare equal.

        >>> spec = NetworkSpec(init="kaiming_normal", weight_var=0.5, norm_gamma=2.0)
        >>> plain = NetworkSpec(init="kaiming_normal")
        >>> spec == plain, spec.canonical() == plain
        (False, True)
        """
        return replace(self, **canonical_values(vars(self)))


def canonical_values(values: Mapping) -> dict:
    """Field values with those that do nothing in this configuration at their defaults,
    so that equivalent settings are one (one cache key, one link): GroupNorm's groups
    without GroupNorm; a norm's position, gamma and beta without a norm; the residual
    scale without residual connections; the gain for a scheme that has none
    (initializers.GAINLESS); Var(W) for every scheme but "custom", which alone reads it.

    >>> v = canonical_values(dict(norm="none", groups=4, norm_position="after", norm_gamma=2.0,
    ...                           norm_beta=0.5, residual=False, residual_scale=0.5,
    ...                           init="lecun_normal", gain=1.5, weight_var=0.3))
    >>> v == dict(norm="none", groups=1, norm_position="before", norm_gamma=1.0,
    ...           norm_beta=0.0, residual=False, residual_scale=1.0, init="lecun_normal",
    ...           gain=None, weight_var=0.01)
    True
    """
    v = dict(values)
    if v["norm"] != "group":
        v["groups"] = _DEFAULTS["groups"]
    if v["norm"] == "none":
        v.update({k: _DEFAULTS[k] for k in ("norm_position", "norm_gamma", "norm_beta")})
    if not v["residual"]:
        v["residual_scale"] = _DEFAULTS["residual_scale"]
    if v["init"] in initializers.GAINLESS:
        v["gain"] = _DEFAULTS["gain"]
    if v["init"] != "custom":
        v["weight_var"] = _DEFAULTS["weight_var"]
    return v


@dataclass(frozen=True)
class Fix:
    """One shape field changed from what was asked, and why: a name the UI words.

    The reasons: a normalization undefined in this shape ("groups_divide_width",
    "instance_needs_positions", "batch_needs_two"), InstanceNorm's extra positions paid
    for with a smaller batch ("instance_same_values"), a network over the live budget
    ("budget", core.experiments.budget), a training run over its budget ("train_budget",
    core.train.fit_budget: steps or validation examples), the training task's one
    position ("train_one_position", "train_instance_norm": core.train.fit_request)."""
    field: str
    asked: int | str          # a name for a choice field (norm), else a number
    used: int | str
    why: str


def group_count(width: int, positions: int, wanted: int) -> int:
    """The largest group count <= wanted that divides the width and leaves >= 2 values
    per group (1 group, LayerNorm, if none does).

    >>> group_count(100, 1, 8), group_count(32, 1, 32), group_count(6, 1, 4)
    (5, 16, 3)
    """
    for g in range(min(wanted, width), 0, -1):
        if width % g == 0 and (width // g) * positions >= 2:
            return g
    return 1


def norm_fixes(norm: str, width: int, batch: int, spatial: int, groups: int) -> list[Fix]:
    """What a normalization needs changed in this shape to be defined: the one rule that
    NetworkSpec checks and every caller that adjusts a shape applies (`fit_norm`).

    >>> [(f.field, f.used) for f in norm_fixes("group", 100, 256, 1, 8)]
    [('groups', 5)]
    >>> norm_fixes("instance", 100, 256, 1, 1)[0].used, norm_fixes("batch", 100, 1, 1, 1)[0].used
    (4, 2)
    """
    if norm == "group":
        g = group_count(width, spatial, groups)
        return [Fix("groups", groups, g, "groups_divide_width")] if g != groups else []
    if norm == "instance" and spatial < 2:
        return [Fix("spatial", spatial, INSTANCE_POSITIONS, "instance_needs_positions")]
    if norm == "batch" and batch * spatial < 2:
        return [Fix("batch", batch, 2, "batch_needs_two")]
    return []


def fit_norm(values: dict) -> tuple[dict, list[Fix]]:
    """Field values (a NetworkSpec's, or the app's controls) with the normalization's
    shape fixed where it is undefined, and the fixes made."""
    fixes = norm_fixes(values["norm"], values["width"], values["batch"], values["spatial"],
                       values["groups"])
    return values | {f.field: f.used for f in fixes}, fixes


_UNDEFINED = {
    "batch_needs_two": "norm='batch' needs more than one value per channel, but batch * "
                       "spatial = {s.batch}*{s.spatial}; raise batch or spatial",
    "instance_needs_positions": "norm='instance' normalizes over spatial positions, so it "
                                "needs spatial >= 2, got spatial={s.spatial}",
    "groups_divide_width": "groups={s.groups} must divide width={s.width} and leave at least "
                           "two values per group (spatial={s.spatial}); groups={fix.used} would",
}


def _check_field(name, value):
    if name in CHOICES:
        if value not in CHOICES[name]:
            raise ValueError(f"{name}={value!r} is not one of {list(CHOICES[name])}")
        return
    if name == "residual":
        if not isinstance(value, bool):
            raise ValueError(f"residual={value!r} must be True or False")
        return
    if name == "gain" and value is None:
        return
    lo, hi = RANGES[name]
    if name in _INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValueError(f"{name}={value!r} must be an integer from {lo} to {hi}")
    elif isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name}={value!r} must be a finite number from {lo:g} to {hi:g}")
    if not lo <= value <= hi:
        raise ValueError(f"{name}={value!r} is out of range: allowed {lo:g} to {hi:g}")


# -- memory: what one run holds at once ------------------------------------------------

_ITEM = {"float64": 8, "float32": 4, "float16": 2}


def _norm_sets(norm: str, batch: int, width: int, groups: int) -> int:
    """How many sets of statistics one layer's normalization keeps (0 without one)."""
    return {"none": 0, "batch": width, "layer": batch, "rms": batch,
            "instance": batch * width, "group": batch * groups}[norm]


@dataclass(frozen=True)
class RunBytes:
    """What one run holds at once, in bytes, by part; `total` is the peak's bound."""
    drawn: int        # the weights while they are drawn (make_params): 16 bytes each
    draw: int         # everything then
    weights: int      # during the run: the weights, as drawn and in the run's dtype
    layers: int       # during the run: every layer's values kept for the backward pass
    readout: int      # during the run: the readout's batch x classes arrays
    other: int        # during the run: inputs, one layer's temporaries, records

    @property
    def total(self) -> int:
        return max(self.draw, self.weights + self.layers + self.readout + self.other)


def run_bytes(values: Mapping, keep_tensors: bool = False) -> RunBytes:
    """A bound on the bytes one `simulate` of these field values holds at once (a
    NetworkSpec's, or a dict with its shape fields; missing ones take the defaults).

    Two moments peak. Drawing the weights (`make_params`): each float64 matrix drawn and
    its scaled copy, 16 bytes a weight. The run: the float64 weights, their copy in the
    run's dtype (float32/16), the draws kept for reuse (up to CACHED_DRAWS_BYTES), and
    per layer what the backward pass needs (the layer's input, phi', a norm's normalized
    values and three float64 numbers per statistics set), plus one layer's temporaries,
    the readout's batch x classes arrays and every layer's records and heatmap sample.
    Measured with tracemalloc, the peak lies between half the bound and the bound
    (tests/core/test_memory.py).

    >>> round(run_bytes(dict(depth=60, width=4096, batch=1)).total / 2**30, 1)   # 1e9 weights
    15.0
    """
    v = _DEFAULTS | dict(values)
    depth, width, batch = v["depth"], v["width"], v["batch"]
    item = _ITEM[v["dtype"]]
    weights = depth * width * width
    layer = batch * v["spatial"] * width                # one layer's values
    inputs = layer * (16 + item) + depth * width * 16   # x0 drawn, copied, cast; the biases
    readout = width * v["classes"] * 24 + batch * v["classes"] * 40
    cached = 8 * (weights + layer)
    held = weights * (8 + (item if item != 8 else 0)) + (cached if cached <= CACHED_DRAWS_BYTES else 0)
    kept = depth * (4 * layer * item + width * width * item) if keep_tensors else 0
    return RunBytes(drawn=16 * weights,
                    draw=16 * weights + inputs + readout + depth * _LAYER_BYTES + _FIXED_BYTES,
                    weights=held, layers=_layer_bytes(v, layer) + kept, readout=readout,
                    other=inputs + _temporary_bytes(v, layer) + _FIXED_BYTES)


# A layer's records: its statistics, histograms and saturation grid (61 numbers each),
# the Python objects and array headers around them, its RNG state; tracemalloc's
# measure of them stays below this (tests/core/test_memory.py holds the bound).
_LAYER_BYTES = 8192
_FIXED_BYTES = 2 * 2**20        # the run's own: NumPy's small arrays, the result


def _layer_bytes(v: Mapping, layer: int) -> int:
    """Every layer's values the backward pass keeps, and its records and heatmap sample."""
    width, batch = v["width"], v["batch"]
    norm = v["norm"] != "none"
    sets = _norm_sets(v["norm"], batch, width, v["groups"])
    saved = layer * _ITEM[v["dtype"]] * (1 + (v["activation"] != "linear") + norm) + sets * 24
    sample = min(batch * v["spatial"], MAP_EXAMPLES) * min(width, MAP_UNITS) * 2
    records = sample + width + _LAYER_BYTES
    return v["depth"] * (saved + records)


def _temporary_bytes(v: Mapping, layer: int) -> int:
    """One layer's temporaries, forward and backward: float64 statistics, a norm's, the
    residual sum, dL/dW and its float32 products."""
    norm = v["norm"] != "none"
    sets = _norm_sets(v["norm"], v["batch"], v["width"], v["groups"])
    per_value = 16 + 4 * _ITEM[v["dtype"]] + 32 * norm + 16 * v["residual"]
    return layer * per_value + sets * 64 + 12 * v["width"] ** 2


def check_memory(values: Mapping, keep_tensors: bool = False) -> None:
    """Raise ValueError, naming the bytes and the limit, when a run of these values
    would hold more than MAX_RUN_BYTES; nothing is allocated to find out."""
    need = run_bytes(values, keep_tensors)
    if need.total <= MAX_RUN_BYTES:
        return
    v = _DEFAULTS | dict(values)
    gib = lambda n: f"{n / 2**30:.1f} GiB"
    raise ValueError(
        f"depth={v['depth']}, width={v['width']}, batch={v['batch']}, spatial={v['spatial']}, "
        f"classes={v['classes']} in {v['dtype']} would hold about {gib(need.total)} at once "
        f"(weights {gib(max(need.drawn, need.weights))}, the layers' values for "
        f"the backward pass {gib(need.layers)}, the readout {gib(need.readout)}); the memory "
        f"limit is {MAX_RUN_BYTES / 2**30:g} GiB: make the network narrower or shallower, or "
        f"its batch smaller")


_DEFAULTS = {f.name: f.default for f in fields(NetworkSpec)}
