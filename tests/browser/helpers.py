"""Helpers for browser tests.

Use as: ``from tests.browser.helpers import wait_for_app, assert_no_exception, screenshot``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# Streamlit marks its state on the root element: data-test-connection-state is
# "CONNECTED" once the websocket is up, and data-test-script-state goes
# "initial" -> "running" / "rerunRequested" -> "notRunning" (or
# "compilationError"). While a script runs, the status widget shows its
# "Running..." icon and elements from the previous run carry data-stale="true".
_APP_IDLE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  const state = app.getAttribute('data-test-script-state');
  if (state !== 'notRunning' && state !== 'compilationError') return false;
  if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  if (status && /running/i.test(status.textContent || '')) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  // Charts load their renderer lazily and show a skeleton until it has drawn.
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return true;
}
"""


def wait_for_app(page, timeout: int = 30000) -> None:
    """Wait (timeout in ms) until the app is connected and its script has finished running.

    Checked twice, 250 ms apart, so that a rerun a widget interaction has just
    asked for (not yet reported by the server) is not mistaken for idle.
    """
    page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=timeout)
    page.wait_for_function(_APP_IDLE_JS, timeout=timeout)
    page.wait_for_timeout(250)
    page.wait_for_function(_APP_IDLE_JS, timeout=timeout)


def assert_no_exception(page) -> None:
    """Fail if the app shows any exception box."""
    boxes = page.locator('[data-testid="stException"]')
    n = boxes.count()
    # With client.showErrorDetails = "none" the box is redacted; the server log has the traceback.
    assert n == 0, f"{n} exception(s) shown in the app (traceback in {ARTIFACTS}/streamlit-server.log):\n" + "\n---\n".join(
        boxes.nth(i).inner_text() for i in range(n)
    )


# How much taller than the viewport the page's content is. Streamlit scrolls
# inside <main data-testid="stMain">, not the document, so Playwright's
# full_page alone would stop at the viewport.
_OVERFLOW_JS = """
() => Math.max(0, document.documentElement.scrollHeight - window.innerHeight,
  ...[...document.querySelectorAll('*')]
    .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY))
    .map(e => e.scrollHeight - e.clientHeight))
"""
_MAX_SHOT_HEIGHT = 20000


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG (all of the app's content) to tests/artifacts/<name>.png; return its path.

    The viewport is grown for the shot and restored afterwards.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    extra = int(page.evaluate(_OVERFLOW_JS)) if size else 0
    if extra > 0:
        height = min(size["height"] + extra, _MAX_SHOT_HEIGHT)
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(300)  # let charts re-layout to the new size
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if extra > 0:
            page.set_viewport_size(size)
    return path


# On a deep link (/<page>) Streamlit's frontend first tries /<page> as the app's base
# path, probing /<page>/_stcore/health and /host-config; those 404 by design and the
# browser logs each as "Failed to load resource". Anything else is a real error.
_BASE_PATH_PROBE = re.compile(r"^https?://[^/]+/[^/?]+/_stcore/(health|host-config)$")


def assert_clean_console(page) -> None:
    """No console errors and no failed requests, except the frontend's base-path probes."""
    probes = [u for status, u in page.http_errors if status == 404 and _BASE_PATH_PROBE.match(u)]
    other_http = [(s, u) for s, u in page.http_errors if (s, u) not in [(404, p) for p in probes]]
    assert not other_http, other_http
    logged_404 = [e for e in page.console_errors if "status of 404" in e]
    others = [e for e in page.console_errors if "status of 404" not in e]
    assert not others, others
    assert len(logged_404) <= len(probes), (logged_404, probes)


def viewport_screenshot(page, name: str) -> Path:
    """Save what the viewport shows (not the whole page) to tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


_BOX_JS = """
(selector) => {
  const e = document.querySelector(selector);
  if (!e) return null;
  const r = e.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, height: r.height};
}
"""


def settled_box(page, selector: str, timeout: float = 15.0) -> dict | None:
    """The first element matching `selector`, its bounding box (viewport px) once two
    reads 300 ms apart agree (a smooth scroll has ended); None if it never appears."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        box = page.evaluate(_BOX_JS, selector)
        if box is not None and last is not None and \
                all(abs(box[k] - last[k]) < 1 for k in box):
            return box
        last = box
        page.wait_for_timeout(300)
    return last
