"""Lessons as data: one TOML file per lesson in `lessons/`, read and checked here.

A lesson is a title, a summary and ordered steps. A step sets the sidebar's controls
(the same keys and values as a classroom demo, `ui.presets`), opens a page (and one of
its tabs), asks a question before its chart is shown, says what to look at, and
explains the answer with numbers measured on the network shown (each {name} in its
text is one of `facts`, bare: no format spec, checked at load). A question is either multiple choice (each wrong choice says which
misconception it comes from) or a number with a tolerance (common wrong numbers, the
"traps", say why they are wrong). `measure` names the core computation the answer
claims (`ui.lesson_measures`); the tests check every claim against the core.

Every file is checked when the app starts: a broken one (whatever is wrong with it,
down to what it is on disk) is listed with what is wrong and the others still open.
Answers are read by `ui.lesson_answers`. No Streamlit here.

>>> step = Step(title="t", page="variance", values={}, question="q", explain="e",
...             answer=100.0, tolerance=10.0)
>>> check(step, "95").correct, check(step, "9e9").correct
(True, False)
"""

from __future__ import annotations

import math
import os
import re
import stat
import string
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.simulate import simulate
from core.spec import NetworkSpec
from figures.style import format_power

from . import lesson_answers as answers, presets
from .controls import BY_KEY, check_url_value, defaults, to_spec
from .lesson_measures import MEASURES, measure as core_measure, theory_log10_act_var_last
from .links import BY_PATH

FOLDER = Path(__file__).resolve().parents[1] / "lessons"
MAX_NUMBER = 1e300               # a number in a lesson file, in size
MAX_BYTES = 200_000              # over twenty times the longest shipped lesson (9 kB)
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
    read: bool = True             # False: no answer could be read from it, so none is judged


@dataclass(frozen=True)
class Library:
    lessons: dict[str, Lesson] = field(default_factory=dict)     # by id, in order
    errors: tuple[str, ...] = ()                                  # one per broken file


# -- reading -------------------------------------------------------------------------

def load_all(folder: Path | None = None, tabs: dict[str, tuple[str, ...]] | None = None) -> Library:
    """Every lesson in the folder (default `FOLDER`) that passes the checks; a message
    for each that does not. Whatever goes wrong with one file is that file's error."""
    good, errors = [], []
    for path in sorted((folder or FOLDER).glob("*.toml")):
        try:
            good.append(load(path, tabs))
        except LessonError as e:
            errors.append(str(e))
        except Exception as e:          # a check's own fault must not hide the other lessons
            errors.append(f"{path.name}: could not be checked ({type(e).__name__})")
    good.sort(key=lambda lesson: (lesson.order, lesson.id))
    return Library({lesson.id: lesson for lesson in good}, tuple(errors))


def load(path: Path, tabs: dict[str, tuple[str, ...]] | None = None) -> Lesson:
    """One lesson file, checked (LessonError says which file, which step and what)."""
    lesson_id = path.stem
    if not ID.match(lesson_id):
        raise LessonError(f"{_quote(path.name)}: a lesson's file name must be lowercase "
                          f"letters, digits and _ (it becomes the link's ?lesson=)")
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise LessonError(f"{path.name}: not valid TOML: nested too deep") from None
    except ValueError as e:             # TOMLDecodeError, and an integer too long to read
        raise LessonError(f"{path.name}: not valid TOML: {str(e)[:200]}") from None
    try:
        return parse(lesson_id, data, tabs)
    except LessonError as e:
        raise LessonError(f"{path.name}: {e}") from None


def _read(path: Path) -> str:
    """The file's text: a regular file (not a folder, a pipe or a device: opened without
    waiting, then checked), at most MAX_BYTES, in UTF-8."""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise LessonError(f"{path.name}: not a file (a folder, a pipe or a device)")
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise LessonError(f"{path.name}: could not be read "
                          f"({e.strerror or type(e).__name__})") from None
    if len(raw) > MAX_BYTES:
        raise LessonError(f"{path.name}: larger than {MAX_BYTES // 1000} kB, more than a "
                          f"lesson needs")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LessonError(f"{path.name}: not UTF-8 text (byte {e.start})") from None


def parse(lesson_id: str, data: dict, tabs: dict[str, tuple[str, ...]] | None = None) -> Lesson:
    _table(data, "the lesson")
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
    _table(raw, "a step")
    _no_unknown(raw, STEP_KEYS, "a step")
    page = _text(raw, "page")
    if page not in BY_PATH:
        raise LessonError(f"page {_quote(page)} is not a page (one of {', '.join(BY_PATH)})")
    tab = raw.get("tab")
    if tab is not None and (not isinstance(tab, str) or tab not in (tabs or {}).get(page, ())):
        raise LessonError(f"tab {_quote(tab)} is not a tab of the {page} page")
    step = Step(
        title=_text(raw, "title"), page=page, tab=tab, values=_values(raw.get("values", {})),
        hide=_hide(raw.get("hide", [])), question=_text(raw, "question"),
        explain=_template(raw, "explain"), look_at=_template(raw, "look_at", ""),
        measure=_measure(raw.get("measure")),
        choices=tuple(_choice(c) for c in _list(raw, "choices")),
        answer=None if "answer" not in raw else _number(raw, "answer"),
        tolerance=_number(raw, "tolerance", 0.0), unit=_text(raw, "unit", ""),
        traps=tuple(_trap(t) for t in _list(raw, "traps")), log=_flag(raw, "log"))
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
    _table(raw, "values")
    values = {}
    for key, value in raw.items():
        control = BY_KEY.get(key)
        if control is None:
            raise LessonError(f"{_quote(key)} is not a control (one of {', '.join(BY_KEY)})")
        if not _scalar(value):
            raise LessonError(f"{key} = {_quote(value)} is not a value of that control")
        legal, note = check_url_value(control, control.fmt(value))
        if note or legal != value or isinstance(value, bool) != isinstance(legal, bool):
            raise LessonError(f"{key} = {_quote(value)} is not a value of that control")
        values[key] = legal                       # 1 for a float control reads as 1.0
    return values


def _scalar(value) -> bool:
    """Text, a truth value or a number a control could hold (no table, list, NaN, or an
    integer too long to write out)."""
    if isinstance(value, (str, bool)):
        return len(str(value)) <= 100
    if isinstance(value, int):
        return abs(value) < 10 ** 15
    return isinstance(value, float) and math.isfinite(value)


def _hide(raw) -> tuple[str, ...]:
    if not isinstance(raw, list) or any(not isinstance(k, str) or k not in BY_KEY for k in raw):
        raise LessonError(f"hide must list controls (of {', '.join(BY_KEY)})")
    return tuple(raw)


def _measure(raw) -> str | None:
    if raw is not None and (not isinstance(raw, str) or raw not in MEASURES):
        raise LessonError(f"measure {_quote(raw)} is unknown (one of {', '.join(MEASURES)})")
    return raw


def _choice(raw) -> Choice:
    _table(raw, "a choice")
    _no_unknown(raw, {"text", "correct", "why", "value"}, "a choice")
    value = None if "value" not in raw else _number(raw, "value")
    return Choice(_text(raw, "text"), _flag(raw, "correct"), _text(raw, "why", ""), value)


def _trap(raw) -> Trap:
    _table(raw, "a trap")
    _no_unknown(raw, {"value", "tolerance", "why"}, "a trap")
    return Trap(_number(raw, "value"), _number(raw, "tolerance", 0.0), _text(raw, "why"))


def _table(raw, what: str) -> None:
    if not isinstance(raw, dict):
        raise LessonError(f"{what} must be a table")


def _list(raw: dict, key: str) -> list:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise LessonError(f"{key} must be a list of tables ([[steps.{key}]])")
    return value


def _no_unknown(raw: dict, known: set[str], what: str) -> None:
    extra = sorted(set(raw) - known)
    if extra:
        raise LessonError(f"{what} has unknown field(s) {', '.join(map(_quote, extra[:5]))} "
                          f"(known: {', '.join(sorted(known))})")


def _text(raw: dict, key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise LessonError(f"{key} must be text" + ("" if default is not None else " and is required"))
    return value


def _flag(raw: dict, key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise LessonError(f"{key} must be true or false")
    return value


def _number(raw: dict, key: str, default: float | None = None) -> float:
    value = raw.get(key, default)
    # compared, never converted: an integer past float64's range fails here, not in float()
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not abs(value) <= MAX_NUMBER:
        raise LessonError(f"{key} must be a number (at most 10^{math.log10(MAX_NUMBER):.0f} "
                          f"in size)")
    return value


def _quote(value, limit: int = 40) -> str:
    """A value from the file in a message: its repr cut short (a table or a list by its
    kind only)."""
    if isinstance(value, (dict, list)):
        return "a table" if isinstance(value, dict) else "a list"
    if isinstance(value, int) and abs(value) >= 10 ** 40:
        return "a huge integer"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _template(raw: dict, key: str, default: str | None = None) -> str:
    """Text whose replacement fields are bare fact names, {depth}: the facts are already
    formatted text, so a format spec, a conversion or an attribute or index has nothing
    to do and is refused here, before any student reveals the step."""
    text = _text(raw, key, default)
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text)
                  if name is not None]
    except ValueError as e:
        raise LessonError(f"{key}: braces must pair up around a fact's name ({e}; a "
                          f"literal brace is written {{{{ or }}}})") from None
    for name, spec, conv in fields:
        _check_field(key, name, spec, conv)
    return text


def _check_field(key: str, name: str, spec: str, conv: str | None) -> None:
    shown = _quote("{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}")
    bare = "{" + re.match(r"[a-z0-9_]{0,30}", name).group() + "}"
    if spec or conv:
        raise LessonError(f"{key}: the field {shown} formats its fact; facts are text "
                          f"already, so write the bare name, {bare}")
    if not name or name.isdigit():
        raise LessonError(f"{key}: the field {shown} needs a fact's name "
                          f"(known: {', '.join(fact_names())})")
    if re.search(r"[.\[]", name):
        raise LessonError(f"{key}: the field {shown} reaches into its fact; write the "
                          f"bare name, {bare}")
    if name not in fact_names():
        raise LessonError(f"{key} names an unknown fact, {shown} "
                          f"(known: {', '.join(fact_names())})")


# -- answers and facts -----------------------------------------------------------------

def check(step: Step, answer: str | int) -> Verdict:
    """Judge an answer: a choice's index, or a number as typed (read by
    ui.lesson_answers; a `log` step's in log10, so 10^450 is judged like 10^4)."""
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
    """A number as a student types it (ui.lesson_answers), when float64 holds it.

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


def facts(res) -> dict[str, str]:
    """The numbers a lesson's text may quote, measured on the network shown: the demos'
    facts (ui.presets.facts) and a few more."""
    spec = res.spec
    extra = {
        "width": str(spec.width),
        "batch": str(spec.batch),
        "weight_var": f"{spec.effective_weight_var:.3g}",
        "gain": f"{spec.effective_gain:.4g}",
        # from log10 to the text: 10^600 is a number to show, not an overflow
        "theory_last_act_var": format_power(theory_log10_act_var_last(spec)),
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
    """The template with each {name} replaced by its fact, by hand: nothing in a lesson
    file is ever run through str.format."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(fact_values[name])
    return pretty("".join(parts))


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_CODE = re.compile(r"(`+).*?\1", re.DOTALL)


def pretty(text: str) -> str:
    """Powers written with ^ in a lesson file, set as superscripts for the screen (the
    way the charts write them); inline code (a typing hint, an answer quoted back) keeps
    its ^.

    >>> pretty("100^10 = 10^20, and 0.1^10 = 10^-10, typed `10^-10`")
    '100¹⁰ = 10²⁰, and 0.1¹⁰ = 10⁻¹⁰, typed `10^-10`'
    """
    parts, at = [], 0
    for code in _CODE.finditer(text):
        parts += [_superscripts(text[at:code.start()]), code.group()]
        at = code.end()
    return "".join(parts + [_superscripts(text[at:])])


def _superscripts(text: str) -> str:
    return re.sub(r"(?<=[\d)])\^(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
