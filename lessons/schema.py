"""What a lesson is, as data: a title, a summary and ordered steps, each step a question
with its answer, and the verdict on what a student typed.

`Vocabulary` is what a lesson file may name that the app, not the lesson, defines: its
pages (with the tabs a step may open) and its sidebar controls (with the check a link's
value gets). The app hands it to the loader (ui.lesson_state), so this package names no
page and no control of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

ID = re.compile(r"^[a-z0-9_]{1,40}$")
LESSON_KEYS = {"title", "summary", "order", "steps"}
STEP_KEYS = {"title", "page", "tab", "values", "hide", "question", "look_at", "explain",
             "measure", "answer", "tolerance", "unit", "traps", "choices", "log"}


class LessonError(ValueError):
    """A lesson file that cannot be used, with where and why in words."""


@dataclass(frozen=True)
class Vocabulary:
    """The app's names a lesson file may use (see above)."""
    # page -> the titles of the tabs a step may open on it (() for a page without tabs)
    pages: dict[str, tuple[str, ...]]
    # control key -> the value as the control holds it (1 for a float control reads as
    # 1.0); raises ValueError for a value the control cannot hold
    controls: dict[str, Callable[[Any], Any]]


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
    values: dict[str, Any]        # control values; the others stay at the app's defaults
    question: str
    explain: str                  # a template over the facts (lessons.measures.facts)
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
