"""The open lesson step, kept where Streamlit keeps state: which step the URL names,
its control values put in place before the sidebar is drawn, and the answers given.

The step is in the URL, and moving between steps writes only `step`, so each step is
one entry of the browser's history: Back walks back through the steps. While a lesson
is open the sidebar's controls are not written to the URL (the step defines them).
Opening a lesson keeps the sidebar as it was; going back to the list puts it back.
The Lessons page (views/lessons.py) draws it; `tabs` maps a page to its tabs' URL key
and titles, which only the views know. The lessons themselves (files, checks, grading)
are the `lessons` package's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import streamlit as st

import lessons
from lessons import inert

from . import classroom, controls
from .links import BY_PATH

URL_KEYS = ("lesson", "step") + classroom.URL_KEYS
ANSWERS = "_lesson_answers"          # session state: step key -> lessons.Verdict
APPLIED = "_lesson_applied"          # the step whose values the controls hold
OPEN = "_lesson_open"                # whether a lesson is open (before prepare: last run)
BEFORE = "_lesson_before"            # the controls and tabs as they were before the lesson
REVEALS = "_lesson_reveals"          # how many answers and reveals this session has made
ARRIVALS = "_lesson_arrivals"        # how many times a run showed another step than the last
SHOWN = "_lesson_shown"              # the step the last run showed


@dataclass(frozen=True)
class Open:
    lesson: lessons.Lesson
    number: int                  # 1-based

    @property
    def step(self) -> lessons.Step:
        return self.lesson.steps[self.number - 1]

    @property
    def key(self) -> str:
        return f"{self.lesson.id}_{self.number}"

    @property
    def last(self) -> bool:
        return self.number == len(self.lesson.steps)


def library(tabs: dict) -> lessons.Library:
    """Every lesson file, read and checked again only when a file changes (so a teacher
    writing one sees it on the next rerun)."""
    stamp = tuple((str(p), _mtime(p)) for p in sorted(lessons.FOLDER.glob("*.toml")))
    return _load(stamp, tuple((page, titles) for page, (_, titles) in tabs.items()))


def vocabulary(tabs: dict[str, tuple[str, ...]]) -> lessons.Vocabulary:
    """What a lesson file may name in this app: every page (`tabs`: the titles of the
    tabs a step may open, by page) and every sidebar control."""
    return lessons.Vocabulary(
        pages={path: tuple(tabs.get(path, ())) for path in BY_PATH},
        controls={key: functools.partial(_held, c) for key, c in controls.BY_KEY.items()})


def _held(control: controls.Control, value: Any) -> Any:
    """The value the control holds for a lesson's value, checked as a link's value is;
    ValueError for one the control would change or refuse."""
    legal, note = controls.check_url_value(control, control.fmt(value))
    if note or legal != value or isinstance(value, bool) != isinstance(legal, bool):
        raise ValueError(f"{control.key} cannot hold {value!r}")
    return legal


def full_values(step: lessons.Step) -> dict[str, Any]:
    """Every control's value in the step: its own, the others at their defaults."""
    return controls.defaults() | step.values


def _mtime(path) -> int | None:
    """When the file last changed; None when it cannot be looked at (a dangling link):
    reading it says why, on the list."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


@st.cache_resource(max_entries=2)
def _load(stamp: tuple, tabs: tuple) -> lessons.Library:
    return lessons.load_all(lessons.FOLDER, vocabulary(dict(tabs)))


def prepare(on_page: bool, tabs: dict) -> tuple[Open | None, list[str]]:
    """The open step (None: the list) and notes on a bad link. Applies a newly opened
    step's control values and tab before any widget is drawn; on the way into a lesson
    keeps the sidebar as it was, and on the way back to the list puts it back. A
    student's `join=` link is pointed at the class's lesson and step first."""
    class_note = classroom.follow_link() if on_page else None
    found, notes = resolve(library(tabs)) if on_page else (None, [])
    notes = notes + ([class_note] if class_note else [])
    was_open = st.session_state.get(OPEN)          # None: the session's first run
    st.session_state[OPEN] = found is not None
    if was_open is not None and was_open != (found is not None):
        _crossed(found, on_page, tabs)
    shown = found.key if found is not None else None
    if shown is not None and st.session_state.get(SHOWN) != shown:
        st.session_state[ARRIVALS] = st.session_state.get(ARRIVALS, 0) + 1
    st.session_state[SHOWN] = shown
    if found is None:
        st.session_state[APPLIED] = None
    elif st.session_state.get(APPLIED) != found.key:
        # the step is the whole view: the pages' own controls at their defaults too (a
        # step's words may name them: the Trainability tab's grid of 500 steps)
        controls.reset_page_controls()
        controls.apply_values(found.step.values)
        if found.step.tab:
            st.session_state[tabs[found.step.page][0]] = found.step.tab
        st.session_state[APPLIED] = found.key
    return found, notes


def _crossed(found: Open | None, on_page: bool, tabs: dict) -> None:
    """Into a lesson (the sidebar kept as it was) or out of it: back to the list (the
    sidebar put back) or off to a page (the step's network goes along)."""
    keys = [c.key for c in controls.CONTROLS] + [key for key, _ in tabs.values()]
    if found is not None:
        st.session_state[BEFORE] = {k: st.session_state[k] for k in keys
                                    if k in st.session_state}
    elif on_page:
        _put_back(st.session_state.pop(BEFORE, {}), keys)
    else:
        st.session_state.pop(BEFORE, None)
    if on_page:
        # A link to the page already open (Start on the list, All lessons at the end)
        # reruns with its parameters but leaves the address bar as it was (Streamlit
        # 1.67's frontend), so the next rerun would send the old ones back: the lesson
        # would close at the first click, or never close. Sending the parameters as
        # they are puts them in the address bar (a history entry only if they differ).
        st.query_params.update()


def _put_back(before: dict, keys: list[str]) -> None:
    """The controls and tabs as `before` holds them; a control it lacks at its default
    (a lesson a link opened had nothing before it), a tab it lacks unset."""
    controls.apply_values({k: v for k, v in before.items() if k in controls.BY_KEY})
    for key in keys:
        if key not in controls.BY_KEY:
            if key in before:
                st.session_state[key] = before[key]
            else:
                st.session_state.pop(key, None)


def resolve(lib: lessons.Library) -> tuple[Open | None, list[str]]:
    """The lesson and step the URL names, the step clamped into range; a note (with the
    URL text inert) when the link named something else."""
    raw = st.query_params.get("lesson")
    if raw is None:
        return None, []
    lesson = lib.lessons.get(raw)
    if lesson is None:
        return None, [f"{inert(f'lesson={raw}')} is not a lesson: here is the list."]
    raw_step = st.query_params.get("step", "1")
    # ASCII digits only: "²" is a digit to str.isdigit but not to int()
    number = int(raw_step) if re.fullmatch(r"[0-9]{1,5}", raw_step) else 1
    clamped = min(max(number, 1), len(lesson.steps))
    notes = []
    if str(clamped) != raw_step:
        notes.append(f"{inert(f'step={raw_step}')} is not a step of this lesson "
                     f"(1 to {len(lesson.steps)}): showing step {clamped}.")
        st.query_params["step"] = str(clamped)
    return Open(lesson, clamped), notes


def hidden(found: Open | None) -> tuple[str, ...]:
    return found.step.hide if found is not None else ()


# -- answers and moves (widget callbacks among them) ------------------------------------

def revealed(found: Open) -> lessons.Verdict | None:
    """The answer given (a Verdict), a bare reveal (Verdict with no answer), or None."""
    return st.session_state.get(ANSWERS, {}).get(found.key)


def record(found: Open, verdict: lessons.Verdict | None) -> None:
    answers = dict(st.session_state.get(ANSWERS, {}))
    if verdict is None:
        answers.pop(found.key, None)
    else:
        answers[found.key] = verdict
        st.session_state[REVEALS] = st.session_state.get(REVEALS, 0) + 1
    st.session_state[ANSWERS] = answers


def view_id(found: Open, shown: bool) -> str:
    """One name for each arrival at a step and each reveal on it, the same over the
    reruns in between: the step's key, the session's arrivals and reveals so far, and
    whether the chart is shown."""
    counts = (st.session_state.get(ARRIVALS, 0), st.session_state.get(REVEALS, 0))
    return f"{found.key}-{counts[0]}-{counts[1]}-{'chart' if shown else 'question'}"


def reveal(found: Open) -> None:
    record(found, lessons.Verdict(False, None))      # no answer given: text None


def go(number: int) -> None:
    st.query_params["step"] = str(number)


def reapply() -> None:
    """Put the step's own control values back on the next rerun."""
    st.session_state[APPLIED] = None


def score(found: Open) -> tuple[int, int]:
    """(right, answered) over the lesson's steps: the last answer of each, reveals aside."""
    answers = st.session_state.get(ANSWERS, {})
    given = [answers.get(f"{found.lesson.id}_{n}") for n in range(1, len(found.lesson.steps) + 1)]
    answered = [v for v in given if v is not None and v.text is not None]
    return sum(v.correct for v in answered), len(answered)
