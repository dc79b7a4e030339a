"""Verdicts in words: one wording of core.experiments.diagnose for every page.

Each page judges what it is about (the variance page the forward signal, the gradient
page the backward one) and then names what else is wrong with the same network, with a
link to the page that shows it. Every page asks the same `Diagnosis`, so no two pages
can disagree about one network.
"""

from __future__ import annotations

import math

import streamlit as st

from core.experiments.diagnose import DRIFT_DECADES, Diagnosis, Trend
from core.propagate import constant_readout
from figures.style import format_power

from . import labels, links
from .pages import PROBLEM_PAGES

# In a table cell, beside a chart line: one word per verdict.
TREND_WORDS = {"stable": "steady", "exploding": "explodes", "vanishing": "vanishes",
               "overflow": "overflows", "underflow": "underflows", "zero": "zero"}
COLORS = {"stable": "green", "exploding": "red", "vanishing": "blue", "zero": "violet",
          "overflow": "orange", "underflow": "orange"}


def _drift(trend: Trend, what: str, layers: str) -> str:
    """A change within the tolerance: said as a number, with why it is no trend."""
    if trend.within_ten:
        return f"{what} stays within a factor of ten {layers}."
    way = "grows" if trend.decades > 0 else "shrinks"
    why = (f"within the ±{trend.tolerance:.1f} decades by which networks of this width "
           f"differ from one random draw of the weights to the next"
           if trend.tolerance > DRIFT_DECADES else
           "a slow drift, not the steady layer-after-layer trend of a network off balance")
    return f"{what} {way} {abs(trend.decades):.1f} powers of ten {layers}: {why}."


def forward_sentence(trend: Trend, depth: int, dtype: str, edge_layer: int | None) -> str:
    """The variance page's verdict on the pre-activation variance.

    >>> from core.experiments.diagnose import trend
    >>> "no trend to judge" in forward_sentence(trend([2.0]), 1, "float64", None)
    True
    """
    if depth == 1 and trend.kind == "stable":     # one point: no layer-to-layer change
        return _colored("stable", "One layer.", "There is no trend to judge yet: the "
                        "variance above is what one layer makes of its input. Add layers "
                        "to see it compound.")
    layers = f"from layer 1 to layer {depth}"
    title, body = {
        "stable": lambda: ("Stable.", _drift(trend, "The variance", f"through all {depth} layers"
                                             if trend.within_ten else layers)),
        "exploding": lambda: ("Exploding.", f"The variance grows {trend.decades:.1f} powers of "
                              f"ten {layers} (× {trend.factor_per_layer:.3g} a layer)."),
        "vanishing": lambda: ("Vanishing.", f"The variance shrinks {-trend.decades:.1f} powers "
                              f"of ten {layers} (× {trend.factor_per_layer:.3g} a layer)."),
        "zero": lambda: ("Dead.", "The signal is exactly zero by the last layer: every unit "
                         "is off."),
        "overflow": lambda: ("Overflow.", f"In {dtype} the values passed the largest number "
                             f"the format holds at layer {edge_layer}; from there on they are "
                             f"inf or NaN."),
        "underflow": lambda: ("Underflow.", f"In {dtype} the values fell below the smallest "
                              f"number the format holds at layer {edge_layer}: from there on "
                              f"they are rounded to exactly zero. The units are not off; in "
                              f"float64 the signal would go on shrinking."),
    }[trend.kind]()
    return _colored(trend.kind, title, body)


# Where a float32/16 run left the format's range (core.simulate.Overflow.where).
OVERFLOW_WORDS = {
    "forward": "In {dtype} the forward pass passed the largest number the format holds at "
               "layer {layer}; from there on values are inf or NaN, and they are left out of "
               "the charts.",
    "readout": "In {dtype} the forward pass stayed in range through layer {layer}, but the "
               "logits passed the largest number the format holds at the readout; values "
               "that are inf or NaN from there on are left out of the charts.",
    "backward": "In {dtype} the forward pass and the loss stayed in range, but on the way "
                "back {what}; values that are inf or NaN are left out of the charts.",
}


def overflow_sentence(overflow, dtype: str) -> str:
    """Which pass left the format's range, and at which layer (counted from 1).

    >>> from core.simulate import Overflow
    >>> overflow_sentence(Overflow("backward", 38), "float16")[:60]
    'In float16 the forward pass and the loss stayed in range, bu'
    >>> print(overflow_sentence(Overflow("backward", 3, 7), "float16"))   # doctest: +ELLIPSIS
    In float16 ... the weight gradient dL/dW, a sum over the whole batch, passed the largest number the format holds at layer 8, and dL/dh passed it at layer 4: ...
    """
    if overflow.where != "backward":
        return OVERFLOW_WORDS[overflow.where].format(dtype=dtype, layer=overflow.layer + 1)
    parts = []
    if overflow.weight_layer is not None:
        parts.append(f"the weight gradient dL/dW, a sum over the whole batch, passed the "
                     f"largest number the format holds at layer {overflow.weight_layer + 1}")
    if overflow.layer is not None:
        parts.append(("dL/dh passed it" if parts else "the gradient dL/dh passed the largest "
                      "number the format holds") + f" at layer {overflow.layer + 1}: from "
                     f"there down to layer 1 it is inf or NaN")
    return OVERFLOW_WORDS["backward"].format(dtype=dtype, what=", and ".join(parts))


def zero_sentence(res) -> str:
    """Why the gradient is exactly zero, where the network, not the format, made it so
    (core.simulate.Result.grad_zero_cause)."""
    layer = None if res.grad_zero_layer is None else res.grad_zero_layer + 1
    spec = res.spec
    if res.grad_zero_cause == "readout":
        return _constant_readout_words(res) + " So the gradient is exactly zero at every layer."
    if res.grad_zero_cause == "off":
        return (f"The gradient is exactly zero from layer {layer} down: at layer {layer} every "
                f"unit it reaches is off (ReLU's slope is 0 for a negative input), so none "
                f"passes it back.")
    if res.grad_zero_cause == "certain":
        return (f"The gradient is exactly zero: in {spec.dtype} the softmax gives every "
                f"example's right class a probability of exactly 1 (the logits' margins are "
                f"beyond what the format can tell from certainty), so the loss is "
                f"{res.loss:.4g} and this batch has nothing left to teach.")
    if res.grad_zero_cause == "norm":
        return (f"The gradient is exactly zero from layer {layer} down, not rounded away: at "
                f"layer {layer} the {labels.NORM_LABELS[spec.norm]}'s backward step took all "
                f"of it out. A normalization removes from the gradient whatever would only "
                f"shift or rescale the values it normalizes, and here that was everything.")
    return "The gradient is exactly zero."


def _constant_readout_words(res) -> str:
    """Why this network's loss cannot change (core.propagate.constant_readout), with its
    loss."""
    spec = res.spec
    loss = f"the loss is {res.loss:.4f}"
    if math.isclose(res.loss, math.log(spec.classes), rel_tol=1e-3):
        loss += f" (ln {spec.classes}: every class equally likely)"
    if constant_readout(spec) == "instance_pair":
        how = (f"InstanceNorm normalizes each channel over only 2 positions, and two values "
               f"always come out as a pair −c and +c (c ≈ γ), whatever they were; "
               f"{spec.activation} keeps them opposite, so their average over the positions "
               f"is exactly 0.")
    else:
        how = (f"InstanceNorm after the activation gives every channel the average β = "
               f"{spec.norm_beta:g} over the {spec.spatial} positions, whatever the input.")
    return (f"By construction, not by rounding: {how} The readout averages over exactly "
            f"those positions, so it sees the same numbers for every input: {loss} whatever "
            f"the weights are, and no weight can change it.")


def constant_readout_note(res) -> str | None:
    """For a network whose loss cannot change but whose computed gradient is not exactly
    zero: what the curve drawn is."""
    if constant_readout(res.spec) is None or res.grad_zero_cause == "readout":
        return None
    return (_constant_readout_words(res) + " The true gradient is zero; the tiny one drawn "
            "is the rounding error of the arithmetic, not a signal.")


def backward_sentence(trend: Trend, dtype: str, edge_layer: int | None,
                      overflow=None, zero: str | None = None) -> str:
    """The gradient page's verdict on the gradient's way back to layer 1. `overflow`: where
    the run left the format's range (core.simulate.Overflow); `zero`: why the gradient is
    exactly zero (`zero_sentence`)."""
    dec = abs(trend.decades) if not math.isnan(trend.decades) else 0.0
    title, body = {
        "stable": lambda: ("Stable.", _drift(trend, "The gradient",
                                             "from the last layer back to the first")),
        "vanishing": lambda: ("Vanishing gradients.", f"The gradient reaching layer 1 is "
                              f"{dec:.1f} powers of ten smaller than at the last layer: "
                              + ("the first layers would barely learn." if trend.severe else
                                 f"with one learning rate, the first layers learn "
                                 f"{10 ** dec:.0f}× slower than the last.")),
        "exploding": lambda: ("Exploding gradients.", f"The gradient grows {dec:.1f} powers "
                              f"of ten on its way back to layer 1: "
                              + ("one step of gradient descent would wreck the first layers."
                                 if trend.severe else
                                 f"a learning rate that suits the last layer is "
                                 f"{10 ** dec:.0f}× too large for the first.")),
        "zero": lambda: ("No gradient.", zero or "The gradient is exactly zero."),
        "overflow": lambda: ("Overflow.", overflow_sentence(overflow, dtype) if overflow else
                             f"In {dtype} some values are inf or NaN, and they are left out "
                             f"of the charts."),
        "underflow": lambda: ("Underflow.", f"In {dtype} the gradient fell below the smallest "
                              f"number the format holds at layer {edge_layer} and was rounded "
                              f"to exactly zero below it: the units are not off, the format "
                              f"ran out of small numbers."),
    }[trend.kind]()
    return _colored(trend.kind, title, body)


def _colored(kind: str, title: str, body: str) -> str:
    return f":{COLORS[kind]}[**{title}**] {body}"


def problem_sentence(name: str, diag: Diagnosis, depth: int) -> str:
    """One line about a problem another page shows."""
    f, b = diag.forward, diag.backward
    return {
        "exploding": f"The forward signal explodes: {f.decades:.1f} powers of ten over "
                     f"{depth} layers.",
        "vanishing": f"The forward signal vanishes: {-f.decades:.1f} powers of ten over "
                     f"{depth} layers.",
        "overflow": "The values overflow the number format.",
        "underflow": "The values underflow the number format.",
        "saturated": f"{diag.saturated:.0%} of the last layer's values are saturated "
                     f"(|value| > {diag.saturation_threshold:g}): those units have stopped "
                     f"responding, whatever the variance does.",
        "dead": f"{diag.dead:.1%} of the units are dead: off for every example of the batch.",
        "gradients_vanishing": f"The gradient reaching layer 1 is {format_power(b.decades)} "
                               f"times the last layer's.",
        "gradients_exploding": f"The gradient reaching layer 1 is {format_power(b.decades)} "
                               f"times the last layer's.",
    }[name]


def show_elsewhere(diag: Diagnosis, here: str, depth: int) -> None:
    """What else is wrong with this network, each with a link to the page that shows it."""
    for name in diag.problems:
        page = PROBLEM_PAGES[name]
        if page == here:
            continue
        st.markdown(":material/arrow_forward: " + problem_sentence(name, diag, depth))
        links.page_link(page, f"See it on: {links.BY_PATH[page].title}")
