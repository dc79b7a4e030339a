"""Lessons as data: one TOML file per lesson in `lessons/`, read and checked here.

A lesson is a title, a summary and ordered steps. A step sets the sidebar's controls
(the same keys and values as a classroom demo, `ui.presets`), opens a page (and one of
its tabs), asks a question before its chart is shown, says what to look at, and
explains the answer with numbers measured on the network shown ({names} in its text
are `FACTS`). A question is either multiple choice (each wrong choice says which
misconception it comes from) or a number with a tolerance (common wrong numbers, the
"traps", say why they are wrong). `measure` names the core computation the answer
claims (`ui.lesson_measures`); the tests check every claim against the core.

Every file is checked when the app starts: a broken one is listed with what is wrong
and the others still open. No Streamlit here.

>>> step = Step(title="t", page="variance", values={}, question="q", explain="e",
...             answer=100.0, tolerance=10.0)
>>> check(step, "95").correct, check(step, "9e9").correct
(True, False)
"""

from __future__ import annotations

import math
import re
import string
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.simulate import simulate
from core.spec import NetworkSpec
from figures.style import format_power

from . import presets
from .controls import BY_KEY, check_url_value, defaults, to_spec
from .lesson_measures import MEASURES, measure as core_measure
from .links import BY_PATH

FOLDER = Path(__file__).resolve().parents[1] / "lessons"
ID = re.compile(r"^[a-z0-9_]{1,40}$")
LESSON_KEYS = {"title", "summary", "order", "steps"}
STEP_KEYS = {"title", "page", "tab", "values", "hide", "question", "look_at", "explain",
             "measure", "answer", "tolerance", "unit", "traps", "choices", "log"}


class LessonError(ValueError):
    """A lesson file that cannot be used, with where and why in words."""


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool = False
    why: str = ""                 # a wrong choice: the misconception behind it
    value: float | None = None    # the number it claims, in the units of the step's measure


@dataclass(frozen=True)
class Trap:
    value: float
    tolerance: float
    why: str


@dataclass(frozen=True)
class Step:
    title: str
    page: str
    values: dict[str, Any]
    question: str
    explain: str                  # a template over FACTS
    look_at: str = ""
    tab: str | None = None
    hide: tuple[str, ...] = ()
    measure: str | None = None
    choices: tuple[Choice, ...] = ()
    answer: float | None = None   # a number question: the answer and its tolerance
    tolerance: float = 0.0
    unit: str = ""
    traps: tuple[Trap, ...] = ()
    log: bool = False             # the answer is a power of ten, given and judged as log10

    def as_typed(self, claim: float) -> str:
        """A claim (in the measure's units) as a student would type it."""
        return f"10^{claim:g}" if self.log else f"{claim:,.10g}"

    @property
    def is_number(self) -> bool:
        return self.answer is not None

    @property
    def correct_choice(self) -> Choice | None:
        return next((c for c in self.choices if c.correct), None)

    def claimed(self) -> float:
        """The number the right answer states (in the measure's units)."""
        return self.answer if self.is_number else self.correct_choice.value

    def full_values(self) -> dict[str, Any]:
        return defaults() | self.values

    def spec(self) -> NetworkSpec:
        return to_spec(self.full_values()).spec


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    order: int = 0


@dataclass(frozen=True)
class Verdict:
    correct: bool
    text: str | None              # why (the misconception); None: revealed, not answered


@dataclass(frozen=True)
class Library:
    lessons: dict[str, Lesson] = field(default_factory=dict)     # by id, in order
    errors: tuple[str, ...] = ()                                  # one per broken file


# -- reading -------------------------------------------------------------------------

def load_all(folder: Path | None = None, tabs: dict[str, tuple[str, ...]] | None = None) -> Library:
    """Every lesson in the folder (default `FOLDER`) that passes the checks; a message
    for each that does not."""
    good, errors = [], []
    for path in sorted((folder or FOLDER).glob("*.toml")):
        try:
            good.append(load(path, tabs))
        except LessonError as e:
            errors.append(str(e))
    good.sort(key=lambda lesson: (lesson.order, lesson.id))
    return Library({lesson.id: lesson for lesson in good}, tuple(errors))


def load(path: Path, tabs: dict[str, tuple[str, ...]] | None = None) -> Lesson:
    """One lesson file, checked (LessonError says which file, which step and what)."""
    lesson_id = path.stem
    if not ID.match(lesson_id):
        raise LessonError(f"{path.name}: a lesson's file name must be lowercase letters, "
                          f"digits and _ (it becomes the link's ?lesson=)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise LessonError(f"{path.name}: not valid TOML: {e}") from None
    try:
        return parse(lesson_id, data, tabs)
    except LessonError as e:
        raise LessonError(f"{path.name}: {e}") from None


def parse(lesson_id: str, data: dict, tabs: dict[str, tuple[str, ...]] | None = None) -> Lesson:
    _no_unknown(data, LESSON_KEYS, "the lesson")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise LessonError("a lesson needs at least one [[steps]]")
    parsed = []
    for i, raw in enumerate(steps, start=1):
        try:
            parsed.append(parse_step(raw, tabs))
        except LessonError as e:
            raise LessonError(f"step {i}: {e}") from None
    return Lesson(lesson_id, _text(data, "title"), _text(data, "summary"), tuple(parsed),
                  _number(data, "order", 0))


def parse_step(raw: dict, tabs: dict[str, tuple[str, ...]] | None = None) -> Step:
    if not isinstance(raw, dict):
        raise LessonError("a step must be a table")
    _no_unknown(raw, STEP_KEYS, "a step")
    page = _text(raw, "page")
    if page not in BY_PATH:
        raise LessonError(f"page {page!r} is not a page (one of {', '.join(BY_PATH)})")
    tab = raw.get("tab")
    if tab is not None and tab not in (tabs or {}).get(page, ()):
        raise LessonError(f"tab {tab!r} is not a tab of the {page} page")
    step = Step(
        title=_text(raw, "title"), page=page, tab=tab, values=_values(raw.get("values", {})),
        hide=_hide(raw.get("hide", [])), question=_text(raw, "question"),
        explain=_template(raw, "explain"), look_at=_template(raw, "look_at", ""),
        measure=_measure(raw.get("measure")),
        choices=tuple(_choice(c) for c in raw.get("choices", [])),
        answer=None if "answer" not in raw else _number(raw, "answer"),
        tolerance=_number(raw, "tolerance", 0.0), unit=_text(raw, "unit", ""),
        traps=tuple(_trap(t) for t in raw.get("traps", [])), log=raw.get("log") is True)
    _check_question(step)
    return step


def _check_question(step: Step) -> None:
    if step.is_number == bool(step.choices):
        raise LessonError("a step asks either for a number (answer = ...) or to pick one "
                          "of [[steps.choices]], exactly one of them")
    if step.tolerance < 0:
        raise LessonError("tolerance must not be negative")
    if step.choices:
        right = [c for c in step.choices if c.correct]
        if len(right) != 1 or len(step.choices) < 2:
            raise LessonError("a multiple-choice step needs two or more choices, exactly "
                              "one with correct = true")
        if any(not c.correct and not c.why for c in step.choices):
            raise LessonError("every wrong choice needs a why (the misconception it shows)")
        if step.measure and right[0].value is None:
            raise LessonError("with a measure, the correct choice needs its value")
    if step.is_number and any(abs(t.value - step.answer) <= step.tolerance for t in step.traps):
        raise LessonError("a trap lies within the tolerance of the answer")


def _values(raw) -> dict[str, Any]:
    """Control values, each legal for its control (as a link's would be checked)."""
    if not isinstance(raw, dict):
        raise LessonError("values must be a table of control = value")
    values = {}
    for key, value in raw.items():
        control = BY_KEY.get(key)
        if control is None:
            raise LessonError(f"{key!r} is not a control (one of {', '.join(BY_KEY)})")
        legal, note = check_url_value(control, control.fmt(value))
        if note or legal != value or isinstance(value, bool) != isinstance(legal, bool):
            raise LessonError(f"{key} = {value!r} is not a value of that control")
        values[key] = legal                       # 1 for a float control reads as 1.0
    return values


def _hide(raw) -> tuple[str, ...]:
    if not isinstance(raw, list) or any(k not in BY_KEY for k in raw):
        raise LessonError(f"hide must list controls (of {', '.join(BY_KEY)})")
    return tuple(raw)


def _measure(raw) -> str | None:
    if raw is not None and raw not in MEASURES:
        raise LessonError(f"measure {raw!r} is unknown (one of {', '.join(MEASURES)})")
    return raw


def _choice(raw) -> Choice:
    if not isinstance(raw, dict):
        raise LessonError("a choice must be a table")
    _no_unknown(raw, {"text", "correct", "why", "value"}, "a choice")
    value = None if "value" not in raw else _number(raw, "value")
    return Choice(_text(raw, "text"), bool(raw.get("correct", False)),
                  _text(raw, "why", ""), value)


def _trap(raw) -> Trap:
    if not isinstance(raw, dict):
        raise LessonError("a trap must be a table")
    _no_unknown(raw, {"value", "tolerance", "why"}, "a trap")
    return Trap(_number(raw, "value"), _number(raw, "tolerance", 0.0), _text(raw, "why"))


def _no_unknown(raw: dict, known: set[str], what: str) -> None:
    extra = sorted(set(raw) - known)
    if extra:
        raise LessonError(f"{what} has unknown field(s) {', '.join(extra)} "
                          f"(known: {', '.join(sorted(known))})")


def _text(raw: dict, key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise LessonError(f"{key} must be text" + ("" if default is not None else " and is required"))
    return value


def _number(raw: dict, key: str, default: float | None = None) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LessonError(f"{key} must be a number")
    return value


def _template(raw: dict, key: str, default: str | None = None) -> str:
    text = _text(raw, key, default)
    unknown = sorted({name for _, name, _, _ in string.Formatter().parse(text)
                      if name is not None} - set(fact_names()))
    if unknown:
        raise LessonError(f"{key} names unknown facts {', '.join(unknown)} "
                          f"(known: {', '.join(fact_names())})")
    return text


# -- answers and facts -----------------------------------------------------------------

def check(step: Step, answer: str | int) -> Verdict:
    """Judge an answer: a choice's index, or a number as typed."""
    if not step.is_number:
        choice = step.choices[int(answer)]
        return Verdict(choice.correct, choice.why)
    typed = read_number(str(answer))
    if typed is None:
        return Verdict(False, "That is not a number.")
    if step.log and typed <= 0:
        return Verdict(False, "The answer is a positive number: type it as 1e-10 or 10^-10.")
    number = math.log10(typed) if step.log else typed
    if abs(number - step.answer) <= step.tolerance:
        return Verdict(True, "")
    trap = next((t for t in step.traps if abs(number - t.value) <= t.tolerance), None)
    right = 10 ** step.answer if step.log else step.answer
    return Verdict(False, trap.why if trap else _how_far(typed, right))


def _how_far(number: float, answer: float) -> str:
    """For a wrong number no trap explains: how far off, as a factor when that is clear.

    >>> _how_far(1e4, 1e20)
    '1e+04 is 10^-16 times the answer: check how many times the factor applies.'
    """
    if number > 0 and answer > 0 and abs(math.log10(number / answer)) >= 1:
        exponent = round(math.log10(number / answer))
        return (f"{number:.3g} is 10^{exponent} times the answer: check how many times "
                f"the factor applies.")
    return f"{number:.4g} is {'above' if number > answer else 'below'} the answer."


def read_number(text: str) -> float | None:
    """A number as a student types it: 1e6, 1,048,576, 10^6, 2^20, 0.5.

    >>> read_number("10^-10"), read_number("1,048,576"), read_number("2^20"), read_number("ten")
    (1e-10, 1048576.0, 1048576.0, None)
    """
    text = text.strip().replace(",", "").replace(" ", "").replace("−", "-").replace("×", "*")
    power = re.fullmatch(r"(?:([-+]?\d+(?:\.\d*)?)\*)?(\d+(?:\.\d*)?)(?:\^|\*\*)([-+]?\d+(?:\.\d*)?)", text)
    try:
        if power:
            mantissa = float(power.group(1) or 1)
            value = mantissa * float(power.group(2)) ** float(power.group(3))
        else:
            value = float(text)
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def answer_text(step: Step) -> str:
    """The right answer in words."""
    if step.is_number:
        unit = f" ({step.unit})" if step.unit else ""
        return pretty(f"{step.as_typed(step.answer)}{unit}")
    return pretty(step.correct_choice.text)


def facts(res) -> dict[str, str]:
    """The numbers a lesson's text may quote, measured on the network shown: the demos'
    facts (ui.presets.facts) and a few more."""
    spec = res.spec
    extra = {
        "width": str(spec.width),
        "batch": str(spec.batch),
        "weight_var": f"{spec.effective_weight_var:.3g}",
        "gain": f"{spec.effective_gain:.4g}",
        "theory_last_act_var": format_power(math.log10(core_measure("theory_act_var_last", spec))),
        "set_size": (f"{core_measure('stat_set_size', spec):.0f}" if spec.norm != "none"
                     else "(no normalization)"),
    }
    return presets.facts(res) | extra


@lru_cache(maxsize=1)
def fact_names() -> tuple[str, ...]:
    """The names `facts` gives, found by computing them once on a tiny network."""
    tiny = simulate(NetworkSpec(depth=1, width=2, batch=2))
    return tuple(sorted(facts(tiny)))


def fill(template: str, fact_values: dict[str, str]) -> str:
    return pretty(template.format(**fact_values))


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def pretty(text: str) -> str:
    """Powers written with ^ in a lesson file, set as superscripts for the screen (the
    way the charts write them); a question's typing hint keeps its ^.

    >>> pretty("100^10 = 10^20, and 0.1^10 = 10^-10")
    '100¹⁰ = 10²⁰, and 0.1¹⁰ = 10⁻¹⁰'
    """
    return re.sub(r"(?<=[\d)])\^(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
