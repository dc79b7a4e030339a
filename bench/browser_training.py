"""The Training page as a student sees it: a real Chromium against a real server.

    python -m bench.browser_training               # --changes N (default 3)

Opens the first demo of the makemore story (Training 1: five tanh layers, 2000 steps),
then moves the sidebar's depth slider one step up with the keyboard (a network not
trained before), N times, each after the run before has ended. Per page load and per
change it reports, in seconds of the wall clock from the request: the first loss curve
of the new run in the browser, and the end of the run (the script done, the summary
under the chart). A latency, not an assert: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from deploy.serve import free_port, start_streamlit, stop, wait_healthy

DEMO = "training?activation=tanh&depth=5&width=100&weight_var=0.1"
LOSS_CHARTS = """() => Array.from(document.querySelectorAll(
  '[data-testid="stPlotlyChart"] .js-plotly-plot')).filter(
  g => g.data && String(g.layout.title && g.layout.title.text).includes('Loss'))"""
MARK = f"() => {{ window.__old = ({LOSS_CHARTS})().map(g => g.data); }}"
NEW_CURVE = f"() => ({LOSS_CHARTS})().some(g => !(window.__old || []).includes(g.data))"
ENDED = "text=Where the loss starts"
WAIT_FOR_APP_CHECK_S = 0.25     # wait_for_app looks twice, this far apart


def measure(base: str, changes: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.helpers import wait_for_app

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(f"{base}/variance")             # the app's and Plotly's code, loaded once
        wait_for_app(page, 120000)
        t0 = time.perf_counter()
        page.goto(f"{base}/{DEMO}")
        rows.append(_timed(page, "open the demo link", t0, wait_for_app))
        for k in range(changes):
            page.evaluate(MARK)
            page.get_by_role("slider", name="Depth").focus()
            t0 = time.perf_counter()
            page.keyboard.press("ArrowRight")           # a depth not trained before
            rows.append(_timed(page, f"depth slider, change {k + 1}", t0, wait_for_app))
        browser.close()
    return rows


def _timed(page, what: str, t0: float, wait_for_app) -> dict:
    """Seconds from t0 to the new run's first loss curve, and to the script's end (the
    app idle again, the run's summary on the page: the summary text alone could still be
    the run before's, for the moment before the new run's first chart replaces it)."""
    page.wait_for_function(NEW_CURVE, timeout=120000, polling=20)
    first = time.perf_counter() - t0
    wait_for_app(page, 120000)
    ended = time.perf_counter() - t0 - WAIT_FOR_APP_CHECK_S
    assert page.locator(ENDED).count() == 1, "the run ended without its summary"
    return dict(what=what, first_curve_s=round(first, 2), run_ended_s=round(ended, 2))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args(argv)
    port = free_port()
    log = Path("/tmp") / f"bench-browser-training-{port}.log"
    proc = start_streamlit(port, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", [proc], log=log)
        rows = measure(f"http://127.0.0.1:{port}", args.changes)
    finally:
        stop(proc)
    print(f"{'what':28} {'first curve s':>14} {'run ended s':>12}")
    for r in rows:
        print(f"{r['what']:28} {r['first_curve_s']:14.2f} {r['run_ended_s']:12.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
