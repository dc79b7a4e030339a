"""Every chart on every page (every tab too) goes through ui.charts.show: Streamlit's
chart theme off, since in the browser it would set 12 px ticks and 14 px grey axis
titles over the figure's own, and every text at least 16 px (20 px presenting)."""

from __future__ import annotations

import json

import pytest

from figures.style import FONT_SIZE, PRESENT_FONT_SIZE
from ui.pages import PAGES
from views import tabs

from .helpers import no_exceptions, open_page, tanh

# tanh: a linear network (the default) has no dead units to draw and cannot be trained
SMALL = tanh(depth=6, width=32, batch=64, train_steps=100)
TABS = tabs()
# The Lessons page draws the charts of the page a step pins (tests/app/test_lessons_page.py)
SCREENS = [(p.url_path, None) for p in PAGES if p.url_path not in (*TABS, "lessons")] + [
    (page, (key, tab)) for page, (key, titles) in TABS.items() for tab in titles]


def font_sizes(node):
    """Every font size set anywhere in a layout (Streamlit's template aside)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, dict) and str(key).endswith("font") and "size" in value:
            yield value["size"]
        if isinstance(value, (dict, list)) and key != "template":
            yield from font_sizes(value)


def check_charts(at, floor: int) -> int:
    charts = at.get("plotly_chart")
    for chart in charts:
        assert chart.proto.theme == "", chart.proto.id          # theme=None
        layout = json.loads(chart.proto.spec)["layout"]
        assert min(font_sizes(layout)) >= floor, (layout["title"]["text"],
                                                  sorted(font_sizes(layout)))
    return len(charts)


@pytest.mark.parametrize("page, tab", SCREENS, ids=lambda v: v if isinstance(v, str) else "")
def test_every_chart_goes_through_the_wrapper(page, tab):
    params = dict(SMALL, **({tab[0]: tab[1]} if tab else {}))
    at = open_page(page, timeout=180, **params)
    no_exceptions(at)
    assert check_charts(at, FONT_SIZE) > 0


@pytest.mark.parametrize("page", ["variance", "initialization", "normalization"])
def test_presenter_mode_has_20_px_text(page):
    at = open_page(page, present="1", **SMALL)
    no_exceptions(at)
    assert at.session_state["_present"]           # what the shell sets for ?present=1
    assert check_charts(at, PRESENT_FONT_SIZE) > 0
