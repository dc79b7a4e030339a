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
>>> print(specs["group"].note)
GroupNorm: 8 groups do not divide width 100, so 5 groups (20 channels each).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import budget, diagnose
from ..profile import Profile, profile
from ..simulate import Result, simulate
from ..spec import NORMS, NetworkSpec

BAD_WEIGHT_VAR = 1.0           # N(0, 1) weights: fan_in x Var(W) = width, far too large
INSTANCE_POSITIONS = 4
LABELS = {"none": "no norm", "batch": "BatchNorm", "layer": "LayerNorm", "group": "GroupNorm",
          "instance": "InstanceNorm", "rms": "RMSNorm"}


@dataclass(frozen=True)
class Variant:
    norm: str
    spec: NetworkSpec
    note: str | None          # what was adjusted for this normalization, if anything


def badly_initialized(spec: NetworkSpec) -> NetworkSpec:
    """The spec with N(0, 1) weights: each layer multiplies the variance by the width."""
    return spec.replace(init="custom", weight_var=BAD_WEIGHT_VAR, gain=None)


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


def variant(spec: NetworkSpec, norm: str, groups: int) -> Variant:
    """The spec with this normalization, adjusted where the shape does not allow it."""
    changes = dict(norm=norm, groups=1)
    note = None
    if norm == "group":
        g = group_count(spec.width, spec.spatial, groups)
        if g != groups:
            note = (f"GroupNorm: {groups} groups do not divide width {spec.width}, so {g} "
                    f"groups ({spec.width // g} channels each).")
        changes["groups"] = g
    if norm == "instance" and spec.spatial < 2:
        batch = max(2, spec.batch // INSTANCE_POSITIONS)
        changes.update(spatial=INSTANCE_POSITIONS, batch=batch)
        note = (f"InstanceNorm averages over positions and there is only one: it runs with "
                f"{INSTANCE_POSITIONS} positions and batch {batch} (about as many values).")
    if norm == "batch" and spec.batch * spec.spatial < 2:
        changes["batch"] = 2
        note = "BatchNorm needs two values per channel: it runs with batch 2."
    if norm == "none":
        changes.update(norm_position="before", norm_gamma=1.0, norm_beta=0.0)
    return Variant(norm, spec.replace(**changes), note)


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
    notes: tuple[str, ...]     # adjustments, budget first

    def summary(self) -> list[Summary]:
        return [Summary(n, float(r.log10_act_var[-1]),
                        diagnose.backward_trend(r.log10_grad_var, r.overflow_layer),
                        float(r.saturated_frac[-1]), float(np.mean(r.dead_frac)))
                for n, r in self.results.items()]


def run_lineup(spec: NetworkSpec, groups: int = 4, norms=NORMS) -> Lineup:
    """One run per normalization (its per-layer curves, `core.profile`), within the
    comparison budget (see core.budget)."""
    spec, budget_note = budget.fit(spec, runs=len(norms))
    variants = lineup_specs(spec, groups, norms)
    notes = tuple(n for n in [budget_note] + [v.note for v in variants.values()] if n)
    return Lineup({n: profile(v.spec) for n, v in variants.items()}, notes)


def affine_specs(spec: NetworkSpec, norm: str, gamma: float, beta: float,
                 groups: int = 4) -> dict[str, NetworkSpec]:
    """no norm / norm with gamma 1, beta 0 / norm with the chosen gamma and beta."""
    base = variant(spec, norm, groups).spec
    label = LABELS[norm]
    return {
        "no normalization": variant(spec, "none", groups).spec,
        f"{label}, γ = 1, β = 0": base.replace(norm_gamma=1.0, norm_beta=0.0),
        f"{label}, γ = {gamma:g}, β = {beta:g}": base.replace(norm_gamma=gamma, norm_beta=beta),
    }


def run_affine(spec: NetworkSpec, norm: str, gamma: float, beta: float,
               groups: int = 4) -> Lineup:
    """Full runs (with histograms) of the three `affine_specs` networks."""
    spec, budget_note = budget.fit(spec, runs=3)
    specs = affine_specs(spec, norm, gamma, beta, groups)
    runs: dict[NetworkSpec, Result] = {}
    results = {}
    for label, s in specs.items():           # gamma 1, beta 0 chosen: two labels, one run
        if s not in runs:
            runs[s] = simulate(s)
        results[label] = runs[s]
    return Lineup(results, (budget_note,) if budget_note else ())
