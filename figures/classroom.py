"""How a class answered one step: a bar per choice, or a histogram of the numbers typed.

Pure functions: the class's answers in, a Plotly figure out. Numbers spread over decades
(40 against 10⁶ for the same question) so they are binned by their power of ten, on a
linear axis of log10 labelled as powers: a trap and the right answer are then drawn at
their log10 like every bar. Before the reveal no bar says which answer is right.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import plotly.graph_objects as go

from .style import PALETTE, figure, layout, power_ticks

BIN_DECADES = 0.25           # four bins a decade: 40 and 100 apart, 40 and 50 together
RIGHT, WRONG, OPEN = PALETTE[2], "#9e9e9e", PALETTE[0]
TRAP_LINE = dict(color=PALETTE[1], width=3, dash="dash")
ANSWER_LINE = dict(color=PALETTE[2], width=4)


def choices_figure(labels: Sequence[str], counts: Sequence[int], correct: int | None = None,
                   title: str = "What the class answered") -> go.Figure:
    """One horizontal bar per choice, in the lesson's order; once revealed
    (`correct` given) the right choice's bar green, the others grey, each with its share.

    >>> fig = choices_figure(["A", "B"], [3, 1], correct=0)
    >>> fig.data[0].marker.color, fig.data[0].y, fig.data[0].text
    (('#009E73', '#9e9e9e'), ('✔ A', 'B'), ('3 · 75 %', '1 · 25 %'))
    """
    total = max(1, sum(counts))
    colours = [OPEN if correct is None else RIGHT if i == correct else WRONG
               for i in range(len(labels))]
    text = [f"{n} · {100 * n / total:.0f} %" for n in counts]
    short = [_short(label) for label in labels]
    bars = [dict(type="bar", orientation="h", x=list(counts), y=short, text=text,
                 textposition="auto", marker=dict(color=colours), hoverinfo="skip",
                 cliponaxis=False)]
    # One bar a colour would hide which is right from a colour-blind student: a tick too.
    if correct is not None:
        short[correct] = "✔ " + short[correct]
        bars[0]["y"] = short
    look = layout(title, height=120 + 56 * len(labels), showlegend=False,
                  margin=dict(l=20, r=20, t=60, b=50),
                  xaxis=dict(title=dict(text="students"), rangemode="tozero",
                             tickformat="d", dtick=count_step(max(counts, default=0))),
                  yaxis=dict(autorange="reversed", automargin=True))
    return figure(bars, look)


def numbers_figure(log10_values: Sequence[float], nonpositive: int = 0,
                   traps: Sequence[tuple[float, str]] = (), answer: float | None = None,
                   title: str = "What the class answered",
                   x_title: str = "answer") -> go.Figure:
    """A histogram of the numbers typed, by their log10 in quarter-decade bins; `traps`
    (log10, why) dashed and labelled "trap 1", "trap 2"... (why: on hover; the page lists
    them), and `answer` (log10, once revealed) a solid green line.
    Answers of zero or below, which have no power of ten, are counted in the title.

    >>> fig = numbers_figure([1.6, 1.6, 6.0], traps=[(1.6, "doubling added")], answer=6.0)
    >>> sorted(int(y) for y in fig.data[0].y), [s["x0"] for s in fig.layout.shapes]
    ([1, 2], [1.6, 6.0])
    """
    counts = Counter(_bin(v) for v in log10_values if math.isfinite(v))
    marks = [t for t, _ in traps] + ([answer] if answer is not None else [])
    lo, hi = _span(list(counts) + [_bin(m) for m in marks])
    centres = sorted(counts)
    bars = [dict(type="bar", x=[c + BIN_DECADES / 2 for c in centres],
                 y=[counts[c] for c in centres], width=BIN_DECADES * 0.9,
                 marker=dict(color=OPEN), hoverinfo="skip", name="answers")]
    shapes, notes = [], []
    for k, (x, why) in enumerate(traps):       # numbered: the page lists them in full
        shapes.append(_mark(x, TRAP_LINE))
        notes.append(_label(x, f"trap {k + 1}", 1.0 - 0.12 * k) | dict(hovertext=why))
    if answer is not None:
        shapes.append(_mark(answer, ANSWER_LINE))
        notes.append(_label(answer, "✔ the answer", 1.0 - 0.12 * len(traps)))
    ticks, labels = power_ticks(lo, hi)
    extra = f" ({nonpositive} answered 0 or less)" if nonpositive else ""
    look = layout(title + extra, height=400, showlegend=False, bargap=0.05,
                  shapes=shapes, annotations=notes,
                  xaxis=dict(title=dict(text=x_title), range=[lo, hi], tickvals=ticks,
                             ticktext=labels),
                  yaxis=dict(title=dict(text="students"), rangemode="tozero", tickformat="d",
                             dtick=count_step(max(counts.values(), default=0))))
    return figure(bars, look)


def count_step(most: int) -> int:
    """The tick step of a count axis: whole students (Plotly's own steps for a count
    of 1 or 2 are fractions, which a whole-number format prints as 0, 0, 1, 1), about
    five ticks: 1, 2 or 5 times a power of ten.

    >>> [count_step(n) for n in (0, 1, 4, 10, 30, 200)]
    [1, 1, 1, 2, 10, 50]
    """
    wanted = max(1.0, most / 5)
    power = 10 ** math.floor(math.log10(wanted))
    return int(next(k * power for k in (1, 2, 5, 10) if k * power >= wanted))


def _bin(log10_value: float) -> float:
    return math.floor(log10_value / BIN_DECADES) * BIN_DECADES


def _span(starts: list[float]) -> tuple[float, float]:
    """The x range: every bin and mark inside, at least two decades wide."""
    if not starts:
        return -1.0, 1.0
    lo, hi = min(starts) - BIN_DECADES, max(starts) + 2 * BIN_DECADES
    pad = max(0.0, 2.0 - (hi - lo)) / 2
    return lo - pad, hi + pad


def _mark(x: float, line: dict) -> dict:
    return dict(type="line", xref="x", yref="y domain", x0=x, x1=x, y0=0, y1=1, line=line)


def _label(x: float, text: str, y: float) -> dict:
    return dict(text=text, showarrow=False, xref="x", yref="y domain", x=x, y=y,
                xanchor="left", yanchor="top", bgcolor="rgba(255,255,255,0.8)")


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
