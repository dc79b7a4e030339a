"""The Training page's explanations: which words (views/text/training.toml) a measured
run calls for, filled with its numbers (views/training.py draws them beside its charts)."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from core import activations
from core.train import LOSS_LIMIT, Status

from .prose import Prose

TEXT = Prose("training")
FAR_ABOVE = 1.5         # a loss this many times -ln(1/27) is far worse than guessing


def status_error(label: str, log) -> str | None:
    """The error a run's state calls for (a divergence, or no first step), or None."""
    key = f"status_error.{log.status.value}"
    if key not in TEXT:
        return None
    step = log.failed_at
    return TEXT(key, label=label, step=step, limit=LOSS_LIMIT,
                steps=f"{step} step" + ("s" if step != 1 else ""))


def no_statistics(log) -> str | None:
    """Why a run has no per-layer statistics to draw, or None when it has them."""
    key = f"no_statistics.{log.status.value}"
    return TEXT(key) if key in TEXT and not log.record_steps.size else None


def end_verdict(label: str, log) -> str | None:
    """When the validation loss ends far above -ln(1/27): worse than guessing, and why
    as far as the numbers tell (it rose: the step size is too large), or None."""
    uniform = log.uniform_loss
    if log.eval_steps.size < 2 or log.eval_steps[-1] == 0:
        return None
    start, end, step = float(log.valid_loss[0]), float(log.valid_loss[-1]), int(log.eval_steps[-1])
    if not math.isfinite(end) or end <= FAR_ABOVE * uniform:
        return None
    head = TEXT("worse.head", label=label, step=step, end=end, times=end / uniform,
                uniform=uniform)
    if end > start:
        return head + TEXT("worse.rose", start=start, lr=log.config.lr)
    return head + TEXT("worse.down", start=start)


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
    verdict = TEXT("start.wrong" if start > FAR_ABOVE * uniform else "start.unsure")
    st.markdown(TEXT("loss_start", uniform=uniform, start=start, times=start / uniform,
                     verdict=verdict))
    ends = [v for v in (end_verdict(label, l) for label, l in logs.items()) if v]
    if ends:
        st.warning(TEXT("loss_end", verdicts=" ".join(ends)), icon=":material/warning:")


def saturation_word(spec) -> str:
    act = activations.get(spec.activation)
    if act.flat_word is None:
        return "saturated (never, for a linear layer)"
    return f"{act.flat_word} ({act.flat_rule(spec.saturation_threshold)})"


def activations_text(log, word: str) -> None:
    first, last = log.saturated[0], log.saturated[-1]
    bounded = log.spec.activation in ("tanh", "sigmoid")
    st.markdown(TEXT("activations", range=TEXT("axis.bounded" if bounded else "axis.spread"),
                     word=word, first=100 * float(first.mean()), last=100 * float(last.mean())))


def ratios_text(log) -> None:
    last = log.update_ratio[-1]
    ok = last[np.isfinite(last)]
    level = (TEXT("ratio.level", median=float(np.median(ok))) if ok.size
             else TEXT("ratio.none"))
    st.markdown(TEXT("ratios", level=level))


def shift_text(logs, layer: int) -> None:
    lines = []
    for label, log in logs.items():
        if log.record_steps.size < 2:
            continue
        h0, h1 = log.preact_std[0, layer - 1], log.preact_std[-1, layer - 1]
        line = TEXT("shift_line.run", label=label, before=h0, after=h1)
        if log.spec.norm != "none" and log.spec.norm_position == "before":
            u0, u1 = log.seen_std[0, layer - 1], log.seen_std[-1, layer - 1]
            line += TEXT("shift_line.normed", before=u0, after=u1)
        lines.append(line + ".")
    st.markdown(TEXT("shift", layer=layer, lines="\n".join(lines)))
