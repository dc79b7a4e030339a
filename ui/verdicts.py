"""Verdicts in words: one wording of core.experiments.diagnose for every page.

Each page judges what it is about (the variance page the forward signal, the gradient
page the backward one) and then names what else is wrong with the same network, with a
link to the page that shows it. Every page asks the same `Diagnosis`, so no two pages
can disagree about one network.
"""

from __future__ import annotations

import math

import streamlit as st

from core.experiments.diagnose import Diagnosis, Trend
from core.propagate import constant_readout
from figures.style import format_power

from . import labels, links
from .pages import PROBLEM_PAGES

# In a table cell, beside a chart line: one word per verdict.
TREND_WORDS = {"stable": "steady", "drifting": "drifts", "exploding": "explodes",
               "vanishing": "vanishes", "overflow": "overflows", "underflow": "underflows",
               "zero": "zero"}
COLORS = {"stable": "green", "drifting": "orange", "exploding": "red", "vanishing": "blue",
          "zero": "violet", "overflow": "orange", "underflow": "orange"}


def span(trend: Trend) -> str:
    """The layers a change is counted between, with their values: the points of the chart
    the reader can check it on (one convention on every page: the input before layer 1 is
    not counted, for it is not drawn).

    >>> from core.experiments.diagnose import trend, backward_trend
    >>> span(trend([2.0, 11.0, 20.0]))
    'from layer 1 (100) to layer 3 (1.00 × 10²⁰)'
    >>> span(backward_trend([-3.0, -2.0, 0.0]))
    'from layer 3 (1) back to layer 1 (0.001)'
    """
    (a, b), (va, vb) = trend.layers, trend.ends
    back = " back" if b < a else ""
    return f"from layer {a} ({format_power(va)}){back} to layer {b} ({format_power(vb)})"


def change(trend: Trend, what: str) -> str:
    """`what` grows or shrinks so many powers of ten, between the layers it was counted on.

    >>> from core.experiments.diagnose import trend
    >>> change(trend([0.0, -1.0, -2.0, -3.0]), "The variance")
    'The variance shrinks 3.0 powers of ten from layer 1 (1) to layer 4 (0.001)'
    """
    way = "grows" if trend.decades > 0 else "shrinks"
    return f"{what} {way} {abs(trend.decades):.1f} powers of ten {span(trend)}"


def trend_cell(trend: Trend) -> str:
    """A table cell: the word, and the change it judges; ± how far another draw of the
    weights could land, where that could change the word (`Trend.spread_matters`).

    >>> from core.experiments.diagnose import Trend, trend
    >>> trend_cell(trend([0.0, -0.5, -1.3]))
    'drifts (−1.3 powers of ten)'
    >>> trend_cell(Trend("stable", 1.0, 0.52, tolerance=2.4))
    'steady (+0.5 ± 2.4 powers of ten)'
    """
    return TREND_WORDS[trend.kind] + trend_change(trend)


def trend_change(trend: Trend) -> str:
    """The change a verdict judges, as a cell writes it after the word: " (−1.3 powers
    of ten)", with ± the draws' spread where it matters; "" where it is not finite.

    >>> from core.experiments.diagnose import trend
    >>> trend_change(trend([0.0, -0.5, -1.3]))
    ' (−1.3 powers of ten)'
    """
    if not math.isfinite(trend.decades):
        return ""
    spread = f" ± {trend.tolerance:.1f}" if trend.spread_matters else ""
    return f" ({trend.decades:+.1f}{spread} powers of ten)".replace("-", "−")


def _spread(trend: Trend) -> str:
    """Where another seed could land elsewhere than the bands' edges: said with its size."""
    if not trend.spread_matters:
        return ""
    return (f" Another random draw of this network's weights could land up to "
            f"±{trend.tolerance:.1f} powers of ten away: at this width and depth, part of "
            f"the change is the draw's, not the network's.")


def _body(trend: Trend, what: str, per_layer: str = "") -> str:
    """The sentence after a stable, drifting, exploding or vanishing verdict's title."""
    if trend.kind == "stable":
        text = (f"{what} stays within a factor of ten {span(trend)}: it moves "
                f"{abs(trend.decades):.1f} powers of ten.")
    elif trend.kind == "drifting":
        text = (f"{change(trend, what)}: more than the factor of ten we call stable, less "
                f"than the hundredfold change of a network off balance.")
    else:
        text = change(trend, what) + per_layer + "."
    return text + _spread(trend)


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
    a_layer = f", × {trend.factor_per_layer:.3g} a layer"
    title, body = {
        "stable": lambda: ("Stable.", _body(trend, "The variance")),
        "drifting": lambda: ("Drifting.", _body(trend, "The variance")),
        "exploding": lambda: ("Exploding.", _body(trend, "The variance", a_layer)),
        "vanishing": lambda: ("Vanishing.", _body(trend, "The variance", a_layer)),
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
        "stable": lambda: ("Stable.", _body(trend, "The gradient")),
        "drifting": lambda: ("Drifting gradients.", _body(trend, "The gradient")),
        "vanishing": lambda: ("Vanishing gradients.", _body(trend, "The gradient", ": " + (
            "the first layers would barely learn" if trend.severe else
            f"with one learning rate, the first layers learn {10 ** dec:.0f}× slower than "
            f"the last"))),
        "exploding": lambda: ("Exploding gradients.", _body(trend, "The gradient", ": " + (
            "one step of gradient descent would wreck the first layers" if trend.severe else
            f"a learning rate that suits the last layer is {10 ** dec:.0f}× too large for "
            f"the first"))),
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


def saturated_words(diag: Diagnosis) -> str:
    """The saturated share, with its cutoff and what a unit there passes back.

    A saturated unit passes back only a few percent of the gradient that reaches it; the
    gradient as a whole is a product over the layers, weights included, and can still
    grow (`Diagnosis.saturated_yet_growing`): every page says the first of the unit and
    the second of the product, so the two never read as one claim and its opposite."""
    return (f"{diag.saturated:.0%} of the last layer's values are saturated (|value| > "
            f"{diag.saturation_threshold:g}): each of those units passes back at most "
            f"{diag.passes:.0%} of the gradient that reaches it")


def gradient_words(diag: Diagnosis) -> str:
    """The gradient as a whole, and how that squares with saturation when there is any."""
    b = diag.backward
    words = change(b, "The gradient")
    if diag.saturated_yet_growing:
        words += (", though the saturated units pass back only a few percent each: the "
                  "weights that saturate them are so large that the product over the "
                  "layers still grows")
    return words + "."


def saturation_story(diag: Diagnosis) -> str | None:
    """For a saturated network whose gradient still grows: both facts in one sentence, the
    same on every page that states either."""
    if not diag.saturated_yet_growing:
        return None
    return (saturated_words(diag) + "; yet the weights that push them there are so large "
            "that the gradient as a whole still grows on its way back: "
            f"{abs(diag.backward.decades):.1f} powers of ten {span(diag.backward)}. "
            "Saturated and exploding at once.")


def problem_sentence(name: str, diag: Diagnosis, depth: int) -> str:
    """One line about a problem another page shows."""
    f = diag.forward
    return {
        "exploding": lambda: f"The forward signal explodes: {abs(f.decades):.1f} powers of "
                             f"ten {span(f)}.",
        "vanishing": lambda: f"The forward signal vanishes: {abs(f.decades):.1f} powers of "
                             f"ten {span(f)}.",
        "overflow": lambda: "The values overflow the number format.",
        "underflow": lambda: "The values underflow the number format.",
        "saturated": lambda: saturation_story(diag) or (
            saturated_words(diag) + ": those units have stopped responding, whatever the "
                                    "variance does."),
        "dead": lambda: f"{diag.dead:.1%} of the units are dead: {diag.flat_word} for "
                        f"every example of the batch.",
        "gradients_vanishing": lambda: gradient_words(diag),
        "gradients_exploding": lambda: gradient_words(diag),
    }[name]()


def show_elsewhere(diag: Diagnosis, here: str, depth: int) -> None:
    """What else is wrong with this network, each with a link to the page that shows it
    (saturated yet exploding: one line, `saturation_story`, with both pages' links)."""
    names = [n for n in diag.problems if PROBLEM_PAGES[n] != here]
    story = diag.saturated_yet_growing and {"saturated", "gradients_exploding"} <= set(names)
    for name in names:
        if story and name == "gradients_exploding":
            continue
        st.markdown(":material/arrow_forward: " + problem_sentence(name, diag, depth))
        pages = [PROBLEM_PAGES["saturated"], PROBLEM_PAGES["gradients_exploding"]] \
            if story and name == "saturated" else \
            [PROBLEM_PAGES[name]]
        for page in pages:
            links.page_link(page, f"See it on: {links.BY_PATH[page].title}")
