"""The frame around every page: navigation, sidebar controls, presets and notes.

`app.py` calls `main(views, tabs)` with the pages' functions (views/, by URL path): it
checks the link, draws the sidebar, turns the controls into one `Settings` (once per
rerun) and runs the chosen page with it. Every page goes through here, so a deep link to
any page works on a fresh server too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from core import initializers

from . import (cache, charts, classroom, compute, controls, lesson_state, links, load,
               present, presets)
from .notes import notes_slot
from .pages import BY_PATH, PAGES, PREFIXES, Page

CATCH_UP_SECONDS = 3
LANDING = "landing"          # the default page's URL path, never shown: "/" is its address


def main(views: dict[str, Callable], tabs: dict[str, tuple[str, tuple[str, ...]]]) -> None:
    """The entry point: configure, draw the shared sidebar, then run the chosen page.
    `views`: each page's function by URL path (views.functions); `tabs`: the pages with
    tabs, URL path -> (the open tab's URL key, their titles) (views.tabs)."""
    st.set_page_config(page_title="Layerscope", layout="wide",
                       initial_sidebar_state=present.sidebar_state())
    compute.start()                      # the first run starts them, before a class asks
    with load.running():
        _run(views, tabs)


def _run(views: dict[str, Callable], tabs: dict) -> None:
    link_notes = controls.sanitize_query_params(
        PREFIXES, lesson_state.URL_KEYS + present.URL_KEYS)
    shown = {}                   # filled once the sidebar has made the settings
    run = partial(_show, views, shown)
    pages = {p.url_path: _page(p, run, default=(i == 0)) for i, p in enumerate(PAGES)}
    # Streamlit serves the default page at "/" only; its own address ("/variance", as a
    # page link writes it) opens it through a second entry, hidden from the menu.
    own_address = _page(PAGES[0], run, visibility="hidden")
    nav = st.navigation(list(pages.values()) + [own_address])
    current = PAGES[0].url_path if nav is own_address else next(
        path for path, page in pages.items() if page is nav)
    lesson, lesson_notes = lesson_state.prepare(current == "lessons", tabs)  # before widgets
    hide, hide_notes = present.hidden_by_link()
    present.style(present.presenting(), hide + lesson_state.hidden(lesson))
    if lesson is not None and classroom.joined() is not None:
        # A student in a class sees the presenter's step on its network and nothing to
        # change: no controls to draw, half of what a student's rerun costs.
        settings, preset = controls.to_spec(lesson_state.full_values(lesson.step),
                                            light=load.busy()), None
    else:
        settings, preset = sidebar()
    shown.update(settings=settings, lesson=lesson, notes=tuple(lesson_notes + hide_notes))
    chosen = st.session_state.pop("_preset_page", None)
    if chosen is not None and chosen != current:                # a demo opens where it shows
        st.switch_page(pages[chosen], query_params={})   # the widgets write their own
    preset = preset if current != "lessons" else None     # a lesson says its own
    with notes_slot(preset or link_notes or settings.notes):
        if preset is not None:
            _preset_note(preset, settings, current)
        for note in link_notes:
            st.warning(note, icon=":material/link:")
        for note in settings.notes:
            st.info(note, icon=":material/info:")
    nav.run()
    if settings.light:
        _catch_up()


def _page(page: Page, run: Callable, default: bool = False,
          visibility: str = "visible") -> st.Page:
    """The st.Page that runs `page`. The default page is served at "/" whatever its URL
    path, so it takes LANDING, which no address uses, and leaves its own path to the
    hidden entry (two pages with one path are an error)."""
    return st.Page(partial(run, page.url_path), title=page.title, icon=page.icon,
                   url_path=LANDING if default else page.url_path, default=default,
                   visibility=visibility)


def _show(views: dict[str, Callable], shown: dict, url_path: str) -> None:
    """Run a page with this rerun's settings; the Lessons page also gets its open step."""
    charts.describe([shown["settings"].spec])         # a page drawing another says so
    if url_path == "lessons":
        views[url_path](shown["settings"], views, found=shown["lesson"], notes=shown["notes"])
    else:
        with notes_slot(shown["notes"]):
            for note in shown["notes"]:
                st.warning(note, icon=":material/link:")
        views[url_path](shown["settings"])


@st.fragment(run_every=CATCH_UP_SECONDS)
def _catch_up() -> None:
    """A view run light while the server was busy reruns in full once it is not."""
    if not load.busy() and st.session_state.pop("_light_shown", False):
        st.rerun()
    st.session_state["_light_shown"] = True


def sidebar() -> tuple[controls.Settings, presets.Preset | None]:
    """Draw every shared control in the sidebar; return the settings they make and the
    classroom demo they match, if any."""
    bar = st.sidebar
    values = {}
    bar.title("Layerscope")
    _preset_picker(bar)
    captions = {}
    for c in controls.CONTROLS:
        if not c.advanced:
            values[c.key] = controls.draw(c, bar, disabled=_ignored(c.key, values))
            if c.key in ("weight_var", "init"):
                captions[c.key] = bar.empty()     # filled below, once the spec is known
    with bar.expander("Advanced"):
        for c in controls.CONTROLS:
            if c.advanced:
                values[c.key] = controls.draw(c, st)
    _reset_button(bar)
    settings = controls.to_spec(values, light=load.busy())
    captions["weight_var"].caption(f"fan_in × Var(W) = {settings.spec.sigma_w2:.3g} per layer")
    captions["init"].caption(controls.init_caption(settings.spec))
    return settings, presets.matching(values)


def _reset_button(bar) -> None:
    """Every control back to its default; off in a lesson, whose step sets them."""
    in_lesson = controls.url_binding() is None
    why = ("In a lesson the step sets the controls: \"Reset this step's settings\" puts "
           "them back." if in_lesson else "Every control back to its default, and out of "
           "the link.")
    bar.button("Reset to defaults", key="_reset_defaults", icon=":material/restart_alt:",
               on_click=controls.reset_to_defaults, disabled=in_lesson, help=why)


def _preset_note(preset: presets.Preset, settings: controls.Settings, current: str) -> None:
    """What to look for in the demo the controls match (with the numbers of the network
    shown), above the page's charts, as long as the controls are the demo's: from the
    page's own cached run."""
    text = preset.text(cache.facts(settings.spec, BY_PATH[current].stats))
    st.info(f"**{preset.name}.** {text}", icon=":material/school:")
    if current != preset.page:
        links.page_link(preset.page, f"See it on: {BY_PATH[preset.page].title}")


def _ignored(key: str, values: dict) -> bool:
    """Var(W) only matters to the custom init; the gain not to the gainless schemes."""
    init = values.get("init")
    if key == "weight_var":
        return init is not None and init != "custom"
    if key == "gain":
        return init in initializers.GAINLESS
    return False


def _apply_preset() -> None:
    presets.apply(st.session_state.get("_preset_choice"))
    st.session_state["_preset_choice"] = None


def _preset_picker(bar) -> None:
    bar.selectbox("Classroom demos", [p.name for p in presets.PRESETS], index=None,
                  placeholder="Pick a demo...", key="_preset_choice",
                  on_change=_apply_preset)
