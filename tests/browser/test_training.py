"""The Training page in a real browser: the loss curve grows while the network trains,
Stop ends the run where it is, Resume goes on from there. The time from opening the
link to the first curve is written to tests/artifacts/browser_metrics.json (reported,
not asserted: wall-clock depends on the machine's load)."""

from __future__ import annotations

import re
import time

from .helpers import assert_clean_console, assert_no_exception, screenshot, wait_for_app
from .test_app import record

# Validation points on the loss chart: one at step 0 and one every 100 steps (the
# minibatch curve is binned to a fixed number of points, so it does not grow).
_LOSS_POINTS = """
() => {
  const g = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!g || !g.data || g.data.length < 2 || !g.layout.title) return -1;
  if (!String(g.layout.title.text).includes('Loss while training')) return -1;
  return g.data[1].y.length;
}
"""


def loss_points(page) -> int:
    return page.evaluate(_LOSS_POINTS)


def _stopped_step(page) -> int:
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="Stopped at step")
    assert alert.count() == 1
    return int(re.search(r"Stopped at step (\d+)", alert.inner_text()).group(1))


def test_stop_then_resume_and_the_curve_grows_while_training(server, page):
    """Stop as soon as training starts: the page shows the run where it stopped. Resume:
    the loss curve gains validation points while the script is still training, and the
    run ends with its summary."""
    t0 = time.perf_counter()
    # A loaded machine can deliver the click only after a run ends (then there is
    # nothing to stop): try a few seeds, each a new run.
    for seed in (11, 12, 13):
        page.goto(f"{server}/training?activation=tanh&weight_var=0.01&depth=10"
                  f"&train_steps=20000&seed={seed}")
        page.get_by_role("button", name="Stop training").click()
        wait_for_app(page, timeout=60000)
        assert_no_exception(page)
        if page.get_by_role("button", name="Train again from step 0").count():
            break
    step = _stopped_step(page)
    assert 0 < step < 20000
    assert loss_points(page) == step // 100 + 1     # the chart shows the run as far as it got
    screenshot(page, "training-stopped")

    page.get_by_role("button", name="Train again from step 0").click()
    page.wait_for_selector('[data-testid="stProgress"]', timeout=30000)
    before = loss_points(page)
    page.wait_for_function(f"({_LOSS_POINTS})() > {before}", timeout=60000)
    grew_while_running = page.locator('[data-testid="stProgress"]').count() == 1
    record("training_resume_to_growth_s", round(time.perf_counter() - t0, 3))
    screenshot(page, "training-live")
    wait_for_app(page, timeout=120000)
    assert_no_exception(page)
    assert grew_while_running, "the curve only changed once training had ended"
    assert page.get_by_text("Where the loss starts").count() == 1
    assert loss_points(page) > before
    assert_clean_console(page)


def test_first_curve_time_is_recorded(fresh_server, page):
    """The time from opening the page on a fresh server to the first loss curve in the
    browser (plotly's bundle loads on that first chart): reported, not asserted."""
    t0 = time.perf_counter()
    page.goto(f"{fresh_server}/training?depth=5&train_steps=500")
    page.wait_for_function(f"({_LOSS_POINTS})() > 0", timeout=90000)
    record("training_first_curve_s", round(time.perf_counter() - t0, 3))
    wait_for_app(page, timeout=90000)
    assert_no_exception(page)


def test_story_link_trains_and_shows_every_chart(server, page):
    """A demo is a link: its network trains to the end and the page shows the loss, the
    activations over steps and the verdict text without an exception."""
    page.goto(f"{server}/training?activation=tanh&depth=5&width=100&weight_var=0.1"
              f"&readout_scale=0.01&train_steps=300")
    wait_for_app(page, timeout=90000)
    assert_no_exception(page)
    assert page.locator('[data-testid="stMain"]').get_by_text("Training 2: fixed readout").count() >= 1
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 3
    assert page.get_by_text("Where the loss starts").count() == 1
    screenshot(page, "training-story-2")
    assert_clean_console(page)


def test_leaving_a_demo_mid_page_leaves_no_greyed_copy(server, page):
    """A slider step that leaves a demo removes the demo's note above the page. While the
    new run trains, the page shows each control once and no note of the run before: a
    note that went must not move the page's elements (Streamlit keeps an element that
    moved on screen, greyed, under its new copy until the run ends)."""
    page.goto(f"{server}/training?activation=tanh&depth=5&width=100&weight_var=0.1"
              f"&train_steps=6000")
    wait_for_app(page, timeout=120000)
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("Training 1: confidently wrong").count() == 1
    page.get_by_role("slider", name="Depth").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector('[data-testid="stProgress"]', timeout=30000)
    seen = []
    while page.locator('[data-testid="stProgress"]').count() and len(seen) < 20:
        seen.append((main.locator('[data-testid="stSlider"]').filter(has_text="Batch size").count(),
                     main.get_by_text("Training 1: confidently wrong").count(),
                     main.locator('h1').filter(has_text="Training").count()))
        page.wait_for_timeout(150)
    assert seen, "the new run ended before it could be looked at"
    assert set(seen) == {(1, 0, 1)}, seen
    wait_for_app(page, timeout=120000)
    assert_no_exception(page)
