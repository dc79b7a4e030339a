"""The Training page's explanations: what the measured runs say, in words, every number
computed from the run (views/training.py draws them beside its charts)."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from core import activations
from core.train import LOSS_LIMIT, Status

# What a run's state says, in the loss section (an error) and in a tab with no
# statistics: read from TrainLog.status, one state at a time, so no two contradict.
STATUS_ERRORS = {
    Status.DIVERGED: (
        "**{label}**: the training diverged at step {step}: after {steps} that went "
        "through, that step's loss or a gradient stopped being a finite number (or the loss "
        "passed {limit:g}). Lower the learning rate, or fix the initialization so that the "
        "signal neither explodes nor vanishes; the classroom demos *Training 1* to "
        "*Training 5* tell the story with networks that train."),
    Status.CANNOT_START: (
        "**{label}**: this network cannot take its first step: untrained, its loss or a "
        "gradient is already not a finite number (or the loss passes {limit:g}), so no step "
        "was taken. Fix the initialization so that the signal neither explodes nor "
        "vanishes; the classroom demos *Training 1* to *Training 5* tell the story with "
        "networks that train."),
}
NO_STATISTICS = {
    Status.WAITING: "No statistics yet: the first step has not finished.",
    Status.CANNOT_START: "No statistics: the network could not take its first step "
                         "(see above).",
}
FAR_ABOVE = 1.5         # a loss this many times -ln(1/27) is far worse than guessing


def status_error(label: str, log) -> str | None:
    """The error a run's state calls for (a divergence, or no first step), or None."""
    words = STATUS_ERRORS.get(log.status)
    if words is None:
        return None
    step = log.failed_at
    return words.format(label=label, step=step, limit=LOSS_LIMIT,
                        steps=f"{step} step" + ("s" if step != 1 else ""))


def no_statistics(log) -> str | None:
    """Why a run has no per-layer statistics to draw, or None when it has them."""
    return NO_STATISTICS.get(log.status) if not log.record_steps.size else None


def end_verdict(label: str, log) -> str | None:
    """When the validation loss ends far above -ln(1/27): worse than guessing, and why
    as far as the numbers tell (it rose: the step size is too large), or None."""
    uniform = log.uniform_loss
    if log.eval_steps.size < 2 or log.eval_steps[-1] == 0:
        return None
    start, end, step = float(log.valid_loss[0]), float(log.valid_loss[-1]), int(log.eval_steps[-1])
    if not math.isfinite(end) or end <= FAR_ABOVE * uniform:
        return None
    head = (f"**{label}** is worse than guessing: its validation loss at step {step} is "
            f"**{end:.4g}**, {end / uniform:.3g} times the −ln(1/27) = {uniform:.4f} of a "
            f"network that knows nothing")
    if end > start:
        return (head + f", and it rose from {start:.4g} at step 0. The step size is too "
                f"large: each step of learning rate {log.config.lr:g} overshoots, and the "
                f"loss climbs instead of falling. Lower the learning rate.")
    return head + f", though down from {start:.4g} at step 0: it has not finished unlearning."


def end_cell(log) -> str:
    """The loss table's last validation loss, or what the run's state says instead."""
    if log.status is Status.CANNOT_START:
        return "no step taken"
    if log.status is Status.DIVERGED:
        return f"diverged at step {log.failed_at}"
    end = float(log.valid_loss[-1])
    return f"{end:.4g}" if math.isfinite(end) else "not a finite number"


def loss_text(logs: dict) -> None:
    log = next(iter(logs.values()))
    start, uniform = log.initial_loss, log.uniform_loss
    if not math.isfinite(start):
        return
    rows = [{"network": label, "initial loss": f"{l.initial_loss:.4g}",
             "validation loss at the end": end_cell(l), "steps": l.steps_done}
            for label, l in logs.items()]
    st.dataframe(rows, hide_index=True, key="train_loss_table")
    verdict = ("confidently wrong: its logits are large and spread, so the softmax puts "
               "its weight on a few wrong characters" if start > FAR_ABOVE * uniform else
               "about as unsure as a network that knows nothing")
    st.markdown(f"""
**Where the loss starts.** A network that knows nothing should say so: 1/27 for every
character, a loss of −ln(1/27) = {uniform:.4f}. This one starts at **{start:.4g}**,
{start / uniform:.2g} times that: it is {verdict}. If it starts high, the first steps
are spent only on shrinking the logits, and the curve drops like a hockey stick before
any real learning begins. Switch on the comparison to see the same network with its last
layer scaled by 0.01 (it starts at −ln(1/27)), and with the recommended initialization
as well.
""")
    ends = [v for v in (end_verdict(label, l) for label, l in logs.items()) if v]
    if ends:
        st.warning("**Where the loss ends.** " + " ".join(ends), icon=":material/warning:")


def saturation_word(spec) -> str:
    act = activations.get(spec.activation)
    if act.bounded is not None:
        return f"saturated (|value| > {spec.saturation_threshold:g})"
    if act.relu_like:
        return "off (input ≤ 0)"
    return "saturated (never, for a linear layer)"


def activations_text(log, word: str) -> None:
    first, last = log.saturated[0], log.saturated[-1]
    st.markdown(f"""
Each row is one layer; across is the training step, up is the activation value, and the
colour is the share of the layer's values in that bin (the value axis is fixed for the
whole run: {"the activation's range" if log.spec.activation in ("tanh", "sigmoid") else
"±4 times the layer's spread at step 0"}, values beyond land in the end rows). A healthy
layer keeps a broad band; a tanh layer that saturates splits into two bright lines at
−1 and +1, where its gradient is nearly zero. Here the share {word} went from
{100 * float(first.mean()):.1f}% to {100 * float(last.mean()):.1f}% (mean over the
layers, first recorded step against the last).
""")


def ratios_text(log) -> None:
    last = log.update_ratio[-1]
    ok = last[np.isfinite(last)]
    level = f"10^{float(np.median(ok)):.2f}" if ok.size else "not a number"
    st.markdown(f"""
**How big is each step?** The update:data ratio divides the spread of what one step adds
to a weight matrix by the spread of the weights themselves (for plain SGD the step is
lr · dL/dW; for momentum and Adam it is what the optimizer really applied). Karpathy's
rule of thumb is about 10⁻³: much smaller and the layer barely moves, much larger and it
thrashes. At the last recorded step the median over the layers is **{level}**. Layers
far below the others are the ones that learn slowly: a saturated tanh layer's gradient is
small, so its ratio sinks. The grad:data ratio is the same without the learning rate.
""")


def shift_text(logs, layer: int) -> None:
    lines = []
    for label, log in logs.items():
        if log.record_steps.size < 2:
            continue
        h0, h1 = log.preact_std[0, layer - 1], log.preact_std[-1, layer - 1]
        line = f"- **{label}**: the std of h went from {h0:.3g} to {h1:.3g}"
        if log.spec.norm != "none" and log.spec.norm_position == "before":
            u0, u1 = log.seen_std[0, layer - 1], log.seen_std[-1, layer - 1]
            line += f"; after the norm (with its learned γ, β), from {u0:.3g} to {u1:.3g}"
        lines.append(line + ".")
    st.markdown(f"""
**Covariate shift.** Every step changes the layers below, so what enters layer {layer}
drifts: its pre-activation h moves its mean and its spread while the layer above
tries to learn from it. Normalization re-centres and re-scales h for every batch, so what
the activation sees stays put, up to the γ and β it learns on purpose. Switch on
*with and without BatchNorm* to see both.

""" + "\n".join(lines))
