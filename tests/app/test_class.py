"""A lesson run with a class, in AppTest: the presenter's browser and the students' are
separate sessions of one app, sharing the class only through the database."""

from __future__ import annotations

import json
import math

import pytest

from classroom import codes
from lessons import pretty
from tests.app.helpers import open_page
from ui import classroom
from views.lessons import library

LESSON = "variance_law"        # step 1: one linear layer, width 100, Var(W) = 1: 100


@pytest.fixture(autouse=True)
def class_db(tmp_path, monkeypatch):
    """Every test a database of its own, found afresh by the app's process."""
    monkeypatch.setenv("LAYERSCOPE_DATABASE_URL", f"sqlite:///{tmp_path / 'class.sqlite3'}")
    monkeypatch.setattr(classroom, "_db", None)
    monkeypatch.setattr(classroom, "_down_since", -math.inf)
    classroom._states.clear()


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _presenter():
    at = open_page("lessons", timeout=120, lesson=LESSON, step="1", present="1")
    _button(at, "Run with a class").click().run()
    return at, at.session_state[classroom.PRESENTER]


def _student(code: str, **extra):
    return open_page("lessons", timeout=120, join=code, **extra)


def _texts(at, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def _send(at, text: str):
    at.text_input[0].input(text)
    _button(at, "Send my answer").click().run()


def test_a_student_joins_by_the_code_and_sees_the_question_without_the_chart():
    presenter, held = _presenter()
    assert f"**Code {codes.shown(held.code)}**" in _texts(presenter, "markdown")
    assert presenter.get("image")                      # the QR code of the join link
    student = _student(codes.shown(held.code).lower())   # typed as shown, any case
    query = dict(student.query_params)
    assert (query["join"], query["lesson"], query["step"]) == (held.code, LESSON, "1")
    assert query["me"] and not student.exception
    assert not student.get("plotly_chart")
    labels = [b.label for b in student.button]
    assert "Send my answer" in labels
    assert not {"Reveal", "Next step", "Previous", "Run with a class"} & set(labels)


def test_answers_spread_on_the_presenters_screen_then_the_reveal_marks_the_right_one():
    presenter, held = _presenter()
    for typed in ("40", "100", "1e2", "10^4"):
        _send(_student(held.code), typed)
    presenter.run()
    assert "**4 joined · 4 answered**" in _texts(presenter, "markdown")
    spread = json.loads(presenter.get("plotly_chart")[0].proto.spec)
    assert not spread["layout"].get("shapes") or all(
        s["line"]["dash"] == "dash" for s in spread["layout"]["shapes"])   # traps only
    assert sum(spread["data"][0]["y"]) == 4
    # the traps numbered on the chart (their words on hover), listed in full below it
    # once revealed: on the projected screen their words would give the answer away
    traps = library().lessons[LESSON].steps[0].traps
    notes = spread["layout"]["annotations"]
    assert traps and [a["text"] for a in notes] == [f"trap {k + 1}" for k in range(len(traps))]
    assert [a["hovertext"] for a in notes] == [t.why for t in traps]
    assert not any(c.startswith("Trap ") for c in _texts(presenter, "caption"))
    _button(presenter, "Reveal").click().run()
    captions = _texts(presenter, "caption")
    for k, trap in enumerate(traps):
        assert any(c.startswith(f"Trap {k + 1}, near ") and c.endswith(pretty(trap.why))
                   for c in captions), (k, captions)
    assert "**4 joined · 4 answered · 2 right (50 %)**" in _texts(presenter, "markdown")
    spread = json.loads(presenter.get("plotly_chart")[0].proto.spec)
    solid = [s["x0"] for s in spread["layout"]["shapes"] if s["line"].get("dash") is None]
    assert solid == [2.0]                               # log10(100), the answer


def test_a_student_can_change_the_answer_until_the_reveal_then_sees_the_verdict():
    presenter, held = _presenter()
    student = _student(held.code)
    _send(student, "40")
    _send(student, "100")
    assert any("Your answer: ` 100 `" in t for t in _texts(student, "success"))
    _button(presenter, "Reveal").click().run()
    student.run()
    assert any(t.startswith("**Right:**") for t in _texts(student, "success"))
    assert student.get("plotly_chart")                  # the step's chart
    # on the step's own network, and with no control to change it: none is drawn
    step = library().lessons[LESSON].steps[0]
    chart = json.loads(student.get("plotly_chart")[0].proto.spec)
    said = chart["layout"]["title"]["subtitle"]["text"]
    assert f"{step.values['activation']}, depth {step.values['depth']}" in said, said
    assert not (student.sidebar.slider or student.sidebar.selectbox or student.sidebar.button)
    _send_late = [b.label for b in student.button]
    assert "Send my answer" not in _send_late
    presenter.run()
    assert "**1 joined · 1 answered · 1 right (100 %)**" in _texts(presenter, "markdown")


def test_the_student_follows_the_presenter_whatever_step_the_link_says():
    presenter, held = _presenter()
    student = _student(held.code)
    _button(presenter, "Reveal").click().run()
    _button(presenter, "Next step").click().run()
    student.run()
    assert student.query_params["step"] == ["2"] or student.query_params["step"] == "2"
    assert [h.value for h in student.header] == [presenter.header[0].value]
    student.query_params["step"] = "5"                  # a hand-edited link
    student.run()
    assert student.query_params["step"] in ("2", ["2"])


def test_a_wrong_code_says_so_and_shows_the_list():
    _presenter()
    student = _student("ZZZZ-ZZZZ")
    assert any("No open class has the code 'ZZZZ-ZZZZ'" in t for t in _texts(student, "warning"))
    assert "join" not in student.query_params and student.title[0].value == "Lessons"


@pytest.mark.parametrize("typed", ["<b>40</b>", "**40**", "[x](javascript:alert(1))"])
def test_an_answer_that_is_not_a_number_is_refused_and_not_counted(typed):
    presenter, held = _presenter()
    student = _student(held.code)
    _send(student, typed)
    assert student.warning and not student.success
    presenter.run()
    assert "**1 joined · 0 answered**" in _texts(presenter, "markdown")


def test_with_the_database_down_the_lesson_goes_on_without_the_class(monkeypatch):
    monkeypatch.setenv("LAYERSCOPE_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    at = open_page("lessons", timeout=120, lesson=LESSON, step="1", present="1")
    _button(at, "Run with a class").click().run()
    assert any("class database cannot be reached" in t for t in _texts(at, "warning"))
    assert not at.exception
    _button(at, "Reveal").click().run()
    assert at.get("plotly_chart") and not at.exception


def test_the_lessons_list_takes_a_typed_code():
    presenter, held = _presenter()
    at = open_page("lessons", timeout=120)
    at.text_input[0].input(codes.shown(held.code))
    _button(at, "Join").click().run()
    assert at.query_params["join"] in (held.code, [held.code])
    assert [h.value for h in at.header] == [presenter.header[0].value]


def test_the_spread_names_no_network_under_its_title():
    """A class's answers are no network's: the chart's head is its title alone."""
    presenter, held = _presenter()
    _send(_student(held.code), "100")
    presenter.run()
    title = json.loads(presenter.get("plotly_chart")[0].proto.spec)["layout"]["title"]
    assert title["text"] == "What the class answered"
    assert not (title.get("subtitle") or {}).get("text")
