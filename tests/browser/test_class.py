"""A class in real Chromium: the presenter's browser at 1280x720 in presenter mode opens
a class, two students (one on a phone, 390x844) open the join link the presenter's page
gives, answer, and the presenter sees them counted with the spread of their answers;
the presenter reveals, and the students see their verdict and the chart; the presenter
moves on, and both students' pages show the next step within 3 s, untouched.

Screenshots in tests/artifacts: class-presenter-1280x720.png (the panel: code, QR code,
count and spread), class-phone-question.png and class-phone-revealed.png."""

from __future__ import annotations

import re
import time

import pytest

from views.lessons import library

from .helpers import assert_no_exception, viewport_screenshot, wait_for_app

LESSON = library().lessons["variance_law"]
STEPS = [s.title for s in LESSON.steps]
CHARTS = '[data-testid="stPlotlyChart"] .js-plotly-plot'
FOLLOW_S = 3.0
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def class_server(request, tmp_path, monkeypatch):
    """A fresh server with a class database of its own."""
    monkeypatch.setenv("LAYERSCOPE_DATABASE_URL", f"sqlite:///{tmp_path / 'class.sqlite3'}")
    return request.getfixturevalue("fresh_server")


def _tab(browser, viewport: dict, mobile: bool = False):
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile,
                                  device_scale_factor=2 if mobile else 1)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return context, page


def _main(page):
    return page.locator('[data-testid="stMain"]')


def _title(page) -> str:
    return _main(page).locator("h2").first.inner_text().strip()


def _answer(page, text: str) -> None:
    page.get_by_label(re.compile("Your answer")).fill(text)
    page.get_by_role("button", name="Send my answer").click()
    _main(page).get_by_text("Your answer:").wait_for(timeout=30000)


def _until_title(page, title: str, since: float, limit: float) -> float:
    """Seconds from `since` until the page's step title is `title`, waiting at most
    until `since + limit` (and failing then)."""
    left = max(0.1, since + limit - time.perf_counter())
    page.wait_for_function(
        """(title) => { const h = document.querySelector('[data-testid="stMain"] h2');
                        return h && h.innerText.trim() === title; }""",
        arg=title, timeout=left * 1000)
    return time.perf_counter() - since


def test_a_class_answers_together_in_real_browsers(class_server, browser):
    tabs = []
    try:
        tabs.append(_tab(browser, {"width": 1280, "height": 720}))
        presenter = tabs[-1][1]
        presenter.goto(f"{class_server}/lessons?lesson={LESSON.id}&step=1&present=1")
        wait_for_app(presenter, timeout=60000)
        presenter.get_by_role("button", name="Run with a class").click()
        code_text = _main(presenter).get_by_text(re.compile(r"^Code [0-9A-Z]{4}-[0-9A-Z]{4}$"))
        code_text.wait_for(timeout=30000)
        code = code_text.inner_text().split()[-1]
        where = _main(presenter).get_by_text("Scan, or open").inner_text()
        address = re.search(r"open (\S+) and type", where).group(1)
        assert address == f"{class_server}/lessons"
        assert _main(presenter).get_by_role("img").count() >= 1           # the QR code

        students = []
        for viewport, mobile in ((PHONE, True), ({"width": 1280, "height": 800}, False)):
            tabs.append(_tab(browser, viewport, mobile))
            page = tabs[-1][1]
            page.goto(f"{address}?join={code}")
            wait_for_app(page, timeout=60000)
            assert_no_exception(page)
            assert _title(page) == STEPS[0]
            assert page.locator(CHARTS).count() == 0            # the question, no chart
            students.append(page)
        phone, laptop = students
        _answer(phone, "100")
        _answer(laptop, "40")
        viewport_screenshot(phone, "class-phone-question")

        _main(presenter).get_by_text("2 joined · 2 answered").wait_for(timeout=10000)
        presenter.locator(CHARTS).first.wait_for(timeout=10000)           # the spread
        presenter.mouse.move(5, 700)         # no hover toolbar over the QR code
        parts = _panel_parts(presenter)
        viewport_screenshot(presenter, "class-presenter-1280x720")
        assert len(parts) == 4 and all(whole for _, whole in parts), parts

        _main(presenter).get_by_role("button", name="Reveal").first.click()
        for page, verdict in ((phone, "Right:"), (laptop, "Not quite.")):
            _main(page).get_by_text(verdict).first.wait_for(timeout=15000)
            page.locator(CHARTS).first.wait_for(timeout=30000)
        phone.wait_for_timeout(500)
        viewport_screenshot(phone, "class-phone-revealed")
        # The revealed page's own title stays below the step's, as in a lesson of one.
        sizes = phone.evaluate(_TITLE_SIZES_JS)
        assert sizes["chart_title"] < sizes["step_title"], sizes

        wait_for_app(presenter, timeout=60000)
        _main(presenter).get_by_role("button", name="Next step").first.click()
        pressed = time.perf_counter()
        took = [_until_title(page, STEPS[1], pressed, FOLLOW_S) for page in students]
        assert max(took) < FOLLOW_S, took
        for page in (presenter, *students):
            assert_no_exception(page)
            assert not page.errors, page.errors
    finally:
        for context, _ in tabs:
            context.close()


_TITLE_SIZES_JS = """
() => {
  const px = e => parseFloat(getComputedStyle(e).fontSize);
  return {step_title: px(document.querySelector('[data-testid="stMain"] h2')),
          chart_title: px(document.querySelector('.st-key-lesson_chart h1'))};
}
"""

# Scroll the class panel's top (the QR code) to just below Streamlit's header, as the
# presenter does; then every part of it, the QR code, the code, the count and the
# spread, must be whole inside the 1280x720 window.
_FITS_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const head = document.querySelector('[data-testid="stHeader"]');
  const top = head ? Math.max(0, head.getBoundingClientRect().bottom) : 0;
  const qr = main.querySelector('[data-testid="stImage"] img');
  main.scrollBy(0, qr.getBoundingClientRect().top - top - 8);
  const parts = [qr, main.querySelector('[data-testid="stPlotlyChart"]'),
                 ...[...main.querySelectorAll('[data-testid="stMarkdownContainer"] strong')]
                   .filter(e => /^Code |joined/.test(e.innerText))];
  return parts.map(e => {
    const r = e.getBoundingClientRect();
    return [e.innerText || e.tagName, r.left >= 0 && r.right <= window.innerWidth
            && r.top >= top && r.bottom <= window.innerHeight];
  });
}
"""


def _panel_parts(page) -> list:
    """[text, whether it is whole in the window] of each part of the class panel, once
    scrolled to it."""
    page.wait_for_timeout(300)
    parts = page.evaluate(_FITS_JS)
    page.wait_for_timeout(500)           # the smooth scroll, before a screenshot
    return parts
