"""Presenter mode and hidden controls, for a teacher projecting the app.

`?present=1` (or the toggle on the Lessons page) sets large type (body text 24 px and
nothing below 21 px, so a hall's back row can read it), starts with the sidebar
collapsed (as does `?embed=true`), and tells the chart wrapper to enlarge chart text:
`st.session_state["_present"]` is set on every rerun.
`?hide=width,batch` hides those controls in the sidebar (a lesson step can hide more),
like a playground's "hide this control" links: the values stay in force, only the
widgets are out of sight.
A presenter's clicker sends PageDown for "next", so it cannot scroll: what an answer
reveals further down the page scrolls into view by itself (`bring_into_view`).
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from .controls import BY_KEY, inert

URL_KEYS = ("present", "hide")
ON = ("1", "true", "yes", "on")
BODY_PX = 24          # root size: body text 24 px, labels and captions (0.875rem) 21 px
# Streamlit sizes its text in rem: a larger root scales body text, labels, headings and
# metrics together. Labels it would cut short with an ellipsis at that size (a metric's
# in a column beside the opened sidebar) wrap between words instead.
CSS = """
html { font-size: %(px)spx; }
[data-testid="stMainBlockContainer"] { max-width: 100%%; }
.stMarkdownEllipsis, .stMarkdownEllipsis * { white-space: normal !important;
  text-overflow: clip !important; overflow: visible !important; word-break: normal !important;
  overflow-wrap: normal !important; }
"""
SCROLL_JS = Path(__file__).with_name("bring_into_view.js").read_text(encoding="utf-8")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")    # what may be written into the script


def presenting() -> bool:
    """Whether the link asks for presenter mode (read before the page is configured)."""
    return st.query_params.get("present", "").strip().lower() in ON


def sidebar_state() -> str:
    """Folded away for a projector and inside an embed (a slide or a course page, where
    the step sets the controls); Streamlit's choice otherwise."""
    return "collapsed" if presenting() or st.context.is_embedded else "auto"


def set_presenting(on: bool) -> None:
    if on:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)


def style(present: bool, hidden: tuple[str, ...] = ()) -> None:
    """Large type in presenter mode; the hidden controls out of sight. Sets the flag the
    chart wrapper reads."""
    st.session_state["_present"] = present
    rules = CSS % {"px": BODY_PX} if present else ""
    if hidden:
        rules += ", ".join(f".st-key-{key}" for key in hidden) + " { display: none; }"
    if rules:
        st.html(f"<style>{rules}</style>")


def hidden_by_link() -> tuple[tuple[str, ...], list[str]]:
    """The controls `?hide=` names (comma-separated), and a note for any unknown name."""
    raw = st.query_params.get("hide", "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_KEY]
    notes = [f"{inert(f'hide={raw}')} names no control: {', '.join(map(inert, unknown))} "
             f"ignored."] if unknown else []
    return tuple(n for n in names if n in BY_KEY), notes


def bring_into_view(container_key: str, view_id: str, chart: bool, where=st) -> None:
    """Once per `view_id` (a rerun that keeps it leaves the view alone): with `chart`,
    scroll the first chart in the container `container_key` into view once it is
    drawn; without, scroll back to the page's top. The script runs in the page (st.html
    with JavaScript on): both names are checked to be plain identifiers, so no text
    from outside reaches it."""
    for name in (container_key, view_id):
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a plain name: {name!r}")
    script = (SCROLL_JS.replace("__CONTAINER__", container_key).replace("__ID__", view_id)
              .replace("__MODE__", "chart" if chart else "top"))
    where.html(f"<script>{script}</script>", unsafe_allow_javascript=True)
