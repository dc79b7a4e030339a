"""Keep a view live: shrink the network a view runs within limits it is given, and say how.

A view runs a network once, or several times (every init scheme, every norm). Four
things bound what a visitor can ask of the server (`Limits`; the app's own are in
ui.capacity, and nothing here chooses them):
- weights drawn, depth x width^2 per run (`weights`);
- multiply-adds, depth x width^2 x batch x positions per run (`macs`);
- values, depth x batch x positions x width per run: every one is touched by some
  forty element-wise passes (norm, activation, statistics, backward) and the backward
  pass holds several arrays of them (`values` over all runs, `held` in one run: the
  memory). At small widths this is what costs, not the products. Every layer of every
  run also costs a fixed number of NumPy calls on small arrays, whatever its size: it
  counts as LAYER_VALUES values, and only the batch can pay for it. The values weigh
  more for an activation that costs more than tanh per value (`ACTIVATION_WORK`); the
  fixed cost does not.
These are a live view's limits, for time. The memory one run may hold at all is
core.spec's rule (`run_bytes`, `MAX_RUN_BYTES`), which NetworkSpec enforces on every
spec: a view's limits sit far below it, and shrinking only lowers the bytes.
When over, the batch halves (down to `MIN_BATCH`), then the width. Halving the width
keeps the physics that matters here: every init scheme is defined through fan_in, and
for the custom scheme Var(W) is raised to keep fan_in x Var(W), the per-layer factor,
unchanged. The depth never shrinks: it is what the app is about.

>>> from core.spec import NetworkSpec
>>> limits = Limits(weights=4e7, macs=3e9, values=1.8e6, held=4e6)
>>> spec = NetworkSpec(depth=200, width=1024, batch=4, weight_var=0.01)
>>> small, fixes = fit(spec, 6, limits)
>>> small.width, small.sigma_w2 == spec.sigma_w2
(128, True)
>>> [(f.field, f.asked, f.used) for f in fixes]
[('width', 1024, 128)]
>>> fit(NetworkSpec(), 6, limits)[1]               # the defaults fit as they are
()
>>> fit(spec, 6, None) == (spec, ())               # no limits: as asked
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..spec import RANGES, Fix, NetworkSpec, fit_norm


@dataclass(frozen=True)
class Limits:
    """What a view's runs may cost, all together (see the module's docstring)."""
    weights: float      # weight entries drawn, over all runs
    macs: float         # forward multiply-adds, over all runs
    values: float       # layer values over all runs, weighted by ACTIVATION_WORK, with
                        # every layer's fixed cost (LAYER_VALUES)
    held: float         # layer values of one run: what its backward pass keeps


# What a value and a layer cost, against tanh's element-wise work per value (the unit
# of Limits.values). LAYER_VALUES: a layer's fixed cost (a hundred-odd NumPy calls on
# small arrays), in values. ACTIVATION_WORK: the w that makes values x w + the layers'
# fixed cost match the normalization lineup's time over tanh's at depth 10, batch 256
# and at depth 48, batch 32, as `python -m bench`'s last table measures it
# (docs/performance.md, "The engine against the matrix products"). Phi and exp cost
# more than tanh; nothing counts below 1, so the cheaper activations keep their batch.
LAYER_VALUES = 3000
ACTIVATION_WORK = {"gelu": 1.7, "silu": 1.6, "sigmoid": 1.3, "elu": 1.3, "selu": 1.3,
                   "leaky_relu": 1.1}
MIN_BATCH = 8           # the batch a view keeps at least: its statistics stay statistics


def fit(spec: NetworkSpec, runs: int, limits: Limits | None, examples: int | None = None,
        weight_draws: int | None = None) -> tuple[NetworkSpec, tuple[Fix, ...]]:
    """The spec a view can afford within `limits` (None: the spec as asked), and what it
    shrank: `fit_values` on the spec's fields.

    >>> limits = Limits(weights=4e7, macs=3e9, values=1.8e6, held=4e6)
    >>> small, fixes = fit(NetworkSpec(depth=200, width=21, batch=1024, spatial=16), 1, limits)
    >>> small.batch, small.width           # the batch pays first, the width keeps fan_in
    (16, 21)
    """
    if limits is None:
        return spec, ()
    values, fixes = fit_values(vars(spec), runs, limits, examples, weight_draws)
    return (spec.replace(**values) if fixes else spec), fixes


def fit_values(values: Mapping, runs: int, limits: Limits, examples: int | None = None,
               weight_draws: int | None = None) -> tuple[dict, tuple[Fix, ...]]:
    """Field values (a NetworkSpec's, or the app's controls before they make one) that
    a view can afford within `limits`, and what it shrank (`shrunk`).

    `runs` runs of the network as it is; or, when the runs share one set of weights and
    differ in their inputs, `weight_draws` draws of weights and `examples` examples in
    all, one batch at a time (then the batch is the caller's business and only the
    width shrinks: see `affordable_batches`).
    """
    v = dict(values)
    depth, spatial = v["depth"], v["spatial"]
    draws = runs if weight_draws is None else weight_draws
    batch, width = v["batch"], v["width"]
    work = ACTIVATION_WORK.get(v["activation"], 1.0)

    def over(b, w, fixed=0.0):
        n = runs * b * spatial if examples is None else examples
        held = (b if examples is None else v["batch"]) * spatial * depth * w
        return (draws * depth * w**2 > limits.weights or n * depth * w**2 > limits.macs
                or n * depth * w * work + fixed > limits.values or held > limits.held)

    if examples is None:
        layers = runs * depth * LAYER_VALUES             # the layers' fixed cost: a smaller
        while batch > MIN_BATCH and over(batch, width, layers):    # batch leaves more
            batch //= 2                                  # room for it, a narrower width not
    while width > 16 and over(batch, width):
        width //= 2
    if (batch, width) == (v["batch"], v["width"]):
        return v, ()
    changes = dict(batch=batch, width=width)
    if width != v["width"] and v["init"] == "custom":
        lo, hi = RANGES["weight_var"]
        changes["weight_var"] = min(max(v["weight_var"] * v["width"] / width, lo), hi)
    small = fit_norm(v | changes)[0]
    return small, shrunk(v, small)


def affordable_batches(spec: NetworkSpec, batches: int, limits: Limits) -> int:
    """How many of `batches` batches of the spec a one-weight-draw view can run within
    `limits.values`.

    >>> forward = Limits(weights=4e7, macs=3e9, values=2.4e7, held=4e6)
    >>> affordable_batches(NetworkSpec(depth=200, width=16, batch=1024, spatial=16), 200, forward)
    1
    """
    per_batch = spec.batch * spec.spatial * spec.depth * spec.width
    return max(1, min(batches, int(limits.values // per_batch)))


def shrunk(asked: Mapping, used: Mapping) -> tuple[Fix, ...]:
    """The width and batch of `used` against those `asked` (field values), as fixes with
    the reason "budget" (worded by the UI).

    >>> [(f.field, f.asked, f.used) for f in shrunk(dict(width=1024, batch=1024),
    ...                                             dict(width=128, batch=8))]
    [('width', 1024, 128), ('batch', 1024, 8)]
    """
    return tuple(Fix(field, asked[field], used[field], "budget")
                 for field in ("width", "batch") if used[field] != asked[field])
