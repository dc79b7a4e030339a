"""Open a page of the app directly, as a deep link does: the page runs first and its
shell.page_guard() reruns it through app.py, so the landing page never runs (at extreme
settings that saves its whole simulation)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui import controls

from .helpers import APP


def open_page(page: str, timeout: float = 60, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        control = controls.BY_KEY.get(key)
        at.query_params[key] = control.fmt(value) if control else str(value)
    at.switch_page(page)
    at.run()
    return at
