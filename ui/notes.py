"""Where a page's notes go: one placeholder, always there.

Streamlit matches a rerun's elements to the last run's by position. A note that comes or
goes (a link's warning, a demo's note when a slider leaves the demo) moves every element
below it, and the moved elements of the run before stay on screen, greyed, under the new
ones until the new run ends: seconds, on the Training page. A placeholder that is always
there keeps the page where it was. Left empty, it clears a note of the run before at
once; a container would keep that note, greyed, to the end of the run.
"""

from __future__ import annotations

import contextlib

import streamlit as st


def notes_slot(any_notes):
    """A `with` target for the notes: the placeholder's container when there are notes,
    else nothing to write into (the placeholder stays empty)."""
    slot = st.empty()
    return slot.container() if any_notes else contextlib.nullcontext(slot)
