"""The Lessons page: predict, then see. Without `?lesson=` it lists the lessons; with
`?lesson=<id>&step=<n>` it asks one step's question, hides the step's chart until the
question is answered (or the presenter reveals it), then shows the chart and the
explanation with the numbers of the network on screen. Which step is open, its
controls and the answers given are kept by ui.lesson_state.
"""

from __future__ import annotations

import streamlit as st

import lessons
from lessons import answers
from ui import cache, classroom, controls, lesson_state as state, present
from ui.controls import Settings
from ui.lesson_state import Open
from ui.links import BY_PATH, page_link

from . import lessons_class, tabs
from .prose import Prose

# The pages whose tabs a step may open: page -> (its tabs' URL key, their titles).
PAGE_TABS = tabs()
NEXT_KEYS = ("Right", "PageDown")        # arrow keys, and what presentation clickers send
BACK_KEYS = ("Left", "PageUp")
# The clicker's buttons go off screen (not display:none, so that their shortcuts stay
# live); the revealed page's own title is set smaller than the step's: views/text/lessons.css,
# drawn as lessons_class.CSS
TEXT = Prose("lessons")


def library() -> lessons.Library:
    return state.library(PAGE_TABS)


# -- the page ---------------------------------------------------------------------------

def page(settings: Settings, views: dict, found: Open | None = None,
         notes: tuple[str, ...] = ()) -> None:
    for note in notes:
        st.warning(note, icon=":material/link:")
    member = classroom.joined()
    if found is None:
        _list(library())
    elif member is not None:
        lessons_class.student_step(found, *member, lambda: _revealed(found, settings, views))
    else:
        _step(found, settings, views)


def _list(lib: lessons.Library) -> None:
    st.title("Lessons")
    st.markdown(TEXT("intro"))
    lessons_class.join_form()
    for lesson in lib.lessons.values():
        with st.container(border=True):
            st.subheader(lesson.title)
            st.markdown(lesson.summary)
            cols = st.columns(2)
            start = {"lesson": lesson.id, "step": "1"}
            page_link("lessons", f"Start ({len(lesson.steps)} steps)", cols[0], start, "▶️")
            page_link("lessons", "Present it", cols[1], start | {"present": "1"}, "🖥️")
    for error in lib.errors:                # quotes the file: shown as code, never Markdown
        st.error(TEXT("unreadable_file", error=lessons.inert(error, 400)),
                 icon=":material/error:")
    st.caption(TEXT("presenter_help"))


def _step(found: Open, settings: Settings, views: dict) -> None:
    step, total = found.step, len(found.lesson.steps)
    st.caption(TEXT("step_caption", lesson=found.lesson.title, number=found.number,
                    total=total))
    st.progress(found.number / total)
    st.header(step.title)
    shown = state.revealed(found)
    _navigation(found, shown)
    st.markdown(step.question)
    if present.presenting() or classroom.led(found.lesson.id):
        lessons_class.presenter_panel(found, shown)
    if shown is None:
        _ask(found)
        st.info(TEXT("waiting"), icon=":material/visibility_off:")
        return
    lessons_class.show_verdict(step, shown)
    _revealed(found, settings, views, own=True)


def _revealed(found: Open, settings: Settings, views: dict, own: bool = False) -> None:
    """What a reveal shows: the explanation with the network's numbers, then the chart;
    in one's `own` lesson (not a class's) the score at the end and the step's links."""
    step = found.step
    facts = cache.facts(settings.spec)
    st.markdown(lessons.fill(step.explain, facts))
    if step.look_at:
        st.markdown(TEXT("look_at", text=lessons.fill(step.look_at, facts)))
    if own and found.last:
        _score(found)
    if own:
        _after(found)                   # above the chart: Training keeps drawing below
    with st.container(border=True, key="lesson_chart"):
        views[step.page](settings)


def _score(found: Open) -> None:
    right, answered = state.score(found)
    st.success(TEXT("score", right=right, answered=answered,
                    revealed=len(found.lesson.steps) - answered), icon=":material/flag:")
    page_link("lessons", "All lessons", params={})


def _ask(found: Open) -> None:
    step = found.step
    with st.form(key=f"lesson_form_{found.key}", border=False):
        if step.is_number:
            given = st.text_input(f"Your answer{f' ({step.unit})' if step.unit else ''}",
                                  placeholder="e.g. 1000, 1e6, 10^6, 5/3",
                                  max_chars=answers.MAX_CHARS,
                                  key=f"lesson_number_{found.key}")
        else:
            given = st.radio("Your answer", range(len(step.choices)), index=None,
                             format_func=lambda i: lessons.pretty(step.choices[i].text),
                             key=f"lesson_choice_{found.key}")
        if st.form_submit_button("Check my answer", type="primary"):
            if given is None or given == "":
                st.warning(TEXT("no_answer_yet"))
            else:
                _judge(found, given)


def _judge(found: Open, given) -> None:
    """Record the verdict; an answer that could not be read is said so, and the
    question stays open."""
    verdict = lessons.check(found.step, given)
    if not verdict.read:
        st.warning(verdict.text, icon=":material/edit:")     # the answer quoted as code
        return
    state.record(found, verdict)
    st.rerun()


def _navigation(found: Open, shown) -> None:
    """Previous and next (or reveal), each on an arrow key, and again out of sight on
    the key a presentation clicker sends; the presenter toggle."""
    cols = st.columns([1, 1, 2])
    clicker = st.container(key="lesson_clicker")
    st.html(lessons_class.CSS)
    label, action, args = _forward(found, shown)
    for where, key in zip((cols[0], clicker), BACK_KEYS):
        where.button("Previous", icon=":material/arrow_back:", shortcut=key,
                     key=f"lesson_back_{key}", disabled=found.number == 1,
                     on_click=state.go, args=(found.number - 1,))
    for where, key in zip((cols[1], clicker), NEXT_KEYS):
        where.button(label, icon=":material/arrow_forward:", type="primary", shortcut=key,
                     key=f"lesson_next_{key}", disabled=action is None,
                     help=TEXT("reveal_help") if shown is None else None,
                     on_click=action, args=args)
    cols[2].toggle("Presenter mode", value=present.presenting(), key="_present_toggle",
                   on_change=_toggle_present)
    if present.presenting():      # a clicker's PageDown moves on; it cannot scroll
        st.caption(TEXT("keys"))
        present.bring_into_view("lesson_chart", state.view_id(found, shown is not None),
                                chart=shown is not None, where=clicker)


def _toggle_present() -> None:
    present.set_presenting(st.session_state["_present_toggle"])


def _forward(found: Open, shown):
    if shown is None:
        return "Reveal", state.reveal, (found,)
    if not found.last:
        return "Next step", state.go, (found.number + 1,)
    return "Last step", None, ()      # the end: the score and a link to the list


def _after(found: Open) -> None:
    """Try again, back to the step's own settings, or open its page with them: in one
    row that wraps rather than cut a label short (presenter mode's type is large)."""
    row = st.container(horizontal=True, vertical_alignment="center")
    row.button("Answer again", icon=":material/replay:", on_click=state.record,
               args=(found, None), key="lesson_again")
    row.button("Reset this step's settings", icon=":material/restart_alt:",
               on_click=state.reapply, key="lesson_reset")
    params = {k: controls.BY_KEY[k].fmt(v) for k, v in state.full_values(found.step).items()
              if v != controls.BY_KEY[k].default}
    page_link(found.step.page, f"Open on its page: {BY_PATH[found.step.page].title}",
              row, params=params)
