"""The Lessons page in AppTest: every step of every lesson walked with a right and with
a wrong answer; the chart is hidden until the answer; hostile links open the list (or
clamp the step) with an inert note; presenter mode (its keys line, and the chart brought
into view once per reveal) and hidden controls; the sidebar put back on leaving a
lesson for the list."""

from __future__ import annotations

import math
import re

import pytest

from streamlit.util import calc_hash

from core import theory
from ui.controls import BY_KEY
from ui import present
from lessons import pretty
from views.lessons import PAGE_TABS, TEXT, library

from .helpers import figures, no_exceptions, open_page
from .test_links import outside_code

LESSONS = list(library().lessons.values())
WAITING = "The chart appears once you answer"


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _answer(at, step, right: bool):
    """Give a right or a wrong answer; return the misconception text expected (or "")."""
    if step.is_number:
        trap = step.traps[0] if step.traps and not right else None
        value = step.answer if right else (trap.value if trap else step.answer + 10 * step.tolerance + 1)
        at.text_input[0].input(step.as_typed(value))
        expected = trap.why if trap else ""
    else:
        index = next(i for i, c in enumerate(step.choices) if c.correct == right)
        at.radio[0].set_value(index)
        expected = step.choices[index].why
    _button(at, "Check my answer").click().run()
    return expected


def _walk(lesson, right: bool):
    at = open_page("lessons", timeout=180, lesson=lesson.id, step="1")
    for number, step in enumerate(lesson.steps, start=1):
        assert not at.exception, [e.value for e in at.exception]
        assert at.header[0].value == step.title
        assert not figures(at), "the chart shows before the answer"
        assert any(WAITING in i.value for i in at.info)
        for key, value in step.values.items():
            assert at.session_state[key] == value, (lesson.id, number, key)
        if step.tab:
            assert at.session_state[PAGE_TABS[step.page][0]] == step.tab
        expected = _answer(at, step, right)
        assert figures(at), (lesson.id, number, "no chart after the answer")
        verdicts = [v for v in (at.success if right else at.error)
                    if not v.value.startswith("End of the lesson")]
        assert len(verdicts) == 1, (lesson.id, number)
        assert _plain(pretty(expected)) in _plain(verdicts[0].value)
        assert "{" not in at.markdown[-1].value
        if number < len(lesson.steps):
            _button(at, "Next step").click().run()
            assert at.query_params["step"] == [str(number + 1)] or \
                at.query_params["step"] == str(number + 1)
    return at


def _plain(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_walk_every_step_answering_right(lesson):
    at = _walk(lesson, right=True)
    assert _button(at, "Last step").disabled
    steps = len(lesson.steps)
    assert any(f"{steps} of {steps} answers right" in s.value for s in at.success)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_walk_every_step_answering_wrong(lesson):
    """A wrong answer reveals the chart too, with the misconception of the choice picked."""
    at = _walk(lesson, right=False)
    assert any(f"0 of {len(lesson.steps)} answers right" in s.value for s in at.success)


def test_reveal_without_an_answer_and_back():
    lesson = LESSONS[0]
    at = open_page("lessons", lesson=lesson.id, step="2")
    _button(at, "Reveal").click().run()
    no_exceptions(at)
    assert figures(at)
    assert pretty(lesson.steps[1].correct_choice.text) in at.info[0].value
    _button(at, "Previous").click().run()
    assert at.header[0].value == lesson.steps[0].title
    assert not figures(at)


def test_a_revealed_steps_numbers_come_from_the_cache(monkeypatch):
    """The facts under a revealed step are the cached run's and prediction's: a rerun of
    the step (any click on the page) predicts nothing again."""
    lesson = LESSONS[0]
    at = open_page("lessons", lesson=lesson.id, step="2")
    _button(at, "Reveal").click().run()
    predicted = []
    real = theory.predict
    monkeypatch.setattr(theory, "predict", lambda *a: predicted.append(a) or real(*a))
    at.run()
    no_exceptions(at)
    assert figures(at) and "{" not in at.markdown[-1].value
    assert not predicted


def test_the_list_without_a_lesson():
    at = open_page("lessons")
    no_exceptions(at)
    titles = [s.value for s in at.subheader]
    assert titles == [lesson.title for lesson in LESSONS]
    assert not at.warning
    # the app opens on a demo's values, but the list is no place for a demo's note
    assert not any("Exploding" in i.value for i in at.info)


@pytest.mark.parametrize("params", [
    {"lesson": "no_such_lesson"},
    {"lesson": "[log in](https://evil.example/login)", "step": "2"},
    {"lesson": "<img src=https://evil.example/p.png>"},
    {"lesson": ":red[**alarm**]"},
])
def test_unknown_lesson_opens_the_list_with_an_inert_note(params):
    at = open_page("lessons", **params)
    no_exceptions(at)
    assert [s.value for s in at.subheader] == [lesson.title for lesson in LESSONS]
    (note,) = [w.value for w in at.warning]
    rest = outside_code(note)
    assert not any(c in rest for c in "[]<>") and "evil" not in rest and "alarm" not in rest
    assert "is not a lesson" in note


@pytest.mark.parametrize("raw, shown", [("0", 1), ("999", None), ("-3", 1), ("two", 1),
                                        ("<b>2</b>", 1), ("1e3", 1), ("", 1),
                                        ("²", 1)])
def test_a_bad_step_is_clamped_with_a_note(raw, shown):
    lesson = LESSONS[0]
    last = len(lesson.steps)
    shown = last if shown is None else shown
    at = open_page("lessons", lesson=lesson.id, step=raw)
    no_exceptions(at)
    assert at.header[0].value == lesson.steps[shown - 1].title
    (note,) = [w.value for w in at.warning]
    assert f"showing step {shown}" in note and "<b>" not in outside_code(note)
    assert at.query_params["step"] in (str(shown), [str(shown)])


def test_presenter_mode_and_hidden_controls():
    at = open_page("lessons", lesson=LESSONS[0].id, step="1", present="1", hide="width,nope")
    no_exceptions(at)
    assert at.session_state["_present"] is True
    css = " ".join(h.proto.body for h in at.get("html"))
    assert f"font-size: {present.BODY_PX}px" in css and present.BODY_PX >= 20
    hidden = re.findall(r"\.st-key-(\w+)", css)
    assert "width" in hidden and set(LESSONS[0].steps[0].hide) <= set(hidden)
    assert all(k in BY_KEY or k.startswith("lesson_") for k in hidden)
    (note,) = [w.value for w in at.warning]
    assert "nope" in note and "names no control" in note
    plain = open_page("variance", present="<b>1</b>", hide="[x](https://evil.example)")
    assert plain.session_state["_present"] is False
    (note,) = [w.value for w in plain.warning]
    assert "evil" not in outside_code(note) and "names no control" in note


def test_controls_are_not_written_to_the_url_while_a_lesson_is_open():
    """The URL holds the step; the step sets the controls (one history entry a step)."""
    lesson = LESSONS[0]
    at = open_page("lessons", lesson=lesson.id, step="1")
    _button(at, "Reveal").click().run()
    _button(at, "Next step").click().run()
    assert set(at.query_params) == {"lesson", "step"}
    assert at.slider(key="depth").value == lesson.steps[1].values["depth"]


def test_a_broken_lesson_file_is_named_on_the_list(tmp_path, monkeypatch):
    """The good lessons still open; the broken file is named with what is wrong."""
    import lessons

    (tmp_path / "good.toml").write_text((lessons.FOLDER / "variance_law.toml").read_text())
    (tmp_path / "bad.toml").write_text('title = "x"\nsummary = "y"\n[[steps]]\ntitle = "s"\n')
    monkeypatch.setattr(lessons, "FOLDER", tmp_path)    # the files are the cache's key
    at = open_page("lessons")
    assert not at.exception
    assert [s.value for s in at.subheader] == [LESSONS[0].title]
    (error,) = [e.value for e in at.error]
    assert "bad.toml: step 1:" in error
    (tmp_path / "bad.toml").unlink()              # the files changed: read again on the next rerun
    at.run()
    assert not at.error


@pytest.mark.parametrize("weight_var, decades", [(10.0, 600), (0.0001, -400)])
def test_a_step_reveals_for_a_network_past_float64(weight_var, decades):
    """A student drags the variance law's ten-layer step to depth 200 and Var(W) 10 (or
    0.0001), then reveals: 200 linear layers multiply the variance by 100·Var(W) = 1000
    (or 0.01) each, 10^600 (or 10^-400), and the explanation states the measured power
    of ten (one draw at width 100 wanders less than a decade from the law)."""
    at = open_page("lessons", timeout=180, lesson="variance_law", step="2")
    at.slider(key="depth").set_value(200)
    at.select_slider(key="weight_var").set_value(weight_var)
    _button(at, "Reveal").click().run()
    no_exceptions(at)
    explained = " ".join(m.value for m in at.markdown)
    shown = re.search(r"shows (\d\.\d\d) × 10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+) at layer 200", explained)
    assert shown, explained
    exponent = int(shown.group(2).translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")))
    assert abs(exponent + math.log10(float(shown.group(1))) - decades) < 1


def test_an_unreadable_answer_is_quoted_and_the_question_stays_open():
    at = open_page("lessons", lesson="variance_law", step="1")
    at.text_input[0].input("[a hundred](https://evil.example)")
    _button(at, "Check my answer").click().run()
    assert not at.exception and not figures(at)
    (warning,) = [w.value for w in at.warning]
    assert "I could not read" in warning and "evil" not in outside_code(warning)
    assert "_lesson_answers" not in at.session_state          # nothing judged, nothing scored


def _leave(at, page: str | None = None):
    """Drop the lesson from the link (as All lessons or Back do) and rerun; `page`: on
    another page instead of the list."""
    for key in ("lesson", "step"):
        at.query_params.pop(key, None)
    if page is not None:
        at._page_hash = calc_hash(page)
    return at.run()


def test_leaving_a_lesson_for_the_list_puts_the_sidebar_back():
    """The controls as the student had set them before the lesson, whatever the steps
    set or the student changed during it."""
    lesson = LESSONS[0]
    at = open_page("lessons")
    at.slider(key="depth").set_value(33).run()
    at.query_params.update(lesson=lesson.id, step="2")
    at.run()
    assert at.slider(key="depth").value == lesson.steps[1].values["depth"] != 33
    at.slider(key="width").set_value(57).run()
    _leave(at)
    no_exceptions(at)
    assert [s.value for s in at.subheader] == [lesson.title for lesson in LESSONS]
    assert at.slider(key="depth").value == 33
    assert at.slider(key="width").value == BY_KEY["width"].default


def test_leaving_a_lesson_opened_by_its_link_leaves_the_defaults():
    """Nothing was set before a lesson a link opened: the list shows the defaults."""
    lesson = LESSONS[0]
    step = lesson.steps[2]
    at = open_page("lessons", lesson=lesson.id, step="3")
    assert any(at.session_state[k] != BY_KEY[k].default for k in step.values)
    _leave(at)
    assert {k: at.session_state[k] for k in step.values} == \
        {k: BY_KEY[k].default for k in step.values}


def test_leaving_a_lesson_for_a_page_takes_the_steps_network_along():
    """Open on its page shows the step's network, not the one from before the lesson."""
    lesson = LESSONS[0]
    at = open_page("lessons")
    at.slider(key="depth").set_value(33).run()
    at.query_params.update(lesson=lesson.id, step="3")
    at.run()
    _leave(at, page="variance")
    no_exceptions(at)
    assert at.slider(key="depth").value == lesson.steps[2].values["depth"]
    assert at.session_state["weight_var"] == lesson.steps[2].values["weight_var"]


def test_a_step_shows_the_pages_own_controls_at_their_defaults():
    """A page's own control set before the lesson (the Depth scales grid trained 4000
    steps) does not carry into a step, whose words describe the default (500 steps)."""
    lesson = library().lessons["edge_of_chaos"]
    number = next(i for i, s in enumerate(lesson.steps, 1) if s.tab == "Trainability")
    at = open_page("depth_scales", depth_view="Trainability", depth_steps=4000)
    assert any("After 4000 steps" in m.value for m in at.markdown)
    for key in list(at.query_params):
        at.query_params.pop(key)
    at.query_params.update(lesson=lesson.id, step=str(number))
    at._page_hash = calc_hash("lessons")
    at.run()
    _button(at, "Reveal").click().run()
    no_exceptions(at)
    said = " ".join(m.value for m in at.markdown)
    assert "After 500 steps" in said and "After 4000 steps" not in said
    assert "500 steps" in lesson.steps[number - 1].explain


VIEW = re.compile(r'const id = "([^"]+)", mode = "(\w+)"')


def _views(at) -> list[tuple[str, str]]:
    """(id, mode) of every bring-into-view script on the page."""
    return [VIEW.search(h.proto.body).groups() for h in at.get("html")
            if "<script>" in h.proto.body]


def test_presenter_mode_brings_each_reveal_into_view_once():
    """A new step scrolls to its top; each reveal brings its chart in, once: a rerun
    of the same reveal leaves the view alone, a second reveal brings it in again."""
    lesson = LESSONS[0]
    at = open_page("lessons", lesson=lesson.id, step="1", present="1")
    assert [c.value for c in at.caption if c.value == TEXT("keys")]
    ((asked, mode),) = _views(at)
    assert mode == "top"
    _button(at, "Reveal").click().run()
    ((first, mode),) = _views(at)
    assert mode == "chart" and first != asked
    at.run()
    assert _views(at) == [(first, "chart")]
    _button(at, "Answer again").click().run()
    ((again, mode),) = _views(at)
    assert mode == "top" and again not in (asked, first)
    _button(at, "Reveal").click().run()
    ((second, mode),) = _views(at)
    assert mode == "chart" and second not in (asked, first, again)
    assert all("__" not in h.proto.body for h in at.get("html"))     # every name filled in
    _button(at, "Next step").click().run()
    ((arrived, mode),) = _views(at)
    assert mode == "top" and arrived not in (asked, first, again, second)


def test_without_presenter_mode_the_view_stays_where_the_reader_put_it():
    at = open_page("lessons", lesson=LESSONS[0].id, step="1")
    _button(at, "Reveal").click().run()
    assert figures(at) and not _views(at)
    assert not [c.value for c in at.caption if c.value == TEXT("keys")]
