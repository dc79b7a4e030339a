"""Lessons as data: one TOML file per lesson in this folder, read, checked and graded
here, with no Streamlit and no Plotly (a notebook can load and grade them too).

A lesson is a title, a summary and ordered steps. A step sets the sidebar's controls
(the same keys and values as a classroom demo, ui.presets), opens a page (and one of
its tabs), asks a question before its chart is shown, says what to look at, and
explains the answer with numbers measured on the network shown (each {name} in its text
is one of the facts, bare). A question is either multiple choice (each wrong choice says
which misconception it comes from) or a number with a tolerance (common wrong numbers,
the "traps", say why they are wrong). `measure` names the core computation the answer
claims; the tests check every claim against the core. How to write one: docs/lessons.md.

- schema:   the dataclasses (Lesson, Step, Choice, Trap, Verdict, Library, Vocabulary)
- loader:   reading and checking the files (load_all, load, parse)
- answers:  numbers as students type them (5/3, 2^20, 10⁻¹⁰, 1,048,576)
- grading:  an answer judged against a step (check, answer_text)
- measures: numbers about a network: the measures answers claim, the facts texts quote
- text:     templates filled, powers set as superscripts, untrusted text made inert

The app's pages and controls are its own: it hands them to the loader as a
`Vocabulary` (ui.lesson_state.vocabulary).
"""

from .grading import answer_text, check, class_answer, read_number, spread_marks
from .loader import FOLDER, MAX_BYTES, load, load_all, parse, parse_step
from .measures import MEASURES, fact_names, facts, measure
from .schema import (STEP_KEYS, Choice, Lesson, LessonError, Library, Step, Trap, Verdict,
                     Vocabulary)
from .text import fill, inert, pretty

__all__ = ["FOLDER", "MAX_BYTES", "MEASURES", "STEP_KEYS", "Choice", "Lesson", "LessonError",
           "Library", "Step", "Trap", "Verdict", "Vocabulary", "answer_text", "check", "class_answer",
           "fact_names", "facts", "fill", "inert", "load", "load_all", "measure", "parse",
           "parse_step", "pretty", "read_number", "spread_marks"]
