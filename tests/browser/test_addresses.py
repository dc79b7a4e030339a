"""Every page's own address opens that page, with its query string, in a fresh browser;
and a link followed inside the app, then copied from the address bar, opens the same view
in a fresh one."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from ui.pages import PAGES

from .helpers import assert_no_exception, wait_for_app

TANH = "depth=7&width=48&activation=tanh&weight_var=0.1"


def wait_for_title(page, title: str, timeout: int = 90000) -> None:
    """Until the page's own title is shown. Training keeps its script running while it
    trains, so there the title (and no idle app) is the sign the page is up."""
    page.locator("h1").filter(has_text=title).first.wait_for(timeout=timeout)
    if title != "Training":
        wait_for_app(page)


def slider_value(page, label: str) -> int:
    return int(float(page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]')
                     .filter(has_text=label).locator('input[type="range"]').input_value()))


def link_notes(page) -> list[str]:
    return [a.inner_text() for a in page.locator('[data-testid="stAlert"]').all()
            if "link" in a.inner_text()]


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path for p in PAGES])
def test_a_pages_own_address_opens_it_with_its_settings(server, page, info):
    page.goto(f"{server}/{info.url_path}?{TANH}")
    wait_for_title(page, info.title)
    assert_no_exception(page)
    assert page.get_by_role("dialog").count() == 0, page.get_by_role("dialog").inner_text()
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator("h1").filter(has_text=info.title).count() == 1
    assert urlsplit(page.url).path == f"/{info.url_path}"
    assert slider_value(page, "Depth") == 7 and slider_value(page, "Width") == 48


def test_a_link_followed_then_copied_opens_the_same_view(server, page, browser):
    """"See it on" from the landing page, a slider moved there, the address copied: a
    fresh browser opens that page at those settings, each named once, with no note."""
    page.goto(f"{server}/?depth=12&activation=tanh&weight_var=0.1")
    wait_for_app(page)
    page.locator('[data-testid="stPageLink"] a').filter(has_text="Gradient flow").first.click()
    wait_for_title(page, "Gradient flow")
    keys = [k for k, _ in params(page.url)]
    assert len(keys) == len(set(keys)), page.url
    assert dict(params(page.url)) == {"depth": "12", "activation": "tanh", "weight_var": "0.1"}
    page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has_text="Depth").locator('input[type="range"]').focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('depth=15')", timeout=30000)
    wait_for_app(page)
    copied = page.url
    keys = [k for k, _ in params(copied)]
    assert len(keys) == len(set(keys)), copied

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        fresh.goto(copied)
        wait_for_title(fresh, "Gradient flow")
        assert_no_exception(fresh)
        assert slider_value(fresh, "Depth") == 15
        assert dict(params(fresh.url)) == dict(params(copied))
        assert link_notes(fresh) == []
    finally:
        fresh.context.close()
