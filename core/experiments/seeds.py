"""The same network under other seeds: how far finite width lets one draw wander.

A verdict is about the network, not about one draw of its weights and inputs. At finite
width every layer multiplies the variance by a slightly random factor, so curves from
different seeds fan out with depth (for ReLU at width 100, about ±0.6 decades after 30
layers). `seed_band` runs the network under the next few seeds and keeps, per layer, the
lowest and highest value: the band a student sees around the one curve drawn.

>>> from core.spec import NetworkSpec
>>> band, shrunk = seed_band(NetworkSpec(activation="relu", init="kaiming_normal",
...                                      depth=30, width=100), seeds=4)
>>> band.seeds, band.preact.shape, bool((band.preact[0] <= band.preact[1]).all())
((1, 2, 3, 4), (2, 30), True)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import budget
from ..profile import profile
from ..spec import RANGES, Fix, NetworkSpec

SEEDS = 5


@dataclass(frozen=True)
class SeedBand:
    seeds: tuple[int, ...]      # the seeds run (the spec's own seed excluded)
    preact: np.ndarray          # (2, depth): per layer, lowest and highest log10 Var(h)
    grad: np.ndarray            # (2, depth): the same for log10 Var(dL/dh)


def other_seeds(seed: int, count: int = SEEDS) -> tuple[int, ...]:
    """The `count` seeds after `seed`, wrapping within the seed range."""
    top = RANGES["seed"][1] + 1
    return tuple((seed + k) % top for k in range(1, count + 1))


def seed_band(spec: NetworkSpec, seeds: int = SEEDS, limits: budget.Limits | None = None
              ) -> tuple[SeedBand, tuple[Fix, ...]]:
    """Per-layer extremes over `seeds` other seeds, all runs within `limits` (None: as
    asked). Layers a run left undefined (inf/NaN in float32/16) do not count."""
    spec, shrunk = budget.fit(spec, seeds, limits)
    chosen = other_seeds(spec.seed, seeds)
    runs = [profile(spec.replace(seed=s)) for s in chosen]
    return SeedBand(chosen, _extremes([r.log10_preact_var for r in runs]),
                    _extremes([r.log10_grad_var for r in runs])), shrunk


def _extremes(curves: list[np.ndarray]) -> np.ndarray:
    stack = np.array(curves, dtype=float)
    stack[~np.isfinite(stack)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # a layer undefined in every run: NaN
        return np.array([np.nanmin(stack, axis=0), np.nanmax(stack, axis=0)])
