"""One-click classroom demos: each sets every control and says what to look for.

A preset is only control values; a view "is" a preset whenever the controls match it,
so the explanation follows the controls without any extra state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .controls import defaults


@dataclass(frozen=True)
class Preset:
    name: str
    look_for: str
    values: dict[str, Any]
    page: str = "variance"        # the page that shows it best

    def full_values(self) -> dict[str, Any]:
        return defaults() | self.values


PRESETS: tuple[Preset, ...] = (
    Preset("Exploding: N(0, 1) weights",
           "Ten linear layers of width 100 with Var(W) = 1: each layer multiplies the "
           "variance by fan_in x Var(W) = 100, so layer 10 sits near 10^20.",
           dict(activation="linear", depth=10, width=100, weight_var=1.0)),
    Preset("Vanishing: Var(W) = 0.001",
           "The same network with Var(W) = 0.001: the per-layer factor is 0.1, so the "
           "signal shrinks to about 10^-10 by layer 10.",
           dict(activation="linear", depth=10, width=100, weight_var=0.001)),
    Preset("Just right: Var(W) = 1 / fan_in",
           "With Var(W) = 1/100 the factor is exactly 1: the curve stays flat, however "
           "deep the network. Drag the depth slider to check.",
           dict(activation="linear", depth=50, width=100, weight_var=0.01)),
    Preset("tanh with gain 1",
           "Kaiming init with gain 1 under tanh: tanh squashes, nothing makes up for it, and "
           "the activations shrink layer after layer.",
           dict(activation="tanh", depth=50, width=100, init="kaiming_normal", gain="1"),
           page="saturation"),
    Preset("tanh with gain 5/3 (Karpathy)",
           "PyTorch's tanh gain, 5/3, makes up for the squashing: the activations keep a "
           "steady spread, with only a few percent beyond |0.97|.",
           dict(activation="tanh", depth=50, width=100, init="kaiming_normal", gain="auto"),
           page="saturation"),
    Preset("tanh saturated by big weights",
           "Var(W) = 0.1 at width 100 gives pre-activations with std ~3: the histograms "
           "pile up at -1 and +1, where tanh's slope, and so the gradient, is nearly zero.",
           dict(activation="tanh", depth=10, width=100, weight_var=0.1),
           page="saturation"),
    Preset("ReLU with He init",
           "Kaiming (He) init, Var(W) = 2 / fan_in, makes up for ReLU zeroing half of its "
           "inputs: the variance stays flat through 50 layers.",
           dict(activation="relu", depth=50, width=100, init="kaiming_normal", gain="auto")),
    Preset("Dying ReLU",
           "Small weights and large random biases: a unit whose bias is negative never "
           "switches on, for any example. Those columns are dead: no gradient ever reaches them.",
           dict(activation="relu", depth=20, width=100, weight_var=0.001, bias_var=1.0),
           page="dead_neurons"),
    Preset("Bad init, no normalization",
           "tanh with Var(W) = 1 at width 100: every unit is pinned at +-1.",
           dict(activation="tanh", depth=20, width=100, weight_var=1.0)),
    Preset("BatchNorm rescues the bad init",
           "The same bad weights, with BatchNorm before each tanh: every layer is "
           "re-centred and re-scaled, so the activations look healthy again.",
           dict(activation="tanh", depth=20, width=100, weight_var=1.0, norm="batch")),
    Preset("float16 overflows",
           "A linear net whose variance grows 10x a layer, run in float16: values pass "
           "65504, float16's largest number, become inf, and then NaN from there on.",
           dict(activation="linear", depth=20, width=100, weight_var=0.1, dtype="float16")),
)
BY_NAME = {p.name: p for p in PRESETS}


def matching(values: dict[str, Any]) -> Preset | None:
    """The preset these control values are, if any (seed and batch aside)."""
    loose = {"seed", "batch"}
    for p in PRESETS:
        want = p.full_values()
        if all(values.get(k) == v for k, v in want.items() if k not in loose):
            return p
    return None
