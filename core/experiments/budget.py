"""Keep a comparison live: shrink the network a side-by-side view runs, and say how.

A comparison runs the same network several times (every init scheme, every norm). Its
cost is about runs x depth x width^2 x (1 + batch x positions): drawing the weights and
multiplying by them. When that is over budget the comparison halves the batch (down to
`MIN_BATCH`), then the width. Halving the width keeps the physics that matters here:
every init scheme is defined through fan_in, and for the custom scheme Var(W) is raised
to keep fan_in x Var(W), the per-layer factor, unchanged.

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
MIN_BATCH = 8


def cost(spec: NetworkSpec) -> tuple[float, float]:
    """(weight entries, forward multiply-adds) of one run."""
    weights = spec.depth * spec.width**2
    return weights, weights * spec.batch * spec.spatial


def fit(spec: NetworkSpec, runs: int, examples: int | None = None,
        max_weights: float = MAX_WEIGHTS, max_macs: float = MAX_MACS,
        weight_draws: int | None = None,
        ) -> tuple[NetworkSpec, tuple[Fix, ...]]:
    """The spec a comparison can afford, and what it shrank (`shrunk`).

    `runs` runs of the spec as it is; or, when the runs share one set of weights and
    differ in their inputs, `weight_draws` draws of weights and `examples` examples in
    all (then the batch is the caller's business and only the width shrinks)."""
    draws = runs if weight_draws is None else weight_draws
    batch, width = spec.batch, spec.width
    if examples is None:
        while batch > MIN_BATCH and runs * spec.depth * width**2 * batch * spec.spatial > max_macs:
            batch //= 2

    def over(w):
        n = runs * batch * spec.spatial if examples is None else examples
        return draws * spec.depth * w**2 > max_weights or n * spec.depth * w**2 > max_macs

    while width > 16 and over(width):
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


def shrunk(batch: int, width: int, small: NetworkSpec) -> tuple[Fix, ...]:
    """The batch and width a shrunk spec changed against those asked for, as fixes with
    the reason "budget" (worded by the UI).

    >>> [(f.field, f.asked, f.used) for f in shrunk(1024, 1024, NetworkSpec(batch=8, width=128))]
    [('width', 1024, 128), ('batch', 1024, 8)]
    """
    asked = {"width": width, "batch": batch}
    return tuple(Fix(field, asked[field], getattr(small, field), "budget")
                 for field in ("width", "batch") if getattr(small, field) != asked[field])
