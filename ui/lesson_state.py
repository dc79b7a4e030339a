"""The open lesson step, kept where Streamlit keeps state: which step the URL names,
its control values put in place before the sidebar is drawn, and the answers given.

The step is in the URL, and moving between steps writes only `step`, so each step is
one entry of the browser's history: Back walks back through the steps. While a lesson
is open the sidebar's controls are not written to the URL (the step defines them).
The Lessons page (views/lessons.py) draws it; `tabs` maps a page to its tabs' URL key
and titles, which only the views know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from . import controls, lessons
from .controls import inert

URL_KEYS = ("lesson", "step")
ANSWERS = "_lesson_answers"          # session state: step key -> lessons.Verdict
APPLIED = "_lesson_applied"          # the step whose values the controls hold


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


def _mtime(path) -> int | None:
    """When the file last changed; None when it cannot be looked at (a dangling link):
    reading it says why, on the list."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


@st.cache_resource(max_entries=2)
def _load(stamp: tuple, tabs: tuple) -> lessons.Library:
    return lessons.load_all(tabs=dict(tabs))


def prepare(on_page: bool, tabs: dict) -> tuple[Open | None, list[str]]:
    """The open step (None: the list) and notes on a bad link. Applies a newly opened
    step's control values and tab before any widget is drawn."""
    found, notes = resolve(library(tabs)) if on_page else (None, [])
    st.session_state["_lesson_open"] = found is not None
    if found is None:
        st.session_state[APPLIED] = None
    elif st.session_state.get(APPLIED) != found.key:
        controls.apply_values(found.step.values)
        if found.step.tab:
            st.session_state[tabs[found.step.page][0]] = found.step.tab
        st.session_state[APPLIED] = found.key
    return found, notes


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
    st.session_state[ANSWERS] = answers


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
