"""A lesson in a real Chromium, as a teacher projects it: presenter mode at 1920x1080,
stepped with the keyboard (arrow keys, and PageUp/PageDown as a clicker sends), the
chart hidden before the reveal and drawn after it, the browser's Back button walking
back through the steps, embedding, and hidden controls. A lesson started from the list
(Start, Present it) stays open, with its step in the address bar, until All lessons
puts the sidebar back. In presenter mode at 1280x720 and 1920x1080 the revealed chart
comes into view by itself and the next step starts at its title; the keys leave the
answer box to typing. Rendered font sizes are measured (getComputedStyle), and written
to tests/artifacts/browser_metrics.json."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from views.lessons import TEXT, library

from .helpers import (assert_clean_console, assert_no_exception, screenshot, settled_box,
                      viewport_screenshot, wait_for_app)
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


# -- started from the list ----------------------------------------------------------------

def _query(page) -> dict:
    return parse_qs(urlparse(page.url).query)


def _start(page, url: str, label: str):
    """Open the list at `url`, follow the first lesson's `label` link; return that lesson."""
    _open(page, url)
    link = page.locator('[data-testid="stPageLink"] a').filter(has_text=label).first
    lesson = library().lessons[parse_qs(urlparse(link.get_attribute("href")).query)["lesson"][0]]
    link.click()
    page.wait_for_timeout(300)
    wait_for_app(page, timeout=60000)
    assert_no_exception(page)
    return lesson


def _answer_right(page, step) -> None:
    if step.is_number:
        box = page.locator('[data-testid="stTextInput"] input')
        box.fill(step.as_typed(step.answer))
        box.press("Enter")                              # Enter checks the answer
    else:
        page.locator('[data-testid="stRadio"] label').nth(
            next(i for i, c in enumerate(step.choices) if c.correct)).click()
        page.get_by_role("button", name="Check my answer").click()
    page.wait_for_timeout(300)
    wait_for_app(page, timeout=60000)


def _verdicts(page) -> list[str]:
    """The alerts' text (their icons left out)."""
    alerts = page.locator('[data-testid="stAlert"] [data-testid="stMarkdownContainer"]')
    return [a.inner_text().strip() for a in alerts.all()]


@pytest.mark.parametrize("label, presenting", [("Start", False), ("Present it", True)])
def test_a_lesson_started_from_the_list_stays_open(server, page, label, presenting):
    """Its step in the address bar from the first click; the answer, the reveal and the
    clicker's PageDown stay in the lesson, and the answer is still counted afterwards."""
    lesson = _start(page, f"{server}/lessons", label)
    query = _query(page)
    assert query.get("lesson") == [lesson.id] and query.get("step") == ["1"], page.url
    assert (query.get("present") == ["1"]) is presenting, page.url
    assert _header(page) == lesson.steps[0].title
    keys = page.locator('[data-testid="stMain"]').get_by_text(TEXT("keys"), exact=True)
    assert keys.count() == (1 if presenting else 0)
    if presenting:
        assert keys.is_visible() and min(page.evaluate(_FONT_SIZES_JS)) >= 20
    _answer_right(page, lesson.steps[0])
    page.wait_for_selector(CHARTS, timeout=60000)
    assert any(v.startswith("Right") for v in _verdicts(page)), _verdicts(page)
    assert _query(page).get("lesson") == [lesson.id], page.url
    _press(page, "PageDown")                                     # the answer revealed it
    query = _query(page)
    assert query.get("lesson") == [lesson.id] and query.get("step") == ["2"], page.url
    assert _header(page) == lesson.steps[1].title
    _press(page, "PageUp")
    assert _step_shown(page) == 1
    assert any(v.startswith("Right") for v in _verdicts(page)), _verdicts(page)
    assert_no_exception(page)


def test_all_lessons_at_the_end_puts_the_sidebar_back(server, page):
    """Started from the list with the depth at 33, walked to the end with the keys:
    All lessons shows the list, drops the lesson from the address bar, and the depth
    is 33 again, also after the next change in the sidebar."""
    lesson = _start(page, f"{server}/lessons?depth=33", "Start")
    for _ in range(2 * len(lesson.steps) - 1):                 # reveal, next, ..., reveal
        _press(page, "PageDown")
    assert _step_shown(page) == len(lesson.steps) and page.locator(CHARTS).count() >= 1
    page.get_by_role("link", name="All lessons").click()
    page.wait_for_timeout(300)
    wait_for_app(page, timeout=60000)
    assert "lesson" not in _query(page) and "step" not in _query(page), page.url
    assert page.locator('[data-testid="stMain"] h3').count() == len(library().lessons)
    depth = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has_text="Depth").locator('input[type="range"]')
    assert int(float(depth.input_value())) == 33
    width = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has_text="Width").locator('input[type="range"]')
    width.focus()
    _press(page, "ArrowRight")                   # a rerun the browser asks for: still the list
    assert "lesson" not in _query(page), page.url
    assert page.locator('[data-testid="stMain"] h3').count() == len(library().lessons)
    assert int(float(depth.input_value())) == 33
    assert_no_exception(page)


# -- presenter mode: the chart comes to the viewer ---------------------------------------

CHART = '.st-key-lesson_chart [data-testid="stPlotlyChart"]'
HEADER_BOTTOM_JS = """() => {
  const h = document.querySelector('[data-testid="stHeader"]');
  return h ? Math.max(0, h.getBoundingClientRect().bottom) : 0;
}"""


@pytest.mark.parametrize("lesson_id, number, width, height", [
    ("variance_law", 2, 1280, 720),
    ("variance_law", 2, 1920, 1080),
    ("makemore", 4, 1280, 720),           # a chart taller than the viewport
])
def test_presenter_mode_brings_the_revealed_chart_into_view(server, page, lesson_id,
                                                            number, width, height):
    """After the clicker's reveal the chart's top is on screen below Streamlit's header,
    the whole chart when it fits; the next PageDown starts the next step at its title."""
    lesson = library().lessons[lesson_id]
    page.set_viewport_size({"width": width, "height": height})
    _open(page, f"{server}/lessons?lesson={lesson_id}&step={number}&present=1")
    _press(page, "PageDown")                                     # reveal
    page.wait_for_selector(CHARTS, timeout=60000)
    box = settled_box(page, CHART)
    shot = viewport_screenshot(page, f"lesson-presenter-chart-{lesson_id}-{number}-"
                                     f"{width}x{height}")
    head = page.evaluate(HEADER_BOTTOM_JS)
    assert box is not None and head <= box["top"] < height, (box, head, shot)
    if box["height"] <= height - head:
        assert box["bottom"] <= height, (box, head, shot)
    if number < len(lesson.steps):
        _press(page, "PageDown")                                 # the next step
        assert _step_shown(page) == number + 1
        title = settled_box(page, '[data-testid="stMain"] h2')
        assert title is not None and head <= title["top"] and title["bottom"] <= height, title
    assert_no_exception(page)


def test_the_keys_leave_the_answer_box_to_typing(server, page):
    """In the answer box the arrows move the cursor and PageDown does not move on;
    Enter checks the answer."""
    step = LESSON.steps[0]
    assert step.is_number
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, f"{server}/lessons?lesson={LESSON.id}&step=1&present=1")
    typed = step.as_typed(step.answer)
    box = page.locator('[data-testid="stTextInput"] input')
    box.click()
    box.type(typed[:-1])
    for key in ("ArrowLeft", "ArrowRight", "PageDown", "PageUp"):
        _press(page, key)
    assert _step_shown(page) == 1 and page.locator(CHARTS).count() == 0
    box.type(typed[-1])                             # the cursor back at the end
    assert box.input_value() == typed
    box.press("Enter")
    page.wait_for_selector(CHARTS, timeout=60000)
    assert any(v.startswith("Right") for v in _verdicts(page)), _verdicts(page)
    assert _step_shown(page) == 1
