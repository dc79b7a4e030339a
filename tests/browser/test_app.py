"""The app in a real headless Chromium against a real `streamlit run`, used as people use it:
open a shared link, drag a slider, switch pages. Screenshots land in tests/artifacts/.
Timings and payload sizes are written to tests/artifacts/browser_metrics.json (measured,
reported, not asserted as wall-clock); the payload budget is asserted, since bytes are
deterministic."""

from __future__ import annotations

import json
import time
from urllib.parse import urlparse
from pathlib import Path

import pytest

from ui.pages import PAGES

from .helpers import ARTIFACTS, assert_clean_console, assert_no_exception, screenshot, wait_for_app

REPO = Path(__file__).resolve().parents[2]
EXISTING = [p for p in PAGES if p.url_path != "lessons"]   # pages with charts at once;
# the Lessons page has its own tests (tests/browser/test_lessons.py)
PAYLOAD_BUDGET = 300_000          # bytes sent to the browser per rerun at the defaults
METRICS = ARTIFACTS / "browser_metrics.json"

_CHART_Y = """
(index) => {
  const plots = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const gd = plots[index];
  if (!gd || !gd.data) return null;
  return gd.data.map(t => Array.from(t.y || []).map(v => v === null ? null : Number(v)));
}
"""


def record(name: str, value) -> None:
    data = json.loads(METRICS.read_text()) if METRICS.exists() else {}
    data[name] = value
    METRICS.parent.mkdir(parents=True, exist_ok=True)
    METRICS.write_text(json.dumps(data, indent=2))


def wait_for_page(page, info, timeout: int = 90000) -> None:
    """Until the page is drawn. Training keeps its script running while it trains (a
    deep network can train for a minute on a busy machine), so there the first curve
    is the sign the page is up; every other page waits for its script to finish."""
    if info.url_path != "training":
        wait_for_app(page)
        return
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=timeout)


def chart_y(page, index: int = 0):
    return page.evaluate(_CHART_Y, index)


def slider_input(page, label: str):
    return page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has_text=label).locator('input[type="range"]')


def slider_value(page, label: str) -> int:
    return int(float(slider_input(page, label).input_value()))


def count_ws_bytes(page):
    """Bytes the server sends over the websocket from now on: a list to read later."""
    got = [0]
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: got.__setitem__(0, got[0] + len(payload))))
    return got


def drag_depth_and_wait(page, received):
    """Drag the depth thumb right and release; return (new depth, ms from release to the
    chart showing it, bytes the server sent for that rerun)."""
    before = slider_value(page, "Depth")
    thumb = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has_text="Depth").locator('[data-testid="stSliderThumbValue"]').locator("..")
    box = thumb.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 12, y, steps=4)
    received[0] = 0
    page.mouse.up()
    t0 = time.perf_counter()
    depth = slider_value(page, "Depth")
    assert depth > before
    page.wait_for_function(
        "(n) => { const g = document.querySelector('[data-testid=\"stPlotlyChart\"] .js-plotly-plot');"
        " return g && g.data && g.data[0].y.length === n; }", arg=depth, timeout=30000)
    ms = (time.perf_counter() - t0) * 1e3
    wait_for_app(page)
    return depth, ms, received[0]


def page_title(page) -> str:
    return page.locator("h1").first.inner_text()


def test_first_request_is_a_deep_link_on_a_fresh_server(fresh_server, page):
    """The first request a new server ever sees is a shared link to a non-landing page:
    the page must come up with the shared sidebar and the link's settings."""
    target = EXISTING[-1] if len(EXISTING) > 1 else EXISTING[0]
    path = "" if target is PAGES[0] else target.url_path
    page.goto(f"{fresh_server}/{path}?depth=15&activation=relu&width=64")
    wait_for_page(page, target)
    assert_no_exception(page)
    # the linked page, not the landing (the sidebar's own h1 is "Layerscope")
    assert page.locator("h1").filter(has_text=target.title).count() == 1
    assert slider_value(page, "Depth") == 15
    assert slider_value(page, "Width") == 64
    assert "activation=relu" in page.url and "depth=15" in page.url
    if len(EXISTING) > 1:
        assert page.locator('[data-testid="stSidebarNav"] a').count() == len(PAGES)
    assert page.get_by_role("dialog").count() == 0          # no "page not found"
    screenshot(page, f"deep-link-{target.url_path}")
    assert_clean_console(page)


def test_slider_updates_chart_and_settings_survive_page_switches(server, page):
    received = count_ws_bytes(page)
    t0 = time.perf_counter()
    page.goto(server + "/")
    wait_for_app(page)
    record("first_load_s", round(time.perf_counter() - t0, 3))
    assert_no_exception(page)
    before = chart_y(page)
    assert before and len(before[0]) == 10              # default depth

    # Drag the depth slider's thumb with the mouse and release: the chart must follow.
    # Three drags; the first pays for new settings' simulations, like a class's first try.
    times = []
    for _ in range(3):
        depth, ms, sent = drag_depth_and_wait(page, received)
        times.append(round(ms, 1))
    record("slider_to_chart_ms", times)
    record("slider_to_chart_ms_median", sorted(times)[1])
    record("payload_bytes_per_rerun_default_page", sent)
    assert len(chart_y(page)[0]) == depth
    assert f"depth={depth}" in page.url
    assert sent < PAYLOAD_BUDGET, f"{sent} bytes for one rerun"
    screenshot(page, "variance-after-drag")

    # Switch pages through the sidebar: the shared settings stay. (Training keeps its
    # script running while it trains; tests/browser/test_training.py covers it.)
    for info in [p for p in EXISTING[1:] if p.url_path != "training"]:
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text=info.title).click()
        wait_for_page(page, info)
        assert_no_exception(page)
        assert slider_value(page, "Depth") == depth, info.title
        assert f"depth={depth}" in page.url, info.title
        if info.url_path == "dead_neurons":     # the default network is linear: no unit dies
            assert page.get_by_text("A linear unit never dies").count() == 1
        else:
            assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1, info.title
    assert_clean_console(page)


@pytest.mark.parametrize("info", EXISTING, ids=[p.url_path for p in EXISTING])
def test_every_page_renders_with_charts(server, page, info):
    received = count_ws_bytes(page)
    path = "" if info is PAGES[0] else info.url_path
    # the default network is linear, which has no dead units to draw: tanh there
    page.goto(f"{server}/{path}" + ("?activation=tanh&weight_var=0.01"
                                    if info.url_path == "dead_neurons" else ""))
    wait_for_page(page, info)
    assert_no_exception(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
    # every chart has drawn at least one trace with data
    for i in range(page.locator('[data-testid="stPlotlyChart"]').count()):
        assert page.evaluate(
            "(i) => { const g = document.querySelectorAll('[data-testid=\"stPlotlyChart\"] "
            ".js-plotly-plot')[i]; return !!(g && g.data && g.data.length); }", i), (info, i)
    record(f"page_load_bytes_{info.url_path}", received[0])
    screenshot(page, f"page-{info.url_path}")
    assert_clean_console(page)


def test_garbage_link_shows_notes_not_tracebacks(server, page):
    page.goto(f"{server}/?width=99999&activation=softmax&weight_var=oops&depth=abc")
    wait_for_app(page)
    assert_no_exception(page)
    text = page.locator('[data-testid="stAlert"]').all_inner_texts()
    joined = " ".join(text)
    assert "width=99999" in joined and "activation=softmax" in joined, text
    assert slider_value(page, "Width") == 1024
    screenshot(page, "garbage-link")
    # the address bar shows the view: the clamped width, no parameter for a reset default
    page.wait_for_function("() => location.search.includes('width=1024')")
    assert "activation=" not in page.url and "weight_var=" not in page.url


def test_link_text_never_becomes_a_link_or_an_image(server, page):
    """Markdown and HTML in a hand-edited link are shown as text: no anchor to the
    payload's site, no image fetched from it."""
    fetched = []
    page.on("request", lambda r: fetched.append(r.url)
            if urlparse(r.url).hostname == "evil.example" else None)
    payload = ("?depth=%5Bclick%20here%5D(https%3A%2F%2Fevil.example%2Flogin)"
               "&%5Bkey%5D(https%3A%2F%2Fevil.example%2Fk)=1"
               "&width=!%5Bx%5D(https%3A%2F%2Fevil.example%2Fpixel.png)"
               "&activation=%3Cimg%20src%3Dhttps%3A%2F%2Fevil.example%2Fp.png%3E")
    page.goto(f"{server}/{payload}")
    wait_for_app(page)
    assert_no_exception(page)
    alerts = page.locator('[data-testid="stAlert"]')
    assert alerts.count() >= 4
    assert "[click here]" in " ".join(alerts.all_inner_texts())     # shown, as text
    assert page.locator('a[href^="https://evil.example"]').count() == 0     # no live link
    assert page.locator('img[src*="evil.example"]').count() == 0
    assert "evil.example" not in page.url          # unknown or bad parameters dropped
    assert not fetched, fetched
    screenshot(page, "markup-link")


def test_a_demo_opens_its_page_with_its_text(server, page):
    """Picking "Dying ReLU" from the demos opens the dead-neuron page with the demo's
    settings in the address bar and its text above the charts."""
    page.goto(server + "/")
    wait_for_app(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Dying ReLU").click()
    page.wait_for_url("**/dead_neurons?**", timeout=30000)
    wait_for_app(page)
    assert_no_exception(page)
    assert "activation=relu" in page.url and "bias_var=1" in page.url
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("h1").filter(has_text="Dead neurons").count() == 1
    assert "Dying ReLU" in " ".join(main.locator('[data-testid="stAlert"]').all_inner_texts())
    screenshot(page, "demo-dying-relu")
    assert_clean_console(page)
