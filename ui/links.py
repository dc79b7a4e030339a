"""Links from one page to another that keep the view.

The shell registers the pages (ui.pages) with `st.navigation` (ui.shell); a page that
points the student elsewhere ("the real problem here is saturation") links with
`page_link`. Streamlit knows a page by its URL path alone, so a link can be made without
the shell's page objects.
"""

from __future__ import annotations

import streamlit as st

from . import controls
from .pages import BY_PATH, PREFIXES


def shared_params() -> dict[str, str]:
    """The link's parameters every page shares that a page change does not carry itself:
    not one page's own, and not the URL-bound controls'. Streamlit adds the values of
    URL-bound widgets to the link's own on a page change (the sidebar's controls: the
    widgets keep them), so a link that named them too would put each in the URL twice."""
    own = tuple(f"{p}_" for p in PREFIXES)
    carried = controls.BY_KEY if controls.url_binding() else {}
    return {k: v for k, v in st.query_params.to_dict().items()
            if not k.startswith(own) and k not in carried}


def page_link(url_path: str, label: str, where=st, params: dict | None = None,
              icon: str | None = None) -> None:
    """A link to another page that keeps the sidebar's settings (or sets `params`),
    shown with the page's icon (or `icon`)."""
    info = BY_PATH[url_path]
    target = st.Page(_unused, title=info.title, icon=info.icon, url_path=url_path)
    where.page_link(target, label=label, icon=icon or info.icon,
                    query_params=shared_params() if params is None else params)


def _unused() -> None:      # a link only needs the page's URL path; the shell runs pages
    raise AssertionError("pages run through ui.shell")
