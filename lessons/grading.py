"""Answers judged: a choice's index, or a number as a student typed it (read by
lessons.answers), against a step's answer, its tolerance and its traps.

>>> step = Step(title="t", page="variance", values={}, question="q", explain="e",
...             answer=100.0, tolerance=10.0)
>>> check(step, "95").correct, check(step, "9e9").correct
(True, False)
"""

from __future__ import annotations

import math

from figures.numbers import format_power

from . import answers
from .schema import Step, Trap, Verdict
from .text import pretty


def check(step: Step, answer: str | int) -> Verdict:
    """Judge an answer: a choice's index, or a number as typed (a `log` step's in
    log10, so 10^450 is judged like 10^4)."""
    if not step.is_number:
        index = answer if isinstance(answer, int) else -1
        if not 0 <= index < len(step.choices):
            return Verdict(False, "Pick one of the choices.", read=False)
        choice = step.choices[index]
        return Verdict(choice.correct, choice.why)
    typed = answers.read(str(answer), step.unit, step.log)
    if isinstance(typed, answers.Unreadable):
        return Verdict(False, typed.message, read=False)
    if step.log and typed.sign <= 0:
        return Verdict(False, "The answer is a positive number: type it as `1e-10` or `10^-10`.")
    number = typed.log10 if step.log else typed.as_float()
    if abs(number - step.answer) <= step.tolerance:
        return Verdict(True, "")
    trap = next((t for t in step.traps if abs(number - t.value) <= t.tolerance), None)
    right = answers.power_of_ten(step.answer) if step.log else answers.of(step.answer)
    return Verdict(False, trap.why if trap else _how_far(typed, right))


def _how_far(typed: answers.Number, right: answers.Number) -> str:
    """For a wrong number no trap explains: how far off, as a factor when that is clear.

    >>> _how_far(answers.of(1e4), answers.of(1e20))
    '1e+04 is 10^-16 times the answer: check how many times the factor applies.'
    >>> _how_far(answers.read("1e300"), answers.power_of_ten(450))
    '1e+300 is 10^-150 times the answer: check how many times the factor applies.'
    """
    if typed.sign > 0 and right.sign > 0 and abs(typed.log10 - right.log10) >= 1:
        return (f"{_shown(typed, 3)} is 10^{round(typed.log10 - right.log10)} times the "
                f"answer: check how many times the factor applies.")
    return f"{_shown(typed, 4)} is {'above' if _above(typed, right) else 'below'} the answer."


def _shown(number: answers.Number, digits: int) -> str:
    if number.value is not None:
        return f"{number.value:.{digits}g}"
    return ("−" if number.sign < 0 else "") + format_power(number.log10)


def _above(a: answers.Number, b: answers.Number) -> bool:
    if a.sign != b.sign:
        return a.sign > b.sign
    return a.sign != 0 and (a.log10 > b.log10) == (a.sign > 0)


def read_number(text: str) -> float | None:
    """A number as a student types it (lessons.answers), when float64 holds it.

    >>> read_number("10^-10"), read_number("1,048,576"), read_number("5/3"), read_number("ten")
    (1e-10, 1048576.0, 1.6666666666666667, None)
    """
    typed = answers.read(text)
    return None if isinstance(typed, answers.Unreadable) else typed.value


def answer_text(step: Step) -> str:
    """The right answer in words."""
    if step.is_number:
        unit = f" ({step.unit})" if step.unit else ""
        return pretty(f"{step.as_typed(step.answer)}{unit}")
    return pretty(step.correct_choice.text)


def class_answer(step: Step, text: str) -> tuple[float | None, bool]:
    """An answer typed by a member of a class (a choice as its index's digits): the value
    the class's chart plots (the choice's index, or the number's log10, None for zero or
    less) and whether it is right. Raises ValueError, with the reason, when it cannot be
    read, so nothing unreadable is ever counted.

    >>> step = Step(title="t", page="variance", values={}, question="q", explain="e",
    ...             answer=6.0, tolerance=0.5, log=True)
    >>> class_answer(step, "10^6"), round(class_answer(step, "40")[0], 4)
    ((6.0, True), 1.6021)
    """
    if not step.is_number:
        verdict = check(step, int(text) if text.isdigit() else -1)
        if not verdict.read:
            raise ValueError(verdict.text)
        return float(text), verdict.correct
    verdict = check(step, text)
    if not verdict.read:
        raise ValueError(verdict.text)
    typed = answers.read(text, step.unit, step.log)
    return (typed.log10 if typed.sign > 0 else None), verdict.correct


def spread_marks(step: Step) -> tuple[list[tuple[float, str]], float | None]:
    """Where a class's histogram marks a numeric step's traps and answer, in log10 (the
    axis the answers are binned on); a mark at zero or below has none and is left out.

    >>> step = Step(title="t", page="variance", values={}, question="q", explain="e",
    ...             answer=1e6, tolerance=1e5, traps=(Trap(40.0, 1.0, "added"),))
    >>> [(round(x, 4), why) for x, why in spread_marks(step)[0]], spread_marks(step)[1]
    ([(1.6021, 'added')], 6.0)
    """
    def at(value: float) -> float | None:
        return value if step.log else (math.log10(value) if value > 0 else None)

    traps = [(at(t.value), t.why) for t in step.traps if at(t.value) is not None]
    return traps, at(step.answer)
