"""Lesson files read and checked: one TOML file per lesson in `FOLDER`, this package's
own folder (the file name is the lesson's id and its link's `?lesson=`).

Every file is checked when the app starts: a broken one (whatever is wrong with it,
down to what it is on disk) is listed with what is wrong and the others still open.
Each {name} in a step's text must be one of the facts (lessons.measures.facts), bare:
no format spec, checked here, long before a student reveals the step.
"""

from __future__ import annotations

import math
import os
import re
import stat
import string
import tomllib
from pathlib import Path
from typing import Any, Callable

from .measures import MEASURES, fact_names
from .schema import (ID, LESSON_KEYS, STEP_KEYS, Choice, Lesson, LessonError, Library, Step,
                     Trap, Vocabulary)

FOLDER = Path(__file__).resolve().parent
MAX_NUMBER = 1e300               # a number in a lesson file, in size
MAX_BYTES = 200_000              # a lesson is a few kB: room for hundreds of steps


def load_all(folder: Path, vocabulary: Vocabulary) -> Library:
    """Every lesson in the folder (the app's: `FOLDER`) that passes the checks; a message
    for each that does not. Whatever goes wrong with one file is that file's error."""
    good, errors = [], []
    for path in sorted(folder.glob("*.toml")):
        try:
            good.append(load(path, vocabulary))
        except LessonError as e:
            errors.append(str(e))
        except Exception as e:          # a check's own fault must not hide the other lessons
            errors.append(f"{path.name}: could not be checked ({type(e).__name__})")
    good.sort(key=lambda lesson: (lesson.order, lesson.id))
    return Library({lesson.id: lesson for lesson in good}, tuple(errors))


def load(path: Path, vocabulary: Vocabulary) -> Lesson:
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
        return parse(lesson_id, data, vocabulary)
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


def parse(lesson_id: str, data: dict, vocabulary: Vocabulary) -> Lesson:
    _table(data, "the lesson")
    _no_unknown(data, LESSON_KEYS, "the lesson")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise LessonError("a lesson needs at least one [[steps]]")
    parsed = []
    for i, raw in enumerate(steps, start=1):
        try:
            parsed.append(parse_step(raw, vocabulary))
        except LessonError as e:
            raise LessonError(f"step {i}: {e}") from None
    return Lesson(lesson_id, _text(data, "title"), _text(data, "summary"), tuple(parsed),
                  _number(data, "order", 0))


def parse_step(raw: dict, vocabulary: Vocabulary) -> Step:
    _table(raw, "a step")
    _no_unknown(raw, STEP_KEYS, "a step")
    pages, controls = vocabulary.pages, vocabulary.controls
    page = _text(raw, "page")
    if page not in pages:
        raise LessonError(f"page {_quote(page)} is not a page (one of {', '.join(pages)})")
    tab = raw.get("tab")
    if tab is not None and (not isinstance(tab, str) or tab not in pages[page]):
        raise LessonError(f"tab {_quote(tab)} is not a tab of the {page} page")
    step = Step(
        title=_text(raw, "title"), page=page, tab=tab,
        values=_values(raw.get("values", {}), controls),
        hide=_hide(raw.get("hide", []), controls), question=_text(raw, "question"),
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


def _values(raw, controls: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """Control values, each legal for its control (as a link's would be checked)."""
    _table(raw, "values")
    values = {}
    for key, value in raw.items():
        if key not in controls:
            raise LessonError(f"{_quote(key)} is not a control (one of {', '.join(controls)})")
        try:
            if not _scalar(value):
                raise ValueError(key)
            values[key] = controls[key](value)
        except ValueError:
            raise LessonError(f"{key} = {_quote(value)} is not a value of that control") from None
    return values


def _scalar(value) -> bool:
    """Text, a truth value or a number a control could hold (no table, list, NaN, or an
    integer too long to write out)."""
    if isinstance(value, (str, bool)):
        return len(str(value)) <= 100
    if isinstance(value, int):
        return abs(value) < 10 ** 15
    return isinstance(value, float) and math.isfinite(value)


def _hide(raw, controls: dict) -> tuple[str, ...]:
    if not isinstance(raw, list) or any(not isinstance(k, str) or k not in controls for k in raw):
        raise LessonError(f"hide must list controls (of {', '.join(controls)})")
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
