"""The pages, one module each: a `page(settings)` function and, for a page with tabs, a
`TABS` dict {title: function}; each page's words are in text/<url path>.toml (prose.py).
ui/pages.py declares every page and names these functions; this package imports them,
for app.py (which hands them to ui.shell) and for the Lessons page, so that nothing in
ui/ imports a page.

Pages live here and not in a folder named `pages/`: Streamlit runs the files of a
`pages/` folder as pages of their own on a fresh server's first request, before
`st.navigation` has run.
"""

from __future__ import annotations

from collections.abc import Callable
from pkgutil import resolve_name

from ui.pages import PAGES


def functions() -> dict[str, Callable]:
    """Every page's function, by URL path."""
    return {p.url_path: resolve_name(p.view) for p in PAGES}


def tabs() -> dict[str, tuple[str, tuple[str, ...]]]:
    """The pages with tabs: URL path -> (the open tab's URL key, the tabs' titles)."""
    return {p.url_path: (p.tab_key, tuple(resolve_name(p.tabs))) for p in PAGES if p.tabs}
