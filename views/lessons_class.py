"""A lesson run with a class, as the Lessons page draws it: the presenter's code, QR code
and spread of answers beside the step, and the student's page, which shows the step the
presenter is on (the question, then the chart once revealed) and follows the presenter.
The class itself is kept by ui.classroom, in the database.
"""

from __future__ import annotations

import streamlit as st

import lessons
from classroom import codes
from figures.classroom import choices_figure, numbers_figure
from ui import charts, classroom
from ui.lesson_state import Open

from .prose import FOLDER, Prose

TEXT = Prose("lessons")
# The Lessons page's own rules (views/lessons.py draws them with its navigation, which a
# student's page has not): the revealed page's title smaller than the step's.
CSS = "<style>" + (FOLDER / "lessons.css").read_text(encoding="utf-8") + "</style>"


# -- the presenter --------------------------------------------------------------------------

def presenter_panel(found: Open, shown) -> None:
    """Beside a step in presenter mode: a button that opens a class, or the open class's
    code, QR code, count and spread of answers (live), the right answer once revealed."""
    held = classroom.led(found.lesson.id)
    if held is None:
        if st.session_state.pop("_class_down", False):
            st.warning(classroom.DOWN_NOTE, icon=":material/cloud_off:")
        st.button("Run with a class", icon=":material/groups:", key="class_open",
                  on_click=classroom.open_for, args=(found.lesson.id,),
                  help=TEXT("class.open_help"))
        return
    state = classroom.sync(held, found.number - 1, shown is not None)
    if state is None:
        st.warning(classroom.DOWN_NOTE, icon=":material/cloud_off:")
        return
    join, spread = st.columns([1, 2], gap="medium")
    with join:
        link = classroom.join_link(held.code)
        st.image(classroom.qr_png(link), width=220)
        st.markdown(TEXT("class.code", code=codes.shown(held.code)))
        st.caption(TEXT("class.join_where", address=link.split("?")[0]))
        st.button("End the class", key="class_end", on_click=classroom.end,
                  args=(found.lesson.id,))
    with spread:
        _live_spread(held, found, shown is not None)
    if found.last:
        _class_scores(held, found)


@st.fragment(run_every=classroom.PRESENTER_POLL_S)
def _live_spread(held: classroom.Led, found: Open, revealed: bool) -> None:
    tally = classroom.tally(held, found.number - 1)
    if tally is None:
        st.warning(classroom.DOWN_NOTE, icon=":material/cloud_off:")
        return
    if revealed and tally.answered:
        st.markdown(TEXT("class.tally_revealed", joined=tally.joined, answered=tally.answered,
                         right=tally.right, share=100 * tally.right / tally.answered))
    else:
        st.markdown(TEXT("class.tally", joined=tally.joined, answered=tally.answered))
    if tally.answered:
        charts.show(spread_figure(found.step, tally.answers, revealed),
                    key=f"class_spread_{found.key}", network=False)
        # the traps' words explain the answer: on the projected screen, after the reveal
        shown = found.step.traps if found.step.is_number and revealed else ()
        for k, trap in enumerate(shown):
            st.caption(TEXT("class.trap", number=k + 1, value=lessons.pretty(f"{trap.value:g}"),
                            why=lessons.pretty(trap.why)))


def spread_figure(step: lessons.Step, given, revealed: bool):
    """The class's answers to `step`: a bar per choice, or the numbers' histogram with the
    lesson's traps; the right answer marked only once revealed."""
    if not step.is_number:
        counts = [0] * len(step.choices)
        for a in given:
            if a.value is not None and 0 <= int(a.value) < len(counts):
                counts[int(a.value)] += 1
        right = next(i for i, c in enumerate(step.choices) if c.correct)
        labels = [lessons.pretty(c.text) for c in step.choices]
        return choices_figure(labels, counts, correct=right if revealed else None)
    traps, answer = lessons.spread_marks(step)
    values = [a.value for a in given if a.value is not None]
    unit = f" ({step.unit})" if step.unit else ""
    return numbers_figure(values, nonpositive=len(given) - len(values),
                          traps=traps, answer=answer if revealed else None,
                          x_title="answer" + unit)


def _class_scores(held: classroom.Led, found: Open) -> None:
    scores = classroom.scores(held) or {}
    rows = [{"step": f"{i + 1}. {s.title}",
             "answered": scores.get(i, (0, 0))[0], "right": scores.get(i, (0, 0))[1]}
            for i, s in enumerate(found.lesson.steps)]
    st.dataframe(rows, hide_index=True, use_container_width=True)


# -- the student ------------------------------------------------------------------------

def student_step(found: Open, code: str, me: str, revealed_body) -> None:
    """A student's page: the presenter's step, its question until the reveal (the
    answer may change until then), then whether the student was right and the chart."""
    step, total = found.step, len(found.lesson.steps)
    state = classroom.class_state(code)
    st.caption(TEXT("class.step_caption", code=codes.shown(code), lesson=found.lesson.title,
                    number=found.number, total=total))
    st.header(step.title)
    if state is None or state.closed:
        st.info(TEXT("class.ended"), icon=":material/flag:")
        return
    _follow(code, state.step, state.revealed)
    st.markdown(step.question)
    given = classroom.mine(code, me, found.number - 1)
    if not state.revealed:
        _answer_form(found, code, me, given)
        st.caption(TEXT("class.following"))
        return
    _student_verdict(step, given)
    st.html(CSS)
    revealed_body()


@st.fragment(run_every=classroom.STUDENT_POLL_S)
def _follow(code: str, step_index: int, revealed: bool) -> None:
    """Every STUDENT_POLL_S: the whole page again once the presenter has moved or
    revealed (ui.classroom caches the class's state per process, so a class costs the
    database a read or two a second)."""
    state = classroom.class_state(code)
    if state is None or (state.step, state.revealed, state.closed) != (
            step_index, revealed, False):
        st.rerun()


def _answer_form(found: Open, code: str, me: str, given) -> None:
    step = found.step
    with st.form(key=f"class_form_{found.key}", border=False):
        if step.is_number:
            typed = st.text_input(f"Your answer{f' ({step.unit})' if step.unit else ''}",
                                  placeholder="e.g. 1000, 1e6, 10^6, 5/3",
                                  max_chars=classroom.classes.MAX_ANSWER_CHARS,
                                  key=f"class_number_{found.key}")
        else:
            typed = st.radio("Your answer", range(len(step.choices)), index=None,
                             format_func=lambda i: lessons.pretty(step.choices[i].text),
                             key=f"class_choice_{found.key}")
        sent = st.form_submit_button("Send my answer", type="primary")
    if sent:
        if typed is None or typed == "":
            st.warning(TEXT("class.no_answer_yet"))
            return
        refused = classroom.submit(code, me, found.number - 1, str(typed),
                                   lambda text: lessons.class_answer(step, text))
        if refused:                       # the app's words; a typed answer only inert
            st.warning(refused, icon=":material/edit:")
            return
        given = classroom.mine(code, me, found.number - 1)
    if given is not None:
        shown = (lessons.pretty(step.choices[int(given.value)].text) if not step.is_number
                 else lessons.inert(given.text, 60))
        st.success(TEXT("class.your_answer", answer=shown), icon=":material/how_to_vote:")


def _student_verdict(step: lessons.Step, given) -> None:
    if given is None:
        st.info(TEXT("class.not_answered", right=lessons.answer_text(step)),
                icon=":material/visibility:")
        return
    show_verdict(step, lessons.check(step, int(given.value) if not step.is_number
                                     else given.text))


def show_verdict(step: lessons.Step, verdict: lessons.Verdict) -> None:
    """Right, not quite (with why), or revealed without an answer; the answer beside."""
    right = lessons.answer_text(step)
    if verdict.text is None:
        st.info(TEXT("revealed", right=right), icon=":material/visibility:")
    elif verdict.correct:
        st.success(TEXT("right", right=right), icon=":material/check_circle:")
    else:
        st.error(TEXT("not_quite", why=lessons.pretty(verdict.text), right=right),
                 icon=":material/lightbulb:")


def join_form() -> None:
    """On the lessons list: a code typed from the presenter's screen."""
    with st.form("class_join", border=True):
        code = st.text_input("Join a class", placeholder="the code on the presenter's "
                             "screen, e.g. ABCD-EFGH", max_chars=20)
        if st.form_submit_button("Join", icon=":material/groups:") and code.strip():
            st.query_params.update(join=codes.normalize(code)[:codes.LENGTH * 2])
            st.rerun()

