"""The Training page's explanations: what the measured runs say, in words, every number
computed from the run (views/training.py draws them beside its charts)."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from core import activations


def loss_text(logs: dict) -> None:
    log = next(iter(logs.values()))
    start, uniform = log.initial_loss, log.uniform_loss
    if not math.isfinite(start):
        return
    rows = [{"network": label, "initial loss": f"{l.initial_loss:.4g}",
             "validation loss at the end": f"{l.valid_loss[-1]:.4g}"
             if math.isfinite(l.valid_loss[-1]) else "diverged",
             "steps": l.steps_done} for label, l in logs.items()]
    st.dataframe(rows, hide_index=True, key="train_loss_table")
    verdict = ("confidently wrong: its logits are large and spread, so the softmax puts "
               "its weight on a few wrong characters" if start > 1.5 * uniform else
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
