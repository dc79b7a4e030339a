"""A lesson in a real Chromium, as a teacher projects it: presenter mode at 1920x1080,
stepped with the keyboard (arrow keys, and PageUp/PageDown as a clicker sends), the
chart hidden before the reveal and drawn after it, the browser's Back button walking
back through the steps, embedding, and hidden controls. Rendered font sizes are
measured (getComputedStyle), and written to tests/artifacts/browser_metrics.json."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from views.lessons import library

from .helpers import assert_clean_console, assert_no_exception, screenshot, wait_for_app
from .test_app import record

LESSON = library().lessons["variance_law"]
CHARTS = '[data-testid="stPlotlyChart"] .js-plotly-plot'

# The computed font size of every visible text block in the main area (paragraphs,
# list items, widget labels), in px.
_FONT_SIZES_JS = """
() => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stMarkdownContainer"] p, ' +
    '[data-testid="stMain"] [data-testid="stMarkdownContainer"] li, ' +
    '[data-testid="stMain"] [data-testid="stWidgetLabel"] p')]
  .filter(e => e.offsetParent !== null && e.innerText.trim().length > 0)
  .map(e => parseFloat(getComputedStyle(e).fontSize))
"""


def _open(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, timeout=60000)
    assert_no_exception(page)


def _step_shown(page) -> int:
    return int(parse_qs(urlparse(page.url).query)["step"][0])


def _header(page) -> str:
    return page.locator('[data-testid="stMain"] h2').first.inner_text().strip()


def _press(page, key: str) -> None:
    page.keyboard.press(key)
    page.wait_for_timeout(300)
    wait_for_app(page, timeout=60000)


def test_presenter_mode_with_the_keyboard(server, page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    _open(page, f"{server}/lessons?lesson={LESSON.id}&step=1&present=1")
    assert _header(page) == LESSON.steps[0].title
    sizes = page.evaluate(_FONT_SIZES_JS)
    assert sizes and min(sizes) >= 20, sizes
    record("lesson_presenter_font_px", sorted(set(sizes)))
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_attribute("data-collapsed") == "true"
    assert page.locator(CHARTS).count() == 0                    # hidden before the reveal
    screenshot(page, "lesson-presenter-before-reveal")

    _press(page, "ArrowRight")                                   # reveal
    page.wait_for_selector(CHARTS, timeout=60000)
    assert page.locator(CHARTS).count() >= 1
    assert _step_shown(page) == 1
    screenshot(page, "lesson-presenter-revealed")

    _press(page, "PageDown")                                     # a clicker: next step
    assert _step_shown(page) == 2 and _header(page) == LESSON.steps[1].title
    assert page.locator(CHARTS).count() == 0
    _press(page, "PageDown")                                     # reveal with the clicker
    page.wait_for_selector(CHARTS, timeout=60000)
    _press(page, "ArrowRight")
    assert _step_shown(page) == 3
    _press(page, "ArrowLeft")
    _press(page, "PageUp")
    assert _step_shown(page) == 1 and _header(page) == LESSON.steps[0].title
    assert_clean_console(page)


def test_back_button_walks_back_through_the_steps(server, page):
    _open(page, f"{server}/lessons?lesson={LESSON.id}&step=1")
    depth = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has_text="Depth").locator('input[type="range"]')
    for number in (1, 2):
        _press(page, "ArrowRight")                               # reveal
        _press(page, "ArrowRight")                               # next
        assert _step_shown(page) == number + 1
    assert int(float(depth.input_value())) == LESSON.steps[2].values["depth"]
    for number in (2, 1):
        page.go_back()
        page.wait_for_timeout(300)
        wait_for_app(page, timeout=60000)
        assert _step_shown(page) == number
        assert _header(page) == LESSON.steps[number - 1].title
        assert int(float(depth.input_value())) == LESSON.steps[number - 1].values["depth"]
    assert_no_exception(page)


def test_embedded_lesson_keeps_its_state(server, page):
    _open(page, f"{server}/lessons?embed=true&lesson={LESSON.id}&step=2")
    assert _header(page) == LESSON.steps[1].title
    assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
    _press(page, "ArrowRight")
    page.wait_for_selector(CHARTS, timeout=60000)
    _press(page, "ArrowRight")
    query = parse_qs(urlparse(page.url).query)
    assert query["step"] == ["3"] and query["embed"] == ["true"], page.url
    assert _header(page) == LESSON.steps[2].title
    assert_no_exception(page)


def test_hidden_controls_and_a_hostile_link(server, page):
    _open(page, f"{server}/lessons?lesson=<b>x</b>&hide=width,batch")
    bar = page.locator('[data-testid="stSidebar"]')
    assert not bar.locator(".st-key-width").is_visible()
    assert not bar.locator(".st-key-batch").is_visible()
    assert bar.locator(".st-key-depth").is_visible()
    note = page.locator('[data-testid="stAlert"]').filter(has_text="is not a lesson")
    assert note.count() == 1 and note.locator("b").count() == 0      # shown as text
    assert page.locator('[data-testid="stMain"] h3').count() == len(library().lessons)
