"""The app's pages by URL path, and links from one page to another that keep the view.

The shell registers the pages with `st.navigation` (ui.shell); a page that points the
student elsewhere ("the real problem here is saturation") links with `page_link`.
Streamlit knows a page by its URL path alone, so a link can be made without the shell's
page objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from . import controls


@dataclass(frozen=True)
class PageInfo:
    url_path: str
    title: str
    icon: str
    prefix: str                                  # its own URL parameters: "<prefix>_..."


# Emoji, not material icons: the current page's icon becomes the favicon, and a
# material-icon favicon is fetched from a font CDN that a classroom behind a firewall
# (or an offline machine) cannot reach.
PAGES = (
    PageInfo("variance", "Variance through depth", "📈", "var"),
    PageInfo("saturation", "tanh saturation", "📊", "sat"),
    PageInfo("dead_neurons", "Dead neurons", "🟥", "dead"),
    PageInfo("gradients", "Gradient flow", "⬇️", "grad"),
    PageInfo("initialization", "Initialization", "🎛️", "init"),
    PageInfo("normalization", "Normalization", "⚖️", "norm"),
    PageInfo("training", "Training", "🏋️", "train"),
    PageInfo("lessons", "Lessons", "🎓", "lesson"),
)
BY_PATH = {p.url_path: p for p in PAGES}
PREFIXES = tuple(p.prefix for p in PAGES)


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
