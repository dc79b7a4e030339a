"""The Lessons page: predict, then see. Without `?lesson=` it lists the lessons; with
`?lesson=<id>&step=<n>` it asks one step's question, hides the step's chart until the
question is answered (or the presenter reveals it), then shows the chart and the
explanation with the numbers of the network on screen.

The step is in the URL, and moving between steps writes only `step`, so each step is
one entry of the browser's history: Back walks back through the steps. While a lesson
is open the sidebar's controls are not written to the URL (the step defines them); a
step's values are applied before the sidebar is drawn (`prepare`, called by the shell).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import cache, controls, lessons, present
from ui.controls import Settings, inert
from ui.links import BY_PATH, page_link

from . import initialization, normalization, training

URL_KEYS = ("lesson", "step") + present.URL_KEYS
# The pages whose tabs a step may open: page -> (its tabs' URL key, their titles).
PAGE_TABS = {"initialization": ("init_view", tuple(initialization.VIEWS)),
             "normalization": ("norm_view", tuple(normalization.VIEWS)),
             "training": ("train_view", tuple(training.TABS))}
NEXT_KEYS = ("Right", "PageDown")        # arrow keys, and what presentation clickers send
BACK_KEYS = ("Left", "PageUp")
# The clicker's buttons go off screen (not display:none, so that their shortcuts stay
# live); the revealed page's own title is set smaller than the step's.
LESSON_CSS = ("<style>.st-key-lesson_clicker { position: absolute; left: -10000px; "
              "width: 1px; height: 1px; overflow: hidden; } "
              ".st-key-lesson_chart h1 { font-size: 1.6rem; }</style>")


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


def library() -> lessons.Library:
    """Every lesson file, read and checked again only when a file changes (so a teacher
    writing one sees it on the next rerun)."""
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in sorted(lessons.FOLDER.glob("*.toml")))
    return _load(stamp)


@st.cache_resource(max_entries=2)
def _load(stamp: tuple) -> lessons.Library:
    return lessons.load_all(tabs={p: titles for p, (_, titles) in PAGE_TABS.items()})


# -- before the sidebar: the step's controls --------------------------------------------

def prepare(on_page: bool) -> tuple[Open | None, list[str]]:
    """The open step (None: the list) and notes on a bad link. Applies a newly opened
    step's control values and tab before any widget is drawn."""
    found, notes = resolve(library()) if on_page else (None, [])
    st.session_state["_lesson_open"] = found is not None
    applied = st.session_state.get("_lesson_applied")
    if found is None:
        st.session_state["_lesson_applied"] = None
    elif applied != found.key:
        controls.apply_values(found.step.values)
        if found.step.tab:
            st.session_state[PAGE_TABS[found.step.page][0]] = found.step.tab
        st.session_state["_lesson_applied"] = found.key
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
    number = int(raw_step) if raw_step.isdigit() and len(raw_step) < 6 else 1
    clamped = min(max(number, 1), len(lesson.steps))
    notes = []
    if str(clamped) != raw_step:
        notes.append(f"{inert(f'step={raw_step}')} is not a step of this lesson "
                     f"(1 to {len(lesson.steps)}): showing step {clamped}.")
        st.query_params["step"] = str(clamped)
    return Open(lesson, clamped), notes


def hidden(found: Open | None) -> tuple[str, ...]:
    return found.step.hide if found is not None else ()


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
            cols[0].page_link(_lessons_page(), label=f"Start ({len(lesson.steps)} steps)",
                              icon="▶️", query_params={"lesson": lesson.id, "step": "1"})
            cols[1].page_link(_lessons_page(), label="Present it", icon="🖥️",
                              query_params={"lesson": lesson.id, "step": "1", "present": "1"})
    for error in lib.errors:
        st.error(f"This lesson file could not be read, so it is not listed: {error}",
                 icon=":material/error:")
    st.caption("Presenter mode (add `present=1` to a lesson's link, or use its toggle): "
               "large type, the sidebar folded away, and the arrow keys or a clicker's "
               "PageUp/PageDown step through the lesson. `hide=width,batch` hides controls.")


def _step(found: Open, settings: Settings, views: dict) -> None:
    step, total = found.step, len(found.lesson.steps)
    st.caption(f"{found.lesson.title} · step {found.number} of {total}")
    st.progress(found.number / total)
    st.header(step.title)
    shown = _revealed(found)
    _navigation(found, shown)
    st.markdown(step.question)
    if shown is None:
        _ask(found)
        st.info("The chart appears once you answer, or when the presenter reveals it.",
                icon=":material/visibility_off:")
        return
    _verdict(step, shown)
    facts = lessons.facts(cache.result(settings.spec))
    st.markdown(lessons.fill(step.explain, facts))
    if step.look_at:
        st.markdown(f"**Look at:** {lessons.fill(step.look_at, facts)}")
    if found.number == total:
        _score(found)
    _after(found)                       # above the chart: Training keeps drawing below
    with st.container(border=True, key="lesson_chart"):
        views[step.page](settings)


def _score(found: Open) -> None:
    """At the end: how many of the answers given (the last, if answered again) were right."""
    answers = st.session_state.get("_lesson_answers", {})
    given = [answers.get(f"{found.lesson.id}_{n}") for n in range(1, len(found.lesson.steps) + 1)]
    answered = [v for v in given if v is not None and v.text is not None]
    right = sum(v.correct for v in answered)
    st.success(f"End of the lesson: {right} of {len(answered)} answers right "
               f"({len(found.lesson.steps) - len(answered)} steps revealed without an answer).",
               icon=":material/flag:")
    page_link("lessons", "All lessons", params={})


def _revealed(found: Open) -> lessons.Verdict | None:
    """The answer given (a Verdict), a bare reveal (Verdict with no answer), or None."""
    return st.session_state.get("_lesson_answers", {}).get(found.key)


def _record(found: Open, verdict: lessons.Verdict | None) -> None:
    answers = dict(st.session_state.get("_lesson_answers", {}))
    if verdict is None:
        answers.pop(found.key, None)
    else:
        answers[found.key] = verdict
    st.session_state["_lesson_answers"] = answers


def _ask(found: Open) -> None:
    step = found.step
    with st.form(key=f"lesson_form_{found.key}", border=False):
        if step.is_number:
            given = st.text_input(f"Your answer{f' ({step.unit})' if step.unit else ''}",
                                  placeholder="e.g. 1000, 1e6, 10^6", key=f"lesson_number_{found.key}")
        else:
            given = st.radio("Your answer", range(len(step.choices)), index=None,
                             format_func=lambda i: lessons.pretty(step.choices[i].text),
                             key=f"lesson_choice_{found.key}")
        if st.form_submit_button("Check my answer", type="primary"):
            if given is None or given == "":
                st.warning("Pick or type an answer first (or let the presenter reveal).")
            else:
                _record(found, lessons.check(step, given))
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
                     on_click=_go, args=(found.number - 1,))
    for where, key in zip((cols[1], clicker), NEXT_KEYS):
        where.button(label, icon=":material/arrow_forward:", type="primary", shortcut=key,
                     key=f"lesson_next_{key}", disabled=action is None,
                     on_click=action, args=args)
    cols[2].toggle("Presenter mode", value=present.presenting(), key="_present_toggle",
                   on_change=_toggle_present)


def _toggle_present() -> None:
    present.set_presenting(st.session_state["_present_toggle"])


def _forward(found: Open, shown):
    if shown is None:
        return "Reveal", _reveal, (found,)
    if found.number < len(found.lesson.steps):
        return "Next step", _go, (found.number + 1,)
    return "Last step", None, ()      # the end: the score and a link to the list


def _go(number: int) -> None:
    st.query_params["step"] = str(number)


def _reveal(found: Open) -> None:
    _record(found, lessons.Verdict(False, None))      # no answer given: text None


def _after(found: Open) -> None:
    """Try again, back to the step's own settings, or open its page with them."""
    cols = st.columns(3)
    cols[0].button("Answer again", icon=":material/replay:", on_click=_record,
                   args=(found, None), key="lesson_again")
    cols[1].button("Reset this step's settings", icon=":material/restart_alt:",
                   on_click=lambda: st.session_state.update(_lesson_applied=None),
                   key="lesson_reset")
    params = {k: controls.BY_KEY[k].fmt(v) for k, v in found.step.full_values().items()
              if v != controls.BY_KEY[k].default}
    with cols[2]:
        page_link(found.step.page, f"Open on its page: {BY_PATH[found.step.page].title}",
                  params=params)


def _lessons_page() -> st.Page:
    return st.Page(_unused, title="Lessons", icon="🎓", url_path="lessons")


def _unused() -> None:
    raise AssertionError("pages run through ui.shell")
