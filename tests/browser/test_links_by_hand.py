"""Links written by hand, and the sidebar's reset, in a real browser: the address bar
is what the widgets write."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from .helpers import assert_no_exception, wait_for_app


def _query(page) -> dict:
    return parse_qs(urlparse(page.url).query)


def test_pytorch_names_open_their_choices_and_reset_clears_the_link(server, page):
    page.goto(f"{server}/?init=kaiming_normal_&norm=nn.BatchNorm1d&activation=GELU&depth=37")
    wait_for_app(page)
    assert_no_exception(page)
    alerts = " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())
    assert "valid choice" not in alerts, alerts
    page.wait_for_function("() => location.search.includes('BatchNorm')")
    query = _query(page)
    assert query["init"] == ["Kaiming normal (fan_in)"] and query["norm"] == ["BatchNorm"]
    assert query["activation"] == ["gelu"] and query["depth"] == ["37"]
    page.locator('[data-testid="stSidebar"]').get_by_role(
        "button", name="Reset to defaults").click()
    page.wait_for_function("() => !location.search.includes('depth')", timeout=30000)
    wait_for_app(page)
    assert not set(_query(page)) & {"init", "norm", "activation", "depth"}, page.url
