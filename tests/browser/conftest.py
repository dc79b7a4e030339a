"""Fixtures for real-browser tests.

- ``server``  (session): base URL of a fresh ``streamlit run app.py`` on a free port.
- ``fresh_server`` (function): the same, started for one test only.
- ``browser`` (session): Playwright Chromium, Debian's /usr/bin/chromium, headless.
- ``page``    (function): 1400x1000 page; ``page.console_errors`` collects console
  errors and uncaught page errors. A failing test leaves a screenshot in tests/artifacts/.

Every test under tests/browser/ is marked ``browser`` (deselect with -m "not browser").
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from deploy.serve import free_port, log_tail, stop

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # running as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine has no network: keep Chromium from dialing out at all.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
STARTUP_TIMEOUT = 60.0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so `page` can tell a failed test.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@contextlib.contextmanager
def _streamlit_server(log_name: str):
    """A fresh `streamlit run app.py` on a free port; yields its base URL once healthy."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = ARTIFACTS / log_name
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode} before it was healthy; "
                            f"log tail ({log_path}):\n{log_tail(log_path, 60)}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy at {url} after {STARTUP_TIMEOUT:.0f} s; "
                            f"log tail ({log_path}):\n{log_tail(log_path, 60)}", pytrace=False)
            time.sleep(0.25)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def server():
    with _streamlit_server("streamlit-server.log") as url:
        yield url


@pytest.fixture
def fresh_server():
    """A server no request has reached yet: for what only a first request can show."""
    with _streamlit_server("streamlit-fresh-server.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} missing: run `make browser-deps`", pytrace=False)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.console_errors = []

    def on_console(msg):
        if msg.type == "error":
            pg.console_errors.append(msg.text)

    pg.on("console", on_console)
    pg.http_errors = []
    pg.on("response", lambda r: pg.http_errors.append((r.status, r.url)) if r.status >= 400 else None)
    pg.on("pageerror", lambda exc: pg.console_errors.append(f"pageerror: {exc}"))
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            try:
                pg.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), full_page=True)
            except Exception:  # a crashed page must not hide the test's own failure
                pass
        context.close()
