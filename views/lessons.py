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
from ui import cache, controls, lesson_state as state, present
from ui.controls import Settings
from ui.lesson_state import Open
from ui.links import BY_PATH, page_link

from . import tabs

# The pages whose tabs a step may open: page -> (its tabs' URL key, their titles).
PAGE_TABS = tabs()
NEXT_KEYS = ("Right", "PageDown")        # arrow keys, and what presentation clickers send
BACK_KEYS = ("Left", "PageUp")
# The clicker's buttons go off screen (not display:none, so that their shortcuts stay
# live); the revealed page's own title is set smaller than the step's.
LESSON_CSS = ("<style>.st-key-lesson_clicker { position: absolute; left: -10000px; "
              "width: 1px; height: 1px; overflow: hidden; } "
              ".st-key-lesson_chart h1 { font-size: 1.6rem; }</style>")
# The shortcuts do not act while the answer box has the focus: there the arrow keys
# move the cursor and Enter checks the answer.
KEYS_TEXT = ("Keys: → or PageDown: chart, then next step · ← or PageUp: back · "
             "Enter in the answer box: check")
REVEAL_HELP = "Shows the chart without an answer: a choice counts once it is checked."


def library() -> lessons.Library:
    return state.library(PAGE_TABS)


# -- the page ---------------------------------------------------------------------------

def page(settings: Settings, views: dict, found: Open | None = None,
         notes: tuple[str, ...] = ()) -> None:
    for note in notes:
        st.warning(note, icon=":material/link:")
    if found is None:
        _list(library())
    else:
        _step(found, settings, views)


def _list(lib: lessons.Library) -> None:
    st.title("Lessons")
    st.markdown("Each step asks you to **predict** what the chart will show, then shows "
                "it and explains the gap. Answer first: the chart waits for you.")
    for lesson in lib.lessons.values():
        with st.container(border=True):
            st.subheader(lesson.title)
            st.markdown(lesson.summary)
            cols = st.columns(2)
            start = {"lesson": lesson.id, "step": "1"}
            page_link("lessons", f"Start ({len(lesson.steps)} steps)", cols[0], start, "▶️")
            page_link("lessons", "Present it", cols[1], start | {"present": "1"}, "🖥️")
    for error in lib.errors:                # quotes the file: shown as code, never Markdown
        st.error(f"This lesson file could not be read, so it is not listed: "
                 f"{lessons.inert(error, 400)}", icon=":material/error:")
    st.caption("Presenter mode (add `present=1` to a lesson's link, or use its toggle): "
               "large type, the sidebar folded away, the arrow keys or a clicker's "
               "PageUp/PageDown step through the lesson, and each revealed chart scrolls "
               "into view. `hide=width,batch` hides controls.")


def _step(found: Open, settings: Settings, views: dict) -> None:
    step, total = found.step, len(found.lesson.steps)
    st.caption(f"{found.lesson.title} · step {found.number} of {total}")
    st.progress(found.number / total)
    st.header(step.title)
    shown = state.revealed(found)
    _navigation(found, shown)
    st.markdown(step.question)
    if shown is None:
        _ask(found)
        st.info("The chart appears once you answer, or when the presenter reveals it.",
                icon=":material/visibility_off:")
        return
    _verdict(step, shown)
    facts = cache.facts(settings.spec)
    st.markdown(lessons.fill(step.explain, facts))
    if step.look_at:
        st.markdown(f"**Look at:** {lessons.fill(step.look_at, facts)}")
    if found.last:
        _score(found)
    _after(found)                       # above the chart: Training keeps drawing below
    with st.container(border=True, key="lesson_chart"):
        views[step.page](settings)


def _score(found: Open) -> None:
    right, answered = state.score(found)
    st.success(f"End of the lesson: {right} of {answered} answers right "
               f"({len(found.lesson.steps) - answered} steps revealed without an answer).",
               icon=":material/flag:")
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
                st.warning("Pick or type an answer first (or let the presenter reveal).")
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


def _verdict(step: lessons.Step, verdict: lessons.Verdict) -> None:
    right = lessons.answer_text(step)
    if verdict.text is None:
        st.info(f"**Answer:** {right}", icon=":material/visibility:")
    elif verdict.correct:
        st.success(f"**Right:** {right}.", icon=":material/check_circle:")
    else:
        st.error(f"**Not quite.** {lessons.pretty(verdict.text)} The answer: {right}.",
                 icon=":material/lightbulb:")


def _navigation(found: Open, shown) -> None:
    """Previous and next (or reveal), each on an arrow key, and again out of sight on
    the key a presentation clicker sends; the presenter toggle."""
    cols = st.columns([1, 1, 2])
    clicker = st.container(key="lesson_clicker")
    st.html(LESSON_CSS)
    label, action, args = _forward(found, shown)
    for where, key in zip((cols[0], clicker), BACK_KEYS):
        where.button("Previous", icon=":material/arrow_back:", shortcut=key,
                     key=f"lesson_back_{key}", disabled=found.number == 1,
                     on_click=state.go, args=(found.number - 1,))
    for where, key in zip((cols[1], clicker), NEXT_KEYS):
        where.button(label, icon=":material/arrow_forward:", type="primary", shortcut=key,
                     key=f"lesson_next_{key}", disabled=action is None,
                     help=REVEAL_HELP if shown is None else None,
                     on_click=action, args=args)
    cols[2].toggle("Presenter mode", value=present.presenting(), key="_present_toggle",
                   on_change=_toggle_present)
    if present.presenting():      # a clicker's PageDown moves on; it cannot scroll
        st.caption(KEYS_TEXT)
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
