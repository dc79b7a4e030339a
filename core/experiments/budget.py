"""Keep a view live: shrink the network a view runs, and say how.

A view runs a network once, or several times (every init scheme, every norm). Three
things bound what a visitor can ask of the server:
- weights drawn, depth x width^2 per run (`max_weights`);
- multiply-adds, depth x width^2 x batch x positions per run (`max_macs`);
- values, depth x batch x positions x width per run: every one is touched by some
  forty element-wise passes (norm, activation, statistics, backward) and the backward
  pass holds several arrays of them (`max_values` over all runs, `max_held` in one run:
  the memory). At small widths this is what costs, not the products. Every layer of
  every run also costs a fixed ~0.2 ms, whatever its size: a hundred-odd NumPy calls
  on small arrays. It counts as LAYER_VALUES values; only the batch can pay for it.
  The values weigh more for an activation that costs more than tanh per value
  (`ACTIVATION_WORK`); the fixed cost does not.
These are a live view's limits, for time. The memory one run may hold at all is
core.spec's rule (`run_bytes`, `MAX_RUN_BYTES`), which NetworkSpec enforces on every
spec: a view's budget sits far below it, and shrinking only lowers the bytes.
When over, the batch halves (down to `MIN_BATCH`), then the width. Halving the width
keeps the physics that matters here: every init scheme is defined through fan_in, and
for the custom scheme Var(W) is raised to keep fan_in x Var(W), the per-layer factor,
unchanged. The depth never shrinks: it is what the app is about.

>>> from core.spec import NetworkSpec
>>> spec = NetworkSpec(depth=200, width=1024, batch=4, weight_var=0.01)
>>> small, fixes = fit(spec, runs=6)
>>> small.width, small.sigma_w2 == spec.sigma_w2
(128, True)
>>> [(f.field, f.asked, f.used) for f in fixes]
[('width', 1024, 128)]
>>> fit(NetworkSpec(), runs=6)[1]                  # the defaults fit as they are
()
"""

from __future__ import annotations

from ..spec import RANGES, Fix, NetworkSpec, fit_norm

MAX_WEIGHTS = 4e7          # weight entries drawn over all runs (float64: 320 MB, one run at a time)
MAX_MACS = 3e9             # multiply-adds over all runs, forward
MAX_VALUES = 1.8e6         # layer values over all runs (~40 element-wise passes each,
                           # forward, backward, statistics: ~0.1 s on one core)
LAYER_VALUES = 3000        # a layer's fixed cost in a run (~0.2 ms of calls), in values
FORWARD_VALUES = 2.4e7     # the same for forward-only views (no backward, no histograms)
MAX_HELD = 4e6             # layer values of one run (kept for backward, 16 to 25 bytes
                           # each by core.spec.run_bytes: ~100 MB)
MIN_BATCH = 8
# Element-wise work per value against tanh's, on which MAX_VALUES is reckoned: the w
# that makes values x w + the layers' fixed cost match the normalization lineup's time
# over tanh's at depth 10, batch 256 and at depth 48, batch 32 (`python -m bench`'s last
# table, which prints both w: four runs put them within about 0.15 of these, but for
# one row that the machine's drift moved). Phi and exp cost more than tanh; nothing counts
# below 1, so the cheaper activations keep the batch they had.
ACTIVATION_WORK = {"gelu": 1.7, "silu": 1.6, "sigmoid": 1.3, "elu": 1.3, "selu": 1.3,
                   "leaky_relu": 1.1}


def cost(spec: NetworkSpec) -> tuple[float, float]:
    """(weight entries, forward multiply-adds) of one run."""
    weights = spec.depth * spec.width**2
    return weights, weights * spec.batch * spec.spatial


def fit(spec: NetworkSpec, runs: int, examples: int | None = None,
        max_weights: float = MAX_WEIGHTS, max_macs: float = MAX_MACS,
        weight_draws: int | None = None, max_values: float = MAX_VALUES,
        max_held: float = MAX_HELD) -> tuple[NetworkSpec, tuple[Fix, ...]]:
    """The spec a view can afford, and what it shrank (`shrunk`).

    `runs` runs of the spec as it is; or, when the runs share one set of weights and
    differ in their inputs, `weight_draws` draws of weights and `examples` examples in
    all, one batch at a time (then the batch is the caller's business and only the
    width shrinks: see `affordable_batches`).

    >>> small, fixes = fit(NetworkSpec(depth=200, width=21, batch=1024, spatial=16), runs=1)
    >>> small.batch, small.width           # the batch pays first, the width keeps fan_in
    (16, 21)
    """
    draws = runs if weight_draws is None else weight_draws
    batch, width = spec.batch, spec.width
    work = ACTIVATION_WORK.get(spec.activation, 1.0)

    def over(b, w, fixed=0.0):
        n = runs * b * spec.spatial if examples is None else examples
        held = (b if examples is None else spec.batch) * spec.spatial * spec.depth * w
        return (draws * spec.depth * w**2 > max_weights or n * spec.depth * w**2 > max_macs
                or n * spec.depth * w * work + fixed > max_values or held > max_held)

    if examples is None:
        layers = runs * spec.depth * LAYER_VALUES        # the layers' fixed cost: a smaller
        while batch > MIN_BATCH and over(batch, width, layers):    # batch leaves more
            batch //= 2                                  # room for it, a narrower width not
    while width > 16 and over(batch, width):
        width //= 2
    if (batch, width) == (spec.batch, spec.width):
        return spec, ()
    changes = dict(batch=batch, width=width)
    if width != spec.width:
        if spec.init == "custom":
            lo, hi = RANGES["weight_var"]
            changes["weight_var"] = min(max(spec.weight_var * spec.width / width, lo), hi)
    small = spec.replace(**fit_norm(vars(spec) | changes)[0])
    return small, shrunk(spec.batch, spec.width, small)


def affordable_batches(spec: NetworkSpec, batches: int,
                       max_values: float = FORWARD_VALUES) -> int:
    """How many of `batches` batches of the spec a one-weight-draw view can run.

    >>> affordable_batches(NetworkSpec(depth=200, width=16, batch=1024, spatial=16), 200)
    1
    """
    per_batch = spec.batch * spec.spatial * spec.depth * spec.width
    return max(1, min(batches, int(max_values // per_batch)))


def shrunk(batch: int, width: int, small: NetworkSpec) -> tuple[Fix, ...]:
    """The batch and width a shrunk spec changed against those asked for, as fixes with
    the reason "budget" (worded by the UI).

    >>> [(f.field, f.asked, f.used) for f in shrunk(1024, 1024, NetworkSpec(batch=8, width=128))]
    [('width', 1024, 128), ('batch', 1024, 8)]
    """
    asked = {"width": width, "batch": batch}
    return tuple(Fix(field, asked[field], getattr(small, field), "budget")
                 for field in ("width", "batch") if getattr(small, field) != asked[field])
