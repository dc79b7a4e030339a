"""Every init scheme on the same network: PyTorch's gains, the Var(W) each scheme draws
from, and one run per scheme.

A layer multiplies the variance by about fan_in x Var(W) x (what the activation keeps), so
a scheme keeps the signal flat when fan_in x Var(W) makes up for the activation: 1 for
linear, 2 for relu (He), about 1 for tanh near zero (PyTorch's gain 5/3 over-compensates
on purpose, so the signal settles at a healthy spread instead of shrinking to zero).

Here every layer is square (fan_in = fan_out = width), so Xavier's 2 / (fan_in + fan_out)
equals Kaiming's 1 / fan_in and several schemes draw *identical* weights (same seed, same
distribution, same variance). `run_schemes` runs each distinct network once and shares the
result, which is exact: the weights are the same numbers.

>>> from core.spec import NetworkSpec
>>> [r.gain for r in gain_rows("relu") if r.current][0] == 2 ** 0.5
True
>>> rows = {r.scheme: r for r in scheme_rows(NetworkSpec(width=100, activation="relu"))}
>>> round(rows["kaiming_normal"].weight_var, 6), round(rows["torch_default"].sigma_w2, 4)
(0.02, 0.3333)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import activations, initializers
from . import budget
from ..profile import Profile, profile
from ..propagate import weight_family
from ..spec import NetworkSpec

@dataclass(frozen=True)
class GainRow:
    activation: str
    gain: float             # what Layerscope uses (1 where PyTorch has none)
    in_pytorch: bool
    current: bool


@dataclass(frozen=True)
class SchemeRow:
    scheme: str
    gain: float | None      # the gain the scheme uses (None: it ignores gains)
    weight_var: float       # Var(W) at the spec's width
    sigma_w2: float         # fan_in x Var(W): the per-layer factor before the activation


def gain_rows(current: str) -> list[GainRow]:
    """One row per activation: PyTorch's gain, with the current activation flagged."""
    rows = []
    for name, act in activations.ACTIVATIONS.items():
        rows.append(GainRow(name,
                            activations.calculate_gain(name), act.gain is not None,
                            name == current))
    return rows


def scheme_rows(spec: NetworkSpec) -> list[SchemeRow]:
    """The Var(W) every scheme draws from at the spec's width and gain."""
    gain = spec.effective_gain
    rows = []
    for scheme in initializers.SCHEMES:
        var = initializers.weight_var(scheme, spec.fan_in, spec.fan_out, gain, spec.weight_var)
        rows.append(SchemeRow(scheme,
                              None if scheme in initializers.GAINLESS else gain,
                              var, spec.fan_in * var))
    return rows


def draw_key(spec: NetworkSpec) -> tuple:
    """Two specs with the same key draw the same weights (and so are the same network)."""
    family = weight_family(spec.init)
    scale = spec.effective_gain if family == "orthogonal" else float(f"{spec.effective_weight_var:.12g}")
    return (family, scale) + tuple(v for k, v in sorted(vars(spec).items())
                          if k not in ("init", "weight_var", "gain"))


def run_schemes(spec: NetworkSpec, schemes=initializers.SCHEMES) -> dict[str, Profile]:
    """The spec under every scheme, one run per distinct network (see the module note);
    each run's per-layer curves as `core.profile` gives them (simulate's numbers)."""
    runs: dict[tuple, Profile] = {}
    out = {}
    for scheme in schemes:
        s = spec.replace(init=scheme)
        key = draw_key(s)
        if key not in runs:
            runs[key] = profile(s)
        out[scheme] = replace(runs[key], spec=s)      # shares the arrays
    return out


def distinct_runs(spec: NetworkSpec, schemes=initializers.SCHEMES) -> int:
    """How many simulations `run_schemes` needs for this spec."""
    return len({draw_key(spec.replace(init=s)) for s in schemes})


def run_schemes_within_budget(spec: NetworkSpec, schemes=initializers.SCHEMES,
                              limits: budget.Limits | None = None):
    """run_schemes on a network shrunk to `limits` (a live page's: ui.capacity; None: as
    asked): (results, what the budget changed)."""
    small, shrunk = budget.fit(spec, distinct_runs(spec, schemes), limits)
    return run_schemes(small, schemes), shrunk
