"""One-click classroom demos: each sets every control and says what to look for.

A preset is only control values; a view "is" a preset whenever the controls match it,
so the explanation follows the controls without any extra state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

import lessons

from . import controls
from .controls import defaults
from .pages import BY_PATH


@dataclass(frozen=True)
class Preset:
    name: str
    look_for: str            # a template: its {fields} are facts of the network shown
    values: dict[str, Any]
    page: str = "variance"   # the page that shows it best
    # what core.experiments.diagnose finds, for every seed (checked by the tests)
    problems: tuple[str, ...] = ()
    tab: str | None = None   # the tab of the page that shows it, for a page with tabs

    def full_values(self) -> dict[str, Any]:
        return defaults() | self.values

    def text(self, facts: dict[str, str]) -> str:
        """What to look for, with the numbers of the network shown (lessons.facts; the
        app's are cached: ui.cache.facts)."""
        return lessons.fill(self.look_for, facts)


PRESETS: tuple[Preset, ...] = (
    Preset("Exploding: N(0, 1) weights",
           "{depth} linear layers of width 100 with Var(W) = 1: each layer multiplies the "
           "variance by fan_in × Var(W) = {sigma_w2}, so layer {depth} sits at {last_act_var}.",
           dict(activation="linear", depth=10, width=100, weight_var=1.0),
           problems=("exploding", "gradients_exploding")),
    Preset("Vanishing: Var(W) = 0.001",
           "The same network with Var(W) = 0.001: the per-layer factor is {sigma_w2}, so the "
           "signal shrinks to {last_act_var} by layer {depth}.",
           dict(activation="linear", depth=10, width=100, weight_var=0.001),
           problems=("vanishing", "gradients_vanishing")),
    Preset("Just right: Var(W) = 1 / fan_in",
           "With Var(W) = 1/100 the factor is {sigma_w2}: the curve stays level, however "
           "deep the network (here it moves {decades} powers of ten from layer 1 to layer "
           "{depth}). Drag the depth slider to check.",
           dict(activation="linear", depth=50, width=100, weight_var=0.01)),
    Preset("tanh with gain 1",
           "Kaiming init with gain 1 under tanh: tanh squashes, nothing makes up for it, and "
           "the activations shrink layer after layer, slowly but without end: from "
           "{first_act_var} at layer 1 to {last_act_var} at layer {depth}.",
           dict(activation="tanh", depth=200, width=100, init="kaiming_normal", gain="1"),
           page="saturation", problems=("vanishing", "gradients_vanishing")),
    Preset("tanh with gain 5/3 (Karpathy)",
           "PyTorch's tanh gain, 5/3, makes up for the squashing: the activations keep a "
           "steady spread. {sat_first} of layer 1's values are beyond |{cutoff}|, "
           "{sat_last} of layer {depth}'s. The gradient is another matter: 5/3 gives a "
           "little more than tanh takes away, and over {depth} layers that compounds, so the "
           "gradient grows on its way back (see Gradient flow).",
           dict(activation="tanh", depth=50, width=100, init="kaiming_normal", gain="auto"),
           page="saturation", problems=("gradients_exploding",)),
    Preset("tanh saturated by big weights",
           "Var(W) = 0.1 at width 100 gives pre-activations with std {last_preact_std}: the "
           "histograms pile up at -1 and +1 ({sat_last} of the last layer's values are "
           "beyond |{cutoff}|), where tanh's slope is below {cutoff_slope}: each of those units passes "
           "back less than {cutoff_share} of the gradient that reaches it. Yet the weights that push "
           "them there are so large that the gradient as a whole still grows on its way "
           "back (see Gradient flow): saturated and exploding at once.",
           dict(activation="tanh", depth=10, width=100, weight_var=0.1),
           page="saturation", problems=("saturated", "gradients_exploding")),
    Preset("ReLU with He init",
           "Kaiming (He) init, Var(W) = 2 / fan_in, makes up for ReLU zeroing half of its "
           "inputs: no factor compounds through the {depth} layers, and the variance only "
           "wanders, as finite width makes it (it moves {decades} powers of ten from layer 1 "
           "to layer {depth}; switch on the other seeds to see how far another draw goes).",
           dict(activation="relu", depth=50, width=100, init="kaiming_normal", gain="auto"),
           problems=("dead",)),
    Preset("Dying ReLU",
           "Small weights and large random biases: a unit whose bias is negative never "
           "switches on, for any example. Those columns are dead ({dead} of the units): no "
           "gradient ever reaches them.",
           dict(activation="relu", depth=20, width=100, weight_var=0.001, bias_var=1.0),
           page="dead_neurons", problems=("dead", "gradients_vanishing")),
    Preset("Bad init, no normalization",
           "tanh with Var(W) = 1 at width 100: the variance is steady only because tanh "
           "cannot exceed 1. {sat_last} of the last layer's values are pinned beyond |{cutoff}|, "
           "each passing back less than {cutoff_share} of the gradient that reaches it; yet the weights "
           "are so large that the gradient as a whole still grows on its way back (see "
           "Gradient flow).",
           dict(activation="tanh", depth=20, width=100, weight_var=1.0),
           page="saturation", problems=("saturated", "gradients_exploding")),
    Preset("BatchNorm rescues the bad init",
           "The same bad weights, with BatchNorm before each tanh: every layer is "
           "re-centred and re-scaled, and only {sat_last} of the last layer's values are "
           "beyond |{cutoff}|.",
           dict(activation="tanh", depth=20, width=100, weight_var=1.0, norm="batch"),
           page="saturation"),
    Preset("float16 overflows",
           "A linear net whose variance grows {sigma_w2}× a layer, run in float16: values "
           "pass {float16_max}, float16's largest number, and are inf from layer "
           "{overflow_layer} on.",
           dict(activation="linear", depth=20, width=100, weight_var=0.1, dtype="float16"),
           problems=("overflow",)),
    # -- the makemore story, in order, on the Training page
    Preset("Training 1: confidently wrong",
           "Five tanh layers and a full-size last layer: before any training the loss "
           "(the diamond) sits far above the −ln(1/27) = {loss_uniform} of a network that "
           "knows nothing. Watch the first steps: they only shrink the logits (the "
           "hockey stick).",
           dict(activation="tanh", depth=5, width=100, weight_var=0.1),
           page="training", problems=("saturated",)),
    Preset("Training 2: fixed readout",
           "The same network with its last layer scaled by 0.01: the loss starts right at "
           "−ln(1/27) = {loss_uniform}, and no step is wasted on shrinking logits. "
           "The tanh layers are still saturated ({sat_last} of layer {depth}'s values beyond "
           "|{cutoff}|): see the Activations tab.",
           dict(activation="tanh", depth=5, width=100, weight_var=0.1, readout_scale=0.01),
           page="training", problems=("saturated",)),
    Preset("Training 3: saturated tanh",
           "N(0, 1) hidden weights, as in makemore's first try: {sat_last} of layer {depth}'s "
           "values sit beyond |{cutoff}|, where each unit passes back less than {cutoff_share} of the "
           "gradient that reaches it (the weights are so large that the gradient as a whole "
           "still grows on its way back: see Gradient flow). The loss still starts near "
           "−ln(1/27), but learning is slower: compare the curve and the update:data ratios "
           "with the fixed-readout demo.",
           dict(activation="tanh", depth=5, width=100, weight_var=1.0, readout_scale=0.01),
           page="training", problems=("saturated", "gradients_exploding")),
    Preset("Training 4: gain 5/3",
           "Kaiming init with tanh's gain 5/3, Var(W) = (5/3)² / fan_in, and the fixed "
           "readout: only {sat_last} of layer {depth}'s values are beyond |{cutoff}| at the "
           "start, and the loss starts near −ln(1/27) = {loss_uniform}.",
           dict(activation="tanh", depth=5, width=100, init="kaiming_normal", gain="auto",
                readout_scale=0.01),
           page="training"),
    Preset("Training 5: BatchNorm",
           "Back to N(0, 1) weights, now with BatchNorm before every tanh: it re-scales each "
           "layer, so only {sat_last} of layer {depth}'s values are beyond |{cutoff}|. See the "
           "BatchNorm tab for train mode against eval mode, and try batch sizes 2 to 4.",
           dict(activation="tanh", depth=5, width=100, weight_var=1.0, norm="batch",
                readout_scale=0.01),
           page="training"),
    # -- how deep can it be: the Depth scales page (Schoenholz et al. 2017 at σ_b² = 0.05)
    Preset("Edge of chaos 1: tanh, ordered",
           "σ_w² = {sigma_w2} with σ_b² = 0.05: χ₁ = {chi1} < 1, the {phase} phase. Two "
           "inputs' correlation climbs to c* = {c_star} over ξ_c = {xi_c} layers: deep in "
           "the network every input looks alike, and only about 6 ξ_c = {six_xi_c} layers "
           "train.",
           dict(activation="tanh", depth=30, width=100, weight_var=0.01, bias_var=0.05),
           page="depth_scales", tab="Order and chaos", problems=("gradients_vanishing",)),
    Preset("Edge of chaos 2: tanh, critical",
           "σ_w² = {sigma_w2}, on the critical line (χ₁ = {chi1}, the {phase} phase): the "
           "correlation settles over ξ_c = {xi_c} layers, so the depth that trains, about "
           "6 ξ_c = {six_xi_c}, is far beyond this network's {depth} layers.",
           dict(activation="tanh", depth=30, width=100, weight_var=0.01778, bias_var=0.05),
           page="depth_scales", tab="Order and chaos"),
    Preset("Edge of chaos 3: tanh, chaotic",
           "σ_w² = {sigma_w2}: χ₁ = {chi1} > 1, the {phase} phase. Two inputs that start "
           "alike are pushed apart until their correlation is c* = {c_star}, within "
           "ξ_c = {xi_c} layers; about 6 ξ_c = {six_xi_c} layers train.",
           dict(activation="tanh", depth=30, width=100, weight_var=0.03162, bias_var=0.05),
           page="depth_scales", tab="Order and chaos", problems=("gradients_exploding",)),
    Preset("Isometry 1: linear, Gaussian, depth 100",
           "{depth} linear layers with Var(W) = 1/n (LeCun): the signal's variance stays "
           "level, yet the Jacobian's squared singular values spread over tens of powers "
           "of ten, with a variance that grows like the depth.",
           dict(activation="linear", depth=100, width=50, init="lecun_normal"),
           page="depth_scales", tab="Dynamical isometry"),
    Preset("Isometry 2: linear, orthogonal, depth 100",
           "The same {depth} layers with orthogonal weights: every squared singular value "
           "of the Jacobian is exactly 1, at every depth. Dynamical isometry.",
           dict(activation="linear", depth=100, width=50, init="orthogonal", gain="1"),
           page="depth_scales", tab="Dynamical isometry"),
    # He's gain written out, √2 ≈ 1.414: the same network as "ReLU with He init" at
    # width 100, a demo of its own
    Preset("Finite width 1: ReLU He, width 10, depth 50",
           "He init (gain √2 ≈ {gain}) keeps the average of ‖x‖² level, but at width "
           "{width} each layer's factor is an average over {width} units only, and its "
           "randomness compounds over {depth} layers: the spread of ln ‖x_L‖² over draws "
           "grows like 5 × {depth}/{width}, and a typical draw's output ends far below "
           "its average: this one's activation variance goes from {first_act_var} at "
           "layer 1 to {last_act_var} at layer {depth}, vanishing on every seed.",
           dict(activation="relu", depth=50, width=10, init="kaiming_normal", gain="1.414"),
           page="depth_scales", tab="Finite width",
           problems=("vanishing", "dead", "gradients_vanishing")),
    Preset("Finite width 2: ReLU He, width 100, depth 50",
           "The same {depth} layers at width {width}: the spread over draws shrinks like "
           "1/width (5 × {depth}/{width} in ln ‖x_L‖²), and every draw starts near the "
           "average.",
           dict(activation="relu", depth=50, width=100, init="kaiming_normal", gain="1.414"),
           page="depth_scales", tab="Finite width", problems=("dead",)),
)
BY_NAME = {p.name: p for p in PRESETS}


def apply(name: str) -> None:
    """Set every control to the demo's values and ask the shell to open its page (a
    widget callback: it runs before the next rerun draws the widgets)."""
    if name in BY_NAME:
        preset = BY_NAME[name]
        controls.apply_values(preset.values)
        st.session_state["_preset_page"] = preset.page
        if preset.tab is not None:
            st.session_state[BY_PATH[preset.page].tab_key] = preset.tab


def matching(values: dict[str, Any]) -> Preset | None:
    """The preset these control values are, if any (seed and batch aside)."""
    loose = {"seed", "batch"}
    for p in PRESETS:
        want = p.full_values()
        if all(values.get(k) == v for k, v in want.items() if k not in loose):
            return p
    return None
