"""The same network under every normalization, and under its own gamma and beta.

Not every normalization is defined for every shape: InstanceNorm averages over spatial
positions (it needs at least 2), GroupNorm needs its group count to divide the width,
BatchNorm needs two values per channel. `lineup_specs` adjusts only the variant that
needs it, and says what it changed.

The learned affine y = gamma * x_hat + beta can undo a normalization: with gamma equal to
the batch's std and beta to its mean, y is the input again. `affine_specs` gives the three
networks that show it: no normalization, the normalization with gamma = 1 and beta = 0,
and the normalization with the gamma and beta chosen.

>>> from core.spec import NetworkSpec
>>> specs = lineup_specs(NetworkSpec(width=100, spatial=1), groups=8)
>>> specs["group"].spec.groups, specs["instance"].spec.spatial
(5, 4)
>>> [(f.field, f.asked, f.used, f.why) for f in specs["instance"].fixes]
[('spatial', 1, 4, 'instance_needs_positions'), ('batch', 256, 64, 'instance_same_values')]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import budget, diagnose
from ..profile import Profile, profile
from ..simulate import Result, simulate
from ..spec import NORMS, Fix, NetworkSpec, fit_norm

BAD_WEIGHT_VAR = 1.0           # N(0, 1) weights: fan_in x Var(W) = width, far too large


@dataclass(frozen=True)
class Variant:
    norm: str
    spec: NetworkSpec
    fixes: tuple[Fix, ...]    # what was adjusted for this normalization, if anything


def badly_initialized(spec: NetworkSpec) -> NetworkSpec:
    """The spec with N(0, 1) weights: each layer multiplies the variance by the width."""
    return spec.replace(init="custom", weight_var=BAD_WEIGHT_VAR, gain=None)


def variant(spec: NetworkSpec, norm: str, groups: int) -> Variant:
    """The spec with this normalization, adjusted where the shape does not allow it."""
    changes, fixes = fit_norm(vars(spec) | dict(norm=norm, groups=groups if norm == "group" else 1))
    if any(f.field == "spatial" for f in fixes):
        # as many values as the one-position batch: the comparison costs the same
        changes["batch"] = max(2, spec.batch // changes["spatial"])
        if changes["batch"] != spec.batch:          # batch 2 stays 2: nothing to say
            fixes.append(Fix("batch", spec.batch, changes["batch"], "instance_same_values"))
    if norm == "none":
        changes.update(norm_position="before", norm_gamma=1.0, norm_beta=0.0)
    return Variant(norm, spec.replace(**changes), tuple(fixes))


def lineup_specs(spec: NetworkSpec, groups: int = 4, norms=NORMS) -> dict[str, Variant]:
    return {n: variant(spec, n, groups) for n in norms}


@dataclass(frozen=True)
class Summary:
    """What one normalization did to the network, in a table row's numbers."""
    norm: str
    last_log10_act_var: float
    backward: diagnose.Trend        # gradients from the last layer back to layer 1
    last_saturated: float           # saturated (bounded) or off (relu-like), last layer
    dead: float                     # dead units, mean over layers


@dataclass(frozen=True)
class Lineup:
    results: dict[str, Profile | Result]
    fixes: tuple[Fix, ...]     # adjustments, budget first

    def summary(self) -> list[Summary]:
        return [Summary(n, float(r.log10_act_var[-1]),
                        diagnose.diagnose(r).backward,
                        float(r.saturated_frac[-1]), float(np.mean(r.dead_frac)))
                for n, r in self.results.items()]


def run_lineup(spec: NetworkSpec, groups: int = 4, norms=NORMS,
               limits: budget.Limits | None = None) -> Lineup:
    """One run per normalization (its per-layer curves, `core.profile`), all within
    `limits` (core.experiments.budget; None: as asked)."""
    spec, shrunk = budget.fit(spec, len(norms), limits)
    variants = lineup_specs(spec, groups, norms)
    fixes = shrunk + tuple(f for v in variants.values() for f in v.fixes)
    return Lineup({n: profile(v.spec) for n, v in variants.items()}, fixes)


def affine_specs(spec: NetworkSpec, norm: str, gamma: float, beta: float,
                 groups: int = 4) -> dict[str, NetworkSpec]:
    """By role: "none" (no normalization), "unit" (the norm with gamma 1, beta 0) and
    "chosen" (the norm with the gamma and beta given)."""
    base = variant(spec, norm, groups).spec
    return {
        "none": variant(spec, "none", groups).spec,
        "unit": base.replace(norm_gamma=1.0, norm_beta=0.0),
        "chosen": base.replace(norm_gamma=gamma, norm_beta=beta),
    }


def run_affine(spec: NetworkSpec, norm: str, gamma: float, beta: float,
               groups: int = 4, limits: budget.Limits | None = None) -> Lineup:
    """Runs with activation histograms (what the view draws besides the curves) of the
    three `affine_specs` networks, all within `limits` (None: as asked)."""
    spec, shrunk = budget.fit(spec, 3, limits)
    specs = affine_specs(spec, norm, gamma, beta, groups)
    runs: dict[NetworkSpec, Result] = {}
    results = {}
    for role, s in specs.items():            # gamma 1, beta 0 chosen: two roles, one run
        if s not in runs:
            runs[s] = simulate(s, stats=("histograms",))
        results[role] = runs[s]
    return Lineup(results, shrunk)
